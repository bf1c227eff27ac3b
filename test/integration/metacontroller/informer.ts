/**
 * A minimal shared informer: list, then watch from the list's resourceVersion, with bookmarks;
 * a 410 Gone (or a watch that cannot be resumed) relists and turns the difference into
 * add/update/delete notifications, as client-go's reflector + DeltaFIFO do. Like client-go, a
 * relist reports every surviving object as an update, even if its resourceVersion is unchanged.
 */
import type { JsonObject } from "./merge.js";
import { resourcePath, type ApiResource, type KubeClient, type WatchEvent } from "./kube-client.js";

export interface InformerHandlers {
  add?(obj: JsonObject): void;
  update?(old: JsonObject, cur: JsonObject): void;
  delete?(obj: JsonObject): void;
}

interface Metadata {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  deletionTimestamp?: string | null;
  labels?: Record<string, string>;
  generation?: number;
}

export function meta(obj: JsonObject): Metadata {
  return (obj["metadata"] ?? {}) as Metadata;
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(obj: JsonObject): string {
  const { namespace, name } = meta(obj);
  return namespace === undefined || namespace === "" ? (name ?? "") : `${namespace}/${name ?? ""}`;
}

export class Informer {
  private readonly store = new Map<string, JsonObject>();
  private readonly handlers: InformerHandlers[] = [];
  private readonly stopping = new AbortController();
  private resourceVersion = "";
  private syncedResolve!: () => void;
  private syncedReject!: (err: unknown) => void;
  readonly synced: Promise<void>;
  private running: Promise<void> | undefined;
  hasSynced = false;

  constructor(
    private readonly client: KubeClient,
    readonly resource: ApiResource,
    private readonly log: (line: string) => void,
  ) {
    this.synced = new Promise<void>((resolve, reject) => {
      this.syncedResolve = resolve;
      this.syncedReject = reject;
    });
    // Nobody may await `synced` if start() is never called.
    this.synced.catch(() => undefined);
  }

  get name(): string {
    return `${this.resource.plural}.${this.resource.apiVersion}`;
  }

  addHandlers(handlers: InformerHandlers): void {
    this.handlers.push(handlers);
    // Like client-go: a handler added late first sees every object as added.
    if (this.hasSynced) for (const obj of this.store.values()) handlers.add?.(obj);
  }

  /** Starts listing and watching; resolves once the first list has been delivered. */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.syncedReject(new Error(`informer ${this.name} stopped`));
    await this.running;
  }

  /** Objects in one namespace (or all), from the cache. */
  list(namespace?: string): JsonObject[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((obj) => (meta(obj).namespace ?? "") === namespace);
  }

  get(key: string): JsonObject | undefined {
    return this.store.get(key);
  }

  private emit(fn: (h: InformerHandlers) => void): void {
    for (const handlers of this.handlers) {
      try {
        fn(handlers);
      } catch (err) {
        this.log(`informer ${this.name}: handler failed: ${String(err)}`);
      }
    }
  }

  private typed(obj: JsonObject): JsonObject {
    // List items carry no apiVersion/kind; watch events do. Informer caches always have them.
    obj["apiVersion"] ??= this.resource.apiVersion;
    obj["kind"] ??= this.resource.kind;
    return obj;
  }

  private async relist(): Promise<void> {
    const items: JsonObject[] = [];
    let continueToken: string | undefined;
    let listVersion = "";
    do {
      const list = await this.client.call<{
        metadata?: { resourceVersion?: string; continue?: string };
        items?: JsonObject[];
      }>("GET", resourcePath(this.resource), { query: { limit: 500, continue: continueToken } });
      items.push(...(list.items ?? []).map((item) => this.typed(item)));
      listVersion = list.metadata?.resourceVersion ?? listVersion;
      continueToken = list.metadata?.continue || undefined;
    } while (continueToken !== undefined);

    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.get(key);
      this.store.set(key, obj);
      if (old === undefined) this.emit((h) => h.add?.(obj));
      else this.emit((h) => h.update?.(old, obj));
    }
    for (const [key, old] of [...this.store]) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.emit((h) => h.delete?.(old));
      }
    }
    this.resourceVersion = listVersion;
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (!this.hasSynced) {
            this.hasSynced = true;
            this.syncedResolve();
          }
        }
        const watchAbort = new AbortController();
        const onStop = (): void => watchAbort.abort();
        this.stopping.signal.addEventListener("abort", onStop, { once: true });
        let gone = false;
        const status = await this.client.watch(
          resourcePath(this.resource),
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 60 + Math.floor(Math.random() * 60),
          },
          (event) => {
            if (this.handleEvent(event) === "gone") {
              gone = true;
              watchAbort.abort();
            }
          },
          watchAbort.signal,
        );
        this.stopping.signal.removeEventListener("abort", onStop);
        if (this.stopping.signal.aborted) break;
        if (gone || status === 410) {
          needList = true;
        } else if (status !== 200) {
          throw new Error(`watch ${this.name} answered ${status}`);
        }
        failures = 0;
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        failures += 1;
        this.log(`informer ${this.name}: ${String(err)} (retrying)`);
        if (failures > 3) needList = true;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** failures)));
      }
    }
  }

  private handleEvent(event: WatchEvent): "gone" | undefined {
    const obj = event.object;
    switch (event.type) {
      case "BOOKMARK":
        this.resourceVersion = meta(obj).resourceVersion ?? this.resourceVersion;
        return undefined;
      case "ERROR": {
        const code = (obj as { code?: unknown }).code;
        this.log(`informer ${this.name}: watch error ${JSON.stringify(obj)}`);
        return code === 410 ? "gone" : undefined;
      }
      case "ADDED":
      case "MODIFIED": {
        this.typed(obj);
        const key = objectKey(obj);
        const old = this.store.get(key);
        this.store.set(key, obj);
        this.resourceVersion = meta(obj).resourceVersion ?? this.resourceVersion;
        if (old === undefined) this.emit((h) => h.add?.(obj));
        else this.emit((h) => h.update?.(old, obj));
        return undefined;
      }
      case "DELETED": {
        this.typed(obj);
        const key = objectKey(obj);
        this.store.delete(key);
        this.resourceVersion = meta(obj).resourceVersion ?? this.resourceVersion;
        this.emit((h) => h.delete?.(obj));
        return undefined;
      }
      default:
        return undefined;
    }
  }
}

/** One informer per resource, shared by every controller of a runtime (like dynamicinformer). */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: (line: string) => void,
  ) {}

  get(resource: ApiResource): Informer {
    const key = `${resource.apiVersion}/${resource.plural}`;
    let informer = this.informers.get(key);
    if (informer === undefined) {
      informer = new Informer(this.client, resource, this.log);
      this.informers.set(key, informer);
    }
    return informer;
  }

  all(): Informer[] {
    return [...this.informers.values()];
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((informer) => informer.stop()));
  }
}
