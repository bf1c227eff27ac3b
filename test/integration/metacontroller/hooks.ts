/**
 * Metacontroller's webhook transport, as pure functions (pkg/hooks/webhook.go,
 * pkg/controller/composite/hooks.go, pkg/controller/common/customize): the hook URL, the timeout,
 * Retry-After on a 429, and how a 200 body is decoded. The HTTP call itself is in controller.ts.
 */
import { z } from "zod";
import { isObject, type Json, type JsonObject } from "./merge.js";

// ---------------------------------------------------------------------------------------------
// CompositeController (the parts the runtime reads; everything else passes through untouched)

const WebhookSchema = z.looseObject({
  url: z.string().optional(),
  path: z.string().optional(),
  service: z
    .looseObject({
      name: z.string(),
      namespace: z.string(),
      port: z.number().int().optional(),
      protocol: z.string().optional(),
    })
    .optional(),
  timeout: z.string().optional(),
  responseUnMarshallMode: z.enum(["loose", "strict"]).optional(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

const HookSchema = z.looseObject({
  version: z.enum(["v1", "v2"]).optional(),
  webhook: WebhookSchema.optional(),
});
export type Hook = z.infer<typeof HookSchema>;

export const UPDATE_METHODS = [
  "OnDelete",
  "Recreate",
  "InPlace",
  "RollingRecreate",
  "RollingInPlace",
] as const;
export type UpdateMethod = (typeof UPDATE_METHODS)[number];

const LabelSelectorSchema = z.looseObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.looseObject({
        key: z.string(),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

export const CompositeControllerSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.looseObject({ name: z.string().min(1) }),
  spec: z.looseObject({
    parentResource: z.looseObject({
      apiVersion: z.string(),
      resource: z.string(),
      labelSelector: LabelSelectorSchema.optional(),
      ignoreStatusChanges: z.boolean().optional(),
    }),
    childResources: z
      .array(
        z.looseObject({
          apiVersion: z.string(),
          resource: z.string(),
          updateStrategy: z.looseObject({ method: z.enum(UPDATE_METHODS).optional() }).optional(),
        }),
      )
      .optional(),
    hooks: z
      .looseObject({
        sync: HookSchema.optional(),
        finalize: HookSchema.optional(),
        customize: HookSchema.optional(),
      })
      .optional(),
    resyncPeriodSeconds: z.number().int().optional(),
    generateSelector: z.boolean().optional(),
  }),
});
export type CompositeController = z.infer<typeof CompositeControllerSchema>;

/** Webhook fields Metacontroller supports that this runtime does not; a controller using one is refused. */
export const UNSUPPORTED_WEBHOOK_FIELDS = [
  "etag",
  "caBundle",
  "clientTLS",
  "authorization",
  "basicAuth",
] as const;

// ---------------------------------------------------------------------------------------------
// Transport

/** `webhookURL`: `url` wins; otherwise `<protocol>://<name>.<namespace>:<port><path>`. */
export function webhookUrl(webhook: Webhook): string {
  if (webhook.url !== undefined) return webhook.url;
  if (webhook.service === undefined || webhook.path === undefined) {
    throw new Error("invalid webhook config: must specify either full 'url', or both 'service' and 'path'");
  }
  const { name, namespace } = webhook.service;
  if (name === "" || namespace === "") {
    throw new Error("invalid client config: must specify service 'name' and 'namespace'");
  }
  const port = webhook.service.port ?? 80;
  const protocol = webhook.service.protocol ?? "http";
  return `${protocol}://${name}.${namespace}:${port}${webhook.path}`;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's `time.ParseDuration`, in milliseconds; undefined if it is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (text === "0") return 0;
  if (match === null) return undefined;
  let total = 0;
  for (const part of text.replace(/^[-+]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (DURATION_UNITS[part[2] as string] ?? 0);
  }
  return match[1] === "-" ? -total : total;
}

/** `webhookTimeout`: 10 s by default, and also for zero, negative or unparsable values. */
export function webhookTimeoutMs(webhook: Webhook): number {
  if (webhook.timeout === undefined) return 10_000;
  const ms = parseGoDuration(webhook.timeout);
  return ms === undefined || ms <= 0 ? 10_000 : ms;
}

/**
 * Seconds to wait after a 429: an RFC 1123 date gives the rounded-up time until then, otherwise
 * the header as an integer (Go's strconv.Atoi), and 0 when neither parses.
 */
export function retryAfterSeconds(header: string | null, now: Date): number {
  if (header === null) return 0;
  if (/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [A-Z]{3}$/.test(header)) {
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.ceil((at - now.getTime()) / 1000);
  }
  return /^[+-]?\d+$/.test(header) ? Number.parseInt(header, 10) : 0;
}

export class HookError extends Error {
  override name = "HookError";
}

/** A 429: not a failure, a requeue after `afterSeconds` (no SyncError, no backoff step). */
export class TooManyRequestsError extends Error {
  override name = "TooManyRequestsError";
  constructor(readonly afterSeconds: number) {
    super(`too many requests, retry after ${afterSeconds}s`);
  }
}

// ---------------------------------------------------------------------------------------------
// Response decoding (sigs.k8s.io/json UnmarshalStrict into the Go response structs)

export interface SyncHookResponse {
  readonly status: JsonObject | null;
  readonly children: JsonObject[];
  readonly resyncAfterSeconds: number;
  readonly finalized: boolean;
}

const SYNC_RESPONSE_KEYS = new Set(["status", "children", "resyncAfterSeconds", "finalized"]);

function typeName(value: Json): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/**
 * Decodes a sync/finalize response body as Metacontroller does: `null` decodes to an empty
 * response (status wiped, every child deleted); keys are case-sensitive; unknown keys fail only in
 * strict mode (the default for hook version v2); each child must be an object with a `kind`
 * (unstructured decoding requires it).
 */
export function decodeSyncResponse(text: string, strict: boolean): SyncHookResponse {
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch (err) {
    throw new HookError(`can't unmarshal webhookResponse: ${String(err)}`);
  }
  if (body === null) return { status: null, children: [], resyncAfterSeconds: 0, finalized: false };
  if (!isObject(body))
    throw new HookError(`can't unmarshal webhookResponse: got ${typeName(body)}, want object`);
  if (strict) {
    const unknown = Object.keys(body).filter((key) => !SYNC_RESPONSE_KEYS.has(key));
    if (unknown.length > 0)
      throw new HookError(`strict validation failed: unknown field(s) ${unknown.join(", ")}`);
  }
  const status = body["status"] ?? null;
  if (status !== null && !isObject(status)) {
    throw new HookError(`can't unmarshal webhookResponse: status is ${typeName(status)}, want object`);
  }
  const children = body["children"] ?? null;
  if (children !== null && !Array.isArray(children)) {
    throw new HookError(`can't unmarshal webhookResponse: children is ${typeName(children)}, want array`);
  }
  for (const child of children ?? []) {
    if (!isObject(child)) throw new HookError(`can't unmarshal webhookResponse: child is ${typeName(child)}`);
    if (typeof child["kind"] !== "string" || child["kind"] === "") {
      throw new HookError(
        `can't unmarshal webhookResponse: Object 'Kind' is missing in ${JSON.stringify(child)}`,
      );
    }
  }
  const resync = body["resyncAfterSeconds"] ?? null;
  if (resync !== null && typeof resync !== "number") {
    throw new HookError(
      `can't unmarshal webhookResponse: resyncAfterSeconds is ${typeName(resync)}, want number`,
    );
  }
  const finalized = body["finalized"] ?? null;
  if (finalized !== null && typeof finalized !== "boolean") {
    throw new HookError(`can't unmarshal webhookResponse: finalized is ${typeName(finalized)}, want bool`);
  }
  return {
    status,
    children: (children ?? []) as JsonObject[],
    resyncAfterSeconds: resync ?? 0,
    finalized: finalized ?? false,
  };
}

export interface RelatedResourceRule {
  readonly apiVersion: string;
  readonly resource: string;
  readonly labelSelector?: z.infer<typeof LabelSelectorSchema>;
  readonly namespaceSelector?: unknown;
  readonly namespace?: string;
  readonly names?: string[];
}

const RelatedRuleSchema = z.looseObject({
  apiVersion: z.string(),
  resource: z.string(),
  labelSelector: LabelSelectorSchema.nullish(),
  namespaceSelector: z.unknown().optional(),
  namespace: z.string().optional(),
  names: z.array(z.string()).nullish(),
});

export function decodeCustomizeResponse(text: string): RelatedResourceRule[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HookError(`can't unmarshal customize response: ${String(err)}`);
  }
  if (body === null) return [];
  const parsed = z.looseObject({ relatedResources: z.array(RelatedRuleSchema).nullish() }).safeParse(body);
  if (!parsed.success) throw new HookError(`can't unmarshal customize response: ${parsed.error.message}`);
  return (parsed.data.relatedResources ?? []).map((rule) => ({
    apiVersion: rule.apiVersion,
    resource: rule.resource,
    ...(rule.labelSelector === null || rule.labelSelector === undefined
      ? {}
      : { labelSelector: rule.labelSelector }),
    ...(rule.namespaceSelector === undefined || rule.namespaceSelector === null
      ? {}
      : { namespaceSelector: rule.namespaceSelector }),
    ...(rule.namespace === undefined || rule.namespace === "" ? {} : { namespace: rule.namespace }),
    ...(rule.names === null || rule.names === undefined || rule.names.length === 0
      ? {}
      : { names: rule.names }),
  }));
}
