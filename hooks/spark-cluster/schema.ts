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
import { count, labelMap, quantity, stringish } from "../crd/fields.js";
import { defined, type Defined } from "../kube/defined.js";

export const GROUP = "sparkhooks.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "SparkCluster";
export const PLURAL = "sparkclusters";

/** The newest Apache Spark release on 2026-11-22; the default image is `apache/spark:<this>`. */
export const DEFAULT_SPARK_VERSION = "4.3.0";
export const DEFAULT_IMAGE_REPOSITORY = "apache/spark";

/** Resources used when a role gives none: enough for a small working cluster. */
export const DEFAULT_RESOURCES = {
  master: { cpu: "1", memory: "1Gi" },
  worker: { cpu: "1", memory: "2Gi" },
} as const;

const envVarName = z
  .string()
  .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, "must be a valid environment variable name");

const keyRef = (what: string) =>
  z
    .object({
      name: z.string().min(1).describe(`Name of the ${what}.`),
      key: z.string().min(1).describe(`Key within the ${what}.`),
      optional: z.boolean().optional().describe(`Whether the ${what} or its key may be absent.`),
    })
    .describe(`Selects a key of a ${what} in the cluster's namespace.`);

const EnvVar = z
  .object({
    name: envVarName.describe("Environment variable name."),
    value: stringish("Literal value; numbers are accepted and passed as strings.").optional(),
    valueFrom: z
      .object({
        secretKeyRef: keyRef("Secret").optional(),
        configMapKeyRef: keyRef("ConfigMap").optional(),
        fieldRef: z
          .object({
            fieldPath: z.string().min(1).describe("Pod field, e.g. metadata.name or status.podIP."),
          })
          .optional()
          .describe("A field of the pod (downward API)."),
      })
      .optional()
      .describe("Take the value from a Secret, a ConfigMap or a pod field instead of `value`."),
  })
  .describe("An environment variable for the master and worker containers.");

