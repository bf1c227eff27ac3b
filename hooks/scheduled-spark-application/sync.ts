/**
 * ScheduledSparkApplication sync: parent + observed runs + now → the runs that should exist +
 * status. Pure: no I/O, no clock, no environment.
 *
 * The children are SparkApplications (sparkhooks' own kind), one per run. Metacontroller
 * watches them like any child: it starts an informer for every childResource, custom
 * resources included (pkg/controller/composite/controller.go, newParentController: one
 * dynInformers.Resource per spec.childResources entry), and every change of a child's
 * resourceVersion, a status write by the SparkApplication controller included, enqueues the
 * owning parent (onChildUpdate → onChildAdd → enqueueParentObject). So a run that finishes
 * is seen here within a sync, and Forbid, Replace and the history limits act on it.
 */
import type { ChildType, SyncResult } from "../controller.js";
import { formatTime, settleConditions, type ConditionDraft } from "../kube/conditions.js";
import { keepObserved } from "../kube/observed.js";
import { observedOfType, type DesiredObject, type SyncRequest } from "../metacontroller/protocol.js";
import { kubeObjectProblems } from "../spark-application/kube-object-checks.js";
import { specProblems } from "../spark-application/unsupported.js";
import { decide, type Decision, type Tally } from "./decide.js";
import {
  byAge,
  observeRun,
  RUN_KIND,
  RUN_RESOURCE,
  runApplication,
  runName,
  scheduledNameProblems,
  type ObservedRun,
} from "./runs.js";
import { parseSchedule } from "./schedule.js";
import {
  API_VERSION,
  parseScheduledSparkApplicationSpec,
  type ScheduledSparkApplicationSpec,
  type ScheduledSparkApplicationStatus,
} from "./schema.js";

/** The child types this controller owns; composite-controllers/scheduledsparkapplication.yaml lists the same. */
export const CHILD_TYPES = [
  { apiVersion: API_VERSION, kind: RUN_KIND, resource: RUN_RESOURCE },
] as const satisfies readonly ChildType[];

/**
 * The longest wait asked for with resyncAfterSeconds. A far-away run (@yearly) is still
 * looked at this often, so a clock step or a lost requeue costs at most this much lateness.
 */
export const MAX_RESYNC_SECONDS = 3600;

