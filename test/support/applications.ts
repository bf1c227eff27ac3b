/**
 * Driving the SparkApplication hook the way Metacontroller does: build the parent, POST a sync
 * (or finalize, or customize) to the HTTP app, write the answer's status back onto the parent,
 * create what it asks for and delete what it leaves out, and move the observed driver pod
 * through the states the kubelet reports. Executors are what Spark's driver would create:
 * related pods with the executor template's labels and the run's spark-app-selector.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYaml } from "../../hooks/cli/render.js";
import type { App } from "../../hooks/server/app.js";
import type {
  CustomizeResponse,
  DesiredObject,
  KubeObject,
  SyncRequest,
  SyncResponse,
} from "../../hooks/metacontroller/protocol.js";
import { typeKey } from "../../hooks/metacontroller/protocol.js";
import { formatTime } from "../../hooks/kube/conditions.js";
import { HISTORY_SERVER_API_VERSION, HISTORY_SERVER_KIND } from "../../hooks/spark/event-log.js";
import { SPARK_APP_SELECTOR, SPARK_ROLE, selectorLabels } from "../../hooks/spark/labels.js";
import { DRIVER_CONTAINER } from "../../hooks/spark-application/driver-pod.js";
import { EXECUTOR_COMPONENT, EXECUTOR_CONTAINER } from "../../hooks/spark-application/executor-template.js";
import { API_VERSION, KIND, SparkApplicationSpec } from "../../hooks/spark-application/schema.js";
import { CHILD_TYPES, syncSparkApplication } from "../../hooks/spark-application/sync.js";
import { structuralSchema } from "../../hooks/crd/structural.js";
import { applyDefaults } from "../crd/structural-rules.js";
import { observe } from "./observe.js";

export const APP_UID = "8d2f6a71-3c1b-4e59-a0d4-7b9e2c5f1a36";
/** The moment the application is created; tests count seconds from here. */
export const T0 = new Date("2026-12-01T10:00:00Z");

export function secondsAfter(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

const examplesDir = join(dirname(fileURLToPath(import.meta.url)), "../../examples/sparkapplication");

const specSchema = structuralSchema(SparkApplicationSpec, { path: "spec" });

/**
 * The SparkApplication of examples/sparkapplication/<file> as Metacontroller reads it once a user
 * applied it: the CRD's defaults filled in by the API server, no status yet.
 */
export function exampleApplication(file: string, createdAt = T0): KubeObject {
  const { documents, errors } = parseYaml(readFileSync(join(examplesDir, file), "utf8"), file);
  if (errors.length > 0) throw new Error(errors.join("\n"));
  const found = (documents as KubeObject[]).find((document) => document.kind === KIND);
  if (found === undefined) throw new Error(`${file}: no ${KIND}`);
  return {
    ...found,
    metadata: { ...found.metadata, uid: APP_UID, generation: 1, creationTimestamp: formatTime(createdAt) },
    spec: applyDefaults((found as { spec?: unknown }).spec, specSchema),
  };
}

export function applicationParent(
  spec: unknown,
  options: { name?: string; namespace?: string; generation?: number; status?: unknown } = {},
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: options.name ?? "spark-pi",
      namespace: options.namespace ?? "default",
      uid: APP_UID,
      generation: options.generation ?? 1,
      creationTimestamp: formatTime(T0),
    },
    spec,
    ...(options.status === undefined ? {} : { status: options.status }),
  };
}

/** Metacontroller sends one (possibly empty) map per child type of the CompositeController. */
export function byType(
  objects: readonly KubeObject[],
  types: readonly { apiVersion: string; kind: string }[] = CHILD_TYPES,
): SyncRequest["children"] {
  const grouped: Record<string, Record<string, KubeObject>> = Object.fromEntries(
    types.map((type) => [typeKey(type.apiVersion, type.kind), {}]),
  );
  for (const object of objects) {
    const key = typeKey(object.apiVersion, object.kind);
    grouped[key] = { ...grouped[key], [object.metadata.name]: object };
  }
  return grouped;
}

/**
 * The related objects the customize rules select: one map per rule, empty or not, as
 * Metacontroller's GetRelatedObjects initialises a group for each rule before listing it.
 */
function relatedByType(parent: KubeObject, objects: readonly KubeObject[]): SyncRequest["related"] {
  const spec = (parent as { spec?: { sparkConfigMap?: unknown; historyServer?: unknown } }).spec;
  const sparkConfigMap = spec?.sparkConfigMap;
  return byType(objects, [
    { apiVersion: "v1", kind: "Pod" },
    ...(typeof sparkConfigMap === "string" && sparkConfigMap !== ""
      ? [{ apiVersion: "v1", kind: "ConfigMap" }]
      : []),
    ...(spec?.historyServer === undefined
      ? []
      : [{ apiVersion: HISTORY_SERVER_API_VERSION, kind: HISTORY_SERVER_KIND }]),
  ]);
}

