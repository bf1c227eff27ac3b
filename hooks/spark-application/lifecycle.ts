/**
 * The application's lifecycle: from the record of earlier syncs, the observed driver pods and
 * the time, which run is current, whether its driver pod should exist, and kubeflow's state
 * (§A.7 of its state machine, decided in one pure step instead of one reconcile per transition).
 *
 * Beyond kubeflow: a run stopped by the platform (evicted, preempted, node lost, driver pod
 * deleted, not started in time) is an infrastructure failure, counted and retried apart from a
 * run the application failed, so a flaky node does not use up the application's retries
 * (restartPolicy.onInfrastructureFailureRetries; 0 by default with type Never, which keeps
 * kubeflow's "never run twice").
 */
import type { KubeObject } from "../metacontroller/protocol.js";
import { formatTime } from "../kube/conditions.js";
import { driverState, type DriverState, type FailureCause } from "./driver-state.js";
import { NO_RUN, runOfPod, type Failures, type RunRecord } from "./run-record.js";
import { DEFAULT_START_TIMEOUT_SECONDS, type SparkApplicationSpec } from "./schema.js";
import { TERMINAL_STATES, type ApplicationState } from "./status-schema.js";

/**
 * How long SUCCEEDING / FAILING may last: the Spark container has ended but other containers
 * (a service-mesh proxy, a log shipper) keep the pod running. kubeflow decides on the next
 * reconcile; waiting a little lets well-behaved sidecars stop, without hanging forever on one
 * that never does.
 */
export const SIDECAR_GRACE_SECONDS = 30;

/** How long past the start timeout a driver pod asked for but never observed counts as not created. */
export const SUBMISSION_GRACE_SECONDS = 10;

export interface ObservedDriver {
  readonly pod: KubeObject;
  readonly attempt: number;
  readonly state: DriverState;
}

export interface LifecycleInput {
  readonly spec: SparkApplicationSpec;
  /** Hash of the parts of the spec that change what a run does. */
  readonly specHash: string;
  /** The record the previous status holds. */
  readonly previous: RunRecord;
  /** Every observed driver pod (every Pod child is a driver). */
  readonly pods: readonly KubeObject[];
  /** The driver pod name a run would get; two runs may share one when spec.driver.podName is set. */
  readonly driverPodName: (attempt: number) => string;
  readonly now: Date;
}

export interface Lifecycle {
  readonly record: RunRecord & { readonly state: ApplicationState };
  /** Whether the current run's driver pod (and its ConfigMap and Services) exists or is asked for. */
  readonly keepDriver: boolean;
  /** Why the application cannot make progress without someone changing something. */
  readonly stalled?: string;
  /** timeToLiveSeconds has passed since the application ended; its children are removed. */
  readonly expired: boolean;
  readonly resyncAfterSeconds?: number;
  /** The observed driver pod of the current run. */
  readonly current?: ObservedDriver;
}

function seconds(from: string | undefined, now: Date): number {
  if (from === undefined) return 0;
  const start = Date.parse(from);
  return Number.isNaN(start) ? 0 : (now.getTime() - start) / 1000;
}

function plus(time: string, secondsLater: number): string {
  const start = Date.parse(time);
  return formatTime(new Date((Number.isNaN(start) ? 0 : start) + secondsLater * 1000));
}

/** Seconds until `time`, at least 1 so Metacontroller really comes back. */
function until(time: string, now: Date): number {
  return Math.max(1, Math.ceil(-seconds(time, now)));
}

/** The observed drivers with the run each belongs to; pods without our annotation count as run 0. */
export function observedDrivers(pods: readonly KubeObject[]): ObservedDriver[] {
  return pods.map((pod) => ({
    pod,
    attempt: runOfPod(pod)?.attempt ?? 0,
    state: driverState(pod),
  }));
}

/**
 * The record to continue from: the status's, unless a driver pod of a later run is observed
 * (the status write of the sync that asked for it has not reached this request yet).
 */
