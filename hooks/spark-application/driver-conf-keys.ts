/**
 * The sparkConf keys Spark's submission client (spark-submit in cluster mode, which kubeflow
 * runs) turns into fields of the driver pod and the driver Service. We render the driver pod
 * ourselves, so without this module these keys would reach spark.properties and nothing else:
 * the driver reads them when it is already running, too late for its own pod.
 *
 * The keys are read as KubernetesDriverConf reads them (parsePrefixedKeyValuePairs: everything
 * after the prefix is the name) and applied as the feature steps of KubernetesDriverBuilder
 * apply them (Spark 3.5 and 4.x): BasicDriverFeatureStep, DriverKubernetesCredentialsFeatureStep,
 * DriverServiceFeatureStep, MountSecretsFeatureStep, EnvSecretsFeatureStep,
 * MountVolumesFeatureStep, HadoopConfDriverFeatureStep and LocalDirsFeatureStep, and the
 * template container choice of KubernetesDriverBuilder. The typed fields of the spec win over
 * the keys, as kubeflow documents.
 *
 * Executor keys (spark.kubernetes.executor.*, spark.kubernetes.node.selector.*, executor
 * volumes, secrets, spark.executorEnv.*) need nothing here: the driver applies them itself when
 * it builds each executor (KubernetesExecutorBuilder), from the spark.properties it is given.
 */
import type { IEnvVar, IHostPathVolumeSource, IVolume, IVolumeMount } from "kubernetes-models/v1";
import { isLabelValue, isQualifiedName } from "../kube/names.js";
import { parseQuantity } from "../kube/quantity.js";
import { SPARK_APP_SELECTOR, SPARK_ROLE } from "../spark/labels.js";
import { parseSparkBoolean } from "../spark/sizes.js";
import type { SparkApplicationSpec } from "./schema.js";
import type { UnsupportedField } from "./unsupported.js";

export const DRIVER_POD_NAME_KEY = "spark.kubernetes.driver.pod.name";
const CONTAINER_IMAGE = "spark.kubernetes.container.image";
const DRIVER_CONTAINER_IMAGE = "spark.kubernetes.driver.container.image";
const PULL_POLICY = "spark.kubernetes.container.image.pullPolicy";
const PULL_SECRETS = "spark.kubernetes.container.image.pullSecrets";
const DRIVER_SERVICE_ACCOUNT = "spark.kubernetes.authenticate.driver.serviceAccountName";
const SCHEDULER_NAME = "spark.kubernetes.scheduler.name";
const DRIVER_SCHEDULER_NAME = "spark.kubernetes.driver.scheduler.name";
const HADOOP_CONFIG_MAP = "spark.kubernetes.hadoop.configMapName";
const LOCAL_DIRS_TMPFS = "spark.kubernetes.local.dirs.tmpfs";
const LOCAL_DIR = "spark.local.dir";
const TEMPLATE_CONTAINER_NAME = "spark.kubernetes.driver.podTemplateContainerName";
const SERVICE_IP_FAMILY_POLICY = "spark.kubernetes.driver.service.ipFamilyPolicy";
const SERVICE_IP_FAMILIES = "spark.kubernetes.driver.service.ipFamilies";

const PREFIX = {
  labels: "spark.kubernetes.driver.label.",
  annotations: "spark.kubernetes.driver.annotation.",
  serviceLabels: "spark.kubernetes.driver.service.label.",
  serviceAnnotations: "spark.kubernetes.driver.service.annotation.",
  env: "spark.kubernetes.driverEnv.",
  secrets: "spark.kubernetes.driver.secrets.",
  secretKeyRefs: "spark.kubernetes.driver.secretKeyRef.",
  volumes: "spark.kubernetes.driver.volumes.",
  nodeSelector: "spark.kubernetes.node.selector.",
  driverNodeSelector: "spark.kubernetes.driver.node.selector.",
  resources: "spark.driver.resource.",
} as const;

/**
 * Spark's placeholders in driver annotation values (Utils.substituteAppNExecIds), and in label
 * values from Spark 4.0 (SPARK-47730); before, a label value `{{APP_ID}}` stays as written and
 * the API server refuses it.
 */
const APP_ID_PLACEHOLDER = "{{APP_ID}}";
const EXECUTOR_ID_PLACEHOLDER = "{{EXECUTOR_ID}}";

