import { describe, expect, it } from "vitest";
import { executorFootprint, type SettingLookup } from "./executor-memory.js";

function lookup(settings: Record<string, string>): SettingLookup {
  return (name) => {
    const value = settings[name];
    return value === undefined ? undefined : { value, origin: `spec.sparkConfiguration ${name}` };
  };
}

function footprint(settings: Record<string, string>) {
  const errors: string[] = [];
  const result = executorFootprint(lookup(settings), errors);
  return { result, errors };
}

describe("executorFootprint: the memory one executor JVM takes in the worker container", () => {
  it.each<[string, Record<string, string>, [number, number, number, number]]>([
    ["Spark's defaults: 1g heap and the 384m minimum overhead", {}, [1024, 384, 0, 0]],
    ["a large heap: 10% overhead", { "spark.executor.memory": "8g" }, [8192, 819, 0, 0]],
    ["sizes in MiB when no unit is given", { "spark.executor.memory": "1536" }, [1536, 384, 0, 0]],
    ["Kubernetes-style suffixes, which Spark accepts", { "spark.executor.memory": "2Gi" }, [2048, 384, 0, 0]],
    ["an explicit overhead", { "spark.executor.memoryOverhead": "1g" }, [1024, 1024, 0, 0]],
    [
      "an overhead factor",
      { "spark.executor.memory": "2g", "spark.executor.memoryOverheadFactor": "0.5" },
      [2048, 1024, 0, 0],
    ],
    ["Spark 4's minimum overhead setting", { "spark.executor.minMemoryOverhead": "512m" }, [1024, 512, 0, 0]],
    [
      "off-heap memory when enabled (its size is in bytes by default)",
      { "spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "1073741824" },
      [1024, 384, 1024, 0],
    ],
    ["no off-heap memory when not enabled", { "spark.memory.offHeap.size": "1g" }, [1024, 384, 0, 0]],
    ["PySpark worker memory", { "spark.executor.pyspark.memory": "512m" }, [1024, 384, 0, 512]],
  ])("%s", (_, settings, [heap, overhead, offHeap, pyspark]) => {
    const { result, errors } = footprint(settings);
    expect(errors).toEqual([]);
    expect(result).toMatchObject({
      heapMiB: heap,
      overheadMiB: overhead,
      offHeapMiB: offHeap,
      pysparkMiB: pyspark,
      totalMiB: heap + overhead + offHeap + pyspark,
    });
  });

  it.each<[Record<string, string>, string]>([
    [{ "spark.executor.memory": "1.5g" }, "spark.executor.memory"],
    [{ "spark.executor.memory": "lots" }, "spark.executor.memory"],
    [{ "spark.executor.memory": "0" }, "spark.executor.memory"],
    [{ "spark.executor.memoryOverhead": "1 g" }, "spark.executor.memoryOverhead"],
    [{ "spark.executor.memoryOverheadFactor": "ten" }, "spark.executor.memoryOverheadFactor"],
    [{ "spark.executor.memoryOverheadFactor": "0" }, "spark.executor.memoryOverheadFactor"],
    [{ "spark.executor.minMemoryOverhead": "x" }, "spark.executor.minMemoryOverhead"],
    [{ "spark.memory.offHeap.enabled": "yes" }, "spark.memory.offHeap.enabled"],
    [{ "spark.memory.offHeap.enabled": "true" }, "spark.memory.offHeap.enabled"],
    [
      { "spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "0" },
      "spark.memory.offHeap.size",
    ],
    [
      { "spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "1.5g" },
      "spark.memory.offHeap.size",
    ],
    [{ "spark.executor.pyspark.memory": "-1" }, "spark.executor.pyspark.memory"],
  ])("rejects %j, naming the setting and where it was written", (settings, name) => {
    const { result, errors } = footprint(settings);
    expect(result).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`spec.sparkConfiguration ${name}`);
  });

  it("describes itself for messages", () => {
    expect(footprint({}).result?.description).toBe("1408Mi: spark.executor.memory 1024Mi + overhead 384Mi");
    expect(
      footprint({
        "spark.memory.offHeap.enabled": "true",
        "spark.memory.offHeap.size": "1g",
        "spark.executor.pyspark.memory": "256m",
      }).result?.description,
    ).toBe(
      "2688Mi: spark.executor.memory 1024Mi + overhead 384Mi + spark.memory.offHeap.size 1024Mi + spark.executor.pyspark.memory 256Mi",
    );
  });
});