/** A SparkHistoryServer as Metacontroller observes it, for spec.historyServer to find. */
export function historyServer(
  name: string,
  spec: Record<string, unknown> = {},
  namespace = "default",
): KubeObject {
  return {
    apiVersion: HISTORY_SERVER_API_VERSION,
    kind: HISTORY_SERVER_KIND,
    metadata: { name, namespace, uid: `uid-${name}`, generation: 1 },
    spec,
  };
}

export function applicationRequest(
  parent: KubeObject,
  children: readonly KubeObject[] = [],
  related: readonly KubeObject[] = [],
  finalizing = false,
): SyncRequest {
  return { parent, children: byType(children), related: relatedByType(parent, related), finalizing };
}

export interface HookAnswer<T> {
  readonly status: number;
  /** The body exactly as sent, for byte comparisons. */
  readonly text: string;
  readonly body: T;
}

async function post<T>(app: App, path: string, request: unknown): Promise<HookAnswer<T>> {
  const res = await app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as T };
}

export type SyncAnswer = SyncResponse & { readonly status: Record<string, unknown> };

export function postSync(app: App, request: SyncRequest): Promise<HookAnswer<SyncAnswer>> {
  return post(app, "/sparkapplications/sync", request);
}

export function postFinalize(app: App, request: SyncRequest): Promise<HookAnswer<SyncAnswer>> {
  const { finalizing: _ignored, ...body } = request;
  return post(app, "/sparkapplications/finalize", body);
}

export function postCustomize(app: App, parent: KubeObject): Promise<HookAnswer<CustomizeResponse>> {
  return post(app, "/sparkapplications/customize", { parent });
}

/** The application as Metacontroller and its cluster hold it between two syncs. */
export interface World {
  readonly parent: KubeObject;
  readonly children: readonly KubeObject[];
  /** Executor pods (and a spec.sparkConfigMap) the customize rules relate. */
  readonly related: readonly KubeObject[];
}

export function newWorld(parent: KubeObject): World {
  return { parent, children: [], related: [] };
}

/**
 * What Metacontroller makes of an answer: the status written onto the parent (with the
 * generation it saw), every desired child that does not exist created (observed as created at
 * `now`; pods report Running until a test says otherwise), every observed child left out
 * deleted. Existing children stay as observed: pods and ConfigMaps are OnDelete.
 */
export function apply(world: World, answer: SyncAnswer, now: Date): World {
  const parent: KubeObject = {
    ...world.parent,
    status: { ...answer.status, observedGeneration: world.parent.metadata.generation },
  };
  const observed = new Map(world.children.map((child) => [`${child.kind}/${child.metadata.name}`, child]));
  const children = answer.children.map(
    (child, index) =>
      observed.get(`${child.kind}/${child.metadata.name}`) ?? observedAt(child, world.parent, index, now),
  );
  return { ...world, parent, children };
}

/** A desired child as the API server returns it, created at `now`. */
export function observedAt(desired: DesiredObject, parent: KubeObject, index: number, now: Date): KubeObject {
  const object = observe(desired, parent, index);
  return { ...object, metadata: { ...object.metadata, creationTimestamp: formatTime(now) } };
}

/** One sync through the HTTP app at `now`, then the world Metacontroller leaves behind. */
export async function step(
  app: App,
  world: World,
  now: Date,
): Promise<{ answer: SyncAnswer; text: string; world: World }> {
  const { status, body, text } = await postSync(
    app,
    applicationRequest(world.parent, world.children, world.related),
  );
  if (status !== 200) throw new Error(`sync answered ${status}: ${text}`);
  return { answer: body, text, world: apply(world, body, now) };
}

/** The same step without HTTP, for scripts that build requests (test/golden/record-application-requests.ts). */
export function stepDirect(world: World, now: Date): { answer: SyncAnswer; world: World } {
  const answer = syncSparkApplication(applicationRequest(world.parent, world.children, world.related), now)
    .response as SyncAnswer;
  return { answer, world: apply(world, answer, now) };
}

// --- observed children ------------------------------------------------------------------------

export function pods(objects: readonly (KubeObject | DesiredObject)[]): KubeObject[] {
  return objects.filter((object) => object.kind === "Pod") as KubeObject[];
}

export function ofKind<T extends { kind: string }>(objects: readonly T[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind);
}

export function names(objects: readonly { kind: string; metadata: { name: string } }[]): string[] {
  return objects.map((object) => `${object.kind}/${object.metadata.name}`).sort();
}

/** The world with the named child replaced by `change(child)`. */
export function changeChild(world: World, name: string, change: (child: KubeObject) => KubeObject): World {
  if (!world.children.some((child) => child.metadata.name === name)) throw new Error(`no child ${name}`);
  return {
    ...world,
    children: world.children.map((child) => (child.metadata.name === name ? change(child) : child)),
  };
}

