/**
 * A CompositeController runtime in TypeScript that behaves like Metacontroller v4.17.2 in its
 * default dynamic-apply mode, for integration tests against a real API server.
 *
 * Per CompositeController it discovers the parent and child resources, refuses a parent whose CRD
 * lacks the status subresource, watches parents and children cluster-wide, and syncs each parent
 * through a rate-limited work queue, step by step as `syncParentObject` in
 * pkg/controller/composite/controller.go: finalizer, claim (adopt/release), customize + related
 * objects, sync or finalize hook, resyncAfterSeconds, finalized, selector check, ManageChildren
 * (pkg/controller/common/manage_children.go, three-way merge in merge.ts), status update.
 *
 * Not implemented (refused at start with an error where a controller asks for them): the Rolling*
 * update methods and ControllerRevisions, webhook etag/caBundle/clientTLS/authorization/basicAuth,
 * customize `namespaceSelector`, server-side apply, leader election, DecoratorController.
 */
import { randomBytes } from "node:crypto";
import {
  CompositeControllerSchema,
  HookError,
  TooManyRequestsError,
  UNSUPPORTED_WEBHOOK_FIELDS,
  decodeCustomizeResponse,
  decodeSyncResponse,
  retryAfterSeconds,
  webhookTimeoutMs,
  webhookUrl,
  type CompositeController,
  type Hook,
  type RelatedResourceRule,
  type SyncHookResponse,
  type UpdateMethod,
} from "./hooks.js";
import { InformerFactory, meta, objectKey, type Informer } from "./informer.js";
import {
  ApiError,
  Discovery,
  KubeClient,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  resourcePath,
  splitApiVersion,
  type ApiResource,
  type Verb,
} from "./kube-client.js";
import {
  applyUpdate,
  clone,
  deepEqual,
  isObject,
  withLastApplied,
  type Json,
  type JsonObject,
} from "./merge.js";
import { compileSelector, type LabelSelector, type Selector } from "./selector.js";
import { WorkQueue } from "./workqueue.js";

export type { CompositeController } from "./hooks.js";

export interface HarnessOptions {
  readonly kubeconfigPath: string;
  /** CompositeController objects as parsed from YAML (validated here). */
  readonly controllers: readonly Readonly<Record<string, unknown>>[];
  /** Rewrites every hook URL before it is called (point in-cluster URLs at a loopback server). */
  readonly hookBaseUrl?: (url: string) => string;
  readonly log?: (line: string) => void;
  /** Concurrent syncs per controller (Metacontroller's --workers). Default 5. */
  readonly workers?: number;
  /** Record a Warning Event `SyncError` on the parent for each failed sync. Default true. */
  readonly events?: boolean;
  /** How long idle() wants everything to stay quiet before it resolves. Default 200 ms. */
  readonly idleSettleMs?: number;
  /** How long start waits for a resource to appear in discovery. Default 30 s. */
  readonly discoveryTimeoutMs?: number;
}

export type WriteVerb = Verb;

export interface Counters {
  /** HTTP calls to sync, finalize and customize hooks. */
  readonly hookCalls: number;
  /** Of those, the ones that failed (transport error, timeout, non-200, bad body, 429). */
  readonly hookFailures: number;
  /** Mutating API calls (create, update, delete, status), whatever their outcome; Events excluded. */
  readonly writes: number;
  readonly writesByVerb: Record<WriteVerb, number>;
  /** Syncs that ended in an error (a SyncError). */
  readonly syncErrors?: number;
  /** Syncs that ran to the end without error. */
  readonly syncs?: number;
}

export interface Harness {
  stop(): Promise<void>;
  /** Resolves once no sync is queued, running or waiting for a retry, and the runtime's own writes have come back through its watches. */
  idle(timeoutMs?: number): Promise<void>;
  /** Enqueue every parent of every controller now (what resyncPeriodSeconds does). */
  resyncAll(): Promise<void>;
  counters(): Counters;
}

const DEFAULT_HOOK_VERSION = "v1";
const GC_FINALIZERS = new Set(["foregroundDeletion", "orphan"]);
const CONTROLLER_UID_LABEL = "controller-uid";
const CUSTOMIZE_CACHE_MS = 20 * 60_000;
const ECHO_TIMEOUT_MS = 5_000;

type Obj = JsonObject;
type ObjectMap = Map<string, Map<string, Obj>>;

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

function ownerRefs(obj: Obj): OwnerReference[] {
  const refs = (obj["metadata"] as { ownerReferences?: unknown } | undefined)?.ownerReferences;
  return Array.isArray(refs) ? (refs as OwnerReference[]) : [];
}

function controllerOf(obj: Obj): OwnerReference | undefined {
  return ownerRefs(obj).find((ref) => ref.controller === true);
}

function finalizersOf(obj: Obj): string[] {
  const finalizers = (obj["metadata"] as { finalizers?: unknown } | undefined)?.finalizers;
  return Array.isArray(finalizers) ? (finalizers as string[]) : [];
}

function metadataOf(obj: Obj): JsonObject {
  if (!isObject(obj["metadata"])) obj["metadata"] = {};
  return obj["metadata"];
}

function isDeleting(obj: Obj): boolean {
  const ts = meta(obj).deletionTimestamp;
  return ts !== undefined && ts !== null;
}

/** The map key of a type: `Pod.v1`, `Deployment.apps/v1` (GroupVersionKind.MarshalText). */
function typeKey(apiVersion: string, kind: string): string {
  return `${kind}.${apiVersion}`;
}

function str(value: Json | undefined): string {
  return typeof value === "string" ? value : "";
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : typeof err === "string" ? err : JSON.stringify(err);
}

function describe(obj: Obj): string {
  return `${str(obj["kind"])} ${objectKey(obj)}`;
}