export function currentRecord(previous: RunRecord, pods: readonly KubeObject[]): RunRecord {
  let record = previous;
  for (const pod of pods) {
    const run = runOfPod(pod);
    if (run !== undefined && run.attempt > record.attempt) record = run.record;
  }
  return record;
}

function isTerminal(state: ApplicationState | undefined): boolean {
  return state !== undefined && TERMINAL_STATES.has(state);
}

function startTimeout(spec: SparkApplicationSpec): number {
  return spec.driver.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS;
}

/** A new run: new attempt number (hence new driver pod, app id and ConfigMap). */
function startRun(input: LifecycleInput, record: RunRecord, drivers: readonly ObservedDriver[]): Lifecycle {
  const { spec, specHash, now } = input;
  const attempt = record.attempt + 1;
  // With a fixed spec.driver.podName every run's pod has the same name: the previous one must
  // be gone before the next can be created.
  const name = input.driverPodName(attempt);
  if (drivers.some((driver) => driver.pod.metadata.name === name)) {
    return {
      record: {
        ...record,
        state: "PENDING_RERUN",
        errorMessage: `waiting for the previous run's driver pod ${name} to be deleted`,
      },
      keepDriver: false,
      expired: false,
      resyncAfterSeconds: 2,
    };
  }
  const reset = record.specHash !== specHash;
  const failures: Failures = reset ? NO_RUN.failures : record.failures;
  return {
    record: {
      attempt,
      specHash,
      executionAttempts: (reset ? 0 : record.executionAttempts) + 1,
      submissionAttempts: (reset ? 0 : record.submissionAttempts) + 1,
      failures,
      state: "SUBMITTED",
      submittedAt: formatTime(now),
    },
    keepDriver: true,
    expired: false,
    resyncAfterSeconds: startTimeout(spec),
  };
}

interface RunEnd {
  /** `submission`: the driver pod was never created, kubeflow's failed submission. */
  readonly outcome: "success" | FailureCause | "submission";
  readonly reason?: string;
  readonly finishedAt?: string;
}

/** restartPolicy's verdict on a run that ended: when to run again, or never. */
function rerunDelay(spec: SparkApplicationSpec, end: RunEnd, failures: Failures): number | undefined {
  const policy = spec.restartPolicy;
  const interval = policy.onFailureRetryInterval ?? 0;
  if (end.outcome === "success") return policy.type === "Always" ? interval : undefined;
  if (end.outcome === "submission") {
    // kubeflow's submission retries: OnFailure up to onSubmissionFailureRetries, Always without end.
    if (policy.type === "Never") return undefined;
    if (policy.type === "OnFailure" && failures.submission > (policy.onSubmissionFailureRetries ?? 0)) {
      return undefined;
    }
    return (policy.onSubmissionFailureRetryInterval ?? 0) * failures.submission;
  }
  if (end.outcome === "infrastructure") {
    const limit = policy.onInfrastructureFailureRetries ?? 0;
    if (failures.infrastructure > limit) return undefined;
    return (policy.onInfrastructureFailureRetryInterval ?? 0) * failures.infrastructure;
  }
  if (policy.type === "Never") return undefined;
  if (policy.type === "OnFailure" && failures.application > (policy.onFailureRetries ?? 0)) return undefined;
  // Linear backoff, as kubeflow: the interval times the failed runs so far.
  return interval * failures.application;
}

function endRun(
  input: LifecycleInput,
  record: RunRecord,
  end: RunEnd,
  drivers: readonly ObservedDriver[],
): Lifecycle {
  const { spec, now } = input;
  const failures: Failures =
    end.outcome === "success"
      ? record.failures
      : { ...record.failures, [end.outcome]: record.failures[end.outcome] + 1 };
  const terminationTime = end.finishedAt ?? formatTime(now);
  const ended: RunRecord = {
    ...record,
    failures,
    terminationTime,
    ...(end.reason === undefined ? {} : { errorMessage: end.reason }),
  };
  const delay = rerunDelay(spec, end, failures);
  if (delay === undefined) {
    const state = end.outcome === "success" ? "COMPLETED" : "FAILED";
    return afterEnd(input, { ...ended, state }, drivers);
  }
  const rerunTime = plus(terminationTime, delay);
  return pendingRerun(input, { ...ended, state: "PENDING_RERUN", rerunTime }, drivers);
}

