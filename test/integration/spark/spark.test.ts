/**
 * The pods the SparkCluster hook renders run Spark: the master and two workers start from the
 * rendered pods (mapped to local processes by adapter.ts, see there for what is emulated), the
 * workers register with the cores and memory their arguments give, and PySpark's Pi example
 * runs on the cluster through the `<cluster>` Service name. When the master pod is replaced
 * (new pod IP), the workers find it again through the Service because of the rendered
 * spark.worker.preferConfiguredMasterAddress=true. A worker's rendered readiness probe fails
 * while it has no master and passes once it has registered; the scrape annotations lead to
 * Prometheus text; master and worker on an IPv6 pod IP register; with fixedUserIds: false
 * the pods run as a uid the image does not know, as on OpenShift. Negative controls show that
 * all this would catch a bug: a wrong class name, a wrong configuration path, that setting
 * turned off, `--host` with an IPv6 pod IP, and an unknown uid without the passwd step.
 *
 * Needs Python 3 with venv and a Java 17+ JDK; installs pyspark into .testbed/spark/venv once
 * (about 456 MB). Logs: .testbed/logs/spark-*.log.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { IConfigMap, IPod, IService } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SyncRequest, type DesiredObject } from "../../../hooks/metacontroller/protocol.js";
import { parseQuantity, toMebibytes } from "../../../hooks/kube/quantity.js";
import { LABEL_COMPONENT } from "../../../hooks/spark/labels.js";
import { MASTER_PORT, WORKER_UI_PORT } from "../../../hooks/spark-cluster/names.js";
import { syncSparkCluster } from "../../../hooks/spark-cluster/sync.js";
import { clusterParent } from "../../support/cluster.js";
import {
  adaptPod,
  EMULATED_ENV,
  expandKubeVars,
  MountTable,
  serviceHosts,
  type AdaptOptions,
} from "./adapter.js";
import { ensurePySpark, type PySparkInstall } from "./install.js";
import {
  clearSparkLogs,
  httpGet,
  LocalCluster,
  MASTER_IP,
  masterStatus,
  PI_APP_NAME,
  runSparkCluster,
  unbracketed,
  waitFor,
  workerIP,
  type MasterStatus,
  type PodAddresses,
  type ProbeResult,
  type SparkRunReport,
} from "./run.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLUSTER = "pi";
const NAMESPACE = "spark-it";

/** The hook's answer to Metacontroller's first sync of a new SparkCluster, over the wire format. */
function render(spec: unknown): DesiredObject[] {
  const body = {
    parent: clusterParent(spec, { name: CLUSTER, namespace: NAMESPACE }),
    children: {},
    related: {},
  };
  const request = SyncRequest.parse(JSON.parse(JSON.stringify(body)));
  const result = syncSparkCluster(request, new Date());
  expect(result.outcome).toBe("ok");
  return JSON.parse(JSON.stringify(result.response.children)) as DesiredObject[];
}

function podsOf(children: readonly DesiredObject[], component: string): IPod[] {
  return (children as IPod[]).filter(
    (child) => child.kind === "Pod" && child.metadata?.labels?.[LABEL_COMPONENT] === component,
  );
}

function argsOf(pod: IPod): string[] {
  return pod.spec?.containers[0]?.args ?? [];
}

function flagValue(args: readonly string[], flag: string): string {
  const index = args.indexOf(flag);
  const value = args[index + 1];
  if (index === -1 || value === undefined) throw new Error(`no ${flag} in ${args.join(" ")}`);
  return value;
}

/** `1024m` → 1024, `2g` → 2048: what the master reports in MiB. */
function mebibytes(memory: string): number {
  const match = /^(\d+)([mg])$/i.exec(memory);
  if (match === null) throw new Error(`unexpected --memory ${memory}`);
  return Number(match[1]) * (match[2]?.toLowerCase() === "g" ? 1024 : 1);
}

const timings: Record<string, string> = {};

