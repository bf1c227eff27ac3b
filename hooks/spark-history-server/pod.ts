/**
 * The history server pod: `spark-class org.apache.spark.deploy.history.HistoryServer
 * --properties-file …` as the image's entrypoint passes it through (the JVM becomes PID 1 and
 * gets SIGTERM), with the event log claim, the configuration ConfigMap and the writable
 * directories a read-only root filesystem leaves it.
 *
 * Pods are immutable children (updateStrategy OnDelete): the name ends in a hash of the
 * template, so any change (image, settings through the ConfigMap's content-hashed name,
 * resources, scheduling) is a new pod, and plan() decides when the old one goes.
 */
import type { IContainer, IEnvVar, IPod, IPodSpec, IVolume, IVolumeMount } from "kubernetes-models/v1";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { isPodFinished, isPodReady, isTerminating, keepObserved, podStuckReason } from "../kube/observed.js";
import { shortHash } from "../kube/names.js";
import { SPARK_CONF_DIR, SPARK_DEFAULTS_PATH } from "../spark/conf.js";
import { mergeEnv, userEnv } from "../spark/env.js";
import { launchedWithPasswdEntry, mayRunWithoutPasswdEntry } from "../spark/identity.js";
import { SPARK_CLASS, sparkImage } from "../spark/image.js";
import { LABEL_TEMPLATE_HASH, LABEL_VERSION, selectorLabels } from "../spark/labels.js";
import { jvmHeadroomMiB, resolveResources, type ResolvedResources } from "../spark/memory.js";
import type { ProbeTiming } from "../spark/probes.js";
import {
  containerSecurityContext,
  podSecurityContext,
  WRITABLE_VOLUMES,
  writableMounts,
} from "../spark/security.js";
import { claimName, COMPONENT, podName, UI_PORT_NAME } from "./names.js";
import { DEFAULT_RESOURCES, type SparkHistoryServerSpec } from "./schema.js";

export const HISTORY_SERVER_CLASS = "org.apache.spark.deploy.history.HistoryServer";
/** Where hadoopConfigMap is mounted; HADOOP_CONF_DIR names it, and spark-class puts it on the classpath. */
export const HADOOP_CONF_DIR = "/opt/hadoop/conf";
/** The REST API's version endpoint: answers once the UI is bound, without listing applications. */
export const PROBE_PATH = "/api/v1/version";
/** Below this the history server cannot replay even a small application's log. */
export const MIN_HEAP_MIB = 512;

/** Names of the volumes the pod brings itself; spec.volumes may not reuse them. */
export const OWN_VOLUMES = [
  "spark-conf",
  "tmp",
  "work-dir",
  "event-logs",
  "history-store",
  "hadoop-conf",
] as const;

export interface HistorySizing extends ResolvedResources {
  readonly heapMiB: number;
}

export function historySizing(spec: SparkHistoryServerSpec, errors: string[]): HistorySizing {
  const resolved = resolveResources(spec, DEFAULT_RESOURCES, "spec", errors);
  const heapMiB = resolved.memoryLimitMiB - jvmHeadroomMiB(resolved.memoryLimitMiB);
  if (heapMiB < MIN_HEAP_MIB) {
    errors.push(
      `spec.memory: a limit of ${resolved.resources.limits.memory} leaves ${heapMiB}Mi of heap after ` +
        `JVM headroom; use at least ${MIN_HEAP_MIB + 384}Mi`,
    );
  }
  return { ...resolved, heapMiB };
}

export interface HistoryPodContext {
  readonly server: string;
  readonly spec: SparkHistoryServerSpec;
  readonly configMapName: string;
  readonly sizing: HistorySizing;
  /** Whether the pod mounts the event log claim (type sharedVolume). */
  readonly mountsClaim: boolean;
}

export interface PodTemplate {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: IPodSpec;
  readonly hash: string;
}

function probe(port: number, timing: ProbeTiming) {
  return {
    httpGet: { path: PROBE_PATH, port, scheme: "HTTP" as const },
    periodSeconds: timing.periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: timing.failureThreshold,
    successThreshold: 1,
  };
}

