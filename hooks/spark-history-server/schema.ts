/**
 * SparkHistoryServer: the single source of the CRD (crds/sparkhistoryservers.sparkhooks.dev.yaml
 * is generated from these schemas) and of the types the hook works with.
 *
 * Field names, defaults and units follow radanalytics' SparkHistoryServer
 * (src/main/resources/schema/sparkHistoryServer.json), so its manifests work after changing only
 * `apiVersion`. Its units stay what its schema documents (days, MB, GB); spark-conf.ts writes
 * them the way Spark reads them. Fields it lacked and users of object stores need (Hadoop
 * settings, credentials from Secrets, resources, scheduling and security) are additions, named
 * as on SparkCluster.
 */
import { z } from "zod";
import { conditionList, count, labelMap, preservedObject, quantity, stringish } from "../crd/fields.js";
import { parseSpecWith, type SpecParse } from "../crd/parse-spec.js";
import type { Defined } from "../kube/defined.js";
import { DEFAULT_EVENT_LOG_MOUNT_PATH, EventLogMountPath } from "../spark/event-log.js";
import { DEFAULT_SPARK_VERSION } from "../spark/image.js";
import {
  containerResourceFields,
  envVarSchema,
  fixedUserIdsSchema,
  PodSecurityContext,
  SecurityContext,
  SparkSetting,
  tolerationSchema,
  type FieldOwner,
} from "../spark/schemas.js";

export { API_VERSION, GROUP, VERSION } from "../spark/api.js";
export const KIND = "SparkHistoryServer";
export const PLURAL = "sparkhistoryservers";

/** radanalytics' default, shared with the writers linked by name (../spark/event-log.ts). */
export const DEFAULT_MOUNT_PATH = DEFAULT_EVENT_LOG_MOUNT_PATH;
export const DEFAULT_PORT = 18080;
export const DEFAULT_PROVIDER = "org.apache.spark.deploy.history.FsHistoryProvider";
/**
 * The history server replays event logs in its heap (SPARK_DAEMON_MEMORY, Spark's default 1g);
 * 2Gi leaves it 1664Mi after JVM headroom, room for the 50 retained applications' UIs.
 */
export const DEFAULT_RESOURCES = { cpu: "500m", memory: "2Gi" } as const;

const OWNER: FieldOwner = { pods: "history server", resource: "history server" };

const absolutePath = z.string().regex(/^\/[^\0]*$/, "must be an absolute path");

const SharedVolume = z
  .object({
    size: quantity(
      "Storage requested by the PersistentVolumeClaim <name>-claim (default 0.3Gi). A claim's " +
        "size cannot be lowered and is only raised where the StorageClass allows expansion: " +
        "a change after creation is reported in status, the claim is kept as it is.",
    ).prefault("0.3Gi"),
    mountPath: EventLogMountPath.default(DEFAULT_MOUNT_PATH).describe(
      `Where the claim is mounted in the history server (and in the pods of applications linked ` +
        `to it by name); the default log directory is file:<mountPath>. Default ${DEFAULT_MOUNT_PATH}.`,
    ),
    matchLabels: labelMap(
      "Labels of the pre-created PersistentVolume the claim must bind to (its spec.selector). " +
        "Unset: no selector, so the StorageClass may provision a volume (most provisioners refuse " +
        "claims with a selector).",
    ).optional(),
    storageClassName: z
      .string()
      .optional()
      .describe(
        'StorageClass of the claim; it must offer ReadWriteMany (NFS, CephFS, EFS, Azure Files…). "" ' +
          "binds only to PersistentVolumes without a class; unset uses the cluster's default class.",
      ),
  })
  .describe(
    "type sharedVolume: a ReadWriteMany PersistentVolumeClaim <name>-claim holding the event logs, " +
      "written by applications that mount the same claim.",
  );

