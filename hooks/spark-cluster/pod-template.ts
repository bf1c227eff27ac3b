/**
 * What master and worker pods share: image, security defaults, volumes, scheduling, labels.
 *
 * Pods are immutable children (updateStrategy OnDelete): the pod name ends in a hash of the
 * template rendered here, so any change to it (image, env, resources, configuration) shows up
 * as a pod whose hash is stale, and the hook decides when to replace it.
 */
import type {
  IContainer,
  IContainerPort,
  IEnvVar,
  IPod,
  IPodSecurityContext,
  IPodSpec,
  IProbe,
  ISecurityContext,
  IVolume,
  IVolumeMount,
} from "kubernetes-models/v1";
import { shortHash } from "../kube/names.js";
import {
  ANNOTATION_CONFIG_HASH,
  LABEL_TEMPLATE_HASH,
  LABEL_VERSION,
  selectorLabels,
  type Component,
} from "./names.js";
import type { ContainerResources } from "./resources.js";
import { DEFAULT_IMAGE_REPOSITORY, type SparkClusterSpec } from "./schema.js";
import { SPARK_CONF_DIR } from "./spark-conf.js";

/** uid/gid of the `spark` user in the apache/spark image. */
export const SPARK_UID = 185;
export const SPARK_CLASS = "/opt/spark/bin/spark-class";
/** The image's working directory; its entrypoint writes there before exec-ing our command. */
const WORK_DIR = "/opt/spark/work-dir";

export type NamedPod = IPod & { metadata: { name: string; labels: Record<string, string> } };

export interface ClusterContext {
  readonly cluster: string;
  readonly spec: SparkClusterSpec;
  readonly configMapName: string;
  readonly configHash: string;
}

export interface RoleContainer {
  readonly component: Component;
  readonly args: readonly string[];
  readonly env: readonly IEnvVar[];
  readonly ports: readonly IContainerPort[];
  readonly resources: ContainerResources;
  readonly readinessProbe: IProbe;
  readonly livenessProbe: IProbe;
  readonly startupProbe: IProbe;
  readonly volumes: readonly IVolume[];
  readonly volumeMounts: readonly IVolumeMount[];
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PodTemplate {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: IPodSpec;
  readonly hash: string;
}

export function imageOf(spec: SparkClusterSpec): string {
  return spec.customImage ?? `${DEFAULT_IMAGE_REPOSITORY}:${spec.sparkVersion}`;
}

/** The pod's IP, for `--host`: Spark must bind to and advertise an address it owns. */
export const POD_IP_ENV: IEnvVar = {
  name: "POD_IP",
  valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } },
};

function userEnv(spec: SparkClusterSpec): IEnvVar[] {
  return (spec.env ?? []).map((entry) => {
    const from = entry.valueFrom;
    if (from === undefined) return { name: entry.name, value: entry.value ?? "" };
    const valueFrom = {
      ...(from.secretKeyRef === undefined ? {} : { secretKeyRef: from.secretKeyRef }),
      ...(from.configMapKeyRef === undefined ? {} : { configMapKeyRef: from.configMapKeyRef }),
      ...(from.fieldRef === undefined
        ? {}
        : { fieldRef: { apiVersion: "v1", fieldPath: from.fieldRef.fieldPath } }),
    };
    return { name: entry.name, valueFrom };
  });
}

/** Our variables first; a user variable of the same name replaces ours rather than duplicating it. */
function mergeEnv(ours: readonly IEnvVar[], theirs: readonly IEnvVar[]): IEnvVar[] {
  const overridden = new Set(theirs.map((entry) => entry.name));
  return [...ours.filter((entry) => !overridden.has(entry.name)), ...theirs];
}

function podSecurityContext(spec: SparkClusterSpec): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: SPARK_UID,
    runAsGroup: SPARK_UID,
    fsGroup: SPARK_UID,
    seccompProfile: { type: "RuntimeDefault" },
    ...spec.podSecurityContext,
  };
}

