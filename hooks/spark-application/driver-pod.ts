/**
 * The driver Pod with the anatomy Spark's submission client gives it (BasicDriverFeatureStep,
 * DriverCommandFeatureStep, LocalDirsFeatureStep), so the driver started by the image's
 * entrypoint finds its own pod, labels its executors as Spark expects and is reachable on
 * Spark's fixed ports; plus the pod fields kubeflow users set in the spec, which kubeflow applies
 * through its mutating webhook and we put straight into the pod.
 */
import type { IContainer, IContainerPort, IEnvVar, IPod, IVolume, IVolumeMount } from "kubernetes-models/v1";
import { SPARK_CONF_DIR } from "../spark/conf.js";
import { mergeEnv } from "../spark/env.js";
import { sparkImage } from "../spark/image.js";
import {
  SPARK_APP_NAME,
  SPARK_APP_SELECTOR,
  SPARK_ROLE,
  SPARK_VERSION_LABEL,
  selectorLabels,
} from "../spark/labels.js";
import {
  containerSecurityContext,
  podSecurityContext,
  WRITABLE_VOLUMES,
  writableMounts,
} from "../spark/security.js";
import type { DriverSize } from "./driver-size.js";
import {
  appNameLabel,
  driverConfigMapName,
  driverPodName,
  sparkAppId,
  type ApplicationRun,
} from "./names.js";
import type { SparkApplicationSpec } from "./schema.js";
import {
  BLOCK_MANAGER_PORT,
  DRIVER_PORT,
  driverMainClass,
  EXECUTOR_TEMPLATE_DIR,
  EXECUTOR_TEMPLATE_FILE,
  SPARK_PROPERTIES_FILE,
  SPARK_PROPERTIES_PATH,
  UI_PORT,
} from "./spark-properties.js";

/** Spark's default name of the driver container (spark.kubernetes.driver.podTemplateContainerName). */
export const DRIVER_CONTAINER = "spark-kubernetes-driver";
export const DRIVER_COMPONENT = "driver";
/** Spark's volume names for the conf ConfigMap and the executor template in the driver. */
export const CONF_VOLUME = "spark-conf-volume-driver";
export const TEMPLATE_VOLUME = "pod-template-volume";
/**
 * Scratch space for shuffle and spill (spark.local.dir through SPARK_LOCAL_DIRS), an emptyDir as
 * in LocalDirsFeatureStep. Spark names its directory after a random UUID; a fixed name keeps
 * the pod deterministic.
 */
export const LOCAL_DIR_VOLUME = "spark-local-dir-1";
export const LOCAL_DIR = "/var/data/spark-local-dir-1";
export const HADOOP_CONF_DIR = "/etc/hadoop/conf";

export type DriverPod = IPod & { metadata: { name: string; labels: Record<string, string> } };

/** The arguments DriverCommandFeatureStep gives the container, for the image's `driver` entrypoint. */
export function driverArgs(spec: SparkApplicationSpec): string[] {
  const mainClass = driverMainClass(spec);
  return [
    "driver",
    ...(spec.proxyUser === undefined ? [] : ["--proxy-user", spec.proxyUser]),
    "--properties-file",
    SPARK_PROPERTIES_PATH,
    ...(mainClass === undefined ? [] : ["--class", mainClass]),
    spec.mainApplicationFile,
    ...(spec.arguments ?? []),
  ];
}

function sparkEnv(run: ApplicationRun, spec: SparkApplicationSpec): IEnvVar[] {
  const secretEnv = (spec.driver.secrets ?? []).flatMap((secret): IEnvVar[] => {
    if (secret.secretType === "GCPServiceAccount") {
      return [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: `${secret.path}/key.json` }];
    }
    if (secret.secretType === "HadoopDelegationToken") {
      return [{ name: "HADOOP_TOKEN_FILE_LOCATION", value: `${secret.path}/hadoop.token` }];
    }
    return [];
  });
  return [
    // Spark's client sets the submitting user's name; a hook has none, so the image's user.
    // A proxyUser is impersonated by that user (--proxy-user), not put here.
    { name: "SPARK_USER", value: "spark" },
    { name: "SPARK_APPLICATION_ID", value: sparkAppId(run) },
    // Mandatory: the entrypoint passes it as spark.driver.bindAddress; empty, the driver would
    // listen on the loopback address only and no executor could connect.
    {
      name: "SPARK_DRIVER_BIND_ADDRESS",
      valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } },
    },
    { name: "SPARK_CONF_DIR", value: SPARK_CONF_DIR },
    { name: "SPARK_LOCAL_DIRS", value: LOCAL_DIR },
    ...(spec.hadoopConfigMap === undefined ? [] : [{ name: "HADOOP_CONF_DIR", value: HADOOP_CONF_DIR }]),
    ...secretEnv,
  ];
}

