/**
 * Invariants of ScheduledSparkApplication sync over generated schedules, previous statuses,
 * observed runs and moments.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTime } from "../kube/conditions.js";
import type { KubeObject, SyncRequest } from "../metacontroller/protocol.js";
import {
  scheduledParent,
  step,
  TEMPLATE,
  withRunState,
  type ScheduledWorld,
} from "../../test/support/scheduled.js";
import { ANNOTATION_SCHEDULED_TIME, runName } from "./runs.js";
import { parseSchedule } from "./schedule.js";
import { MAX_RESYNC_SECONDS, syncScheduledSparkApplication } from "./sync.js";

const NOW = new Date("2026-12-01T12:00:07Z");
const RUN_KEY = "SparkApplication.sparkhooks.dev/v1alpha1";

const schedules = fc.constantFrom(
  "* * * * *",
  "*/2 * * * *",
  "0 * * * *",
  "@every 20s",
  "@every 45s",
  "@hourly",
);
const timeZones = fc.constantFrom(undefined, "UTC", "Europe/Berlin", "America/New_York");
const policies = fc.constantFrom("Allow", "Forbid", "Replace");
const states = fc.constantFrom(undefined, "SUBMITTED", "RUNNING", "SUCCEEDING", "COMPLETED", "FAILED");

const specArb = fc.record({
  schedule: schedules,
  timeZone: timeZones,
  suspend: fc.boolean(),
  concurrencyPolicy: policies,
  successfulRunHistoryLimit: fc.integer({ min: 0, max: 3 }),
  failedRunHistoryLimit: fc.integer({ min: 0, max: 3 }),
  startingDeadlineSeconds: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
});

const runArb = fc.record({
  secondsBefore: fc.integer({ min: 0, max: 7200 }),
  state: states,
  terminating: fc.boolean(),
});

