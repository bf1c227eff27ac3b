import { describe, expect, it } from "vitest";
import { DEFAULT_SPARK_VERSION, sparkImage } from "./image.js";

describe("sparkImage", () => {
  it("is the official image of the Spark version unless a custom image is set", () => {
    expect(sparkImage({ sparkVersion: DEFAULT_SPARK_VERSION })).toBe(`apache/spark:${DEFAULT_SPARK_VERSION}`);
    expect(sparkImage({ sparkVersion: "4.0.1", customImage: "registry.example.com/spark:mine" })).toBe(
      "registry.example.com/spark:mine",
    );
  });
});
