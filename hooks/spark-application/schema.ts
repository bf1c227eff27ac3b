/**
 * SparkApplication: the single source of its future CRD and of the types the hook works with.
 *
 * Field names, shapes and defaults follow kubeflow's `sparkoperator.k8s.io/v1beta2`
 * SparkApplication, so its manifests work after changing only `apiVersion`. kubeflow applies its
 * defaults (api/v1beta2/defaults.go) in a mutating webhook; here they are part of the parse.
 * Kubernetes types the hook passes on without reading (volumes, affinity, containers, lifecycle,
 * pod templates…) are preserved objects: the API server and the Pod they end up in validate them.
 */
import { z } from "zod";
import { parseSpecWith, type SpecParse } from "../crd/parse-spec.js";
import { count, labelMap, preservedObject, quantity, stringish } from "../crd/fields.js";
import type { Defined } from "../kube/defined.js";
import {
  kubernetesEnvVarSchema,
  KubernetesPodSecurityContext,
  KubernetesSecurityContext,
  tolerationSchema,
  type FieldOwner,
} from "../spark/schemas.js";
import { byteStringAs, parseSparkBoolean, parseSparkDouble } from "../spark/sizes.js";
import { HistoryServerReference } from "../spark/event-log.js";

export { API_VERSION, GROUP, VERSION } from "../spark/api.js";
export const KIND = "SparkApplication";
export const PLURAL = "sparkapplications";

/** kubeflow's defaults (api/v1beta2/defaults.go): what a role gets when neither the spec nor sparkConf sizes it. */
export const DEFAULT_CORES = 1;
export const DEFAULT_MEMORY = "1g";
export const DEFAULT_EXECUTOR_INSTANCES = 1;
/** Seconds between retries when restartPolicy is OnFailure or Always and no interval is given. */
export const DEFAULT_RETRY_INTERVAL_SECONDS = 5;
/** Reruns after infrastructure failures when the policy retries at all (sparkhooks, not kubeflow). */
export const DEFAULT_INFRASTRUCTURE_RETRIES = 3;
/** How long a driver may stay Pending (unscheduled, pulling, init containers) before the run counts as failed. */
export const DEFAULT_START_TIMEOUT_SECONDS = 600;

type Role = "driver" | "executor";

function owner(role: Role): FieldOwner {
  return { pods: role, resource: "application" };
}

/**
 * A JVM size as Spark reads it (`512m`, `2g`, `1024` = MiB): whole numbers only, so a
 * Kubernetes quantity such as "1.5Gi" is refused. Checked with Spark's own rules; kept as
 * written, since it goes into the Spark conf as it is.
 */
function sparkSize(description: string) {
  return z
    .string()
    .superRefine((text, ctx) => {
      const size = byteStringAs(text, "m");
      if (!size.ok) ctx.addIssue({ code: "custom", message: size.problem });
    })
    .describe(description);
}

const stringMap = (description: string) => z.record(z.string(), z.string()).describe(description);

/** Spark and Hadoop properties: values may be bare YAML numbers and booleans, as users write them. */
const propertyMap = (description: string) =>
  z.record(z.string(), stringish("Property value.")).describe(description);

const port = (description: string) => z.int32().min(1).max(65535).describe(description);

const NamePath = z
  .object({
    name: z.string().min(1).describe("Name of the ConfigMap."),
    path: z.string().min(1).describe("Directory in the container it is mounted at."),
  })
  .describe("A ConfigMap mounted into the pod.");

const SecretMount = z
  .object({
    name: z.string().min(1).describe("Name of the Secret."),
    path: z.string().min(1).describe("Directory in the container it is mounted at."),
    secretType: z
      .enum(["GCPServiceAccount", "HadoopDelegationToken", "Generic"])
      .describe(
        "GCPServiceAccount sets GOOGLE_APPLICATION_CREDENTIALS to <path>/key.json, " +
          "HadoopDelegationToken sets HADOOP_TOKEN_FILE_LOCATION to <path>/hadoop.token, Generic only mounts it.",
      ),
  })
  .describe("A Secret mounted into the pod.");