/** Labels KubernetesDriverConf.labels refuses with `require`: Spark would not start the driver. */
const RESERVED_LABELS: readonly string[] = [SPARK_APP_SELECTOR, SPARK_ROLE];

/** Volumes named like this are the driver's local dirs instead of emptyDirs (LocalDirsFeatureStep). */
const LOCAL_DIR_VOLUME_PREFIX = "spark-local-dir-";
/** Spark's default local dir is `/var/data/spark-<uuid>`; a fixed name keeps the pod deterministic. */
const DEFAULT_LOCAL_DIR = "/var/data/spark-local-dir-1";

type Conf = Readonly<Record<string, string>>;

const confOf = (spec: SparkApplicationSpec): Conf => spec.sparkConf ?? {};

/** KubernetesUtils.parsePrefixedKeyValuePairs: every key under `prefix`, the rest as its name. */
function prefixed(conf: Conf, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(conf).flatMap(([key, value]) =>
      key.startsWith(prefix) && key.length > prefix.length ? [[key.slice(prefix.length), value]] : [],
    ),
  );
}

function nonEmpty<T extends object>(map: T): T | undefined {
  return Object.keys(map).length === 0 ? undefined : map;
}

function labelsTakeAppId(sparkVersion: string): boolean {
  const [major = 0] = sparkVersion.split(/[.-]/).map(Number);
  return major >= 4;
}

const substituteAppId = (values: Record<string, string>, appId: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      value.replaceAll(APP_ID_PLACEHOLDER, appId).replaceAll(EXECUTOR_ID_PLACEHOLDER, ""),
    ]),
  );

/** A secret key reference as EnvSecretsFeatureStep reads it: `<secret>:<key>`. */
function secretKeyRef(text: string): { name: string; key: string } | undefined {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) return undefined;
  return { name: text.slice(0, colon), key: text.slice(colon + 1) };
}

// ---------------------------------------------------------------------------------------------
// Volumes (KubernetesVolumeUtils.parseVolumesWithPrefix, MountVolumesFeatureStep)

const VOLUME_TYPES = ["hostPath", "emptyDir", "nfs", "persistentVolumeClaim"] as const;
type VolumeType = (typeof VOLUME_TYPES)[number];

/** MountVolumesFeatureStep's claim name that asks Spark to create a claim per pod. */
const ON_DEMAND = "OnDemand";

interface ConfVolume {
  readonly type: string;
  readonly name: string;
  /** The volume and its mount in the Spark container, or why Spark would refuse them. */
  readonly rendered: { volume: IVolume; mount: IVolumeMount } | { problem: string };
  /** Set when Spark's client would create the claim itself, which the hook cannot. */
  readonly createsClaim: boolean;
}

/** The hostPath types the API server accepts; "" (Spark's default) checks nothing. */
const HOST_PATH_TYPES = [
  "",
  "DirectoryOrCreate",
  "Directory",
  "FileOrCreate",
  "File",
  "Socket",
  "CharDevice",
  "BlockDevice",
] as const;

function isHostPathType(text: string): text is NonNullable<IHostPathVolumeSource["type"]> {
  return (HOST_PATH_TYPES as readonly string[]).includes(text);
}

/** Spark refuses a bare number below 1024 as a size (KubernetesVolumeUtils.verifySize). */
function sizeProblem(size: string | undefined): string | undefined {
  if (size === undefined) return undefined;
  if (/^\d+$/.test(size) && Number(size) < 1024) return `size ${size} is smaller than 1KiB; missing units?`;
  return parseQuantity(size) === undefined ? `size ${JSON.stringify(size)} is not a quantity` : undefined;
}

