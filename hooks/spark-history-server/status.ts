/**
 * The SparkHistoryServer's status, from observed children only. Same observations and same
 * previous status give the same bytes: timestamps move only when a condition's status changes.
 *
 * Ready, Reconciling and Stalled follow kstatus, so `kubectl wait --for=condition=Ready` and
 * GitOps tools read them; ClaimRetained says when an event log claim is kept that the spec no
 * longer asks for as it is.
 */
import { settleConditions, type ConditionDraft } from "../kube/conditions.js";
import type { KubeObject } from "../metacontroller/protocol.js";
import { claimState } from "./claim.js";
import { claimName, uiURL } from "./names.js";
import type { PodPlan } from "./pod.js";
import type { Phase, SparkHistoryServerStatus } from "./schema.js";

export interface StatusContext {
  readonly server: string;
  readonly namespace: string;
  readonly generation: number | undefined;
  readonly previousStatus: unknown;
  readonly now: Date;
}

export interface ClaimView {
  readonly observed: KubeObject | undefined;
  readonly retained: readonly string[];
  /** Where writers mount it, when the spec uses it. */
  readonly mountPath: string | undefined;
}

function claimStatus(context: StatusContext, claim: ClaimView): SparkHistoryServerStatus["claim"] {
  if (claim.observed === undefined && claim.mountPath === undefined) return undefined;
  return {
    name: claimName(context.server),
    ...(claim.observed === undefined ? {} : claimState(claim.observed)),
    ...(claim.mountPath === undefined ? {} : { mountPath: claim.mountPath }),
  };
}

function retainedCondition(retained: readonly string[]): ConditionDraft[] {
  if (retained.length === 0) return [];
  return [
    {
      type: "ClaimRetained",
      status: "True",
      reason: "EventLogsKept",
      message:
        `${retained.join("; ")}. A claim holding event logs is never deleted or replaced by a spec ` +
        "change (Kubernetes refuses most changes to a claim's spec); delete it yourself to drop or recreate it",
    },
  ];
}

const ACTIVITY_MESSAGES: Readonly<Record<NonNullable<PodPlan["activity"]>, string>> = {
  Creating: "creating the history server pod",
  Starting: "waiting for the history server pod to become ready",
  Replacing: "replacing the history server pod with one on the current template",
};

export interface Observation {
  readonly port: number;
  readonly logDirectory: string;
  readonly pod: PodPlan;
  readonly claim: ClaimView;
  readonly ingressURL: string | undefined;
}

export function historyStatus(context: StatusContext, observation: Observation): SparkHistoryServerStatus {
  const { pod, claim } = observation;
  const claimPending =
    claim.mountPath !== undefined &&
    (claim.observed === undefined || claimState(claim.observed).phase !== "Bound");
  const phase: Phase =
    pod.stuck.length > 0
      ? "Stalled"
      : !pod.ready
        ? "Pending"
        : pod.activity !== undefined
          ? "Updating"
          : "Running";
  const waiting = claimPending ? `; claim ${claimName(context.server)} is not bound yet` : "";
  const drafts: ConditionDraft[] = [
    pod.ready
      ? {
          type: "Ready",
          status: "True",
          reason: "HistoryServerReady",
          message: `serving ${observation.logDirectory}`,
        }
      : {
          type: "Ready",
          status: "False",
          reason: "PodNotReady",
          message: `no history server pod is ready${waiting}`,
        },
    pod.activity === undefined
      ? {
          type: "Reconciling",
          status: "False",
          reason: "UpToDate",
          message: "the pod is on the current template",
        }
      : {
          type: "Reconciling",
          status: "True",
          reason: pod.activity,
          message: ACTIVITY_MESSAGES[pod.activity] + waiting,
        },
    pod.stuck.length > 0
      ? { type: "Stalled", status: "True", reason: "PodStuck", message: pod.stuck.slice(0, 3).join("; ") }
      : { type: "Stalled", status: "False", reason: "Progressing", message: "the pod is not stuck" },
    ...retainedCondition(claim.retained),
  ];
  const claimReport = claimStatus(context, claim);
  return {
    phase,
    url: uiURL(context.server, context.namespace, observation.port),
    ...(observation.ingressURL === undefined ? {} : { ingressURL: observation.ingressURL }),
    logDirectory: observation.logDirectory,
    ...(claimReport === undefined ? {} : { claim: claimReport }),
    ...(pod.current === undefined ? {} : { podName: pod.current.metadata.name }),
    ready: pod.ready,
    conditions: settleConditions(drafts, context.previousStatus, context.now, context.generation),
  };
}

function previousText(
  previousStatus: unknown,
  key: "url" | "ingressURL" | "logDirectory",
): string | undefined {
  if (typeof previousStatus !== "object" || previousStatus === null) return undefined;
  const value = (previousStatus as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}

export interface InvalidObservation {
  readonly errors: readonly string[];
  readonly ready: boolean;
  readonly claim: KubeObject | undefined;
}

/**
 * A rejected spec: every child is kept as it is, and the addresses reported before stay, since
 * the objects behind them do.
 */
export function invalidStatus(
  context: StatusContext,
  observation: InvalidObservation,
): SparkHistoryServerStatus {
  const message = observation.errors.join("; ");
  const drafts: ConditionDraft[] = [
    { type: "Ready", status: "False", reason: "InvalidSpec", message },
    {
      type: "Reconciling",
      status: "False",
      reason: "InvalidSpec",
      message: "existing objects are kept unchanged until the spec is fixed",
    },
    { type: "Stalled", status: "True", reason: "InvalidSpec", message },
  ];
  const kept = (key: "url" | "ingressURL" | "logDirectory") => {
    const value = previousText(context.previousStatus, key);
    return value === undefined ? {} : { [key]: value };
  };
  return {
    phase: "Invalid",
    ...kept("url"),
    ...kept("ingressURL"),
    ...kept("logDirectory"),
    ...(observation.claim === undefined
      ? {}
      : { claim: { name: observation.claim.metadata.name, ...claimState(observation.claim) } }),
    ready: observation.ready,
    conditions: settleConditions(drafts, context.previousStatus, context.now, context.generation),
  };
}
