import { describe, expect, it } from "vitest";
import { parseProperties } from "../spark/properties.js";
import { parseSpec } from "./schema.js";
import { historyConfigMap, historySettings, logDirectory, renderSparkDefaults } from "./spark-conf.js";

/** A spec as a user writes it (quoted numbers included), parsed as the hook parses it. */
function specOf(input: unknown) {
  const parsed = parseSpec(input);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.spec;
}

/** The settings as Spark loads the rendered file: the last line of a key wins. */
function loaded(input: unknown): Map<string, string> {
  const spec = specOf(input);
  const directory = logDirectory(spec);
  if (directory === undefined) throw new Error("no log directory");
  const text = renderSparkDefaults("history", historySettings(spec, directory));
  const { entries, problems } = parseProperties(text);
  expect(problems).toEqual([]);
  return new Map(entries.map(({ name, value }) => [name, value]));
}

describe("the history server's spark-defaults.conf", () => {
  it("writes radanalytics' defaults with the units Spark reads (History.scala timeConf/bytesConf)", () => {
    const conf = loaded({});
    expect(Object.fromEntries(conf)).toEqual({
      "spark.history.provider": "org.apache.spark.deploy.history.FsHistoryProvider",
      "spark.history.fs.logDirectory": "file:/history/spark-events",
      "spark.history.fs.update.interval": "10s",
      "spark.history.ui.port": "18080",
      "spark.history.retainedApplications": "50",
      "spark.history.fs.cleaner.enabled": "false",
      "spark.history.fs.cleaner.interval": "1d",
      "spark.history.fs.cleaner.maxAge": "7d",
      "spark.history.fs.endEventReparseChunkSize": "1m",
      "spark.history.fs.inProgressOptimization.enabled": "true",
      "spark.history.store.maxDiskUsage": "10g",
    });
  });

  it.each([
    [{ cleaner: { enabled: true, interval: 2, maxAge: 30 } }, "spark.history.fs.cleaner.interval", "2d"],
    [{ cleaner: { enabled: true, interval: 2, maxAge: 30 } }, "spark.history.fs.cleaner.maxAge", "30d"],
    [{ cleaner: { enabled: true } }, "spark.history.fs.cleaner.enabled", "true"],
    [{ maxDiskUsage: 25 }, "spark.history.store.maxDiskUsage", "25g"],
    [{ endEventReparseChunkSize: 4 }, "spark.history.fs.endEventReparseChunkSize", "4m"],
    [{ endEventReparseChunkSize: 0 }, "spark.history.fs.endEventReparseChunkSize", "0m"],
    [{ updateInterval: 30 }, "spark.history.fs.update.interval", "30s"],
    [{ updateInterval: "5" }, "spark.history.fs.update.interval", "5s"],
    [{ internalPort: 19090 }, "spark.history.ui.port", "19090"],
    [{ retainedApplications: 10 }, "spark.history.retainedApplications", "10"],
    [{ maxApplications: 500 }, "spark.history.ui.maxApplications", "500"],
    [{ numReplayThreads: "4" }, "spark.history.fs.numReplayThreads", "4"],
    [{ persistentPath: "/var/cache/history" }, "spark.history.store.path", "/var/cache/history"],
    [{ inProgressOptimization: false }, "spark.history.fs.inProgressOptimization.enabled", "false"],
    [{ provider: "com.example.MyProvider" }, "spark.history.provider", "com.example.MyProvider"],
  ] as const)("%j sets %s=%s", (input, key, value) => {
    expect(loaded(input).get(key)).toBe(value);
  });

  it("never writes radanalytics' spark.history.maxApplications, which Spark does not read", () => {
    const conf = loaded({ maxApplications: 999999 });
    expect(conf.has("spark.history.maxApplications")).toBe(false);
    expect(conf.get("spark.history.ui.maxApplications")).toBe("999999");
  });

  it("leaves Spark's own defaults for unset optional fields (all applications listed, in-memory store)", () => {
    const conf = loaded({});
    for (const key of [
      "spark.history.ui.maxApplications",
      "spark.history.fs.numReplayThreads",
      "spark.history.store.path",
      "spark.history.kerberos.enabled",
    ]) {
      expect(conf.has(key), key).toBe(false);
    }
  });

  it("sets Kerberos only when enabled", () => {
    expect(
      loaded({ kerberos: { enabled: false, principal: "p" } }).has("spark.history.kerberos.principal"),
    ).toBe(false);
    const conf = loaded({
      kerberos: { enabled: true, principal: "spark/history@EXAMPLE.COM", keytab: "/etc/keytab/spark.keytab" },
    });
    expect(conf.get("spark.history.kerberos.enabled")).toBe("true");
    expect(conf.get("spark.history.kerberos.principal")).toBe("spark/history@EXAMPLE.COM");
    expect(conf.get("spark.history.kerberos.keytab")).toBe("/etc/keytab/spark.keytab");
  });

  it("writes hadoopConf as spark.hadoop.* and lets sparkConfiguration win over everything", () => {
    const conf = loaded({
      type: "remoteStorage",
      remoteURI: "s3a://logs/events",
      hadoopConf: { "fs.s3a.path.style.access": true, "fs.s3a.endpoint": "http://minio:9000" },
      sparkConfiguration: [
        { name: "spark.history.fs.update.interval", value: "1min" },
        { name: "spark.ui.title", value: "a title with spaces" },
      ],
    });
    expect(conf.get("spark.hadoop.fs.s3a.endpoint")).toBe("http://minio:9000");
    expect(conf.get("spark.hadoop.fs.s3a.path.style.access")).toBe("true");
    expect(conf.get("spark.history.fs.update.interval")).toBe("1min");
    expect(conf.get("spark.ui.title")).toBe("a title with spaces");
  });
});

describe("the event log directory", () => {
  it.each([
    [{}, "file:/history/spark-events"],
    [{ sharedVolume: { mountPath: "/logs" } }, "file:/logs"],
    [{ logDirectory: "file:/logs/spark" }, "file:/logs/spark"],
    [{ type: "remoteStorage", remoteURI: "s3a://b/p" }, "s3a://b/p"],
    [
      { type: "remoteStorage", remoteURI: "gs://b/p", logDirectory: "abfs://c@a.dfs.core.windows.net/p" },
      "gs://b/p",
    ],
    [
      { type: "remoteStorage", logDirectory: "abfs://c@a.dfs.core.windows.net/p" },
      "abfs://c@a.dfs.core.windows.net/p",
    ],
  ] as const)("%j reads %s", (input, expected) => {
    expect(logDirectory(specOf(input))).toBe(expected);
  });

  it("is unknown for remoteStorage without remoteURI or logDirectory", () => {
    expect(logDirectory(specOf({ type: "remoteStorage" }))).toBeUndefined();
  });
});

describe("the configuration ConfigMap", () => {
  it("is immutable and named by its content, so a change is a new ConfigMap", () => {
    const spec = specOf({});
    const a = historyConfigMap("history", spec, historySettings(spec, "file:/a"));
    const b = historyConfigMap("history", spec, historySettings(spec, "file:/b"));
    expect(a.immutable).toBe(true);
    expect(a.metadata.name).toMatch(/^history-conf-[0-9a-f]{10}$/);
    expect(a.metadata.name).not.toBe(b.metadata.name);
    expect(historyConfigMap("history", spec, historySettings(spec, "file:/a"))).toEqual(a);
  });
});