/** envVars, then envSecretKeyRefs, then env: the newer field last, so it wins. */
function userEnv(spec: SparkApplicationSpec): IEnvVar[] {
  const { envVars, envSecretKeyRefs, env } = spec.driver;
  return [
    ...Object.entries(envVars ?? {}).map(([name, value]) => ({ name, value })),
    ...Object.entries(envSecretKeyRefs ?? {}).map(([name, ref]) => ({
      name,
      valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
    })),
    ...(env ?? []).map((entry): IEnvVar => {
      const from = entry.valueFrom;
      if (from === undefined) return { name: entry.name, value: entry.value ?? "" };
      const resource = from.resourceFieldRef;
      return {
        name: entry.name,
        valueFrom: {
          ...(from.secretKeyRef === undefined ? {} : { secretKeyRef: from.secretKeyRef }),
          ...(from.configMapKeyRef === undefined ? {} : { configMapKeyRef: from.configMapKeyRef }),
          ...(from.fieldRef === undefined
            ? {}
            : {
                fieldRef: {
                  apiVersion: from.fieldRef.apiVersion ?? "v1",
                  fieldPath: from.fieldRef.fieldPath,
                },
              }),
          ...(resource === undefined
            ? {}
            : {
                resourceFieldRef: {
                  resource: resource.resource,
                  ...(resource.containerName === undefined ? {} : { containerName: resource.containerName }),
                  ...(resource.divisor === undefined ? {} : { divisor: resource.divisor.text }),
                },
              }),
        },
      };
    }),
  ];
}

function ports(spec: SparkApplicationSpec): IContainerPort[] {
  return [
    { name: "driver-rpc-port", containerPort: DRIVER_PORT, protocol: "TCP" },
    { name: "blockmanager", containerPort: BLOCK_MANAGER_PORT, protocol: "TCP" },
    { name: "spark-ui", containerPort: UI_PORT, protocol: "TCP" },
    ...(spec.driver.ports ?? []),
  ];
}

/**
 * Kubernetes objects the spec preserves without reading them (containers, volumes, mounts):
 * passed on as written; the API server validates them as part of the Pod.
 */
function asWritten<T>(objects: readonly object[] | undefined): T[] {
  return [...(objects ?? [])] as T[];
}

/** Volumes the sidecars, init containers or the driver mount, as kubeflow's webhook picks them. */
function mountedNames(spec: SparkApplicationSpec): Set<string> {
  const containers = [
    ...asWritten<IContainer>(spec.driver.sidecars),
    ...asWritten<IContainer>(spec.driver.initContainers),
  ];
  const mounts = [
    ...asWritten<IVolumeMount>(spec.driver.volumeMounts),
    ...containers.flatMap((c) => c.volumeMounts ?? []),
  ];
  return new Set(mounts.map((mount) => mount.name));
}

interface Mounted {
  readonly volumes: IVolume[];
  readonly mounts: IVolumeMount[];
}

function specVolumes(spec: SparkApplicationSpec): Mounted {
  const used = mountedNames(spec);
  const configMaps = (spec.driver.configMaps ?? []).map((configMap) => ({
    volume: { name: `${configMap.name}-vol`, configMap: { name: configMap.name } },
    mount: { name: `${configMap.name}-vol`, mountPath: configMap.path },
  }));
  const secrets = (spec.driver.secrets ?? []).map((secret) => ({
    volume: { name: `${secret.name}-vol`, secret: { secretName: secret.name } },
    mount: { name: `${secret.name}-vol`, mountPath: secret.path },
  }));
  const hadoop =
    spec.hadoopConfigMap === undefined
      ? []
      : [
          {
            volume: { name: "hadoop-conf", configMap: { name: spec.hadoopConfigMap } },
            mount: { name: "hadoop-conf", mountPath: HADOOP_CONF_DIR, readOnly: true },
          },
        ];
  const named = [...hadoop, ...configMaps, ...secrets];
  return {
    volumes: [
      ...named.map((entry) => entry.volume),
      ...asWritten<IVolume>(spec.volumes).filter((volume) => used.has(volume.name)),
    ],
    mounts: [...named.map((entry) => entry.mount), ...asWritten<IVolumeMount>(spec.driver.volumeMounts)],
  };
}

/**
 * The driver pod of one run. `size` comes from `driverSize` and is the same the spark.properties
 * was rendered with; the ConfigMap `driverConfigMapName(run)` must hold `spark.properties`, the
 * executor template and the `confFiles` (the other files of spec.sparkConfigMap, see
 * confDirFileNames), which are mounted beside spark.properties in SPARK_CONF_DIR.
 */
