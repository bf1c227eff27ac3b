/**
 * The lifecycle decides kubeflow's states from the record and the observed driver, retries by
 * restartPolicy with linear backoff, and counts infrastructure failures apart from application
 * failures. Times are exact: the decision depends on `now` only through the numbers it returns.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../metacontroller/protocol.js";
import { sparkApplicationSpec } from "../../test/support/spark-applications.js";
import {
  decideLifecycle,
  SIDECAR_GRACE_SECONDS,
  SUBMISSION_GRACE_SECONDS,
  type LifecycleInput,
} from "./lifecycle.js";
import { NO_RUN, RUN_ANNOTATION, runAnnotation, type RunRecord } from "./run-record.js";
import type { SparkApplicationSpecInput } from "./schema.js";
import type { ApplicationState } from "./status-schema.js";

const T0 = "2026-12-01T10:00:00Z";
const at = (secondsAfter: number) => new Date(Date.parse(T0) + secondsAfter * 1000);
const iso = (secondsAfter: number) =>
  at(secondsAfter)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");

function spec(extra: Partial<SparkApplicationSpecInput> = {}) {
  return sparkApplicationSpec({
    sparkVersion: "4.1.2",
    mainClass: "org.apache.spark.examples.SparkPi",
    mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
    driver: {},
    executor: {},
    ...extra,
  });
}

const HASH = "h1";

function podName(attempt: number): string {
  return attempt === 1 ? "pi-driver" : `pi-driver-${attempt}`;
}

/** The record of a run as the sync that started it wrote it. */
function running(attempt: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    ...NO_RUN,
    attempt,
    specHash: HASH,
    executionAttempts: attempt,
    submissionAttempts: attempt,
    state: "RUNNING",
    submittedAt: T0,
    ...extra,
  };
}

interface PodShape {
  phase?: string;
  created?: string;
  reason?: string | undefined;
  terminated?: { exitCode: number; finishedAt?: string; reason?: string } | undefined;
  waiting?: string;
  disruption?: boolean;
  deleting?: boolean;
  ready?: boolean;
}

function driverPod(record: RunRecord, shape: PodShape): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName(record.attempt),
      annotations: { [RUN_ANNOTATION]: runAnnotation(record) },
      creationTimestamp: shape.created ?? T0,
      ...(shape.deleting === true ? { deletionTimestamp: iso(1) } : {}),
    },
    status: {
      phase: shape.phase ?? "Running",
      ...(shape.reason === undefined ? {} : { reason: shape.reason }),
      conditions: [
        ...(shape.ready === true ? [{ type: "Ready", status: "True" }] : []),
        ...(shape.disruption === true
          ? [{ type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" }]
          : []),
      ],
      containerStatuses: [
        {
          name: "spark-kubernetes-driver",
          state:
            shape.terminated !== undefined
              ? { terminated: shape.terminated }
              : shape.waiting !== undefined
                ? { waiting: { reason: shape.waiting, message: "back-off pulling image" } }
                : { running: { startedAt: T0 } },
        },
      ],
    },
  };
}

function decide(
  previous: RunRecord,
  pods: readonly KubeObject[],
  now: Date,
  specInput: Partial<SparkApplicationSpecInput> = {},
  specHash = HASH,
) {
  const input: LifecycleInput = {
    spec: spec(specInput),
    specHash,
    previous,
    pods,
    driverPodName: podName,
    now,
  };
  return decideLifecycle(input);
}

describe("a new application", () => {
  it("asks for its first driver: SUBMITTED, run 1, submitted now, checked again at the start timeout", () => {
    const lifecycle = decide(NO_RUN, [], at(0));
    expect(lifecycle.record).toMatchObject({
      state: "SUBMITTED",
      attempt: 1,
      executionAttempts: 1,
      submissionAttempts: 1,
      specHash: HASH,
      submittedAt: T0,
    });
    expect(lifecycle.keepDriver).toBe(true);
    expect(lifecycle.resyncAfterSeconds).toBe(600);
  });

  it("created suspended, asks for nothing", () => {
    const lifecycle = decide(NO_RUN, [], at(0), { suspend: true });
    expect(lifecycle.record.state).toBe("SUSPENDED");
    expect(lifecycle.keepDriver).toBe(false);
  });
});

