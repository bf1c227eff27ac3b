import { describe, expect, it } from "vitest";
import {
  eventLogProperties,
  eventLogVolumeMounts,
  eventLogVolumes,
  HistoryServerReference,
  historyServerRelatedRules,
  observedHistoryServer,
  resolveEventLogTarget,
} from "./event-log.js";

const reference = (input: unknown) => HistoryServerReference.parse(input);
const historyServer = (name: string, spec: unknown) => ({
  apiVersion: "sparkhooks.dev/v1alpha1",
  kind: "SparkHistoryServer",
  metadata: { name, namespace: "spark" },
  spec,
});

describe("resolveEventLogTarget", () => {
  it("writes into the observed sharedVolume history server's claim, mounted where it mounts it", () => {
    const resolved = resolveEventLogTarget(
      reference({ name: "hs" }),
      historyServer("hs", { sharedVolume: { mountPath: "/logs" } }),
    );
    expect(resolved).toEqual({
      ok: true,
      target: {
        directory: "file:/logs",
        volume: { claimName: "hs-claim", mountPath: "/logs" },
        historyServerFound: true,
      },
    });
  });

  it("takes the history server's logDirectory over the mount path, and its remoteURI for remoteStorage", () => {
    const shared = resolveEventLogTarget(
      reference({ name: "hs" }),
      historyServer("hs", { logDirectory: "file:/history/spark-events/apps" }),
    );
    expect(shared.ok && shared.target.directory).toBe("file:/history/spark-events/apps");
    const remote = resolveEventLogTarget(
      reference({ name: "hs", type: "sharedVolume" }),
      historyServer("hs", {
        type: "remoteStorage",
        remoteURI: "s3a://logs/spark",
        logDirectory: "file:/ignored",
      }),
    );
    expect(remote).toEqual({ ok: true, target: { directory: "s3a://logs/spark", historyServerFound: true } });
  });

  it("lets the observed history server win over the reference's own radanalytics fields", () => {
    const resolved = resolveEventLogTarget(
      reference({ name: "hs", type: "remoteStorage", remoteURI: "s3a://stale" }),
      historyServer("hs", {}),
    );
    expect(resolved.ok && resolved.target.directory).toBe("file:/history/spark-events");
  });

  it("falls back to the reference's fields while the history server does not exist", () => {
    expect(resolveEventLogTarget(reference({ name: "hs" }), undefined)).toEqual({
      ok: true,
      target: {
        directory: "file:/history/spark-events",
        volume: { claimName: "hs-claim", mountPath: "/history/spark-events" },
        historyServerFound: false,
      },
    });
    const remote = resolveEventLogTarget(
      reference({ name: "hs", type: "remoteStorage", remoteURI: "gs://b/l" }),
      undefined,
    );
    expect(remote).toEqual({ ok: true, target: { directory: "gs://b/l", historyServerFound: false } });
  });

  it("refuses a remote target with no directory rather than dropping the event logs", () => {
    expect(resolveEventLogTarget(reference({ name: "hs", type: "remoteStorage" }), undefined)).toEqual({
      ok: false,
      message: "SparkHistoryServer hs not found, and historyServer.remoteURI is not set",
    });
    expect(
      resolveEventLogTarget(reference({ name: "hs" }), historyServer("hs", { type: "remoteStorage" })),
    ).toMatchObject({
      ok: false,
      message: expect.stringContaining("without remoteURI"),
    });
    expect(
      resolveEventLogTarget(reference({ name: "hs" }), historyServer("hs", { type: "nfs" })),
    ).toMatchObject({
      ok: false,
      message: expect.stringContaining("invalid spec"),
    });
  });
});

describe("pod pieces", () => {
  it("turns event logging on, and mounts the claim only for a shared volume", () => {
    const shared = {
      directory: "file:/e",
      volume: { claimName: "hs-claim", mountPath: "/e" },
      historyServerFound: true,
    };
    expect(eventLogProperties(shared)).toEqual({
      "spark.eventLog.enabled": "true",
      "spark.eventLog.dir": "file:/e",
    });
    expect(eventLogVolumes(shared)).toEqual([
      { name: "spark-events", persistentVolumeClaim: { claimName: "hs-claim" } },
    ]);
    expect(eventLogVolumeMounts(shared)).toEqual([{ name: "spark-events", mountPath: "/e" }]);
    const remote = { directory: "s3a://b/l", historyServerFound: true };
    expect(eventLogVolumes(remote)).toEqual([]);
    expect(eventLogVolumeMounts(remote)).toEqual([]);
  });
});

describe("customize and lookup", () => {
  it("asks for the named history server in the parent's namespace, and finds it among related objects", () => {
    expect(historyServerRelatedRules(undefined, "spark")).toEqual([]);
    expect(historyServerRelatedRules(reference({ name: "hs" }), "spark")).toEqual([
      {
        apiVersion: "sparkhooks.dev/v1alpha1",
        resource: "sparkhistoryservers",
        namespace: "spark",
        names: ["hs"],
      },
    ]);
    const related = {
      "SparkHistoryServer.sparkhooks.dev/v1alpha1": {
        hs: historyServer("hs", {}),
        other: historyServer("other", {}),
      },
    };
    expect(observedHistoryServer(reference({ name: "hs" }), related)?.metadata.name).toBe("hs");
    expect(observedHistoryServer(reference({ name: "missing" }), related)).toBeUndefined();
  });
});