function renderVolume(
  type: string,
  name: string,
  options: Readonly<Record<string, string>>,
): ConfVolume["rendered"] {
  const required = (option: string): string | { problem: string } =>
    options[option] ?? { problem: `${option} is required for ${type}` };
  const mountPath = required("mount.path");
  if (typeof mountPath !== "string") return mountPath;
  if (!(VOLUME_TYPES as readonly string[]).includes(type)) {
    return { problem: `volume type ${type} is not supported (${VOLUME_TYPES.join(", ")})` };
  }
  const readOnlyText = options["mount.readOnly"];
  const readOnly = readOnlyText === undefined ? false : parseSparkBoolean(readOnlyText);
  if (readOnly === undefined)
    return { problem: `mount.readOnly ${JSON.stringify(readOnlyText)} is not a boolean` };
  const subPath = options["mount.subPath"];
  const subPathExpr = options["mount.subPathExpr"];
  if (subPath !== undefined && subPathExpr !== undefined) {
    return { problem: "mount.subPath and mount.subPathExpr are mutually exclusive" };
  }
  const mount: IVolumeMount = {
    name,
    mountPath,
    ...(readOnly ? { readOnly } : {}),
    ...(subPath === undefined || subPath === "" ? {} : { subPath }),
    ...(subPathExpr === undefined || subPathExpr === "" ? {} : { subPathExpr }),
  };
  const size = options["options.sizeLimit"];
  switch (type as VolumeType) {
    case "hostPath": {
      const path = required("options.path");
      if (typeof path !== "string") return path;
      const hostType = options["options.type"] ?? "";
      if (!isHostPathType(hostType)) {
        return { problem: `options.type ${JSON.stringify(hostType)} is not a hostPath type` };
      }
      return {
        volume: { name, hostPath: { path, ...(hostType === "" ? {} : { type: hostType }) } },
        mount,
      };
    }
    case "emptyDir": {
      const problem = sizeProblem(size);
      if (problem !== undefined) return { problem };
      const medium = options["options.medium"];
      return {
        volume: {
          name,
          emptyDir: { ...(medium ? { medium } : {}), ...(size === undefined ? {} : { sizeLimit: size }) },
        },
        mount,
      };
    }
    case "nfs": {
      const path = required("options.path");
      if (typeof path !== "string") return path;
      const server = required("options.server");
      if (typeof server !== "string") return server;
      return { volume: { name, nfs: { path, server } }, mount };
    }
    case "persistentVolumeClaim": {
      const claimName = required("options.claimName");
      if (typeof claimName !== "string") return claimName;
      const problem = sizeProblem(size);
      if (problem !== undefined) return { problem };
      return {
        volume: { name, persistentVolumeClaim: { claimName, ...(readOnly ? { readOnly } : {}) } },
        mount,
      };
    }
  }
}

/** The driver's volumes from spark.kubernetes.driver.volumes.<type>.<name>.*, in key order. */
function driverConfVolumes(spec: SparkApplicationSpec): ConfVolume[] {
  const byVolume = new Map<string, { type: string; name: string; options: Record<string, string> }>();
  for (const [key, value] of Object.entries(prefixed(confOf(spec), PREFIX.volumes))) {
    const [type, name, ...rest] = key.split(".");
    if (type === undefined || name === undefined || rest.length === 0) continue;
    const id = `${type}.${name}`;
    const entry = byVolume.get(id) ?? { type, name, options: {} };
    entry.options[rest.join(".")] = value;
    byVolume.set(id, entry);
  }
  return [...byVolume.values()].map(({ type, name, options }) => {
    const claimName = options["options.claimName"];
    const createsClaim =
      type === "persistentVolumeClaim" &&
      (claimName?.includes(ON_DEMAND) === true ||
        (options["options.storageClass"] !== undefined && options["options.sizeLimit"] !== undefined));
    return { type, name, rendered: renderVolume(type, name, options), createsClaim };
  });
}

/** Volumes that mount: not refused, and not an OnDemand claim whose name only Spark would know. */
function mountableVolumes(spec: SparkApplicationSpec): { volume: IVolume; mount: IVolumeMount }[] {
  return driverConfVolumes(spec).flatMap((volume) => {
    const { rendered } = volume;
    if ("problem" in rendered) return [];
    if (rendered.volume.persistentVolumeClaim?.claimName.includes(ON_DEMAND) === true) return [];
    return [rendered];
  });
}

// ---------------------------------------------------------------------------------------------
// The spec with the keys folded in

/** Secrets mounted by spark.kubernetes.driver.secrets.<name>=<path> (MountSecretsFeatureStep). */
function confSecrets(spec: SparkApplicationSpec): NonNullable<SparkApplicationSpec["driver"]["secrets"]> {
  const typed = spec.driver.secrets ?? [];
  return Object.entries(prefixed(confOf(spec), PREFIX.secrets))
    .filter(([name, path]) => !typed.some((secret) => secret.name === name && secret.path === path))
    .map(([name, path]) => ({ name, path, secretType: "Generic" as const }));
}

const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
type PullPolicy = (typeof PULL_POLICIES)[number];