/**
 * Whether the ended run's driver pod stays, for its logs. A driver that never started (still
 * Pending when driver.startTimeoutSeconds ran out) has none, and kept it would start as soon as
 * a node takes it: the application would run while its status says it ended.
 */
function keepsEndedDriver(drivers: readonly ObservedDriver[], attempt: number): boolean {
  return drivers.some((driver) => driver.attempt === attempt && driver.state.kind !== "pending");
}

function pendingRerun(
  input: LifecycleInput,
  record: RunRecord,
  drivers: readonly ObservedDriver[],
): Lifecycle {
  const due = record.rerunTime ?? record.terminationTime ?? formatTime(input.now);
  if (seconds(due, input.now) >= 0) return startRun(input, record, drivers);
  return {
    record: { ...record, state: "PENDING_RERUN", rerunTime: due },
    // The failed run's driver stays for its logs until the next run starts.
    keepDriver: keepsEndedDriver(drivers, record.attempt),
    expired: false,
    resyncAfterSeconds: until(due, input.now),
  };
}

/** COMPLETED or FAILED: keep the finished driver for its logs until timeToLiveSeconds. */
function afterEnd(
  input: LifecycleInput,
  record: RunRecord & { state: ApplicationState },
  drivers: readonly ObservedDriver[],
): Lifecycle {
  const ttl = input.spec.timeToLiveSeconds;
  const stalled = record.state === "FAILED" ? (record.errorMessage ?? "the application failed") : undefined;
  const base = { record, ...(stalled === undefined ? {} : { stalled }) };
  if (ttl !== undefined && record.terminationTime !== undefined) {
    const expiry = plus(record.terminationTime, ttl);
    if (seconds(expiry, input.now) >= 0) return { ...base, keepDriver: false, expired: true };
    return {
      ...base,
      keepDriver: keepsEndedDriver(drivers, record.attempt),
      expired: false,
      resyncAfterSeconds: until(expiry, input.now),
    };
  }
  // A finished driver someone deleted is not brought back.
  return { ...base, keepDriver: keepsEndedDriver(drivers, record.attempt), expired: false };
}

