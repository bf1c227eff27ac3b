import { describe, expect, it } from "vitest";
import { byteStringAs, parseSparkBoolean, parseSparkDouble } from "./sizes.js";

// Expected values measured with Spark 4.3.0's JavaUtils.byteStringAs(text, ByteUnit.MiB / BYTE).
describe("byteStringAs reads sizes as Spark's JavaUtils does", () => {
  it.each<[string, bigint, bigint]>([
    ["1g", 1024n, 1073741824n],
    ["1G", 1024n, 1073741824n],
    [" 2g ", 2048n, 2147483648n],
    ["1536k", 1n, 1572864n],
    ["1536", 1536n, 1536n],
    ["0", 0n, 0n],
    ["512m", 512n, 536870912n],
    ["1t", 1048576n, 1099511627776n],
    ["8p", 8589934592n, 9007199254740992n],
    ["1kb", 0n, 1024n],
    ["1mb", 1n, 1048576n],
    ["1024MB", 1024n, 1073741824n],
    ["1b", 0n, 1n],
    ["1048575b", 0n, 1048575n],
    ["01g", 1024n, 1073741824n],
    ["1gib", 1024n, 1073741824n],
    ["1Gi", 1024n, 1073741824n],
    ["1ti", 1048576n, 1099511627776n],
    ["9223372036854775807", 9223372036854775807n, 9223372036854775807n],
    ["9223372036854775807b", 8796093022207n, 9223372036854775807n],
  ])("%s is %i MiB and %i bytes", (text, mib, bytes) => {
    expect(byteStringAs(text, "m")).toEqual({ ok: true, value: mib });
    expect(byteStringAs(text, "b")).toEqual({ ok: true, value: bytes });
  });

  it.each([
    ["1.5g", /fractional/],
    ["2 g", /not a size/],
    ["1e3", /not a size/],
    ["", /not a size/],
    ["-1g", /not a size/],
    ["+1g", /not a size/],
    ["1eb", /not a size/],
    ["lots", /not a size/],
    ["9223372036854775808", /too large/],
    ["9999999999999p", /too large/],
  ])("rejects %j", (text, problem) => {
    const parsed = byteStringAs(text, "m");
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.problem).toMatch(problem);
  });

  it("overflows by the unit asked for, as Spark does", () => {
    expect(byteStringAs("8191p", "b")).toEqual({ ok: true, value: 8191n * 2n ** 50n });
    expect(byteStringAs("8192p", "b").ok).toBe(false);
    expect(byteStringAs("8192p", "m")).toEqual({ ok: true, value: 8192n * 2n ** 30n });
  });
});

describe("parseSparkBoolean and parseSparkDouble", () => {
  it.each([
    ["true", true],
    [" TRUE ", true],
    ["False", false],
    ["yes", undefined],
    ["1", undefined],
  ])("boolean %j → %s", (text, value) => {
    expect(parseSparkBoolean(text)).toBe(value);
  });

  it.each([
    ["0.1", 0.1],
    [" 0.25 ", 0.25],
    ["1e-1", 0.1],
    [".5", 0.5],
    ["2", 2],
    ["0.1d", 0.1],
    ["abc", undefined],
    ["", undefined],
    ["0.1.2", undefined],
  ])("double %j → %s", (text, value) => {
    expect(parseSparkDouble(text)).toBe(value);
  });
});
