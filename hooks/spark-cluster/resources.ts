/**
 * Container resources of master and worker pods, and the Spark sizes that follow from them.
 *
 * Standalone executors are child JVMs of the worker, inside the worker container, and Spark's
 * standalone scheduler counts only their heaps against what a worker offers (`--memory`). So
 * the container's memory limit has to hold the worker daemon and, for each executor the worker
 * may host, that executor's heap and its own non-heap memory:
 *
 *   limit ≥ 512Mi daemon heap + 384Mi daemon non-heap + k × (executor heap + executor overhead)
 *
 * with the executor's footprint from the cluster's effective Spark settings (see
 * ../spark/executor-memory.ts). k is the largest whole number that fits, and the worker offers
 * `--memory k × spark.executor.memory`, so Spark never places more executors of that size than
 * the container holds. Left to itself Spark would offer "physical memory − 1 GiB" of the node,
 * which the cgroup limit then OOM-kills.
 */
import type { ExecutorFootprint } from "../spark/executor-memory.js";
import { jvmHeadroomMiB, resolveResources, type ResolvedResources } from "../spark/memory.js";
import { DEFAULT_RESOURCES, type RoleSpec } from "./schema.js";

/** Heap of the worker daemon itself (SPARK_DAEMON_MEMORY); executors get their own JVMs. */
export const WORKER_DAEMON_HEAP_MIB = 512;
/** The worker daemon's non-heap memory (metaspace, threads, Netty buffers): Spark's minimum overhead. */
export const WORKER_DAEMON_NON_HEAP_MIB = 384;
/** The smallest heap a master runs reliably with. */
export const MIN_MASTER_HEAP_MIB = 256;

export interface MasterSizing extends ResolvedResources {
  readonly heapMiB: number;
}

export interface WorkerSizing extends ResolvedResources {
  readonly cores: number;
  /** Executors of the cluster's configured size the container holds. */
  readonly executors: number;
  /** What the worker offers Spark (`--memory`): executors × spark.executor.memory. */
  readonly executorMemoryMiB: number;
}

function resolve(role: RoleSpec, component: "master" | "worker", errors: string[]): ResolvedResources {
  return resolveResources(role, DEFAULT_RESOURCES[component], `spec.${component}`, errors);
}

export function masterSizing(master: RoleSpec, errors: string[]): MasterSizing {
  const resolved = resolve(master, "master", errors);
  const heapMiB = resolved.memoryLimitMiB - jvmHeadroomMiB(resolved.memoryLimitMiB);
  if (heapMiB < MIN_MASTER_HEAP_MIB) {
    const needed = MIN_MASTER_HEAP_MIB + 384;
    errors.push(
      `spec.master.memory: a limit of ${resolved.resources.limits.memory} leaves ${heapMiB}Mi of heap ` +
        `after JVM headroom; use at least ${needed}Mi`,
    );
  }
  return { ...resolved, heapMiB };
}

/**
 * `executor` is undefined when the executor settings themselves are invalid; those problems
 * are already in `errors`, so only the container is sized.
 */
export function workerSizing(
  worker: RoleSpec,
  executor: ExecutorFootprint | undefined,
  errors: string[],
): WorkerSizing {
  const resolved = resolve(worker, "worker", errors);
  // Spark cores are scheduling slots; a fractional CPU still runs one task at a time.
  const cores = Math.max(1, Math.floor(resolved.cpus));
  if (executor === undefined) return { ...resolved, cores, executors: 0, executorMemoryMiB: 0 };
  const daemonMiB = WORKER_DAEMON_HEAP_MIB + WORKER_DAEMON_NON_HEAP_MIB;
  const executors = Math.max(0, Math.floor((resolved.memoryLimitMiB - daemonMiB) / executor.totalMiB));
  if (executors < 1) {
    errors.push(
      `spec.worker.memory: a limit of ${resolved.resources.limits.memory} holds the worker daemon ` +
        `(${daemonMiB}Mi: ${WORKER_DAEMON_HEAP_MIB}Mi heap + ${WORKER_DAEMON_NON_HEAP_MIB}Mi non-heap) but ` +
        `not one executor (${executor.description}); use at least ${daemonMiB + executor.totalMiB}Mi ` +
        `or smaller executors`,
    );
  }
  return { ...resolved, cores, executors, executorMemoryMiB: executors * executor.heapMiB };
}