function containerSecurityContext(spec: SparkClusterSpec): ISecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    ...spec.securityContext,
  };
}

/** Writable paths Spark needs with a read-only root filesystem. */
const SHARED_VOLUMES: readonly IVolume[] = [
  { name: "tmp", emptyDir: {} },
  { name: "work-dir", emptyDir: {} },
];

function sharedMounts(): IVolumeMount[] {
  return [
    { name: "spark-conf", mountPath: SPARK_CONF_DIR, readOnly: true },
    { name: "tmp", mountPath: "/tmp" },
    { name: "work-dir", mountPath: WORK_DIR },
  ];
}

export function podTemplate(context: ClusterContext, role: RoleContainer): PodTemplate {
  const { cluster, spec } = context;
  const roleSpec = spec[role.component];
  const container: IContainer = {
    name: `spark-${role.component}`,
    image: imageOf(spec),
    ...(spec.imagePullPolicy === undefined ? {} : { imagePullPolicy: spec.imagePullPolicy }),
    ...(roleSpec.command === undefined ? {} : { command: roleSpec.command }),
    // Arguments go through the image's entrypoint, which execs them: the JVM becomes PID 1
    // and receives SIGTERM directly.
    args: roleSpec.commandArgs ?? [...role.args],
    env: mergeEnv(role.env, userEnv(spec)),
    ports: [...role.ports],
    resources: role.resources,
    readinessProbe: role.readinessProbe,
    livenessProbe: role.livenessProbe,
    startupProbe: role.startupProbe,
    volumeMounts: [...sharedMounts(), ...role.volumeMounts],
    securityContext: containerSecurityContext(spec),
  };
  const podSpec: IPodSpec = {
    containers: [container],
    restartPolicy: "Always",
    // Service links would inject SPARK_MASTER_PORT=tcp://… for a Service named spark-master,
    // which Spark parses as a number and crashes on.
    enableServiceLinks: false,
    ...(spec.serviceAccountName === undefined
      ? { automountServiceAccountToken: false }
      : { serviceAccountName: spec.serviceAccountName }),
    securityContext: podSecurityContext(spec),
    ...(spec.imagePullSecrets === undefined
      ? {}
      : { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
    ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
    ...(spec.affinity === undefined ? {} : { affinity: spec.affinity }),
    ...(spec.nodeTolerations === undefined ? {} : { tolerations: spec.nodeTolerations }),
    volumes: [
      { name: "spark-conf", configMap: { name: context.configMapName } },
      ...SHARED_VOLUMES,
      ...role.volumes,
    ],
  };
  const labels = {
    ...spec.labels,
    ...roleSpec.labels,
    ...selectorLabels(cluster, role.component),
    [LABEL_VERSION]: spec.sparkVersion,
  };
  const annotations = { ...role.annotations, [ANNOTATION_CONFIG_HASH]: context.configHash };
  const hash = shortHash(JSON.stringify([labels, annotations, podSpec]));
  return { labels, annotations, spec: podSpec, hash };
}

export function podFromTemplate(
  template: PodTemplate,
  name: string,
  extraLabels: Readonly<Record<string, string>> = {},
): NamedPod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      labels: { ...template.labels, ...extraLabels, [LABEL_TEMPLATE_HASH]: template.hash },
      annotations: { ...template.annotations },
    },
    spec: template.spec,
  };
}

export function httpProbe(
  port: number,
  options: { periodSeconds: number; failureThreshold: number },
): IProbe {
  return {
    httpGet: { path: "/", port, scheme: "HTTP" },
    periodSeconds: options.periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: options.failureThreshold,
    successThreshold: 1,
  };
}

/** Scrape annotations for the Prometheus servlet on a UI port. */
export function scrapeAnnotations(
  spec: SparkClusterSpec,
  port: number,
  path: string,
): Record<string, string> {
  if (!spec.metrics) return {};
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": path };
}
