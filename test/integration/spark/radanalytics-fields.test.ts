/**
 * radanalytics' optional SparkCluster fields change what Spark does, with the pods the hook
 * renders run as local processes (adapter.ts), init containers first, in order:
 *
 * - mavenDependencies + mavenRepositories: the init container resolves a package that exists
 *   only in a Maven repository this test serves on loopback (it also proves mavenRepositories,
 *   and needs no network), and executors started by the worker can load its class even though
 *   the application was submitted from outside the cluster without --packages. Negative
 *   control: the same job on a cluster without the field cannot.
 * - downloadData: the init container fetches a file into `to` (an emptyDir at /data, and the
 *   pod's /tmp), it is there in the running pods, and a job reads it on the executors. A
 *   download that fails stops the pod before Spark starts (Init:Error).
 * - historyServer: a job submitted from inside the master pod writes its event log into the
 *   directory bound to the claim <hs>-claim (AdaptOptions.persistentVolumes).
 *
 * Needs what spark.test.ts needs, plus the JDK's javac and jar (the test builds the package).
 * Logs: .testbed/logs/spark-fields-*.log.
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
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SyncRequest, type DesiredObject } from "../../../hooks/metacontroller/protocol.js";
import { MASTER_PORT } from "../../../hooks/spark-cluster/names.js";
import { syncSparkCluster } from "../../../hooks/spark-cluster/sync.js";
import { clusterParent } from "../../support/cluster.js";
import { MountTable } from "./adapter.js";
import { ensurePySpark, type PySparkInstall } from "./install.js";
import { LocalCluster, type JobOptions, type PodAddresses, type PodInstance } from "./run.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLUSTER = "fields";
const NAMESPACE = "spark-it";
/** Pod IPs of their own, so this file never competes with spark.test.ts for a port. */
const ADDRESSES: PodAddresses = { master: "127.0.0.12", worker: (index) => `127.0.0.${13 + index}` };
const MARKER = { coordinate: "dev.sparkhooks.it:marker:1.0", className: "dev.sparkhooks.it.Marker" };
const WORDS = "sparkhooks downloads this file before Spark starts\n";

function render(spec: unknown): DesiredObject[] {
  const body = {
    parent: clusterParent(spec, { name: CLUSTER, namespace: NAMESPACE }),
    children: {},
    related: {},
  };
  const result = syncSparkCluster(SyncRequest.parse(JSON.parse(JSON.stringify(body))), new Date());
  expect(result.outcome).toBe("ok");
  return JSON.parse(JSON.stringify(result.response.children)) as DesiredObject[];
}