/** Several failed child operations, reported together after the others were tried. */
class MultiError extends Error {
  override name = "MultiError";
  constructor(readonly errors: readonly unknown[]) {
    super(errors.map((e) => (e instanceof Error ? e.message : String(e))).join("; "));
  }
}

/** retry.DefaultBackoff (10 ms × 5, 4 steps) around a read-modify-write that may conflict. */
async function retryOnConflict<T>(fn: () => Promise<T>): Promise<T> {
  let delay = 10;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConflict(err) || attempt >= 4) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay * (1 + Math.random() * 0.1)));
      delay *= 5;
    }
  }
}

interface Echo {
  readonly rv: string | undefined;
  readonly deleted: boolean;
  readonly deadline: number;
}

/** resourceVersions are opaque, but etcd's are integers; compare them as such when they are. */
function rvAtLeast(rv: string | undefined, than: string | undefined, strictly: boolean): boolean {
  if (rv === undefined || than === undefined) return false;
  if (rv === than) return !strictly;
  return /^\d+$/.test(rv) && /^\d+$/.test(than) && BigInt(rv) > BigInt(than);
}

/** Whether the informer's view (`obj`, undefined if absent) already reflects a write. */
function echoSatisfied(echo: Echo, obj: Obj | undefined, deletedEvent: boolean): boolean {
  if (deletedEvent) return true;
  if (echo.deleted)
    return obj === undefined || isDeleting(obj) || rvAtLeast(meta(obj).resourceVersion, echo.rv, true);
  return obj !== undefined && rvAtLeast(meta(obj).resourceVersion, echo.rv, false);
}

/** State shared by every controller of one harness. */
class Runtime {
  readonly informers: InformerFactory;
  readonly discovery: Discovery;
  readonly stopping = new AbortController();
  private readonly writeCounts: Record<WriteVerb, number> = { create: 0, update: 0, delete: 0, status: 0 };
  hookCalls = 0;
  hookFailures = 0;
  syncErrors = 0;
  syncs = 0;
  /** Writes whose watch event has not arrived yet: `<informer>|<key>` → expectation. */
  private readonly echoes = new Map<string, Echo>();

  constructor(
    readonly client: KubeClient,
    readonly options: HarnessOptions,
    readonly log: (line: string) => void,
  ) {
    this.informers = new InformerFactory(client, log);
    this.discovery = new Discovery(client);
    client.onWrite((verb, _method, path) => {
      if (/\/events(\/|$)/.test(path)) return;
      this.writeCounts[verb] += 1;
    });
  }

  private readonly tracked = new Set<Informer>();

  informer(resource: ApiResource): Informer {
    const informer = this.informers.get(resource);
    if (!this.tracked.has(informer)) {
      this.tracked.add(informer);
      const seen = (obj: Obj, deleted: boolean): void => this.seen(informer.name, obj, deleted);
      informer.addHandlers({
        add: (obj) => seen(obj, false),
        update: (_old, cur) => seen(cur, false),
        delete: (obj) => seen(obj, true),
      });
    }
    return informer;
  }

  /** Remember that a write must come back through the informer of its resource before idle(). */
  expectEcho(resource: ApiResource, written: unknown, deleted: boolean): void {
    if (!isObject(written) || written["kind"] === "Status" || meta(written).name === undefined) return;
    const informer = this.informers.all().find((i) => i.name === `${resource.plural}.${resource.apiVersion}`);
    if (informer === undefined) return;
    const echo = { rv: meta(written).resourceVersion, deleted, deadline: Date.now() + ECHO_TIMEOUT_MS };
    // The watch event may have arrived before the response to the write did.
    const key = objectKey(written);
    if (echoSatisfied(echo, informer.get(key), false)) return;
    this.echoes.set(`${informer.name}|${key}`, echo);
  }

  private seen(informerName: string, obj: Obj, deleted: boolean): void {
    const id = `${informerName}|${objectKey(obj)}`;
    const echo = this.echoes.get(id);
    if (echo !== undefined && echoSatisfied(echo, obj, deleted)) this.echoes.delete(id);
  }

  pendingEchoes(): string[] {
    const now = Date.now();
    for (const [id, echo] of [...this.echoes]) {
      if (echo.deadline < now) {
        this.log(`no watch event for write ${id} within ${ECHO_TIMEOUT_MS} ms; not waiting for it`);
        this.echoes.delete(id);
      }
    }
    return [...this.echoes.keys()];
  }

  writes(): Record<WriteVerb, number> {
    return { ...this.writeCounts };
  }