const Cleaner = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("Delete event logs older than maxAge (spark.history.fs.cleaner.enabled)."),
    interval: count("How often the cleaner runs, in days (default 1): spark.history.fs.cleaner.interval.", {
      min: 1,
      default: 1,
    }),
    maxAge: count(
      "Event logs older than this many days are deleted (default 7): spark.history.fs.cleaner.maxAge.",
      {
        min: 1,
        default: 7,
      },
    ),
  })
  .describe("The event log cleaner.");

const Kerberos = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("Log in with Kerberos to read a secured HDFS (spark.history.kerberos.enabled)."),
    principal: z.string().optional().describe("spark.history.kerberos.principal."),
    keytab: z
      .string()
      .optional()
      .describe(
        "spark.history.kerberos.keytab: a path in the container, e.g. a Secret mounted with volumes/volumeMounts.",
      ),
  })
  .describe("Kerberos login of the history server.");

const EnvFromSource = z
  .object({
    prefix: z.string().optional().describe("Prepended to every variable name."),
    secretRef: z
      .object({
        name: z.string().min(1).describe("Secret name."),
        optional: z.boolean().optional().describe("Whether the Secret may be absent."),
      })
      .optional()
      .describe("Every key of a Secret in the history server's namespace."),
    configMapRef: z
      .object({
        name: z.string().min(1).describe("ConfigMap name."),
        optional: z.boolean().optional().describe("Whether the ConfigMap may be absent."),
      })
      .optional()
      .describe("Every key of a ConfigMap in the history server's namespace."),
  })
  .describe("Environment variables from a Secret or ConfigMap (core/v1 EnvFromSource).");

const Expose = z
  .boolean()
  .default(false)
  .describe(
    "Create an Ingress (networking.k8s.io/v1) <name> for the web UI, for host when set. The " +
      "Service <name> exists either way.",
  );

