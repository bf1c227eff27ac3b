/**
 * The scheduling decision: from the spec, what the previous status recorded, the observed runs
 * and `now`, which run (if any) starts, which runs go, and when to look again. Pure.
 *
 * The anchor is status.nextRun, as in kubeflow's controller: nothing is due before it. Once it
 * has passed, the due time is the latest firing at or before now; earlier firings since the
 * anchor were missed (an outage) and start nothing, like kubeflow and CronJob, which also run
 * only the latest. Each due time is decided once: started, skipped (Forbid, an active run) or
 * missed (past startingDeadlineSeconds); then nextRun moves to the firing after it.
 */
import type { ObservedRun } from "./runs.js";
import type { Schedule } from "./schedule.js";
import type { ConcurrencyPolicy } from "./schema.js";

/** Missed firings counted in one sync at most (CronJob stops counting at 100 too). */
export const MAX_COUNTED_MISSES = 100;

export interface Tally {
  readonly count: number;
  /** Epoch milliseconds of the latest one. */
  readonly last?: number;
}

export interface DecisionInput {
  readonly schedule: Schedule;
  readonly suspend: boolean;
  readonly concurrencyPolicy: ConcurrencyPolicy;
  readonly successfulRunHistoryLimit: number;
  readonly failedRunHistoryLimit: number;
  readonly startingDeadlineSeconds: number | undefined;
  /** status.nextRun, if it was computed from this same schedule. */
  readonly anchor: Date | undefined;
  readonly missed: Tally;
  readonly skipped: Tally;
  readonly runs: readonly ObservedRun[];
  /** The run that would be asked for at a scheduled time: its name decides whether it exists. */
  readonly runNameFor: (scheduled: Date) => string;
  readonly now: Date;
}

export type DueOutcome = "none" | "started" | "skipped" | "missed" | "suspended";

export interface Decision {
  readonly nextRun: Date;
  readonly outcome: DueOutcome;
  /** The scheduled time a run is started for (outcome "started", or a run asked for again). */
  readonly start?: Date;
  /** Observed runs that stay, oldest first. */
  readonly keep: readonly ObservedRun[];
  /** Active runs dropped by Replace (Metacontroller deletes them). */
  readonly replaced: readonly ObservedRun[];
  /** Finished runs beyond the history limits. */
  readonly pruned: readonly ObservedRun[];
  readonly missed: Tally;
  readonly skipped: Tally;
}

function add(tally: Tally, count: number, last: number | undefined): Tally {
  if (count === 0 || last === undefined) return tally;
  return { count: tally.count + count, last: Math.max(last, tally.last ?? last) };
}

/** Firings since the anchor that the due time supersedes: they start nothing. */
function superseded(input: DecisionInput, due: Date): { count: number; last: number | undefined } {
  const anchor = input.anchor ?? due;
  const count = input.schedule.countBetween(anchor, due, MAX_COUNTED_MISSES);
  if (count === 0) return { count, last: undefined };
  return { count, last: input.schedule.latestDue(anchor, new Date(due.getTime() - 1))?.getTime() };
}

/** The finished runs of one outcome beyond `limit`, newest kept. */
function beyondLimit(
  runs: readonly ObservedRun[],
  phase: ObservedRun["phase"],
  limit: number,
): ObservedRun[] {
  const finished = runs.filter((run) => run.phase === phase);
  return finished.slice(0, Math.max(finished.length - limit, 0));
}

interface DueVerdict {
  readonly outcome: DueOutcome;
  readonly start?: Date;
  readonly nextRun: Date;
  readonly missed: Tally;
  readonly skipped: Tally;
}

function judgeDue(input: DecisionInput, active: readonly ObservedRun[]): DueVerdict {
  const { schedule, now, anchor } = input;
  const unchanged = { missed: input.missed, skipped: input.skipped };
  // A new schedule (or a new object): the first run is the next firing, as in kubeflow.
  if (anchor === undefined) return { outcome: "none", nextRun: schedule.next(now), ...unchanged };
  // kubeflow leaves status alone while suspended: the latest due run starts on resume.
  if (input.suspend) return { outcome: "suspended", nextRun: anchor, ...unchanged };
  if (anchor.getTime() > now.getTime()) return { outcome: "none", nextRun: anchor, ...unchanged };
  const due = schedule.latestDue(anchor, now);
  if (due === undefined) return { outcome: "none", nextRun: schedule.next(now), ...unchanged };

  const nextRun = schedule.next(due);
  const earlier = superseded(input, due);
  const missed = add(input.missed, earlier.count, earlier.last);
  // Asked for already (a repeated sync whose status write was lost): the same run, not a new one.
  if (input.runs.some((run) => run.name === input.runNameFor(due))) {
    return { outcome: "started", start: due, nextRun, missed, skipped: input.skipped };
  }
  const deadline = input.startingDeadlineSeconds;
  if (deadline !== undefined && now.getTime() - due.getTime() > deadline * 1000) {
    return { outcome: "missed", nextRun, missed: add(missed, 1, due.getTime()), skipped: input.skipped };
  }
  if (input.concurrencyPolicy === "Forbid" && active.length > 0) {
    return { outcome: "skipped", nextRun, missed, skipped: add(input.skipped, 1, due.getTime()) };
  }
  return { outcome: "started", start: due, nextRun, missed, skipped: input.skipped };
}

export function decide(input: DecisionInput): Decision {
  const live = input.runs.filter((run) => run.phase !== "terminating");
  const active = live.filter((run) => run.phase === "active");
  const verdict = judgeDue(input, active);
  const startName = verdict.start === undefined ? undefined : input.runNameFor(verdict.start);
  // Replace: every other active run goes; the SparkApplication's finalizer stops its driver.
  const replaced =
    verdict.outcome === "started" && input.concurrencyPolicy === "Replace"
      ? active.filter((run) => run.name !== startName)
      : [];
  const pruned = [
    ...beyondLimit(live, "succeeded", input.successfulRunHistoryLimit),
    ...beyondLimit(live, "failed", input.failedRunHistoryLimit),
  ];
  const dropped = new Set([...replaced, ...pruned].map((run) => run.name));
  return {
    nextRun: verdict.nextRun,
    outcome: verdict.outcome,
    ...(verdict.start === undefined ? {} : { start: verdict.start }),
    keep: live.filter((run) => !dropped.has(run.name)),
    replaced,
    pruned,
    missed: verdict.missed,
    skipped: verdict.skipped,
  };
}
