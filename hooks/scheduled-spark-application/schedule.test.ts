import { describe, expect, it } from "vitest";
import { parseGoDuration, parseSchedule, type Schedule } from "./schedule.js";

function schedule(text: string, zone?: string): Schedule {
  const parsed = parseSchedule(text, zone);
  if (!parsed.ok) throw new Error(`${parsed.field}: ${parsed.problem}`);
  return parsed.schedule;
}

function firings(s: Schedule, from: string, count: number): string[] {
  const out: string[] = [];
  let cursor = new Date(from);
  for (let i = 0; i < count; i += 1) {
    cursor = s.next(cursor);
    out.push(cursor.toISOString().replace(".000Z", "Z"));
  }
  return out;
}

describe("parseSchedule reads what kubeflow's robfig ParseStandard reads", () => {
  it.each([
    ["* * * * *", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z"],
    ["*/15 * * * *", "2026-01-01T00:01:00Z", "2026-01-01T00:15:00Z"],
    ["5/15 * * * *", "2026-01-01T00:06:00Z", "2026-01-01T00:20:00Z"],
    ["0 9 * * MON-FRI", "2026-01-02T10:00:00Z", "2026-01-05T09:00:00Z"],
    ["0 0 1 jan ?", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"],
    ["@hourly", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"],
    ["@daily", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
    ["@midnight", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
    ["@weekly", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"],
    ["@monthly", "2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z"],
    ["@yearly", "2026-01-15T00:00:00Z", "2027-01-01T00:00:00Z"],
    ["@annually", "2026-01-15T00:00:00Z", "2027-01-01T00:00:00Z"],
    // Both day fields restricted: either matches (Vixie cron, robfig).
    ["0 0 13 * 5", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
  ])("%s after %s fires at %s", (text, after, expected) => {
    expect(schedule(text).next(new Date(after)).toISOString().replace(".000Z", "Z")).toBe(expected);
  });

  it("reads @every as robfig's constant delay: whole seconds from the instant asked about", () => {
    const every = schedule("@every 1m30s");
    expect(every.next(new Date("2026-01-01T00:00:10.700Z")).toISOString()).toBe("2026-01-01T00:01:40.000Z");
    expect(schedule("@every 300ms").next(new Date("2026-01-01T00:00:00Z")).toISOString()).toBe(
      "2026-01-01T00:00:01.000Z",
    );
  });

  it.each([
    ["* * * * * *", "has 6 fields"],
    ["* * * *", "has 4 fields"],
    ["61 * * * *", "minute: 61"],
    ["0 0 L * *", "day of month field"],
    ["0 0 * * MON#2", "day of week field"],
    ["@reboot", "unknown descriptor"],
    ["0 0 30 2 *", "never fires"],
    ["@every", "@every needs a positive Go duration"],
    ["@every 5 minutes", "@every needs a positive Go duration"],
  ])("refuses %s, naming the problem", (text, problem) => {
    const parsed = parseSchedule(text, undefined);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.field).toBe("spec.schedule");
      expect(parsed.problem).toContain(problem);
    }
  });

  it("refuses a zone the time zone database does not know, naming the field it came from", () => {
    expect(parseSchedule("* * * * *", "Mars/Olympus")).toMatchObject({ ok: false, field: "spec.timeZone" });
    expect(parseSchedule("CRON_TZ=Mars/Olympus * * * * *", undefined)).toMatchObject({
      ok: false,
      field: "spec.schedule",
    });
  });

  it("reads Local and an unset zone as UTC, and CRON_TZ= in the schedule over timeZone", () => {
    expect(schedule("0 6 * * *").text).toBe("CRON_TZ=UTC 0 6 * * *");
    expect(schedule("0 6 * * *", "Local").text).toBe("CRON_TZ=UTC 0 6 * * *");
    const prefixed = schedule("CRON_TZ=Asia/Tokyo 0 6 * * *", "Europe/Berlin");
    expect(prefixed.text).toBe("CRON_TZ=Asia/Tokyo 0 6 * * *");
    expect(prefixed.next(new Date("2026-01-01T00:00:00Z")).toISOString()).toBe("2026-01-01T21:00:00.000Z");
  });
});

describe("time zones and daylight saving time (Europe/Berlin, 2026)", () => {
  const nightly = schedule("30 2 * * *", "Europe/Berlin");

  it("runs at 02:30 local time: 01:30 UTC in winter, 00:30 UTC in summer", () => {
    expect(firings(nightly, "2026-01-10T12:00:00Z", 1)).toEqual(["2026-01-11T01:30:00Z"]);
    expect(firings(nightly, "2026-07-10T12:00:00Z", 1)).toEqual(["2026-07-11T00:30:00Z"]);
  });

  it("on the spring-forward day, when 02:30 does not exist, runs once at 03:00 (ISC cron; robfig skips the day)", () => {
    expect(firings(nightly, "2026-03-27T12:00:00Z", 3)).toEqual([
      "2026-03-28T01:30:00Z",
      "2026-03-29T01:00:00Z",
      "2026-03-30T00:30:00Z",
    ]);
  });

  it("on the fall-back day, when 02:30 happens twice, runs once", () => {
    expect(firings(nightly, "2026-10-23T12:00:00Z", 3)).toEqual([
      "2026-10-24T00:30:00Z",
      "2026-10-25T00:30:00Z",
      "2026-10-26T01:30:00Z",
    ]);
    expect(nightly.countBetween(new Date("2026-10-25T00:00:00Z"), new Date("2026-10-26T00:00:00Z"), 10)).toBe(
      1,
    );
  });
});

describe("latestDue and countBetween", () => {
  const every5 = schedule("*/5 * * * *");

  it("give the latest firing at or before now, not before the anchor", () => {
    const from = new Date("2026-01-01T00:05:00Z");
    expect(every5.latestDue(from, new Date("2026-01-01T00:17:30Z"))?.toISOString()).toBe(
      "2026-01-01T00:15:00.000Z",
    );
    expect(every5.latestDue(from, new Date("2026-01-01T00:15:00Z"))?.toISOString()).toBe(
      "2026-01-01T00:15:00.000Z",
    );
    expect(every5.latestDue(from, new Date("2026-01-01T00:04:59Z"))).toBeUndefined();
    expect(every5.countBetween(from, new Date("2026-01-01T00:15:00Z"), 100)).toBe(2);
    expect(every5.countBetween(from, new Date("2027-01-01T00:00:00Z"), 100)).toBe(100);
  });

  it("keep @every on the grid of its first firing", () => {
    const every = schedule("@every 20s");
    const from = new Date("2026-01-01T00:00:20Z");
    expect(every.latestDue(from, new Date("2026-01-01T00:01:05Z"))?.toISOString()).toBe(
      "2026-01-01T00:01:00.000Z",
    );
    expect(every.countBetween(from, new Date("2026-01-01T00:01:00Z"), 100)).toBe(2);
  });
});

describe("parseGoDuration", () => {
  it.each([
    ["20s", 20_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["300ms", 300],
    ["0", 0],
  ])("reads %s", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(["", "5", "5 m", "1d", "-5s", "m"])("refuses %j", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
