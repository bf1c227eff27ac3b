/**
 * The spark.properties a driver is started with: what Spark's own submission client
 * (KubernetesClientApplication and BasicDriverFeatureStep) would write into the driver's
 * ConfigMap for this spec. The image's `driver` entrypoint runs `spark-submit --deploy-mode
 * client --properties-file` on it inside the pod, so every setting the driver needs to find
 * itself, its executors' image and the API server has to be in this file.
 */
import { SPARK_CONF_DIR } from "../spark/conf.js";
import { sparkImage } from "../spark/image.js";
import { propertyLine } from "../spark/properties.js";
import { confContainerImage } from "./driver-conf-keys.js";
import type { DriverSize } from "./driver-size.js";
import { EXECUTOR_CONTAINER } from "./executor-template.js";
import { resourceType } from "./driver-size.js";
import {
  driverPodName,
  driverServiceName,
  executorPodNamePrefix,
  sparkAppId,
  type ApplicationRun,
} from "./names.js";
import type { Monitoring } from "./monitoring.js";
import type { SparkApplicationSpec } from "./schema.js";

export const SPARK_PROPERTIES_FILE = "spark.properties";
export const SPARK_PROPERTIES_PATH = `${SPARK_CONF_DIR}/${SPARK_PROPERTIES_FILE}`;
/** Where Spark's cluster mode mounts the executor pod template in the driver (Constants.scala). */
export const EXECUTOR_TEMPLATE_DIR = "/opt/spark/pod-template";
export const EXECUTOR_TEMPLATE_FILE = "pod-spec-template.yml";
export const EXECUTOR_TEMPLATE_PATH = `${EXECUTOR_TEMPLATE_DIR}/${EXECUTOR_TEMPLATE_FILE}`;

/** Spark's fixed ports for a driver in a pod: executors, Services and NetworkPolicies need to know them. */
export const DRIVER_PORT = 7078;
export const BLOCK_MANAGER_PORT = 7079;
export const UI_PORT = 4040;

/** The API server as every pod sees it; Spark's default for spark.kubernetes.driver.master. */
export const IN_CLUSTER_MASTER = "k8s://https://kubernetes.default.svc";

export const PYTHON_RUNNER = "org.apache.spark.deploy.PythonRunner";
export const R_RUNNER = "org.apache.spark.deploy.RRunner";

/**
 * The class spark-submit is given: the user's for the JVM, Spark's runners for Python and R
 * (SparkSubmit's cluster branch passes them the same way; client mode inside the pod would pick
 * them from the file extension anyway).
 */
export function driverMainClass(spec: SparkApplicationSpec): string | undefined {
  const type = resourceType(spec);
  if (type === "python") return PYTHON_RUNNER;
  if (type === "r") return R_RUNNER;
  return spec.mainClass;
}

/**
 * From Spark 4.1 executors can dial the driver's pod IP (SPARK-53944,
 * spark.kubernetes.executor.useDriverPodIP); before, they need a headless Service's name as
 * spark.driver.host, since the pod's hostname resolves nowhere else.
 */
export function reachesDriverByPodIp(sparkVersion: string): boolean {
  const [major = 0, minor = 0] = sparkVersion.split(/[.-]/).map(Number);
  return major > 4 || (major === 4 && minor >= 1);
}

type Settings = Record<string, string>;

const joined = (items: readonly string[] | undefined): string | undefined =>
  items === undefined || items.length === 0 ? undefined : items.join(",");

function present(settings: Readonly<Record<string, string | number | boolean | undefined>>): Settings {
  return Object.fromEntries(
    Object.entries(settings).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]])),
  );
}

function prefixed(prefix: string, entries: Readonly<Record<string, string>> | undefined): Settings {
  return Object.fromEntries(Object.entries(entries ?? {}).map(([key, value]) => [`${prefix}${key}`, value]));
}

/**
 * Settings the hook owns because the pod it renders depends on them: who the driver is, where
 * its conf and executor template are mounted, its ports and its size. A sparkConf value for one
 * of these would make the file and the pod disagree, so it is overwritten.
 */
