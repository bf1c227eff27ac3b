/**
 * The SparkCluster's status, from observed children only. Same observations and same previous
 * status give the same bytes: timestamps move only when a condition's status changes.
 */
import { settleConditions, type ConditionDraft } from "../kube/conditions.js";
import { selectorLabels, selectorString } from "../spark/labels.js";
import { masterUIURL, masterURL } from "./names.js";
import type { Phase, SparkClusterStatus } from "./schema.js";
import type { EventLogTarget } from "../spark/event-log.js";
import { historyServerClaimName } from "../spark/event-log.js";
import type { MasterPlan } from "./master-pod.js";
import type { WorkerActivity, WorkerPlan } from "./worker-pods.js";

export interface StatusContext {
  readonly cluster: string;
  readonly namespace: string;
  readonly generation: number | undefined;
  readonly previousStatus: unknown;
  readonly now: Date;
}

function addresses(context: StatusContext, webUI: boolean) {
  return {
    masterURL: masterURL(context.cluster, context.namespace),
    ...(webUI ? { masterUIURL: masterUIURL(context.cluster, context.namespace) } : {}),
  };
}

function scale(context: StatusContext, replicas: number) {
  return { replicas, selector: selectorString(selectorLabels(context.cluster, "worker")) };
}

const ACTIVITY_MESSAGES: Readonly<Record<WorkerActivity, string>> = {
  ReplacingFailed: "replacing failed or evicted workers",
  RollingUpdate: "replacing workers on an old template one at a time",
  Creating: "creating workers",
  ScalingDown: "removing workers above spec.worker.instances",
  Starting: "waiting for workers to become ready",
};
const MASTER_MESSAGES: Readonly<Record<NonNullable<MasterPlan["activity"]>, string>> = {
  Creating: "creating the master",
  Replacing: "replacing the master with one on the current template",
  Starting: "waiting for the master to become ready",
};
const ACTIVITY_ORDER: readonly WorkerActivity[] = [
  "ReplacingFailed",
  "RollingUpdate",
  "Creating",
  "ScalingDown",
  "Starting",
];

export interface ClusterObservation {
  readonly desiredWorkers: number;
  readonly webUI: boolean;
  readonly master: MasterPlan;
  readonly workers: WorkerPlan;
  /** spec.historyServer's name and where event logs go, when it is set. */
  readonly historyServer?: { readonly name: string; readonly target: EventLogTarget };
}

/**
 * Whether the named SparkHistoryServer was found. Until it is, the reference's own fields say
 * where event logs go, and for a shared volume the pods wait (Pending) for its claim.
 */
function historyServerCondition(link: NonNullable<ClusterObservation["historyServer"]>): ConditionDraft {
  const { name, target } = link;
  if (target.historyServerFound) {
    return {
      type: "HistoryServerFound",
      status: "True",
      reason: "Found",
      message: `event logs go to ${target.directory}, read by SparkHistoryServer ${name}`,
    };
  }
  const waiting =
    target.volume === undefined ? "" : `; pods wait for the claim ${historyServerClaimName(name)} it creates`;
  return {
    type: "HistoryServerFound",
    status: "False",
    reason: "NotFound",
    message: `SparkHistoryServer ${name} not found yet: event logs go to ${target.directory} as spec.historyServer says${waiting}`,
  };
}

export function clusterStatus(context: StatusContext, observation: ClusterObservation): SparkClusterStatus {
  const { master, workers, desiredWorkers } = observation;
  const stuck = [...master.stuck, ...workers.stuck];
  const workersReady = workers.ready >= desiredWorkers;
  const ready = master.ready && workersReady;
  const activities = ACTIVITY_ORDER.filter((activity) => workers.activities.has(activity));
  const reconciling = master.activity !== undefined || activities.length > 0;
  const phase: Phase =
    stuck.length > 0
      ? "Stalled"
      : !master.ready
        ? "Pending"
        : reconciling || !workersReady
          ? "Updating"
          : "Running";

  const workerCount = `${workers.ready}/${desiredWorkers} workers ready`;
  const drafts: ConditionDraft[] = [
    ready
      ? { type: "Ready", status: "True", reason: "ClusterReady", message: `master ready, ${workerCount}` }
      : {
          type: "Ready",
          status: "False",
          reason: master.ready ? "WorkersNotReady" : "MasterNotReady",
          message: master.ready ? workerCount : `master not ready, ${workerCount}`,
        },
    reconciling
      ? {
          type: "Reconciling",
          status: "True",
          reason: master.activity === undefined ? (activities[0] ?? "Starting") : `Master${master.activity}`,
          message: [
            master.activity === undefined ? undefined : MASTER_MESSAGES[master.activity],
            ...activities.map((a) => ACTIVITY_MESSAGES[a]),
          ]
            .filter((part) => part !== undefined)
            .join("; "),
        }
      : {
          type: "Reconciling",
          status: "False",
          reason: "UpToDate",
          message: "all pods are on the current template",
        },
    stuck.length > 0
      ? { type: "Stalled", status: "True", reason: "PodStuck", message: stuck.slice(0, 5).join("; ") }
      : { type: "Stalled", status: "False", reason: "Progressing", message: "no pod is stuck" },
  ];
  if (observation.historyServer !== undefined) drafts.push(historyServerCondition(observation.historyServer));
  return {
    phase,
    ...addresses(context, observation.webUI),
    masterReady: master.ready,
    workers: { desired: desiredWorkers, ready: workers.ready, upToDate: workers.upToDate },
    ...scale(context, workers.replicas),
    conditions: settleConditions(drafts, context.previousStatus, context.now, context.generation),
  };
}

export interface InvalidObservation {
  readonly errors: readonly string[];
  readonly masterReady: boolean;
  readonly readyWorkers: number;
  readonly workerPods: number;
  /** Whether the UI Service exists, to keep reporting its URL. */
  readonly webUI: boolean;
}

function previousWorkers(previousStatus: unknown): { desired?: unknown; upToDate?: unknown } {
  if (typeof previousStatus !== "object" || previousStatus === null) return {};
  const workers = (previousStatus as { workers?: unknown }).workers;
  return typeof workers === "object" && workers !== null ? workers : {};
}

/** A rejected spec: the pods are kept as they are, and the status says why nothing changes. */
export function invalidStatus(context: StatusContext, observation: InvalidObservation): SparkClusterStatus {
  const message = observation.errors.join("; ");
  const before = previousWorkers(context.previousStatus);
  const desired = typeof before.desired === "number" ? before.desired : observation.workerPods;
  const upToDate = typeof before.upToDate === "number" ? before.upToDate : 0;
  const drafts: ConditionDraft[] = [
    { type: "Ready", status: "False", reason: "InvalidSpec", message },
    {
      type: "Reconciling",
      status: "False",
      reason: "InvalidSpec",
      message: "existing pods are kept unchanged until the spec is fixed",
    },
    { type: "Stalled", status: "True", reason: "InvalidSpec", message },
  ];
  return {
    phase: "Invalid",
    ...addresses(context, observation.webUI),
    masterReady: observation.masterReady,
    workers: { desired, ready: observation.readyWorkers, upToDate },
    ...scale(context, observation.workerPods),
    conditions: settleConditions(drafts, context.previousStatus, context.now, context.generation),
  };
}
