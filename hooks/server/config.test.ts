import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

/**
 * The largest request a controller lets through today: a SparkCluster at its 1,000-worker
 * maximum, ~11 KiB of JSON a pod (`npm run bench` builds it; test/server checks it is served).
 */
const LARGEST_SYNC_REQUEST_BYTES = 11 * 1024 * 1024;

describe("loadConfig", () => {
  it("starts with working defaults from an empty environment", () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: "0.0.0.0",
      bodyLimitBytes: 32 * 1024 * 1024,
      bodyBytesInFlight: 64 * 1024 * 1024,
      logLevel: "info",
      shutdownTimeoutMs: 25_000,
    });
  });

  it("accepts the largest sync request with room for pods bigger than the benchmark's", () => {
    expect(loadConfig({}).bodyLimitBytes).toBeGreaterThan(2.5 * LARGEST_SYNC_REQUEST_BYTES);
  });

  it("lets the calls of Metacontroller's 5 workers per controller run side by side at the largest", () => {
    expect(loadConfig({}).bodyBytesInFlight).toBeGreaterThan(5 * LARGEST_SYNC_REQUEST_BYTES);
  });

  it("reads every setting from its variable", () => {
    expect(
      loadConfig({
        PORT: "9443",
        HOST: "::",
        BODY_LIMIT_BYTES: "1048576",
        BODY_BYTES_IN_FLIGHT: "4194304",
        LOG_LEVEL: "debug",
        SHUTDOWN_TIMEOUT_MS: "5000",
      }),
    ).toEqual({
      port: 9443,
      host: "::",
      bodyLimitBytes: 1_048_576,
      bodyBytesInFlight: 4_194_304,
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
    ["BODY_BYTES_IN_FLIGHT", "0"],
    ["LOG_LEVEL", "verbose"],
    ["SHUTDOWN_TIMEOUT_MS", "soon"],
  ])("rejects %s=%s with an error naming the variable and its value", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(
      new RegExp(`^invalid configuration: ${key}=${JSON.stringify(value)}: `),
    );
  });

  it("refuses a budget of bytes in flight below the body limit, which a call at the limit could never fit", () => {
    expect(() => loadConfig({ BODY_LIMIT_BYTES: "2097152", BODY_BYTES_IN_FLIGHT: "1048576" })).toThrow(
      /^invalid configuration: BODY_BYTES_IN_FLIGHT="1048576": must be at least BODY_LIMIT_BYTES \(2097152\)/,
    );
    expect(() => loadConfig({ BODY_LIMIT_BYTES: "134217728" })).toThrow(
      /BODY_BYTES_IN_FLIGHT=null: must be at least/,
    );
  });

  it("reports every bad variable at once", () => {
    expect(() => loadConfig({ PORT: "x", LOG_LEVEL: "loud" })).toThrow(/PORT=.*; LOG_LEVEL=/);
  });
});