function ownedSettings(run: ApplicationRun, spec: SparkApplicationSpec, size: DriverSize): Settings {
  const byPodIp = reachesDriverByPodIp(spec.sparkVersion);
  return present({
    "spark.master": IN_CLUSTER_MASTER,
    // What Spark's client writes; the entrypoint's --deploy-mode client wins on the command line,
    // and submitInDriver makes spark-submit treat the process as a cluster-mode driver.
    "spark.submit.deployMode": "cluster",
    "spark.kubernetes.submitInDriver": "true",
    "spark.app.id": sparkAppId(run),
    "spark.kubernetes.namespace": run.namespace,
    "spark.kubernetes.driver.pod.name": driverPodName(run, spec),
    "spark.kubernetes.resource.type": resourceType(spec),
    "spark.kubernetes.executor.podNamePrefix": executorPodNamePrefix(run),
    "spark.kubernetes.executor.podTemplateFile": EXECUTOR_TEMPLATE_PATH,
    // The container of the template Spark builds the executor on (KubernetesUtils.selectSparkContainer).
    "spark.kubernetes.executor.podTemplateContainerName": EXECUTOR_CONTAINER,
    "spark.kubernetes.executor.useDriverPodIP": byPodIp ? "true" : undefined,
    // The driver's Services are the hook's children; a driver that deleted them on exit
    // (KubernetesClusterSchedulerBackend.stop, by spark-app-selector) would only make
    // Metacontroller create them again.
    "spark.kubernetes.driver.service.deleteOnTermination": "false",
    "spark.driver.host": byPodIp ? undefined : `${driverServiceName(run)}.${run.namespace}.svc`,
    "spark.driver.port": DRIVER_PORT,
    "spark.driver.blockManager.port": BLOCK_MANAGER_PORT,
    "spark.ui.port": UI_PORT,
    "spark.driver.memory": size.memory,
    "spark.driver.memoryOverhead": `${size.overheadMiB}m`,
    "spark.kubernetes.memoryOverheadFactor": size.overheadFactor,
    "spark.driver.cores": size.cores,
  });
}

/**
 * A role's JVM options: its javaOptions field (else sparkConf's extraJavaOptions), then what
 * monitoring adds (the JMX exporter agent), so neither replaces the other.
 */
function javaOptions(
  spec: SparkApplicationSpec,
  role: "driver" | "executor",
  added: readonly string[],
): string | undefined {
  const own = spec[role].javaOptions ?? spec.sparkConf?.[`spark.${role}.extraJavaOptions`];
  const all = [own, ...added].filter((option) => option !== undefined && option.trim() !== "");
  return all.length === 0 ? undefined : all.join(" ");
}

const optionalCustomImage = (image: string | undefined): { customImage?: string } =>
  image === undefined ? {} : { customImage: image };

/**
 * What the typed fields of the spec say; they win over sparkConf. The shared image is
 * spec.image, else sparkConf's own, else the official one: executors without an image of their
 * own run it.
 */