const SparkSetting = z
  .object({
    name: z
      .string()
      .regex(/^[^\s=:#!]+$/, "must be a Spark property name without spaces, '=', ':', '#' or '!'")
      .describe("Spark property, e.g. spark.worker.cleanup.appDataTtl."),
    value: stringish("Property value; numbers are accepted.").refine(
      (value) => !/[\r\n]/.test(value),
      "must be a single line",
    ),
  })
  .describe("One line of spark-defaults.conf.");

const Toleration = z
  .object({
    key: z.string().optional().describe("Taint key; empty with operator Exists tolerates every taint."),
    operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (default Equal)."),
    value: stringish("Taint value to match with operator Equal.").optional(),
    effect: z
      .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"])
      .optional()
      .describe("Taint effect to match; empty matches all effects."),
    tolerationSeconds: z
      .int()
      .optional()
      .describe("For NoExecute: how long the pod stays bound after the taint appears."),
  })
  .describe("A Kubernetes toleration applied to master and worker pods.");

const SeccompProfile = z
  .object({
    type: z.enum(["RuntimeDefault", "Localhost", "Unconfined"]).describe("Seccomp profile kind."),
    localhostProfile: z.string().optional().describe("Profile path on the node, for Localhost."),
  })
  .describe("Seccomp profile.");

const SeLinuxOptions = z
  .object({
    user: z.string().optional().describe("SELinux user."),
    role: z.string().optional().describe("SELinux role."),
    type: z.string().optional().describe("SELinux type."),
    level: z.string().optional().describe("SELinux level."),
  })
  .describe("SELinux context.");

const PodSecurityContext = z
  .object({
    runAsUser: z.int().optional().describe("UID for all containers (default 185, the image's spark user)."),
    runAsGroup: z.int().optional().describe("GID for all containers (default 185)."),
    runAsNonRoot: z.boolean().optional().describe("Refuse to start containers as root (default true)."),
    fsGroup: z.int().optional().describe("Group owning mounted volumes (default 185)."),
    fsGroupChangePolicy: z.enum(["OnRootMismatch", "Always"]).optional().describe("When to chown volumes."),
    supplementalGroups: z.array(z.int()).optional().describe("Extra groups for every container."),
    seccompProfile: SeccompProfile.optional(),
    seLinuxOptions: SeLinuxOptions.optional(),
  })
  .describe(
    "Pod security context, merged field by field over the defaults that meet Pod Security " +
      "Standards 'restricted' (uid/gid 185, runAsNonRoot, seccomp RuntimeDefault).",
  );

const SecurityContext = z
  .object({
    allowPrivilegeEscalation: z.boolean().optional().describe("Default false."),
    privileged: z.boolean().optional().describe("Default unset (false)."),
    readOnlyRootFilesystem: z
      .boolean()
      .optional()
      .describe("Default true: Spark writes only to the emptyDirs mounted at /tmp and its work directories."),
    runAsUser: z.int().optional().describe("Overrides the pod's runAsUser."),
    runAsGroup: z.int().optional().describe("Overrides the pod's runAsGroup."),
    runAsNonRoot: z.boolean().optional().describe("Overrides the pod's runAsNonRoot."),
    capabilities: z
      .object({
        add: z.array(z.string()).optional().describe("Capabilities to add."),
        drop: z.array(z.string()).optional().describe("Capabilities to drop (default [ALL])."),
      })
      .optional()
      .describe("Linux capabilities."),
    seccompProfile: SeccompProfile.optional(),
    seLinuxOptions: SeLinuxOptions.optional(),
  })
  .describe(
    "Container security context, merged field by field over the restricted defaults " +
      "(no privilege escalation, drop ALL capabilities, read-only root filesystem).",
  );

function role<Instances extends z.ZodType<number>>(
  name: "master" | "worker",
  instances: Instances,
  extra: string,
) {
  const defaults = DEFAULT_RESOURCES[name];
  return z
    .object({
      instances,
      memory: quantity(
        `Memory request and limit of the ${name} container (default ${defaults.memory}). ${extra}`,
      ).optional(),
      cpu: quantity(
        `CPU request and limit of the ${name} container (default: a request of ${defaults.cpu}, no limit).`,
      ).optional(),
      memoryRequest: quantity("Memory request; overrides `memory` for the request only.").optional(),
      memoryLimit: quantity("Memory limit; overrides `memory` for the limit only.").optional(),
      cpuRequest: quantity("CPU request; overrides `cpu` for the request only.").optional(),
      cpuLimit: quantity("CPU limit; overrides `cpu` for the limit only.").optional(),
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

const Worker = role(
  "worker",
  count(
    "Number of worker pods (default 1). Served by the scale subresource, which reads it as an " +
      'integer: write 3, not "3", to use kubectl scale or a HorizontalPodAutoscaler.',
    { min: 0, default: 1 },
  ),
  "Executors run inside the worker container, so the worker offers Spark this minus the " +
    "worker daemon's heap and JVM headroom.",
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
      .describe("Container image with Spark under /opt/spark (default apache/spark:<sparkVersion>)."),
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
    affinity: z
      .looseObject({})
      .optional()
      .meta({ "x-kubernetes-preserve-unknown-fields": true })
      .describe("Kubernetes Affinity (core/v1) for master and worker pods."),
    nodeTolerations: z.array(Toleration).optional().describe("Tolerations for master and worker pods."),
    podSecurityContext: PodSecurityContext.optional(),
    securityContext: SecurityContext.optional(),
    env: z.array(EnvVar).optional().describe("Environment variables for master and worker containers."),
    sparkConfiguration: z
      .array(SparkSetting)
      .optional()
      .describe(
        "Spark properties written to spark-defaults.conf for master and workers; they win over defaults.",
      ),
    sparkConfigurationMap: z
      .string()
      .min(1)
      .optional()
      .describe(
        "ConfigMap whose files become Spark's conf directory (default <name>-config, used only if it " +
          "exists). Its spark-defaults.conf is merged with ours; sparkConfiguration wins over it.",
      ),
    labels: labelMap("Labels for every object of the cluster.").optional(),
    metrics: z
      .boolean()
      .default(false)
      .describe(
        "Serve Prometheus metrics with Spark's built-in PrometheusServlet on the web UI ports " +
          "(master 8080 /metrics/master/prometheus, workers 8081 /metrics/prometheus) and add " +
          "prometheus.io scrape annotations.",
      ),
    sparkWebUI: z
      .boolean()
      .default(true)
      .describe("Create the <name>-ui Service for the master web UI on port 8080."),
    downloadData: z
      .array(
        z
          .object({
            url: z.string().describe("URL to fetch."),
            to: z.string().describe("Path in the container."),
          })
          .describe("A file to download."),
      )
      .optional()
      .describe("Not implemented yet: reported in status.conditions (UnsupportedFields)."),
    historyServer: z
      .looseObject({})
      .optional()
      .meta({ "x-kubernetes-preserve-unknown-fields": true })
      .describe("Not implemented yet: reported in status.conditions (UnsupportedFields)."),
    mavenDependencies: z
      .array(z.string())
      .optional()
      .describe("Not implemented yet: reported in status.conditions (UnsupportedFields)."),
    mavenRepositories: z
      .array(z.string())
      .optional()
      .describe("Not implemented yet: reported in status.conditions (UnsupportedFields)."),
    customInitContainerImage: z
      .string()
      .optional()
      .describe("Accepted for radanalytics compatibility; no init container is used, so it has no effect."),
  })
  .describe("A Spark standalone cluster: one master, N workers, Services <name>:7077 and <name>-ui:8080.");

export type SparkClusterSpecInput = z.input<typeof SparkClusterSpec>;
export type SparkClusterSpec = Defined<z.output<typeof SparkClusterSpec>>;
/** What master and worker have in common (the sizing and pod fields). */
export type RoleSpec = Omit<SparkClusterSpec["worker"], "instances">;

/** Spec fields accepted for compatibility but not acted on yet; reported, never silently ignored. */
export const UNSUPPORTED_FIELDS = [
  "downloadData",
  "historyServer",
  "mavenDependencies",
  "mavenRepositories",
  "customInitContainerImage",
] as const satisfies readonly (keyof SparkClusterSpec)[];

export const PHASES = ["Pending", "Running", "Updating", "Stalled", "Invalid"] as const;
export type Phase = (typeof PHASES)[number];

const Condition = z
  .object({
    type: z.string().describe("Ready, Reconciling, Stalled or UnsupportedFields."),
    status: z.enum(["True", "False", "Unknown"]).describe("Condition status."),
    reason: z.string().describe("CamelCase reason."),
    message: z.string().describe("Human-readable detail."),
    lastTransitionTime: z.string().describe("When status last changed (RFC 3339)."),
    observedGeneration: z.int().optional().describe("The metadata.generation this condition describes."),
  })
  .describe("A Kubernetes-style condition (metav1.Condition).");

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
    conditions: z
      .array(Condition)
      .optional()
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
      .describe("Ready, Reconciling, Stalled (kstatus) and UnsupportedFields."),
  })
  .describe("Observed state, computed from the cluster's pods.");

export type SparkClusterStatus = z.infer<typeof SparkClusterStatus>;

export interface ParsedSpec {
  readonly ok: true;
  readonly spec: SparkClusterSpec;
}
export interface RejectedSpec {
  readonly ok: false;
  /** One message per problem, each starting with the field path (`spec.worker.instances: …`). */
  readonly errors: readonly string[];
}

export function parseSpec(raw: unknown): ParsedSpec | RejectedSpec {
  const result = SparkClusterSpec.safeParse(raw ?? {});
  if (result.success) return { ok: true, spec: defined(result.data) };
  const errors = result.error.issues.map((issue) => {
    const path = issue.path.reduce<string>(
      (text, key) => (typeof key === "number" ? `${text}[${key}]` : `${text}.${String(key)}`),
      "spec",
    );
    return `${path}: ${issue.message}`;
  });
  return { ok: false, errors };
}