interface Previous {
  readonly raw: Record<string, unknown>;
  readonly nextRun: Date | undefined;
  readonly schedule: string | undefined;
  readonly missed: Tally;
  readonly skipped: Tally;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function dateAt(record: Record<string, unknown>, key: string): Date | undefined {
  const value = record[key];
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

function tallyAt(record: Record<string, unknown>, countKey: string, lastKey: string): Tally {
  const count = record[countKey];
  const last = dateAt(record, lastKey);
  return {
    count: typeof count === "number" && Number.isSafeInteger(count) && count >= 0 ? count : 0,
    ...(last === undefined ? {} : { last: last.getTime() }),
  };
}

/** What the last status recorded, read without trusting its shape. */
function readPrevious(status: unknown): Previous {
  const raw = isRecord(status) ? status : {};
  return {
    raw,
    nextRun: dateAt(raw, "nextRun"),
    schedule: typeof raw["schedule"] === "string" ? raw["schedule"] : undefined,
    missed: tallyAt(raw, "missedRuns", "lastMissedRun"),
    skipped: tallyAt(raw, "skippedRuns", "lastSkippedRun"),
  };
}

function observedRuns(request: SyncRequest): ObservedRun[] {
  return observedOfType(request.children, API_VERSION, RUN_KIND).map(observeRun).sort(byAge);
}

interface Context {
  readonly generation: number | undefined;
  readonly previousStatus: unknown;
  readonly now: Date;
}

function conditions(context: Context, drafts: readonly ConditionDraft[]) {
  return settleConditions(drafts, context.previousStatus, context.now, context.generation);
}

/**
 * A spec the hook cannot act on: every run stays exactly as it is (a 200 answer that left one
 * out would delete it), the status says which field is wrong, and nextRun is dropped so that the
 * corrected spec starts from its next firing rather than from one long past.
 */
function rejectSpec(
  request: SyncRequest,
  context: Context,
  previous: Previous,
  errors: readonly string[],
): SyncResult {
  const {
    nextRun: _nextRun,
    schedule: _schedule,
    observedGeneration: _generation,
    conditions: _conditions,
    ...kept
  } = previous.raw;
  const message = errors.join("; ");
  return {
    response: {
      status: {
        ...kept,
        scheduleState: "FailedValidation",
        reason: message,
        conditions: conditions(context, [
          { type: "Ready", status: "False", reason: "InvalidSpec", message },
          {
            type: "Reconciling",
            status: "False",
            reason: "InvalidSpec",
            message: "waiting for a spec change",
          },
          { type: "Stalled", status: "True", reason: "InvalidSpec", message },
        ]),
      },
      children: observedOfType(request.children, API_VERSION, RUN_KIND).map(keepObserved),
    },
    outcome: "invalid_spec",
  };
}

/** The template's own problems, as the SparkApplication controller would report them, at their path here. */
function templateProblems(spec: ScheduledSparkApplicationSpec): string[] {
  return [...kubeObjectProblems(spec.template), ...specProblems(spec.template)].map((problem) =>
    problem.replace(/^spec\./, "spec.template."),
  );
}

function names(runs: readonly ObservedRun[]): string[] {
  return runs.map((run) => run.name);
}

function tallyStatus(tally: Tally, countKey: string, lastKey: string): Record<string, unknown> {
  if (tally.count === 0) return {};
  return {
    [countKey]: tally.count,
    ...(tally.last === undefined ? {} : { [lastKey]: formatTime(new Date(tally.last)) }),
  };
}

const OUTCOME_MESSAGES: Readonly<Record<Decision["outcome"], string>> = {
  none: "",
  started: "",
  suspended: "",
  skipped: "; the last due run was skipped: concurrencyPolicy Forbid and a run is still active",
  missed: "; the last due run was missed: it was past startingDeadlineSeconds when the controller saw it",
};

function readyCondition(spec: ScheduledSparkApplicationSpec, decision: Decision): ConditionDraft {
  if (spec.suspend) {
    return { type: "Ready", status: "True", reason: "Suspended", message: "spec.suspend: no new runs start" };
  }
  const message = `next run at ${formatTime(decision.nextRun)}${OUTCOME_MESSAGES[decision.outcome]}`;
  return { type: "Ready", status: "True", reason: "Scheduled", message };
}

function status(
  context: Context,
  spec: ScheduledSparkApplicationSpec,
  scheduleText: string,
  previous: Previous,
  decision: Decision,
  started: { name: string; fresh: boolean } | undefined,
): ScheduledSparkApplicationStatus {
  const state = spec.suspend ? "Suspended" : "Scheduled";
  const finished = [...decision.keep].reverse();
  const active = decision.keep.filter((run) => run.phase === "active").map((run) => run.name);
  if (started?.fresh === true) active.push(started.name);
  const lastRun =
    started?.fresh === true ? formatTime(context.now) : (previous.raw["lastRun"] as string | undefined);
  const lastRunName = started?.name ?? (previous.raw["lastRunName"] as string | undefined);
  return {
    scheduleState: "Scheduled",
    ...(typeof lastRun === "string" ? { lastRun } : {}),
    ...(typeof lastRunName === "string" ? { lastRunName } : {}),
    nextRun: formatTime(decision.nextRun),
    schedule: scheduleText,
    ...(active.length > 0 ? { activeRunNames: active } : {}),
    pastSuccessfulRunNames: names(finished.filter((run) => run.phase === "succeeded")),
    pastFailedRunNames: names(finished.filter((run) => run.phase === "failed")),
    ...tallyStatus(decision.missed, "missedRuns", "lastMissedRun"),
    ...tallyStatus(decision.skipped, "skippedRuns", "lastSkippedRun"),
    conditions: conditions(context, [
      readyCondition(spec, decision),
      { type: "Reconciling", status: "False", reason: state, message: "nothing in progress" },
      { type: "Stalled", status: "False", reason: state, message: "nothing is stuck" },
    ]),
  };
}

/**
 * Seconds until the next run, at least 1 and at most MAX_RESYNC_SECONDS. Fractional (to the
 * millisecond): Metacontroller reads a float64 and requeues after exactly that long
 * (pkg/controller/composite/controller.go, enqueueParentObjectAfter), so rounding up to whole
 * seconds would start every run up to a second late.
 */
export function secondsUntil(nextRun: Date, now: Date): number {
  const seconds = (nextRun.getTime() - now.getTime()) / 1000;
  return Math.min(Math.max(seconds, 1), MAX_RESYNC_SECONDS);
}

export function syncScheduledSparkApplication(request: SyncRequest, now: Date): SyncResult {
  const { parent } = request;
  const context: Context = {
    generation: parent.metadata.generation,
    previousStatus: (parent as { status?: unknown }).status,
    now,
  };
  const previous = readPrevious(context.previousStatus);
  const parsed = parseScheduledSparkApplicationSpec((parent as { spec?: unknown }).spec);
  if (!parsed.ok) return rejectSpec(request, context, previous, parsed.errors);
  const spec = parsed.spec;
  const schedule = parseSchedule(spec.schedule, spec.timeZone);
  const problems = [
    ...scheduledNameProblems(parent.metadata.name),
    ...(schedule.ok ? [] : [`${schedule.field}: ${schedule.problem}`]),
    ...templateProblems(spec),
  ];
  if (!schedule.ok || problems.length > 0) return rejectSpec(request, context, previous, problems);

  const scheduleText = schedule.schedule.text;
  const runs = observedRuns(request);
  const nameFor = (time: Date) => runName(parent.metadata.name, time);
  const decision = decide({
    schedule: schedule.schedule,
    suspend: spec.suspend,
    concurrencyPolicy: spec.concurrencyPolicy,
    successfulRunHistoryLimit: spec.successfulRunHistoryLimit,
    failedRunHistoryLimit: spec.failedRunHistoryLimit,
    startingDeadlineSeconds: spec.startingDeadlineSeconds,
    anchor: previous.schedule === scheduleText ? previous.nextRun : undefined,
    missed: previous.missed,
    skipped: previous.skipped,
    runs,
    runNameFor: nameFor,
    now,
  });

  const children: DesiredObject[] = decision.keep.map((run) => keepObserved(run.object));
  let started: { name: string; fresh: boolean } | undefined;
  if (decision.start !== undefined) {
    const name = nameFor(decision.start);
    const fresh = !decision.keep.some((run) => run.name === name);
    started = { name, fresh };
    if (fresh) {
      // The template as written: the SparkApplication controller parses and defaults it itself.
      const template = ((parent as { spec?: { template?: unknown } }).spec ?? {}).template;
      children.push(
        runApplication(
          { name: parent.metadata.name, labels: parent.metadata.labels ?? {} },
          decision.start,
          template,
        ),
      );
    }
  }
  return {
    response: {
      status: status(context, spec, scheduleText, previous, decision, started),
      children,
      ...(spec.suspend ? {} : { resyncAfterSeconds: secondsUntil(decision.nextRun, now) }),
    },
    outcome: "ok",
  };
}