const Gpu = z
  .object({
    name: z.string().min(1).describe("Extended resource name, e.g. nvidia.com/gpu."),
    quantity: count("How many; set as the container's limit.", { min: 1 }),
  })
  .describe("GPUs for the container, added to its resource limits.");

const HostAlias = z
  .object({
    ip: z.string().min(1).describe("IP address of the host entry."),
    hostnames: z.array(z.string()).optional().describe("Hostnames for that IP address."),
  })
  .describe("An entry of the pod's /etc/hosts.");

const SecretKeyRef = z
  .object({
    name: z.string().min(1).describe("Name of the Secret."),
    key: z.string().min(1).describe("Key within the Secret."),
  })
  .describe("A key of a Secret in the application's namespace.");

const ContainerPort = z
  .object({
    name: z.string().min(1).describe("Port name (IANA_SVC_NAME)."),
    protocol: z.enum(["TCP", "UDP", "SCTP"]).describe("Port protocol."),
    containerPort: port("Port number in the container."),
  })
  .describe("An extra port of the Spark container.");

/** The pod fields driver and executor share (kubeflow's SparkPodSpec, inlined in both). */
function sparkPodFields(role: Role) {
  const pods = owner(role);
  return {
    template: preservedObject(
      `Pod template (core/v1 PodTemplateSpec) the ${role} pod starts from; the fields below and ` +
        "Spark's own settings win over it, as with spark.kubernetes." +
        `${role}.podTemplateFile.`,
    ).optional(),
    cores: count(
      `CPU cores of the ${role} (spark.${role}.cores, whole number, at least 1). Default ` +
        `${DEFAULT_CORES} unless sparkConf sets spark.${role}.cores.`,
      { min: 1 },
    ).optional(),
    coreLimit: quantity(
      `CPU limit of the ${role} container (spark.kubernetes.${role}.limit.cores), e.g. 1200m.`,
    ).optional(),
    memory: sparkSize(
      `JVM heap of the ${role} (spark.${role}.memory), in Spark's size format: 512m, 2g. Default ` +
        `${DEFAULT_MEMORY} unless sparkConf sets spark.${role}.memory. The container requests ` +
        "this plus memoryOverhead.",
    ).optional(),
    memoryLimit: quantity(
      `Memory limit of the ${role} container (a Kubernetes quantity); overrides heap + overhead for the limit only.`,
    ).optional(),
    memoryOverhead: sparkSize(
      `Non-heap memory of the ${role} (spark.${role}.memoryOverhead), e.g. 512m. Default: ` +
        "memoryOverheadFactor × memory, at least 384m.",
    ).optional(),
    gpu: Gpu.optional(),
    image: z.string().min(1).optional().describe(`Container image of the ${role}; overrides spec.image.`),
    configMaps: z.array(NamePath).optional().describe(`ConfigMaps mounted into the ${role} pod.`),
    secrets: z.array(SecretMount).optional().describe(`Secrets mounted into the ${role} pod.`),
    env: z
      .array(kubernetesEnvVarSchema(pods))
      .optional()
      .describe(`Environment variables of the ${role} container.`),
    envVars: stringMap(
      `Deprecated (use env): plain environment variables of the ${role} container, name to value.`,
    ).optional(),
    envFrom: z
      .array(preservedObject("A core/v1 EnvFromSource: every key of a ConfigMap or Secret."))
      .optional()
      .describe(`Environment variables of the ${role} container from whole ConfigMaps or Secrets.`),
    envSecretKeyRefs: z
      .record(z.string(), SecretKeyRef)
      .optional()
      .describe(
        `Deprecated (use env with valueFrom): environment variable name to a Secret key, for the ${role}.`,
      ),
    labels: labelMap(`Extra labels of the ${role} pod.`).optional(),
    annotations: stringMap(`Extra annotations of the ${role} pod.`).optional(),
    volumeMounts: z
      .array(preservedObject("A core/v1 VolumeMount of a volume in spec.volumes."))
      .optional()
      .describe(`Mounts of spec.volumes in the ${role} container.`),
    affinity: preservedObject(`Kubernetes Affinity (core/v1) of the ${role} pod.`).optional(),
    tolerations: z.array(tolerationSchema(pods)).optional().describe(`Tolerations of the ${role} pod.`),
    podSecurityContext: KubernetesPodSecurityContext.describe(
      `Pod security context of the ${role}, merged field by field over defaults that meet Pod ` +
        "Security Standards 'restricted' (uid/gid 185, the apache/spark image's spark user; " +
        "runAsNonRoot; seccomp RuntimeDefault).",
    ).optional(),
    securityContext: KubernetesSecurityContext.describe(
      `Security context of the ${role} container, merged field by field over the restricted ` +
        "defaults (no privilege escalation, drop ALL capabilities).",
    ).optional(),
    schedulerName: z.string().min(1).optional().describe(`Scheduler for the ${role} pod.`),
    sidecars: z
      .array(preservedObject("A core/v1 Container."))
      .optional()
      .describe(`Extra containers running beside Spark in the ${role} pod.`),
    initContainers: z
      .array(preservedObject("A core/v1 Container."))
      .optional()
      .describe(`Init containers of the ${role} pod.`),
    hostNetwork: z.boolean().optional().describe(`Run the ${role} pod in the node's network namespace.`),
    nodeSelector: stringMap(`Node labels the ${role} pod must run on.`).optional(),
    dnsConfig: preservedObject(`Kubernetes PodDNSConfig (core/v1) of the ${role} pod.`).optional(),
    terminationGracePeriodSeconds: count(
      `Seconds the ${role} pod gets to stop after SIGTERM before it is killed.`,
      { min: 0 },
    ).optional(),
    serviceAccount: z
      .string()
      .min(1)
      .optional()
      .describe(
        `Service account of the ${role} pod (spark.kubernetes.authenticate.${role}.serviceAccountName).`,
      ),
    hostAliases: z.array(HostAlias).optional().describe(`Extra /etc/hosts entries of the ${role} pod.`),
    shareProcessNamespace: z
      .boolean()
      .optional()
      .describe(`Share one process namespace between the containers of the ${role} pod.`),
    coreRequest: quantity(
      `CPU request of the ${role} container (spark.kubernetes.${role}.request.cores), e.g. 500m; default: cores.`,
    ).optional(),
    javaOptions: z
      .string()
      .optional()
      .describe(`Extra JVM options of the ${role} (spark.${role}.extraJavaOptions).`),
    lifecycle: preservedObject(`Kubernetes Lifecycle (core/v1) hooks of the ${role} container.`).optional(),
    ports: z.array(ContainerPort).optional().describe(`Extra ports of the ${role} container.`),
    priorityClassName: z.string().min(1).optional().describe(`PriorityClass of the ${role} pod.`),
  };
}

