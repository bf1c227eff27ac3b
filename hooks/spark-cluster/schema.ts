/**
 * SparkCluster: the single source of the CRD (crds/sparkclusters.sparkhooks.dev.yaml is
 * generated from these schemas) and of the types the hook works with.
 *
 * Field names follow radanalytics' SparkCluster so its manifests work after changing only
 * `apiVersion`; quoted numbers from its examples are accepted and normalised. Fields it lacked
 * and cluster users need (image pull settings, service account, scheduling, security context
 * overrides, Spark version) are additions.
 */
import { z } from "zod";
import { parseSpecWith, type SpecParse } from "../crd/parse-spec.js";
import { conditionList, count, labelMap, preservedObject } from "../crd/fields.js";
import { HistoryServerReference } from "../spark/event-log.js";
import type { Defined } from "../kube/defined.js";
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
export const KIND = "SparkCluster";
export const PLURAL = "sparkclusters";

/** Resources used when a role gives none: enough for a small working cluster. */
export const DEFAULT_RESOURCES = {
  master: { cpu: "1", memory: "1Gi" },
  // The smallest whole GiB that holds the worker daemon (896Mi) and one executor of Spark's
  // default 1g with its 384Mi overhead: 2304Mi (see resources.ts).
  worker: { cpu: "1", memory: "3Gi" },
} as const;

/** The words the shared field descriptions use for a cluster's pods. */
const CLUSTER_PODS: FieldOwner = { pods: "master and worker", resource: "cluster" };

function role<Instances extends z.ZodType<number>>(
  name: "master" | "worker",
  instances: Instances,
  extra: string,
) {
  const defaults = DEFAULT_RESOURCES[name];
  return z
    .object({
      instances,
      ...containerResourceFields(name, defaults, extra),
      labels: labelMap(`Extra labels for ${name} pods.`).optional(),
      command: z
        .array(z.string())
        .optional()
        .describe(`Replaces the container command (the image entrypoint) of ${name} pods.`),
      commandArgs: z
        .array(z.string())
        .optional()
        .describe(`Replaces the container arguments (the spark-class invocation) of ${name} pods.`),
    })
    .describe(`The Spark ${name}.`);
}

const Master = role(
  "master",
  count("Number of masters. Only 1 is supported: standalone high availability needs ZooKeeper.", {
    min: 1,
    default: 1,
  }).refine((n) => n === 1, "only 1 master is supported (standalone high availability needs ZooKeeper)"),
  "The master's JVM heap is this minus headroom for the JVM itself.",
);

/**
 * The largest cluster sparkhooks manages. Every sync request carries every observed pod (about
 * 11 KiB of JSON each once the API server has filled it in), so 1,000 workers is an ~11 MiB
 * request the hook server parses on each resync; the server's body limit and memory are sized
 * for it (see hooks/server/config.ts). Without a bound, `kubectl scale --replicas=2147483647`
 * would have the hook render two billion pods and run out of memory.
 */
export const MAX_WORKERS = 1000;

const Worker = role(
  "worker",
  count(
    `Number of worker pods (default 1, at most ${MAX_WORKERS}). Served by the scale subresource, ` +
      'which reads it as an integer: write 3, not "3", to use kubectl scale or a HorizontalPodAutoscaler.',
    { min: 0, max: MAX_WORKERS, default: 1 },
  ),
  "Executors run inside the worker container, which must hold the worker daemon (512Mi heap + " +
    "384Mi non-heap) and at least one executor of the cluster's spark.executor.memory (default 1g) " +
    "with its own overhead (spark.executor.memoryOverhead, else max(384Mi, 10%)); the worker offers " +
    "Spark as many such executors as fit.",
);

