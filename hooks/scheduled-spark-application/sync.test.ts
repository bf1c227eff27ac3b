import { describe, expect, it } from "vitest";
import type { KubeObject } from "../metacontroller/protocol.js";
import {
  at,
  runNames,
  scheduledParent,
  step,
  syncAt,
  TEMPLATE,
  withRunState,
  type ScheduledWorld,
} from "../../test/support/scheduled.js";
import { ANNOTATION_SCHEDULED_TIME, KUBEFLOW_LABEL_SCHEDULED_APP, LABEL_SCHEDULED_APP } from "./runs.js";
import { MAX_RESYNC_SECONDS, syncScheduledSparkApplication } from "./sync.js";

/** CREATED is 10:00:30; a `* * * * *` schedule first fires at 10:01:00 (at(30)), then every 60 s. */
const MINUTELY = { schedule: "* * * * *" };
const FIRST = at(30);
const SECOND = at(90);
const THIRD = at(150);

function world(spec: Record<string, unknown>, labels?: Record<string, string>): ScheduledWorld {
  return { parent: scheduledParent(spec, labels === undefined ? {} : { labels }), runs: [] };
}

/** Syncs at each moment in turn, Metacontroller applying every answer. */
function run(start: ScheduledWorld, moments: readonly Date[]): ScheduledWorld {
  return moments.reduce((current, moment) => step(current, moment).world, start);
}

/** The world with some spec fields changed, as a user's edit would (generation left alone). */
function withSpec(current: ScheduledWorld, fields: Record<string, unknown>): ScheduledWorld {
  const spec = current.parent.spec as Record<string, unknown>;
  return { ...current, parent: { ...current.parent, spec: { ...spec, ...fields } } };
}

function unix(date: Date): number {
  return date.getTime() / 1000;
}

function condition(status: Record<string, unknown>, type: string): Record<string, unknown> | undefined {
  return (status["conditions"] as Record<string, unknown>[]).find((c) => c["type"] === type);
}

