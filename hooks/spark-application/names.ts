/**
 * Who one run of a SparkApplication is: the ids and names Spark's submission client would
 * choose, derived deterministically from the application and its attempt so every sync renders
 * the same objects.
 */
import { childName, isLabelValue, MAX_DNS_LABEL, shortHash } from "../kube/names.js";
import { DRIVER_POD_NAME_KEY } from "./driver-conf-keys.js";
import type { SparkApplicationSpec } from "./schema.js";

/** One attempt of one application: a rerun gets a new attempt number, hence new ids and pod name. */
export interface ApplicationRun {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** 1 for the first run, counting up with every rerun. */
  readonly attempt: number;
}

/**
 * spark.app.id and the `spark-app-selector` label: Spark's own form `spark-<32 hex digits>`
 * (a UUID without dashes), here a hash of the run so it is stable across syncs. Executors and
 * the driver's pod watch select on it, so it must be a label value and differ per attempt: a
 * rerun must not adopt the previous attempt's executors.
 */
export function sparkAppId(run: ApplicationRun): string {
  return `spark-${shortHash(`${run.namespace}/${run.name}/${run.uid}/${run.attempt}`, 32)}`;
}

/**
 * The application's name as the first part of a child's name. A custom resource's name may
 * hold dots (a DNS subdomain), a pod's hostname and a Service's name may not: dots become '-'
 * and a hash of the real name keeps `a.b` and `a-b` apart.
 */
function nameBase(run: ApplicationRun): string {
  return run.name.includes(".") ? `${run.name.replace(/\./g, "-")}-${shortHash(run.name, 5)}` : run.name;
}

/**
 * `driver.podName`, else sparkConf spark.kubernetes.driver.pod.name (kubeflow honours both),
 * else `<app>-driver` for the first attempt and `<app>-driver-<n>` after it, so a finished
 * driver can stay for its logs while the next attempt runs.
 */
export function driverPodName(run: ApplicationRun, spec: SparkApplicationSpec): string {
  const fixed = spec.driver.podName ?? spec.sparkConf?.[DRIVER_POD_NAME_KEY];
  if (fixed !== undefined) return fixed;
  return childName(nameBase(run), run.attempt === 1 ? "driver" : `driver-${run.attempt}`);
}

/**
 * A Service name must be a DNS-1035 label: it starts with a letter, since it becomes a DNS name
 * (`<svc>.<ns>.svc`) and an environment variable prefix. An application named `1st-run` still
 * gets one: `spark-` in front, and a hash of the real name so that no application literally
 * named `spark-1st-run` can claim the same Service.
 */
function serviceName(run: ApplicationRun, suffix: string): string {
  const base = nameBase(run);
  if (/^[a-z]/.test(base)) return childName(base, suffix);
  return childName(`spark-${base}-${shortHash(`service:${run.name}`, 5)}`, suffix);
}

/** The headless Service executors reach a Spark 3.5/4.0 driver through (Spark's `<prefix>-driver-svc`). */
export function driverServiceName(run: ApplicationRun): string {
  return serviceName(run, "driver-svc");
}

/**
 * The driver's web UI Service, `<app>-ui-svc` as kubeflow names it (its
 * status.driverInfo.webUIServiceName). One per application: each attempt moves its selector to
 * that attempt's driver.
 */
export function uiServiceName(run: ApplicationRun): string {
  return serviceName(run, "ui-svc");
}

/** The ConfigMap with spark.properties and the executor pod template, one per attempt. */
export function driverConfigMapName(run: ApplicationRun): string {
  return childName(nameBase(run), `conf-${run.attempt}`);
}

/**
 * Spark names executors `<prefix>-exec-<n>` and refuses a prefix that would not leave room for
 * that suffix (KubernetesConf: a DNS label of at most 47 characters). The hash of the app id
 * keeps two attempts' executors apart.
 */
export const MAX_EXECUTOR_PREFIX = 47;

export function executorPodNamePrefix(run: ApplicationRun): string {
  const suffix = shortHash(sparkAppId(run), 8);
  const room = MAX_EXECUTOR_PREFIX - suffix.length - 1;
  const base = run.name
    .slice(0, room)
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+$/, "");
  return base.length > 0 ? `${base}-${suffix}` : `spark-${suffix}`;
}

/**
 * The `spark-app-name` label newer Spark puts on its pods: the app name made a label value
 * (lower case, other characters replaced by '-', at most 63, alphanumeric at both ends).
 */
export function appNameLabel(appName: string): string {
  const value = appName
    .toLowerCase()
    .replace(/[^a-z0-9\-.]/g, "-")
    .slice(0, MAX_DNS_LABEL)
    .replace(/^[^a-z0-9]+/, "")
    .replace(/[^a-z0-9]+$/, "");
  return isLabelValue(value) ? value : "";
}
