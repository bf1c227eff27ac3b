import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byteBudget } from "./budget.js";

describe("byteBudget", () => {
  it("reserves bytes while they fit and refuses the rest without reserving any", () => {
    const budget = byteBudget(100);
    expect(budget.tryReserve(60)).toBe(true);
    expect(budget.tryReserve(41)).toBe(false);
    expect(budget.inUse()).toBe(60);
    expect(budget.tryReserve(40)).toBe(true);
    expect(budget.inUse()).toBe(100);
  });

  it("makes released bytes available again", () => {
    const budget = byteBudget(100);
    budget.tryReserve(100);
    budget.release(70);
    expect(budget.tryReserve(70)).toBe(true);
  });

  it("refuses to release more than was reserved, so a double release is a bug, not a bigger budget", () => {
    const budget = byteBudget(100);
    budget.tryReserve(10);
    expect(() => budget.release(11)).toThrow(/released 11 bytes with only 10 reserved/);
  });

  it("never holds more than its limit, whatever the order of reservations and releases", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 50 })), { maxLength: 60 }), (steps) => {
        const budget = byteBudget(100);
        const held: number[] = [];
        for (const [reserve, bytes] of steps) {
          if (reserve) {
            if (budget.tryReserve(bytes)) held.push(bytes);
          } else if (held.length > 0) {
            budget.release(held.pop() ?? 0);
          }
          expect(budget.inUse()).toBe(held.reduce((sum, b) => sum + b, 0));
          expect(budget.inUse()).toBeLessThanOrEqual(100);
        }
      }),
    );
  });
});
