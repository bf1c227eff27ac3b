import { describe, expect, it } from "vitest";
import { z } from "zod";
import { count, quotedCountPattern } from "./fields.js";

describe("count", () => {
  const workers = z.object({ n: count("Workers.", { min: 0, max: 1000, default: 1 }) });

  it.each([
    [0, 0],
    [1000, 1000],
    ["1000", 1000],
    [" 12 ", 12],
  ])("accepts %j as %d", (input, expected) => {
    expect(workers.parse({ n: input })).toEqual({ n: expected });
  });

  it.each([-1, 1001, "1001", "-3", "2147483648", "99999999999999999999", "1e3", "", "twelve"])(
    "rejects %j naming the range",
    (input) => {
      const result = workers.safeParse({ n: input });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.message)).toEqual([
        `must be a whole number from 0 to 1000, got ${JSON.stringify(input)}`,
      ]);
    },
  );

  it("keeps the message without a maximum", () => {
    const masters = count("Masters.", { min: 1 });
    expect(masters.safeParse(0).error?.issues[0]?.message).toBe(
      "must be a whole number of at least 1, got 0",
    );
  });
});

describe("quotedCountPattern", () => {
  it.each([0, 7, 10, 25, 99, 100, 305, 1000, 4096])("matches exactly the counts up to %d", (max) => {
    const pattern = new RegExp(quotedCountPattern(max));
    for (let n = 0; n <= max * 3 + 20; n += 1) {
      expect(pattern.test(String(n)), `${n} against ${max}`).toBe(n <= max);
    }
    expect(pattern.test(` 0${max} `)).toBe(true);
    expect(pattern.test(`-${max}`)).toBe(true);
    if (max > 0) expect(pattern.test(`${max}0`)).toBe(false);
    expect(pattern.test("1e3")).toBe(false);
  });
});
