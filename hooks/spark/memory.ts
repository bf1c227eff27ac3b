/**
 * Container resources of a Spark JVM, and the memory arithmetic every Spark daemon needs: a
 * JVM uses more than its heap, so the heap has to be the container limit minus headroom or the
 * kernel OOM-kills it at the cgroup limit.
 */
import { parseQuantity, toMebibytes, type Quantity } from "../kube/quantity.js";
import type { ResourceDefaults } from "./schemas.js";

/** Non-heap JVM memory (metaspace, threads, direct buffers): Spark's own rule for pods. */
export function jvmHeadroomMiB(containerMiB: number): number {
  return Math.max(384, Math.ceil(containerMiB * 0.1));
}

export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string; readonly cpu?: string };
}

/** What `containerResourceFields` parses to. */
export interface ResourceFields {
  readonly memory?: Quantity;
  readonly cpu?: Quantity;
  readonly memoryRequest?: Quantity;
  readonly memoryLimit?: Quantity;
  readonly cpuRequest?: Quantity;
  readonly cpuLimit?: Quantity;
}

export interface ResolvedResources {
  readonly resources: ContainerResources;
  readonly memoryLimitMiB: number;
  /** CPUs Spark may schedule on: the limit when set, else the request. */
  readonly cpus: number;
}

function defaultQuantity(text: string): Quantity {
  const parsed = parseQuantity(text);
  if (parsed === undefined) throw new Error(`bad built-in default quantity ${text}`);
  return parsed;
}

/**
 * The specific fields win over `memory`/`cpu`, which win over the defaults. A memory limit is
 * always set (the JVM sizes follow from it); a CPU limit only when the user asks for one.
 * Problems are appended to `errors`, each starting with `field` (`spec.worker`).
 */
export function resolveResources(
  fields: ResourceFields,
  defaults: ResourceDefaults,
  field: string,
  errors: string[],
): ResolvedResources {
  const cpuRequest = fields.cpuRequest ?? fields.cpu ?? fields.cpuLimit ?? defaultQuantity(defaults.cpu);
  const cpuLimit = fields.cpuLimit ?? fields.cpu;
  const memoryRequest =
    fields.memoryRequest ?? fields.memory ?? fields.memoryLimit ?? defaultQuantity(defaults.memory);
  const memoryLimit = fields.memoryLimit ?? fields.memory ?? memoryRequest;
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
