/**
 * Metacontroller's CompositeController hook wire format (v1, with v2's keys tolerated).
 *
 * Requests are parsed leniently: Metacontroller sends whole objects from its informer cache
 * (managedFields, status, fields from newer Kubernetes versions), so only the parts a hook
 * relies on are checked and everything else passes through untouched. Responses are plain
 * TypeScript types because we build them ourselves.
 *
 * Reference: metacontroller pkg/controller/composite/api/v1/hooks.go and
 * pkg/controller/common/customize/api/v1/hooks.go.
 */
import { z } from "zod";

export const ObjectMeta = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  deletionTimestamp: z.string().nullish(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** Any Kubernetes object as Metacontroller observes it; unknown fields are kept. */
export const KubeObject = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: ObjectMeta,
});
export type KubeObject = z.infer<typeof KubeObject>;

/**
 * Observed objects grouped by type: outer key `<Kind>.<version>` or `<Kind>.<group>/<version>`,
 * inner key the object's name (v1) or `<namespace>/<name>` (v2). Consumers iterate the values
 * and never depend on the inner key's form.
 */
export const ObjectsByType = z.record(z.string(), z.record(z.string(), KubeObject));
export type ObjectsByType = z.infer<typeof ObjectsByType>;

export const SyncRequest = z.looseObject({
  controller: z.looseObject({}).optional(),
  parent: KubeObject,
  children: ObjectsByType.default({}),
  related: ObjectsByType.default({}),
  finalizing: z.boolean().default(false),
});
export type SyncRequest = z.infer<typeof SyncRequest>;

export const CustomizeRequest = z.looseObject({
  controller: z.looseObject({}).optional(),
  parent: KubeObject,
});
export type CustomizeRequest = z.infer<typeof CustomizeRequest>;

/**
 * A desired child: Metacontroller decodes it as unstructured, so only these keys are required;
 * builders return richer Kubernetes types that satisfy it structurally.
 */
export interface DesiredObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
}

/**
 * `status` replaces the parent's whole status and `children` is the complete desired set:
 * every observed child left out is deleted. Both must therefore always be present.
 */
export interface SyncResponse {
  readonly status: Readonly<Record<string, unknown>>;
  readonly children: readonly DesiredObject[];
  readonly resyncAfterSeconds?: number;
  readonly finalized?: boolean;
}

/** One rule of the customize hook's answer (RelatedResourceRule in metacontroller's types.go). */
export interface RelatedResourceRule {
  readonly apiVersion: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly names?: readonly string[];
  readonly labelSelector?: {
    readonly matchLabels?: Readonly<Record<string, string>>;
  };
}

export interface CustomizeResponse {
  readonly relatedResources: readonly RelatedResourceRule[];
}

/** The map key Metacontroller uses for a type: `Pod.v1`, `Deployment.apps/v1`. */
export function typeKey(apiVersion: string, kind: string): string {
  return `${kind}.${apiVersion}`;
}

/** The observed objects of one type, in a stable order (by name) whatever the map's key order. */
export function observedOfType(objects: ObjectsByType, apiVersion: string, kind: string): KubeObject[] {
  const byKey = objects[typeKey(apiVersion, kind)] ?? {};
  return Object.values(byKey).sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
}
