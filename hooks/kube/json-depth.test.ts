import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "./json-depth.js";

/** `levels` objects and arrays nested alternately: `{"a":[{"a":[…]}]}`. */
function nested(levels: number, inside: unknown = "leaf"): unknown {
  let value = inside;
  for (let level = 0; level < levels; level += 1) value = level % 2 === 0 ? [value] : { a: value };
  return value;
}

/** The depth by definition, recursively: only for values known to be shallow. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe("nestsDeeperThan", () => {
  it.each([
    ["a scalar", "x", 0, false],
    ["null", null, 0, false],
    ["an empty object", {}, 0, true],
    ["an empty object", {}, 1, false],
    ["a flat list of scalars", [1, "2", true, null], 1, false],
    ["an object in a list", [{}], 1, true],
    ["an object in a list", [{}], 2, false],
    ["a deep branch beside shallow ones", { a: 1, b: { c: { d: [] } }, e: {} }, 3, true],
    ["a deep branch beside shallow ones", { a: 1, b: { c: { d: [] } }, e: {} }, 4, false],
  ])("answers %s within %d levels: deeper = %s", (_what, value, max, deeper) => {
    expect(nestsDeeperThan(value, max)).toBe(deeper);
  });

  it("walks a million levels without overflowing the call stack", () => {
    const deep = JSON.parse("[".repeat(1_000_000) + "]".repeat(1_000_000)) as unknown;
    expect(nestsDeeperThan(deep, 32)).toBe(true);
    expect(nestsDeeperThan(deep, 1_000_000)).toBe(false);
    expect(nestsDeeperThan(nested(10_000), 9_999)).toBe(true);
  });

  it("agrees with the recursive definition on any JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat({ max: 10 }), (value, max) => {
        expect(nestsDeeperThan(value, max)).toBe(depthOf(value) > max);
      }),
    );
  });
});
