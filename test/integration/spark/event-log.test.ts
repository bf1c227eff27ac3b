/**
 * Real Spark from a SparkApplication linked to a SparkHistoryServer (spec.historyServer): the
 * children our controller renders when the history server `hs` (radanalytics' sharedVolume
 * example) is observed in `related` are created in the bed and run as in application.test.ts
 * (the driver locally, its executors from our template), with the claim hs-claim standing for
 * one directory on this machine (AdaptOptions.persistentVolumes), the way a ReadWriteMany volume
 * is one directory for every pod that mounts it. The event logs reach that directory only
 * through the driver pod's mount of the claim: without it the same path would be in the pod's
 * own /tmp. The driver must write the application's event log there, complete: Spark writes
 * `<appId>.inprogress` (3.5) or `eventlog_v2_<appId>/` with an `appstatus_<appId>.inprogress`
 * marker (4.x, which rolls and compresses event logs by default) and drops `.inprogress` only
 * when the application stops.
 *
 * Then the history server: its pod as the SparkHistoryServer controller renders it for the same
 * object, run locally on the same claim directory, must list the application as completed in
 * its REST API (`/api/v1/applications`), which it can only do from a complete event log.
 *
 * The scheduler leaves a pod with an unbound claim Pending, and the bed has no storage
 * provisioner: the test creates a PersistentVolume reserved for the claim (claimRef), as an
 * administrator pre-creates one, and the bed's PersistentVolume binder binds the claim to it
 * before the driver pod is created. (A claim created already bound, with volumeName and the
 * bind-completed annotation, races the binder's cache: a claim it sees before the volume is
 * marked Lost for good.)
 *
 * Needs the bed (global setup), Python 3 with venv and a Java 17 JDK; pyspark as in
 * application.test.ts. Logs: .testbed/logs/spark-eventlog-*.log; timings in
 * .testbed/logs/spark-event-log.json.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { IConfigMap, IPod } from "kubernetes-models/v1";
import { parse as parseYaml } from "yaml";
import { SyncRequest, type KubeObject } from "../../../hooks/metacontroller/protocol.js";
import { syncSparkHistoryServer } from "../../../hooks/spark-history-server/sync.js";
import { DEFAULT_SPARK_VERSION } from "../../../hooks/spark/image.js";
import { sparkAppId } from "../../../hooks/spark-application/names.js";
import { eventually } from "../eventually.js";
import { repoRoot } from "../paths.js";
import { Kube } from "../scenarios/kube.js";
import { applicationChildren, prepareDriverNamespace } from "./application-children.js";
import { ensureExamples, PI_PY_PATH } from "./examples.js";
import { ensurePySpark } from "./install.js";
import { SparkKubelet } from "./kubelet.js";
import { adaptPod, hostPort, type LocalRuntime } from "./adapter.js";
import { startProcess, stopProcess } from "./run.js";

const VERSIONS = ["3.5.9", DEFAULT_SPARK_VERSION];
const HISTORY_SERVER = "hs";
const CLAIM = `${HISTORY_SERVER}-claim`;
/** A loopback address of its own for the history server process (the bed's pods are on 127.128.0.0/16). */
const HISTORY_SERVER_IP = "127.0.0.71";
const logDir = join(repoRoot, ".testbed", "logs");
const timings: Record<string, unknown>[] = [];

/**
 * The SparkHistoryServer as a user creates it and Metacontroller observes it: radanalytics'
 * sharedVolume example (examples/sparkhistoryserver/history-server.yaml), named `hs`, on this
 * Spark version, with its mountPath and logDirectory (`/history/spark-events` there) moved to
 * `mountPath`. The test uses the local directory bound to the claim as that path, so the
 * history server's logDirectory names the same directory in the pod and on this host: adapter.ts
 * maps container paths in arguments (and the driver's spark.properties), not inside the history
 * server's spark-defaults.conf. Like the example, logDirectory has no scheme: Spark resolves a
 * bare path to `file:` on both sides (Utils.resolveURI).
 */
