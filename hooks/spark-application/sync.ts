/**
 * SparkApplication sync and finalize: parent + observed children + related executors + now →
 * desired children + status. Pure: no I/O, no clock, no environment.
 *
 * The children of the current run are its ConfigMap (spark.properties and the executor pod
 * template), its Services and its driver pod; Spark's driver creates the executors. Which run is
 * current and whether its driver should exist is the lifecycle's decision (lifecycle.ts).
 */
import type { ChildType, SyncResult } from "../controller.js";
import { settleConditions } from "../kube/conditions.js";
import { isLabelValue } from "../kube/names.js";
import { keepObserved } from "../kube/observed.js";
import {
  observedOfType,
  type DesiredObject,
  type KubeObject,
  type SyncRequest,
} from "../metacontroller/protocol.js";
import { SPARK_APP_SELECTOR } from "../spark/labels.js";
import { applicationConfigMap } from "./app-configmap.js";
import { driverPod } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import { executorPodTemplate, executorTemplateFile } from "./executor-template.js";
import { currentRecord, decideLifecycle } from "./lifecycle.js";
import { monitoring } from "./monitoring.js";
import {
  driverConfigMapName,
  driverPodName,
  sparkAppId,
  uiServiceName,
  type ApplicationRun,
} from "./names.js";
import { recordFromStatus, RUN_ANNOTATION, runAnnotation, type RunRecord } from "./run-record.js";
import { parseSparkApplicationSpec, type SparkApplicationSpec } from "./schema.js";
import { applicationServices, serviceProblems, uiServicePort } from "./services.js";
import { confDirFileNames, sparkConfigMapFiles } from "./spark-config-map.js";
import {
  driverSparkConf,
  EXECUTOR_TEMPLATE_FILE,
  SPARK_PROPERTIES_FILE,
  sparkPropertiesFile,
} from "./spark-properties.js";
import { linkedEventLog } from "./history-server-link.js";
import { kubeObjectProblems } from "./kube-object-checks.js";
import { runSpecHash } from "./spec-hash.js";
import { applicationStatus, invalidSpecStatus, type StatusContext } from "./status.js";
import { TERMINAL_STATES } from "./status-schema.js";
import { unsupportedFields, specProblems } from "./unsupported.js";

/** The child types this controller owns; composite-controllers/sparkapplication.yaml lists the same. */
export const CHILD_TYPES = [
  { apiVersion: "v1", kind: "Pod", resource: "pods" },
  { apiVersion: "v1", kind: "Service", resource: "services" },
  { apiVersion: "v1", kind: "ConfigMap", resource: "configmaps" },
] as const satisfies readonly ChildType[];

/** How often a finalizing application is looked at again while its children go away. */
const FINALIZE_POLL_SECONDS = 2;

interface Rendered {
  readonly children: DesiredObject[];
  readonly problems: string[];
}

/**
 * Problems of the spec itself that only rendering finds (the driver's size, the Services).
 * They are checked before the lifecycle acts: a live application edited to one of them keeps
 * its driver, instead of losing it (INVALIDATING) and then failing to start the next run.
 */
function renderProblems(spec: SparkApplicationSpec): string[] {
  const size = driverSize(spec);
  return [...serviceProblems(spec), ...(size.ok ? [] : size.errors)];
}

/** The children of one run, or the problems that keep it from being rendered. */
function renderRun(
  run: ApplicationRun,
  spec: SparkApplicationSpec,
  record: RunRecord,
  related: SyncRequest["related"],
): Rendered {
  const problems = [...serviceProblems(spec)];
  const size = driverSize(spec);
  if (!size.ok) problems.push(...size.errors);
  const userConf = sparkConfigMapFiles(spec, observedOfType(related, "v1", "ConfigMap"));
  if (!userConf.ok) problems.push(userConf.problem);
  const eventLog = linkedEventLog(spec, related);
  if (!eventLog.ok) problems.push(...eventLog.problems);
  if (!size.ok || !userConf.ok || !eventLog.ok || problems.length > 0) return { children: [], problems };

  const metrics = monitoring(run, spec);
  const template = executorPodTemplate(run, spec, metrics.executor);
  const properties = sparkPropertiesFile(
    driverSparkConf(run, spec, size.size, metrics, userConf.defaults, eventLog.settings),
  );
  const configMap = applicationConfigMap(
    run,
    {
      ...userConf.files,
      ...metrics.files,
      [SPARK_PROPERTIES_FILE]: properties,
      [EXECUTOR_TEMPLATE_FILE]: executorTemplateFile(template),
    },
    userConf.binaryFiles,
  );
  if (!configMap.ok) return { children: [], problems: [configMap.problem] };
  // Only the driver writes event logs, so only its pod mounts the history server's claim.
  const driverAdditions = {
    ...metrics.driver,
    volumes: [...metrics.driver.volumes, ...eventLog.volumes],
    mounts: [...metrics.driver.mounts, ...eventLog.mounts],
  };
  const pod = driverPod(run, spec, size.size, driverAdditions, confDirFileNames(userConf));
  const annotated = {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: { ...pod.metadata.annotations, [RUN_ANNOTATION]: runAnnotation(record) },
    },
  };
  return {
    children: [configMap.configMap, ...applicationServices(run, spec), annotated],
    problems: [],
  };
}