function specSettings(run: ApplicationRun, spec: SparkApplicationSpec, metrics: Monitoring): Settings {
  const { driver, executor, deps } = spec;
  const jvm = resourceType(spec) === "java";
  // With submitInDriver spark-submit does not add the primary jar to spark.jars itself.
  const jars = [...(jvm ? [spec.mainApplicationFile] : []), ...(deps?.jars ?? [])];
  const allocation = spec.dynamicAllocation;
  return {
    ...metrics.conf,
    ...present({
      "spark.app.name": run.name,
      "spark.kubernetes.container.image": sparkImage({
        sparkVersion: spec.sparkVersion,
        ...optionalCustomImage(confContainerImage(spec)),
      }),
      "spark.kubernetes.driver.container.image": driver.image,
      "spark.kubernetes.executor.container.image": executor.image,
      "spark.kubernetes.container.image.pullPolicy": spec.imagePullPolicy,
      "spark.kubernetes.container.image.pullSecrets": joined(spec.imagePullSecrets),
      "spark.kubernetes.driver.master": driver.kubernetesMaster,
      "spark.kubernetes.authenticate.driver.serviceAccountName": driver.serviceAccount,
      // Executors take this key, not the driver pod's serviceAccountName; without it they run as default.
      "spark.kubernetes.authenticate.executor.serviceAccountName":
        executor.serviceAccount ?? driver.serviceAccount,
      "spark.driver.extraJavaOptions": javaOptions(spec, "driver", metrics.driver.javaOptions),
      "spark.executor.instances": executor.instances,
      "spark.executor.cores": executor.cores,
      "spark.executor.memory": executor.memory,
      "spark.executor.memoryOverhead": executor.memoryOverhead,
      "spark.kubernetes.executor.request.cores": executor.coreRequest?.text,
      "spark.kubernetes.executor.limit.cores": executor.coreLimit?.text,
      "spark.kubernetes.executor.deleteOnTermination": executor.deleteOnTermination,
      "spark.executor.extraJavaOptions": javaOptions(spec, "executor", metrics.executor.javaOptions),
      "spark.jars": joined(jars),
      "spark.files": joined(deps?.files),
      "spark.submit.pyFiles": joined(deps?.pyFiles),
      "spark.archives": joined(deps?.archives),
      "spark.jars.packages": joined(deps?.packages),
      "spark.jars.excludes": joined(deps?.excludePackages),
      "spark.jars.repositories": joined(deps?.repositories),
      "spark.dynamicAllocation.enabled": allocation?.enabled,
      "spark.dynamicAllocation.initialExecutors": allocation?.initialExecutors,
      "spark.dynamicAllocation.minExecutors": allocation?.minExecutors,
      "spark.dynamicAllocation.maxExecutors": allocation?.maxExecutors,
      "spark.dynamicAllocation.shuffleTracking.enabled": allocation?.shuffleTrackingEnabled,
      "spark.dynamicAllocation.shuffleTracking.timeout":
        allocation?.shuffleTrackingTimeout === undefined
          ? undefined
          : `${allocation.shuffleTrackingTimeout}ms`,
    }),
  };
}

/**
 * Defaults the user may change through sparkConf. The image's spark user has HOME=/nonexistent,
 * so resolving packages needs an Ivy directory that can be written.
 */
function defaultSettings(spec: SparkApplicationSpec): Settings {
  return present({ "spark.jars.ivy": spec.deps?.packages === undefined ? undefined : "/tmp/.ivy2" });
}

/**
 * Spark forbids setting these in Kubernetes cluster mode: the entrypoint passes the pod IP as
 * spark.driver.bindAddress, and spark.driver.host is the Service name or, from 4.1, the pod IP.
 */
const NOT_USER_SETTABLE: ReadonlySet<string> = new Set(["spark.driver.bindAddress", "spark.driver.host"]);

const userSettable = (settings: Readonly<Settings> | undefined): Settings =>
  Object.fromEntries(Object.entries(settings ?? {}).filter(([key]) => !NOT_USER_SETTABLE.has(key)));

/**
 * Every setting of the driver, by precedence: our defaults (monitoring's among them), then the
 * spark-defaults.conf of spec.sparkConfigMap (`confDefaults`, see sparkConfigMapFiles), then
 * hadoopConf (as spark.hadoop.*) and sparkConf, then the event log settings of spec.historyServer
 * (`linked`, see linkedEventLog, which refuses a sparkConf that disagrees), then the typed fields
 * (monitoring's among them), then what the hook owns. `metrics` is the same monitoring result the
 * pods were rendered with. The typed fields include kubeflow's defaults (1 core, 1g), so a size
 * in spark-defaults.conf only counts where sparkConf sets none of them either.
 */
export function driverSparkConf(
  run: ApplicationRun,
  spec: SparkApplicationSpec,
  size: DriverSize,
  metrics: Monitoring,
  confDefaults: Readonly<Settings> = {},
  linked: Readonly<Settings> = {},
): Settings {
  return {
    ...defaultSettings(spec),
    ...metrics.defaultConf,
    ...userSettable(confDefaults),
    ...prefixed("spark.hadoop.", spec.hadoopConf),
    ...userSettable(spec.sparkConf),
    ...linked,
    ...specSettings(run, spec, metrics),
    ...ownedSettings(run, spec, size),
  };
}

/** The file, one `key=value` per line in java.util.Properties escaping, sorted by key. */
export function sparkPropertiesFile(settings: Readonly<Settings>): string {
  const lines = Object.keys(settings)
    .sort()
    .map((key) => propertyLine(key, settings[key] ?? ""));
  return `${lines.join("\n")}\n`;
}
