/**
 * Names of a SparkHistoryServer's children and its labels. Every key is a constant here so
 * selectors, status and tests agree on them.
 */
import { childName, isDns1035Label } from "../kube/names.js";
import { historyServerClaimName } from "../spark/event-log.js";

/** The component label of the history server pod; the Service selects on it. */
export const COMPONENT = "history-server";

/** Port name of the container and Service, radanalytics' name. */
export const UI_PORT_NAME = "web-ui";

/** The Service keeps radanalytics' name: `http://<name>:<port>` is the UI in the namespace. */
export function serviceName(server: string): string {
  return server;
}

export function ingressName(server: string): string {
  return server;
}

export function routeName(server: string): string {
  return server;
}

/**
 * radanalytics' name for the event log claim. Applications linked to the history server by name
 * mount a claim of exactly this name (../spark/event-log.ts), so it never carries a hash and
 * never changes.
 */
export function claimName(server: string): string {
  return historyServerClaimName(server);
}

/** The configuration, named by a hash of its content: new content is a new, immutable ConfigMap. */
export function configMapName(server: string, contentHash: string): string {
  return childName(server, `conf-${contentHash}`);
}

export function podName(server: string, templateHash: string): string {
  return childName(server, templateHash);
}

export function uiURL(server: string, namespace: string, port: number): string {
  return `http://${serviceName(server)}.${namespace}.svc:${port}`;
}

/** The longest name whose `<name>-claim` is still a DNS label (a claim name must be one to be mounted). */
export const MAX_SERVER_NAME = 57;

/**
 * Kubernetes injects `<SERVICE>_PORT=tcp://…` into every pod of the namespace that keeps service
 * links. Spark reads SPARK_MASTER_PORT and friends as numbers, so a Service with one of these
 * names would crash the namespace's Spark pods that do not disable service links.
 */
const SERVICE_LINK_COLLISIONS = new Set([
  "spark-master",
  "spark-worker",
  "spark-master-webui",
  "spark-worker-webui",
]);

/** Why a history server name cannot be used, or undefined when it can. */
export function serverNameProblem(server: string): string | undefined {
  if (!isDns1035Label(server) || server.length > MAX_SERVER_NAME) {
    return (
      `metadata.name: ${JSON.stringify(server)} must be a DNS-1035 label of at most ${MAX_SERVER_NAME} ` +
      `characters (lower-case letters, digits and '-', starting with a letter) because it names ` +
      `the Service ${server} and the claim ${claimName(server)}`
    );
  }
  if (SERVICE_LINK_COLLISIONS.has(server)) {
    return (
      `metadata.name: ${JSON.stringify(server)} would create a Service whose link variable ` +
      `(${server.toUpperCase().replace(/-/g, "_")}_PORT=tcp://…) breaks Spark pods in this namespace; choose another name`
    );
  }
  return undefined;
}
