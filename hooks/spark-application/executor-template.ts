/**
 * The executor pod template: the file the driver reads as spark.kubernetes.executor.podTemplateFile
 * and builds every executor pod on. It carries what kubeflow's webhook would patch into executor
 * pods after the driver created them (env, volumes, scheduling, security, sidecars…), so no
 * webhook is needed.
 *
 * Spark's executor steps then add their own parts on top (BasicExecutorFeatureStep,
 * LocalDirsFeatureStep): name, hostname, restartPolicy, owner reference to the driver pod, the
 * labels spark-app-selector / spark-role / spark-exec-id, image and pull policy, cpu and memory
 * requests and the memory limit, its env (SPARK_CONF_DIR, SPARK_EXECUTOR_*, SPARK_JAVA_OPT_*…,
 * after ours, so Spark's win), the `spark-conf-volume-exec` ConfigMap at /opt/spark/conf, the
 * `spark-local-dir-<n>` emptyDirs at the driver's SPARK_LOCAL_DIRS, image pull secrets from
 * spark.kubernetes.container.image.pullSecrets. So this template names none of those volumes or
 * paths, and leaves out what Spark replaces:
 * - container ports: BasicExecutorFeatureStep sets the port list to its block manager port
 *   (`withPorts`), dropping the template's, so executor.ports cannot reach executors this way;
 * - a memory limit: Spark sets limits.memory to heap + overhead, so executor.memoryLimit cannot
 *   either. Extended resources (GPUs) survive: Spark adds to the template's limits.
 */
import type { IContainer, IPod } from "kubernetes-models/v1";
import { stringify } from "yaml";
import { KUBE_YAML } from "../crd/kube-yaml.js";
import { mergeEnv } from "../spark/env.js";
import { selectorLabels } from "../spark/labels.js";
import type { ApplicationRun } from "./names.js";
import {
  asWritten,
  gpuLimits,
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

/** Spark's default executor container name, set as spark.kubernetes.executor.podTemplateContainerName. */
export const EXECUTOR_CONTAINER = "spark-kubernetes-executor";
export const EXECUTOR_COMPONENT = "executor";
/**
 * Volumes Spark's executor steps add themselves: the conf ConfigMap and the local dir emptyDir
 * (the driver's SPARK_LOCAL_DIRS is one directory, so one volume).
 */
export const SPARK_EXECUTOR_VOLUMES: readonly string[] = ["spark-conf-volume-exec", "spark-local-dir-1"];
/**
 * Metacontroller's child selector label. An executor carrying it would look like a child of the
 * SparkApplication and be deleted by the next sync, so no label source may put it on executors.
 */
export const CONTROLLER_UID_LABEL = "controller-uid";

/** Spec fields Spark overrides on executors built from a template (see the module comment). */
export const EXECUTOR_FIELDS_SPARK_OVERRIDES: readonly string[] = [
  "spec.executor.ports",
  "spec.executor.memoryLimit",
];

export type ExecutorPodTemplate = IPod & {
  metadata: { labels: Record<string, string> };
  spec: { containers: IContainer[] };
};

function withoutControllerUid(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => key !== CONTROLLER_UID_LABEL));
}

/**
 * The executor pod template of one run: the spec's executor fields over `executor.template`,
 * labelled so the controller's customize hook finds the executors (selectorLabels of the
 * application and component `executor`).
 */
export function executorPodTemplate(
  run: ApplicationRun,
  spec: SparkApplicationSpec,
  additions: PodAdditions,
): ExecutorPodTemplate {
  const { executor } = spec;
  const extra = specVolumes(spec, "executor", SPARK_EXECUTOR_VOLUMES, additions);
  const scratch = writableScratch(extra.mounts);
  const limits = gpuLimits(spec, "executor");
  const env = mergeEnv(mountedFilesEnv(spec, "executor"), userEnv(spec, "executor"));
  const container: IContainer = {
    name: EXECUTOR_CONTAINER,
    ...(env.length === 0 ? {} : { env }),
    ...sparkContainerFields(spec, "executor"),
    volumeMounts: [...scratch.mounts, ...extra.mounts],
    ...(Object.keys(limits).length === 0 ? {} : { resources: { limits } }),
  };
  const fields = podFields(spec, "executor");
  const pod: ExecutorPodTemplate = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      labels: {
        ...withoutControllerUid(executor.labels ?? {}),
        ...selectorLabels(run.name, EXECUTOR_COMPONENT),
      },
      ...annotationsOf({ ...executor.annotations, ...additions.annotations }),
    },
    spec: {
      ...fields,
      containers: [container, ...asWritten<IContainer>(executor.sidecars)],
      // Only an explicit executor account: without one Spark takes
      // spark.kubernetes.authenticate.executor.serviceAccountName (the driver's account), while
      // a template's own account wins (ExecutorKubernetesCredentialsFeatureStep).
      ...(executor.serviceAccount === undefined ? {} : { serviceAccountName: executor.serviceAccount }),
      volumes: [...scratch.volumes, ...extra.volumes],
    },
  };
  const merged = withPodTemplate(executor.template, pod, EXECUTOR_CONTAINER);
  return {
    ...merged,
    metadata: { ...merged.metadata, labels: withoutControllerUid(merged.metadata.labels) },
  };
}

function annotationsOf(annotations: Record<string, string>): { annotations?: Record<string, string> } {
  return Object.keys(annotations).length === 0 ? {} : { annotations };
}

/** The template as the YAML file Spark loads (fabric8 reads it as a Pod). */
export function executorTemplateFile(pod: ExecutorPodTemplate): string {
  return stringify(pod, KUBE_YAML);
}
