/**
 * Counts writes by watching their effects instead of the writer: ADDED/MODIFIED/DELETED events
 * on pods, services and configmaps, and status (or finalizer) changes on parents. This is how the
 * runtime's write count is measured for a real Metacontroller binary, whose requests cannot be
 * observed; the TypeScript harness counts its own requests exactly.
 *
 * What counts:
 * - child types: ADDED = create; DELETED = delete; MODIFIED = update, except a change that only
 *   touches `.status`, resourceVersion/managedFields, or only sets a deletionTimestamp (the first
 *   half of a graceful delete, counted by its DELETED) — kwok and the kubelet write pod status,
 *   Metacontroller never writes a child's status;
 * - parents: MODIFIED with a different `.status` = status; with different finalizers or owner
 *   references = update; spec, label and annotation edits are the test's own and not counted,
 *   nor are ADDED and DELETED.
 * Writes by other actors that pass these filters (the garbage collector, a test creating an
 * orphan) are counted too, so compare counts only around quiet periods such as a resync.
 */
import { Discovery, KubeClient, type ApiResource, type Verb } from "./kube-client.js";
import { Informer } from "./informer.js";
import { deepEqual, isObject, type Json, type JsonObject } from "./merge.js";

export interface WriteWatchOptions {
  readonly kubeconfigPath: string;
  /** Parent resources whose status writes are counted, as `{apiVersion, resource}`. */
  readonly parents: readonly { readonly apiVersion: string; readonly resource: string }[];
  /** Child resources; default pods, services and configmaps (v1). */
  readonly children?: readonly { readonly apiVersion: string; readonly resource: string }[];
  /** Only count objects in these namespaces (default: all). */
  readonly namespaces?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface WriteCount {
  readonly writes: number;
  readonly writesByVerb: Record<Verb, number>;
}

export interface WriteWatch {
  count(): WriteCount;
  /** Milliseconds since the last counted write (Infinity if none yet). */
  quietForMs(): number;
  stop(): Promise<void>;
}

const DEFAULT_CHILDREN = [
  { apiVersion: "v1", resource: "pods" },
  { apiVersion: "v1", resource: "services" },
  { apiVersion: "v1", resource: "configmaps" },
];

function withoutNoise(obj: JsonObject): JsonObject {
  const copy: JsonObject = { ...obj };
  delete copy["status"];
  if (isObject(copy["metadata"])) {
    const metadata: JsonObject = { ...copy["metadata"] };
    delete metadata["resourceVersion"];
    delete metadata["managedFields"];
    delete metadata["deletionTimestamp"];
    delete metadata["deletionGracePeriodSeconds"];
    delete metadata["generation"];
    copy["metadata"] = metadata;
  }
  return copy;
}

function metadataField(obj: JsonObject, field: string): Json {
  const metadata = obj["metadata"];
  return isObject(metadata) ? (metadata[field] ?? null) : null;
}

export async function startWriteWatch(options: WriteWatchOptions): Promise<WriteWatch> {
  const log = options.log ?? (() => undefined);
  const client = await KubeClient.fromKubeconfig(options.kubeconfigPath);
  const discovery = new Discovery(client);
  const counts: Record<Verb, number> = { create: 0, update: 0, delete: 0, status: 0 };
  let lastWrite = Number.NEGATIVE_INFINITY;
  let ready = false;
  const namespaces = options.namespaces === undefined ? undefined : new Set(options.namespaces);
  const inScope = (obj: JsonObject): boolean => {
    if (!ready) return false; // the initial list is not a write
    if (namespaces === undefined) return true;
    const ns = metadataField(obj, "namespace");
    return typeof ns === "string" && namespaces.has(ns);
  };
  const count = (verb: Verb): void => {
    counts[verb] += 1;
    lastWrite = Date.now();
  };

  const informers: Informer[] = [];
  const resolve = (ref: { apiVersion: string; resource: string }): Promise<ApiResource> =>
    discovery.byResource(ref.apiVersion, ref.resource);

  for (const ref of options.children ?? DEFAULT_CHILDREN) {
    const informer = new Informer(client, await resolve(ref), log);
    informer.addHandlers({
      add: (obj) => {
        if (inScope(obj)) count("create");
      },
      update: (old, cur) => {
        if (!inScope(cur)) return;
        if (metadataField(old, "resourceVersion") === metadataField(cur, "resourceVersion")) return;
        if (!deepEqual(withoutNoise(old), withoutNoise(cur))) count("update");
      },
      delete: (obj) => {
        if (inScope(obj)) count("delete");
      },
    });
    informers.push(informer);
  }
  const watchParent = (resource: ApiResource): Informer => {
    const informer = new Informer(client, resource, log);
    // Only updates count: the initial list and the test's own creates/deletes of parents do not.
    informer.addHandlers({
      update: (old, cur) => {
        if (!inScope(cur)) return;
        if (metadataField(old, "resourceVersion") === metadataField(cur, "resourceVersion")) return;
        if (!deepEqual(old["status"] ?? null, cur["status"] ?? null)) count("status");
        if (
          !deepEqual(metadataField(old, "finalizers"), metadataField(cur, "finalizers")) ||
          !deepEqual(metadataField(old, "ownerReferences"), metadataField(cur, "ownerReferences"))
        ) {
          count("update");
        }
      },
    });
    informers.push(informer);
    return informer;
  };
  // A parent CRD may be installed later (Metacontroller waits for it too): poll discovery.
  const stopping = new AbortController();
  const pollers: Promise<void>[] = [];
  for (const ref of options.parents) {
    const resource = await resolve(ref).catch(() => undefined);
    if (resource !== undefined) {
      watchParent(resource);
      continue;
    }
    log(`write watch: ${ref.resource}.${ref.apiVersion} not served yet; watching for it`);
    pollers.push(
      (async () => {
        while (!stopping.signal.aborted) {
          await new Promise((r) => setTimeout(r, 1_000));
          const later = await resolve(ref).catch(() => undefined);
          if (later !== undefined && !stopping.signal.aborted) {
            await watchParent(later)
              .start()
              .catch(() => undefined);
            return;
          }
        }
      })(),
    );
  }
  await Promise.all(informers.map((informer) => informer.start()));
  ready = true;

  return {
    count() {
      const writesByVerb = { ...counts };
      return {
        writes: writesByVerb.create + writesByVerb.update + writesByVerb.delete + writesByVerb.status,
        writesByVerb,
      };
    },
    quietForMs() {
      return Date.now() - lastWrite;
    },
    async stop() {
      stopping.abort();
      await Promise.all(pollers);
      await Promise.all(informers.map((informer) => informer.stop()));
    },
  };
}