describe("ScheduledSparkApplication sync: when runs start", () => {
  it("on the first sync computes nextRun from now and starts nothing, as kubeflow does", () => {
    const { answer } = step(world(MINUTELY), at(0));
    expect(answer.children).toEqual([]);
    expect(answer.status).toMatchObject({
      scheduleState: "Scheduled",
      nextRun: "2026-12-01T10:01:00Z",
      schedule: "CRON_TZ=UTC * * * * *",
    });
    expect(answer.resyncAfterSeconds).toBe(30);
    expect(condition(answer.status, "Ready")).toMatchObject({ status: "True", reason: "Scheduled" });
  });

  it("starts nothing before nextRun, and asks to be called again when it is due", () => {
    const { answer } = step(run(world(MINUTELY), [at(0)]), at(12.4));
    expect(answer.children).toEqual([]);
    expect(answer.resyncAfterSeconds).toBe(17.6);
  });

  it("starts one run when due, named after the scheduled time and carrying the template as written", () => {
    const { answer } = step(run(world(MINUTELY, { team: "data" }), [at(0)]), at(31));
    expect(answer.children).toHaveLength(1);
    const [child] = answer.children as unknown as KubeObject[];
    expect(child).toMatchObject({
      apiVersion: "sparkhooks.dev/v1alpha1",
      kind: "SparkApplication",
      metadata: {
        name: `nightly-${unix(FIRST)}`,
        labels: { team: "data", [LABEL_SCHEDULED_APP]: "nightly", [KUBEFLOW_LABEL_SCHEDULED_APP]: "nightly" },
        annotations: { [ANNOTATION_SCHEDULED_TIME]: "2026-12-01T10:01:00Z" },
      },
    });
    expect((child as { spec?: unknown }).spec).toEqual(
      (scheduledParent(MINUTELY).spec as { template: unknown }).template,
    );
    expect(answer.status).toMatchObject({
      lastRun: "2026-12-01T10:01:01Z",
      lastRunName: `nightly-${unix(FIRST)}`,
      nextRun: "2026-12-01T10:02:00Z",
      activeRunNames: [`nightly-${unix(FIRST)}`],
    });
    expect(answer.resyncAfterSeconds).toBe(59);
  });

  it("asks for the same run, not a second one, when a sync is repeated after its status was lost", () => {
    const before = run(world(MINUTELY), [at(0)]);
    const first = step(before, at(31));
    // The status write was lost: the parent still has the old status, but the run exists.
    const repeated = step({ parent: before.parent, runs: first.world.runs }, at(32));
    expect(runNames(repeated.world)).toEqual([`nightly-${unix(FIRST)}`]);
    expect(repeated.answer.status["nextRun"]).toBe("2026-12-01T10:02:00Z");
  });

  it("after an outage starts only the latest due run and counts the ones it passed over as missed", () => {
    const { answer, world: after } = step(run(world(MINUTELY), [at(0)]), at(30 + 60 * 5 + 10));
    expect(runNames(after)).toEqual([`nightly-${unix(at(330))}`]);
    expect(answer.status).toMatchObject({ missedRuns: 5, lastMissedRun: "2026-12-01T10:05:00Z" });
  });

  it("with startingDeadlineSeconds misses a run found too late instead of starting it, and says so", () => {
    const spec = { ...MINUTELY, startingDeadlineSeconds: 20 };
    const { answer, world: after } = step(run(world(spec), [at(0)]), at(30 + 60 * 5 + 25));
    expect(runNames(after)).toEqual([]);
    expect(answer.status).toMatchObject({
      missedRuns: 6,
      lastMissedRun: "2026-12-01T10:06:00Z",
      nextRun: "2026-12-01T10:07:00Z",
    });
    expect(condition(answer.status, "Ready")?.["message"]).toContain("past startingDeadlineSeconds");
    // Within the deadline the run starts.
    expect(runNames(step(run(world(spec), [at(0)]), at(45)).world)).toEqual([`nightly-${unix(FIRST)}`]);
  });

  it("never starts a run for a time after now, nor more than one per sync", () => {
    let current = run(world({ schedule: "@every 20s" }), [at(0)]);
    for (let second = 1; second < 200; second += 7) {
      const before = current.runs.length;
      current = step(current, at(second)).world;
      expect(current.runs.length - before).toBeLessThanOrEqual(1);
      for (const name of runNames(current)) {
        expect(Number(name.split("-").at(-1)) * 1000).toBeLessThanOrEqual(at(second).getTime());
      }
    }
  });
});

describe("ScheduledSparkApplication sync: concurrency policies", () => {
  const firstRun = `nightly-${unix(FIRST)}`;
  const secondRun = `nightly-${unix(SECOND)}`;

  it("Allow starts the next run while the last one is still active", () => {
    const after = run(world({ ...MINUTELY, concurrencyPolicy: "Allow" }), [at(0), at(30), at(90)]);
    expect(runNames(after)).toEqual([firstRun, secondRun]);
  });

  it("Forbid skips a due run while the last one is active, and starts the next once it finished", () => {
    const spec = { ...MINUTELY, concurrencyPolicy: "Forbid" };
    const skipped = step(run(world(spec), [at(0), at(30)]), at(90));
    expect(runNames(skipped.world)).toEqual([firstRun]);
    expect(skipped.answer.status).toMatchObject({
      skippedRuns: 1,
      lastSkippedRun: "2026-12-01T10:02:00Z",
      nextRun: "2026-12-01T10:03:00Z",
    });
    expect(condition(skipped.answer.status, "Ready")?.["message"]).toContain("Forbid");
    // kubeflow skips rather than waits: the run finishing does not start the skipped one.
    const finished = withRunState(skipped.world, firstRun, "COMPLETED");
    expect(runNames(step(finished, at(100)).world)).toEqual([firstRun]);
    expect(runNames(step(finished, at(150)).world)).toEqual([firstRun, `nightly-${unix(THIRD)}`]);
  });

  it("Replace deletes the active run and starts the new one in the same answer", () => {
    const spec = { ...MINUTELY, concurrencyPolicy: "Replace" };
    const { answer, world: after } = step(run(world(spec), [at(0), at(30)]), at(90));
    expect(answer.children.map((child) => child.metadata.name)).toEqual([secondRun]);
    expect(runNames(after)).toEqual([secondRun]);
  });

  it("Replace leaves a finished run to the history limits", () => {
    const spec = { ...MINUTELY, concurrencyPolicy: "Replace" };
    const finished = withRunState(run(world(spec), [at(0), at(30)]), firstRun, "FAILED");
    expect(runNames(step(finished, at(90)).world)).toEqual([firstRun, secondRun]);
  });

  it("counts a run as finished only once its SparkApplication says COMPLETED or FAILED", () => {
    const spec = { ...MINUTELY, concurrencyPolicy: "Forbid" };
    for (const state of ["SUBMITTED", "RUNNING", "PENDING_RERUN", "SUCCEEDING", "UNKNOWN"]) {
      const active = withRunState(run(world(spec), [at(0), at(30)]), firstRun, state);
      expect(runNames(step(active, at(90)).world), state).toEqual([firstRun]);
    }
  });
});

