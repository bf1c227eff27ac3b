/**
 * Container resources of master and worker pods, and the Spark sizes that follow from them.
 *
 * Standalone executors are child JVMs of the worker, inside the worker container, and Spark's
 * standalone mode does no memory-overhead accounting. So the container's memory limit has to
 * cover the worker daemon's heap, JVM headroom, and what the worker offers to executors
 * (`--memory`); we derive the last from the first two instead of letting Spark guess from
 * the node (its default is "physical memory − 1 GiB", which a cgroup limit then OOM-kills).
 */
import { jvmHeadroomMiB, resolveResources, type ResolvedResources } from "../spark/memory.js";
import { DEFAULT_RESOURCES, type RoleSpec } from "./schema.js";

/** Heap of the worker daemon itself (SPARK_DAEMON_MEMORY); executors get their own JVMs. */
export const WORKER_DAEMON_HEAP_MIB = 512;
/** The smallest executor budget worth running a worker for. */
export const MIN_EXECUTOR_MEMORY_MIB = 512;
/** The smallest heap a master runs reliably with. */
export const MIN_MASTER_HEAP_MIB = 256;

export interface MasterSizing extends ResolvedResources {
  readonly heapMiB: number;
}

export interface WorkerSizing extends ResolvedResources {
  readonly cores: number;
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

export function workerSizing(worker: RoleSpec, errors: string[]): WorkerSizing {
  const resolved = resolve(worker, "worker", errors);
  const headroom = jvmHeadroomMiB(resolved.memoryLimitMiB);
  const executorMemoryMiB = resolved.memoryLimitMiB - WORKER_DAEMON_HEAP_MIB - headroom;
  if (executorMemoryMiB < MIN_EXECUTOR_MEMORY_MIB) {
    const needed = WORKER_DAEMON_HEAP_MIB + MIN_EXECUTOR_MEMORY_MIB + 384;
    errors.push(
      `spec.worker.memory: a limit of ${resolved.resources.limits.memory} leaves ${executorMemoryMiB}Mi for ` +
        `executors after the worker daemon (${WORKER_DAEMON_HEAP_MIB}Mi) and JVM headroom (${headroom}Mi); ` +
        `use at least ${needed}Mi`,
    );
  }
  // Spark cores are scheduling slots; a fractional CPU still runs one task at a time.
  const cores = Math.max(1, Math.floor(resolved.cpus));
  return { ...resolved, cores, executorMemoryMiB };
}
