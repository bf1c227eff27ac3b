import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseYaml } from "../../hooks/cli/render.js";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import { controller } from "../../hooks/scheduled-spark-application/controller.js";
import { resync } from "./resync.js";
import { EXAMPLE_TEMPLATE, scheduledSteadyState } from "./scheduled-application-bodies.js";

interface Request {
  parent: KubeObject;
  children: Record<string, Record<string, KubeObject>>;
}

const stateOf = (run: KubeObject) =>
  (run.status as { applicationState?: { state?: string } } | undefined)?.applicationState?.state;

describe("the ScheduledSparkApplication benchmark body", () => {
  const steady = scheduledSteadyState(10);
  const request = JSON.parse(steady.body) as Request;
  const runs = Object.values(request.children["SparkApplication.sparkhooks.dev/v1alpha1"] ?? {});

  it("runs the template of examples/scheduledsparkapplication/spark-pi-scheduled.yaml", () => {
    const file = fileURLToPath(
      new URL("../../examples/scheduledsparkapplication/spark-pi-scheduled.yaml", import.meta.url),
    );
    const { documents, errors } = parseYaml(readFileSync(file, "utf8"), file);
    expect(errors).toEqual([]);
    expect(documents).toEqual([
      expect.objectContaining({ spec: expect.objectContaining({ template: EXAMPLE_TEMPLATE }) as unknown }),
    ]);
    expect((request.parent.spec as { template?: unknown }).template).toEqual(EXAMPLE_TEMPLATE);
  });

  it("holds the schedule's history: finished runs with the status the SparkApplication controller wrote", () => {
    expect(steady.pods).toBe(10);
    expect(runs).toHaveLength(10);
    expect(runs.map(stateOf).sort()).toEqual([...Array<string>(9).fill("COMPLETED"), "FAILED"]);
    for (const run of runs) {
      expect(run.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: "ScheduledSparkApplication", uid: request.parent.metadata.uid }),
      ]);
      expect(run.status).toMatchObject({
        driverInfo: { podName: `${run.metadata.name}-driver` },
        terminationTime: expect.any(String) as unknown,
      });
    }
    const status = steady.response.status as Record<string, string[] | undefined>;
    expect(
      [...(status["pastSuccessfulRunNames"] ?? []), ...(status["pastFailedRunNames"] ?? [])].sort(),
    ).toEqual(runs.map((run) => run.metadata.name).sort());
    expect(status["activeRunNames"]).toBeUndefined();
  });

  it("is a steady state between two firings: syncing it again starts nothing and keeps every run as applied", () => {
    const { result, desired, applied, parentStatus } = resync(controller, steady.body);
    expect(result.outcome).toBe("ok");
    expect(desired).toEqual(applied);
    expect({ ...result.response.status, observedGeneration: 1 }).toEqual(parentStatus);
    // The next firing is half an hour away.
    expect(result.response.resyncAfterSeconds).toBe(1800);
  });
});