describe("a run in progress follows its driver pod", () => {
  const submitted = running(1, { state: "SUBMITTED" });

  it("keeps asking for a driver not yet observed until the start timeout and a grace for the cache", () => {
    const lifecycle = decide(submitted, [], at(100), { driver: { startTimeoutSeconds: 300 } });
    expect(lifecycle.record.state).toBe("SUBMITTED");
    expect(lifecycle.keepDriver).toBe(true);
    expect(lifecycle.resyncAfterSeconds).toBe(200 + SUBMISSION_GRACE_SECONDS);
    // A pod created at the last moment and not yet in the cache is not a failed submission.
    const atTimeout = decide(submitted, [], at(300), { driver: { startTimeoutSeconds: 300 } });
    expect(atTimeout.record.state).toBe("SUBMITTED");
  });

  it("Pending is SUBMITTED; a pull back-off is reported as stuck", () => {
    const pod = driverPod(submitted, { phase: "Pending", waiting: "ImagePullBackOff" });
    const lifecycle = decide(submitted, [pod], at(30));
    expect(lifecycle.record.state).toBe("SUBMITTED");
    expect(lifecycle.stalled).toMatch(/pi-driver: ImagePullBackOff/);
    expect(lifecycle.resyncAfterSeconds).toBe(570);
  });

  it("Running is RUNNING", () => {
    const lifecycle = decide(submitted, [driverPod(submitted, { ready: true })], at(30));
    expect(lifecycle.record.state).toBe("RUNNING");
    expect(lifecycle.keepDriver).toBe(true);
    expect(lifecycle.current?.pod.metadata.name).toBe("pi-driver");
  });

  it("phase Unknown is UNKNOWN, and the driver is kept", () => {
    const lifecycle = decide(running(1), [driverPod(running(1), { phase: "Unknown" })], at(30));
    expect(lifecycle.record.state).toBe("UNKNOWN");
    expect(lifecycle.keepDriver).toBe(true);
  });

  it("a Spark container that ended while a sidecar still runs is SUCCEEDING for the grace period, then COMPLETED", () => {
    const pod = driverPod(running(1), { terminated: { exitCode: 0, finishedAt: iso(60) } });
    const settling = decide(running(1), [pod], at(70));
    expect(settling.record.state).toBe("SUCCEEDING");
    expect(settling.resyncAfterSeconds).toBe(SIDECAR_GRACE_SECONDS - 10);
    const done = decide(running(1), [pod], at(60 + SIDECAR_GRACE_SECONDS));
    expect(done.record).toMatchObject({ state: "COMPLETED", terminationTime: iso(60) });
  });
});