function withStatus(pod: KubeObject, status: Record<string, unknown>): KubeObject {
  return { ...pod, status };
}

function terminatedStatus(
  pod: KubeObject,
  phase: "Succeeded" | "Failed",
  container: string,
  terminated: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): KubeObject {
  const previous = (pod.status ?? {}) as Record<string, unknown>;
  return withStatus(pod, {
    ...previous,
    phase,
    conditions: [{ type: "Ready", status: "False", reason: "PodCompleted" }],
    containerStatuses: [
      {
        name: container,
        ready: false,
        restartCount: 0,
        state: { terminated },
      },
    ],
    ...extra,
  });
}

/** Scheduled but its image not pulled yet (or never: ImagePullBackOff). */
export function driverPending(
  pod: KubeObject,
  waiting?: "ImagePullBackOff" | "ContainerCreating",
): KubeObject {
  return withStatus(pod, {
    phase: "Pending",
    conditions: [{ type: "PodScheduled", status: "True" }],
    ...(waiting === undefined
      ? {}
      : {
          containerStatuses: [
            {
              name: DRIVER_CONTAINER,
              ready: false,
              restartCount: 0,
              state: {
                waiting: {
                  reason: waiting,
                  message: 'Back-off pulling image "spark:3.5.5": not found',
                },
              },
            },
          ],
        }),
  });
}

/** The JVM exited 0: SparkContext stopped and the main class returned. */
export function driverSucceeded(pod: KubeObject, finishedAt: Date): KubeObject {
  return terminatedStatus(pod, "Succeeded", DRIVER_CONTAINER, {
    exitCode: 0,
    reason: "Completed",
    startedAt: formatTime(T0),
    finishedAt: formatTime(finishedAt),
  });
}

/** The JVM exited non-zero: the application failed. */
export function driverFailed(pod: KubeObject, finishedAt: Date, exitCode = 1): KubeObject {
  return terminatedStatus(pod, "Failed", DRIVER_CONTAINER, {
    exitCode,
    reason: "Error",
    message: 'Exception in thread "main" java.lang.ArithmeticException: / by zero',
    startedAt: formatTime(T0),
    finishedAt: formatTime(finishedAt),
  });
}

/**
 * Evicted by the kubelet under node pressure, as Kubernetes 1.31+ reports it: phase Failed,
 * reason Evicted, the container killed (137) and a DisruptionTarget condition saying why.
 */
export function driverEvicted(pod: KubeObject, at: Date): KubeObject {
  return terminatedStatus(
    pod,
    "Failed",
    DRIVER_CONTAINER,
    { exitCode: 137, reason: "Error", startedAt: formatTime(T0), finishedAt: formatTime(at) },
    {
      reason: "Evicted",
      message: "The node was low on resource: memory.",
      conditions: [
        {
          type: "DisruptionTarget",
          status: "True",
          reason: "TerminationByKubelet",
          message: "The node was low on resource: memory.",
          lastTransitionTime: formatTime(at),
        },
        { type: "Ready", status: "False", reason: "PodFailed" },
      ],
    },
  );
}

// --- executors ----------------------------------------------------------------------------------

/**
 * An executor as Spark's driver creates it from our template: the template's labels, Spark's
 * own (spark-app-selector of the run, spark-role, spark-exec-id), owned by the driver pod.
 */
export function executorPod(
  appName: string,
  driver: KubeObject,
  id: number,
  phase: "Pending" | "Running" | "Succeeded" | "Failed" = "Running",
): KubeObject {
  const appId = driver.metadata.labels?.[SPARK_APP_SELECTOR];
  if (appId === undefined) throw new Error(`driver ${driver.metadata.name} has no ${SPARK_APP_SELECTOR}`);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${appName}-${appId.slice(6, 14)}-exec-${id}`,
      namespace: driver.metadata.namespace ?? "default",
      uid: `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
      labels: {
        ...selectorLabels(appName, EXECUTOR_COMPONENT),
        [SPARK_APP_SELECTOR]: appId,
        [SPARK_ROLE]: "executor",
        "spark-exec-id": String(id),
      },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "Pod",
          name: driver.metadata.name,
          uid: driver.metadata.uid ?? "",
          controller: true,
        },
      ],
    },
    spec: { containers: [{ name: EXECUTOR_CONTAINER, image: "spark:3.5.5" }] },
    status: { phase },
  };
}

// --- status -------------------------------------------------------------------------------------

export function conditionOf(status: unknown, type: string): Record<string, unknown> | undefined {
  const list = (status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? [];
  return list.find((condition) => condition.type === type);
}

export function stateOf(status: unknown): string | undefined {
  return (status as { applicationState?: { state?: string } } | undefined)?.applicationState?.state;
}
