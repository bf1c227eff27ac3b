import { describe, expect, it } from "vitest";
import { historyServer } from "../../test/support/applications.js";
import { sparkApplicationSpec } from "../../test/support/spark-applications.js";
import type { KubeObject, ObjectsByType } from "../metacontroller/protocol.js";
import { linkedEventLog } from "./history-server-link.js";
import type { SparkApplicationSpecInput } from "./schema.js";

const BASE: SparkApplicationSpecInput = {
  type: "Scala",
  sparkVersion: "3.5.3",
  mainClass: "com.example.Etl",
  mainApplicationFile: "local:///opt/app/etl.jar",
  driver: {},
  executor: {},
  historyServer: { name: "hs" },
};

const spec = (patch: Partial<SparkApplicationSpecInput> = {}) => sparkApplicationSpec({ ...BASE, ...patch });

function related(...objects: KubeObject[]): ObjectsByType {
  return {
    "SparkHistoryServer.sparkhooks.dev/v1alpha1": Object.fromEntries(
      objects.map((object) => [object.metadata.name, object]),
    ),
  };
}

describe("linkedEventLog", () => {
  it("adds nothing to an application without spec.historyServer", () => {
    expect(linkedEventLog(spec({ historyServer: undefined }), related(historyServer("hs")))).toEqual({
      ok: true,
      settings: {},
      volumes: [],
      mounts: [],
    });
  });

  it("turns event logging on into the observed history server's claim, mounted where it mounts it", () => {
    expect(
      linkedEventLog(spec(), related(historyServer("hs", { sharedVolume: { mountPath: "/logs" } }))),
    ).toEqual({
      ok: true,
      settings: { "spark.eventLog.enabled": "true", "spark.eventLog.dir": "file:/logs" },
      volumes: [{ name: "spark-events", persistentVolumeClaim: { claimName: "hs-claim" } }],
      mounts: [{ name: "spark-events", mountPath: "/logs" }],
    });
  });

  it("mounts nothing for a remoteStorage history server", () => {
    const link = linkedEventLog(
      spec(),
      related(historyServer("hs", { type: "remoteStorage", remoteURI: "s3a://logs/spark" })),
    );
    expect(link).toEqual({
      ok: true,
      settings: { "spark.eventLog.enabled": "true", "spark.eventLog.dir": "s3a://logs/spark" },
      volumes: [],
      mounts: [],
    });
  });

  it("writes to radanalytics' default claim and path while the history server does not exist", () => {
    const link = linkedEventLog(spec(), {});
    expect(link.ok && link.settings["spark.eventLog.dir"]).toBe("file:/history/spark-events");
    expect(link.ok && link.volumes).toEqual([
      { name: "spark-events", persistentVolumeClaim: { claimName: "hs-claim" } },
    ]);
  });

  it("names spec.historyServer when the history server gives no directory", () => {
    expect(linkedEventLog(spec(), related(historyServer("hs", { type: "remoteStorage" })))).toEqual({
      ok: false,
      problems: ["spec.historyServer: SparkHistoryServer hs is remoteStorage without remoteURI"],
    });
  });

  it("accepts sparkConf event log keys that agree with the link, and refuses ones that point elsewhere", () => {
    const agreeing = spec({
      sparkConf: { "spark.eventLog.enabled": " TRUE ", "spark.eventLog.dir": "file:/history/spark-events" },
    });
    expect(linkedEventLog(agreeing, related(historyServer("hs"))).ok).toBe(true);
    // Spark resolves a bare path to file: (radanalytics' example sets logDirectory without a scheme).
    const spelledOut = spec({ sparkConf: { "spark.eventLog.dir": "file:///history/spark-events/" } });
    expect(
      linkedEventLog(spelledOut, related(historyServer("hs", { logDirectory: "/history/spark-events" }))).ok,
    ).toBe(true);
    const elsewhere = linkedEventLog(
      spec({ sparkConf: { "spark.eventLog.enabled": "false", "spark.eventLog.dir": "s3a://other" } }),
      related(historyServer("hs")),
    );
    expect(elsewhere.ok ? [] : elsewhere.problems.map((problem) => problem.split(":")[0])).toEqual([
      "spec.sparkConf[spark.eventLog.enabled]",
      "spec.sparkConf[spark.eventLog.dir]",
    ]);
    expect(elsewhere.ok ? "" : elsewhere.problems[1]).toContain("reads file:/history/spark-events");
  });

  it("leaves the other spark.eventLog keys to the user", () => {
    const link = linkedEventLog(
      spec({ sparkConf: { "spark.eventLog.compress": "true", "spark.eventLog.rolling.enabled": "true" } }),
      related(historyServer("hs")),
    );
    expect(link.ok && link.settings).toEqual({
      "spark.eventLog.enabled": "true",
      "spark.eventLog.dir": "file:/history/spark-events",
    });
  });

  it("refuses a driver volume named like the claim's or a driver mount at its path", () => {
    const clashing = linkedEventLog(
      spec({
        volumes: [{ name: "spark-events", emptyDir: {} }],
        driver: { volumeMounts: [{ name: "spark-events", mountPath: "/history/spark-events" }] },
      }),
      related(historyServer("hs")),
    );
    expect(clashing.ok ? [] : clashing.problems.map((problem) => problem.split(":")[0])).toEqual([
      "spec.volumes",
      "spec.historyServer",
    ]);
    const confVolume = linkedEventLog(
      spec({
        sparkConf: {
          "spark.kubernetes.driver.volumes.persistentVolumeClaim.logs.options.claimName": "logs",
          "spark.kubernetes.driver.volumes.persistentVolumeClaim.logs.mount.path": "/history/spark-events",
        },
      }),
      related(historyServer("hs")),
    );
    expect(confVolume.ok).toBe(false);
    const elsewhere = linkedEventLog(
      spec({ driver: { configMaps: [{ name: "lookup", path: "/etc/lookup" }] } }),
      related(historyServer("hs")),
    );
    expect(elsewhere.ok).toBe(true);
  });
});