const Driver = z
  .object({
    ...sparkPodFields("driver"),
    podName: z
      .string()
      .max(253)
      .regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
        "must be a DNS subdomain: lower-case alphanumerics, '-' and '.'",
      )
      .optional()
      .describe("Name of the driver pod (spark.kubernetes.driver.pod.name); default <app>-driver."),
    kubernetesMaster: z
      .string()
      .min(1)
      .optional()
      .describe(
        "API server the driver creates executors through (spark.kubernetes.driver.master); " +
          "default the in-cluster https://kubernetes.default.svc.",
      ),
    startTimeoutSeconds: count(
      "sparkhooks: seconds the driver pod may take from being asked for to running (scheduling, " +
        "image pull, init containers) before the run counts as an infrastructure failure and is " +
        `retried under restartPolicy.onInfrastructureFailureRetries. Default ${DEFAULT_START_TIMEOUT_SECONDS}.`,
      { min: 1 },
    ).optional(),
    serviceAnnotations: stringMap("Annotations of the driver's headless Service.").optional(),
    serviceLabels: labelMap("Labels of the driver's headless Service.").optional(),
  })
  .describe("The driver pod.");

const Executor = z
  .object({
    ...sparkPodFields("executor"),
    instances: count(
      `Number of executors (spark.executor.instances, at least 1). Default ${DEFAULT_EXECUTOR_INSTANCES} ` +
        "unless sparkConf sets spark.executor.instances or dynamicAllocation is enabled.",
      { min: 1 },
    ).optional(),
    deleteOnTermination: z
      .boolean()
      .optional()
      .describe(
        "Delete executor pods when they end (spark.kubernetes.executor.deleteOnTermination, Spark's default true).",
      ),
  })
  .describe("The executor pods, which the driver creates.");