export const SparkHistoryServerSpec = z
  .object({
    type: z
      .enum(["sharedVolume", "remoteStorage"])
      .default("sharedVolume")
      .describe(
        "sharedVolume: event logs on a ReadWriteMany PersistentVolumeClaim <name>-claim. " +
          "remoteStorage: event logs in an object store or HDFS at remoteURI (s3a://, gs://, abfs://, hdfs://).",
      ),
    sharedVolume: SharedVolume.prefault({}),
    remoteURI: z
      .string()
      .min(1)
      .optional()
      .describe(
        "type remoteStorage: the event log directory (s3a://bucket/path, gs://…, abfs://…, hdfs://…); " +
          "the image must hold the file system's Hadoop connector. Unset: logDirectory.",
      ),
    expose: Expose,
    host: z
      .string()
      .optional()
      .describe('Host name of the Ingress rule (expose). Empty or unset: every host ("" in radanalytics).'),
    ingressClassName: z
      .string()
      .min(1)
      .optional()
      .describe("IngressClass of the Ingress (expose); unset uses the cluster's default class."),
    gateway: z
      .object({
        name: z.string().min(1).describe("The Gateway's name."),
        namespace: z
          .string()
          .min(1)
          .optional()
          .describe(
            "The Gateway's namespace (default the history server's); its listener must allow routes from here.",
          ),
        sectionName: z
          .string()
          .min(1)
          .optional()
          .describe("The Gateway listener to attach to (default all)."),
      })
      .optional()
      .describe(
        "With expose: an HTTPRoute (gateway.networking.k8s.io/v1) <name> attached to this Gateway, " +
          "for host when set, instead of the Ingress. Needs Gateway API in the cluster and the " +
          "CompositeController to list httproutes (the kustomize component deploy/components/gateway-api).",
      ),
    logDirectory: z
      .string()
      .min(1)
      .optional()
      .describe(
        "spark.history.fs.logDirectory. Default: file:<sharedVolume.mountPath> for sharedVolume, " +
          "remoteURI for remoteStorage.",
      ),
    updateInterval: count(
      "Seconds between scans of the log directory for new or updated logs (default 10): spark.history.fs.update.interval.",
      { min: 1, default: 10 },
    ),
    internalPort: count(
      `Port of the web UI and REST API in the pod (default ${DEFAULT_PORT}): spark.history.ui.port, ` +
        "container and Service port web-ui.",
      { min: 1025, max: 65535, default: DEFAULT_PORT },
    ),
    retainedApplications: count(
      "Applications whose UI data is cached in memory (default 50): spark.history.retainedApplications.",
      { min: 1, default: 50 },
    ),
    maxApplications: count(
      "Applications listed on the summary page: spark.history.ui.maxApplications (unset: all).",
      { min: 1 },
    ).optional(),
    provider: z
      .string()
      .min(1)
      .default(DEFAULT_PROVIDER)
      .describe(`spark.history.provider (default ${DEFAULT_PROVIDER}).`),
    kerberos: Kerberos.optional(),
    // zod types the counts' input as required even though their own defaults fill them, hence the cast.
    cleaner: Cleaner.prefault({} as z.input<typeof Cleaner>),
    endEventReparseChunkSize: count(
      "MB read at the end of a log file looking for the end event (default 1; 0 disables): " +
        "spark.history.fs.endEventReparseChunkSize.",
      { min: 0, default: 1 },
    ),
    inProgressOptimization: z
      .boolean()
      .default(true)
      .describe("spark.history.fs.inProgressOptimization.enabled (default true)."),
    numReplayThreads: count(
      "Threads replaying event logs: spark.history.fs.numReplayThreads (unset: a quarter of the CPUs the JVM sees).",
      { min: 1 },
    ).optional(),
    maxDiskUsage: count(
      "GB the local store (persistentPath) may use (default 10): spark.history.store.maxDiskUsage.",
      { min: 1, default: 10 },
    ),
    persistentPath: absolutePath
      .optional()
      .describe(
        "spark.history.store.path: cache application data on disk instead of in memory. An emptyDir " +
          "is mounted there, so the cache survives container restarts but not a new pod.",
      ),
    sparkVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+([-.][0-9A-Za-z.-]+)?$/, "must look like 4.3.0")
      .default(DEFAULT_SPARK_VERSION)
      .describe(`Selects the default image apache/spark:<version> (default ${DEFAULT_SPARK_VERSION}).`),
    customImage: z
      .string()
      .min(1)
      .optional()
      .describe("Container image with Spark under /opt/spark (default apache/spark:<sparkVersion>)."),
    imagePullPolicy: z
      .enum(["Always", "IfNotPresent", "Never"])
      .optional()
      .describe("Image pull policy of the history server container."),
    imagePullSecrets: z
      .array(z.string().min(1))
      .optional()
      .describe("Names of Secrets used to pull the image."),
    sparkConfiguration: z
      .array(SparkSetting)
      .optional()
      .describe("Spark properties for the history server; they win over everything sparkhooks sets."),
    hadoopConf: z
      .record(
        z.string().regex(/^[^\s=:#!]+$/, "must be a Hadoop property name"),
        stringish("Property value."),
      )
      .optional()
      .describe(
        "Hadoop properties for the log directory's file system, written as spark.hadoop.<key> " +
          "(fs.s3a.endpoint, fs.s3a.path.style.access, fs.gs.project.id, fs.azure.account.auth.type…). " +
          "Credentials belong in a Secret: env/envFrom (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY…).",
      ),
    hadoopConfigMap: z
      .string()
      .min(1)
      .optional()
      .describe(
        "ConfigMap with core-site.xml (and friends), mounted at /opt/hadoop/conf and named by HADOOP_CONF_DIR.",
      ),
    env: z.array(envVarSchema(OWNER)).optional().describe("Environment variables of the history server."),
    envFrom: z
      .array(EnvFromSource)
      .optional()
      .describe("Environment variables from whole Secrets or ConfigMaps, e.g. object store credentials."),
    ...containerResourceFields(
      "history server",
      DEFAULT_RESOURCES,
      "The JVM heap (SPARK_DAEMON_MEMORY) is this minus max(384Mi, 10%).",
    ),
    labels: labelMap("Labels for every object of the history server.").optional(),
    annotations: z
      .record(z.string(), z.string())
      .optional()
      .describe("Annotations of the history server pod."),
    serviceAccountName: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Service account of the pod (e.g. for IRSA or Workload Identity). Unset: the namespace default, without an API token.",
      ),
    priorityClassName: z.string().min(1).optional().describe("PriorityClass of the pod."),
    nodeSelector: z.record(z.string(), z.string()).optional().describe("Node labels the pod must run on."),
    affinity: preservedObject("Kubernetes Affinity (core/v1) of the pod.").optional(),
    nodeTolerations: z.array(tolerationSchema(OWNER)).optional().describe("Tolerations of the pod."),
    fixedUserIds: fixedUserIdsSchema(OWNER),
    podSecurityContext: PodSecurityContext.optional(),
    securityContext: SecurityContext.optional(),
    volumes: z
      .array(preservedObject("A core/v1 Volume."))
      .optional()
      .describe("Extra pod volumes (a keytab Secret, a CA bundle…)."),
    volumeMounts: z
      .array(
        z
          .object({
            name: z.string().min(1).describe("Name of a volume in volumes."),
            mountPath: absolutePath.describe("Path in the container."),
            subPath: z.string().optional().describe("Path within the volume."),
            readOnly: z.boolean().optional().describe("Mount read-only."),
          })
          .describe("A core/v1 VolumeMount."),
      )
      .optional()
      .describe("Mounts of the extra volumes in the history server container."),
  })
  .describe(
    "A Spark history server: its pod, Service <name>, the claim <name>-claim (sharedVolume), an Ingress (expose).",
  );