/**
 * A run whose driver pod and ConfigMap both exist keeps them as they are: neither is ever
 * updated (OnDelete), and a run's spec cannot change without a new run. Not rendering them
 * again saves most of a steady sync (the executor template's YAML above all).
 */
function startedRun(
  request: SyncRequest,
  run: ApplicationRun,
  driver: KubeObject | undefined,
): { configMap: DesiredObject; driver: DesiredObject } | undefined {
  if (driver === undefined) return undefined;
  const name = driverConfigMapName(run);
  const configMap = observedOfType(request.children, "v1", "ConfigMap").find(
    (candidate) => candidate.metadata.name === name,
  );
  return configMap === undefined
    ? undefined
    : { configMap: keepObserved(configMap), driver: keepObserved(driver) };
}

function runOf(parent: KubeObject, attempt: number): ApplicationRun {
  return {
    name: parent.metadata.name,
    namespace: parent.metadata.namespace ?? "default",
    uid: parent.metadata.uid ?? "",
    attempt,
  };
}

/** Every observed child exactly as it is. */
function everythingObserved(request: SyncRequest): DesiredObject[] {
  return CHILD_TYPES.flatMap(({ apiVersion, kind }) =>
    observedOfType(request.children, apiVersion, kind).map(keepObserved),
  );
}

/** The current run's executors among the related pods, by spark-app-selector. */
function executorsOf(request: SyncRequest, appId: string): KubeObject[] {
  return observedOfType(request.related, "v1", "Pod").filter(
    (pod) => pod.metadata.labels?.[SPARK_APP_SELECTOR] === appId,
  );
}

function uiAddress(request: SyncRequest, serviceName: string, port: number): string | undefined {
  const service = observedOfType(request.children, "v1", "Service").find(
    (candidate) => candidate.metadata.name === serviceName,
  );
  const clusterIP = (service?.spec as { clusterIP?: unknown } | undefined)?.clusterIP;
  return typeof clusterIP === "string" && clusterIP !== "" && clusterIP !== "None"
    ? `${clusterIP}:${port}`
    : undefined;
}

/**
 * Deletion: the driver goes first (its executors go with it, owned by it), then everything
 * else; `finalized` only once Metacontroller observes no child at all, so the finalizer outlives
 * the driver process.
 */
function finalize(request: SyncRequest, context: StatusContext): SyncResult {
  const observed = everythingObserved(request);
  const drivers = observedOfType(request.children, "v1", "Pod").length;
  // While a driver pod exists its ConfigMap and Services stay, so a driver that takes its
  // termination grace period to stop keeps its configuration mounted until it is gone.
  const children = drivers > 0 ? observed.filter((child) => child.kind !== "Pod") : [];
  const remaining = observed.length;
  const previous =
    typeof context.previousStatus === "object" && context.previousStatus !== null
      ? (context.previousStatus as Record<string, unknown>)
      : {};
  const { observedGeneration: _generation, conditions: _conditions, ...kept } = previous;
  return {
    response: {
      status: { ...kept, conditions: settleFinalizing(context, remaining) },
      children,
      ...(remaining === 0
        ? { finalized: true }
        : { finalized: false, resyncAfterSeconds: FINALIZE_POLL_SECONDS }),
    },
    outcome: "ok",
  };
}

function settleFinalizing(context: StatusContext, remaining: number) {
  const message =
    remaining === 0
      ? "all children are gone"
      : `waiting for ${remaining} children (driver first) to be deleted`;
  return settleConditions(
    [
      { type: "Ready", status: "False", reason: "Deleting", message },
      { type: "Reconciling", status: remaining === 0 ? "False" : "True", reason: "Finalizing", message },
      { type: "Stalled", status: "False", reason: "Progressing", message: "nothing is stuck" },
    ],
    context.previousStatus,
    context.now,
    context.generation,
  );
}

/**
 * A spec the hook cannot act on keeps every child exactly as it is (Metacontroller deletes
 * every observed child a 200 answer leaves out) and explains itself in the status.
 */