  async event(parent: Obj, reason: string, message: string): Promise<void> {
    if (this.options.events === false) return;
    const m = meta(parent);
    const namespace = m.namespace ?? "default";
    const now = new Date().toISOString();
    await this.client
      .request("POST", `/api/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: `${m.name ?? "parent"}.${randomBytes(8).toString("hex")}`, namespace },
          involvedObject: {
            apiVersion: parent["apiVersion"],
            kind: parent["kind"],
            name: m.name,
            namespace: m.namespace,
            uid: m.uid,
            resourceVersion: m.resourceVersion,
          },
          reason,
          message: message.slice(0, 1024),
          type: "Warning",
          source: { component: "metacontroller" },
          reportingComponent: "metacontroller",
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch(() => undefined);
  }
}

interface ChildRule {
  readonly resource: ApiResource;
  readonly informer: Informer;
  readonly method: UpdateMethod | undefined;
}

class ParentController {
  readonly name: string;
  readonly queue = new WorkQueue();
  private parentResource!: ApiResource;
  private parentInformer!: Informer;
  private readonly children: ChildRule[] = [];
  /** updateStrategy by `<group>/<Kind>`. */
  private readonly methods = new Map<string, UpdateMethod>();
  private readonly parentSelector: Selector | undefined;
  private readonly finalizerName: string;
  private readonly finalizeEnabled: boolean;
  private readonly customizeCache = new Map<
    string,
    { generation: number; at: number; rules: RelatedResourceRule[] }
  >();
  private readonly relatedInformers = new Set<Informer>();
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly controllerBody: JsonObject;

  constructor(
    private readonly rt: Runtime,
    readonly cc: CompositeController,
  ) {
    this.name = cc.metadata.name;
    this.finalizerName = `metacontroller.io/compositecontroller-${this.name}`;
    this.finalizeEnabled = cc.spec.hooks?.finalize !== undefined;
    this.parentSelector =
      cc.spec.parentResource.labelSelector === undefined
        ? undefined
        : compileSelector(cc.spec.parentResource.labelSelector as LabelSelector);
    // What Metacontroller serializes as `controller`: the object with an empty status.
    this.controllerBody = { ...clone<JsonObject>(cc as unknown as JsonObject), status: {} };
  }

  private log(line: string): void {
    this.rt.log(`[${this.name}] ${line}`);
  }

  // -------------------------------------------------------------------------------------------
  // Start-up

  private async discover(what: () => Promise<ApiResource>): Promise<ApiResource> {
    const deadline = Date.now() + (this.rt.options.discoveryTimeoutMs ?? 30_000);
    for (;;) {
      try {
        return await what();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  async start(): Promise<void> {
    const { spec } = this.cc;
    for (const hookName of ["sync", "finalize", "customize"] as const) {
      const webhook = spec.hooks?.[hookName]?.webhook as Record<string, unknown> | undefined;
      for (const field of UNSUPPORTED_WEBHOOK_FIELDS) {
        if (webhook?.[field] !== undefined) {
          throw new Error(
            `CompositeController ${this.name}: hooks.${hookName}.webhook.${field} is not supported by the test harness`,
          );
        }
      }
    }
    if (spec.hooks === undefined) throw new Error(`CompositeController ${this.name}: no hooks defined`);

    this.parentResource = await this.discover(() =>
      this.rt.discovery.byResource(spec.parentResource.apiVersion, spec.parentResource.resource),
    );
    await this.checkStatusSubresource();

    for (const child of spec.childResources ?? []) {
      const method = child.updateStrategy?.method;
      if (method === "RollingRecreate" || method === "RollingInPlace") {
        throw new Error(
          `CompositeController ${this.name}: updateStrategy ${method} (${child.resource}) is not supported by the test harness (no ControllerRevisions)`,
        );
      }
      const resource = await this.discover(() =>
        this.rt.discovery.byResource(child.apiVersion, child.resource),
      );
      if (method !== undefined) this.methods.set(`${resource.group}/${resource.kind}`, method);
      this.children.push({ resource, informer: this.rt.informer(resource), method });
    }

    this.parentInformer = this.rt.informer(this.parentResource);
    this.parentInformer.addHandlers({
      add: (obj) => this.enqueueParent(obj),
      update: (old, cur) => this.updateParent(old, cur),
      delete: (obj) => {
        this.customizeCache.delete(meta(obj).uid ?? "");
        this.enqueueParent(obj);
      },
    });
    for (const child of this.children) {
      child.informer.addHandlers({
        add: (obj) => this.onChildAdd(obj),
        update: (old, cur) => {
          // No-op updates (relists) are ignored; the parent resync covers them.
          if (meta(old).resourceVersion !== meta(cur).resourceVersion) this.onChildAdd(cur);
        },
        delete: (obj) => this.onChildDelete(obj),
      });
    }
    await Promise.all([this.parentInformer.start(), ...this.children.map((c) => c.informer.start())]);

    const workers = this.rt.options.workers ?? 5;
    this.workers = Array.from({ length: workers }, () => this.worker());
    if (spec.resyncPeriodSeconds !== undefined) {
      const periodMs = Math.max(1, spec.resyncPeriodSeconds) * 1000;
      this.resyncTimer = setInterval(() => this.resyncAll(), periodMs);
    }
    this.log(`started: parent ${this.parentResource.plural}.${this.parentResource.apiVersion}`);
  }

  /** Metacontroller ignores a CompositeController whose parent CRD has no status subresource. */
  private async checkStatusSubresource(): Promise<void> {
    const { group, version, plural } = this.parentResource;
    const crdName = `${plural}.${group}`;
    const response = await this.rt.client.request(
      "GET",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`,
    );
    if (response.status !== 200) {
      throw new Error(
        `Ignoring CompositeController ${this.name}: can't get CRD ${crdName} (${response.status}); parents must be custom resources`,
      );
    }
    const versions = ((
      response.body as { spec?: { versions?: { name: string; subresources?: { status?: unknown } }[] } }
    ).spec?.versions ?? []) as { name: string; subresources?: { status?: unknown } }[];
    const served = versions.find((v) => v.name === version);
    if (served?.subresources?.status === undefined) {
      throw new Error(
        `Ignoring CompositeController ${this.name}: subresource 'Status' not enabled for ${crdName} version ${version}`,
      );
    }
  }

  async stop(): Promise<void> {
    if (this.resyncTimer !== undefined) clearInterval(this.resyncTimer);
    this.queue.shutdown();
    await Promise.all(this.workers);
  }

  // -------------------------------------------------------------------------------------------
  // Event handlers (controller.go)

  private doesNotMatchLabels(obj: Obj): boolean {
    return this.parentSelector !== undefined && !this.parentSelector.matches(meta(obj).labels);
  }

  private hasFinalizer(obj: Obj): boolean {
    return finalizersOf(obj).includes(this.finalizerName);
  }

  enqueueParent(parent: Obj): void {
    if (!this.hasFinalizer(parent) && this.doesNotMatchLabels(parent)) return;
    this.queue.add(objectKey(parent));
  }