export type SparkHistoryServerSpecInput = z.input<typeof SparkHistoryServerSpec>;
export type SparkHistoryServerSpec = Defined<z.output<typeof SparkHistoryServerSpec>>;

export const PHASES = ["Pending", "Running", "Updating", "Stalled", "Invalid"] as const;
export type Phase = (typeof PHASES)[number];

export const SparkHistoryServerStatus = z
  .object({
    observedGeneration: z
      .int()
      .optional()
      .describe("Generation of the spec last reconciled (set by Metacontroller)."),
    phase: z
      .enum(PHASES)
      .optional()
      .describe(
        "Pending: no history server pod is ready yet. Running: the current pod is ready. Updating: " +
          "a new pod replaces one on an old template (the old one serves until then). Stalled: the " +
          "pod cannot start (image pull, crash loop, unschedulable, e.g. an unbound claim). Invalid: " +
          "the spec was rejected; existing objects are kept.",
      ),
    url: z.string().optional().describe("http://<name>.<namespace>.svc:<internalPort>, in the cluster."),
    ingressURL: z
      .string()
      .optional()
      .describe(
        "The UI through the Ingress or HTTPRoute (expose): its host, or the address the Ingress controller reports.",
      ),
    logDirectory: z
      .string()
      .optional()
      .describe("The event log directory: applications set spark.eventLog.dir to it."),
    claim: z
      .object({
        name: z.string().describe("<name>-claim."),
        phase: z.string().optional().describe("Pending, Bound or Lost, as Kubernetes reports it."),
        capacity: z.string().optional().describe("The bound volume's size."),
        mountPath: z.string().optional().describe("Where writers mount it."),
      })
      .optional()
      .describe("The event log PersistentVolumeClaim, when one exists."),
    podName: z.string().optional().describe("The history server pod on the current template."),
    ready: z.boolean().optional().describe("Whether a history server pod is ready."),
    conditions: conditionList("Ready, Reconciling, Stalled (kstatus) and ClaimRetained."),
  })
  .describe("Observed state, computed from the history server's children.");

export type SparkHistoryServerStatus = z.infer<typeof SparkHistoryServerStatus>;

export function parseSpec(raw: unknown): SpecParse<SparkHistoryServerSpec> {
  return parseSpecWith(SparkHistoryServerSpec, raw);
}
