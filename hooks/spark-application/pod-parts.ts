/**
 * The pod fields a SparkApplication spec gives its driver and its executors alike (kubeflow's
 * SparkPodSpec): environment, mounted ConfigMaps and Secrets, volumes, scheduling and security.
 * kubeflow applies most of them with its mutating webhook after spark-submit created the pod;
 * here they are rendered into the driver Pod and the executor pod template, one function per
 * field group, for either role.
 */
import type {
  IContainer,
  IContainerPort,
  IEnvVar,
  IPodSpec,
  IVolume,
  IVolumeMount,
} from "kubernetes-models/v1";
import { childName, isDns1123Label, shortHash } from "../kube/names.js";
import {
  containerSecurityContext,
  podSecurityContext,
  WRITABLE_VOLUMES,
  writableMounts,
} from "../spark/security.js";
import { hadoopConfigMap } from "./driver-conf-keys.js";
import type { SparkApplicationSpec } from "./schema.js";

export type Role = "driver" | "executor";

export const HADOOP_CONF_DIR = "/etc/hadoop/conf";
export const HADOOP_CONF_VOLUME = "hadoop-conf";

/**
 * What another feature (monitoring) adds to a role's pod: volumes and their mounts in the Spark
 * container, container ports, pod annotations, and JVM options for spark.{driver,executor}.extraJavaOptions.
 */
export interface PodAdditions {
  readonly volumes: readonly IVolume[];
  readonly mounts: readonly IVolumeMount[];
  readonly ports: readonly IContainerPort[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly javaOptions: readonly string[];
}

export const NO_POD_ADDITIONS: PodAdditions = {
  volumes: [],
  mounts: [],
  ports: [],
  annotations: {},
  javaOptions: [],
};

/**
 * Kubernetes objects the spec preserves without reading them (containers, volumes, mounts):
 * passed on as written; the API server validates them as part of the Pod.
 */
export function asWritten<T>(objects: readonly object[] | undefined): T[] {
  return [...(objects ?? [])] as T[];
}

/**
 * Variables that tell Spark and Hadoop where the mounted files are: HADOOP_CONF_DIR for
 * hadoopConfigMap (the image's entrypoint puts it on the classpath), and the credentials files
 * of GCPServiceAccount and HadoopDelegationToken secrets, as kubeflow sets them.
 */
export function mountedFilesEnv(spec: SparkApplicationSpec, role: Role): IEnvVar[] {
  const secretEnv = (spec[role].secrets ?? []).flatMap((secret): IEnvVar[] => {
    if (secret.secretType === "GCPServiceAccount") {
      return [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: `${secret.path}/key.json` }];
    }
    if (secret.secretType === "HadoopDelegationToken") {
      return [{ name: "HADOOP_TOKEN_FILE_LOCATION", value: `${secret.path}/hadoop.token` }];
    }
    return [];
  });
  return [
    ...(hadoopConfigMap(spec) === undefined ? [] : [{ name: "HADOOP_CONF_DIR", value: HADOOP_CONF_DIR }]),
    ...secretEnv,
  ];
}