describe("ScheduledSparkApplication sync: run history", () => {
  it("keeps the newest successfulRunHistoryLimit and failedRunHistoryLimit finished runs, deleting the oldest", () => {
    const spec = { ...MINUTELY, successfulRunHistoryLimit: 2, failedRunHistoryLimit: 1 };
    let current = run(world(spec), [at(0)]);
    const outcomes = ["COMPLETED", "FAILED", "COMPLETED", "FAILED", "COMPLETED"];
    for (const [index, state] of outcomes.entries()) {
      current = step(current, at(30 + 60 * index)).world;
      current = withRunState(current, `nightly-${unix(at(30 + 60 * index))}`, state);
    }
    const { answer, world: after } = step(current, at(30 + 60 * 4 + 10));
    const name = (index: number) => `nightly-${unix(at(30 + 60 * index))}`;
    expect(runNames(after)).toEqual([name(2), name(3), name(4)]);
    expect(answer.status).toMatchObject({
      pastSuccessfulRunNames: [name(4), name(2)],
      pastFailedRunNames: [name(3)],
    });
  });

  it("keeps no finished run with limits of 0, and never prunes an active one", () => {
    const spec = { ...MINUTELY, successfulRunHistoryLimit: 0, failedRunHistoryLimit: 0 };
    let current = step(run(world(spec), [at(0)]), at(30)).world;
    current = withRunState(current, `nightly-${unix(FIRST)}`, "RUNNING");
    expect(runNames(step(current, at(40)).world)).toEqual([`nightly-${unix(FIRST)}`]);
    current = withRunState(current, `nightly-${unix(FIRST)}`, "COMPLETED");
    expect(runNames(step(current, at(40)).world)).toEqual([]);
  });
});

describe("ScheduledSparkApplication sync: suspend and spec changes", () => {
  it("starts no run while suspended, keeps the runs it has, and starts the latest due one on resume", () => {
    const running = run(world(MINUTELY), [at(0), at(30)]);
    const suspended = withSpec(running, { suspend: true });
    const paused = step(suspended, at(200));
    expect(runNames(paused.world)).toEqual([`nightly-${unix(FIRST)}`]);
    expect(paused.answer.resyncAfterSeconds).toBeUndefined();
    expect(condition(paused.answer.status, "Ready")).toMatchObject({ status: "True", reason: "Suspended" });
    const resumed = withSpec(paused.world, { suspend: false });
    expect(runNames(step(resumed, at(210)).world)).toEqual([
      `nightly-${unix(FIRST)}`,
      `nightly-${unix(at(210))}`,
    ]);
  });

  it("computes nextRun afresh when the schedule changes, starting nothing for the old one", () => {
    const before = run(world(MINUTELY), [at(0)]);
    const changed = withSpec(before, { schedule: "0 * * * *" });
    const { answer } = step(changed, at(45));
    expect(answer.children).toEqual([]);
    expect(answer.status["nextRun"]).toBe("2026-12-01T11:00:00Z");
    expect(answer.resyncAfterSeconds).toBe(3525);
  });
});