/** spark.kubernetes.container.image.pullPolicy where it is one the API server accepts. */
function pullPolicyOf(conf: Conf): PullPolicy | undefined {
  const text = conf[PULL_POLICY];
  return PULL_POLICIES.find((policy) => policy === text);
}

/** A Kubernetes object in a field the spec keeps as written (volumes, mounts). */
const asPreserved = (object: object): Record<string, unknown> => ({ ...object });

/**
 * The image driver and executors share: spec.image, else spark.kubernetes.container.image (the
 * driver's own image, driver.image or spark.kubernetes.driver.container.image, goes over it).
 */
export function confContainerImage(spec: SparkApplicationSpec): string | undefined {
  return spec.image ?? confOf(spec)[CONTAINER_IMAGE];
}

/** spec.hadoopConfigMap, else spark.kubernetes.hadoop.configMapName (HadoopConfDriverFeatureStep). */
export function hadoopConfigMap(spec: SparkApplicationSpec): string | undefined {
  return spec.hadoopConfigMap ?? confOf(spec)[HADOOP_CONFIG_MAP];
}

/**
 * The spec the driver pod of the run with Spark app id `appId` is rendered from: the driver's
 * typed fields with the sparkConf keys folded in under them. Per key the typed field wins;
 * among the keys Spark's own order holds (the driver's key over the shared one). Node selectors
 * merge per label: the shared keys, spec.nodeSelector, the driver's keys, driver.nodeSelector,
 * each over the one before, as BasicDriverFeatureStep adds the driver's selector after the
 * shared one (kubeflow passes spec.nodeSelector as the shared keys). The scheduler likewise:
 * driver.schedulerName, the driver's key, batchScheduler, the shared key.
 */
export function withDriverConf(spec: SparkApplicationSpec, appId: string): SparkApplicationSpec {
  const conf = confOf(spec);
  const { driver } = spec;
  const confLabels = prefixed(conf, PREFIX.labels);
  const labels = nonEmpty({
    ...(labelsTakeAppId(spec.sparkVersion) ? substituteAppId(confLabels, appId) : confLabels),
    ...driver.labels,
  });
  const annotations = nonEmpty({
    ...substituteAppId(prefixed(conf, PREFIX.annotations), appId),
    ...driver.annotations,
  });
  const secrets = [...(driver.secrets ?? []), ...confSecrets(spec)];
  const volumes = mountableVolumes(spec);
  const nodeSelector = nonEmpty({ ...prefixed(conf, PREFIX.nodeSelector), ...spec.nodeSelector });
  const driverNodeSelector = nonEmpty({
    ...prefixed(conf, PREFIX.driverNodeSelector),
    ...driver.nodeSelector,
  });
  const schedulerName =
    driver.schedulerName ??
    conf[DRIVER_SCHEDULER_NAME] ??
    (spec.batchScheduler === undefined ? conf[SCHEDULER_NAME] : undefined);
  const image = driver.image ?? conf[DRIVER_CONTAINER_IMAGE];
  const serviceAccount = driver.serviceAccount ?? conf[DRIVER_SERVICE_ACCOUNT];
  const customImage = confContainerImage(spec);
  const pullPolicy = spec.imagePullPolicy ?? pullPolicyOf(conf);
  const pullSecrets =
    spec.imagePullSecrets ??
    conf[PULL_SECRETS]?.split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
  const hadoop = hadoopConfigMap(spec);
  return {
    ...spec,
    ...(customImage === undefined ? {} : { image: customImage }),
    ...(pullPolicy === undefined ? {} : { imagePullPolicy: pullPolicy }),
    ...(pullSecrets === undefined || pullSecrets.length === 0 ? {} : { imagePullSecrets: pullSecrets }),
    ...(hadoop === undefined ? {} : { hadoopConfigMap: hadoop }),
    ...(nodeSelector === undefined ? {} : { nodeSelector }),
    ...(volumes.length === 0
      ? {}
      : { volumes: [...(spec.volumes ?? []), ...volumes.map(({ volume }) => asPreserved(volume))] }),
    driver: {
      ...driver,
      ...(labels === undefined ? {} : { labels }),
      ...(annotations === undefined ? {} : { annotations }),
      ...(secrets.length === 0 ? {} : { secrets }),
      ...(volumes.length === 0
        ? {}
        : {
            volumeMounts: [...(driver.volumeMounts ?? []), ...volumes.map(({ mount }) => asPreserved(mount))],
          }),
      ...(driverNodeSelector === undefined ? {} : { nodeSelector: driverNodeSelector }),
      ...(schedulerName === undefined ? {} : { schedulerName }),
      ...(image === undefined ? {} : { image }),
      ...(serviceAccount === undefined ? {} : { serviceAccount }),
    },
  };
}