describe("a run that ends, by restartPolicy", () => {
  const succeeded = driverPod(running(1), {
    phase: "Succeeded",
    terminated: { exitCode: 0, finishedAt: iso(100) },
  });
  const failed = driverPod(running(1), {
    phase: "Failed",
    terminated: { exitCode: 1, reason: "Error", finishedAt: iso(100) },
  });

  it("Never: success is COMPLETED, kept for its logs; Ready", () => {
    const lifecycle = decide(running(1), [succeeded], at(120));
    expect(lifecycle.record).toMatchObject({ state: "COMPLETED", terminationTime: iso(100) });
    expect(lifecycle.keepDriver).toBe(true);
    expect(lifecycle.stalled).toBeUndefined();
    expect(lifecycle.resyncAfterSeconds).toBeUndefined();
  });

  it("Never: a non-zero exit is FAILED with the exit code, an application failure, no rerun", () => {
    const lifecycle = decide(running(1), [failed], at(120));
    expect(lifecycle.record).toMatchObject({
      state: "FAILED",
      failures: { application: 1, infrastructure: 0, submission: 0 },
      errorMessage: "driver container exited with code 1 (Error)",
    });
    expect(lifecycle.stalled).toMatch(/code 1/);
    expect(lifecycle.keepDriver).toBe(true);
  });

  it("a pod Failed whose driver exited 0 counts as a success, as in kubeflow", () => {
    const pod = driverPod(running(1), { phase: "Failed", terminated: { exitCode: 0, finishedAt: iso(100) } });
    expect(decide(running(1), [pod], at(120)).record.state).toBe("COMPLETED");
  });

  it("OnFailure: reruns with linear backoff until onFailureRetries reruns failed, then FAILED", () => {
    const policy = {
      restartPolicy: { type: "OnFailure" as const, onFailureRetries: 2, onFailureRetryInterval: 10 },
    };
    const waiting = decide(running(1), [failed], at(105), policy);
    expect(waiting.record).toMatchObject({
      state: "PENDING_RERUN",
      rerunTime: iso(110),
      failures: { application: 1, infrastructure: 0, submission: 0 },
    });
    expect(waiting.keepDriver).toBe(true); // the failed driver stays for its logs
    expect(waiting.resyncAfterSeconds).toBe(5);

    const second = decide(waiting.record, [failed], at(110), policy);
    expect(second.record).toMatchObject({
      state: "SUBMITTED",
      attempt: 2,
      executionAttempts: 2,
      submittedAt: iso(110),
    });
    expect(second.current).toBeUndefined(); // run 1's driver is not the current one any more

    const run2 = second.record;
    const failed2 = driverPod(run2, { phase: "Failed", terminated: { exitCode: 2, finishedAt: iso(200) } });
    const wait2 = decide(run2, [failed2], at(201), policy);
    // interval × failures so far: 10 × 2
    expect(wait2.record).toMatchObject({ state: "PENDING_RERUN", rerunTime: iso(220) });
    const run3 = decide(wait2.record, [failed2], at(220), policy).record;
    expect(run3).toMatchObject({ attempt: 3, state: "SUBMITTED" });
    const failed3 = driverPod(run3, { phase: "Failed", terminated: { exitCode: 2, finishedAt: iso(300) } });
    const final = decide(run3, [failed3], at(301), policy);
    expect(final.record).toMatchObject({
      state: "FAILED",
      failures: { application: 3, infrastructure: 0, submission: 0 },
    });
  });

  it("Always: reruns after a success too", () => {
    const policy = { restartPolicy: { type: "Always" as const, onFailureRetryInterval: 7 } };
    const lifecycle = decide(running(1), [succeeded], at(101), policy);
    expect(lifecycle.record).toMatchObject({ state: "PENDING_RERUN", rerunTime: iso(107) });
  });

  it("a run whose backoff has passed starts at once, with a new attempt and the same spec", () => {
    const policy = {
      restartPolicy: { type: "OnFailure" as const, onFailureRetries: 1, onFailureRetryInterval: 5 },
    };
    const lifecycle = decide(running(1), [failed], at(500), policy);
    expect(lifecycle.record).toMatchObject({ state: "SUBMITTED", attempt: 2, submittedAt: iso(500) });
    expect(lifecycle.record.failures.application).toBe(1);
  });
});

