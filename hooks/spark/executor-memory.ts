/**
 * The memory one executor JVM takes, from the settings Spark sizes it with. Spark's
 * standalone scheduler only counts spark.executor.memory (the heap, -Xmx) against what a
 * worker offers; the rest is real memory too, and inside a container it counts against the
 * same cgroup limit. So sparkhooks uses Spark's own rule for the non-heap part (what it asks
 * Kubernetes and YARN for on top of the heap, ResourceProfile.calculateOverHeadMemory):
 *
 *   executor = E + O + off-heap + PySpark
 *   E = spark.executor.memory (default 1g, unit MiB when none is given)
 *   O = spark.executor.memoryOverhead if set, else
 *       max(spark.executor.minMemoryOverhead (default 384m), spark.executor.memoryOverheadFactor (default 0.1) × E)
 *   off-heap = spark.memory.offHeap.size (unit bytes when none is given) when spark.memory.offHeap.enabled
 *   PySpark = spark.executor.pyspark.memory if set
 */
import { byteStringAs, parseSparkBoolean, parseSparkDouble, type ByteUnit } from "./sizes.js";

/** A setting's value and where it was written (`spec.sparkConfiguration[0]`), for messages. */
export type SettingLookup = (name: string) => { readonly value: string; readonly origin: string } | undefined;

export interface ExecutorFootprint {
  /** spark.executor.memory: the heap, and what Spark's scheduler counts. */
  readonly heapMiB: number;
  /** Non-heap memory of the JVM: metaspace, threads, direct buffers, native libraries. */
  readonly overheadMiB: number;
  readonly offHeapMiB: number;
  readonly pysparkMiB: number;
  readonly totalMiB: number;
  /** `1408Mi: spark.executor.memory 1024Mi + overhead 384Mi`, for messages. */
  readonly description: string;
}

const MIB = 2n ** 20n;

export const EXECUTOR_MEMORY = "spark.executor.memory";
const DEFAULTS = {
  [EXECUTOR_MEMORY]: "1g",
  "spark.executor.minMemoryOverhead": "384m",
  "spark.executor.memoryOverheadFactor": "0.1",
  "spark.memory.offHeap.enabled": "false",
  "spark.memory.offHeap.size": "0",
} as const;

/**
 * The executor's footprint, or undefined with the problems in `errors` when a setting is not
 * something Spark would start an executor with. Each problem names the setting and where it
 * was written.
 */
export function executorFootprint(settings: SettingLookup, errors: string[]): ExecutorFootprint | undefined {
  const problems: string[] = [];
  const raw = (name: string): { value: string; origin: string } | undefined =>
    settings(name) ??
    (name in DEFAULTS
      ? { value: DEFAULTS[name as keyof typeof DEFAULTS], origin: "Spark's default" }
      : undefined);
  const complain = (name: string, problem: string): undefined => {
    problems.push(`${raw(name)?.origin ?? "Spark's default"} ${name}: ${problem}`);
    return undefined;
  };
  /** A size in MiB, rounded down as Spark does; `unit` is the setting's unit when none is written. */
  const size = (name: string, unit: ByteUnit): number | undefined => {
    const setting = raw(name);
    if (setting === undefined) return undefined;
    const parsed = byteStringAs(setting.value, unit);
    if (!parsed.ok) return complain(name, parsed.problem);
    const bytes = parsed.value << (unit === "m" ? 20n : 0n);
    return Number(bytes / MIB);
  };

  const heap = size(EXECUTOR_MEMORY, "m");
  if (heap === 0) complain(EXECUTOR_MEMORY, "an executor needs some memory");
  const explicitOverhead = size("spark.executor.memoryOverhead", "m");
  const minOverhead = size("spark.executor.minMemoryOverhead", "m");
  const factorText = raw("spark.executor.memoryOverheadFactor")?.value ?? "";
  const factor = parseSparkDouble(factorText);
  if (factor === undefined || factor <= 0) {
    complain("spark.executor.memoryOverheadFactor", `${JSON.stringify(factorText)} is not a number above 0`);
  }
  const offHeapText = raw("spark.memory.offHeap.enabled")?.value ?? "";
  const offHeapEnabled = parseSparkBoolean(offHeapText);
  if (offHeapEnabled === undefined) {
    complain("spark.memory.offHeap.enabled", `${JSON.stringify(offHeapText)} is neither true nor false`);
  }
  const offHeapSize = size("spark.memory.offHeap.size", "b");
  if (offHeapEnabled === true && offHeapSize === 0) {
    // Blame the size if someone wrote it, else the switch that needs one.
    if (settings("spark.memory.offHeap.size") === undefined) {
      complain("spark.memory.offHeap.enabled", "true needs spark.memory.offHeap.size above 0");
    } else {
      complain("spark.memory.offHeap.size", "must be above 0 when spark.memory.offHeap.enabled is true");
    }
  }
  const pyspark = size("spark.executor.pyspark.memory", "m");

  if (problems.length > 0 || heap === undefined || minOverhead === undefined || factor === undefined) {
    errors.push(...problems);
    return undefined;
  }
  const overheadMiB = explicitOverhead ?? Math.max(minOverhead, Math.floor(factor * heap));
  const offHeapMiB = offHeapEnabled === true ? (offHeapSize ?? 0) : 0;
  const pysparkMiB = pyspark ?? 0;
  const totalMiB = heap + overheadMiB + offHeapMiB + pysparkMiB;
  const parts = [
    `${EXECUTOR_MEMORY} ${heap}Mi`,
    `overhead ${overheadMiB}Mi`,
    ...(offHeapMiB > 0 ? [`spark.memory.offHeap.size ${offHeapMiB}Mi`] : []),
    ...(pysparkMiB > 0 ? [`spark.executor.pyspark.memory ${pysparkMiB}Mi`] : []),
  ];
  return {
    heapMiB: heap,
    overheadMiB,
    offHeapMiB,
    pysparkMiB,
    totalMiB,
    description: `${totalMiB}Mi: ${parts.join(" + ")}`,
  };
}