function historyServerObject(namespace: string, version: string, mountPath: string): KubeObject {
  const example = parseYaml(
    readFileSync(join(repoRoot, "examples", "sparkhistoryserver", "history-server.yaml"), "utf8"),
  ) as KubeObject & { spec: Record<string, unknown> };
  const sharedVolume = example.spec["sharedVolume"] as Record<string, unknown>;
  return {
    ...example,
    metadata: { name: HISTORY_SERVER, namespace, uid: `uid-${HISTORY_SERVER}`, generation: 1 },
    spec: {
      ...example.spec,
      sparkVersion: version,
      sharedVolume: { ...sharedVolume, mountPath },
      logDirectory: mountPath,
    },
  };
}

/** The history server's pod and ConfigMap as its controller renders them for a first sync. */
function historyServerChildren(server: KubeObject): { pod: IPod; configMap: IConfigMap } {
  const request = SyncRequest.parse(
    JSON.parse(JSON.stringify({ parent: server, children: {}, related: {} })),
  );
  const result = syncSparkHistoryServer(request, new Date());
  if (result.outcome !== "ok") throw new Error(`the controller answered ${result.outcome}`);
  const children = JSON.parse(JSON.stringify(result.response.children)) as (IPod | IConfigMap)[];
  const pod = children.find((child): child is IPod => child.kind === "Pod");
  const configMap = children.find((child): child is IConfigMap => child.kind === "ConfigMap");
  if (pod === undefined || configMap === undefined) throw new Error("no history server pod or ConfigMap");
  return { pod, configMap };
}

interface ApplicationView {
  readonly id: string;
  readonly name: string;
  readonly attempts: readonly { readonly completed: boolean; readonly sparkUser?: string }[];
}

function piSpec(version: string): Record<string, unknown> {
  return {
    type: "Python",
    mainApplicationFile: `local://${PI_PY_PATH}`,
    sparkVersion: version,
    arguments: ["4"],
    driver: { memory: "512m", serviceAccount: "spark-driver" },
    executor: { instances: 1, cores: 1, memory: "512m" },
    historyServer: { name: HISTORY_SERVER },
  };
}

