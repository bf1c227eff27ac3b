/**
 * The SparkApplication's status from the lifecycle decision and the observed pods. Same
 * request, same bytes: times come from the record (set once, when a run starts or ends) or
 * from pods, and condition timestamps move only when a condition's status flips.
 */
import { settleConditions, type ConditionDraft } from "../kube/conditions.js";
import type { KubeObject } from "../metacontroller/protocol.js";
import type { Lifecycle } from "./lifecycle.js";
import type { RunRecord } from "./run-record.js";
import {
  TERMINAL_STATES,
  type ApplicationState,
  type ExecutorState,
  type SparkApplicationStatus,
} from "./status-schema.js";

export interface StatusContext {
  readonly generation: number | undefined;
  readonly previousStatus: unknown;
  readonly now: Date;
}

export interface DriverInfo {
  readonly podName?: string;
  readonly webUIServiceName?: string;
  readonly webUIPort?: number;
  readonly webUIAddress?: string;
}

export interface UnsupportedField {
  readonly field: string;
  readonly reason: string;
}

const STATE_REASONS: Readonly<Record<ApplicationState, string>> = {
  SUBMITTED: "Submitted",
  RUNNING: "Running",
  SUCCEEDING: "Succeeding",
  COMPLETED: "Completed",
  FAILING: "Failing",
  FAILED: "Failed",
  PENDING_RERUN: "PendingRerun",
  INVALIDATING: "Invalidating",
  SUSPENDING: "Suspending",
  SUSPENDED: "Suspended",
  UNKNOWN: "Unknown",
};

const STATE_MESSAGES: Readonly<Record<ApplicationState, string>> = {
  SUBMITTED: "the driver pod is asked for or starting",
  RUNNING: "the driver is running",
  SUCCEEDING: "the driver finished; its pod's other containers are stopping",
  COMPLETED: "the application completed",
  FAILING: "the driver failed; its pod's other containers are stopping",
  FAILED: "the application failed",
  PENDING_RERUN: "waiting to run again",
  INVALIDATING: "the spec changed: removing the old driver before running again",
  SUSPENDING: "spec.suspend is set: removing the driver",
  SUSPENDED: "spec.suspend is set",
  UNKNOWN: "the driver's node stopped reporting",
};

/** Ready in kstatus terms: the application reached what its spec asks for. */
const DONE: ReadonlySet<ApplicationState> = new Set(["COMPLETED", "SUSPENDED"]);

function previousExecutors(previousStatus: unknown, appId: string): Record<string, ExecutorState> {
  if (typeof previousStatus !== "object" || previousStatus === null) return {};
  const status = previousStatus as { sparkApplicationId?: unknown; executorState?: unknown };
  if (status.sparkApplicationId !== appId) return {};
  const states = status.executorState;
  if (typeof states !== "object" || states === null) return {};
  return Object.fromEntries(
    Object.entries(states as Record<string, unknown>).filter(
      (entry): entry is [string, ExecutorState] => typeof entry[1] === "string",
    ),
  );
}

function executorStateOf(pod: KubeObject): ExecutorState {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  switch (phase) {
    case "Pending":
      return "PENDING";
    case "Running":
      return "RUNNING";
    case "Succeeded":
      return "COMPLETED";
    case "Failed":
      return "FAILED";
    default:
      return "UNKNOWN";
  }
}

/**
 * The current run's executors, by pod name. Spark deletes finished executors
 * (deleteOnTermination), so one no longer observed keeps its last known state; once the
 * application has ended, one last seen running ended with it.
 */
