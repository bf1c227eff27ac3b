/**
 * zod schemas of the fields every Spark resource shares with a pod: environment, Spark
 * settings, tolerations, security contexts and container sizes. Each resource's schema
 * composes them, so the CRDs describe these fields alike and the builders in this folder
 * accept what any of them parsed.
 *
 * Where a description has to say whose containers a field applies to, the schema is a
 * function of those words, so `kubectl explain` stays precise for every resource.
 */
import { z } from "zod";
import { preservedObject, quantity, stringish } from "../crd/fields.js";
import type { Defined } from "../kube/defined.js";

/** Whose pods a field applies to, as the descriptions name them. */
export interface FieldOwner {
  /** "master and worker": completes "the … containers" and "… pods". */
  readonly pods: string;
  /** "cluster": completes "in the …'s namespace". */
  readonly resource: string;
}

const envVarName = z
  .string()
  .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, "must be a valid environment variable name");

function keyRef(what: string, owner: FieldOwner) {
  return z
    .object({
      name: z.string().min(1).describe(`Name of the ${what}.`),
      key: z.string().min(1).describe(`Key within the ${what}.`),
      optional: z.boolean().optional().describe(`Whether the ${what} or its key may be absent.`),
    })
    .describe(`Selects a key of a ${what} in the ${owner.resource}'s namespace.`);
}