const Dependencies = z
  .object({
    jars: z
      .array(z.string())
      .optional()
      .describe("Jars for the driver and executor classpaths (spark.jars)."),
    files: z
      .array(z.string())
      .optional()
      .describe("Files placed in each pod's working directory (spark.files)."),
    pyFiles: z
      .array(z.string())
      .optional()
      .describe(".zip, .egg or .py files on the Python path (spark.submit.pyFiles)."),
    packages: z
      .array(z.string())
      .optional()
      .describe("Maven coordinates groupId:artifactId:version to resolve (spark.jars.packages)."),
    excludePackages: z
      .array(z.string())
      .optional()
      .describe("groupId:artifactId to leave out when resolving packages (spark.jars.excludes)."),
    repositories: z
      .array(z.string())
      .optional()
      .describe("Extra Maven repositories for packages (spark.jars.repositories)."),
    archives: z
      .array(z.string())
      .optional()
      .describe("Archives unpacked into each pod's working directory (spark.archives)."),
  })
  .describe("Files and packages the application needs besides mainApplicationFile.");

const RestartPolicy = z
  .object({
    type: z
      .enum(["Never", "OnFailure", "Always"])
      .default("Never")
      .describe(
        "Never (default): a finished run is final. OnFailure: rerun a failed run up to " +
          "onFailureRetries times and a failed submission up to onSubmissionFailureRetries times. " +
          "Always: rerun every run that ends, failed or not.",
      ),
    onSubmissionFailureRetries: count(
      "How often a failed submission is retried (OnFailure); unset means never.",
      { min: 0 },
    ).optional(),
    onFailureRetries: count("How often a failed run is rerun (OnFailure); unset means never.", {
      min: 0,
    }).optional(),
    onSubmissionFailureRetryInterval: count(
      "Seconds between submission retries, multiplied by the attempts so far (linear backoff); " +
        `default ${DEFAULT_RETRY_INTERVAL_SECONDS} unless type is Never.`,
      { min: 1 },
    ).optional(),
    onFailureRetryInterval: count(
      "Seconds between reruns, multiplied by the attempts so far (linear backoff); " +
        `default ${DEFAULT_RETRY_INTERVAL_SECONDS} unless type is Never.`,
      { min: 1 },
    ).optional(),
    onInfrastructureFailureRetries: count(
      "sparkhooks: how often a run stopped by the platform rather than by the application is " +
        "rerun: driver evicted, preempted, its node lost, its pod deleted, or not started within " +
        "driver.startTimeoutSeconds. Counted apart from onFailureRetries. Default " +
        `${DEFAULT_INFRASTRUCTURE_RETRIES} unless type is Never (then 0).`,
      { min: 0 },
    ).optional(),
    onInfrastructureFailureRetryInterval: count(
      "sparkhooks: seconds before such a rerun, multiplied by the infrastructure failures so far " +
        `(linear backoff); default ${DEFAULT_RETRY_INTERVAL_SECONDS}.`,
      { min: 1 },
    ).optional(),
  })
  .describe("Whether and when the application is run again after it ends.");

const Prometheus = z
  .object({
    jmxExporterJar: z
      .string()
      .min(1)
      .describe("Path of the Prometheus JMX exporter jar in the image, loaded as a -javaagent."),
    port: z
      .int32()
      .min(1024)
      .max(49151)
      .optional()
      .describe("Port the JMX exporter serves metrics on (1024–49151, kubeflow's default 8090)."),
    portName: z.string().min(1).optional().describe("Name of that container port (default jmx-exporter)."),
    configFile: z
      .string()
      .min(1)
      .optional()
      .describe("Path of the exporter's configuration in the image; wins over configuration."),
    configuration: z.string().optional().describe("The exporter's configuration file content (YAML)."),
  })
  .describe("Expose metrics through the Prometheus JMX exporter java agent.");