export function driverPod(
  run: ApplicationRun,
  spec: SparkApplicationSpec,
  size: DriverSize,
  confFiles: readonly string[] = [],
): DriverPod {
  const { driver } = spec;
  const configMap = driverConfigMapName(run);
  const extra = specVolumes(spec);
  const container: IContainer = {
    name: DRIVER_CONTAINER,
    image:
      driver.image ??
      sparkImage({
        sparkVersion: spec.sparkVersion,
        ...(spec.image === undefined ? {} : { customImage: spec.image }),
      }),
    ...(spec.imagePullPolicy === undefined ? {} : { imagePullPolicy: spec.imagePullPolicy }),
    args: driverArgs(spec),
    env: mergeEnv(sparkEnv(run, spec), userEnv(spec)),
    ...(driver.envFrom === undefined ? {} : { envFrom: driver.envFrom }),
    ports: ports(spec),
    resources: { requests: { ...size.resources.requests }, limits: { ...size.resources.limits } },
    volumeMounts: [
      { name: CONF_VOLUME, mountPath: SPARK_CONF_DIR, readOnly: true },
      { name: TEMPLATE_VOLUME, mountPath: EXECUTOR_TEMPLATE_DIR, readOnly: true },
      ...writableMounts(),
      { name: LOCAL_DIR_VOLUME, mountPath: LOCAL_DIR },
      ...extra.mounts,
    ],
    securityContext: containerSecurityContext(driver.securityContext),
    ...(driver.lifecycle === undefined ? {} : { lifecycle: driver.lifecycle }),
  };
  const nodeSelector = { ...spec.nodeSelector, ...driver.nodeSelector };
  const schedulerName = driver.schedulerName ?? spec.batchScheduler;
  const labels = {
    ...driver.labels,
    ...selectorLabels(run.name, DRIVER_COMPONENT),
    [SPARK_APP_SELECTOR]: sparkAppId(run),
    [SPARK_ROLE]: "driver",
    [SPARK_APP_NAME]: appNameLabel(run.name),
    [SPARK_VERSION_LABEL]: spec.sparkVersion,
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: driverPodName(run, spec),
      labels,
      ...(driver.annotations === undefined ? {} : { annotations: { ...driver.annotations } }),
    },
    spec: {
      containers: [container, ...asWritten<IContainer>(driver.sidecars)],
      ...(driver.initContainers === undefined
        ? {}
        : { initContainers: asWritten<IContainer>(driver.initContainers) }),
      // A driver runs once; reruns are new attempts with new pods, decided by the controller.
      restartPolicy: "Never",
      // Service links would put variables such as SPARK_MASTER_PORT=tcp://… into the driver's
      // environment for every Service in the namespace.
      enableServiceLinks: false,
      ...(driver.serviceAccount === undefined ? {} : { serviceAccountName: driver.serviceAccount }),
      securityContext: podSecurityContext(driver.podSecurityContext, { fixedUserIds: true }),
      ...(spec.imagePullSecrets === undefined
        ? {}
        : { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
      ...(Object.keys(nodeSelector).length === 0 ? {} : { nodeSelector }),
      ...(driver.affinity === undefined ? {} : { affinity: driver.affinity }),
      ...(driver.tolerations === undefined ? {} : { tolerations: driver.tolerations }),
      ...(driver.hostAliases === undefined ? {} : { hostAliases: driver.hostAliases }),
      ...(driver.dnsConfig === undefined ? {} : { dnsConfig: driver.dnsConfig }),
      ...(driver.priorityClassName === undefined ? {} : { priorityClassName: driver.priorityClassName }),
      ...(schedulerName === undefined ? {} : { schedulerName }),
      ...(driver.terminationGracePeriodSeconds === undefined
        ? {}
        : { terminationGracePeriodSeconds: driver.terminationGracePeriodSeconds }),
      ...(driver.hostNetwork === undefined ? {} : { hostNetwork: driver.hostNetwork }),
      ...(driver.shareProcessNamespace === undefined
        ? {}
        : { shareProcessNamespace: driver.shareProcessNamespace }),
      volumes: [
        {
          name: CONF_VOLUME,
          configMap: {
            name: configMap,
            items: [SPARK_PROPERTIES_FILE, ...confFiles.filter((file) => file !== SPARK_PROPERTIES_FILE)].map(
              (file) => ({ key: file, path: file }),
            ),
          },
        },
        {
          name: TEMPLATE_VOLUME,
          configMap: {
            name: configMap,
            items: [{ key: EXECUTOR_TEMPLATE_FILE, path: EXECUTOR_TEMPLATE_FILE }],
          },
        },
        ...WRITABLE_VOLUMES,
        { name: LOCAL_DIR_VOLUME, emptyDir: {} },
        ...extra.volumes,
      ],
    },
  };
}