describe("infrastructure failures are counted apart from application failures", () => {
  const onFailure = {
    restartPolicy: { type: "OnFailure" as const, onFailureRetries: 0, onInfrastructureFailureRetries: 2 },
  };

  it("an evicted driver is rerun even when no application failure may be", () => {
    const evicted = driverPod(running(1), { phase: "Failed", reason: "Evicted" });
    const lifecycle = decide(running(1), [evicted], at(50), onFailure);
    expect(lifecycle.record).toMatchObject({
      failures: { application: 0, infrastructure: 1, submission: 0 },
      errorMessage: "driver pod failed: Evicted",
    });
    expect(["PENDING_RERUN", "SUBMITTED"]).toContain(lifecycle.record.state);
  });

  it("a driver evicted with its container killed (reason Evicted, exit 137, no DisruptionTarget) is infrastructure", () => {
    const evicted = driverPod(running(1), {
      phase: "Failed",
      reason: "Evicted",
      terminated: { exitCode: 137, finishedAt: iso(40), reason: "Error" },
    });
    const lifecycle = decide(running(1), [evicted], at(41), onFailure);
    expect(lifecycle.record.failures).toEqual({ application: 0, infrastructure: 1, submission: 0 });
    expect(lifecycle.record.errorMessage).toBe(
      "driver pod failed: Evicted; driver container exited with code 137 (Error)",
    );
  });

  it("a pod reason the platform does not give (a plain Error) leaves a non-zero exit the application's", () => {
    const failed = driverPod(running(1), {
      phase: "Failed",
      reason: "Whatever",
      terminated: { exitCode: 1, finishedAt: iso(40) },
    });
    const lifecycle = decide(running(1), [failed], at(41), onFailure);
    expect(lifecycle.record.failures).toEqual({ application: 1, infrastructure: 0, submission: 0 });
  });

  it("a preempted driver (DisruptionTarget) that exited with SIGTERM's 143 is infrastructure, not the application", () => {
    const preempted = driverPod(running(1), {
      phase: "Failed",
      disruption: true,
      terminated: { exitCode: 143, finishedAt: iso(40) },
    });
    const lifecycle = decide(running(1), [preempted], at(41), onFailure);
    expect(lifecycle.record.failures).toEqual({ application: 0, infrastructure: 1, submission: 0 });
  });

  it("a driver pod that disappears while running is an infrastructure failure", () => {
    const lifecycle = decide(running(1), [], at(50), onFailure);
    expect(lifecycle.record.failures).toEqual({ application: 0, infrastructure: 1, submission: 0 });
    expect(lifecycle.record.errorMessage).toMatch(/pi-driver disappeared while the application was RUNNING/);
  });

  it("a driver Pending past the start timeout is a failed start, with the reason", () => {
    const submitted = running(1, { state: "SUBMITTED" });
    const stuck = driverPod(submitted, { phase: "Pending", waiting: "ImagePullBackOff" });
    const lifecycle = decide(submitted, [stuck], at(61), {
      ...onFailure,
      driver: { startTimeoutSeconds: 60 },
    });
    expect(lifecycle.record.failures).toEqual({ application: 0, infrastructure: 1, submission: 0 });
    expect(lifecycle.record.errorMessage).toMatch(/did not start within 60s .*ImagePullBackOff/);
  });

  it("a driver pod never created within the start timeout is a failed submission, retried under onSubmissionFailureRetries", () => {
    const submitted = running(1, { state: "SUBMITTED" });
    const policy = {
      restartPolicy: {
        type: "OnFailure" as const,
        onSubmissionFailureRetries: 1,
        onSubmissionFailureRetryInterval: 20,
      },
      driver: { startTimeoutSeconds: 60 },
    };
    const first = decide(submitted, [], at(60 + SUBMISSION_GRACE_SECONDS), policy);
    expect(first.record).toMatchObject({
      state: "PENDING_RERUN",
      rerunTime: iso(90),
      failures: { application: 0, infrastructure: 0, submission: 1 },
    });
    expect(first.record.errorMessage).toMatch(/pi-driver was not created within 60s/);
    const second = decide(first.record, [], at(90), policy).record;
    expect(second).toMatchObject({ state: "SUBMITTED", attempt: 2, submittedAt: iso(90) });
    const last = decide(second, [], at(160), policy);
    expect(last.record).toMatchObject({ state: "FAILED", failures: { submission: 2 } });
  });

  it("a driver that timed out starting is removed, not kept for logs it does not have, so it never starts late", () => {
    const submitted = running(1, { state: "SUBMITTED" });
    const stuck = driverPod(submitted, { phase: "Pending", waiting: "ImagePullBackOff" });
    const never = { driver: { startTimeoutSeconds: 60 } };
    const timedOut = decide(submitted, [stuck], at(61), never);
    expect(timedOut.record.state).toBe("FAILED");
    expect(timedOut.keepDriver).toBe(false);
    // The next sync still observes the pod on its way out.
    const after = decide({ ...timedOut.record }, [stuck], at(62), never);
    expect(after.record.state).toBe("FAILED");
    expect(after.keepDriver).toBe(false);
    const retrying = decide(submitted, [stuck], at(61), { ...never, ...onFailure });
    expect(retrying.record.state).toBe("PENDING_RERUN");
    expect(retrying.keepDriver).toBe(false);
  });

  it("with restartPolicy Never no run is repeated, whatever the cause (kubeflow's promise)", () => {
    const evicted = driverPod(running(1), { phase: "Failed", reason: "Evicted" });
    const lifecycle = decide(running(1), [evicted], at(50));
    expect(lifecycle.record.state).toBe("FAILED");
  });

  it("the infrastructure limit ends the application when reached", () => {
    const record = running(3, { failures: { application: 0, infrastructure: 2, submission: 0 } });
    const evicted = driverPod(record, { phase: "Failed", reason: "Evicted" });
    const lifecycle = decide(record, [evicted], at(50), onFailure);
    expect(lifecycle.record).toMatchObject({
      state: "FAILED",
      failures: { application: 0, infrastructure: 3, submission: 0 },
    });
  });
});

