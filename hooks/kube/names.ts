/**
 * Object names. Every name we generate must be a DNS-1123 label (≤ 63 characters, lower-case
 * alphanumerics and '-') so it is valid for any kind, including Services and pod hostnames.
 */
import { createHash } from "node:crypto";

export const MAX_DNS_LABEL = 63;

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_DNS_LABEL && DNS_1123_LABEL.test(name);
}

/** Service names must also start with a letter (DNS-1035). */
export function isDns1035Label(name: string): boolean {
  return name.length <= MAX_DNS_LABEL && DNS_1035_LABEL.test(name);
}

/** A short lower-case hex digest: stable across processes and versions of Node. */
export function shortHash(input: string, length = 10): string {
  return createHash("sha256").update(input).digest("hex").slice(0, length);
}

/**
 * `<owner>-<suffix>`, kept within 63 characters. When too long, the owner part is cut and a
 * hash of the full owner name keeps two long owners with a common prefix from colliding
 * (a clash would be silent: Metacontroller swallows AlreadyExists).
 */
export function childName(owner: string, suffix: string): string {
  const full = `${owner}-${suffix}`;
  if (full.length <= MAX_DNS_LABEL) return full;
  const ownerHash = shortHash(owner, 5);
  const room = MAX_DNS_LABEL - suffix.length - ownerHash.length - 2;
  const cut = owner.slice(0, Math.max(room, 0)).replace(/-+$/, "");
  return [cut, ownerHash, suffix].filter((part) => part.length > 0).join("-");
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isLabelValue(value: string): boolean {
  return value.length <= MAX_DNS_LABEL && LABEL_VALUE.test(value);
}

/** A label or annotation key: optional DNS-subdomain prefix, then a name of ≤ 63 characters. */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_1123_SUBDOMAIN.test(prefix))) {
    return false;
  }
  return name.length > 0 && name.length <= MAX_DNS_LABEL && LABEL_NAME.test(name);
}