  private updateParent(old: Obj, cur: Obj): void {
    if (this.cc.spec.parentResource.ignoreStatusChanges === true) {
      const o = meta(old);
      const c = meta(cur);
      if (
        o.generation === c.generation &&
        deepEqual(o.labels ?? null, c.labels ?? null) &&
        deepEqual(metadataOf(old)["annotations"] ?? null, metadataOf(cur)["annotations"] ?? null) &&
        !isDeleting(cur) &&
        // v4.17.2: resyncs (same resourceVersion) are not dropped.
        o.resourceVersion !== c.resourceVersion
      ) {
        return;
      }
    }
    this.enqueueParent(cur);
  }

  resyncAll(): void {
    for (const parent of this.parentInformer.list()) this.enqueueParent(parent);
  }

  private resolveControllerRef(childNamespace: string | undefined, ref: OwnerReference): Obj | undefined {
    if (splitApiVersion(ref.apiVersion).group !== this.parentResource.group) return undefined;
    if (ref.kind !== this.parentResource.kind) return undefined;
    const key = this.parentResource.namespaced ? `${childNamespace ?? ""}/${ref.name}` : ref.name;
    const parent = this.parentInformer.get(key);
    if (parent === undefined || meta(parent).uid !== ref.uid) return undefined;
    if (!this.hasFinalizer(parent) && this.doesNotMatchLabels(parent)) return undefined;
    return parent;
  }

  private onChildAdd(child: Obj): void {
    if (isDeleting(child)) {
      this.onChildDelete(child);
      return;
    }
    const ref = controllerOf(child);
    if (ref !== undefined) {
      const parent = this.resolveControllerRef(meta(child).namespace, ref);
      if (parent !== undefined) this.enqueueParent(parent);
      return;
    }
    // An orphan: every parent whose selector matches may want to adopt it.
    const ns = meta(child).namespace ?? "";
    const candidates = this.parentResource.namespaced
      ? this.parentInformer.list(ns)
      : this.parentInformer.list();
    for (const parent of candidates) {
      let selector: Selector;
      try {
        selector = this.makeSelector(parent);
      } catch {
        continue;
      }
      if (!selector.empty && selector.matches(meta(child).labels)) this.enqueueParent(parent);
    }
  }

  private onChildDelete(child: Obj): void {
    const ref = controllerOf(child);
    if (ref === undefined) return;
    const parent = this.resolveControllerRef(meta(child).namespace, ref);
    if (parent !== undefined) this.enqueueParent(parent);
  }

  // -------------------------------------------------------------------------------------------
  // Queue

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.syncKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async syncKey(key: string): Promise<void> {
    const parent = this.parentInformer.get(key);
    if (parent === undefined) {
      this.queue.forget(key); // deleted: nothing to do
      return;
    }
    try {
      await this.syncParent(parent);
      this.queue.forget(key);
      this.rt.syncs += 1;
    } catch (err) {
      if (this.rt.stopping.signal.aborted) return;
      if (err instanceof TooManyRequestsError) {
        this.log(`${key}: hook answered 429, resync after ${err.afterSeconds}s`);
        this.queue.forget(key);
        this.queue.addAfter(key, err.afterSeconds * 1000, "backoff");
        return;
      }
      this.rt.syncErrors += 1;
      const delay = this.queue.addRateLimited(key);
      const message = err instanceof Error ? err.message : String(err);
      this.log(`SyncError ${this.parentResource.kind} ${key}: ${message} (retry in ${delay} ms)`);
      await this.rt.event(parent, "SyncError", `Sync error: ${message}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sync (syncParentObject)

  private async syncParent(cached: Obj): Promise<void> {
    let parent = cached;
    if (!this.hasFinalizer(parent) && this.doesNotMatchLabels(parent)) return;

    parent = await this.syncFinalizer(parent);
    if (!this.hasFinalizer(parent) && this.doesNotMatchLabels(parent)) return;

    const observed = await this.claimChildren(parent);
    const related = await this.relatedObjects(parent);
    const response = await this.callSyncHook(parent, observed, related);

    // applyNamespaceDefaults
    const parentNamespace = meta(parent).namespace;
    const desiredList = response.children.map((child) => {
      const obj = clone(child);
      const m = metadataOf(obj);
      if ((m["namespace"] === undefined || m["namespace"] === "") && parentNamespace !== undefined) {
        m["namespace"] = parentNamespace;
      }
      return obj;
    });

    if (response.resyncAfterSeconds > 0) {
      this.queue.addAfter(objectKey(parent), response.resyncAfterSeconds * 1000, "resync");
    }
    if (response.finalized) parent = await this.updateFinalizer(parent, false);

    // Every desired child must match the parent's selector (with generateSelector, after adding
    // controller-uid to those that lack it), or the whole sync fails before any write.
    const selector = this.makeSelector(parent);
    for (const obj of desiredList) {
      const m = metadataOf(obj);
      const labels = m["labels"];
      if (
        labels !== undefined &&
        labels !== null &&
        (!isObject(labels) || Object.values(labels).some((v) => typeof v !== "string"))
      ) {
        throw new Error(`invalid labels on desired child ${describe(obj)}`);
      }
      if (this.cc.spec.generateSelector === true) {
        const l = isObject(labels) ? labels : (m["labels"] = {});
        if (!Object.hasOwn(l, CONTROLLER_UID_LABEL)) l[CONTROLLER_UID_LABEL] = meta(parent).uid ?? "";
      }
      if (!selector.matches(m["labels"] as Record<string, string> | undefined)) {
        throw new Error(`labels on desired child ${describe(obj)} don't match parent selector`);
      }
    }
    const desired: ObjectMap = new Map();
    for (const obj of desiredList) {
      const type = typeKey(str(obj["apiVersion"]), str(obj["kind"]));
      if (!desired.has(type)) desired.set(type, new Map());
      desired.get(type)?.set(objectKey(obj), obj);
    }

    let manageError: unknown;
    if (!isDeleting(parent) || this.shouldFinalize(parent)) {
      manageError = await this.manageChildren(parent, observed, desired).then(
        () => undefined,
        (err: unknown) => err,
      );
    }

    try {
      await this.updateStatus(parent, response.status);
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw new Error(`can't update status for ${describe(parent)}: ${String(err)}`);
    }
    if (manageError !== undefined) {
      throw new Error(`can't reconcile children for ${describe(parent)}: ${message(manageError)}`);
    }
  }

