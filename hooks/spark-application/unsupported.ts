/**
 * The v1beta2 fields the schema accepts, so kubeflow manifests apply unchanged, but that the
 * hook does not act on: each one set is reported in status with the reason, never silently
 * dropped. And the values that are not unsupported but wrong, reported as invalid.
 *
 * Everything else in the schema reaches the driver pod, the executor pod template,
 * spark.properties or the Services. Lifecycle fields (restartPolicy, the legacy
 * failureRetries/retryInterval, suspend, timeToLiveSeconds) belong to the controller's lifecycle.
 */
import { driverConfProblems, unsupportedDriverConf } from "./driver-conf-keys.js";
import { DRIVER_POD_OWN } from "./driver-pod.js";
import type { SparkApplicationSpec } from "./schema.js";

export interface UnsupportedField {
  /** The field's path, as users write it in the manifest. */
  readonly field: string;
  /** One line on what happens instead and what to do. */
  readonly reason: string;
}

const NO_INGRESS =
  "no Ingress is created; expose the <app>-ui-svc Service (sparkUIOptions.serviceType) or add an Ingress for it";

/** Whether a field carries something a user expects to take effect (an empty list or map does not). */
function isSet(value: unknown): boolean {
  if (value === undefined || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object" && value !== null) return Object.keys(value).length > 0;
  return true;
}

/**
 * The set fields of `spec` the hook ignores, in the order of the schema, then the sparkConf
 * keys Spark's client would apply to the driver pod that the hook cannot (driver-conf-keys.ts).
 */
export function unsupportedFields(spec: SparkApplicationSpec): UnsupportedField[] {
  const candidates: [string, unknown, string][] = [
    [
      "spec.executor.memoryLimit",
      spec.executor.memoryLimit,
      "Spark sets every executor's memory limit to heap + overhead itself (BasicExecutorFeatureStep), " +
        "over any pod template; size it with executor.memory and executor.memoryOverhead",
    ],
    [
      "spec.executor.ports",
      spec.executor.ports,
      "Spark replaces an executor container's ports with its block manager port (BasicExecutorFeatureStep)",
    ],
    [
      "spec.pythonVersion",
      spec.pythonVersion,
      "Spark 3.1+ runs Python 3 only and reads spark.kubernetes.pyspark.pythonVersion for a deprecation " +
        "warning at most; choose the interpreter with the PYSPARK_PYTHON environment variable",
    ],
    [
      "spec.batchSchedulerOptions",
      spec.batchSchedulerOptions,
      "no PodGroup is created, and queue, priorityClassName and resources need one; batchScheduler only " +
        "sets the pods' schedulerName",
    ],
    ["spec.sparkUIOptions.ingressAnnotations", spec.sparkUIOptions?.ingressAnnotations, NO_INGRESS],
    ["spec.sparkUIOptions.ingressTLS", spec.sparkUIOptions?.ingressTLS, NO_INGRESS],
    [
      "spec.driverIngressOptions",
      spec.driverIngressOptions,
      "no Services or Ingresses are created for extra driver ports; the driver pod declares driver.ports",
    ],
    [
      "spec.driverPodDisruptionBudget",
      spec.driverPodDisruptionBudget,
      "no PodDisruptionBudget is created for the driver pod",
    ],
  ];
  return [
    ...candidates.filter(([, value]) => isSet(value)).map(([field, , reason]) => ({ field, reason })),
    ...unsupportedDriverConf(spec),
  ];
}

/**
 * Values the schema admits for kubeflow compatibility that cannot run: each a message naming the
 * field, for the InvalidSpec condition.
 */
export function specProblems(spec: SparkApplicationSpec): string[] {
  return [
    ...(spec.mode === "client"
      ? [
          "spec.mode: client mode runs the driver where spark-submit runs; a SparkApplication's driver " +
            "always runs in its own pod, so only cluster is possible",
        ]
      : []),
    ...(spec.pythonVersion === "2"
      ? ["spec.pythonVersion: Python 2 was dropped in Spark 3.1; use 3 or leave it out"]
      : []),
    ...driverConfProblems(spec, DRIVER_POD_OWN),
  ];
}