const scenarioArb = fc.record({
  spec: specArb,
  // status.nextRun relative to now, absent, or computed from another schedule.
  nextRunOffset: fc.option(fc.integer({ min: -7200, max: 3600 }), { nil: undefined }),
  sameSchedule: fc.boolean(),
  runs: fc.array(runArb, { maxLength: 6 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function observedRun(run: Scenario["runs"][number]): KubeObject {
  const scheduled = new Date(Math.floor(NOW.getTime() / 1000) * 1000 - run.secondsBefore * 1000);
  return {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "SparkApplication",
    metadata: {
      name: runName("nightly", scheduled),
      namespace: "jobs",
      creationTimestamp: formatTime(scheduled),
      annotations: { [ANNOTATION_SCHEDULED_TIME]: formatTime(scheduled) },
      labels: { "controller-uid": "u" },
      ...(run.terminating ? { deletionTimestamp: formatTime(NOW) } : {}),
    },
    spec: TEMPLATE,
    ...(run.state === undefined ? {} : { status: { applicationState: { state: run.state } } }),
  };
}

function requestFor(scenario: Scenario): SyncRequest {
  const spec = withoutUndefined(scenario.spec);
  const parsed = parseSchedule(scenario.spec.schedule, scenario.spec.timeZone);
  if (!parsed.ok) throw new Error("generated schedules are valid");
  const status =
    scenario.nextRunOffset === undefined
      ? undefined
      : {
          nextRun: formatTime(new Date(NOW.getTime() + scenario.nextRunOffset * 1000)),
          schedule: scenario.sameSchedule ? parsed.schedule.text : "CRON_TZ=UTC 1 1 1 1 *",
        };
  const runs = scenario.runs.map(observedRun);
  return {
    parent: scheduledParent(spec, status === undefined ? {} : { status }),
    children: { [RUN_KEY]: Object.fromEntries(runs.map((run) => [run.metadata.name, run])) },
    related: {},
    finalizing: false,
  };
}

const isActive = (run: KubeObject) => {
  const state = (run as { status?: { applicationState?: { state?: string } } }).status?.applicationState
    ?.state;
  return run.metadata.deletionTimestamp === undefined && state !== "COMPLETED" && state !== "FAILED";
};
const stateOf = (run: KubeObject) =>
  (run as { status?: { applicationState?: { state?: string } } }).status?.applicationState?.state;

function observedList(request: SyncRequest): KubeObject[] {
  return Object.values(request.children[RUN_KEY] ?? {});
}

describe("ScheduledSparkApplication sync properties", () => {
  it("answers the same bytes for the same request, whatever the order of the observed runs", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const request = requestFor(scenario);
        const reversed = {
          ...request,
          children: {
            [RUN_KEY]: Object.fromEntries(Object.entries(request.children[RUN_KEY] ?? {}).reverse()),
          },
        };
        const first = JSON.stringify(syncScheduledSparkApplication(request, NOW));
        expect(JSON.stringify(syncScheduledSparkApplication(reversed, NOW))).toBe(first);
      }),
    );
  });

  it("starts at most one run per sync, never for a time after now", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const request = requestFor(scenario);
        const observed = new Set(observedList(request).map((run) => run.metadata.name));
        const { response } = syncScheduledSparkApplication(request, NOW);
        const fresh = response.children.filter((child) => !observed.has(child.metadata.name));
        expect(fresh.length).toBeLessThanOrEqual(1);
        for (const child of fresh) {
          const annotations = (child.metadata as { annotations?: Record<string, string> }).annotations ?? {};
          expect(Date.parse(annotations[ANNOTATION_SCHEDULED_TIME] ?? "")).toBeLessThanOrEqual(NOW.getTime());
          expect(scenario.spec.suspend).toBe(false);
        }
      }),
    );
  });

  it("never drops an active run except under Replace, and only when it starts a new one", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const request = requestFor(scenario);
        const { response } = syncScheduledSparkApplication(request, NOW);
        const desired = new Set(response.children.map((child) => child.metadata.name));
        const observedNames = new Set(observedList(request).map((run) => run.metadata.name));
        const started = response.children.some((child) => !observedNames.has(child.metadata.name));
        for (const run of observedList(request).filter(isActive)) {
          if (desired.has(run.metadata.name)) continue;
          expect(scenario.spec.concurrencyPolicy).toBe("Replace");
          expect(started).toBe(true);
        }
      }),
    );
  });

  it("keeps no more finished runs of each outcome than its history limit", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const request = requestFor(scenario);
        const { response } = syncScheduledSparkApplication(request, NOW);
        const byName = new Map(observedList(request).map((run) => [run.metadata.name, run]));
        const kept = response.children.flatMap((child) => byName.get(child.metadata.name) ?? []);
        const count = (state: string) =>
          kept.filter((run) => stateOf(run) === state && run.metadata.deletionTimestamp === undefined).length;
        expect(count("COMPLETED")).toBeLessThanOrEqual(scenario.spec.successfulRunHistoryLimit);
        expect(count("FAILED")).toBeLessThanOrEqual(scenario.spec.failedRunHistoryLimit);
      }),
    );
  });

  it("leaves no due time undecided: nextRun is after now unless suspended, and the resync is bounded", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { response } = syncScheduledSparkApplication(requestFor(scenario), NOW);
        const nextRun = Date.parse(response.status["nextRun"] as string);
        if (!scenario.spec.suspend) {
          expect(nextRun).toBeGreaterThan(NOW.getTime());
          expect(response.resyncAfterSeconds).toBeGreaterThanOrEqual(1);
          expect(response.resyncAfterSeconds).toBeLessThanOrEqual(MAX_RESYNC_SECONDS);
        } else {
          expect(response.resyncAfterSeconds).toBeUndefined();
        }
      }),
    );
  });

  it("keeps every observed run exactly when the spec is invalid", () => {
    const broken = fc.constantFrom(
      { schedule: "61 * * * *" },
      { schedule: "@every never" },
      { timeZone: "Nowhere/Nothing" },
      { template: { ...TEMPLATE, type: "Cobol" } },
      { template: { ...TEMPLATE, mode: "client" } },
    );
    fc.assert(
      fc.property(scenarioArb, broken, (scenario, breakage) => {
        const request = requestFor(scenario);
        const parent = { ...request.parent, spec: { ...(request.parent.spec as object), ...breakage } };
        const result = syncScheduledSparkApplication({ ...request, parent }, NOW);
        expect(result.outcome).toBe("invalid_spec");
        const observed = observedList(request)
          .map((run) => run.metadata.name)
          .sort();
        expect(result.response.children.map((child) => child.metadata.name).sort()).toEqual(observed);
        expect(result.response.status["scheduleState"]).toBe("FailedValidation");
      }),
    );
  });

  it("over a day of syncs at random moments starts each scheduled time at most once, all at or before their sync", () => {
    const syncTimes = fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 60 });
    const finishes = fc.array(fc.constantFrom("COMPLETED", "FAILED", "RUNNING"), {
      minLength: 60,
      maxLength: 60,
    });
    fc.assert(
      fc.property(specArb, syncTimes, finishes, (spec, gaps, outcomes) => {
        let world: ScheduledWorld = { parent: scheduledParent(withoutUndefined(spec)), runs: [] };
        let now = NOW.getTime();
        const started = new Set<string>();
        gaps.forEach((gap, index) => {
          now += gap * 1000;
          const result = step(world, new Date(now));
          for (const run of result.world.runs) {
            if (!world.runs.some((before) => before.metadata.name === run.metadata.name)) {
              expect(started.has(run.metadata.name)).toBe(false);
              started.add(run.metadata.name);
            }
          }
          world = result.world;
          const newest = world.runs.at(-1);
          if (newest !== undefined)
            world = withRunState(world, newest.metadata.name, outcomes[index] ?? "RUNNING");
        });
      }),
      { numRuns: 60 },
    );
  });
});
