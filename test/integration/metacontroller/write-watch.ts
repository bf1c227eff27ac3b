/**
 * Counts Metacontroller's writes by watching their effects, since the binary's requests cannot
 * be observed: ADDED/MODIFIED/DELETED events on the children's resources, and status (or
 * finalizer, ownerReference) changes on parents.
 *
 * What counts:
 * - child types: ADDED = create; DELETED = delete; MODIFIED = update, except a change that only
 *   touches `.status`, resourceVersion/managedFields/generation, or only sets a
 *   deletionTimestamp (the first half of a graceful delete, counted by its DELETED). kwok and the
 *   scheduler write pod status and binding; Metacontroller never writes a child's status;
 * - parents: MODIFIED with a different `.status` = status; with different finalizers or owner
 *   references = update. Spec, label and annotation edits are the test's own and not counted,
 *   nor are ADDED and DELETED.
 * Writes by other actors that pass these filters (the garbage collector, a test creating an
 * orphan) are counted too, so compare counts only around quiet periods such as a resync.
 */
import { isDeepStrictEqual } from "node:util";
import { eventually } from "../eventually.js";
import { watch, type Kube, type WatchEvent } from "../scenarios/kube.js";

export type WriteVerb = "create" | "update" | "delete" | "status";

export interface WriteCount {
  readonly writes: number;
  readonly writesByVerb: Record<WriteVerb, number>;
}

export interface WriteWatch {
  count(): WriteCount;
  /** Milliseconds since the last counted write (Infinity if none yet). */
  quietForMs(): number;
  stop(): void;
}

export interface ResourceRef {
  readonly apiVersion: string;
  readonly resource: string;
}

export interface WriteWatchOptions {
  readonly parents: readonly ResourceRef[];
  readonly children: readonly ResourceRef[];
  /** Watch only this namespace (default: all). */
  readonly namespace?: string;
  readonly log?: (line: string) => void;
}

interface KubeObject {
  metadata: { namespace?: string; name: string; resourceVersion?: string; [field: string]: unknown };
  status?: unknown;
  [field: string]: unknown;
}

interface Handlers {
  add(object: KubeObject): void;
  update(old: KubeObject, current: KubeObject): void;
  delete(object: KubeObject): void;
}

/** The collection path of a resource, in one namespace or across all. */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const base = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  return namespace === undefined
    ? `${base}/${ref.resource}`
    : `${base}/namespaces/${namespace}/${ref.resource}`;
}

/** An object without what only the API server, the scheduler or kwok change. */
function withoutNoise(object: KubeObject): KubeObject {
  const {
    resourceVersion: _resourceVersion,
    managedFields: _managedFields,
    generation: _generation,
    deletionTimestamp: _deletionTimestamp,
    deletionGracePeriodSeconds: _deletionGracePeriodSeconds,
    ...metadata
  } = object.metadata;
  // A list returns items without apiVersion and kind; a watch event's object has them.
  const { status: _status, apiVersion: _apiVersion, kind: _kind, spec, ...rest } = object;
  // The scheduler's binding sets spec.nodeName on pods.
  const specWithoutNode = spec !== null && typeof spec === "object" ? { ...spec, nodeName: undefined } : spec;
  return { ...rest, spec: specWithoutNode, metadata };
}

const keyOf = (object: KubeObject): string => `${object.metadata.namespace ?? ""}/${object.metadata.name}`;

/**
 * List, then watch from the list's resourceVersion, keeping the last state of every object so
 * that an update can be compared with what it replaced. A watch the API server closes is resumed
 * from the last resourceVersion seen (bookmarks keep it fresh); a 410 Gone relists and reports
 * the differences as events.
 */