describe("spec changes, suspend and time to live", () => {
  const live = driverPod(running(1), { ready: true });

  it("a changed spec removes the live driver first (INVALIDATING), then starts a new run with counters reset", () => {
    const record = running(1, {
      failures: { application: 1, infrastructure: 1, submission: 0 },
      executionAttempts: 2,
    });
    const removing = decide(record, [live], at(10), {}, "h2");
    expect(removing.record.state).toBe("INVALIDATING");
    expect(removing.keepDriver).toBe(false);
    const rerun = decide(removing.record, [], at(12), {}, "h2");
    expect(rerun.record).toMatchObject({
      state: "SUBMITTED",
      attempt: 2,
      specHash: "h2",
      executionAttempts: 1,
      failures: { application: 0, infrastructure: 0, submission: 0 },
    });
  });

  it("a changed spec reruns a COMPLETED application too", () => {
    const done = running(1, { state: "COMPLETED", terminationTime: iso(5) });
    expect(decide(done, [], at(10), {}, "h2").record).toMatchObject({ state: "SUBMITTED", attempt: 2 });
  });

  it("suspend removes the driver (SUSPENDING, then SUSPENDED); resuming starts a new run keeping the counters", () => {
    const record = running(1, { failures: { application: 1, infrastructure: 0, submission: 0 } });
    const suspending = decide(record, [live], at(10), { suspend: true });
    expect(suspending.record.state).toBe("SUSPENDING");
    expect(suspending.keepDriver).toBe(false);
    const suspended = decide(suspending.record, [], at(11), { suspend: true });
    expect(suspended.record.state).toBe("SUSPENDED");
    const resumed = decide(suspended.record, [], at(20), { suspend: false });
    expect(resumed.record).toMatchObject({ state: "SUBMITTED", attempt: 2, failures: { application: 1 } });
  });

  it("suspend leaves a finished application as it is", () => {
    const done = running(1, { state: "COMPLETED", terminationTime: iso(5) });
    expect(decide(done, [], at(10), { suspend: true }).record.state).toBe("COMPLETED");
  });

  it("timeToLiveSeconds keeps the finished driver until it passes, then removes the children", () => {
    const done = running(1, { state: "COMPLETED", terminationTime: iso(100) });
    const finished = driverPod(done, {
      phase: "Succeeded",
      terminated: { exitCode: 0, finishedAt: iso(100) },
    });
    const before = decide(done, [finished], at(130), { timeToLiveSeconds: 60 });
    expect(before.keepDriver).toBe(true);
    expect(before.expired).toBe(false);
    expect(before.resyncAfterSeconds).toBe(30);
    const after = decide(done, [finished], at(160), { timeToLiveSeconds: 60 });
    expect(after.keepDriver).toBe(false);
    expect(after.expired).toBe(true);
    expect(after.record.state).toBe("COMPLETED");
  });

  it("with a fixed driver.podName the next run waits until the previous pod is gone", () => {
    const failedPod = driverPod(running(1), {
      phase: "Failed",
      terminated: { exitCode: 1, finishedAt: iso(1) },
    });
    const input: LifecycleInput = {
      spec: spec({ restartPolicy: { type: "Always", onFailureRetryInterval: 1 } }),
      specHash: HASH,
      previous: running(1),
      pods: [failedPod],
      driverPodName: () => "pi-driver",
      now: at(100),
    };
    const waiting = decideLifecycle(input);
    expect(waiting.record).toMatchObject({ state: "PENDING_RERUN", attempt: 1 });
    expect(waiting.keepDriver).toBe(false);
    expect(decideLifecycle({ ...input, previous: waiting.record, pods: [] }).record).toMatchObject({
      state: "SUBMITTED",
      attempt: 2,
    });
  });
});