/** A Maven repository layout (`group/as/path/artifact/version/…`) with one jar and its pom. */
function buildMavenRepository(install: PySparkInstall, root: string): string {
  const source = join(root, "src", "dev", "sparkhooks", "it", "Marker.java");
  mkdirSync(dirname(source), { recursive: true });
  writeFileSync(
    source,
    [
      "package dev.sparkhooks.it;",
      "/** A class no Spark distribution has: loading it proves the jar is on the class path. */",
      "public final class Marker {",
      '  public static String echo(String value) { return "marker-" + value; }',
      "}",
    ].join("\n"),
  );
  const classes = join(root, "classes");
  const run = (tool: string, args: string[]) => {
    const result = spawnSync(join(install.javaHome, "bin", tool), args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(" ")}: ${result.stderr}`);
  };
  run("javac", ["--release", "17", "-d", classes, source]);
  const version = join(root, "maven", "dev", "sparkhooks", "it", "marker", "1.0");
  mkdirSync(version, { recursive: true });
  const jar = join(version, "marker-1.0.jar");
  run("jar", ["cf", jar, "-C", classes, "."]);
  writeFileSync(
    join(version, "marker-1.0.pom"),
    '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>' +
      "<groupId>dev.sparkhooks.it</groupId><artifactId>marker</artifactId><version>1.0</version></project>\n",
  );
  mkdirSync(join(root, "files"), { recursive: true });
  writeFileSync(join(root, "files", "words.txt"), WORDS);
  return jar;
}

/** Serves `root` over HTTP on loopback; counts the GETs of each path. */
async function serve(root: string): Promise<{ server: Server; base: string; gets: Map<string, number> }> {
  const gets = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    if (request.method === "GET") gets.set(path, (gets.get(path) ?? 0) + 1);
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    response.writeHead(200, { "content-length": body.length });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, gets };
}

const MARKER_JOB = [
  "from pyspark.sql import SparkSession",
  'spark = SparkSession.builder.appName("MarkerOnExecutors").getOrCreate()',
  // reflect() runs in the tasks, so each executor must load the class itself.
  "rows = spark.range(0, 8, numPartitions=4).selectExpr(",
  `    "reflect('${MARKER.className}', 'echo', cast(id AS string)) AS m").collect()`,
  'print("Marker rows: " + ",".join(str(row["m"]) for row in rows))',
  "spark.stop()",
];

const READ_JOB = [
  "import os",
  "from pyspark.sql import SparkSession",
  'spark = SparkSession.builder.appName("ReadDownloadedData").getOrCreate()',
  // Each executor's Python worker opens the file in its own pod (DATA_DIR is the pod's env).
  "def read(_):",
  '    with open(os.path.join(os.environ["DATA_DIR"], "words.txt")) as f:',
  "        return f.read().strip()",
  "seen = spark.sparkContext.parallelize(range(4), 4).map(read).distinct().collect()",
  'print("Read on executors: " + "|".join(seen))',
  "spark.stop()",
];

const EVENT_LOG_JOB = [
  "from pyspark.sql import SparkSession",
  'spark = SparkSession.builder.appName("EventLogged").getOrCreate()',
  'print("Sum is", spark.range(0, 100, numPartitions=2).selectExpr("sum(id) AS s").first()["s"])',
  "spark.stop()",
];

const timings: Record<string, string> = {};

describe("radanalytics' optional fields change what Spark does (local processes)", () => {
  let install: PySparkInstall;
  let scratch: string;
  let markerJar: string;
  let repository: { server: Server; base: string; gets: Map<string, number> };

  const job = (extra: Partial<JobOptions> = {}): JobOptions => ({
    masterUrl: `spark://${CLUSTER}:${MASTER_PORT}`,
    executorMemory: "512m",
    coresMax: 1,
    ...extra,
  });

  beforeAll(async () => {
    install = await ensurePySpark(repoRoot);
    scratch = mkdtempSync(join(tmpdir(), "sparkhooks-fields-"));
    markerJar = buildMavenRepository(install, scratch);
    repository = await serve(scratch);
  }, 1_800_000);

  afterAll(async () => {
    await new Promise((closed) => repository.server.close(closed));
    if (process.env.SPARK_TEST_KEEP !== "1") rmSync(scratch, { recursive: true, force: true });
    console.log(
      `Spark field timings:\n${Object.entries(timings)
        .map(([what, value]) => `  ${what}: ${value}`)
        .join("\n")}`,
    );
  });

  const local = (instance: PodInstance, path: string) => new MountTable(instance.local.mounts).resolve(path);

  it("runs downloads and Maven resolution before Spark, and Spark uses both; jobs log events to the history server's claim", async () => {
    const eventLogs = join(scratch, "pv-history");
    mkdirSync(eventLogs);
    const cluster = new LocalCluster(
      render({
        worker: { instances: 1 },
        env: [{ name: "DATA_DIR", value: "/data" }],
        downloadData: [
          { url: `${repository.base}/files/words.txt`, to: "/data/" },
          { url: `${repository.base}/files/words.txt`, to: "/tmp/copy.txt" },
        ],
        mavenDependencies: [MARKER.coordinate],
        mavenRepositories: [`${repository.base}/maven`],
        historyServer: { name: "hs" },
      }),
      {
        repoRoot,
        install,
        namespace: NAMESPACE,
        logPrefix: "fields-",
        addresses: ADDRESSES,
        persistentVolumes: { "hs-claim": eventLogs },
      },
    );
    try {
      const master = await cluster.startMaster();
      await cluster.startWorkers();
      timings["master up after its init containers"] = `${master.seconds.toFixed(1)} s`;
      const pods = [cluster.master, ...cluster.workers];
      for (const pod of pods) {
        const runs = cluster.initRuns[pod.local.podName] ?? [];
        expect(runs.map((run) => run.name.split("/")[1])).toEqual([
          "download-data",
          "resolve-maven-dependencies",
        ]);
        for (const run of runs) {
          expect(run.exit, run.logFile).toEqual({ code: 0, signal: null });
          timings[`${run.name}`] = `${run.seconds.toFixed(1)} s`;
        }
        // downloadData: the file is at `to` in the running pod, in /data and in /tmp.
        expect(readFileSync(local(pod, "/data/words.txt"), "utf8")).toBe(WORDS);
        expect(readFileSync(local(pod, "/tmp/copy.txt"), "utf8")).toBe(WORDS);
        // mavenDependencies: Spark's resolution retrieved the jar into the pod's volume.
        expect(existsSync(local(pod, "/opt/spark/maven/jars/dev.sparkhooks.it_marker-1.0.jar"))).toBe(true);
      }
      // Every pod fetched for itself (once per pod and entry), from the repository it was given.
      expect(repository.gets.get("/files/words.txt")).toBe(2 * pods.length);
      expect(repository.gets.get("/maven/dev/sparkhooks/it/marker/1.0/marker-1.0.jar")).toBe(pods.length);

      // (a) A client outside the cluster, with the class only on its own class path: the
      // executors the worker starts load it from the jars the init container resolved.
      const marker = await cluster.runPython(
        "fields-marker",
        MARKER_JOB,
        [],
        job({ submitOptions: ["--driver-class-path", markerJar] }),
      );
      expect(marker.exit, marker.logFile).toEqual({ code: 0, signal: null });
      expect(marker.output).toContain(
        `Marker rows: ${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `marker-${i}`).join(",")}`,
      );
      timings["Marker job on executors"] = `${marker.seconds.toFixed(1)} s`;
      const executorCommands = Object.values(cluster.executorLogs())
        .flat()
        .filter((file) => file.path.endsWith("/stderr"))
        .map((file) => /Spark Executor Command: (.*)/.exec(file.text)?.[1] ?? "");
      expect(executorCommands.length).toBeGreaterThan(0);
      const workerJars = local(cluster.workers[0]!, "/opt/spark/maven/jars");
      for (const command of executorCommands) expect(command).toContain(`${workerJars}/*`);

      // (b) Executors read the downloaded file in their own pod.
      const read = await cluster.runPython("fields-read", READ_JOB, [], job());
      expect(read.exit, read.logFile).toEqual({ code: 0, signal: null });
      expect(read.output).toContain(`Read on executors: ${WORDS.trim()}\n`);

      // (c) Submitted from inside the master pod, with the pod's spark-defaults.conf: the event
      // log lands in the directory bound to the history server's claim.
      const logged = await cluster.runPython(
        "fields-event-log",
        EVENT_LOG_JOB,
        [],
        job({
          fromPod: cluster.master,
          // Spark 4 compresses event logs with zstd by default; plain text lets the test read them.
          submitOptions: ["--conf", "spark.eventLog.compress=false"],
        }),
      );
      expect(logged.exit, logged.logFile).toEqual({ code: 0, signal: null });
      expect(logged.output).toContain("Sum is 4950");
      // Spark 4 rolls event logs by default (spark.eventLog.rolling.enabled): a directory
      // eventlog_v2_<app id> of events_<n>_<app id> files; one file app-<id> without rolling.
      const logs = readdirSync(eventLogs);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/^(eventlog_v2_)?app-/);
      const logPath = join(eventLogs, logs[0]!);
      const events = statSync(logPath).isDirectory()
        ? readdirSync(logPath)
            .filter((file) => file.startsWith("events_"))
            .sort()
            .map((file) => readFileSync(join(logPath, file), "utf8"))
            .join("")
        : readFileSync(logPath, "utf8");
      expect(events).toContain('"Event":"SparkListenerApplicationStart","App Name":"EventLogged"');
      expect(events).toContain('"Event":"SparkListenerApplicationEnd"');
    } finally {
      await cluster.stop();
    }
  }, 600_000);

  it("negative control: without mavenDependencies the executors cannot load the class", async () => {
    const cluster = new LocalCluster(render({ worker: { instances: 1 } }), {
      repoRoot,
      install,
      namespace: NAMESPACE,
      logPrefix: "fields-negative-",
      addresses: ADDRESSES,
    });
    try {
      await cluster.startMaster();
      await cluster.startWorkers();
      expect(cluster.master.init).toEqual([]);
      const marker = await cluster.runPython(
        "fields-marker-negative",
        MARKER_JOB,
        [],
        job({ submitOptions: ["--driver-class-path", markerJar] }),
      );
      expect(marker.exit.code).not.toBe(0);
      expect(marker.output).not.toContain("Marker rows: marker-0");
      // The driver has the class (--driver-class-path); the executor's tasks do not.
      expect(marker.output).toMatch(
        /Lost task .* executor 0\): java\.lang\.ClassNotFoundException: dev\.sparkhooks\.it\.Marker/,
      );
    } finally {
      await cluster.stop();
    }
  }, 600_000);

  it("negative control: a download that fails stops the pod before Spark starts", async () => {
    const cluster = new LocalCluster(
      render({
        worker: { instances: 1 },
        downloadData: [{ url: `${repository.base}/files/missing.csv`, to: "/data/" }],
      }),
      { repoRoot, install, namespace: NAMESPACE, logPrefix: "fields-failed-download-", addresses: ADDRESSES },
    );
    try {
      await expect(cluster.startMaster(10_000)).rejects.toThrow(
        /init container .*download-data exited with \{"code":[1-9]/,
      );
      expect(cluster.master.running).toBeUndefined();
    } finally {
      await cluster.stop();
    }
  }, 120_000);
});
