import { describe, expect, it } from "vitest";
import { parseQuantity, type Quantity } from "../kube/quantity.js";
import { jvmHeadroomMiB, resolveResources, type ResourceFields } from "./memory.js";

const q = (text: string): Quantity => {
  const parsed = parseQuantity(text);
  if (parsed === undefined) throw new Error(text);
  return parsed;
};
const DEFAULTS = { cpu: "1", memory: "2Gi" };

function resolved(fields: ResourceFields) {
  const errors: string[] = [];
  return { ...resolveResources(fields, DEFAULTS, "spec.worker", errors), errors };
}

describe("jvmHeadroomMiB", () => {
  it.each([
    [1024, 384],
    [3840, 384],
    [4096, 410],
    [16384, 1639],
  ])("leaves %i MiB of container %i MiB for the JVM itself", (container, headroom) => {
    expect(jvmHeadroomMiB(container)).toBe(headroom);
  });
});

describe("resolveResources", () => {
  it("uses the defaults as request and memory limit, with no CPU limit", () => {
    expect(resolved({})).toMatchObject({
      resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "2Gi" } },
      memoryLimitMiB: 2048,
      cpus: 1,
      errors: [],
    });
  });

  it("lets the specific fields win over memory and cpu", () => {
    const r = resolved({ memory: q("4Gi"), memoryRequest: q("3Gi"), cpu: q("2"), cpuRequest: q("500m") });
    expect(r.resources).toEqual({
      requests: { cpu: "500m", memory: "3Gi" },
      limits: { memory: "4Gi", cpu: "2" },
    });
    expect(r.cpus).toBe(2);
  });

  it("names the field when a request is above its limit", () => {
    expect(
      resolved({ cpuRequest: q("2"), cpuLimit: q("1"), memoryRequest: q("3Gi"), memoryLimit: q("2Gi") })
        .errors,
    ).toEqual([
      "spec.worker.cpuRequest: 2 is more than the CPU limit 1",
      "spec.worker.memoryRequest: 3Gi is more than the memory limit 2Gi",
    ]);
  });
});