export function envVarSchema(owner: FieldOwner) {
  return z
    .object({
      name: envVarName.describe("Environment variable name."),
      value: stringish("Literal value; numbers are accepted and passed as strings.").optional(),
      valueFrom: z
        .object({
          secretKeyRef: keyRef("Secret", owner).optional(),
          configMapKeyRef: keyRef("ConfigMap", owner).optional(),
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
    .describe(`An environment variable for the ${owner.pods} containers.`);
}
export type EnvVarSpec = Defined<z.output<ReturnType<typeof envVarSchema>>>;

/**
 * The whole core/v1 EnvVar, for resources whose users bring Kubernetes env lists as they are
 * (kubeflow's SparkApplication): envVarSchema plus the container-resource reference and the
 * field reference's apiVersion, which the API server would otherwise prune without a word.
 */
export function kubernetesEnvVarSchema(owner: FieldOwner) {
  return z
    .object({
      name: envVarName.describe("Environment variable name."),
      value: stringish("Literal value; numbers are accepted and passed as strings.").optional(),
      valueFrom: z
        .object({
          secretKeyRef: keyRef("Secret", owner).optional(),
          configMapKeyRef: keyRef("ConfigMap", owner).optional(),
          fieldRef: z
            .object({
              apiVersion: z.string().optional().describe("API version of fieldPath (default v1)."),
              fieldPath: z.string().min(1).describe("Pod field, e.g. metadata.name or status.podIP."),
            })
            .optional()
            .describe("A field of the pod (downward API)."),
          resourceFieldRef: z
            .object({
              containerName: z
                .string()
                .optional()
                .describe("Container whose resources are read (default this one)."),
              resource: z
                .string()
                .min(1)
                .describe("limits.cpu, limits.memory, requests.cpu, requests.memory…"),
              divisor: quantity("Unit the value is expressed in (default 1).").optional(),
            })
            .optional()
            .describe("A request or limit of a container (downward API)."),
        })
        .optional()
        .describe(
          "Take the value from a Secret, a ConfigMap, a pod field or a container resource instead of `value`.",
        ),
    })
    .describe(`An environment variable for the ${owner.pods} containers.`);
}

export const SparkSetting = z
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
export type SparkSettingSpec = Defined<z.output<typeof SparkSetting>>;

export function tolerationSchema(owner: FieldOwner) {
  return z
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
    .describe(`A Kubernetes toleration applied to ${owner.pods} pods.`);
}

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

export const PodSecurityContext = z
  .object({
    runAsUser: z
      .int()
      .optional()
      .describe(
        "UID for all containers (default 185, the image's spark user; none with fixedUserIds false).",
      ),
    runAsGroup: z
      .int()
      .optional()
      .describe("GID for all containers (default 185; none with fixedUserIds false)."),
    runAsNonRoot: z.boolean().optional().describe("Refuse to start containers as root (default true)."),
    fsGroup: z
      .int()
      .optional()
      .describe("Group owning mounted volumes (default 185; none with fixedUserIds false)."),
    fsGroupChangePolicy: z.enum(["OnRootMismatch", "Always"]).optional().describe("When to chown volumes."),
    supplementalGroups: z.array(z.int()).optional().describe("Extra groups for every container."),
    seccompProfile: SeccompProfile.optional(),
    seLinuxOptions: SeLinuxOptions.optional(),
  })
  .describe(
    "Pod security context, merged field by field over the defaults that meet Pod Security " +
      "Standards 'restricted' (uid/gid 185 unless fixedUserIds is false, runAsNonRoot, seccomp RuntimeDefault).",
  );
export type PodSecurityContextSpec = Defined<z.output<typeof PodSecurityContext>>;

const AppArmorProfile = z
  .object({
    type: z.enum(["RuntimeDefault", "Localhost", "Unconfined"]).describe("AppArmor profile kind."),
    localhostProfile: z.string().optional().describe("Profile name loaded on the node, for Localhost."),
  })
  .describe("AppArmor profile.");

const WindowsOptions = preservedObject("Windows-specific settings (core/v1 WindowsSecurityContextOptions).");

/**
 * The whole core/v1 PodSecurityContext, merged over the same restricted defaults: for
 * resources whose users bring complete Kubernetes security contexts (kubeflow's
 * SparkApplication), where a field missing here would be pruned by the API server unseen.
 */
export const KubernetesPodSecurityContext = PodSecurityContext.extend({
  sysctls: z
    .array(
      z
        .object({
          name: z.string().min(1).describe("Sysctl name."),
          value: z.string().describe("Sysctl value."),
        })
        .describe("A namespaced sysctl."),
    )
    .optional()
    .describe("Namespaced sysctls set for the pod."),
  supplementalGroupsPolicy: z
    .enum(["Merge", "Strict"])
    .optional()
    .describe("Whether the image's /etc/group memberships are added to supplementalGroups (Merge)."),
  seLinuxChangePolicy: z
    .enum(["MountOption", "Recursive"])
    .optional()
    .describe("How the SELinux label is applied to volumes."),
  appArmorProfile: AppArmorProfile.optional(),
  windowsOptions: WindowsOptions.optional(),
}).describe(PodSecurityContext.description ?? "");

/** `fixedUserIds`: whether the pods name the image's uid/gid or leave them to the platform. */
export function fixedUserIdsSchema(owner: FieldOwner) {
  return z
    .boolean()
    .default(true)
    .describe(
      `Run the ${owner.pods} pods with runAsUser, runAsGroup and fsGroup 185, the apache/spark ` +
        "image's spark user (default true). Set false on OpenShift: its restricted-v2 " +
        "SecurityContextConstraints assign a uid from the namespace's range and reject a fixed " +
        "one. The pods then set no ids of their own and keep every other restricted setting " +
        "(runAsNonRoot, seccomp RuntimeDefault, no privilege escalation, all capabilities " +
        "dropped, read-only root filesystem); Spark starts through a passwd entry for the " +
        "assigned uid made with the image's nss_wrapper, since its Hadoop login fails for a uid " +
        "without one. Off OpenShift, false needs a uid from somewhere " +
        "else (podSecurityContext.runAsUser, or an image whose USER is numeric): the image's " +
        "USER spark is a name, so with no uid given the kubelet cannot verify runAsNonRoot and " +
        "refuses to start the container (CreateContainerConfigError).",
    );
}

export const SecurityContext = z
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
export type SecurityContextSpec = Defined<z.output<typeof SecurityContext>>;

/** The whole core/v1 SecurityContext (see KubernetesPodSecurityContext). */
export const KubernetesSecurityContext = SecurityContext.extend({
  procMount: z.enum(["Default", "Unmasked"]).optional().describe("Proc mount type (default Default)."),
  appArmorProfile: AppArmorProfile.optional(),
  windowsOptions: WindowsOptions.optional(),
}).describe(SecurityContext.description ?? "");

/** A container's built-in size, named in the descriptions. */
export interface ResourceDefaults {
  readonly cpu: string;
  readonly memory: string;
}

/**
 * `memory`/`cpu` (request and limit together) and the four fields that set one of them
 * apart, for the container called `container`; `memoryNote` says what the memory is used for.
 */
export function containerResourceFields(container: string, defaults: ResourceDefaults, memoryNote: string) {
  return {
    memory: quantity(
      `Memory request and limit of the ${container} container (default ${defaults.memory}). ${memoryNote}`,
    ).optional(),
    cpu: quantity(
      `CPU request and limit of the ${container} container (default: a request of ${defaults.cpu}, no limit).`,
    ).optional(),
    memoryRequest: quantity("Memory request; overrides `memory` for the request only.").optional(),
    memoryLimit: quantity("Memory limit; overrides `memory` for the limit only.").optional(),
    cpuRequest: quantity("CPU request; overrides `cpu` for the request only.").optional(),
    cpuLimit: quantity("CPU limit; overrides `cpu` for the limit only.").optional(),
  };
}
