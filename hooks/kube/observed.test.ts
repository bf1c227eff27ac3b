import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../metacontroller/protocol.js";
import { statusLikeJson } from "../../test/support/json.js";
import {
  isPodFinished,
  isPodLive,
  isPodReady,
  keepObserved,
  LAST_APPLIED_ANNOTATION,
  mountedConfigMaps,
  podStuckReason,
} from "./observed.js";

function pod(status: unknown, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "ns", uid: "u", ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: "c", image: "i" }], nodeName: "n1" },
    status,
  };
}

describe("keepObserved", () => {
  it("returns what Metacontroller last applied, so its merge changes nothing", () => {
    const applied = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", labels: { a: "b" } },
      spec: { containers: [] },
    };
    expect(keepObserved(pod({}, { [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied) }))).toEqual(applied);
  });

  it("falls back to the observed object without status or the annotation", () => {
    const kept = keepObserved(
      pod({ phase: "Running" }, { [LAST_APPLIED_ANNOTATION]: "{broken", other: "x" }),
    );
    expect(kept).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "ns", annotations: { other: "x" } },
      spec: { containers: [{ name: "c", image: "i" }], nodeName: "n1" },
    });
  });

  it("ignores a last-applied annotation nested too deep to send back, keeping the observed copy", () => {
    // 256 KiB of annotation is enough for ~100,000 levels; JSON.stringify overflows at a few thousand.
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const annotation = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"x":${deep}}}`;
    const kept = keepObserved(pod({}, { [LAST_APPLIED_ANNOTATION]: annotation }));
    expect(kept).toMatchObject({ metadata: { name: "p" }, spec: { nodeName: "n1" } });
    expect(() => JSON.stringify(kept)).not.toThrow();
  });

  it("ignores a last-applied annotation that describes another object", () => {
    const other = { apiVersion: "v1", kind: "Pod", metadata: { name: "q" } };
    expect(keepObserved(pod({}, { [LAST_APPLIED_ANNOTATION]: JSON.stringify(other) })).metadata.name).toBe(
      "p",
    );
  });
});

describe("pod health", () => {
  it("is Ready only when Running with a Ready condition", () => {
    expect(isPodReady(pod({ phase: "Running", conditions: [{ type: "Ready", status: "True" }] }))).toBe(true);
    expect(isPodReady(pod({ phase: "Running", conditions: [{ type: "Ready", status: "False" }] }))).toBe(
      false,
    );
    expect(isPodReady(pod({ phase: "Pending" }))).toBe(false);
    expect(isPodReady(pod(undefined))).toBe(false);
  });

  it("treats Failed (evicted) and Succeeded pods as finished", () => {
    expect(isPodFinished(pod({ phase: "Failed", reason: "Evicted" }))).toBe(true);
    expect(isPodFinished(pod({ phase: "Succeeded" }))).toBe(true);
    expect(isPodFinished(pod({ phase: "Running" }))).toBe(false);
  });

  it.each([
    [{ containerStatuses: [{ state: { waiting: { reason: "CrashLoopBackOff" } } }] }, "CrashLoopBackOff"],
    [
      { containerStatuses: [{ state: { waiting: { reason: "ErrImagePull", message: "not found" } } }] },
      "ErrImagePull: not found",
    ],
    [
      {
        conditions: [
          { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes" },
        ],
      },
      "Unschedulable: 0/3 nodes",
    ],
    [{ containerStatuses: [{ state: { waiting: { reason: "ContainerCreating" } } }] }, undefined],
    [
      {
        initContainerStatuses: [
          { name: "download-data", state: { terminated: { reason: "Error", exitCode: 8 } } },
        ],
      },
      "init container download-data: Error (exit code 8)",
    ],
    [
      {
        initContainerStatuses: [
          {
            name: "resolve-maven-dependencies",
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } },
            lastState: { terminated: { reason: "Error", exitCode: 1 } },
          },
        ],
      },
      "init container resolve-maven-dependencies: CrashLoopBackOff: back-off 20s (last exit code 1)",
    ],
    [
      { initContainerStatuses: [{ name: "d", state: { terminated: { reason: "Completed", exitCode: 0 } } }] },
      undefined,
    ],
    [{ initContainerStatuses: [{ name: "d", state: { running: {} } }] }, undefined],
  ])("explains a stuck pod: %j", (status, reason) => {
    expect(podStuckReason(pod(status))).toBe(reason);
  });
});

describe("mountedConfigMaps", () => {
  it("names ConfigMap volumes, direct and projected, and nothing else", () => {
    const mounting: KubeObject = {
      ...pod({}),
      spec: {
        containers: [],
        volumes: [
          { name: "a", configMap: { name: "one" } },
          { name: "b", emptyDir: {} },
          { name: "c", projected: { sources: [{ configMap: { name: "two" } }, { secret: { name: "s" } }] } },
          { name: "d", secret: { secretName: "three" } },
        ],
      },
    };
    expect(mountedConfigMaps(mounting)).toEqual(["one", "two"]);
    expect(mountedConfigMaps(pod({}))).toEqual([]);
  });
});

describe("isPodLive", () => {
  it.each([
    ["running", { phase: "Running" }, undefined, true],
    ["pending", { phase: "Pending" }, undefined, true],
    ["failed", { phase: "Failed" }, undefined, false],
    ["succeeded", { phase: "Succeeded" }, undefined, false],
    ["being deleted", { phase: "Running" }, "2026-11-22T10:00:00Z", false],
  ])("is %s → %s", (_, status, deletionTimestamp, live) => {
    const base = pod(status);
    const subject =
      deletionTimestamp === undefined ? base : { ...base, metadata: { ...base.metadata, deletionTimestamp } };
    expect(isPodLive(subject)).toBe(live);
  });
});

describe("pod readers on malformed statuses", () => {
  it.each([
    ["conditions that are a string", { phase: "Running", conditions: "oops" }],
    ["conditions that are an object", { phase: "Running", conditions: { type: "Ready", status: "True" } }],
    ["null and scalar conditions", { phase: "Running", conditions: [null, 1, "Ready", []] }],
    ["a Ready status that is a boolean", { phase: "Running", conditions: [{ type: "Ready", status: true }] }],
    ["a phase that is not a string", { phase: ["Running"], conditions: [{ type: "Ready", status: "True" }] }],
    ["container statuses that are an object", { containerStatuses: { state: {} } }],
    [
      "null container statuses and states",
      { containerStatuses: [null, { state: null }, { state: { waiting: 1 } }] },
    ],
    ["a status that is a list", [{ phase: "Running" }]],
    ["a status that is a string", "Running"],
  ])("reads %s as not ready, not finished and not stuck", (_what, status) => {
    const p = pod(status);
    expect(isPodReady(p)).toBe(false);
    expect(isPodFinished(p)).toBe(false);
    expect(podStuckReason(p)).toBeUndefined();
  });

  it("leaves out a waiting message that is not a string rather than printing an object", () => {
    const status = {
      containerStatuses: [{ state: { waiting: { reason: "CrashLoopBackOff", message: { toString: 1 } } } }],
    };
    expect(podStuckReason(pod(status))).toBe("CrashLoopBackOff");
  });

  it("answers for any JSON in a status, never throwing", () => {
    fc.assert(
      fc.property(statusLikeJson, (status) => {
        const p = pod(status);
        expect(typeof isPodReady(p)).toBe("boolean");
        expect(typeof isPodFinished(p)).toBe("boolean");
        expect(["string", "undefined"]).toContain(typeof podStuckReason(p));
      }),
      { numRuns: 500 },
    );
  });
});