function rejectSpec(
  request: SyncRequest,
  context: StatusContext,
  record: RunRecord,
  errors: readonly string[],
): SyncResult {
  return {
    response: {
      status: invalidSpecStatus(context, record, errors, context.previousStatus),
      children: everythingObserved(request),
    },
    outcome: "invalid_spec",
  };
}

/**
 * The application's name becomes the value of the app.kubernetes.io/instance label of every
 * child and executor, and label values stop at 63 characters (kubeflow refuses such names too).
 */
function nameProblems(name: string): string[] {
  return isLabelValue(name)
    ? []
    : [`metadata.name: ${JSON.stringify(name)} is longer than 63 characters, the most a label value holds`];
}

export function syncSparkApplication(request: SyncRequest, now: Date): SyncResult {
  const { parent } = request;
  const context: StatusContext = {
    generation: parent.metadata.generation,
    previousStatus: (parent as { status?: unknown }).status,
    now,
  };
  if (request.finalizing) return finalize(request, context);

  const pods = observedOfType(request.children, "v1", "Pod");
  const previous = recordFromStatus(context.previousStatus);
  const parsed = parseSparkApplicationSpec((parent as { spec?: unknown }).spec);
  if (!parsed.ok) return rejectSpec(request, context, previous, parsed.errors);
  const spec = parsed.spec;
  const invalid = [...nameProblems(parent.metadata.name), ...kubeObjectProblems(spec), ...specProblems(spec)];
  // Render problems only once the preserved objects are known to have the fields it reads.
  if (invalid.length === 0) invalid.push(...renderProblems(spec));
  if (invalid.length > 0) return rejectSpec(request, context, previous, invalid);

  // A missing spec.sparkConfigMap must not remove a live driver on its way to a rerun that
  // could not start; an application that has ended no longer needs it.
  if (!TERMINAL_STATES.has(previous.state ?? "SUBMITTED")) {
    const userConf = sparkConfigMapFiles(spec, observedOfType(request.related, "v1", "ConfigMap"));
    if (!userConf.ok) return rejectSpec(request, context, previous, [userConf.problem]);
  }

  // spec.historyServer is resolved when a run starts. A spec that is not the current run's
  // (a rerun is coming) is resolved before the lifecycle stops a live driver for a run that
  // could not start; a run already started from this spec does not depend on the history
  // server any more, so its changes neither stop nor block it. The current run is the newer of
  // the status's and the observed driver pods' (a status write may not have arrived yet).
  const specHash = runSpecHash(spec);
  if (currentRecord(previous, pods).specHash !== specHash) {
    const eventLog = linkedEventLog(spec, request.related);
    if (!eventLog.ok) return rejectSpec(request, context, previous, eventLog.problems);
  }

  const lifecycle = decideLifecycle({
    spec,
    specHash,
    previous,
    pods,
    driverPodName: (attempt) => driverPodName(runOf(parent, attempt), spec),
    now,
  });
  const { record } = lifecycle;
  const run = runOf(parent, record.attempt);
  const appId = sparkAppId(run);

  let children: DesiredObject[] = [];
  if (lifecycle.keepDriver) {
    const started = startedRun(request, run, lifecycle.current?.pod);
    if (started !== undefined) {
      children = [started.configMap, ...applicationServices(run, spec), started.driver];
    } else {
      const rendered = renderRun(run, spec, record, request.related);
      if (rendered.problems.length > 0) return rejectSpec(request, context, previous, rendered.problems);
      children = rendered.children.map((child) =>
        child.kind === "Pod" && lifecycle.current !== undefined ? keepObserved(lifecycle.current.pod) : child,
      );
    }
  }

  const uiName = uiServiceName(run);
  const uiPort = uiServicePort(spec);
  const status = applicationStatus(context, {
    lifecycle,
    appId,
    submissionID: appId.replace(/^spark-/, ""),
    driverInfo: lifecycle.keepDriver
      ? {
          podName: driverPodName(run, spec),
          webUIServiceName: uiName,
          webUIPort: uiPort,
          ...optionalAddress(uiAddress(request, uiName, uiPort)),
        }
      : record.attempt === 0
        ? {}
        : { podName: driverPodName(run, spec) },
    executors: executorsOf(request, appId),
    unsupported: unsupportedFields(spec),
  });
  return {
    response: {
      status,
      children,
      ...(lifecycle.resyncAfterSeconds === undefined
        ? {}
        : { resyncAfterSeconds: lifecycle.resyncAfterSeconds }),
    },
    outcome: "ok",
  };
}

function optionalAddress(address: string | undefined): { webUIAddress?: string } {
  return address === undefined ? {} : { webUIAddress: address };
}
