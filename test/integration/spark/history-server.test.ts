/**
 * The pod the SparkHistoryServer hook renders runs Spark's history server and shows what real
 * Spark wrote: PySpark's Pi runs (spark-submit, local[2]) with spark.eventLog.enabled=true and
 * spark.eventLog.dir=file:<dir>, as an application linked to the history server by name sets
 * them; then the history server pod from the real sync hook starts as a local process
 * (adapter.ts) with its claim `<name>-claim` bound to that directory (a ReadWriteMany volume
 * shared by writer and reader), passes its own readiness probe (/api/v1/version), and lists the
 * finished application through its REST API (/api/v1/applications). Negative control: the
 * same pod rendered for another, empty volume lists no application.
 *
 * The claim is mounted at a mountPath equal to the local directory bound to it, so the
 * rendered log directory `file:<mountPath>` names the same directory in the pod and on this
 * host: adapter.ts maps paths in arguments, not inside the properties file.
 *
 * Needs Python 3 with venv and a Java 17+ JDK (pyspark from install.ts). Run under
 * `flock /tmp/bed.lock`. Logs: .testbed/logs/spark-history-*.log; timings:
 * .testbed/logs/spark-history-server.json.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { IConfigMap, IPod, IService } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SyncRequest, type DesiredObject } from "../../../hooks/metacontroller/protocol.js";
import { syncSparkHistoryServer } from "../../../hooks/spark-history-server/sync.js";
import { serverParent } from "../../support/history-servers.js";
import { adaptPod, httpProbeUrl, serviceHosts } from "./adapter.js";
import { ensurePySpark, type PySparkInstall } from "./install.js";
import { assertBindable, httpGet, startProcess, stopProcess, waitFor, type RunningProcess } from "./run.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const logDir = join(repoRoot, ".testbed", "logs");
const NAMESPACE = "spark-it";
const SERVER = "history";
const POD_IP = "127.0.0.50";
const PORT = 18080;
const APP_NAME = "PythonPi";

interface Application {
  readonly id: string;
  readonly name: string;
  readonly attempts: readonly { readonly completed: boolean; readonly sparkUser?: string }[];
}

/** The hook's answer to Metacontroller's first sync of a new SparkHistoryServer, over the wire format. */
function render(spec: unknown): DesiredObject[] {
  const body = {
    parent: serverParent(spec, { name: SERVER, namespace: NAMESPACE }),
    children: {},
    related: {},
  };
  const result = syncSparkHistoryServer(SyncRequest.parse(JSON.parse(JSON.stringify(body))), new Date());
  expect(result.outcome).toBe("ok");
  return JSON.parse(JSON.stringify(result.response.children)) as DesiredObject[];
}

function ofKind<T>(children: readonly DesiredObject[], kind: string): T[] {
  return children.filter((child) => child.kind === kind) as unknown as T[];
}

const timings: Record<string, number> = {};