/** The claim, bound by the bed's binder to a volume reserved for it (see above). */
async function boundClaim(kube: Kube, namespace: string): Promise<void> {
  const volume = `${namespace}-${CLAIM}`;
  await kube.create("/api/v1/persistentvolumes", {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: volume },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      // Never mounted: the bed's kubelet maps the claim to a local directory.
      hostPath: { path: "/nonexistent" },
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name: CLAIM },
    },
  });
  const claim = `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${CLAIM}`;
  await kube.create(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: CLAIM },
    spec: {
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "",
    },
  });
  await eventually(
    `${CLAIM} bound to ${volume}`,
    async () => {
      const observed = await kube.get<{ spec?: { volumeName?: string }; status?: { phase?: string } }>(claim);
      return observed.status?.phase === "Bound" && observed.spec?.volumeName === volume ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

/** The event log entries of `appId` in `dir`, with the files inside a rolled (v2) log directory. */
function eventLogEntries(dir: string, appId: string): { name: string; files: string[] }[] {
  return readdirSync(dir)
    .filter((name) => name.includes(appId))
    .map((name) => ({
      name,
      files: statSync(join(dir, name)).isDirectory() ? readdirSync(join(dir, name)).sort() : [],
    }));
}

/** The JSON events of an event log file, decompressing zstd with the `zstd` tool when present. */
function eventsOf(file: string): string | undefined {
  if (!file.endsWith(".zstd")) return readFileSync(file, "utf8");
  const zstd = spawnSync("zstd", ["-dc", file], { encoding: "utf8" });
  return zstd.status === 0 ? zstd.stdout : undefined;
}

describe.each(VERSIONS)("Spark %s: a SparkApplication linked to a SparkHistoryServer", (version) => {
  const bed = inject("bed");
  const kube = new Kube(bed.kubeconfigPath);
  const namespace = `spark-eventlog-${version.replaceAll(".", "")}-${Date.now().toString(36)}`;
  let kubelet: SparkKubelet;
  let scratch: string;
  let eventDir: string;
  let runtime: LocalRuntime;
  /** The id of the application the first test ran, for the history server to list. */
  let appId: string | undefined;

  beforeAll(async () => {
    const install = await ensurePySpark(repoRoot, version);
    const examples = await ensureExamples(repoRoot, install);
    await kube.create("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    await prepareDriverNamespace(kube, namespace);
    await boundClaim(kube, namespace);
    scratch = mkdtempSync(join(tmpdir(), "sparkhooks-eventlog-"));
    eventDir = join(scratch, "hs-claim");
    mkdirSync(eventDir);
    runtime = {
      sparkHome: install.sparkHome,
      javaHome: install.javaHome,
      examplesDir: examples.dir,
      pythonBin: install.pythonBin,
    };
    kubelet = new SparkKubelet({
      kube,
      kubeconfigPath: bed.kubeconfigPath,
      namespace,
      runtime,
      apiServer: new URL(bed.server),
      scratchDir: join(scratch, "pods"),
      logDir,
      logPrefix: `eventlog-${version}-`,
      persistentVolumes: { [CLAIM]: eventDir },
    });
    kubelet.start();
  });

  afterAll(async () => {
    await kubelet?.stop();
    await kube.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    await kube.delete(`/api/v1/persistentvolumes/${namespace}-${CLAIM}`).catch(() => undefined);
    if (process.env.SPARK_TEST_KEEP !== "1" && scratch !== undefined) {
      rmSync(scratch, { recursive: true, force: true });
    }
    mkdirSync(logDir, { recursive: true });
    const file = join(logDir, "spark-event-log.json");
    const earlier = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>[])
      : [];
    writeFileSync(
      file,
      `${JSON.stringify([...earlier.filter((entry) => entry.version !== version), ...timings.filter((t) => t.version === version)], null, 2)}\n`,
    );
  });

  it("writes the application's complete event log into the history server's claim", async () => {
    const name = "pi-linked";
    const children = applicationChildren({ name, namespace, uid: `uid-${name}` }, piSpec(version), {}, [
      historyServerObject(namespace, version, eventDir),
    ]);
    expect(children.properties).toMatchObject({
      "spark.eventLog.enabled": "true",
      "spark.eventLog.dir": eventDir,
    });
    expect(children.driver.spec?.volumes).toContainEqual({
      name: "spark-events",
      persistentVolumeClaim: { claimName: CLAIM },
    });
    expect(children.driver.spec?.containers[0]?.volumeMounts).toContainEqual({
      name: "spark-events",
      mountPath: eventDir,
    });
    // Only the driver writes event logs; the executor template has no claim to wait for.
    expect(JSON.stringify(children.executorTemplate)).not.toContain(CLAIM);
    const base = `/api/v1/namespaces/${namespace}`;
    await kube.create(`${base}/configmaps`, children.configMap);
    for (const service of children.services) await kube.create(`${base}/services`, service);
    await kube.create(`${base}/pods`, children.driver);
    const driverName = children.driver.metadata.name;

    const { run: driver, status } = await kubelet.finished(driverName, 280_000);
    const output = readFileSync(driver.running.logFile, "utf8");
    expect(driver.running.exit, output.split("\n").slice(-60).join("\n")).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/Pi is roughly 3\.1\d*/);
    expect(status?.status?.phase).toBe("Succeeded");
    expect([...kubelet.failures]).toEqual([]);
    const executors = [...kubelet.runs.values()].filter(
      (entry) => entry.pod.metadata?.labels?.["spark-role"] === "executor",
    );
    expect(executors.length).toBeGreaterThan(0);

    appId = sparkAppId(children.run);
    const entries = eventLogEntries(eventDir, appId);
    console.log(JSON.stringify({ version, eventDir: readdirSync(eventDir), entries }));
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    if (entry === undefined) return;
    let eventsFile: string;
    if (entry.files.length === 0) {
      // One file, renamed from <appId>.inprogress when the application stopped.
      expect(entry.name).toBe(appId);
      eventsFile = join(eventDir, entry.name);
    } else {
      // Rolled: the appstatus marker lost .inprogress when the application stopped.
      expect(entry.name).toBe(`eventlog_v2_${appId}`);
      expect(entry.files).toContain(`appstatus_${appId}`);
      expect(entry.files.filter((file) => file.endsWith(".inprogress"))).toEqual([]);
      const events = entry.files.filter((file) => file.startsWith("events_"));
      expect(events.length).toBeGreaterThan(0);
      eventsFile = join(eventDir, entry.name, events[events.length - 1] ?? "");
    }
    const events = eventsOf(eventsFile);
    if (events === undefined) {
      console.log(`no zstd tool: ${eventsFile} is not read; the appstatus marker says it is complete`);
    } else {
      expect(events).toContain('"Event":"SparkListenerApplicationStart"');
      expect(events).toContain(`"App ID":"${appId}"`);
      expect(events).toContain('"Event":"SparkListenerApplicationEnd"');
    }
    const entryTiming = {
      version,
      driverSeconds: Math.round((performance.now() - driver.startedAt) / 100) / 10,
      eventLog: entry,
    };
    timings.push(entryTiming);
  });

  it("the history server, run from its controller's pod on the same claim, lists the application as completed", async () => {
    expect(appId, "the application above ran").toBeDefined();
    const { pod, configMap } = historyServerChildren(historyServerObject(namespace, version, eventDir));
    // It reads the claim where the driver wrote: the same claim, the same path, the same directory.
    expect(pod.spec?.volumes).toContainEqual(
      expect.objectContaining({ persistentVolumeClaim: { claimName: CLAIM } }),
    );
    expect(pod.spec?.containers[0]?.volumeMounts).toContainEqual(
      expect.objectContaining({ mountPath: eventDir }),
    );
    const local = adaptPod(pod, {
      runtime,
      podIP: HISTORY_SERVER_IP,
      namespace,
      scratchDir: join(scratch, "history-server"),
      configMaps: [configMap],
      hosts: [],
      persistentVolumes: { [CLAIM]: eventDir },
    });
    const port = pod.spec?.containers[0]?.ports?.[0]?.containerPort ?? 18080;
    const logFile = join(logDir, `spark-eventlog-${version}-history-server.log`);
    const started = performance.now();
    const running = startProcess("history-server", local, logFile);
    try {
      const url = `http://${hostPort(HISTORY_SERVER_IP, port)}/api/v1/applications`;
      const listed = await eventually(
        `${appId ?? ""} completed in ${url}`,
        async () => {
          if (running.exit !== undefined) throw new Error(`the history server exited: ${logFile}`);
          const response = await fetch(url).catch(() => undefined);
          if (response?.status !== 200) return undefined;
          const applications = (await response.json()) as ApplicationView[];
          const app = applications.find((candidate) => candidate.id === appId);
          return app?.attempts.every((attempt) => attempt.completed) === true ? app : undefined;
        },
        { timeoutMs: 120_000 },
      );
      // pi.py names itself (SparkSession.builder.appName), over spark.app.name; the id is the run's.
      expect(listed.name).toBe("PythonPi");
      expect(listed.attempts).toHaveLength(1);
      expect(listed.attempts[0]?.completed).toBe(true);
      timings.push({
        version,
        historyServerListedSeconds: Math.round((performance.now() - started) / 100) / 10,
      });
    } finally {
      await stopProcess(running, 10_000);
    }
  });
});