/** envVars, then envSecretKeyRefs, then env: the newer field last, so it wins. */
export function userEnv(spec: SparkApplicationSpec, role: Role): IEnvVar[] {
  const { envVars, envSecretKeyRefs, env } = spec[role];
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

export interface Mounted {
  readonly volumes: IVolume[];
  readonly mounts: IVolumeMount[];
}

/** The role's sidecars and init containers, as written. */
export function extraContainers(spec: SparkApplicationSpec, role: Role): IContainer[] {
  return [...asWritten<IContainer>(spec[role].sidecars), ...asWritten<IContainer>(spec[role].initContainers)];
}

/** Names of spec.volumes the role's containers mount, as kubeflow's webhook picks them. */
function mountedNames(spec: SparkApplicationSpec, role: Role): Set<string> {
  const mounts = [
    ...asWritten<IVolumeMount>(spec[role].volumeMounts),
    ...extraContainers(spec, role).flatMap((c) => c.volumeMounts ?? []),
  ];
  return new Set(mounts.map((mount) => mount.name));
}

/**
 * The volume of a mounted ConfigMap or Secret: kubeflow's `<name>-vol` where that is a valid
 * volume name (a DNS-1123 label) not yet taken, so sidecars that mount it by that name keep
 * working. A dotted or long object name, or a ConfigMap and a Secret of the same name, get
 * `<name with dashes>-<kind>-<hash>` instead: two volumes of one name make the Pod invalid.
 */
export function sourceVolumeName(
  kind: "configmap" | "secret",
  name: string,
  taken: ReadonlySet<string>,
): string {
  const plain = `${name}-vol`;
  if (isDns1123Label(plain) && !taken.has(plain)) return plain;
  return childName(name.replace(/\./g, "-"), `${kind}-${shortHash(`${kind}/${name}`, 6)}`);
}

/**
 * Volumes and Spark-container mounts of a role: hadoopConfigMap, configMaps, secrets, the
 * spec.volumes its containers mount, then `extra` (another feature's). `reserved` are volume
 * names the caller uses itself, besides the writable scratch volumes. One volume per ConfigMap
 * or Secret, however often it is mounted.
 */
export function specVolumes(
  spec: SparkApplicationSpec,
  role: Role,
  reserved: readonly string[],
  extra: PodAdditions,
): Mounted {
  const used = mountedNames(spec, role);
  const userVolumes = asWritten<IVolume>(spec.volumes).filter((volume) => used.has(volume.name));
  const taken = new Set([
    ...reserved,
    ...WRITABLE_VOLUMES.map((volume) => volume.name),
    ...userVolumes.map((v) => v.name),
    ...extra.volumes.map((v) => v.name),
  ]);
  const volumes: IVolume[] = [];
  const mounts: IVolumeMount[] = [];
  const hadoop = hadoopConfigMap(spec);
  if (hadoop !== undefined) {
    // A user volume may already be called hadoop-conf; a hash of the ConfigMap keeps them apart.
    const name = taken.has(HADOOP_CONF_VOLUME)
      ? childName(HADOOP_CONF_VOLUME, shortHash(hadoop, 6))
      : HADOOP_CONF_VOLUME;
    volumes.push({ name, configMap: { name: hadoop } });
    mounts.push({ name, mountPath: HADOOP_CONF_DIR, readOnly: true });
    taken.add(name);
  }
  const byObject = new Map<string, string>();
  const mount = (kind: "configmap" | "secret", name: string, path: string, source: Omit<IVolume, "name">) => {
    const key = `${kind}/${name}`;
    let volumeName = byObject.get(key);
    if (volumeName === undefined) {
      volumeName = sourceVolumeName(kind, name, taken);
      byObject.set(key, volumeName);
      taken.add(volumeName);
      volumes.push({ name: volumeName, ...source });
    }
    mounts.push({ name: volumeName, mountPath: path });
  };
  for (const configMap of spec[role].configMaps ?? []) {
    mount("configmap", configMap.name, configMap.path, { configMap: { name: configMap.name } });
  }
  for (const secret of spec[role].secrets ?? []) {
    mount("secret", secret.name, secret.path, { secret: { secretName: secret.name } });
  }
  return {
    volumes: [...volumes, ...userVolumes, ...extra.volumes],
    mounts: [...mounts, ...asWritten<IVolumeMount>(spec[role].volumeMounts), ...extra.mounts],
  };
}

/**
 * The emptyDirs a read-only root filesystem needs (/tmp and the work dir), except where the
 * user mounts a volume of their own at that path: two mounts at one path make the Pod invalid.
 */
export function writableScratch(userMounts: readonly IVolumeMount[]): Mounted {
  const taken = new Set(userMounts.map((mount) => mount.mountPath));
  const mounts = writableMounts().filter((mount) => !taken.has(mount.mountPath));
  const names = new Set(mounts.map((mount) => mount.name));
  return { volumes: WRITABLE_VOLUMES.filter((volume) => names.has(volume.name)), mounts };
}

/** The Spark container's fields from the spec that are neither env nor mounts. */
export function sparkContainerFields(spec: SparkApplicationSpec, role: Role): Partial<IContainer> {
  const fields = spec[role];
  return {
    ...(fields.envFrom === undefined ? {} : { envFrom: asWritten(fields.envFrom) }),
    securityContext: containerSecurityContext(fields.securityContext),
    ...(fields.lifecycle === undefined ? {} : { lifecycle: fields.lifecycle }),
  };
}

/**
 * Pod-level fields of a role: scheduling (nodeSelector of the application and the role, the
 * role's schedulerName or else batchScheduler…), identity-free security defaults, DNS and
 * host settings, init containers. With hostNetwork, dnsPolicy ClusterFirstWithHostNet as
 * kubeflow sets it, so the pod still resolves cluster Services.
 */
export function podFields(spec: SparkApplicationSpec, role: Role): Partial<IPodSpec> {
  const fields = spec[role];
  const nodeSelector = { ...spec.nodeSelector, ...fields.nodeSelector };
  const schedulerName = fields.schedulerName ?? spec.batchScheduler;
  return {
    // Service links would put variables such as SPARK_MASTER_PORT=tcp://… into the Spark
    // container's environment for every Service in the namespace.
    enableServiceLinks: false,
    securityContext: podSecurityContext(fields.podSecurityContext, { fixedUserIds: true }),
    ...(fields.initContainers === undefined
      ? {}
      : { initContainers: asWritten<IContainer>(fields.initContainers) }),
    ...(Object.keys(nodeSelector).length === 0 ? {} : { nodeSelector }),
    ...(fields.affinity === undefined ? {} : { affinity: fields.affinity }),
    ...(fields.tolerations === undefined ? {} : { tolerations: fields.tolerations }),
    ...(fields.hostAliases === undefined ? {} : { hostAliases: fields.hostAliases }),
    ...(fields.dnsConfig === undefined ? {} : { dnsConfig: fields.dnsConfig }),
    ...(fields.priorityClassName === undefined ? {} : { priorityClassName: fields.priorityClassName }),
    ...(schedulerName === undefined ? {} : { schedulerName }),
    ...(fields.terminationGracePeriodSeconds === undefined
      ? {}
      : { terminationGracePeriodSeconds: fields.terminationGracePeriodSeconds }),
    ...(fields.hostNetwork === undefined ? {} : { hostNetwork: fields.hostNetwork }),
    ...(fields.hostNetwork === true ? { dnsPolicy: "ClusterFirstWithHostNet" } : {}),
    ...(fields.shareProcessNamespace === undefined
      ? {}
      : { shareProcessNamespace: fields.shareProcessNamespace }),
  };
}

/** GPUs as extended-resource limits of the Spark container (kubeflow's webhook does the same). */
export function gpuLimits(spec: SparkApplicationSpec, role: Role): Record<string, string> {
  const gpu = spec[role].gpu;
  return gpu === undefined ? {} : { [gpu.name]: String(gpu.quantity) };
}
