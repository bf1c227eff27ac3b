import { describe, expect, it } from "vitest";
import { parseQuantity, toMebibytes } from "./quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["500m", 0.5],
    ["1", 1],
    [0.2, 0.2],
    [2, 2],
    ["2Gi", 2 * 2 ** 30],
    ["1536Mi", 1536 * 2 ** 20],
    ["1G", 1e9],
    ["1e3", 1000],
    ["1.5Gi", 1.5 * 2 ** 30],
    [" 4Gi ", 4 * 2 ** 30],
  ])("reads %j as %d", (input, value) => {
    expect(parseQuantity(input)?.value).toBeCloseTo(value);
  });

  it.each(["", "lots", "4GB", "1.2.3", "Gi", "2 Gi", "0x10"])("rejects %j like the API server", (input) => {
    expect(parseQuantity(input)).toBeUndefined();
  });

  it("keeps the text users wrote, numbers as their decimal form", () => {
    expect(parseQuantity(0.5)?.text).toBe("0.5");
    expect(parseQuantity("2Gi")?.text).toBe("2Gi");
  });

  it("converts memory to whole mebibytes, rounding down", () => {
    expect(toMebibytes(parseQuantity("2Gi")!)).toBe(2048);
    expect(toMebibytes(parseQuantity("1G")!)).toBe(953);
  });
});