/** A run in progress: what its driver pod says. */
function liveRun(input: LifecycleInput, record: RunRecord, drivers: readonly ObservedDriver[]): Lifecycle {
  const { spec, now } = input;
  const current = drivers.find((driver) => driver.attempt === record.attempt);
  const timeout = startTimeout(spec);
  const name = input.driverPodName(record.attempt);
  const running = (state: ApplicationState, extra: Partial<Lifecycle> = {}): Lifecycle => ({
    record: { ...record, state },
    keepDriver: true,
    expired: false,
    ...(current === undefined ? {} : { current }),
    ...extra,
  });

  if (current === undefined) {
    if (record.state === "SUBMITTED" || record.state === undefined) {
      // Asked for but not observed yet: Metacontroller creates it, or retries while the API
      // server refuses it (quota, admission); the start timeout bounds both.
      // A pod created moments ago may not have reached Metacontroller's cache yet, and the
      // times here have whole seconds only: "never created" waits a grace beyond the timeout,
      // by which an existing pod is observed and judged by its own creation time instead.
      const waited = seconds(record.submittedAt, now);
      const deadline = timeout + SUBMISSION_GRACE_SECONDS;
      if (waited >= deadline) {
        return endRun(
          input,
          record,
          {
            outcome: "submission",
            reason: `driver pod ${name} was not created within ${timeout}s (driver.startTimeoutSeconds); see the SparkApplication's events`,
          },
          drivers,
        );
      }
      return running("SUBMITTED", { resyncAfterSeconds: Math.max(1, Math.ceil(deadline - waited)) });
    }
    return endRun(
      input,
      record,
      {
        outcome: "infrastructure",
        reason: `driver pod ${name} disappeared while the application was ${record.state}`,
      },
      drivers,
    );
  }

  const state = current.state;
  switch (state.kind) {
    case "pending": {
      const created = (current.pod.metadata as { creationTimestamp?: unknown }).creationTimestamp;
      const since = typeof created === "string" ? created : record.submittedAt;
      const waited = seconds(since, now);
      if (waited >= timeout) {
        return endRun(
          input,
          record,
          {
            outcome: "infrastructure",
            reason: `driver pod ${name} did not start within ${timeout}s (driver.startTimeoutSeconds): ${state.stuck ?? "Pending"}`,
          },
          drivers,
        );
      }
      return running("SUBMITTED", {
        ...(state.stuck === undefined ? {} : { stalled: `driver pod ${name}: ${state.stuck}` }),
        resyncAfterSeconds: Math.max(1, Math.ceil(timeout - waited)),
      });
    }
    case "running":
      return running("RUNNING");
    case "unknown":
      return running("UNKNOWN");
    case "terminating":
      // Deleted before its run ended; when it is gone the run counts as an infrastructure failure.
      return running(record.state === "SUBMITTED" ? "SUBMITTED" : "RUNNING");
    case "succeeded":
    case "failed": {
      const settling = !state.podEnded && seconds(state.finishedAt, now) < SIDECAR_GRACE_SECONDS;
      if (settling && state.finishedAt !== undefined) {
        return running(state.kind === "succeeded" ? "SUCCEEDING" : "FAILING", {
          resyncAfterSeconds: until(plus(state.finishedAt, SIDECAR_GRACE_SECONDS), now),
        });
      }
      const end: RunEnd =
        state.kind === "succeeded"
          ? {
              outcome: "success",
              ...(state.finishedAt === undefined ? {} : { finishedAt: state.finishedAt }),
            }
          : {
              outcome: state.cause,
              reason: state.reason,
              ...(state.finishedAt === undefined ? {} : { finishedAt: state.finishedAt }),
            };
      return { ...endRun(input, record, end, drivers), current };
    }
  }
}

export function decideLifecycle(input: LifecycleInput): Lifecycle {
  const { spec, specHash } = input;
  const drivers = observedDrivers(input.pods);
  const record = currentRecord(input.previous, input.pods);
  const withCurrent = (lifecycle: Lifecycle): Lifecycle => {
    const current = drivers.find((driver) => driver.attempt === lifecycle.record.attempt);
    return lifecycle.keepDriver && current !== undefined ? { ...lifecycle, current } : lifecycle;
  };

  if (record.attempt === 0) {
    if (spec.suspend === true) {
      return { record: { ...record, state: "SUSPENDED" }, keepDriver: false, expired: false };
    }
    return startRun(input, record, drivers);
  }

  const suspendedNow = record.state === "SUSPENDED" || record.state === "SUSPENDING";
  if (spec.suspend === true && (!isTerminal(record.state) || suspendedNow)) {
    // kubeflow: suspending a running application removes its pods; a finished one stays as it is.
    const state = drivers.length > 0 ? "SUSPENDING" : "SUSPENDED";
    return { record: { ...record, state }, keepDriver: false, expired: false };
  }

  if (record.specHash !== specHash || suspendedNow || record.state === "INVALIDATING") {
    // A changed spec reruns the application, and a resumed one starts again; kubeflow removes
    // the old driver first so two drivers of one application never run at once.
    if (drivers.length > 0) {
      const state = suspendedNow ? "SUSPENDING" : "INVALIDATING";
      return { record: { ...record, state }, keepDriver: false, expired: false, resyncAfterSeconds: 2 };
    }
    return startRun(input, record, drivers);
  }

  if (isTerminal(record.state)) {
    return withCurrent(afterEnd(input, { ...record, state: record.state! }, drivers));
  }
  if (record.state === "PENDING_RERUN") return withCurrent(pendingRerun(input, record, drivers));
  return liveRun(input, record, drivers);
}
