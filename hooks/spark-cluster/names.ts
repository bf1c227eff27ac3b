/**
 * Names of a SparkCluster's children, its ports and its own labels (the ones every Spark
 * object carries are in ../spark/labels.ts). Every key is a constant here so selectors, status
 * and tests agree on them.
 */
import { childName, isDns1035Label } from "../kube/names.js";

/** A worker's slot: scale-down removes the highest slots, replacement keeps the slot. */
export const LABEL_WORKER_ORDINAL = "sparkhooks.dev/worker-ordinal";

export type Component = "master" | "worker";

export const MASTER_PORT = 7077;
export const MASTER_UI_PORT = 8080;
export const WORKER_UI_PORT = 8081;

/** The master Service keeps radanalytics' name, so `spark://<name>:7077` keeps working. */
export function masterServiceName(cluster: string): string {
  return cluster;
}

export function uiServiceName(cluster: string): string {
  return `${cluster}-ui`;
}

/**
 * A role's Spark configuration, named by a hash of its content: a new configuration is a new,
 * immutable ConfigMap, and a pod keeps the one it was started with.
 */
export function configMapName(cluster: string, component: Component, contentHash: string): string {
  return childName(cluster, `${component}-conf-${contentHash}`);
}

/** radanalytics' default for `sparkConfigurationMap`. */
export function defaultUserConfigMapName(cluster: string): string {
  return `${cluster}-config`;
}

export function masterPodName(cluster: string, templateHash: string): string {
  return childName(cluster, `master-${templateHash}`);
}

export function workerPodName(cluster: string, ordinal: number, templateHash: string): string {
  return childName(cluster, `worker-${ordinal}-${templateHash}`);
}

export function masterURL(cluster: string, namespace: string): string {
  return `spark://${masterServiceName(cluster)}.${namespace}.svc:${MASTER_PORT}`;
}

export function masterUIURL(cluster: string, namespace: string): string {
  return `http://${uiServiceName(cluster)}.${namespace}.svc:${MASTER_UI_PORT}`;
}

/**
 * Kubernetes injects `<SERVICE>_PORT=tcp://…` into every pod of the namespace. Spark reads
 * SPARK_MASTER_PORT and friends as numbers, so a Service with one of these names would crash
 * every Spark pod that does not disable service links, ours included once users add sidecars.
 */
const SERVICE_LINK_COLLISIONS = new Set([
  "spark-master",
  "spark-worker",
  "spark-master-webui",
  "spark-worker-webui",
]);

/** The longest cluster name whose `<name>-ui` Service name is still a DNS label. */
export const MAX_CLUSTER_NAME = 60;

/** Why a cluster name cannot be used, or undefined when it can. */
export function clusterNameProblem(cluster: string): string | undefined {
  if (!isDns1035Label(cluster) || cluster.length > MAX_CLUSTER_NAME) {
    return (
      `metadata.name: ${JSON.stringify(cluster)} must be a DNS-1035 label of at most ${MAX_CLUSTER_NAME} ` +
      `characters (lower-case letters, digits and '-', starting with a letter) because it names ` +
      `the Services ${cluster} and ${cluster}-ui`
    );
  }
  if (SERVICE_LINK_COLLISIONS.has(cluster)) {
    return (
      `metadata.name: ${JSON.stringify(cluster)} would create a Service whose link variable ` +
      `(${cluster.toUpperCase().replace(/-/g, "_")}_PORT=tcp://…) breaks Spark pods in this namespace; choose another name`
    );
  }
  return undefined;
}
