import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("starts with working defaults from an empty environment", () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: "0.0.0.0",
      bodyLimitBytes: 64 * 1024 * 1024,
      logLevel: "info",
      shutdownTimeoutMs: 25_000,
    });
  });

  it("accepts a sync request with 1,000 worker pods of ~8 KB each by default", () => {
    expect(loadConfig({}).bodyLimitBytes).toBeGreaterThan(1000 * 8 * 1024 * 2);
  });

  it("reads every setting from its variable", () => {
    expect(
      loadConfig({
        PORT: "9443",
        HOST: "::",
        BODY_LIMIT_BYTES: "1048576",
        LOG_LEVEL: "debug",
        SHUTDOWN_TIMEOUT_MS: "5000",
      }),
    ).toEqual({
      port: 9443,
      host: "::",
      bodyLimitBytes: 1_048_576,
      logLevel: "debug",
      shutdownTimeoutMs: 5000,
    });
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ PORT: "", LOG_LEVEL: "" })).toMatchObject({ port: 8080, logLevel: "info" });
  });

  it("ignores unrelated variables", () => {
    expect(loadConfig({ HOME: "/root", PATH: "/usr/bin" }).port).toBe(8080);
  });

  it.each([
    ["PORT", "http"],
    ["PORT", "70000"],
    ["PORT", "80.5"],
    ["BODY_LIMIT_BYTES", "-1"],
    ["BODY_LIMIT_BYTES", "64MiB"],
    ["LOG_LEVEL", "verbose"],
    ["SHUTDOWN_TIMEOUT_MS", "soon"],
  ])("rejects %s=%s with an error naming the variable and its value", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(
      new RegExp(`^invalid configuration: ${key}=${JSON.stringify(value)}: `),
    );
  });

  it("reports every bad variable at once", () => {
    expect(() => loadConfig({ PORT: "x", LOG_LEVEL: "loud" })).toThrow(/PORT=.*; LOG_LEVEL=/);
  });
});
