/**
 * When a ScheduledSparkApplication runs: its `schedule` read the way kubeflow reads it
 * (robfig/cron v3 `ParseStandard`, with `CRON_TZ=<zone>` in front unless the schedule has its
 * own `CRON_TZ=`/`TZ=`), computed with croner for time zones and DST. Pure: every question
 * takes the instant it is asked about.
 *
 * Where croner and robfig differ, robfig's grammar wins: only five fields, no seconds, no
 * `L`/`W`/`#`, `N/step` as `N-max/step`, and `@every <Go duration>`, which croner does not know.
 * One difference stays (docs/scheduled-spark-application.md): a time inside the spring-forward
 * gap (02:30 in Europe/Berlin on the last Sunday of March) runs at the first instant after the
 * gap, as ISC cron does; robfig v3 skips that day. On the fall-back day it runs once, at the
 * first 02:30.
 */
import { Cron } from "croner";

/** kubeflow's default zone is the operator's `Local`; a stateless hook has none, so it is UTC. */
export const DEFAULT_TIME_ZONE = "UTC";

export interface Schedule {
  /** The first firing strictly after `after`. */
  next(after: Date): Date;
  /** The latest firing in [from, now], or undefined when there is none. */
  latestDue(from: Date, now: Date): Date | undefined;
  /** Firings in [from, until), counted up to `limit`. */
  countBetween(from: Date, until: Date, limit: number): number;
  /** The schedule as it was parsed, with its zone: `CRON_TZ=Europe/Berlin 30 2 * * *`. */
  readonly text: string;
}

export type ScheduleParse = { ok: true; schedule: Schedule } | { ok: false; field: string; problem: string };

/** robfig's descriptors (ParseStandard); `@every` is handled apart. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** Highest value of each standard field, for robfig's `N/step` (= `N-max/step`). */
const FIELD_MAX = [59, 23, 31, 12, 6] as const;
const FIELD_NAMES = ["minute", "hour", "day of month", "month", "day of week"] as const;
const NAMES = /^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$/i;
const VALUE = /^([0-9]+|[a-z]{3})$/i;

/** Go's time.ParseDuration units, in milliseconds (sub-millisecond units are rounded away below anyway). */
const GO_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's time.ParseDuration ("1h30m", "20s", "1.5h"), in milliseconds. robfig then rounds the
 * delay down to whole seconds and raises anything shorter to one second.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (!/^([0-9]*\.?[0-9]*[a-zµμ]+)+$/.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/([0-9]*\.?[0-9]*)([a-zµμ]+)/g)) {
    const [, number = "", unit = ""] = part;
    const scale = GO_UNITS[unit];
    if (scale === undefined || number === "" || number === ".") return undefined;
    total += Number(number) * scale;
  }
  return total;
}

/** One robfig field checked and rewritten for croner; a problem names the field. */
function standardField(
  text: string,
  index: number,
): { ok: true; text: string } | { ok: false; problem: string } {
  const name = FIELD_NAMES[index] ?? "field";
  const parts = text.split(",").map((part) => {
    const [range = "", step, extra] = part.split("/");
    if (extra !== undefined || (step !== undefined && !/^[0-9]+$/.test(step))) return undefined;
    const ends = range.split("-");
    const plain =
      range === "*" || range === "?" || (ends.length <= 2 && ends.every((end) => VALUE.test(end)));
    if (!plain) return undefined;
    if (ends.some((end) => /^[a-z]/i.test(end) && !NAMES.test(end))) return undefined;
    // robfig reads `5/15` as `5-<max>/15`; croner refuses a numeric start with a step.
    if (step !== undefined && ends.length === 1 && range !== "*" && range !== "?") {
      return `${range}-${FIELD_MAX[index] ?? 0}/${step}`;
    }
    return part;
  });
  if (parts.some((part) => part === undefined)) {
    return {
      ok: false,
      problem: `${name} field ${JSON.stringify(text)} is not a value, range, list or step`,
    };
  }
  return { ok: true, text: parts.join(",") };
}

/** The schedule's zone: `CRON_TZ=`/`TZ=` in the schedule wins over timeZone, as in kubeflow. */
function splitZone(schedule: string, timeZone: string | undefined): { zone: string; rest: string } {
  const prefixed = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(schedule.trim());
  if (prefixed !== null) return { zone: prefixed[1] ?? "", rest: (prefixed[2] ?? "").trim() };
  const zone =
    timeZone === undefined || timeZone === "" || timeZone === "Local" ? DEFAULT_TIME_ZONE : timeZone;
  return { zone, rest: schedule.trim() };
}