const Monitoring = z
  .object({
    exposeDriverMetrics: z.boolean().describe("Expose the driver's metrics."),
    exposeExecutorMetrics: z.boolean().describe("Expose the executors' metrics."),
    metricsProperties: z
      .string()
      .optional()
      .describe("Content of Spark's metrics.properties; wins over metricsPropertiesFile."),
    metricsPropertiesFile: z
      .string()
      .optional()
      .describe("Path of a metrics.properties in the image (spark.metrics.conf)."),
    prometheus: Prometheus.optional(),
  })
  .describe("Spark metrics of the application.");

const BatchSchedulerOptions = z
  .object({
    queue: z.string().optional().describe("Queue of the batch scheduler the application is placed in."),
    priorityClassName: z.string().optional().describe("PriorityClass of the application's pod group."),
    resources: z
      .record(z.string(), quantity("Amount of the resource."))
      .optional()
      .describe(
        "Minimum resources the batch scheduler reserves for the whole application (gang scheduling).",
      ),
  })
  .describe("Options for batchScheduler.");

const serviceType = z
  .enum(["ClusterIP", "NodePort", "LoadBalancer"])
  .describe("Type of the Service (default ClusterIP).");

const ingressTls = z.array(preservedObject("A networking/v1 IngressTLS.")).describe("TLS of the Ingress.");

const SparkUIOptions = z
  .object({
    servicePort: port("Port of the UI Service (default 4040).").optional(),
    servicePortName: z
      .string()
      .min(1)
      .optional()
      .describe("Name of the UI Service port (default spark-driver-ui-port)."),
    serviceType: serviceType.optional(),
    serviceAnnotations: stringMap("Annotations of the UI Service.").optional(),
    serviceLabels: labelMap("Labels of the UI Service.").optional(),
    ingressAnnotations: stringMap("Annotations of the UI Ingress.").optional(),
    ingressTLS: ingressTls.optional(),
  })
  .describe("The <app>-ui-svc Service of the driver's web UI.");

const DriverIngressOptions = z
  .object({
    servicePort: port("Driver port the Service exposes."),
    servicePortName: z.string().min(1).describe("Name of the Service port."),
    serviceType: serviceType.optional(),
    serviceAnnotations: stringMap("Annotations of the Service.").optional(),
    serviceLabels: labelMap("Labels of the Service.").optional(),
    ingressURLFormat: z
      .string()
      .optional()
      .describe("URL format of the Ingress, e.g. {{$appName}}.example.com."),
    ingressAnnotations: stringMap("Annotations of the Ingress.").optional(),
    ingressTLS: ingressTls.optional(),
  })
  .describe("An extra driver port exposed through a Service and an Ingress.");

const DynamicAllocation = z
  .object({
    enabled: z
      .boolean()
      .optional()
      .describe("Scale executors with the workload (spark.dynamicAllocation.enabled)."),
    initialExecutors: count("Executors at start (spark.dynamicAllocation.initialExecutors).", {
      min: 0,
    }).optional(),
    minExecutors: count("Fewest executors (spark.dynamicAllocation.minExecutors).", { min: 0 }).optional(),
    maxExecutors: count("Most executors (spark.dynamicAllocation.maxExecutors).", { min: 0 }).optional(),
    shuffleTrackingEnabled: z
      .boolean()
      .optional()
      .describe(
        "Keep executors holding shuffle data instead of an external shuffle service " +
          "(spark.dynamicAllocation.shuffleTracking.enabled); default true when enabled.",
      ),
    shuffleTrackingTimeout: count(
      "Milliseconds an executor holding shuffle data is kept (spark.dynamicAllocation.shuffleTracking.timeout).",
      { min: 0 },
    ).optional(),
  })
  .describe("Dynamic allocation of executors (Spark 3+ shuffle tracking).");