  private shouldFinalize(parent: Obj): boolean {
    if (finalizersOf(parent).some((f) => GC_FINALIZERS.has(f))) return false;
    if (!this.hasFinalizer(parent)) return false;
    return this.finalizeEnabled;
  }

  private makeSelector(parent: Obj): Selector {
    if (this.cc.spec.generateSelector === true) {
      return compileSelector({ matchLabels: { [CONTROLLER_UID_LABEL]: meta(parent).uid ?? "" } });
    }
    const selector = (parent["spec"] as { selector?: LabelSelector } | undefined)?.selector;
    if (
      selector === undefined ||
      (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
    ) {
      throw new Error(".spec.selector must have either matchLabels, matchExpressions, or both");
    }
    return compileSelector(selector);
  }

  // -------------------------------------------------------------------------------------------
  // Writes with GET + PUT and conflict retries (clientset.go AtomicUpdate / AtomicStatusUpdate)

  private async atomicUpdate(
    resource: ApiResource,
    orig: Obj,
    update: (current: Obj) => boolean,
    subresource: "" | "/status" = "",
  ): Promise<Obj> {
    const m = meta(orig);
    const path = resourcePath(resource, m.namespace, m.name ?? "");
    return retryOnConflict(async () => {
      const current = await this.rt.client.call<Obj>("GET", path);
      if (meta(current).uid !== m.uid) {
        throw new ApiError(404, { reason: "NotFound", message: `${path}: uid changed` }, `GET ${path}`);
      }
      if (!update(current)) return current;
      const written = await this.rt.client.call<Obj>("PUT", `${path}${subresource}`, { body: current });
      this.rt.expectEcho(resource, written, false);
      return written;
    });
  }

  private async syncFinalizer(parent: Obj): Promise<Obj> {
    if (this.hasFinalizer(parent) === this.finalizeEnabled) return parent;
    if (this.finalizeEnabled && isDeleting(parent)) return parent;
    try {
      return await this.updateFinalizer(parent, this.finalizeEnabled);
    } catch (err) {
      throw new Error(`can't sync finalizer for ${describe(parent)}: ${String(err)}`);
    }
  }

  private updateFinalizer(parent: Obj, present: boolean): Promise<Obj> {
    return this.atomicUpdate(this.parentResource, parent, (current) => {
      const finalizers = finalizersOf(current);
      if (finalizers.includes(this.finalizerName) === present) return false;
      metadataOf(current)["finalizers"] = present
        ? [...finalizers, this.finalizerName]
        : finalizers.filter((f) => f !== this.finalizerName);
      return true;
    });
  }

  private async updateStatus(parent: Obj, hookStatus: JsonObject | null): Promise<void> {
    const status: JsonObject = hookStatus === null ? {} : clone(hookStatus);
    status["observedGeneration"] = meta(parent).generation ?? 0;
    await this.atomicUpdate(
      this.parentResource,
      parent,
      (current) => {
        if (deepEqual(current["status"], status)) return false;
        current["status"] = status;
        return true;
      },
      "/status",
    );
  }

  // -------------------------------------------------------------------------------------------
  // Claim children (controller_ref_manager.go ClaimObject)

  private async claimChildren(parent: Obj): Promise<ObjectMap> {
    const selector = this.makeSelector(parent);
    const parentUid = meta(parent).uid;
    const parentNamespace = meta(parent).namespace;
    let canAdopt: Promise<void> | undefined;
    const checkCanAdopt = (): Promise<void> =>
      (canAdopt ??= (async () => {
        // Always an uncached read (RecheckDeletionTimestamp).
        const path = resourcePath(this.parentResource, parentNamespace, meta(parent).name ?? "");
        const fresh = await this.rt.client.call<Obj>("GET", path);
        if (meta(fresh).uid !== parentUid) {
          throw new Error(
            `original ${describe(parent)} is gone: got uid ${meta(fresh).uid ?? ""}, wanted ${parentUid ?? ""}`,
          );
        }
        if (isDeleting(fresh))
          throw new Error(
            `${describe(parent)} has just been deleted at ${String(meta(fresh).deletionTimestamp)}`,
          );
      })());

    const claimed: ObjectMap = new Map();
    const errors: unknown[] = [];
    for (const child of this.children) {
      const group = new Map<string, Obj>();
      claimed.set(typeKey(child.resource.apiVersion, child.resource.kind), group);
      const all = this.parentResource.namespaced
        ? child.informer.list(parentNamespace ?? "")
        : child.informer.list();
      for (const obj of all) {
        try {
          if (await this.claimObject(parent, child.resource, obj, selector, checkCanAdopt))
            group.set(objectKey(obj), obj);
        } catch (err) {
          errors.push(err);
        }
      }
    }
    if (errors.length > 0) throw new MultiError(errors);
    return claimed;
  }

  private async claimObject(
    parent: Obj,
    resource: ApiResource,
    obj: Obj,
    selector: Selector,
    canAdopt: () => Promise<void>,
  ): Promise<boolean> {
    const parentUid = meta(parent).uid;
    const ref = controllerOf(obj);
    const matches = selector.matches(meta(obj).labels);
    if (ref !== undefined) {
      if (ref.uid !== parentUid) return false; // someone else's
      if (matches) return true;
      if (isDeleting(parent)) return false;
      // Ours, but the labels no longer match: release it.
      this.log(`releasing ${describe(obj)} from ${describe(parent)}`);
      try {
        await this.atomicUpdate(resource, obj, (current) => {
          metadataOf(current)["ownerReferences"] = ownerRefs(current).filter(
            (r) => r.uid !== parentUid,
          ) as unknown as Json;
          return true;
        });
      } catch (err) {
        if (isNotFound(err) || isGone(err)) return false;
        throw err;
      }
      return false;
    }
    // An orphan.
    if (isDeleting(parent) || !matches || isDeleting(obj)) return false;
    const parentNamespace = meta(parent).namespace;
    if (parentNamespace !== undefined && parentNamespace !== "" && parentNamespace !== meta(obj).namespace)
      return false;
    try {
      await canAdopt();
    } catch (err) {
      throw new Error(`can't adopt ${describe(obj)}: ${String(err)}`);
    }
    this.log(`adopting ${describe(obj)} into ${describe(parent)}`);
    const controllerRef: OwnerReference = {
      apiVersion: this.parentResource.apiVersion,
      kind: this.parentResource.kind,
      name: meta(parent).name ?? "",
      uid: parentUid ?? "",
      controller: true,
      blockOwnerDeletion: true,
    };
    try {
      await this.atomicUpdate(resource, obj, (current) => {
        const refs = ownerRefs(current);
        const index = refs.findIndex((r) => r.uid === controllerRef.uid);
        const next =
          index >= 0 ? refs.map((r, i) => (i === index ? controllerRef : r)) : [...refs, controllerRef];
        metadataOf(current)["ownerReferences"] = next as unknown as Json;
        return true;
      });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Customize and related objects (customize/manager.go)

  private async relatedObjects(parent: Obj): Promise<ObjectMap> {
    const related: ObjectMap = new Map();
    const hook = this.cc.spec.hooks?.customize;
    if (hook === undefined) return related;
    const rules = await this.customizeRules(parent, hook);
    const parentNamespaced = this.parentResource.namespaced;
    const parentNamespace = meta(parent).namespace ?? "";
    for (const rule of rules) {
      const resource = await this.rt.discovery.byResource(rule.apiVersion, rule.resource);
      const informer = await this.relatedInformer(rule, resource);
      const type = typeKey(resource.apiVersion, resource.kind);
      if (!related.has(type)) related.set(type, new Map());
      const group = related.get(type) as Map<string, Obj>;
      for (const obj of this.selectRelated(rule, informer, parentNamespaced, parentNamespace))
        group.set(objectKey(obj), obj);
    }
    return related;
  }

  private validateRule(
    rule: RelatedResourceRule,
    parentNamespaced: boolean,
    parentNamespace: string,
  ): "labels" | "names" {
    if (rule.namespaceSelector !== undefined) {
      throw new Error(
        `related rule ${rule.resource}: namespaceSelector is not supported by the test harness`,
      );
    }
    const byNames = rule.namespace !== undefined || rule.names !== undefined;
    if (rule.labelSelector !== undefined && byNames) {
      throw new Error(
        `related rule cannot have both labelSelector and Namespace/Names specified: ${JSON.stringify(rule)}`,
      );
    }
    if (parentNamespaced && rule.namespace !== undefined && rule.namespace !== parentNamespace) {
      throw new Error(
        `requested related object namespace ${rule.namespace} differs from parent object namespace ${parentNamespace}`,
      );
    }
    return byNames ? "names" : "labels";
  }

  private selectRelated(
    rule: RelatedResourceRule,
    informer: Informer,
    parentNamespaced: boolean,
    parentNamespace: string,
  ): Obj[] {
    const kind = this.validateRule(rule, parentNamespaced, parentNamespace);
    const ns = parentNamespaced ? parentNamespace : rule.namespace;
    const candidates = informer.list(ns);
    if (kind === "labels") {
      const selector = compileSelector(rule.labelSelector as LabelSelector | undefined);
      return candidates.filter((obj) => selector.matches(meta(obj).labels));
    }
    return rule.names === undefined
      ? candidates
      : candidates.filter((obj) => rule.names?.includes(meta(obj).name ?? "") ?? false);
  }

  private async relatedInformer(rule: RelatedResourceRule, resource: ApiResource): Promise<Informer> {
    const informer = this.rt.informer(resource);
    if (!this.relatedInformers.has(informer)) {
      this.relatedInformers.add(informer);
      // Metacontroller matches a related object against every rule of every parent; here only
      // rules for the object's own resource are considered (fewer spurious syncs, same outcome).
      const sameResource = (r: RelatedResourceRule): boolean =>
        r.apiVersion === rule.apiVersion && r.resource === rule.resource;
      informer.addHandlers({
        add: (obj) => this.onRelated(sameResource, [obj]),
        update: (old, cur) => {
          if (meta(old).resourceVersion !== meta(cur).resourceVersion)
            this.onRelated(sameResource, [old, cur]);
        },
        delete: (obj) => this.onRelated(sameResource, [obj]),
      });
    }
    await informer.start();
    return informer;
  }

  private onRelated(forResource: (rule: RelatedResourceRule) => boolean, objects: Obj[]): void {
    const parentNamespaced = this.parentResource.namespaced;
    for (const parent of this.parentInformer.list()) {
      const cached = this.customizeCache.get(meta(parent).uid ?? "");
      if (cached === undefined || cached.generation !== (meta(parent).generation ?? 0)) continue;
      const parentNamespace = meta(parent).namespace ?? "";
      const hit = cached.rules.filter(forResource).some((rule) =>
        objects.some((obj) => {
          try {
            const kind = this.validateRule(rule, parentNamespaced, parentNamespace);
            if (parentNamespaced && meta(obj).namespace !== parentNamespace) return false;
            if (!parentNamespaced && rule.namespace !== undefined && meta(obj).namespace !== rule.namespace)
              return false;
            if (kind === "labels")
              return compileSelector(rule.labelSelector as LabelSelector | undefined).matches(
                meta(obj).labels,
              );
            return rule.names === undefined || rule.names.includes(meta(obj).name ?? "");
          } catch {
            return false;
          }
        }),
      );
      if (hit) this.enqueueParent(parent);
    }
  }

  private async customizeRules(parent: Obj, hook: Hook): Promise<RelatedResourceRule[]> {
    const uid = meta(parent).uid ?? "";
    const generation = meta(parent).generation ?? 0;
    const cached = this.customizeCache.get(uid);
    if (
      cached !== undefined &&
      cached.generation === generation &&
      Date.now() - cached.at < CUSTOMIZE_CACHE_MS
    ) {
      return cached.rules;
    }
    const text = await this.callHook("customize", hook, { controller: this.controllerBody, parent });
    const rules = decodeCustomizeResponse(text);
    this.customizeCache.set(uid, { generation, at: Date.now(), rules });
    return rules;
  }

  // -------------------------------------------------------------------------------------------
  // Hook calls (hooks/webhook.go)

  private async callHook(name: string, hook: Hook, body: unknown): Promise<string> {
    if (hook.webhook === undefined) throw new HookError(`${name} hook has no webhook`);
    const original = webhookUrl(hook.webhook);
    const url = this.rt.options.hookBaseUrl?.(original) ?? original;
    const timeoutMs = webhookTimeoutMs(hook.webhook);
    this.rt.hookCalls += 1;
    try {
      let response: Response;
      let text: string;
      try {
        const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.rt.stopping.signal]);
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal,
        });
        if (response.status === 429) {
          await response.body?.cancel();
          throw new TooManyRequestsError(retryAfterSeconds(response.headers.get("retry-after"), new Date()));
        }
        text = await response.text();
      } catch (err) {
        if (err instanceof TooManyRequestsError) throw err;
        const cause =
          err instanceof Error && err.name === "TimeoutError" ? `timeout after ${timeoutMs} ms` : String(err);
        throw new HookError(`${name} hook failed: http error: ${cause}`);
      }
      if (response.status !== 200) {
        throw new HookError(`${name} hook failed: unsupported status code: ${response.status} body: ${text}`);
      }
      return text;
    } catch (err) {
      this.rt.hookFailures += 1;
      throw err;
    }
  }

  private requestMap(objects: ObjectMap, hookVersion: string): Record<string, Record<string, Obj>> {
    const out: Record<string, Record<string, Obj>> = {};
    const parentNamespaced = this.parentResource.namespaced;
    for (const [type, group] of objects) {
      const inner: Record<string, Obj> = {};
      for (const obj of [...group.values()].sort((a, b) => (objectKey(a) < objectKey(b) ? -1 : 1))) {
        const ns = meta(obj).namespace;
        const name = meta(obj).name ?? "";
        const namespacedChild = ns !== undefined && ns !== "";
        // v1 (RelativeObjectMap): the name, unless a cluster-scoped parent has a namespaced child.
        // v2 (UniformObjectMap): `<namespace>/<name>` for every namespaced child.
        const key =
          hookVersion === "v2"
            ? namespacedChild
              ? `${ns}/${name}`
              : name
            : namespacedChild && !parentNamespaced
              ? `${ns}/${name}`
              : name;
        inner[key] = obj;
      }
      out[type] = inner;
    }
    return out;
  }

  private async callSyncHook(
    parent: Obj,
    observed: ObjectMap,
    related: ObjectMap,
  ): Promise<SyncHookResponse> {
    const hooks = this.cc.spec.hooks;
    const finalizing = isDeleting(parent) && hooks?.finalize !== undefined;
    const hook = finalizing ? hooks?.finalize : hooks?.sync;
    const name = finalizing ? "finalize" : "sync";
    if (hook === undefined) throw new HookError("sync hook not defined");
    const version = hook.version ?? DEFAULT_HOOK_VERSION;
    const text = await this.callHook(name, hook, {
      controller: this.controllerBody,
      parent,
      children: this.requestMap(observed, version),
      related: this.requestMap(related, version),
      finalizing,
    });
    const strict =
      (hook.webhook?.responseUnMarshallMode ?? (version === "v2" ? "strict" : "loose")) === "strict";
    return decodeSyncResponse(text, strict);
  }

  // -------------------------------------------------------------------------------------------
  // ManageChildren (manage_children.go, dynamic apply)

  private async manageChildren(parent: Obj, observed: ObjectMap, desired: ObjectMap): Promise<void> {
    const errors: unknown[] = [];
    // The API resource of one group of children, or undefined (error recorded) when discovery fails.
    const resourceOf = async (group: Map<string, Obj>): Promise<ApiResource | undefined> => {
      const sample = group.values().next().value;
      if (sample === undefined) return undefined;
      try {
        return await this.rt.discovery.byKind(str(sample["apiVersion"]), str(sample["kind"]));
      } catch (err) {
        errors.push(err);
        return undefined;
      }
    };

    // Delete observed children that are not desired (exact apiVersion + kind + namespace/name).
    for (const [type, group] of observed) {
      const resource = await resourceOf(group);
      if (resource === undefined) continue;
      for (const [key, obj] of group) {
        if (isDeleting(obj)) continue;
        if (desired.get(type)?.has(key) === true) continue;
        this.log(`deleting ${describe(obj)} (not desired)`);
        try {
          await this.deleteChild(resource, obj);
        } catch (err) {
          errors.push(new Error(`can't delete ${describe(obj)}: ${String(err)}`));
        }
      }
    }

    // Create or update desired children.
    for (const [type, group] of desired) {
      const resource = await resourceOf(group);
      if (resource === undefined) continue;
      const method = this.methods.get(`${resource.group}/${resource.kind}`);
      for (const [key, obj] of group) {
        const ns = meta(obj).namespace ?? meta(parent).namespace;
        const old = observed.get(type)?.get(key);
        try {
          if (old !== undefined) {
            await this.updateChild(resource, method, old, obj, ns);
          } else {
            await this.createChild(resource, parent, obj, ns);
          }
        } catch (err) {
          errors.push(err);
        }
      }
    }
    if (errors.length > 0) throw new MultiError(errors);
  }

  private async deleteChild(resource: ApiResource, obj: Obj): Promise<void> {
    const m = meta(obj);
    const path = resourcePath(resource, m.namespace, m.name ?? "");
    const response = await this.rt.client.request("DELETE", path, {
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        preconditions: { uid: m.uid },
      },
    });
    if (response.status === 404) return;
    if (response.status < 200 || response.status >= 300)
      throw new ApiError(response.status, response.body, `DELETE ${path}`);
    // Most kinds answer with the deleted object; some with a Status, then the key is the observed one's.
    const body = response.body as Json;
    this.rt.expectEcho(resource, isObject(body) && body["kind"] !== "Status" ? body : obj, true);
  }

  private async updateChild(
    resource: ApiResource,
    method: UpdateMethod | undefined,
    old: Obj,
    desired: Obj,
    namespace: string | undefined,
  ): Promise<void> {
    const { merged, changed } = applyUpdate(old, desired);
    if (!changed) return;
    if (isDeleting(old)) return; // pending deletion: leave it alone
    switch (method) {
      case undefined:
      case "OnDelete":
        return;
      case "Recreate":
      case "RollingRecreate": {
        this.log(`deleting ${describe(old)} for update (Recreate)`);
        await this.deleteChild(resource, old);
        return;
      }
      case "InPlace":
      case "RollingInPlace": {
        this.log(`updating ${describe(old)} in place`);
        const path = resourcePath(resource, namespace, meta(desired).name ?? "");
        const response = await this.rt.client.request("PUT", path, { body: merged });
        if (response.status === 404 || response.status === 409) return; // the next sync fixes it
        if (response.status < 200 || response.status >= 300)
          throw new ApiError(response.status, response.body, `PUT ${path}`);
        this.rt.expectEcho(resource, response.body, false);
        return;
      }
    }
  }

  private async createChild(
    resource: ApiResource,
    parent: Obj,
    desired: Obj,
    namespace: string | undefined,
  ): Promise<void> {
    const obj = withLastApplied(desired);
    const m = metadataOf(obj);
    const refs = Array.isArray(m["ownerReferences"]) ? m["ownerReferences"] : [];
    const pm = meta(parent);
    m["ownerReferences"] = [
      ...refs,
      {
        apiVersion: str(parent["apiVersion"]),
        kind: str(parent["kind"]),
        name: pm.name ?? "",
        uid: pm.uid ?? "",
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
    this.log(`creating ${describe(obj)}`);
    const path = resourcePath(resource, namespace);
    const response = await this.rt.client.request("POST", path, { body: obj });
    if (response.status === 409 && isAlreadyExists(new ApiError(409, response.body, ""))) return;
    if (response.status < 200 || response.status >= 300)
      throw new ApiError(response.status, response.body, `POST ${path}`);
    this.rt.expectEcho(resource, response.body, false);
  }
}

/** Starts one runtime for all the given CompositeControllers; rejects if any cannot start. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const log = options.log ?? (() => undefined);
  const client = await KubeClient.fromKubeconfig(options.kubeconfigPath);
  const rt = new Runtime(client, options, log);
  const controllers: ParentController[] = [];
  try {
    for (const raw of options.controllers) {
      const parsed = CompositeControllerSchema.safeParse(raw);
      if (!parsed.success) {
        throw new Error(
          `invalid CompositeController ${JSON.stringify((raw as { metadata?: unknown }).metadata)}: ${parsed.error.message}`,
        );
      }
      const controller = new ParentController(rt, parsed.data);
      controllers.push(controller);
      await controller.start();
    }
  } catch (err) {
    rt.stopping.abort();
    await Promise.all(controllers.map((c) => c.stop()));
    await rt.informers.stop();
    throw err;
  }

  const settleMs = options.idleSettleMs ?? 200;
  let stopped = false;
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      rt.stopping.abort();
      await Promise.all(controllers.map((c) => c.stop()));
      await rt.informers.stop();
    },
    async idle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let quietSince: number | undefined;
      for (;;) {
        const busy = controllers.filter((c) => !c.queue.isIdle());
        const echoes = rt.pendingEchoes();
        const now = Date.now();
        if (busy.length === 0 && echoes.length === 0) {
          quietSince ??= now;
          if (now - quietSince >= settleMs) return;
        } else {
          quietSince = undefined;
        }
        if (now > deadline) {
          const detail = busy.map((c) => `${c.name}: ${c.queue.describe()}`).join("; ");
          throw new Error(
            `harness not idle after ${timeoutMs} ms: ${detail}${echoes.length > 0 ? ` awaiting watch events for ${echoes.join(", ")}` : ""}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    resyncAll() {
      for (const controller of controllers) controller.resyncAll();
      return Promise.resolve();
    },
    counters() {
      const writesByVerb = rt.writes();
      return {
        hookCalls: rt.hookCalls,
        hookFailures: rt.hookFailures,
        writes: writesByVerb.create + writesByVerb.update + writesByVerb.delete + writesByVerb.status,
        writesByVerb,
        syncErrors: rt.syncErrors,
        syncs: rt.syncs,
      };
    },
  };
}
