/**
 * What one sync must know of the syncs before it: which run the application is on, the spec
 * that run was started from, and how many runs failed and why. A stateless hook keeps it in the
 * status it returns, and also on each driver pod it creates: Metacontroller may call the hook
 * with a parent read from its cache before the last status write arrived, while the newer
 * driver pod is already observed, and the pod (immutable, OnDelete) then says which run is
 * current. Reading both and taking the newer keeps the run number and the failure counts from
 * going backwards.
 */
import type { KubeObject } from "../metacontroller/protocol.js";
import { APPLICATION_STATES, type ApplicationState } from "./status-schema.js";

/** On the driver pod: the run it belongs to and the counters as they stood when it was asked for. */
export const RUN_ANNOTATION = "sparkhooks.dev/run";

export interface Failures {
  readonly application: number;
  readonly infrastructure: number;
  /** Runs whose driver pod was never created (kubeflow's failed submissions). */
  readonly submission: number;
}

export interface RunRecord {
  /** 0 before the first run; names and ids of run n derive from n. */
  readonly attempt: number;
  readonly specHash?: string;
  readonly executionAttempts: number;
  readonly submissionAttempts: number;
  readonly failures: Failures;
  readonly state?: ApplicationState;
  readonly errorMessage?: string;
  readonly submittedAt?: string;
  readonly terminationTime?: string;
  /** When the next run may start (PENDING_RERUN). */
  readonly rerunTime?: string;
}

export const NO_RUN: RunRecord = {
  attempt: 0,
  executionAttempts: 0,
  submissionAttempts: 0,
  failures: { application: 0, infrastructure: 0, submission: 0 },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : 0;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function failuresOf(value: unknown): Failures {
  const failures = isRecord(value) ? value : {};
  return {
    application: count(failures.application),
    infrastructure: count(failures.infrastructure),
    submission: count(failures.submission),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The record a previous status holds; anything missing or malformed reads as "no run yet". */
export function recordFromStatus(status: unknown): RunRecord {
  if (!isRecord(status)) return NO_RUN;
  const applicationState = isRecord(status.applicationState) ? status.applicationState : {};
  const state = (APPLICATION_STATES as readonly unknown[]).includes(applicationState.state)
    ? (applicationState.state as ApplicationState)
    : undefined;
  return {
    attempt: count(status.attempt),
    ...optional("specHash", text(status.specHash)),
    executionAttempts: count(status.executionAttempts),
    submissionAttempts: count(status.submissionAttempts),
    failures: failuresOf(status.failures),
    ...optional("state", state),
    ...optional("errorMessage", text(applicationState.errorMessage)),
    ...optional("submittedAt", text(status.lastSubmissionAttemptTime)),
    ...optional("terminationTime", text(status.terminationTime)),
    ...optional("rerunTime", text(status.rerunTime)),
  };
}

/** The annotation a driver pod of this record carries. */
export function runAnnotation(record: RunRecord): string {
  return JSON.stringify({
    attempt: record.attempt,
    specHash: record.specHash,
    executionAttempts: record.executionAttempts,
    submissionAttempts: record.submissionAttempts,
    failures: record.failures,
  });
}

/** The run a driver pod belongs to, or undefined for a pod without a readable annotation. */
export function runOfPod(pod: KubeObject): { attempt: number; record: RunRecord } | undefined {
  const raw = pod.metadata.annotations?.[RUN_ANNOTATION];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const attempt = count(parsed.attempt);
  if (attempt === 0) return undefined;
  const created = text((pod.metadata as { creationTimestamp?: unknown }).creationTimestamp);
  return {
    attempt,
    record: {
      attempt,
      ...optional("specHash", text(parsed.specHash)),
      executionAttempts: count(parsed.executionAttempts),
      submissionAttempts: count(parsed.submissionAttempts),
      failures: failuresOf(parsed.failures),
      state: "SUBMITTED",
      ...optional("submittedAt", created),
    },
  };
}
