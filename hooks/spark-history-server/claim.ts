/**
 * The event log claim `<name>-claim` (type sharedVolume): ReadWriteMany, so the history server
 * and every application that writes event logs mount it at once.
 *
 * Event logs are the one thing a history server holds that cannot be made again, so a claim
 * that exists is never left out of the desired children (which would have Metacontroller delete
 * it): not when the spec switches to remoteStorage, not when its size, class or selector change.
 * Kubernetes refuses most changes to a claim's spec anyway (only a larger request, where the
 * StorageClass allows expansion), and the composite controller updates claims OnDelete; the
 * hook returns the observed claim as it is and says in status what differs. Deleting the
 * SparkHistoryServer deletes the claim with it (ownerReference).
 */
import type { IPersistentVolumeClaim } from "kubernetes-models/v1";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { isTerminating, keepObserved } from "../kube/observed.js";
import { MiB, type Quantity } from "../kube/quantity.js";
import {
  APP_NAME,
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGER,
} from "../spark/labels.js";
import { claimName } from "./names.js";
import type { SparkHistoryServerSpec } from "./schema.js";

export const CLAIM_COMPONENT = "event-logs";

/**
 * A size as a claim should ask for it: as written when it is whole bytes, else rounded up to
 * whole MiB. radanalytics' default 0.3Gi is 322122547.2 bytes, which the API server would store
 * as "322122547200m", a request provisioners round differently or refuse.
 */
export function claimSize(size: Quantity): string {
  return Number.isInteger(size.value) ? size.text : `${Math.ceil(size.value / MiB)}Mi`;
}

export type ClaimChild = IPersistentVolumeClaim & { metadata: { name: string } };

export function desiredClaim(server: string, spec: SparkHistoryServerSpec): ClaimChild {
  const { sharedVolume } = spec;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName(server),
      labels: {
        ...spec.labels,
        [LABEL_NAME]: APP_NAME,
        [LABEL_INSTANCE]: server,
        [LABEL_COMPONENT]: CLAIM_COMPONENT,
        [LABEL_MANAGED_BY]: MANAGER,
      },
    },
    spec: {
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: claimSize(sharedVolume.size) } },
      ...(sharedVolume.matchLabels === undefined
        ? {}
        : { selector: { matchLabels: sharedVolume.matchLabels } }),
      ...(sharedVolume.storageClassName === undefined
        ? {}
        : { storageClassName: sharedVolume.storageClassName }),
      volumeMode: "Filesystem",
    },
  };
}

export interface ClaimPlan {
  readonly children: DesiredObject[];
  /** The claim as observed, if it exists. */
  readonly observed: KubeObject | undefined;
  /** Why an existing claim is kept although the spec asks for none or another one; empty when it matches. */
  readonly retained: string[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** What the spec asks for that the observed claim does not have, in words for status. */
function differences(observed: KubeObject, desired: ClaimChild): string[] {
  const spec = record(observed["spec"]);
  const want = desired.spec ?? {};
  const found: string[] = [];
  const storage = record(record(spec["resources"])["requests"])["storage"];
  const wantStorage = want.resources?.requests?.["storage"];
  if (storage !== wantStorage) {
    found.push(`requests ${String(storage)}, spec.sharedVolume.size asks for ${String(wantStorage)}`);
  }
  if (want.storageClassName !== undefined && spec["storageClassName"] !== want.storageClassName) {
    found.push(
      `has storageClassName ${JSON.stringify(spec["storageClassName"] ?? null)}, spec.sharedVolume.storageClassName asks for ${JSON.stringify(want.storageClassName)}`,
    );
  }
  const selector = JSON.stringify(record(spec["selector"])["matchLabels"] ?? null);
  const wantSelector = JSON.stringify(want.selector?.matchLabels ?? null);
  if (selector !== wantSelector) {
    found.push(`selects ${selector}, spec.sharedVolume.matchLabels asks for ${wantSelector}`);
  }
  return found;
}

/**
 * sharedVolume: the claim, created once and then kept as observed. remoteStorage: no claim, but
 * one that exists (from an earlier sharedVolume spec) stays.
 */
export function planClaim(
  server: string,
  spec: SparkHistoryServerSpec,
  observed: readonly KubeObject[],
): ClaimPlan {
  const name = claimName(server);
  const existing = observed.find((claim) => claim.metadata.name === name);
  const others = observed
    .filter((claim) => claim.metadata.name !== name)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const keptOthers = others.map(keepObserved);
  const otherReasons = others.map((claim) => `${claim.metadata.name} is no longer used`);
  if (spec.type === "remoteStorage") {
    return {
      children: [...(existing === undefined ? [] : [keepObserved(existing)]), ...keptOthers],
      observed: existing,
      retained: [
        ...(existing === undefined
          ? []
          : [`${name}: spec.type is remoteStorage, the claim is no longer mounted`]),
        ...otherReasons,
      ],
    };
  }
  const desired = desiredClaim(server, spec);
  if (existing === undefined)
    return { children: [desired, ...keptOthers], observed: undefined, retained: otherReasons };
  const changed = isTerminating(existing) ? [] : differences(existing, desired);
  return {
    children: [keepObserved(existing), ...keptOthers],
    observed: existing,
    retained: [...changed.map((difference) => `${name} ${difference}`), ...otherReasons],
  };
}

/** The claim's phase and bound size as Kubernetes reports them. */
export function claimState(claim: KubeObject): { phase?: string; capacity?: string } {
  const status = record(claim["status"]);
  const phase = status["phase"];
  const capacity = record(status["capacity"])["storage"];
  return {
    ...(typeof phase === "string" ? { phase } : {}),
    ...(typeof capacity === "string" ? { capacity } : {}),
  };
}