/**
 * The driver container's variables from spark.kubernetes.driverEnv.* (BasicDriverFeatureStep)
 * and spark.kubernetes.driver.secretKeyRef.<VAR>=<secret>:<key> (EnvSecretsFeatureStep); the
 * typed env fields are merged over them by name.
 */
export function driverConfEnv(spec: SparkApplicationSpec): IEnvVar[] {
  const conf = confOf(spec);
  const plain = Object.entries(prefixed(conf, PREFIX.env)).map(([name, value]) => ({ name, value }));
  const fromSecrets = Object.entries(prefixed(conf, PREFIX.secretKeyRefs)).flatMap(([name, text]) => {
    const ref = secretKeyRef(text);
    return ref === undefined ? [] : [{ name, valueFrom: { secretKeyRef: ref } }];
  });
  const secretNames = new Set(fromSecrets.map((entry) => entry.name));
  return [...plain.filter((entry) => !secretNames.has(entry.name)), ...fromSecrets];
}

/**
 * Extended resources from spark.driver.resource.<name>.amount and .vendor, as limits named
 * `<vendor>/<name>` (KubernetesUtils.buildResourcesQuantities); driver.gpu wins for its name.
 */
export function driverResourceLimits(spec: SparkApplicationSpec): Record<string, string> {
  const resources = prefixed(confOf(spec), PREFIX.resources);
  return Object.fromEntries(
    Object.entries(resources).flatMap(([key, amount]) => {
      if (!key.endsWith(".amount")) return [];
      const name = key.slice(0, -".amount".length);
      const vendor = resources[`${name}.vendor`];
      return vendor === undefined || name === "" ? [] : [[`${vendor}/${name}`, amount]];
    }),
  );
}

/**
 * Which container of driver.template the Spark container is built on: the one named by
 * spark.kubernetes.driver.podTemplateContainerName (KubernetesDriverBuilder, through
 * KubernetesUtils.selectSparkContainer). It keeps our container's name, which the lifecycle
 * reads the driver's state from.
 */
export function driverTemplateContainer(spec: SparkApplicationSpec, fallback: string): string {
  return confOf(spec)[TEMPLATE_CONTAINER_NAME] ?? fallback;
}

export interface LocalDirs {
  readonly volumes: IVolume[];
  readonly mounts: IVolumeMount[];
  /** SPARK_LOCAL_DIRS, which the driver prefers over spark.local.dir. */
  readonly value: string;
}

/**
 * The driver's scratch dirs as LocalDirsFeatureStep decides them: the mount paths of the
 * Spark container's volumes named spark-local-dir-* when there are any (a PVC or a sized
 * emptyDir the user chose); else one emptyDir per path of spark.local.dir (default one
 * directory), in memory with spark.kubernetes.local.dirs.tmpfs.
 */
export function driverLocalDirs(spec: SparkApplicationSpec, mounts: readonly IVolumeMount[]): LocalDirs {
  const own = mounts.filter((mount) => mount.name.startsWith(LOCAL_DIR_VOLUME_PREFIX));
  if (own.length > 0)
    return { volumes: [], mounts: [], value: own.map((mount) => mount.mountPath).join(",") };
  const conf = confOf(spec);
  const paths = (conf[LOCAL_DIR] ?? DEFAULT_LOCAL_DIR).split(",").filter((path) => path !== "");
  const tmpfs = parseSparkBoolean(conf[LOCAL_DIRS_TMPFS] ?? "false") === true;
  const dirs = (paths.length === 0 ? [DEFAULT_LOCAL_DIR] : paths).map((path, index) => ({
    name: `${LOCAL_DIR_VOLUME_PREFIX}${index + 1}`,
    path,
  }));
  return {
    volumes: dirs.map(({ name }) => ({ name, emptyDir: tmpfs ? { medium: "Memory" } : {} })),
    mounts: dirs.map(({ name, path }) => ({ name, mountPath: path })),
    value: dirs.map(({ path }) => path).join(","),
  };
}

