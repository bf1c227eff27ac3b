import { describe, expect, it } from "vitest";
import type { KubeObject } from "../metacontroller/protocol.js";
import { byAge, observeRun, runName } from "./runs.js";

function run(
  name: string,
  extra: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "SparkApplication",
    metadata: { name, ...metadata },
    ...extra,
  };
}

describe("observeRun", () => {
  it.each([
    [{ status: { applicationState: { state: "COMPLETED" } } }, "succeeded"],
    [{ status: { applicationState: { state: "FAILED" } } }, "failed"],
    [{ status: { applicationState: { state: "RUNNING" } } }, "active"],
    [{}, "active"],
    [{ status: "COMPLETED" }, "active"],
    [{ status: { applicationState: "COMPLETED" } }, "active"],
    [{ status: { applicationState: { state: 3 } } }, "active"],
  ])("reads %j as %s", (extra, phase) => {
    expect(observeRun(run("r", extra)).phase).toBe(phase);
  });

  it("reads a run being deleted as neither active nor finished", () => {
    const deleting = run(
      "r",
      { status: { applicationState: { state: "RUNNING" } } },
      {
        deletionTimestamp: "2026-12-01T10:00:00Z",
      },
    );
    expect(observeRun(deleting).phase).toBe("terminating");
  });

  it("orders runs by scheduled time, then creation time, then name", () => {
    const scheduled = (name: string, time: string) =>
      observeRun(run(name, {}, { annotations: { "sparkhooks.dev/scheduled-time": time } }));
    const created = (name: string, time: string) => observeRun(run(name, {}, { creationTimestamp: time }));
    const runs = [
      scheduled("c", "2026-12-01T10:02:00Z"),
      created("b", "2026-12-01T10:01:00Z"),
      scheduled("a", "2026-12-01T10:02:00Z"),
      observeRun(run("z")),
    ].sort(byAge);
    expect(runs.map((r) => r.name)).toEqual(["z", "b", "a", "c"]);
  });
});

describe("runName", () => {
  it("is <scheduled>-<Unix seconds>, at most 63 characters, long names cut and hashed apart", () => {
    const time = new Date("2026-12-01T10:01:00.900Z");
    expect(runName("nightly", time)).toBe("nightly-1796119260");
    const long = runName("x".repeat(60), time);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(runName(`${"x".repeat(59)}y`, time));
  });
});
