import { describe, expect, it } from "vitest";
import { parseQuantity } from "../kube/quantity.js";
import type { ExecutorFootprint } from "../spark/executor-memory.js";
import { workerSizing } from "./resources.js";
import { parseSpec, type RoleSpec } from "./schema.js";

function worker(fields: Record<string, unknown>): RoleSpec {
  const parsed = parseSpec({ worker: fields });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.spec.worker;
}

function executor(heapMiB: number, overheadMiB: number): ExecutorFootprint {
  return {
    heapMiB,
    overheadMiB,
    offHeapMiB: 0,
    pysparkMiB: 0,
    totalMiB: heapMiB + overheadMiB,
    description: `${heapMiB + overheadMiB}Mi: spark.executor.memory ${heapMiB}Mi + overhead ${overheadMiB}Mi`,
  };
}

const DEFAULT_EXECUTOR = executor(1024, 384);

function sized(fields: Record<string, unknown>, footprint: ExecutorFootprint = DEFAULT_EXECUTOR) {
  const errors: string[] = [];
  const sizing = workerSizing(worker(fields), footprint, errors);
  return { ...sizing, errors };
}

describe("workerSizing: daemon 512Mi heap + 384Mi non-heap + k × (executor heap + its own overhead)", () => {
  it.each<[string, Record<string, unknown>, ExecutorFootprint, number, number]>([
    ["the default 3Gi worker fits one default executor", {}, DEFAULT_EXECUTOR, 1, 1024],
    ["2304Mi is the least that fits one default executor", { memory: "2304Mi" }, DEFAULT_EXECUTOR, 1, 1024],
    [
      "8Gi fits five default executors, each with its own overhead",
      { memory: "8Gi" },
      DEFAULT_EXECUTOR,
      5,
      5120,
    ],
    ["8Gi fits one 4g executor", { memory: "8Gi" }, executor(4096, 409), 1, 4096],
    [
      "the memory limit counts, not the request",
      { memoryRequest: "3Gi", memoryLimit: "4Gi" },
      DEFAULT_EXECUTOR,
      2,
      2048,
    ],
    ["a large worker with small executors", { memory: "64Gi" }, executor(512, 384), 72, 36864],
  ])("%s", (_, fields, footprint, executors, offeredMiB) => {
    const result = sized(fields, footprint);
    expect(result.errors).toEqual([]);
    expect(result.executors).toBe(executors);
    expect(result.executorMemoryMiB).toBe(offeredMiB);
    expect(896 + executors * footprint.totalMiB).toBeLessThanOrEqual(result.memoryLimitMiB);
    expect(896 + (executors + 1) * footprint.totalMiB).toBeGreaterThan(result.memoryLimitMiB);
  });

  it.each<[string, Record<string, unknown>, ExecutorFootprint]>([
    ["1408Mi, whose 512m offer no 1g executor fits", { memory: "1408Mi" }, DEFAULT_EXECUTOR],
    ["the old 2Gi default with a 1g executor", { memory: "2Gi" }, DEFAULT_EXECUTOR],
    ["one MiB short", { memory: "2303Mi" }, DEFAULT_EXECUTOR],
    ["8Gi for an 8g executor", { memory: "8Gi" }, executor(8192, 819)],
  ])(
    "rejects %s, naming spec.worker.memory, the executor and the least that works",
    (_, fields, footprint) => {
      const { errors } = sized(fields, footprint);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^spec\.worker\.memory: /);
      expect(errors[0]).toContain(footprint.description);
      expect(errors[0]).toContain(`use at least ${896 + footprint.totalMiB}Mi`);
    },
  );

  it("sizes cores from the CPU limit, else the request, at least 1", () => {
    expect(sized({ cpu: "2500m", memory: "8Gi" }).cores).toBe(2);
    expect(sized({ cpuRequest: "500m" }).cores).toBe(1);
  });

  it("keeps the default worker memory a quantity the API server reads as 3Gi", () => {
    expect(sized({}).resources.limits.memory).toBe("3Gi");
    expect(parseQuantity("3Gi")?.value).toBe(3 * 2 ** 30);
  });
});
