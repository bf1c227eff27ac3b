/**
 * The driver Pod with the anatomy Spark's submission client gives it (BasicDriverFeatureStep,
 * DriverCommandFeatureStep, LocalDirsFeatureStep), so the driver started by the image's
 * entrypoint finds its own pod, labels its executors as Spark expects and is reachable on
 * Spark's fixed ports; plus the pod fields kubeflow users set in the spec, which kubeflow applies
 * through its mutating webhook and we put straight into the pod.
 */
import type { IContainer, IContainerPort, IEnvVar, IPod } from "kubernetes-models/v1";
import { SPARK_CONF_DIR } from "../spark/conf.js";
import { mergeEnv } from "../spark/env.js";
import { WRITABLE_VOLUMES } from "../spark/security.js";
import { sparkImage } from "../spark/image.js";
import {
  SPARK_APP_NAME,
  SPARK_APP_SELECTOR,
  SPARK_ROLE,
  SPARK_VERSION_LABEL,
  selectorLabels,
} from "../spark/labels.js";
import {
  driverConfEnv,
  driverLocalDirs,
  driverTemplateContainer,
  withDriverConf,
  type DriverPodOwn,
  type LocalDirs,
} from "./driver-conf-keys.js";
import type { DriverSize } from "./driver-size.js";
import {
  appNameLabel,
  driverConfigMapName,
  driverPodName,
  sparkAppId,
  type ApplicationRun,
} from "./names.js";
import {
  asWritten,
  mountedFilesEnv,
  podFields,
  sparkContainerFields,
  specVolumes,
  userEnv,
  writableScratch,
  type PodAdditions,
} from "./pod-parts.js";
import { withPodTemplate } from "./pod-template.js";
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
/** The first scratch emptyDir for shuffle and spill (see driverLocalDirs). */
export const LOCAL_DIR_VOLUME = "spark-local-dir-1";

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

/** Spark's own variables of the driver container (BasicDriverFeatureStep), then the mounted files'. */
function sparkEnv(run: ApplicationRun, spec: SparkApplicationSpec, localDirs: LocalDirs): IEnvVar[] {
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
    { name: "SPARK_LOCAL_DIRS", value: localDirs.value },
    ...mountedFilesEnv(spec, "driver"),
  ];
}

function ports(spec: SparkApplicationSpec, additions: PodAdditions): IContainerPort[] {
  return [
    { name: "driver-rpc-port", containerPort: DRIVER_PORT, protocol: "TCP" },
    { name: "blockmanager", containerPort: BLOCK_MANAGER_PORT, protocol: "TCP" },
    { name: "spark-ui", containerPort: UI_PORT, protocol: "TCP" },
    ...(spec.driver.ports ?? []),
    ...additions.ports,
  ];
}

/** Volume names the driver pod uses itself; a generated ConfigMap or Secret volume avoids them. */
const DRIVER_VOLUMES: readonly string[] = [CONF_VOLUME, TEMPLATE_VOLUME, LOCAL_DIR_VOLUME];

/**
 * What no sparkConf volume may take: the names of the volumes above but the local dir (a
 * spark-local-dir-* volume replaces it), the writable scratch volumes, and the paths the
 * ConfigMaps are mounted at.
 */
export const DRIVER_POD_OWN: DriverPodOwn = {
  volumes: [CONF_VOLUME, TEMPLATE_VOLUME, ...WRITABLE_VOLUMES.map((volume) => volume.name)],
  paths: [SPARK_CONF_DIR, EXECUTOR_TEMPLATE_DIR],
};

/**
 * The driver pod of one run. `size` comes from `driverSize` and is the same the spark.properties
 * was rendered with; `additions` are the driver's part of the monitoring result, also given to
 * driverSparkConf. The ConfigMap `driverConfigMapName(run)` must hold `spark.properties`, the
 * executor template, the additions' files and the `confFiles` (the other files of
 * spec.sparkConfigMap, see confDirFileNames), which are mounted beside spark.properties in
 * SPARK_CONF_DIR. The spec's driver fields win over the sparkConf keys Spark's client would
 * apply to the pod (withDriverConf), and both over `driver.template`.
 */
export function driverPod(
  run: ApplicationRun,
  given: SparkApplicationSpec,
  size: DriverSize,
  additions: PodAdditions,
  confFiles: readonly string[] = [],
): DriverPod {
  const spec = withDriverConf(given, sparkAppId(run));
  const { driver } = spec;
  const configMap = driverConfigMapName(run);
  const extra = specVolumes(spec, "driver", DRIVER_VOLUMES, additions);
  const localDirs = driverLocalDirs(spec, extra.mounts);
  const scratch = writableScratch([...extra.mounts, ...localDirs.mounts]);
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
    env: mergeEnv(mergeEnv(sparkEnv(run, spec, localDirs), driverConfEnv(spec)), userEnv(spec, "driver")),
    ...sparkContainerFields(spec, "driver"),
    ports: ports(spec, additions),
    resources: { requests: { ...size.resources.requests }, limits: { ...size.resources.limits } },
    volumeMounts: [
      { name: CONF_VOLUME, mountPath: SPARK_CONF_DIR, readOnly: true },
      { name: TEMPLATE_VOLUME, mountPath: EXECUTOR_TEMPLATE_DIR, readOnly: true },
      ...scratch.mounts,
      ...localDirs.mounts,
      ...extra.mounts,
    ],
  };
  const labels = {
    ...driver.labels,
    ...selectorLabels(run.name, DRIVER_COMPONENT),
    [SPARK_APP_SELECTOR]: sparkAppId(run),
    [SPARK_ROLE]: "driver",
    [SPARK_APP_NAME]: appNameLabel(run.name),
    [SPARK_VERSION_LABEL]: spec.sparkVersion,
  };
  const annotations = { ...driver.annotations, ...additions.annotations };
  const pod: DriverPod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: driverPodName(run, spec),
      labels,
      ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
    },
    spec: {
      ...podFields(spec, "driver"),
      containers: [container, ...asWritten<IContainer>(driver.sidecars)],
      // A driver runs once; reruns are new attempts with new pods, decided by the controller.
      restartPolicy: "Never",
      ...(driver.serviceAccount === undefined ? {} : { serviceAccountName: driver.serviceAccount }),
      ...(spec.imagePullSecrets === undefined
        ? {}
        : { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
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
        ...scratch.volumes,
        ...localDirs.volumes,
        ...extra.volumes,
      ],
    },
  };
  return withPodTemplate(driver.template, pod, driverTemplateContainer(spec, DRIVER_CONTAINER));
}
