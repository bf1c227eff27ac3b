/**
 * How big the driver is, decided once so spark.properties (what the JVM is told) and the pod's
 * resources (what the kubelet enforces) cannot disagree. Spark's BasicDriverFeatureStep rules:
 * the container's memory is the heap plus an overhead for everything that is not heap
 * (metaspace, threads, direct buffers, and for Python and R the interpreter beside the JVM).
 */
import { toMebibytes } from "../kube/quantity.js";
import { byteStringAs, parseSparkDouble } from "../spark/sizes.js";
import { driverResourceLimits } from "./driver-conf-keys.js";
import { DEFAULT_CORES, DEFAULT_MEMORY, type SparkApplicationSpec } from "./schema.js";

export type ResourceType = "java" | "python" | "r";

/** spark.kubernetes.resource.type: Java and Scala run in the JVM, Python and R beside it. */
export function resourceType(spec: SparkApplicationSpec): ResourceType {
  if (spec.type === "Python") return "python";
  if (spec.type === "R") return "r";
  return "java";
}

/** Spark's floor for the overhead (MEMORY_OVERHEAD_MIN_MIB; from 4.0 spark.driver.minMemoryOverhead). */
export const MIN_OVERHEAD_MIB = 384;
/** Spark's default overhead factors: a Python or R process needs far more beside the heap. */
export const JVM_OVERHEAD_FACTOR = 0.1;
export const NON_JVM_OVERHEAD_FACTOR = 0.4;
/**
 * The most memory a Kubernetes quantity holds: 2^63 - 1 bytes (resource.Quantity is an int64
 * scaled value), in whole MiB. A bigger request would be written as `InfinityMi` or `1e+23Mi`,
 * which the API server refuses, failing every sync with no word in the status.
 */
export const MAX_MEMORY_MIB = Math.floor((2 ** 63 - 1) / 2 ** 20);

export interface DriverSize {
  /** spark.driver.memory as written (`1g`, `512m`): the JVM's -Xmx. */
  readonly memory: string;
  readonly heapMiB: number;
  readonly overheadMiB: number;
  /** The factor Spark would use, written back as spark.kubernetes.memoryOverheadFactor as Spark's client does. */
  readonly overheadFactor: number;
  readonly cores: number;
  readonly resources: {
    readonly requests: Readonly<Record<string, string>>;
    readonly limits: Readonly<Record<string, string>>;
  };
}

export type DriverSizeResult =
  | { readonly ok: true; readonly size: DriverSize }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * The typed fields win over sparkConf, which wins over Spark's defaults. Without an explicit
 * overhead it is factor × heap, at least spark.driver.minMemoryOverhead (384m). The factor
 * follows Spark's order: spark.driver.memoryOverheadFactor, then the Kubernetes-wide factor
 * (`memoryOverheadFactor` or spark.kubernetes.memoryOverheadFactor), then 0.1 for JVM and 0.4
 * for Python and R applications.
 */
export function driverSize(spec: SparkApplicationSpec): DriverSizeResult {
  const conf = spec.sparkConf ?? {};
  const errors: string[] = [];
  const memory = spec.driver.memory ?? conf["spark.driver.memory"] ?? DEFAULT_MEMORY;
  const heapMiB = mebibytes(memory, "spec.driver.memory (or sparkConf spark.driver.memory)", errors);
  const factorText =
    conf["spark.driver.memoryOverheadFactor"] ??
    spec.memoryOverheadFactor ??
    conf["spark.kubernetes.memoryOverheadFactor"];
  const defaultFactor = resourceType(spec) === "java" ? JVM_OVERHEAD_FACTOR : NON_JVM_OVERHEAD_FACTOR;
  const overheadFactor = factorText === undefined ? defaultFactor : parseSparkDouble(factorText);
  if (overheadFactor === undefined || overheadFactor <= 0) {
    errors.push(
      `spec.sparkConf: memory overhead factor ${JSON.stringify(factorText)} is not a positive number`,
    );
  }
  const minText = conf["spark.driver.minMemoryOverhead"];
  const minOverheadMiB =
    minText === undefined
      ? MIN_OVERHEAD_MIB
      : mebibytes(minText, "spec.sparkConf spark.driver.minMemoryOverhead", errors);
  const overheadText = spec.driver.memoryOverhead ?? conf["spark.driver.memoryOverhead"];
  const overheadMiB =
    overheadText === undefined
      ? Math.max(Math.floor((overheadFactor ?? defaultFactor) * heapMiB), minOverheadMiB)
      : mebibytes(
          overheadText,
          "spec.driver.memoryOverhead (or sparkConf spark.driver.memoryOverhead)",
          errors,
        );
  const coresText = conf["spark.driver.cores"];
  const cores = spec.driver.cores ?? (coresText === undefined ? DEFAULT_CORES : Number(coresText.trim()));
  if (!Number.isInteger(cores) || cores < 1) {
    errors.push(`spec.sparkConf: spark.driver.cores ${JSON.stringify(coresText)} is not a whole number ≥ 1`);
  }
  const requestMiB = heapMiB + overheadMiB;
  if (!(requestMiB <= MAX_MEMORY_MIB)) {
    const culprit =
      overheadText !== undefined
        ? "spec.driver.memoryOverhead (or sparkConf spark.driver.memoryOverhead)"
        : factorText !== undefined && overheadMiB > heapMiB
          ? spec.memoryOverheadFactor === undefined
            ? "spec.sparkConf (memory overhead factor)"
            : "spec.memoryOverheadFactor"
          : "spec.driver.memory (or sparkConf spark.driver.memory)";
    errors.push(
      `${culprit}: the driver's memory, heap + overhead, would be ${requestMiB}Mi, more than a Kubernetes quantity holds (${MAX_MEMORY_MIB}Mi)`,
    );
  }
  const memoryLimit = spec.driver.memoryLimit;
  if (memoryLimit !== undefined && toMebibytes(memoryLimit) < requestMiB) {
    errors.push(
      `spec.driver.memoryLimit: ${memoryLimit.text} is less than heap + overhead (${requestMiB}Mi)`,
    );
  }
  const cpuLimit = spec.driver.coreLimit?.text ?? conf["spark.kubernetes.driver.limit.cores"];
  const cpuRequest =
    spec.driver.coreRequest?.text ?? conf["spark.kubernetes.driver.request.cores"] ?? String(cores);
  const gpu = spec.driver.gpu;
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    size: {
      memory,
      heapMiB,
      overheadMiB,
      overheadFactor: overheadFactor ?? defaultFactor,
      cores,
      resources: {
        requests: { cpu: cpuRequest, memory: `${requestMiB}Mi` },
        limits: {
          ...(cpuLimit === undefined ? {} : { cpu: cpuLimit }),
          memory: memoryLimit?.text ?? `${requestMiB}Mi`,
          // spark.driver.resource.<name>.amount/.vendor, under driver.gpu.
          ...driverResourceLimits(spec),
          ...(gpu === undefined ? {} : { [gpu.name]: String(gpu.quantity) }),
        },
      },
    },
  };
}

function mebibytes(text: string, field: string, errors: string[]): number {
  const size = byteStringAs(text, "m");
  if (size.ok) return Number(size.value);
  errors.push(`${field}: ${size.problem}`);
  return 0;
}