describe("the SparkHistoryServer pod shows what real Spark wrote (local processes)", () => {
  let install: PySparkInstall;
  // Digits only: the path ends up in SPARK_DAEMON_JAVA_OPTS, which Spark's launcher rejects
  // when it merely contains "Xmx".
  const scratch = join(tmpdir(), `sparkhooks-history-${process.pid}-${Date.now()}`);
  const eventsDir = join(scratch, "events");
  const otherDir = join(scratch, "other-events");
  const started: RunningProcess[] = [];

  beforeAll(async () => {
    mkdirSync(eventsDir, { recursive: true });
    mkdirSync(otherDir, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    install = await ensurePySpark(repoRoot);
  }, 1_800_000);

  afterAll(async () => {
    for (const running of started) await stopProcess(running);
    rmSync(scratch, { recursive: true, force: true });
    writeFileSync(join(logDir, "spark-history-server.json"), `${JSON.stringify(timings, null, 2)}\n`);
    console.log(`history server timings (s): ${JSON.stringify(timings)}`);
  });

  /** PySpark's Pi in local mode, writing its event log where a linked application would. */
  async function writeEventLog(): Promise<string> {
    const work = join(scratch, "writer");
    mkdirSync(join(work, "conf"), { recursive: true });
    mkdirSync(join(work, "tmp"), { recursive: true });
    const begin = performance.now();
    const writer = startProcess(
      "pi-writer",
      {
        command: join(install.sparkHome, "bin", "spark-submit"),
        args: [
          "--master",
          "local[2]",
          "--conf",
          "spark.eventLog.enabled=true",
          "--conf",
          `spark.eventLog.dir=file:${eventsDir}`,
          "--conf",
          "spark.ui.enabled=false",
          join(repoRoot, "test", "integration", "spark", "pi.py"),
          "4",
        ],
        env: {
          PATH: `${join(install.javaHome, "bin")}:/usr/local/bin:/usr/bin:/bin`,
          JAVA_HOME: install.javaHome,
          SPARK_HOME: install.sparkHome,
          SPARK_CONF_DIR: join(work, "conf"),
          SPARK_LOCAL_IP: "127.0.0.1",
          PYSPARK_PYTHON: install.python,
          PYSPARK_DRIVER_PYTHON: install.python,
          TMPDIR: join(work, "tmp"),
          SPARK_SUBMIT_OPTS: `-Djava.io.tmpdir=${join(work, "tmp")}`,
        },
        cwd: work,
      },
      join(logDir, "spark-history-writer.log"),
    );
    started.push(writer);
    const exit = await writer.exited;
    timings["Pi with event log, spark-submit to exit"] = (performance.now() - begin) / 1000;
    expect(exit, readFileSync(writer.logFile, "utf8").slice(-3000)).toEqual({ code: 0, signal: null });
    expect(readFileSync(writer.logFile, "utf8")).toMatch(/Pi is roughly 3\.1/);
    // Spark 4 writes rolling event logs (spark.eventLog.rolling.enabled): a directory
    // eventlog_v2_<app id> whose appstatus_<app id> file loses its .inprogress suffix when the
    // application ends; Spark 3 a single file <app id>, renamed from <app id>.inprogress.
    const logs = readdirSync(eventsDir);
    expect(logs).toHaveLength(1);
    const [entry = ""] = logs;
    const appId = entry.replace(/^eventlog_v2_/, "");
    expect(appId).toMatch(/^local-\d+$/);
    if (entry !== appId) expect(readdirSync(join(eventsDir, entry))).toContain(`appstatus_${appId}`);
    return appId;
  }

  /** Renders the history server for a claim mounted at `mountPath`, starts its pod and waits until it is ready. */
  async function startHistoryServer(
    label: string,
    mountPath: string,
  ): Promise<{ pod: IPod; running: RunningProcess }> {
    const children = render({ sharedVolume: { mountPath }, updateInterval: 1 });
    const [pod] = ofKind<IPod>(children, "Pod");
    if (pod === undefined) throw new Error("no pod rendered");
    const configMaps = ofKind<IConfigMap>(children, "ConfigMap");
    const conf = configMaps[0]?.data?.["spark-defaults.conf"] ?? "";
    expect(conf).toContain(`spark.history.fs.logDirectory=file:${mountPath}`);
    expect(conf).toContain(`spark.history.ui.port=${PORT}`);
    expect(pod.spec?.volumes).toContainEqual({
      name: "event-logs",
      persistentVolumeClaim: { claimName: "history-claim" },
    });
    const local = adaptPod(pod, {
      runtime: { sparkHome: install.sparkHome, javaHome: install.javaHome },
      podIP: POD_IP,
      namespace: NAMESPACE,
      scratchDir: join(scratch, `pod-${label}`),
      configMaps,
      hosts: serviceHosts(ofKind<IService>(children, "Service"), [{ pod, ip: POD_IP }], NAMESPACE),
      persistentVolumes: { "history-claim": mountPath },
    });
    await assertBindable(POD_IP, PORT);
    const begin = performance.now();
    const running = startProcess(local.podName, local, join(logDir, `spark-history-${label}.log`));
    started.push(running);
    const readiness = httpProbeUrl(pod, POD_IP, "readinessProbe");
    expect(readiness).toBe(`http://${POD_IP}:${PORT}/api/v1/version`);
    const version = await waitFor(
      `the readiness probe ${readiness}`,
      async () => {
        const response = await httpGet(readiness);
        return response.status === 200 ? (JSON.parse(response.body) as { spark: string }) : undefined;
      },
      { timeoutMs: 180_000, watch: [running] },
    );
    expect(version.spark).toBe(install.version);
    timings[`${label}: start to ready`] = (performance.now() - begin) / 1000;
    return { pod, running };
  }

  async function applications(): Promise<Application[]> {
    const response = await httpGet(`http://${POD_IP}:${PORT}/api/v1/applications`);
    expect(response.status).toBe(200);
    return JSON.parse(response.body) as Application[];
  }

  it("lists the finished application from the shared event log directory", async () => {
    const appId = await writeEventLog();
    const { running } = await startHistoryServer("events", eventsDir);
    const begin = performance.now();
    const listed = await waitFor(
      "the application in /api/v1/applications",
      async () => {
        const apps = await applications();
        return apps.length > 0 ? apps : undefined;
      },
      { timeoutMs: 60_000, watch: [running] },
    );
    timings["events: ready to application listed"] = (performance.now() - begin) / 1000;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: appId, name: APP_NAME });
    expect(listed[0]?.attempts.map((attempt) => attempt.completed)).toEqual([true]);
    // Its jobs replay from the log: Pi's one reduce job, succeeded.
    const jobs = await httpGet(`http://${POD_IP}:${PORT}/api/v1/applications/${appId}/jobs`);
    expect(jobs.status).toBe(200);
    expect((JSON.parse(jobs.body) as { status: string }[]).map((job) => job.status)).toEqual(["SUCCEEDED"]);
    await stopProcess(running);
  });

  it("lists no application when rendered for another, empty volume (negative control)", async () => {
    // The control means something only while the shared directory holds an application.
    expect(readdirSync(eventsDir)).toHaveLength(1);
    const { running } = await startHistoryServer("other", otherDir);
    // Three scans of the directory at updateInterval 1 s.
    await new Promise((done) => setTimeout(done, 3_000));
    expect(running.exit).toBeUndefined();
    expect(await applications()).toEqual([]);
    await stopProcess(running);
  });
});