export const SparkClusterSpec = z
  .object({
    // An absent role gets its defaults; zod types the count's input as required even though
    // its own default fills it, hence the cast.
    master: Master.prefault({} as z.input<typeof Master>),
    worker: Worker.prefault({} as z.input<typeof Worker>),
    sparkVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+([-.][0-9A-Za-z.-]+)?$/, "must look like 4.3.0")
      .default(DEFAULT_SPARK_VERSION)
      .describe(
        `Spark version: selects the default image apache/spark:<version> and labels the pods ` +
          `(default ${DEFAULT_SPARK_VERSION}). The master/worker launch recipe targets Spark 4.x.`,
      ),
    customImage: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Container image with Spark under /opt/spark, and /bin/bash for the workers' readiness " +
          "probe (default apache/spark:<sparkVersion>).",
      ),
    imagePullPolicy: z
      .enum(["Always", "IfNotPresent", "Never"])
      .optional()
      .describe("Image pull policy of the Spark containers."),
    imagePullSecrets: z
      .array(z.string().min(1))
      .optional()
      .describe("Names of Secrets used to pull the image."),
    serviceAccountName: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Service account for master and worker pods. Without one, pods use the namespace default " +
          "and get no API token (standalone Spark never calls the Kubernetes API).",
      ),
    nodeSelector: z.record(z.string(), z.string()).optional().describe("Node labels the pods must run on."),
    affinity: preservedObject("Kubernetes Affinity (core/v1) for master and worker pods.").optional(),
    nodeTolerations: z
      .array(tolerationSchema(CLUSTER_PODS))
      .optional()
      .describe("Tolerations for master and worker pods."),
    fixedUserIds: fixedUserIdsSchema(CLUSTER_PODS),
    podSecurityContext: PodSecurityContext.optional(),
    securityContext: SecurityContext.optional(),
    env: z
      .array(envVarSchema(CLUSTER_PODS))
      .optional()
      .describe("Environment variables for master and worker containers."),
    sparkConfiguration: z
      .array(SparkSetting)
      .optional()
      .describe(
        "Spark properties written to spark-defaults.conf; they win over the defaults and the " +
          "sparkConfigurationMap. Each goes only to the daemons that read it: spark.worker.*, " +
          "spark.shuffle.service.* and spark.executor.* to the workers (spark.worker.timeout to both), " +
          "spark.master.* and spark.deploy.* to the master, the rest to both. A change replaces only " +
          "those pods.",
      ),
    sparkConfigurationMap: z
      .string()
      .min(1)
      .optional()
      .describe(
        "ConfigMap whose files become Spark's conf directory (default <name>-config, used only if it " +
          "exists). Its spark-defaults.conf is merged with ours, setting by setting as for " +
          "sparkConfiguration, which wins over it; its other files go to master and workers.",
      ),
    labels: labelMap("Labels for every object of the cluster.").optional(),
    metrics: z
      .boolean()
      .default(false)
      .describe(
        "Serve Prometheus metrics with Spark's built-in PrometheusServlet on the web UI ports " +
          "(master 8080 /metrics/master/prometheus/, workers 8081 /metrics/prometheus/) and add " +
          "prometheus.io scrape annotations. No extra port and no JMX agent.",
      ),
    sparkWebUI: z
      .boolean()
      .default(true)
      .describe("Create the <name>-ui Service for the master web UI on port 8080."),
    downloadData: z
      .array(
        z
          .object({
            url: z
              .string()
              .regex(/^(https?|ftp):\/\/[^\s]+$/, "must be an http, https or ftp URL")
              .describe("URL to fetch (http, https or ftp)."),
            to: z
              .string()
              .regex(/^\/[^\s]*$/, "must be an absolute path")
              .describe(
                "Absolute path in the master and worker containers. Ending in '/': a directory, and the " +
                  "file keeps the URL's file name; else the file's own path.",
              ),
          })
          .describe("A file to download."),
      )
      .optional()
      .describe(
        "Files fetched before Spark starts, in every master and worker pod, by an init container " +
          "(wget). Each lands on an emptyDir volume mounted at its directory in the Spark container too " +
          "(under /tmp: the pod's /tmp volume), so it survives container restarts but a new pod fetches it " +
          "again. A failed download keeps the pod in Init:Error and the cluster Stalled.",
      ),
    historyServer: HistoryServerReference.optional(),
    mavenDependencies: z
      .array(
        z
          .string()
          .regex(
            /^[^:\s,/]+[:/][^:\s,/]+:[^:\s,/]+$/,
            "must be a Maven coordinate groupId:artifactId:version",
          ),
      )
      .optional()
      .describe(
        "Maven coordinates (groupId:artifactId:version) resolved with their dependencies by Spark's own " +
          "Ivy resolution in an init container of every master and worker pod. The jars are on the class " +
          "path of every Spark JVM the pod starts (daemons, executors, drivers), and spark-submit in the pods " +
          "gets them as spark.jars.packages.",
      ),
    mavenRepositories: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s,]+$/, "must be a repository URL"))
      .optional()
      .describe(
        "Extra Maven repositories for mavenDependencies (spark.jars.repositories), searched after the local " +
          "caches and Maven Central.",
      ),
    customInitContainerImage: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Image of the init containers that downloadData and mavenDependencies add (default: the Spark image). " +
          "It needs /bin/sh and wget for downloadData, and Spark under /opt/spark for mavenDependencies.",
      ),
  })
  .describe("A Spark standalone cluster: one master, N workers, Services <name>:7077 and <name>-ui:8080.");

export type SparkClusterSpecInput = z.input<typeof SparkClusterSpec>;
export type SparkClusterSpec = Defined<z.output<typeof SparkClusterSpec>>;
/** What master and worker have in common (the sizing and pod fields). */
export type RoleSpec = Omit<SparkClusterSpec["worker"], "instances">;

export const PHASES = ["Pending", "Running", "Updating", "Stalled", "Invalid"] as const;
export type Phase = (typeof PHASES)[number];

export const SparkClusterStatus = z
  .object({
    observedGeneration: z
      .int()
      .optional()
      .describe("Generation of the spec last reconciled (set by Metacontroller)."),
    phase: z
      .enum(PHASES)
      .optional()
      .describe(
        "Pending: the master is not ready. Running: master and all desired workers are ready and " +
          "up to date. Updating: workers are being added, removed, replaced or are starting. " +
          "Stalled: a pod cannot start (image pull, crash loop, unschedulable). Invalid: the spec " +
          "was rejected; existing pods are kept.",
      ),
    masterURL: z.string().optional().describe("spark://<name>.<namespace>.svc:7077, for --master."),
    masterUIURL: z.string().optional().describe("http://<name>-ui.<namespace>.svc:8080 (when sparkWebUI)."),
    masterReady: z.boolean().optional().describe("Whether the master pod is ready."),
    workers: z
      .object({
        desired: z.int().describe("spec.worker.instances."),
        ready: z.int().describe("Ready worker pods among the desired ones."),
        upToDate: z.int().describe("Worker pods running the current template."),
      })
      .optional()
      .describe("Worker counts."),
    replicas: z.int().optional().describe("Worker pods that exist (scale subresource)."),
    selector: z.string().optional().describe("Label selector of the worker pods (scale subresource, HPA)."),
    conditions: conditionList(
      "Ready, Reconciling, Stalled (kstatus), and HistoryServerFound when spec.historyServer is set.",
    ),
  })
  .describe("Observed state, computed from the cluster's pods.");

export type SparkClusterStatus = z.infer<typeof SparkClusterStatus>;

export function parseSpec(raw: unknown): SpecParse<SparkClusterSpec> {
  return parseSpecWith(SparkClusterSpec, raw);
}
