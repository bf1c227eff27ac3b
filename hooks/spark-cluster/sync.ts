/**
 * SparkCluster sync: parent + observed children + now → desired children + status.
 * Pure: no I/O, no clock, no environment.
 */
import type { ChildType, SyncResult } from "../controller.js";
import {
  observedOfType,
  type DesiredObject,
  type KubeObject,
  type SyncRequest,
} from "../metacontroller/protocol.js";
import { isPodLive, isPodReady, isTerminating, keepObserved, mountedConfigMaps } from "../kube/observed.js";
import { planMaster, masterTemplate } from "./master-pod.js";
import { findUserConfigMap } from "../spark/conf.js";
import { LABEL_COMPONENT } from "../spark/labels.js";
import { clusterNameProblem, defaultUserConfigMapName, uiServiceName, type Component } from "./names.js";
import { masterSizing, workerSizing } from "./resources.js";
import { parseSpec, type SparkClusterSpec } from "./schema.js";
import { observedHistoryServer, resolveEventLogTarget, type EventLogTarget } from "../spark/event-log.js";
import { podAdditions, type PodAdditions } from "./pod-additions.js";
import { clusterServices } from "./services.js";
import { executorFootprint } from "../spark/executor-memory.js";
import { clusterConfiguration, roleConfigMap, settingLookup } from "./spark-conf.js";
import { clusterStatus, invalidStatus, type StatusContext } from "./status.js";
import { planWorkers, workerPodsTooLarge, workerTemplate } from "./worker-pods.js";

/** The child types this controller owns; composite-controllers/sparkcluster.yaml lists the same. */
export const CHILD_TYPES = [
  { apiVersion: "v1", kind: "Pod", resource: "pods" },
  { apiVersion: "v1", kind: "Service", resource: "services" },
  { apiVersion: "v1", kind: "ConfigMap", resource: "configmaps" },
] as const satisfies readonly ChildType[];

function podsOf(pods: readonly KubeObject[], component: Component): KubeObject[] {
  return pods.filter((pod) => pod.metadata.labels?.[LABEL_COMPONENT] === component);
}

/** The ConfigMap whose files users want in Spark's conf directory (radanalytics semantics). */
export function userConfigMapName(cluster: string, rawSpec: unknown): string {
  const named =
    typeof rawSpec === "object" && rawSpec !== null
      ? (rawSpec as { sparkConfigurationMap?: unknown }).sparkConfigurationMap
      : undefined;
  return typeof named === "string" && named.length > 0 ? named : defaultUserConfigMapName(cluster);
}

export function syncSparkCluster(request: SyncRequest, now: Date): SyncResult {
  const { parent } = request;
  const cluster = parent.metadata.name;
  const context: StatusContext = {
    cluster,
    namespace: parent.metadata.namespace ?? "default",
    generation: parent.metadata.generation,
    previousStatus: (parent as { status?: unknown }).status,
    now,
  };
  const pods = observedOfType(request.children, "v1", "Pod");

  const errors: string[] = [];
  const nameProblem = clusterNameProblem(cluster);
  if (nameProblem !== undefined) errors.push(nameProblem);
  const parsed = parseSpec((parent as { spec?: unknown }).spec);
  if (!parsed.ok) errors.push(...parsed.errors);
  const spec: SparkClusterSpec | undefined = parsed.ok ? parsed.spec : undefined;
  const related = observedOfType(request.related, "v1", "ConfigMap");
  const eventLog = spec === undefined ? undefined : eventLogTarget(spec, request, errors);
  const additions: PodAdditions | undefined =
    spec === undefined ? undefined : podAdditions(spec, eventLog, errors);
  const configuration =
    spec === undefined || additions === undefined
      ? undefined
      : clusterConfiguration(
          spec,
          findUserConfigMap(related, userConfigMapName(cluster, spec)),
          additions,
          errors,
        );
  const masterSize = spec === undefined ? undefined : masterSizing(spec.master, errors);
  const workerSize =
    spec === undefined || configuration === undefined
      ? undefined
      : workerSizing(spec.worker, executorFootprint(settingLookup(configuration), errors), errors);

  if (
    errors.length > 0 ||
    spec === undefined ||
    masterSize === undefined ||
    workerSize === undefined ||
    configuration === undefined ||
    additions === undefined
  ) {
    return rejectSpec(request, context, errors, pods);
  }

  const masterConf = roleConfigMap(cluster, spec, configuration, "master");
  const workerConf = roleConfigMap(cluster, spec, configuration, "worker");
  const clusterContext = {
    cluster,
    spec,
    configMapNames: { master: masterConf.metadata.name, worker: workerConf.metadata.name },
    additions,
  };
  const workerPod = workerTemplate(clusterContext, workerSize);
  const tooLarge = workerPodsTooLarge(spec.worker.instances, workerPod);
  if (tooLarge !== undefined) return rejectSpec(request, context, [tooLarge], pods);
  const master = planMaster(cluster, masterTemplate(clusterContext, masterSize), podsOf(pods, "master"));
  const workers = planWorkers(cluster, spec.worker.instances, workerPod, podsOf(pods, "worker"));

  const children: DesiredObject[] = [
    masterConf,
    workerConf,
    ...configMapsStillMounted(request, pods, [masterConf, workerConf]),
    ...clusterServices(cluster, spec),
    ...master.children,
    ...workers.children,
  ];
  const status = clusterStatus(context, {
    desiredWorkers: spec.worker.instances,
    webUI: spec.sparkWebUI,
    master,
    workers,
    ...(spec.historyServer === undefined || eventLog === undefined
      ? {}
      : { historyServer: { name: spec.historyServer.name, target: eventLog } }),
  });
  return { response: { status, children }, outcome: "ok" };
}