describe("SparkCluster pods run Spark (local processes)", () => {
  let install: PySparkInstall;

  beforeAll(async () => {
    clearSparkLogs(repoRoot);
    install = await ensurePySpark(repoRoot);
    timings[`pyspark ${install.version} ${install.cached ? "(cached)" : "install"}`] =
      `${install.seconds.toFixed(1)} s`;
    timings.java = `${install.javaVersion} (${install.javaHome})`;
  }, 1_800_000);

  afterAll(() => {
    console.log(
      `Spark integration timings:\n${Object.entries(timings)
        .map(([what, value]) => `  ${what}: ${value}`)
        .join("\n")}`,
    );
  });

  it("renders the Spark version the local distribution has", () => {
    const [master] = podsOf(render({ worker: { instances: 2 } }), "master");
    expect(master?.spec?.containers[0]?.image).toBe(`apache/spark:${install.version}`);
  });

  it("runs a master, two workers and the Pi example through the Service name", async () => {
    const children = render({ worker: { instances: 2 } });
    const masterPods = podsOf(children, "master");
    const workerPods = podsOf(children, "worker");
    expect(masterPods).toHaveLength(1);
    expect(workerPods).toHaveLength(2);

    const report: SparkRunReport = await runSparkCluster(children, {
      repoRoot,
      install,
      namespace: NAMESPACE,
      cluster: CLUSTER,
      partitions: 10,
    });
    timings["master up (/json/ ALIVE)"] = `${report.masterSeconds.toFixed(1)} s`;
    timings["2 workers registered"] = `${report.workersSeconds.toFixed(1)} s`;
    timings["Pi job (spark-submit to exit)"] = `${report.pi.seconds.toFixed(1)} s`;
    timings["Pi job (Spark's job time)"] = `${((report.pi.jobMs ?? NaN) / 1000).toFixed(1)} s`;
    for (const [pod, mib] of Object.entries(report.peakRssMiB)) timings[`peak RSS ${pod}`] = `${mib} MiB`;
    for (const local of report.adapted) {
      console.log(`${local.podName} @ ${local.podIP}: ${[local.command, ...local.args].join(" ")}`);
      for (const deviation of local.deviations) console.log(`  deviation: ${deviation}`);
    }

    // The adapter changed no argument but paths and $(POD_IP): what ran is what was rendered.
    for (const local of report.adapted) {
      const pod = [...masterPods, ...workerPods].find((p) => p.metadata?.name === local.podName)!;
      const rendered = argsOf(pod).map((arg) => arg.replaceAll("$(POD_IP)", local.podIP));
      expect(local.args).toHaveLength(rendered.length - 1);
      // …and its environment is the container's plus the documented emulation, nothing else.
      const declared = new Set((pod.spec?.containers[0]?.env ?? []).map((entry) => entry.name));
      const extra = Object.keys(local.env).filter((name) => !declared.has(name));
      expect(extra.filter((name) => !EMULATED_ENV.includes(name))).toEqual([]);
      expect(local.args.filter((arg) => !arg.startsWith("/"))).toEqual(
        rendered.slice(1).filter((arg) => !arg.startsWith("/")),
      );
    }

    // Master: bound to its pod IP on the rendered port, ALIVE.
    const master = report.masterAfterWorkers;
    expect(master.status).toBe("ALIVE");
    expect(master.url).toBe(`spark://${MASTER_IP}:${flagValue(argsOf(masterPods[0]!), "--port")}`);

    // Workers: registered through spark://<cluster>:7077 with what their arguments say.
    expect(master.aliveworkers).toBe(2);
    workerPods.forEach((pod, index) => {
      const args = argsOf(pod);
      expect(args[2]).toBe(`spark://${CLUSTER}:${MASTER_PORT}`);
      const registered = master.workers.find((worker) => worker.host === workerIP(index));
      expect(registered, `worker ${pod.metadata?.name ?? ""} in the master's /json/`).toBeDefined();
      expect(registered?.state).toBe("ALIVE");
      expect(registered?.cores).toBe(Number(flagValue(args, "--cores")));
      expect(registered?.memory).toBe(mebibytes(flagValue(args, "--memory")));
      // The rendered --webui-port, unchanged for every worker.
      expect(registered?.webuiaddress).toBe(`http://${workerIP(index)}:${WORKER_UI_PORT}`);
    });

    // The pods' own readiness probes pass against the running processes.
    for (const result of Object.values(report.probes)) expect(result.passed, result.detail).toBe(true);
    expect(Object.keys(report.probes)).toHaveLength(3);
    // The rendered spark-defaults.conf took effect: REST off, reverse proxy on.
    expect(report.restPortOpen).toBe(false);
    expect(report.proxiedWorkerStatus).toBe(200);

    // The Pi job: a real estimate, exit code 0, finished on the master, tasks on both workers.
    expect(report.pi.exit, `driver log ${report.pi.logFile}`).toEqual({ code: 0, signal: null });
    expect(report.pi.output).toMatch(/Pi is roughly 3\.1\d+/);
    expect(report.pi.estimate).toBeGreaterThan(3.1);
    expect(report.pi.estimate).toBeLessThan(3.2);
    const app = report.masterAfterJob.completedapps.find((a) => a.name === PI_APP_NAME);
    expect(app?.state).toBe("FINISHED");
    expect(app?.cores).toBe(2);
    expect(app?.memoryperexecutor).toBe(512);
    for (const pod of workerPods) {
      const logs = report.executorLogs[pod.metadata?.name ?? ""] ?? [];
      const stderr = logs.filter((file) => file.path.endsWith("/stderr"));
      expect(stderr, `executor logs of ${pod.metadata?.name ?? ""}`).toHaveLength(1);
      expect(stderr[0]?.text).toMatch(/Finished task/);
    }

    // No pod outgrew its memory limit (the kubelet would have OOM-killed it).
    for (const pod of [...masterPods, ...workerPods]) {
      const limit = parseQuantity(String(pod.spec?.containers[0]?.resources?.limits?.memory));
      const peak = report.peakRssMiB[pod.metadata?.name ?? ""];
      expect(peak, `peak RSS of ${pod.metadata?.name ?? ""}`).toBeGreaterThan(0);
      expect(peak).toBeLessThan(toMebibytes(limit!));
    }

    // /opt/spark is read-only in the pod: nothing wrote into the local stand-in.
    expect(report.sparkHomeChanges).toEqual([]);
  }, 600_000);

  describe("the master pod is replaced and comes back on a new pod IP", () => {
    const NEW_MASTER_IP = "127.0.0.50";

    async function replaceMaster(
      spec: unknown,
      prefix: string,
      windowMs: number,
    ): Promise<{ status: MasterStatus | undefined; seconds: number; workerLogs: string[] }> {
      const cluster = new LocalCluster(render(spec), {
        repoRoot,
        install,
        namespace: NAMESPACE,
        logPrefix: prefix,
      });
      try {
        await cluster.startMaster();
        await cluster.startWorkers();
        const started = performance.now();
        await cluster.replaceMaster(NEW_MASTER_IP);
        const status = await cluster.workersRegisteredWith(NEW_MASTER_IP, windowMs);
        const seconds = (performance.now() - started) / 1000;
        return {
          status,
          seconds,
          workerLogs: cluster.workers.map((worker) => readFileSync(worker.running!.logFile, "utf8")),
        };
      } finally {
        await cluster.stop();
      }
    }

    // In a cluster the Service's ClusterIP never changes, so workers reach the new master at
    // their next retry. Here the Service name maps straight to the pod IP, and the worker JVM
    // caches the old answer for up to 30 s (networkaddress.cache.ttl), which the time includes.
    it("workers re-register through the Service name (rendered preferConfiguredMasterAddress=true)", async () => {
      const { status, seconds } = await replaceMaster({ worker: { instances: 2 } }, "restart-", 180_000);
      timings["workers re-registered after master replacement"] = `${seconds.toFixed(1)} s`;
      expect(status?.url).toBe(`spark://${NEW_MASTER_IP}:${MASTER_PORT}`);
      expect(status?.aliveworkers).toBe(2);
    }, 400_000);

    it("negative control: with preferConfiguredMasterAddress=false they keep dialling the old pod IP", async () => {
      const spec = {
        worker: { instances: 2 },
        sparkConfiguration: [{ name: "spark.worker.preferConfiguredMasterAddress", value: "false" }],
      };
      const { status, workerLogs } = await replaceMaster(spec, "restart-negative-", 90_000);
      expect(status).toBeUndefined();
      for (const log of workerLogs)
        expect(log).toMatch(new RegExp(`Connecting to master ${MASTER_IP}:${MASTER_PORT}`));
    }, 400_000);
  });

  describe("a worker is Ready only once it has registered with a master", () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it("fails readiness while no master runs, passes once registered; metrics answer where annotated", async () => {
      const children = render({ worker: { instances: 1 }, metrics: true });
      const cluster = new LocalCluster(children, {
        repoRoot,
        install,
        namespace: NAMESPACE,
        logPrefix: "readiness-",
      });
      try {
        await cluster.launchWorkers();
        const [worker] = cluster.workers;
        const running = worker!.running!;
        // Up: the UI answers (startup and liveness), so only readiness can tell it apart.
        await waitFor(
          "the worker UI (startupProbe)",
          async () => ((await cluster.probe(worker!, "startupProbe")).passed ? true : undefined),
          { timeoutMs: 120_000, watch: [running] },
        );
        // …and keeps failing: 30 s spans several of the worker's registration attempts.
        const unregistered: ProbeResult[] = [];
        const alsoAlive: ProbeResult[] = [];
        for (let round = 0; round < 6; round += 1) {
          unregistered.push(await cluster.probe(worker!, "readinessProbe"));
          alsoAlive.push(await cluster.probe(worker!, "livenessProbe"));
          await sleep(5_000);
        }
        timings["worker readiness without a master"] = unregistered
          .map((r) => (r.passed ? "pass" : "fail"))
          .join(" ");
        for (const result of unregistered) expect(result.passed, result.detail).toBe(false);
        // The UI probe the worker had before would have called it Ready all along.
        for (const result of alsoAlive) expect(result.passed, result.detail).toBe(true);
        expect(running.exit).toBeUndefined();

        await cluster.startMaster();
        const started = performance.now();
        const registered = await waitFor(
          "the worker's readinessProbe to pass",
          async () => {
            const result = await cluster.probe(worker!, "readinessProbe");
            return result.passed ? result : undefined;
          },
          { timeoutMs: 120_000, watch: [running, cluster.master.running!], intervalMs: 1_000 },
        );
        timings["worker Ready after the master started"] =
          `${((performance.now() - started) / 1000).toFixed(1)} s`;
        expect(registered.passed).toBe(true);
        const status = await masterStatus(cluster.master.ip);
        expect(status.workers.map((w) => [unbracketed(w.host), w.state])).toEqual([[worker!.ip, "ALIVE"]]);
        expect((await cluster.probe(cluster.master, "readinessProbe")).passed).toBe(true);

        // metrics: true. Each pod's annotations lead to Prometheus text; without the slash, a 301.
        for (const instance of [cluster.master, worker!]) {
          const annotations = instance.pod.metadata?.annotations ?? {};
          const path = annotations["prometheus.io/path"] ?? "";
          const url = `http://${instance.ip}:${annotations["prometheus.io/port"] ?? ""}${path}`;
          const scrape = await httpGet(url);
          expect(scrape.status, url).toBe(200);
          expect(scrape.body).toMatch(/^metrics_\w+(\{[^}]*\})? -?[0-9.eE+-]+$/m);
          expect(scrape.body).toMatch(instance === worker ? /^metrics_worker_/m : /^metrics_master_/m);
          const unslashed = await httpGet(url.replace(/\/$/, ""));
          expect(unslashed.status, `${url} without its slash`).toBe(301);
        }
      } finally {
        await cluster.stop();
      }
    }, 400_000);
  });

  describe("pods on an IPv6 pod IP", () => {
    const IPV6: PodAddresses = { master: "::1", worker: () => "::1" };

    it("master and worker bind, register and pass their probes on [::1]", async () => {
      const children = render({ worker: { instances: 1 } });
      const cluster = new LocalCluster(children, {
        repoRoot,
        install,
        namespace: NAMESPACE,
        logPrefix: "ipv6-",
        addresses: IPV6,
      });
      try {
        const master = await cluster.startMaster();
        expect(master.status.url).toBe(`spark://[::1]:${MASTER_PORT}`);
        const workers = await cluster.startWorkers();
        timings["IPv6: master up, worker registered"] =
          `${master.seconds.toFixed(1)} s, ${workers.seconds.toFixed(1)} s`;
        expect(workers.status.workers.map((w) => [unbracketed(w.host), w.state])).toEqual([["::1", "ALIVE"]]);
        for (const kind of ["startupProbe", "livenessProbe", "readinessProbe"] as const) {
          for (const [pod, result] of Object.entries(await cluster.probeAll(kind))) {
            expect(result.passed, `${kind} of ${pod}: ${result.detail}`).toBe(true);
          }
        }
      } finally {
        await cluster.stop();
      }
    }, 400_000);
  });

  describe("pods without fixed ids, as OpenShift runs them: a uid the image has no passwd entry for", () => {
    // restricted-v2 assigns a uid from the namespace's range and gid 0.
    const ASSIGNED = { uid: 1000680000, gid: 0 };
    // The image has libnss-wrapper (apache/spark-docker installs it); the host stands in.
    const nssWrapper = ["/usr/lib", ...readdirSync("/usr/lib").map((dir) => join("/usr/lib", dir))].some(
      (dir) => existsSync(join(dir, "libnss_wrapper.so")),
    );
    const skipped =
      process.getuid?.() !== 0
        ? "skipped: running as another uid needs root"
        : !nssWrapper
          ? "skipped: needs the host's libnss-wrapper (apt-get install libnss-wrapper), as the image has"
          : undefined;
    const suffix = skipped === undefined ? "" : ` (${skipped})`;

    // Executors here run JVM code only: Python on this host may sit where another uid cannot
    // reach it (a pyenv under /root), and the apache/spark base image has no Python anyway.
    it.skipIf(skipped !== undefined)(
      `master, two workers and their executors run a job${suffix}`,
      async () => {
        const children = render({ worker: { instances: 2 }, fixedUserIds: false });
        for (const pod of podsOf(children, "master")) {
          expect(pod.spec?.securityContext?.runAsUser).toBeUndefined();
        }
        const cluster = new LocalCluster(children, {
          repoRoot,
          install,
          namespace: NAMESPACE,
          logPrefix: "openshift-",
          runAs: ASSIGNED,
        });
        try {
          await cluster.startMaster();
          const workers = await cluster.startWorkers();
          expect(workers.status.aliveworkers).toBe(2);
          for (const [pod, result] of Object.entries(await cluster.probeAll("readinessProbe"))) {
            expect(result.passed, `readinessProbe of ${pod}: ${result.detail}`).toBe(true);
          }
          const n = 1_000_000;
          const job = await cluster.runRangeSum({
            masterUrl: `spark://${CLUSTER}:${MASTER_PORT}`,
            n,
            partitions: 4,
            executorMemory: "512m",
            coresMax: 2,
          });
          timings["unknown uid: range sum (spark-submit to exit)"] = `${job.seconds.toFixed(1)} s`;
          expect(job.exit, `driver log ${job.logFile}`).toEqual({ code: 0, signal: null });
          expect(job.sum).toBe((n * (n - 1)) / 2);
          // The JVMs knew their user by the faked entry's name, executors included.
          expect(readFileSync(cluster.master.running!.logFile, "utf8")).toMatch(/view acls to: spark\b/);
          // Each worker launched an executor, none failed its login, and tasks ran in them. Not
          // every executor must run a task: one that registers after the other finished all four
          // partitions is stopped with the application before it gets one.
          const executorStderr: string[] = [];
          for (const [pod, files] of Object.entries(cluster.executorLogs())) {
            const stderr = files.filter((file) => file.path.endsWith("/stderr"));
            expect(stderr.length, `executors of ${pod}`).toBeGreaterThan(0);
            for (const file of stderr) {
              expect(file.text).not.toMatch(/Invalid UID/);
              executorStderr.push(file.text);
            }
          }
          expect(executorStderr.join("\n")).toMatch(/Finished task/);
        } finally {
          await cluster.stop();
        }
      },
      600_000,
    );

    it.skipIf(skipped !== undefined)(
      `negative control: without the passwd step the master exits${suffix}`,
      async () => {
        const children = render({ worker: { instances: 1 }, fixedUserIds: false });
        const container = podsOf(children, "master")[0]!.spec!.containers[0]!;
        expect(container.args?.slice(0, 2)).toEqual(["/bin/bash", "-c"]);
        container.args = (container.args ?? []).slice(4);
        const cluster = new LocalCluster(children, {
          repoRoot,
          install,
          namespace: NAMESPACE,
          logPrefix: "openshift-negative-",
          runAs: ASSIGNED,
        });
        try {
          const failure = await cluster.startMaster(90_000).then(
            () => "started",
            (error: unknown) => (error as Error).message,
          );
          expect(failure).toMatch(/exited \(code [1-9]/);
          expect(readFileSync(cluster.master.running!.logFile, "utf8")).toMatch(
            /Invalid UID, could not determine effective user/,
          );
        } finally {
          await cluster.stop();
        }
      },
      400_000,
    );
  });

  describe("negative controls: a broken pod does not run", () => {
    function withMasterArgs(edit: (args: string[]) => string[]): DesiredObject[] {
      const children = render({ worker: { instances: 2 } });
      const [master] = podsOf(children, "master");
      const container = master!.spec!.containers[0]!;
      container.args = edit([...(container.args ?? [])]);
      return children;
    }

    async function masterFailure(
      children: DesiredObject[],
      prefix: string,
      addresses?: PodAddresses,
    ): Promise<string> {
      const cluster = new LocalCluster(children, {
        repoRoot,
        install,
        namespace: NAMESPACE,
        logPrefix: prefix,
        ...(addresses === undefined ? {} : { addresses }),
      });
      try {
        const failure = await cluster.startMaster(90_000).then(
          () => "started",
          (error: unknown) => (error as Error).message,
        );
        expect(failure).toMatch(/exited \(code [1-9]/);
        return readFileSync(cluster.master.running!.logFile, "utf8");
      } finally {
        await cluster.stop();
      }
    }

    it("a misspelt master class name", async () => {
      const children = withMasterArgs((args) =>
        args.map((arg) =>
          arg === "org.apache.spark.deploy.master.Master" ? "org.apache.spark.deploy.master.Mastr" : arg,
        ),
      );
      const log = await masterFailure(children, "negative-class-");
      expect(log).toMatch(/ClassNotFoundException|Could not find or load main class/);
    });

    it("--host $(POD_IP) with an IPv6 pod IP, as the master was once rendered", async () => {
      const children = withMasterArgs((args) => [...args, "--host", "$(POD_IP)"]);
      const log = await masterFailure(children, "negative-ipv6-host-", {
        master: "::1",
        worker: () => "::1",
      });
      expect(log).toMatch(/Expected hostname or IPv6 IP enclosed in \[\]/);
    });

    it("a properties file that is not in the mounted ConfigMap", async () => {
      const children = withMasterArgs((args) =>
        args.map((arg) =>
          arg.endsWith("/spark-defaults.conf") ? arg.replace("spark-defaults", "spark-default") : arg,
        ),
      );
      const log = await masterFailure(children, "negative-conf-");
      expect(log).toMatch(/spark-default\.conf/);
    });
  });
});