type IpFamily = "IPv4" | "IPv6";
type IpFamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";
const IP_FAMILIES: readonly IpFamily[] = ["IPv4", "IPv6"];
const IP_FAMILY_POLICIES: readonly IpFamilyPolicy[] = ["SingleStack", "PreferDualStack", "RequireDualStack"];

/** spark.kubernetes.driver.service.ipFamilies as written: `IPv4`, `IPv6,IPv4`… */
const ipFamilyTexts = (conf: Conf): string[] | undefined =>
  conf[SERVICE_IP_FAMILIES]?.split(",")
    .map((family) => family.trim())
    .filter((family) => family !== "");

export interface DriverServiceConf {
  readonly labels: Record<string, string> | undefined;
  readonly annotations: Record<string, string> | undefined;
  readonly ipFamilyPolicy: IpFamilyPolicy | undefined;
  readonly ipFamilies: IpFamily[] | undefined;
}

/**
 * The driver Service's labels and annotations (spark.kubernetes.driver.service.label.* and
 * .annotation.*, under driver.serviceLabels and driver.serviceAnnotations) and the IP families
 * DriverServiceFeatureStep writes, where the user set valid ones.
 */
export function driverServiceConf(spec: SparkApplicationSpec): DriverServiceConf {
  const conf = confOf(spec);
  const texts = ipFamilyTexts(conf) ?? [];
  const families = texts.flatMap((text) => IP_FAMILIES.filter((family) => family === text));
  return {
    labels: nonEmpty({ ...prefixed(conf, PREFIX.serviceLabels), ...spec.driver.serviceLabels }),
    annotations: nonEmpty({
      ...prefixed(conf, PREFIX.serviceAnnotations),
      ...spec.driver.serviceAnnotations,
    }),
    ipFamilyPolicy: IP_FAMILY_POLICIES.find((policy) => policy === conf[SERVICE_IP_FAMILY_POLICY]),
    ipFamilies: families.length === 0 || families.length !== texts.length ? undefined : families,
  };
}

// ---------------------------------------------------------------------------------------------
// What Spark would refuse, and what the hook cannot do

/** An app id of Spark's form, to check label values with the placeholder filled in. */
const SAMPLE_APP_ID = `spark-${"0".repeat(32)}`;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const field = (key: string): string => `spec.sparkConf[${JSON.stringify(key)}]`;

function keyProblems(prefix: string, values: Record<string, string>, what: "label" | "annotation"): string[] {
  return Object.entries(values).flatMap(([key, value]) => [
    ...(isQualifiedName(key)
      ? []
      : [`${field(prefix + key)}: ${JSON.stringify(key)} is not a valid ${what} key`]),
    ...(what === "label" && !isLabelValue(value)
      ? [`${field(prefix + key)}: ${JSON.stringify(value)} is not a valid label value`]
      : []),
  ]);
}

/**
 * DriverServiceFeatureStep refuses both with `require`: the bind address is the pod's IP and the
 * host the Service's name (or, from Spark 4.1 here, the pod's IP).
 */
const MANAGED_ADDRESSES: readonly string[] = ["spark.driver.bindAddress", "spark.driver.host"];

/** Volume names and mount paths the driver pod has without any sparkConf volume. */
export interface DriverPodOwn {
  readonly volumes: readonly string[];
  readonly paths: readonly string[];
}

/**
 * The driver keys whose values Spark's client would refuse (a `require` or a parse error before
 * any pod exists) or the API server would refuse in the pod or the Service: a sparkConf volume
 * named like one of `own.volumes` or mounted at one of `own.paths` would make the Pod invalid
 * (Spark's own conf volume clashes the same way). Each a message naming the key, for the
 * InvalidSpec condition.
 */