const SparkApplicationSpecFields = z
  .object({
    type: z
      .enum(["Java", "Python", "Scala", "R"])
      .default("Scala")
      .describe("Language of the application (default Scala)."),
    sparkVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?([-.][0-9A-Za-z.-]+)?$/, "must look like 3.5.3 or 4.0")
      .describe(
        "Spark version in the image, e.g. 3.5.3; its major and minor version decide how the driver is rendered.",
      ),
    mode: z
      .enum(["cluster", "client"])
      .default("cluster")
      .describe("Deploy mode (default cluster: the driver runs in its own pod)."),
    proxyUser: z.string().min(1).optional().describe("User to run as (spark-submit --proxy-user)."),
    image: z
      .string()
      .min(1)
      .optional()
      .describe("Container image of driver and executors, unless driver.image or executor.image is set."),
    imagePullPolicy: z
      .enum(["Always", "IfNotPresent", "Never"])
      .optional()
      .describe("Image pull policy of the Spark containers."),
    imagePullSecrets: z
      .array(z.string().min(1))
      .optional()
      .describe("Names of Secrets used to pull the images."),
    mainClass: z.string().min(1).optional().describe("Main class of a Java or Scala application."),
    mainApplicationFile: z
      .string()
      .min(1)
      .describe(
        "The application: a jar, .py or .R file, e.g. local:///opt/spark/examples/jars/spark-examples.jar.",
      ),
    arguments: z.array(z.string()).optional().describe("Arguments of the application."),
    sparkConf: propertyMap("Spark properties; the typed fields of this spec win over them.").optional(),
    hadoopConf: propertyMap("Hadoop properties, passed to Spark with the prefix spark.hadoop.").optional(),
    sparkConfigMap: z
      .string()
      .min(1)
      .optional()
      .describe("ConfigMap with Spark configuration files, mounted as SPARK_CONF_DIR."),
    hadoopConfigMap: z
      .string()
      .min(1)
      .optional()
      .describe("ConfigMap with Hadoop configuration files, mounted as HADOOP_CONF_DIR (/etc/hadoop/conf)."),
    volumes: z
      .array(preservedObject("A core/v1 Volume."))
      .optional()
      .describe("Volumes that driver.volumeMounts and executor.volumeMounts refer to."),
    driver: Driver,
    executor: Executor,
    deps: Dependencies.optional(),
    restartPolicy: RestartPolicy.prefault({}),
    nodeSelector: stringMap(
      "Node labels driver and executor pods must run on (kubeflow: not together with driver/executor nodeSelector).",
    ).optional(),
    failureRetries: count("Legacy: restartPolicy.onFailureRetries where that is not set.", {
      min: 0,
    }).optional(),
    retryInterval: count("Legacy: restartPolicy.onFailureRetryInterval where that is not set.", {
      min: 0,
    }).optional(),
    pythonVersion: z
      .enum(["2", "3"])
      .optional()
      .describe("Major Python version of a PySpark application (spark.kubernetes.pyspark.pythonVersion)."),
    memoryOverheadFactor: stringish(
      "Non-heap memory as a fraction of memory, where memoryOverhead is not set " +
        "(spark.kubernetes.memoryOverheadFactor; Spark's default 0.1 for JVM and 0.4 for Python and R).",
    )
      .refine((text) => (parseSparkDouble(text) ?? 0) > 0, "must be a positive decimal number such as 0.1")
      .optional(),
    monitoring: Monitoring.optional(),
    batchScheduler: z
      .string()
      .min(1)
      .optional()
      .describe("Batch scheduler of driver and executor pods, e.g. volcano or yunikorn."),
    batchSchedulerOptions: BatchSchedulerOptions.optional(),
    timeToLiveSeconds: count("Seconds after the application ends before its pods and services are removed.", {
      min: 0,
    }).optional(),
    sparkUIOptions: SparkUIOptions.optional(),
    driverIngressOptions: z
      .array(DriverIngressOptions)
      .optional()
      .describe("Extra driver ports exposed through Services and Ingresses."),
    dynamicAllocation: DynamicAllocation.optional(),
    driverPodDisruptionBudget: z
      .boolean()
      .optional()
      .describe("Protect the driver pod with a PodDisruptionBudget."),
    suspend: z
      .boolean()
      .optional()
      .describe("Do not run the application; setting it on a running one removes its pods."),
    historyServer: HistoryServerReference.optional().describe(
      "The SparkHistoryServer this application's event logs are for (not in kubeflow; radanalytics had it): " +
        "spark.eventLog.enabled and spark.eventLog.dir are set to its log directory, and for a sharedVolume " +
        "history server the driver mounts its claim <name>-claim where the history server mounts it. " +
        "Resolved when a run starts; changing it reruns the application.",
    ),
  })
  .describe(
    "A Spark batch application: its driver pod and, through Spark, its executors. " +
      "Field-compatible with kubeflow's sparkoperator.k8s.io/v1beta2 SparkApplication.",
  );

