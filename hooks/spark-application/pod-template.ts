/**
 * `driver.template` and `executor.template`: kubeflow's pod template field, a core/v1
 * PodTemplateSpec the pod starts from. Spark's own rule for spark.kubernetes.*.podTemplateFile
 * is the model: the template is the base and what Spark (here: the hook) sets wins over it.
 *
 * Precedence, field by field:
 * - metadata: the template's labels and annotations, ours win per key. Its name, namespace,
 *   owner references and other metadata are dropped: the pod is named and owned by us (driver)
 *   or by Spark (executors).
 * - The Spark container is the template's container named like ours, or else its first one
 *   (KubernetesUtils.selectSparkContainer). Our container's fields win; env, ports and mounts
 *   are merged by name (mounts by path), the template's entries kept where ours have none;
 *   resources merge per request and limit. The template's other containers are kept beside
 *   our sidecars (a sidecar of the same name wins).
 * - Pod spec: maps (nodeSelector) merge per key, ours winning; named lists (volumes,
 *   initContainers, imagePullSecrets) merge by name; tolerations and hostAliases are the
 *   template's followed by ours (kubeflow's webhook appends them the same way); security
 *   contexts merge per field; every other field is ours when we set it, else the template's.
 */
import type { IContainer, IHostAlias, IPod, IPodSpec, IToleration } from "kubernetes-models/v1";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, key: string): Json | undefined {
  if (!isObject(value)) return undefined;
  const found = value[key];
  return isObject(found) ? found : undefined;
}

/** The objects of a list the user wrote; the API server validates them as part of the Pod. */
function listAt<T = Json>(value: unknown, key: string): T[] {
  if (!isObject(value)) return [];
  const found = value[key];
  return Array.isArray(found) ? (found.filter(isObject) as T[]) : [];
}

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/** The template's entries whose key none of ours has, then ours. */
function mergeKeyed<T extends object>(
  theirs: readonly Json[],
  ours: readonly T[] | undefined,
  key: string,
): T[] {
  const taken = new Set((ours ?? []).map((item) => (item as Json)[key]));
  return [...(theirs.filter((item) => !taken.has(item[key])) as T[]), ...(ours ?? [])];
}

function mergeMaps(
  theirs: unknown,
  ours: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return { ...stringMap(theirs), ...ours };
}

/** Fields of `ours` win; keys only the template has are kept. */
function mergeShallow<T extends object>(theirs: Json | undefined, ours: T): T {
  return { ...theirs, ...ours };
}

/**
 * Spark's choice of the container to build on (KubernetesUtils.selectSparkContainer): the one
 * named `name` if exactly one is, else the first.
 */
export function selectSparkContainer(
  containers: readonly Json[],
  name: string,
): { spark: Json | undefined; rest: Json[] } {
  const named = containers.filter((container) => container["name"] === name);
  if (named.length === 1) {
    return { spark: named[0], rest: containers.filter((container) => container["name"] !== name) };
  }
  return { spark: containers[0], rest: containers.slice(1) };
}

function mergeContainer(theirs: Json | undefined, ours: IContainer): IContainer {
  if (theirs === undefined) return ours;
  const resources = objectAt(theirs, "resources");
  const merged: IContainer = {
    ...(theirs as Partial<IContainer>),
    ...ours,
    env: mergeKeyed(listAt(theirs, "env"), ours.env, "name"),
    ports: mergeKeyed(listAt(theirs, "ports"), ours.ports, "name"),
    volumeMounts: mergeKeyed(listAt(theirs, "volumeMounts"), ours.volumeMounts, "mountPath"),
    resources: {
      ...resources,
      ...ours.resources,
      requests: mergeMaps(resources?.["requests"], ours.resources?.requests as Record<string, string>),
      limits: mergeMaps(resources?.["limits"], ours.resources?.limits as Record<string, string>),
    },
    ...(ours.securityContext === undefined
      ? {}
      : {
          securityContext: mergeShallow(objectAt(theirs, "securityContext"), ours.securityContext),
        }),
  };
  return withoutEmpty(merged, ["env", "ports", "volumeMounts"]);
}