export function driverConfProblems(spec: SparkApplicationSpec, own: DriverPodOwn): string[] {
  const conf = confOf(spec);
  const confLabels = prefixed(conf, PREFIX.labels);
  const labels = labelsTakeAppId(spec.sparkVersion) ? substituteAppId(confLabels, SAMPLE_APP_ID) : confLabels;
  const annotations = prefixed(conf, PREFIX.annotations);
  const reserved = RESERVED_LABELS.filter((key) => key in labels).map(
    (key) => `${field(PREFIX.labels + key)}: the label ${key} is reserved for Spark`,
  );
  const secretRefs = Object.entries(prefixed(conf, PREFIX.secretKeyRefs))
    .filter(([, text]) => secretKeyRef(text) === undefined)
    .map(
      ([name, text]) =>
        `${field(PREFIX.secretKeyRefs + name)}: ${JSON.stringify(text)} is not <secret>:<key>`,
    );
  const volumes = driverConfVolumes(spec);
  const volumeProblems = volumes.flatMap(({ type, name, rendered }) =>
    "problem" in rendered ? [`${field(`${PREFIX.volumes}${type}.${name}.*`)}: ${rendered.problem}`] : [],
  );
  const paths = volumes.flatMap(({ rendered }) => ("problem" in rendered ? [] : [rendered.mount.mountPath]));
  const duplicatePaths = [...new Set(paths.filter((path, index) => paths.indexOf(path) !== index))].map(
    (path) => `${field(`${PREFIX.volumes}*`)}: more than one volume is mounted at ${path}`,
  );
  const taken = new Set<unknown>([
    ...own.volumes,
    ...(spec.volumes ?? []).map((volume) => (volume as { name?: unknown }).name),
  ]);
  const clashes = volumes
    .filter(({ name }) => taken.has(name))
    .map(
      ({ type, name }) =>
        `${field(`${PREFIX.volumes}${type}.${name}.*`)}: the driver pod already has a volume ${name} ` +
        "(spec.volumes or the hook's own)",
    );
  const takenPaths = volumes.flatMap(({ type, name, rendered }) =>
    "problem" in rendered || !own.paths.includes(rendered.mount.mountPath)
      ? []
      : [
          `${field(`${PREFIX.volumes}${type}.${name}.mount.path`)}: ${rendered.mount.mountPath} is where ` +
            "the hook mounts the driver's conf or executor template",
        ],
  );
  const resources = prefixed(conf, PREFIX.resources);
  const noVendor = Object.keys(resources)
    .filter((key) => key.endsWith(".amount"))
    .map((key) => key.slice(0, -".amount".length))
    .filter((name) => resources[`${name}.vendor`] === undefined)
    .map(
      (name) =>
        `${field(`${PREFIX.resources}${name}.amount`)}: Kubernetes needs ${PREFIX.resources}${name}.vendor ` +
        "for the extended resource name",
    );
  const podName = spec.driver.podName === undefined ? conf[DRIVER_POD_NAME_KEY] : undefined;
  const policy = conf[SERVICE_IP_FAMILY_POLICY];
  const families = ipFamilyTexts(conf);
  return [
    ...MANAGED_ADDRESSES.filter((key) => conf[key] !== undefined).map(
      (key) => `${field(key)}: Spark does not allow it on Kubernetes, where the driver's address is managed`,
    ),
    ...keyProblems(PREFIX.labels, labels, "label"),
    ...reserved,
    ...keyProblems(PREFIX.annotations, annotations, "annotation"),
    ...keyProblems(PREFIX.serviceLabels, prefixed(conf, PREFIX.serviceLabels), "label"),
    ...keyProblems(PREFIX.serviceAnnotations, prefixed(conf, PREFIX.serviceAnnotations), "annotation"),
    ...keyProblems(PREFIX.nodeSelector, prefixed(conf, PREFIX.nodeSelector), "label"),
    ...keyProblems(PREFIX.driverNodeSelector, prefixed(conf, PREFIX.driverNodeSelector), "label"),
    ...secretRefs,
    ...volumeProblems,
    ...duplicatePaths,
    ...clashes,
    ...takenPaths,
    ...noVendor,
    ...(podName === undefined || (podName.length <= 253 && DNS_SUBDOMAIN.test(podName))
      ? []
      : [
          `${field(DRIVER_POD_NAME_KEY)}: ${JSON.stringify(podName)} is not a valid pod name (a DNS subdomain)`,
        ]),
    ...(conf[PULL_POLICY] === undefined || pullPolicyOf(conf) !== undefined
      ? []
      : [`${field(PULL_POLICY)}: must be one of ${PULL_POLICIES.join(", ")}`]),
    ...(policy === undefined || IP_FAMILY_POLICIES.some((known) => known === policy)
      ? []
      : [`${field(SERVICE_IP_FAMILY_POLICY)}: must be one of ${IP_FAMILY_POLICIES.join(", ")}`]),
    ...(families === undefined ||
    (families.length > 0 && families.every((family) => IP_FAMILIES.some((known) => known === family)))
      ? []
      : [`${field(SERVICE_IP_FAMILIES)}: must be IPv4, IPv6 or both, comma-separated`]),
  ];
}