type SpecFields = z.output<typeof SparkApplicationSpecFields>;

/**
 * kubeflow's defaults that depend on other fields (api/v1beta2/defaults.go): a role's cores
 * and memory only when sparkConf does not size it, executor instances only when neither
 * sparkConf nor dynamic allocation decides the count, retry intervals only for a policy that
 * retries, shuffle tracking only with dynamic allocation on. A plain field default would
 * override a sparkConf value the user meant. kubeflow looks dynamic allocation up in sparkConf
 * as "spark.dynamicallocation.enabled", a spelling Spark never reads; this reads Spark's own key.
 */
function withKubeflowDefaults(spec: SpecFields): SpecFields {
  const conf = spec.sparkConf ?? {};
  const unlessConf = <T>(key: string, value: T): T | undefined => (key in conf ? undefined : value);
  const allocationField = spec.dynamicAllocation?.enabled === true;
  const allocationConf = parseSparkBoolean(conf["spark.dynamicAllocation.enabled"] ?? "") === true;
  const retries = spec.restartPolicy.type !== "Never";
  return {
    ...spec,
    driver: {
      ...spec.driver,
      ...(spec.driver.cores === undefined
        ? dropUndefined({ cores: unlessConf("spark.driver.cores", DEFAULT_CORES) })
        : {}),
      ...(spec.driver.memory === undefined
        ? dropUndefined({ memory: unlessConf("spark.driver.memory", DEFAULT_MEMORY) })
        : {}),
    },
    executor: {
      ...spec.executor,
      ...(spec.executor.cores === undefined
        ? dropUndefined({ cores: unlessConf("spark.executor.cores", DEFAULT_CORES) })
        : {}),
      ...(spec.executor.memory === undefined
        ? dropUndefined({ memory: unlessConf("spark.executor.memory", DEFAULT_MEMORY) })
        : {}),
      ...(spec.executor.instances === undefined && !allocationField && !allocationConf
        ? dropUndefined({ instances: unlessConf("spark.executor.instances", DEFAULT_EXECUTOR_INSTANCES) })
        : {}),
    },
    restartPolicy: {
      ...(retries
        ? {
            onFailureRetryInterval: spec.retryInterval ?? DEFAULT_RETRY_INTERVAL_SECONDS,
            onSubmissionFailureRetryInterval: DEFAULT_RETRY_INTERVAL_SECONDS,
          }
        : {}),
      // v1beta2's legacy top-level fields, where restartPolicy does not say otherwise.
      ...(spec.failureRetries === undefined ? {} : { onFailureRetries: spec.failureRetries }),
      onInfrastructureFailureRetries: retries ? DEFAULT_INFRASTRUCTURE_RETRIES : 0,
      onInfrastructureFailureRetryInterval: DEFAULT_RETRY_INTERVAL_SECONDS,
      ...spec.restartPolicy,
    },
    ...(spec.dynamicAllocation !== undefined && allocationField
      ? { dynamicAllocation: { shuffleTrackingEnabled: true, ...spec.dynamicAllocation } }
      : {}),
  };
}

/** The object without its undefined entries, so an absent default stays absent. */
function dropUndefined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export const SparkApplicationSpec = SparkApplicationSpecFields.transform(withKubeflowDefaults);

export type SparkApplicationSpecInput = z.input<typeof SparkApplicationSpec>;
export type SparkApplicationSpec = Defined<z.output<typeof SparkApplicationSpec>>;

export function parseSparkApplicationSpec(raw: unknown): SpecParse<SparkApplicationSpec> {
  return parseSpecWith(SparkApplicationSpec, raw);
}