export function historyTemplate(context: HistoryPodContext): PodTemplate {
  const { server, spec } = context;
  const port = spec.internalPort;
  const podSecurity = podSecurityContext(spec.podSecurityContext, { fixedUserIds: spec.fixedUserIds });
  const containerSecurity = containerSecurityContext(spec.securityContext);
  const args = [SPARK_CLASS, HISTORY_SERVER_CLASS, "--properties-file", SPARK_DEFAULTS_PATH];
  const volumes: IVolume[] = [
    { name: "spark-conf", configMap: { name: context.configMapName } },
    ...WRITABLE_VOLUMES,
  ];
  const mounts: IVolumeMount[] = [
    { name: "spark-conf", mountPath: SPARK_CONF_DIR, readOnly: true },
    ...writableMounts(),
  ];
  if (context.mountsClaim) {
    // Read-only: the history server only reads logs, unless the cleaner deletes old ones.
    volumes.push({ name: "event-logs", persistentVolumeClaim: { claimName: claimName(server) } });
    mounts.push({
      name: "event-logs",
      mountPath: spec.sharedVolume.mountPath,
      ...(spec.cleaner.enabled ? {} : { readOnly: true }),
    });
  }
  if (spec.persistentPath !== undefined) {
    volumes.push({ name: "history-store", emptyDir: {} });
    mounts.push({ name: "history-store", mountPath: spec.persistentPath });
  }
  const env: IEnvVar[] = [
    { name: "SPARK_CONF_DIR", value: SPARK_CONF_DIR },
    // spark-class sizes the HistoryServer JVM from SPARK_DAEMON_MEMORY (launcher's SparkClassCommandBuilder).
    { name: "SPARK_DAEMON_MEMORY", value: `${context.sizing.heapMiB}m` },
  ];
  if (spec.hadoopConfigMap !== undefined) {
    volumes.push({ name: "hadoop-conf", configMap: { name: spec.hadoopConfigMap } });
    mounts.push({ name: "hadoop-conf", mountPath: HADOOP_CONF_DIR, readOnly: true });
    env.push({ name: "HADOOP_CONF_DIR", value: HADOOP_CONF_DIR });
  }
  // Preserved as the user wrote them; the API server validates them as core/v1 Volumes on the pod.
  volumes.push(...((spec.volumes ?? []) as unknown as IVolume[]));
  mounts.push(...(spec.volumeMounts ?? []));
  const container: IContainer = {
    name: COMPONENT,
    image: sparkImage(spec),
    ...(spec.imagePullPolicy === undefined ? {} : { imagePullPolicy: spec.imagePullPolicy }),
    args: mayRunWithoutPasswdEntry(podSecurity, containerSecurity) ? launchedWithPasswdEntry(args) : args,
    env: mergeEnv(env, userEnv(spec.env)),
    ...(spec.envFrom === undefined ? {} : { envFrom: spec.envFrom }),
    ports: [{ name: UI_PORT_NAME, containerPort: port, protocol: "TCP" }],
    resources: context.sizing.resources,
    readinessProbe: probe(port, { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: probe(port, { periodSeconds: 20, failureThreshold: 3 }),
    // A JVM on half a CPU takes a while; a first scan of a large log directory happens after the UI binds.
    startupProbe: probe(port, { periodSeconds: 5, failureThreshold: 60 }),
    volumeMounts: mounts,
    securityContext: containerSecurity,
  };
  const podSpec: IPodSpec = {
    containers: [container],
    restartPolicy: "Always",
    enableServiceLinks: false,
    ...(spec.serviceAccountName === undefined
      ? { automountServiceAccountToken: false }
      : { serviceAccountName: spec.serviceAccountName }),
    ...(spec.priorityClassName === undefined ? {} : { priorityClassName: spec.priorityClassName }),
    securityContext: podSecurity,
    ...(spec.imagePullSecrets === undefined
      ? {}
      : { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
    ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
    ...(spec.affinity === undefined ? {} : { affinity: spec.affinity }),
    ...(spec.nodeTolerations === undefined ? {} : { tolerations: spec.nodeTolerations }),
    volumes,
  };
  const labels = { ...spec.labels, ...selectorLabels(server, COMPONENT), [LABEL_VERSION]: spec.sparkVersion };
  const annotations = { ...spec.annotations };
  return {
    labels,
    annotations,
    spec: podSpec,
    hash: shortHash(JSON.stringify([labels, annotations, podSpec])),
  };
}

export type NamedPod = IPod & { metadata: { name: string; labels: Record<string, string> } };

export function podFromTemplate(server: string, template: PodTemplate): NamedPod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName(server, template.hash),
      labels: { ...template.labels, [LABEL_TEMPLATE_HASH]: template.hash },
      ...(Object.keys(template.annotations).length > 0 ? { annotations: { ...template.annotations } } : {}),
    },
    spec: template.spec,
  };
}

export interface PodPlan {
  readonly children: DesiredObject[];
  /** The pod on the current template, when it exists. */
  readonly current: KubeObject | undefined;
  /** Whether any history server pod serves (the Service reaches it). */
  readonly ready: boolean;
  readonly activity: "Creating" | "Starting" | "Replacing" | undefined;
  readonly stuck: string[];
}

/**
 * One pod on the current template. An old pod that is ready keeps serving until the new one is
 * ready (both only read the event logs, so two at once is harmless), then Metacontroller deletes
 * it. A finished pod is never kept; one that holds the current name is deleted first.
 */
export function planPod(server: string, template: PodTemplate, observed: readonly KubeObject[]): PodPlan {
  const desired = podFromTemplate(server, template);
  const live = observed.filter((pod) => !isTerminating(pod) && !isPodFinished(pod));
  const current = live.find((pod) => pod.metadata.name === desired.metadata.name);
  const stuck = live.flatMap((pod) => {
    const reason = podStuckReason(pod);
    return reason === undefined ? [] : [`pod ${pod.metadata.name}: ${reason}`];
  });
  const ready = live.some(isPodReady);
  const others = live.filter((pod) => pod !== current);
  if (current !== undefined && isPodReady(current)) {
    return {
      children: [desired],
      current,
      ready,
      activity: others.length > 0 ? "Replacing" : undefined,
      stuck,
    };
  }
  const nameTaken =
    current === undefined && observed.some((pod) => pod.metadata.name === desired.metadata.name);
  const keep = others
    .filter(isPodReady)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map(keepObserved);
  const activity = others.length > 0 ? "Replacing" : current === undefined ? "Creating" : "Starting";
  return { children: [...(nameTaken ? [] : [desired]), ...keep], current, ready, activity, stuck };
}