describe("ScheduledSparkApplication sync: a spec it cannot act on", () => {
  const broken: [string, Record<string, unknown>, string][] = [
    ["a schedule with six fields", { schedule: "0 * * * * *" }, "spec.schedule: "],
    ["an unknown time zone", { schedule: "* * * * *", timeZone: "Mars/Olympus" }, "spec.timeZone: "],
    [
      "a template in client mode",
      { schedule: "* * * * *", template: { ...TEMPLATE, mode: "client" } },
      "spec.template.mode: ",
    ],
    [
      "a template the SparkApplication schema refuses",
      { schedule: "* * * * *", template: { type: "Cobol" } },
      "spec.template.type: ",
    ],
  ];

  it.each(broken)(
    "%s: answers with every run kept as it is and FailedValidation naming the field",
    (_, spec, field) => {
      const healthy = step(run(world(MINUTELY), [at(0)]), at(31)).world;
      const parent = {
        ...healthy.parent,
        metadata: { ...healthy.parent.metadata, generation: 2 },
        spec: { ...(healthy.parent.spec as object), ...spec },
      };
      const result = syncScheduledSparkApplication(
        {
          parent,
          children: {
            "SparkApplication.sparkhooks.dev/v1alpha1": Object.fromEntries(
              healthy.runs.map((r) => [r.metadata.name, r]),
            ),
          },
          related: {},
          finalizing: false,
        },
        at(200),
      );
      expect(result.outcome).toBe("invalid_spec");
      expect(result.response.children.map((child) => child.metadata.name)).toEqual(runNames(healthy));
      expect(result.response.status).toMatchObject({ scheduleState: "FailedValidation" });
      expect(result.response.status["reason"]).toContain(field);
      expect(result.response.status["nextRun"]).toBeUndefined();
      expect(result.response.status["lastRunName"]).toBe(`nightly-${unix(FIRST)}`);
      expect(condition(result.response.status as Record<string, unknown>, "Ready")).toMatchObject({
        status: "False",
        reason: "InvalidSpec",
      });
      expect(condition(result.response.status as Record<string, unknown>, "Stalled")?.["status"]).toBe(
        "True",
      );
      expect(result.response.resyncAfterSeconds).toBeUndefined();
    },
  );

  it("refuses a name longer than a label value, and cuts long run names to 63 characters", () => {
    const long = "a".repeat(64);
    const refused = syncAt({ parent: scheduledParent(MINUTELY, { name: long }), runs: [] }, at(0));
    expect(refused.status["reason"]).toContain("metadata.name");
    const name = "b".repeat(63);
    const first = step({ parent: scheduledParent(MINUTELY, { name }), runs: [] }, at(0)).world;
    const [runName] = runNames(step(first, at(31)).world);
    expect(runName?.length).toBeLessThanOrEqual(63);
    expect(runName).toMatch(/-1796119260$/);
  });
});

describe("ScheduledSparkApplication sync: resyncAfterSeconds", () => {
  it("is the seconds until nextRun, to the millisecond, at least 1 and at most MAX_RESYNC_SECONDS", () => {
    expect(step(world(MINUTELY), at(29.5)).answer.resyncAfterSeconds).toBe(1);
    expect(step(world(MINUTELY), at(0.05)).answer.resyncAfterSeconds).toBe(29.95);
    expect(step(world({ schedule: "@yearly" }), at(0)).answer.resyncAfterSeconds).toBe(MAX_RESYNC_SECONDS);
  });
});