/** Whether the runtime's time zone database knows the zone (Go's time.LoadLocation). */
export function isKnownTimeZone(zone: string): boolean {
  if (zone === "UTC") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const SECOND = 1000;

function floorToSecond(ms: number): number {
  return Math.floor(ms / SECOND) * SECOND;
}

/** `@every <d>`: robfig's constant delay, as a grid of multiples of d from the first firing. */
function everySchedule(delayMs: number, text: string): Schedule {
  const delay = Math.max(SECOND, floorToSecond(delayMs));
  return {
    text,
    next: (after) => new Date(floorToSecond(after.getTime()) + delay),
    latestDue(from, now) {
      if (now.getTime() < from.getTime()) return undefined;
      const steps = Math.floor((now.getTime() - from.getTime()) / delay);
      return new Date(from.getTime() + steps * delay);
    },
    countBetween(from, until, limit) {
      if (until.getTime() <= from.getTime()) return 0;
      return Math.min(limit, Math.ceil((until.getTime() - from.getTime()) / delay));
    },
  };
}

/** A pattern with five fields repeats every year at the latest, so one that has no firing after the epoch never fires. */
const REFERENCE = new Date(0);

function cronSchedule(cron: Cron, text: string): Schedule {
  const next = (after: Date): Date => {
    const found = cron.nextRun(after);
    if (found === null) throw new Error(`${text} has no firing after ${after.toISOString()}`);
    return found;
  };
  return {
    text,
    next,
    latestDue(from, now) {
      // previousRuns is strictly before its argument; a firing exactly at `now` is due.
      const candidates = cron.previousRuns(2, new Date(floorToSecond(now.getTime()) + SECOND));
      const latest = candidates.find((time) => time.getTime() <= now.getTime());
      return latest !== undefined && latest.getTime() >= from.getTime() ? latest : undefined;
    },
    countBetween(from, until, limit) {
      let count = 0;
      let cursor = new Date(from.getTime() - 1);
      while (count < limit) {
        cursor = next(cursor);
        if (cursor.getTime() >= until.getTime()) break;
        count += 1;
      }
      return count;
    },
  };
}

export function parseSchedule(schedule: string, timeZone: string | undefined): ScheduleParse {
  const { zone, rest } = splitZone(schedule, timeZone);
  const zoneField = /^(?:CRON_TZ|TZ)=/.test(schedule.trim()) ? "spec.schedule" : "spec.timeZone";
  if (!isKnownTimeZone(zone)) {
    return { ok: false, field: zoneField, problem: `unknown time zone ${JSON.stringify(zone)}` };
  }
  const text = `CRON_TZ=${zone} ${rest}`;
  if (rest.startsWith("@every")) {
    const delay = parseGoDuration(rest.slice("@every".length).trim());
    if (delay === undefined || delay <= 0) {
      return {
        ok: false,
        field: "spec.schedule",
        problem: `${JSON.stringify(rest)}: @every needs a positive Go duration such as 20s, 5m or 1h30m`,
      };
    }
    return { ok: true, schedule: everySchedule(delay, text) };
  }
  const descriptor = DESCRIPTORS[rest];
  if (rest.startsWith("@") && descriptor === undefined) {
    return { ok: false, field: "spec.schedule", problem: `unknown descriptor ${JSON.stringify(rest)}` };
  }
  const fields = (descriptor ?? rest).split(/\s+/).filter((field) => field !== "");
  if (fields.length !== 5) {
    return {
      ok: false,
      field: "spec.schedule",
      problem: `${JSON.stringify(rest)} has ${fields.length} fields; a schedule has 5 (minute hour day-of-month month day-of-week) or is a descriptor such as @hourly or @every 1h`,
    };
  }
  const rewritten: string[] = [];
  for (const [index, field] of fields.entries()) {
    const checked = standardField(field, index);
    if (!checked.ok) return { ok: false, field: "spec.schedule", problem: checked.problem };
    rewritten.push(checked.text);
  }
  let cron: Cron;
  try {
    cron = new Cron(rewritten.join(" "), { timezone: zone, paused: true, mode: "5-part", domAndDow: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, field: "spec.schedule", problem: message.replace(/^CronPattern: /, "") };
  }
  // robfig gives up after five years and returns the zero time; kubeflow then never runs it.
  if (cron.nextRun(REFERENCE) === null) {
    return {
      ok: false,
      field: "spec.schedule",
      problem: `${JSON.stringify(rest)} never fires (no such date)`,
    };
  }
  return { ok: true, schedule: cronSchedule(cron, text) };
}
