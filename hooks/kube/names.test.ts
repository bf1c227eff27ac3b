import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { childName, isDns1035Label, isDns1123Label, isLabelValue, isQualifiedName } from "./names.js";

describe("childName", () => {
  it("joins owner and suffix when the result fits", () => {
    expect(childName("my-spark", "worker-0-abc")).toBe("my-spark-worker-0-abc");
  });

  it("keeps long names within 63 characters and distinct per owner", () => {
    const a = childName(`${"a".repeat(58)}x`, "worker-10-0123456789");
    const b = childName(`${"a".repeat(58)}y`, "worker-10-0123456789");
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a.endsWith("-worker-10-0123456789")).toBe(true);
  });

  it("always yields a DNS-1123 label for DNS-1035 owners", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/), fc.nat(9999), (owner, slot) => {
        expect(isDns1123Label(childName(owner, `worker-${slot}-0123456789`))).toBe(true);
      }),
    );
  });
});

describe("name and label rules", () => {
  it.each([
    ["my-spark", true],
    ["1spark", false],
    ["Spark", false],
    ["a".repeat(64), false],
  ])("DNS-1035 %s → %s", (name, ok) => {
    expect(isDns1035Label(name)).toBe(ok);
  });

  it.each([
    ["team", true],
    ["example.com/team", true],
    ["app.kubernetes.io/name", true],
    ["bad key", false],
    ["/x", false],
    ["Example.com/x", false],
  ])("label key %s → %s", (key, ok) => {
    expect(isQualifiedName(key)).toBe(ok);
  });

  it.each([
    ["", true],
    ["data-eng", true],
    ["a.b_c", true],
    ["-x", false],
    ["a".repeat(64), false],
  ])("label value %j → %s", (value, ok) => {
    expect(isLabelValue(value)).toBe(ok);
  });
});
