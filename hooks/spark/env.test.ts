import { describe, expect, it } from "vitest";
import { mergeEnv, POD_IP_ENV, userEnv } from "./env.js";

describe("userEnv", () => {
  it("passes literal values and writes an absent value as the empty string Kubernetes would", () => {
    expect(userEnv([{ name: "A", value: "1" }, { name: "B" }])).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "" },
    ]);
  });

  it("keeps only the refs the user set, and pins fieldRef to the core v1 API", () => {
    expect(
      userEnv([
        { name: "S", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } },
        { name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ]),
    ).toEqual([
      { name: "S", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } },
      { name: "N", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
    ]);
  });

  it("is empty without an env field", () => {
    expect(userEnv(undefined)).toEqual([]);
  });
});

describe("mergeEnv", () => {
  it("lets a user variable replace ours of the same name instead of duplicating it", () => {
    const ours = [POD_IP_ENV, { name: "SPARK_CONF_DIR", value: "/opt/spark/conf" }];
    const merged = mergeEnv(ours, [
      { name: "SPARK_CONF_DIR", value: "/mine" },
      { name: "X", value: "y" },
    ]);
    expect(merged).toEqual([
      POD_IP_ENV,
      { name: "SPARK_CONF_DIR", value: "/mine" },
      { name: "X", value: "y" },
    ]);
    expect(new Set(merged.map((e) => e.name)).size).toBe(merged.length);
  });
});