/** Keys that decide the driver pod in Spark's client and that the hook cannot honour, with why. */
const UNSUPPORTED_KEYS: readonly [string, string][] = [
  [
    "spark.kubernetes.driver.podTemplateFile",
    "a file on the submitting machine, which the hook has none of; put the template in spec.driver.template",
  ],
  [
    "spark.kubernetes.file.upload.path",
    "no submission client uploads local files; give dependencies as remote URIs or local:// paths in the image",
  ],
  [
    "spark.kubernetes.authenticate.driver.oauthToken",
    "Spark's client would put it in a Secret for the driver; the driver uses its service account's token " +
      "(or mount a Secret and set spark.kubernetes.authenticate.driver.mounted.oauthTokenFile)",
  ],
  ...["oauthTokenFile", "clientKeyFile", "clientCertFile", "caCertFile"].map((name): [string, string] => [
    `spark.kubernetes.authenticate.driver.${name}`,
    "a file on the submitting machine; mount it from a Secret (driver.secrets) and set " +
      `spark.kubernetes.authenticate.driver.mounted.${name}`,
  ]),
  [
    "spark.kubernetes.kerberos.krb5.path",
    "a file on the submitting machine; mount krb5.conf from a ConfigMap with driver.configMaps",
  ],
  [
    "spark.kubernetes.kerberos.krb5.configMapName",
    "Spark's client mounts it only after its own Kerberos login; mount the ConfigMap with driver.configMaps " +
      "and point java.security.krb5.conf at it",
  ],
  [
    "spark.kubernetes.kerberos.tokenSecret.name",
    "Spark's client mounts the token Secret only after its own Kerberos login; mount it with driver.secrets, " +
      "secretType HadoopDelegationToken",
  ],
  ["spark.kubernetes.kerberos.tokenSecret.itemKey", "see spark.kubernetes.kerberos.tokenSecret.name"],
  [
    "spark.kerberos.keytab",
    "Spark's client uploads the keytab from the submitting machine; mount it from a Secret with driver.secrets",
  ],
  [
    "spark.kubernetes.driver.pod.featureSteps",
    "feature steps are classes run by the submission client; the hook runs no Spark code",
  ],
  [
    "spark.kubernetes.driver.pod.excludedFeatureSteps",
    "feature steps are classes run by the submission client; the hook runs no Spark code",
  ],
  [
    "spark.kubernetes.executor.podTemplateFile",
    "the hook gives the driver its own executor template (from spec.executor and executor.template); " +
      "put the template in spec.executor.template",
  ],
  [
    "spark.kubernetes.executor.podTemplateContainerName",
    "the executor template the hook writes names its own container; put the template in spec.executor.template",
  ],
  [
    "spark.kubernetes.executor.podNamePrefix",
    "the hook names executors after the application and attempt, so two attempts never share names",
  ],
  ...["spark.driver.port", "spark.driver.blockManager.port", "spark.ui.port"].map((key): [string, string] => [
    key,
    "the hook fixes the driver's ports at 7078, 7079 and 4040, which its Services and the UI Service target",
  ]),
  [
    "spark.kubernetes.namespace",
    "the driver and its executors always run in the SparkApplication's namespace",
  ],
];

/** The set sparkConf keys the hook does not act on, each as `spec.sparkConf["<key>"]`. */
export function unsupportedDriverConf(spec: SparkApplicationSpec): UnsupportedField[] {
  const conf = confOf(spec);
  const keys = UNSUPPORTED_KEYS.filter(([key]) => conf[key] !== undefined).map(([key, reason]) => ({
    field: field(key),
    reason,
  }));
  const claims = driverConfVolumes(spec)
    .filter((volume) => volume.createsClaim)
    .map(({ type, name }) => ({
      field: field(`${PREFIX.volumes}${type}.${name}.options.claimName`),
      reason:
        "Spark's client would create this PersistentVolumeClaim (OnDemand, or storageClass with sizeLimit); the " +
        "hook creates none: an OnDemand claim is not mounted, a named one is mounted and must exist",
    }));
  return [...keys, ...claims];
}