describe("a parent read from a stale cache", () => {
  it("continues from the newer run a driver pod carries instead of starting that run again", () => {
    const run2 = running(2, {
      state: "SUBMITTED",
      failures: { application: 1, infrastructure: 0, submission: 0 },
    });
    const pod2 = driverPod(run2, { ready: true });
    // The status still describes run 1, which failed.
    const stale = running(1, { state: "RUNNING" });
    const lifecycle = decide(stale, [pod2], at(50), {
      restartPolicy: { type: "OnFailure", onFailureRetries: 3 },
    });
    expect(lifecycle.record).toMatchObject({ attempt: 2, state: "RUNNING", failures: { application: 1 } });
  });
});

describe("invariants over arbitrary driver observations", () => {
  const phases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const;
  const shape = fc.record({
    phase: fc.constantFrom(...phases),
    terminated: fc.option(
      fc.record({
        exitCode: fc.constantFrom(0, 1, 137, 143),
        finishedAt: fc.constantFrom(iso(10), iso(100)),
      }),
      { nil: undefined },
    ),
    reason: fc.option(fc.constantFrom("Evicted", "NodeLost", "Whatever"), { nil: undefined }),
    disruption: fc.boolean(),
    deleting: fc.boolean(),
  });
  const record = fc.record({
    attempt: fc.integer({ min: 1, max: 5 }),
    application: fc.integer({ min: 0, max: 4 }),
    infrastructure: fc.integer({ min: 0, max: 4 }),
    state: fc.constantFrom<ApplicationState[]>(
      "SUBMITTED",
      "RUNNING",
      "SUCCEEDING",
      "FAILING",
      "UNKNOWN",
      "PENDING_RERUN",
      "COMPLETED",
      "FAILED",
    ),
  });
  const policy = fc.record({
    type: fc.constantFrom<("Never" | "OnFailure" | "Always")[]>("Never", "OnFailure", "Always"),
    onFailureRetries: fc.integer({ min: 0, max: 3 }),
    onInfrastructureFailureRetries: fc.integer({ min: 0, max: 3 }),
  });

  it("runs and failure counts never go backwards, a terminal state is only left by a spec change, and the decision is repeatable", () => {
    fc.assert(
      fc.property(
        record,
        fc.option(shape, { nil: undefined }),
        policy,
        fc.integer({ min: 0, max: 2000 }),
        (r, s, p, t) => {
          const previous = running(r.attempt, {
            state: r.state,
            failures: { application: r.application, infrastructure: r.infrastructure, submission: 0 },
            terminationTime: iso(5),
            rerunTime: iso(50),
          });
          const pods = s === undefined ? [] : [driverPod(previous, s)];
          const lifecycle = decide(previous, pods, at(t), { restartPolicy: p });
          expect(decide(previous, pods, at(t), { restartPolicy: p })).toEqual(lifecycle);
          const next = lifecycle.record;
          expect(next.attempt).toBeGreaterThanOrEqual(previous.attempt);
          expect(next.attempt).toBeLessThanOrEqual(previous.attempt + 1);
          expect(next.failures.application).toBeGreaterThanOrEqual(previous.failures.application);
          expect(next.failures.infrastructure).toBeGreaterThanOrEqual(previous.failures.infrastructure);
          // One decision counts at most one failure.
          expect(
            next.failures.application +
              next.failures.infrastructure -
              previous.failures.application -
              previous.failures.infrastructure,
          ).toBeLessThanOrEqual(1);
          if (previous.state === "COMPLETED" || previous.state === "FAILED") {
            expect(next.state).toBe(previous.state);
            expect(next.attempt).toBe(previous.attempt);
          }
          // Never never starts a second run of the same spec (a rerun already pending was decided
          // under an earlier restartPolicy, which is not part of the spec hash).
          if (
            p.type === "Never" &&
            p.onInfrastructureFailureRetries === 0 &&
            previous.state !== "PENDING_RERUN"
          ) {
            expect(next.attempt).toBe(previous.attempt);
          }
          if (lifecycle.resyncAfterSeconds !== undefined) {
            expect(lifecycle.resyncAfterSeconds).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