describe("adapter", () => {
  const runtime = { sparkHome: "/local/spark", javaHome: "/local/jdk" };

  it("expands $(VAR) like the kubelet", () => {
    const env = new Map([
      ["POD_IP", "10.0.0.5"],
      ["EMPTY", ""],
    ]);
    const lookup = (name: string): string | undefined => env.get(name);
    expect(expandKubeVars("--host=$(POD_IP)", lookup)).toBe("--host=10.0.0.5");
    expect(expandKubeVars("$$(POD_IP)", lookup)).toBe("$(POD_IP)");
    expect(expandKubeVars("$(UNKNOWN)", lookup)).toBe("$(UNKNOWN)");
    expect(expandKubeVars("$(EMPTY)x", lookup)).toBe("x");
    expect(expandKubeVars("a$b $(POD_IP", lookup)).toBe("a$b $(POD_IP");
    expect(expandKubeVars("$$$(POD_IP)$", lookup)).toBe("$10.0.0.5$");
  });

  it("maps paths through the longest mount, volumes before the image", () => {
    const table = new MountTable([
      { containerPath: "/opt/spark/conf", localPath: "/v/conf", source: "volume", readOnly: true },
      { containerPath: "/opt/spark/work-dir", localPath: "/v/wd", source: "volume", readOnly: false },
      { containerPath: "/opt/spark/work-dir", localPath: "/img/wd", source: "image", readOnly: true },
      { containerPath: "/opt/spark", localPath: "/local/spark", source: "image", readOnly: true },
    ]);
    expect(table.rewrite("/opt/spark/conf/spark-defaults.conf")).toBe("/v/conf/spark-defaults.conf");
    expect(table.rewrite("/opt/spark/work-dir")).toBe("/v/wd");
    expect(table.rewrite("/opt/spark/bin/spark-class")).toBe("/local/spark/bin/spark-class");
    expect(table.rewrite("-Dx=/opt/spark/conf/a:/opt/spark/jars/*")).toBe(
      "-Dx=/v/conf/a:/local/spark/jars/*",
    );
    expect(table.rewrite("spark://pi:7077")).toBe("spark://pi:7077");
    expect(() => table.rewrite("/etc/passwd")).toThrow(/on no volume/);
  });

  it("refuses what it cannot emulate", () => {
    const children = render({ worker: { instances: 1 } });
    const [master] = podsOf(children, "master");
    const configMaps = (children as IConfigMap[]).filter((child) => child.kind === "ConfigMap");
    const scratch = mkdtempSync(join(tmpdir(), "sparkhooks-adapter-"));
    const options = (withConfigMaps: boolean): AdaptOptions => ({
      runtime,
      podIP: "127.0.0.2",
      namespace: NAMESPACE,
      scratchDir: scratch,
      configMaps: withConfigMaps ? configMaps : [],
      hosts: [],
    });
    try {
      expect(adaptPod(structuredClone(master!), options(true)).command).toBe("/local/spark/bin/spark-class");
      const withEnv = structuredClone(master!);
      withEnv.spec!.containers[0]!.env = [
        { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      ];
      expect(() => adaptPod(withEnv, options(true))).toThrow(/fieldRef spec.nodeName is not emulated/);
      const withVolume = structuredClone(master!);
      withVolume.spec!.volumes = [
        ...(withVolume.spec!.volumes ?? []),
        { name: "data", hostPath: { path: "/data" } },
      ];
      expect(() => adaptPod(withVolume, options(true))).toThrow(/type hostPath is not emulated/);
      const withoutTmp = structuredClone(master!);
      const container = withoutTmp.spec!.containers[0]!;
      container.volumeMounts = (container.volumeMounts ?? []).filter((mount) => mount.mountPath !== "/tmp");
      expect(() => adaptPod(withoutTmp, options(true))).toThrow(/\/tmp .* is read-only in this pod/);
      // The ConfigMap child is missing: the conf volume cannot be built.
      expect(() => adaptPod(structuredClone(master!), options(false))).toThrow(
        /ConfigMap pi-master-conf-[0-9a-f]{10} not found/,
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("resolves a Service to the one pod its selector picks", () => {
    const children = render({ worker: { instances: 2 } });
    const services = (children as IService[]).filter((child) => child.kind === "Service");
    const pods = [
      { pod: podsOf(children, "master")[0]!, ip: "127.0.0.2" },
      ...podsOf(children, "worker").map((pod, index) => ({ pod, ip: workerIP(index) })),
    ];
    const hosts = serviceHosts(services, pods, NAMESPACE);
    expect(hosts).toContainEqual({
      ip: "127.0.0.2",
      names: [
        CLUSTER,
        `${CLUSTER}.${NAMESPACE}`,
        `${CLUSTER}.${NAMESPACE}.svc`,
        `${CLUSTER}.${NAMESPACE}.svc.cluster.local`,
      ],
    });
    // A Service selecting the workers too would not be one address.
    const broad = structuredClone(services[0]!);
    delete broad.spec!.selector![LABEL_COMPONENT];
    expect(() => serviceHosts([broad], pods, NAMESPACE)).toThrow(/selects 3 pods/);
  });
});