export function executorStates(
  executors: readonly KubeObject[],
  appId: string,
  previousStatus: unknown,
  state: ApplicationState,
): Record<string, ExecutorState> {
  const states: Record<string, ExecutorState> = { ...previousExecutors(previousStatus, appId) };
  const ended = TERMINAL_STATES.has(state) || state === "PENDING_RERUN";
  for (const [name, before] of Object.entries(states)) {
    if ((before === "RUNNING" || before === "PENDING") && ended) {
      states[name] = state === "COMPLETED" ? "COMPLETED" : "FAILED";
    }
  }
  for (const pod of executors) states[pod.metadata.name] = executorStateOf(pod);
  return Object.fromEntries(Object.entries(states).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function stateConditions(
  lifecycle: Lifecycle,
  record: RunRecord & { state: ApplicationState },
): ConditionDraft[] {
  const { state } = record;
  const reason = STATE_REASONS[state];
  const detail =
    record.errorMessage === undefined
      ? STATE_MESSAGES[state]
      : `${STATE_MESSAGES[state]}: ${record.errorMessage}`;
  const done = DONE.has(state);
  const settled = done || state === "FAILED";
  const drafts: ConditionDraft[] = [
    { type: "Ready", status: done ? "True" : "False", reason, message: detail },
    settled
      ? { type: "Reconciling", status: "False", reason, message: detail }
      : { type: "Reconciling", status: "True", reason, message: detail },
    lifecycle.stalled === undefined
      ? { type: "Stalled", status: "False", reason: "Progressing", message: "nothing is stuck" }
      : {
          type: "Stalled",
          status: "True",
          reason: state === "FAILED" ? "Failed" : "DriverStuck",
          message: lifecycle.stalled,
        },
  ];
  if (lifecycle.expired) {
    drafts.push({
      type: "Expired",
      status: "True",
      reason: "TimeToLiveExpired",
      message:
        "spec.timeToLiveSeconds passed since the application ended: its pods, Services and ConfigMap " +
        "were removed. A Metacontroller hook cannot delete its own SparkApplication, unlike " +
        "kubeflow's operator: delete it yourself when its status is no longer needed.",
    });
  }
  return drafts;
}

function unsupportedCondition(fields: readonly UnsupportedField[]): ConditionDraft[] {
  if (fields.length === 0) return [];
  return [
    {
      type: "UnsupportedFields",
      status: "True",
      reason: "NotImplemented",
      message: fields.map(({ field, reason }) => `${field}: ${reason}`).join("; "),
    },
  ];
}

export interface ApplicationObservation {
  readonly lifecycle: Lifecycle;
  readonly appId: string;
  readonly submissionID: string;
  readonly driverInfo: DriverInfo;
  readonly executors: readonly KubeObject[];
  readonly unsupported: readonly UnsupportedField[];
}

export function applicationStatus(
  context: StatusContext,
  observation: ApplicationObservation,
): SparkApplicationStatus {
  const { lifecycle, appId } = observation;
  const { record } = lifecycle;
  const drafts = [...stateConditions(lifecycle, record), ...unsupportedCondition(observation.unsupported)];
  return {
    sparkApplicationId: appId,
    submissionID: observation.submissionID,
    ...(record.submittedAt === undefined ? {} : { lastSubmissionAttemptTime: record.submittedAt }),
    ...(record.terminationTime === undefined ? {} : { terminationTime: record.terminationTime }),
    ...(record.rerunTime === undefined || record.state !== "PENDING_RERUN"
      ? {}
      : { rerunTime: record.rerunTime }),
    driverInfo: { ...observation.driverInfo },
    applicationState: {
      state: record.state,
      ...(record.errorMessage === undefined ? {} : { errorMessage: record.errorMessage }),
    },
    executorState: executorStates(observation.executors, appId, context.previousStatus, record.state),
    executionAttempts: record.executionAttempts,
    submissionAttempts: record.submissionAttempts,
    attempt: record.attempt,
    ...(record.specHash === undefined ? {} : { specHash: record.specHash }),
    failures: { ...record.failures },
    conditions: settleConditions(drafts, context.previousStatus, context.now, context.generation),
  };
}

/**
 * A spec the hook cannot act on: the record and everything observed stay as they are; the
 * status says why.
 */
export function invalidSpecStatus(
  context: StatusContext,
  record: RunRecord,
  errors: readonly string[],
  previousStatus: unknown,
): Record<string, unknown> {
  const message = errors.join("; ");
  const kept = typeof previousStatus === "object" && previousStatus !== null ? previousStatus : {};
  const drafts: ConditionDraft[] = [
    { type: "Ready", status: "False", reason: "InvalidSpec", message },
    {
      type: "Reconciling",
      status: "False",
      reason: "InvalidSpec",
      message: "the driver and everything else are kept unchanged until the spec is fixed",
    },
    { type: "Stalled", status: "True", reason: "InvalidSpec", message },
  ];
  const { observedGeneration: _ignored, conditions: _old, ...rest } = kept as Record<string, unknown>;
  return {
    ...rest,
    // A run in progress keeps its state (its driver is untouched); before any run, kubeflow
    // reports a spec it cannot submit as FAILED.
    ...(record.state === undefined || record.attempt === 0
      ? { applicationState: { state: "FAILED", errorMessage: `invalid spec: ${message}` } }
      : {}),
    conditions: settleConditions(drafts, context.previousStatus, context.now, context.generation),
  };
}