async function listWatch(
  kube: Kube,
  collection: string,
  handlers: Handlers,
  log: (line: string) => void,
): Promise<() => void> {
  const known = new Map<string, KubeObject>();
  let resourceVersion = "";
  let stopped = false;
  let stopWatch = (): void => undefined;

  const relist = async (initial: boolean): Promise<void> => {
    const list = await kube.get<{ metadata: { resourceVersion: string }; items: KubeObject[] }>(collection);
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = keyOf(item);
      seen.add(key);
      const old = known.get(key);
      known.set(key, item);
      if (initial) continue;
      if (old === undefined) handlers.add(item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) handlers.update(old, item);
    }
    for (const [key, old] of known) {
      if (seen.has(key)) continue;
      known.delete(key);
      if (!initial) handlers.delete(old);
    }
    resourceVersion = list.metadata.resourceVersion;
  };

  const onEvent = (event: WatchEvent<KubeObject>): void => {
    const object = event.object;
    if (event.type === "BOOKMARK") {
      resourceVersion = object.metadata.resourceVersion ?? resourceVersion;
      return;
    }
    if (event.type === "ERROR") {
      // 410 Gone: the resourceVersion is too old to resume from.
      log(`write watch ${collection}: ${JSON.stringify(object)}; relisting`);
      resourceVersion = "";
      return;
    }
    resourceVersion = object.metadata.resourceVersion ?? resourceVersion;
    const key = keyOf(object);
    const old = known.get(key);
    if (event.type === "DELETED") {
      known.delete(key);
      handlers.delete(object);
      return;
    }
    known.set(key, object);
    if (old === undefined) handlers.add(object);
    else handlers.update(old, object);
  };

  const start = (): void => {
    if (stopped) return;
    const query = `resourceVersion=${encodeURIComponent(resourceVersion)}&allowWatchBookmarks=true`;
    stopWatch = watch<KubeObject>(kube, `${collection}?${query}`, onEvent, (error) => {
      if (stopped) return;
      if (error !== undefined) log(`write watch ${collection}: ${error.message}; resuming`);
      setTimeout(() => {
        void (resourceVersion === "" ? relist(false) : Promise.resolve()).then(start, (relistError) => {
          log(`write watch ${collection}: relist failed: ${String(relistError)}`);
          setTimeout(start, 1_000);
        });
      }, 100);
    });
  };

  // A CRD that was just established may answer 429 "storage is (re)initializing" for a moment.
  await eventually(`the first list of ${collection}`, async () => {
    await relist(true);
    return true;
  });
  start();
  return () => {
    stopped = true;
    stopWatch();
  };
}

export async function startWriteWatch(kube: Kube, options: WriteWatchOptions): Promise<WriteWatch> {
  const log = options.log ?? (() => undefined);
  const counts: Record<WriteVerb, number> = { create: 0, update: 0, delete: 0, status: 0 };
  let lastWrite = Number.NEGATIVE_INFINITY;
  const count = (verb: WriteVerb): void => {
    counts[verb] += 1;
    lastWrite = Date.now();
  };

  const childHandlers: Handlers = {
    add: () => count("create"),
    update: (old, current) => {
      if (!isDeepStrictEqual(withoutNoise(old), withoutNoise(current))) count("update");
    },
    delete: () => count("delete"),
  };
  // Only updates count: the test's own creates and deletes of parents are not Metacontroller's.
  const parentHandlers: Handlers = {
    add: () => undefined,
    update: (old, current) => {
      if (!isDeepStrictEqual(old.status, current.status)) count("status");
      if (
        !isDeepStrictEqual(old.metadata["finalizers"], current.metadata["finalizers"]) ||
        !isDeepStrictEqual(old.metadata["ownerReferences"], current.metadata["ownerReferences"])
      ) {
        count("update");
      }
    },
    delete: () => undefined,
  };

  const stops = await Promise.all([
    ...options.children.map((ref) =>
      listWatch(kube, collectionPath(ref, options.namespace), childHandlers, log),
    ),
    ...options.parents.map((ref) =>
      listWatch(kube, collectionPath(ref, options.namespace), parentHandlers, log),
    ),
  ]);

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
    stop() {
      for (const stop of stops) stop();
    },
  };
}
