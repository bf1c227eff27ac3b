import { describe, expect, it } from "vitest";
import { formatTime, settleConditions } from "./conditions.js";

const now = new Date("2026-11-22T10:00:00.987Z");
const ready = { type: "Ready", status: "True", reason: "ClusterReady", message: "ok" } as const;

describe("settleConditions", () => {
  it("stamps a new condition with now, at second precision", () => {
    expect(settleConditions([ready], undefined, now, 3)).toEqual([
      { ...ready, lastTransitionTime: "2026-11-22T10:00:00Z", observedGeneration: 3 },
    ]);
  });

  it("keeps the previous time while the status stays the same, even if the message changes", () => {
    const previous = {
      conditions: [{ ...ready, message: "old", lastTransitionTime: "2026-01-01T00:00:00Z" }],
    };
    expect(settleConditions([ready], previous, now, 1)[0]?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
  });

  it("moves the time when the status flips", () => {
    const previous = {
      conditions: [{ ...ready, status: "False", lastTransitionTime: "2026-01-01T00:00:00Z" }],
    };
    expect(settleConditions([ready], previous, now, 1)[0]?.lastTransitionTime).toBe(formatTime(now));
  });

  it("tolerates a malformed previous status", () => {
    expect(settleConditions([ready], { conditions: "nope" }, now, undefined)).toHaveLength(1);
  });
});