/**
 * Where the cluster's event logs go, from the SparkHistoryServer named in spec.historyServer
 * (Metacontroller sends it as a related object, see customize.ts) or, until it exists, from the
 * reference's own fields. A history server that names no usable directory is a spec error.
 */
function eventLogTarget(
  spec: SparkClusterSpec,
  request: SyncRequest,
  errors: string[],
): EventLogTarget | undefined {
  const reference = spec.historyServer;
  if (reference === undefined) return undefined;
  const observed = observedHistoryServer(reference, request.related);
  const resolved = resolveEventLogTarget(
    reference,
    observed === undefined ? undefined : { spec: observed.spec },
  );
  if (resolved.ok) return resolved.target;
  errors.push(`spec.historyServer: ${resolved.message}`);
  return undefined;
}

/**
 * Older configurations that pods still mount. The kubelet needs a pod's ConfigMap volumes to
 * (re)start its containers, so each one stays while a pod that may still (re)start mounts it,
 * also while that pod waits to be replaced or removed, and goes with the last such pod.
 */
function configMapsStillMounted(
  request: SyncRequest,
  pods: readonly KubeObject[],
  desired: readonly DesiredObject[],
): DesiredObject[] {
  const mounted = new Set(pods.filter(isPodLive).flatMap(mountedConfigMaps));
  const current = new Set(desired.map((child) => child.metadata.name));
  return observedOfType(request.children, "v1", "ConfigMap")
    .filter(({ metadata: { name } }) => mounted.has(name) && !current.has(name))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map(keepObserved);
}

/**
 * Metacontroller deletes every observed child a 200 answer leaves out, so a spec we cannot act
 * on keeps every child exactly as it is and explains itself in the status.
 */
function rejectSpec(
  request: SyncRequest,
  context: StatusContext,
  errors: readonly string[],
  pods: readonly KubeObject[],
): SyncResult {
  const children = CHILD_TYPES.flatMap(({ apiVersion, kind }) =>
    observedOfType(request.children, apiVersion, kind).map(keepObserved),
  );
  const livePods = pods.filter((pod) => !isTerminating(pod));
  const workers = podsOf(livePods, "worker");
  const services = observedOfType(request.children, "v1", "Service");
  const status = invalidStatus(context, {
    errors,
    masterReady: podsOf(livePods, "master").some(isPodReady),
    readyWorkers: workers.filter(isPodReady).length,
    workerPods: workers.length,
    webUI: services.some((service) => service.metadata.name === uiServiceName(context.cluster)),
  });
  return { response: { status, children }, outcome: "invalid_spec" };
}
