/**
 * Container resources of master and worker pods, and the Spark sizes that follow from them.
 *
 * Standalone executors are child JVMs of the worker, inside the worker container, and Spark's
 * standalone mode does no memory-overhead accounting. So the container's memory limit has to
 * cover the worker daemon's heap, JVM headroom, and what the worker offers to executors
 * (`--memory`); we derive the last from the first two instead of letting Spark guess from
 * the node (its default is "physical memory − 1 GiB", which a cgroup limit then OOM-kills).
 */
import { parseQuantity, toMebibytes, type Quantity } from "../kube/quantity.js";
import { DEFAULT_RESOURCES, type RoleSpec } from "./schema.js";

/** Heap of the worker daemon itself (SPARK_DAEMON_MEMORY); executors get their own JVMs. */
export const WORKER_DAEMON_HEAP_MIB = 512;
/** The smallest executor budget worth running a worker for. */
export const MIN_EXECUTOR_MEMORY_MIB = 512;
/** The smallest heap a master runs reliably with. */
export const MIN_MASTER_HEAP_MIB = 256;

/** Non-heap JVM memory (metaspace, threads, direct buffers): Spark's own rule for pods. */
export function jvmHeadroomMiB(containerMiB: number): number {
  return Math.max(384, Math.ceil(containerMiB * 0.1));
}

export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string; readonly cpu?: string };
}

interface Resolved {
  readonly resources: ContainerResources;
  readonly memoryLimitMiB: number;
  /** CPUs Spark may schedule on: the limit when set, else the request. */
  readonly cpus: number;
}

export interface MasterSizing extends Resolved {
  readonly heapMiB: number;
}

export interface WorkerSizing extends Resolved {
  readonly cores: number;
  readonly executorMemoryMiB: number;
}

function defaultQuantity(text: string): Quantity {
  const parsed = parseQuantity(text);
  if (parsed === undefined) throw new Error(`bad built-in default quantity ${text}`);
  return parsed;
}

function resolve(role: RoleSpec, component: "master" | "worker", errors: string[]): Resolved {
  const defaults = DEFAULT_RESOURCES[component];
  const field = `spec.${component}`;
  const cpuRequest = role.cpuRequest ?? role.cpu ?? role.cpuLimit ?? defaultQuantity(defaults.cpu);
  const cpuLimit = role.cpuLimit ?? role.cpu;
  const memoryRequest =
    role.memoryRequest ?? role.memory ?? role.memoryLimit ?? defaultQuantity(defaults.memory);
  const memoryLimit = role.memoryLimit ?? role.memory ?? memoryRequest;
  if (cpuLimit !== undefined && cpuRequest.value > cpuLimit.value) {
    errors.push(`${field}.cpuRequest: ${cpuRequest.text} is more than the CPU limit ${cpuLimit.text}`);
  }
  if (memoryRequest.value > memoryLimit.value) {
    errors.push(
      `${field}.memoryRequest: ${memoryRequest.text} is more than the memory limit ${memoryLimit.text}`,
    );
  }
  return {
    resources: {
      requests: { cpu: cpuRequest.text, memory: memoryRequest.text },
      limits: { memory: memoryLimit.text, ...(cpuLimit === undefined ? {} : { cpu: cpuLimit.text }) },
    },
    memoryLimitMiB: toMebibytes(memoryLimit),
    cpus: (cpuLimit ?? cpuRequest).value,
  };
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