function withoutEmpty<T extends object>(value: T, keys: readonly (keyof T)[]): T {
  const copy = { ...value };
  for (const key of keys) {
    const field = copy[key];
    if (Array.isArray(field) && field.length === 0) delete copy[key];
  }
  const resources = (copy as { resources?: { requests?: object; limits?: object } }).resources;
  if (resources !== undefined) {
    const trimmed = { ...resources };
    if (trimmed.requests !== undefined && Object.keys(trimmed.requests).length === 0) delete trimmed.requests;
    if (trimmed.limits !== undefined && Object.keys(trimmed.limits).length === 0) delete trimmed.limits;
    (copy as { resources?: object }).resources = trimmed;
    if (Object.keys(trimmed).length === 0) delete (copy as { resources?: object }).resources;
  }
  return copy;
}

/**
 * `pod` with `template` (a PodTemplateSpec as the user wrote it) merged under it; the Spark
 * container of `pod` is its first container, named `sparkContainer`.
 */
export function withPodTemplate<P extends IPod>(
  template: Json | undefined,
  pod: P,
  sparkContainer: string,
): P {
  if (template === undefined) return pod;
  const theirSpec = objectAt(template, "spec") ?? {};
  const theirMeta = objectAt(template, "metadata") ?? {};
  const ourSpec: IPodSpec = pod.spec ?? { containers: [] };
  const [ourSpark, ...ourSidecars] = ourSpec.containers;
  const { spark, rest } = selectSparkContainer(listAt(theirSpec, "containers"), sparkContainer);
  const containers = [
    ...(ourSpark === undefined ? [] : [mergeContainer(spark, ourSpark)]),
    ...mergeKeyed(rest, ourSidecars, "name"),
  ];
  const merged: IPodSpec = {
    ...(theirSpec as Partial<IPodSpec>),
    ...ourSpec,
    containers,
    ...listField(
      "initContainers",
      mergeKeyed(listAt(theirSpec, "initContainers"), ourSpec.initContainers, "name"),
    ),
    ...listField("volumes", mergeKeyed(listAt(theirSpec, "volumes"), ourSpec.volumes, "name")),
    ...listField(
      "imagePullSecrets",
      mergeKeyed(listAt(theirSpec, "imagePullSecrets"), ourSpec.imagePullSecrets, "name"),
    ),
    ...listField("tolerations", [
      ...listAt<IToleration>(theirSpec, "tolerations"),
      ...(ourSpec.tolerations ?? []),
    ]),
    ...listField("hostAliases", [
      ...listAt<IHostAlias>(theirSpec, "hostAliases"),
      ...(ourSpec.hostAliases ?? []),
    ]),
    ...mapField("nodeSelector", mergeMaps(theirSpec["nodeSelector"], ourSpec.nodeSelector)),
    ...(ourSpec.securityContext === undefined
      ? {}
      : { securityContext: mergeShallow(objectAt(theirSpec, "securityContext"), ourSpec.securityContext) }),
  };
  const labels = mergeMaps(theirMeta["labels"], pod.metadata?.labels);
  const annotations = mergeMaps(theirMeta["annotations"], pod.metadata?.annotations);
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      ...(Object.keys(labels).length === 0 ? {} : { labels }),
      ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
    },
    spec: merged,
  };
}

function listField<K extends string, T>(key: K, items: T[]): Partial<Record<K, T[]>> {
  return items.length === 0 ? {} : ({ [key]: items } as Record<K, T[]>);
}

function mapField<K extends string>(
  key: K,
  map: Record<string, string>,
): Partial<Record<K, Record<string, string>>> {
  return Object.keys(map).length === 0 ? {} : ({ [key]: map } as Record<K, Record<string, string>>);
}
