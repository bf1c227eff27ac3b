/**
 * Runs a SparkCluster's rendered children as local processes (see adapter.ts): the master pod,
 * then the worker pods, then a PySpark Pi job from a driver on its own loopback address,
 * against `spark://<cluster>:7077` as a client in the cluster would dial it.
 *
 * Addresses: master 127.0.0.2, workers 127.0.0.3…, driver 127.0.0.100 (Linux routes all of
 * 127/8 to lo), or ::1 for pods of an IPv6 cluster (the one IPv6 loopback address, so one
 * master and one worker, whose ports differ). Everything listens on those addresses only;
 * nothing leaves the host.
 * Logs: `.testbed/logs/spark-<pod>.log`, `spark-<prefix>driver.log`, and each executor's
 * stdout/stderr copied out of the worker's work-dir volume.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { IConfigMap, IPod, IService } from "kubernetes-models/v1";
import type { DesiredObject } from "../../../hooks/metacontroller/protocol.js";
import { LABEL_COMPONENT } from "../../../hooks/spark/labels.js";
import { MASTER_PORT, MASTER_UI_PORT } from "../../../hooks/spark-cluster/names.js";
import {
  adaptInitContainers,
  adaptPod,
  execProbeProcess,
  hostPort,
  httpProbeUrl,
  localConfOverrides,
  MountTable,
  serviceHosts,
  writeHostsFile,
  type AdaptOptions,
  type ExecProbeProcess,
  type HostEntry,
  type LocalProcess,
  type ProbeKind,
} from "./adapter.js";
import type { PySparkInstall } from "./install.js";

export const MASTER_IP = "127.0.0.2";
export const DRIVER_IP = "127.0.0.100";
/** The app name pi.py sets. */
export const PI_APP_NAME = "PythonPi";

export function workerIP(index: number): string {
  return `127.0.0.${3 + index}`;
}

/** The pod IP each pod of a cluster gets. */
export interface PodAddresses {
  readonly master: string;
  worker(index: number): string;
}

export const IPV4_ADDRESSES: PodAddresses = { master: MASTER_IP, worker: workerIP };

/** Spark writes an IPv6 host in brackets ("[::1]") where the pod IP has none. */
export function unbracketed(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

// ---------------------------------------------------------------------------------------------
// Processes.

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  /** Undefined while it runs. */
  exit: Exit | undefined;
}

/** Process groups we started and have not seen end: killed if this process exits first. */
const liveGroups = new Set<number>();
process.once("exit", () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/**
 * Starts a process in its own process group (the JVM and the executors a worker forks share
 * it), with its output in logFile.
 */
export function startProcess(
  name: string,
  spec: {
    command: string;
    args: readonly string[];
    env: Readonly<Record<string, string>>;
    cwd: string;
    runAs?: { readonly uid: number; readonly gid: number };
  },
  logFile: string,
): RunningProcess {
  const log = createWriteStream(logFile);
  log.write(
    `# ${name}\n# cwd ${spec.cwd}\n# env ${JSON.stringify(spec.env)}\n# ${[spec.command, ...spec.args].join(" ")}\n`,
  );
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: { ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    ...(spec.runAs === undefined ? {} : { uid: spec.runAs.uid, gid: spec.runAs.gid }),
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  const running: RunningProcess = {
    name,
    child,
    logFile,
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      child.on("error", (error) => {
        log.write(`# spawn error: ${error.message}\n`);
        running.exit = { code: -1, signal: null };
        resolve(running.exit);
      });
      child.on("close", (code, signal) => {
        running.exit = { code, signal };
        log.end(`# exited: code ${String(code)} signal ${String(signal)}\n`);
        resolve(running.exit);
      });
    }),
  };
  return running;
}

/** SIGTERM to the process group, SIGKILL after graceMs; resolves when the leader is gone. */
export async function stopProcess(running: RunningProcess, graceMs = 15_000): Promise<Exit> {
  const pid = running.child.pid;
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  };
  if (running.exit === undefined) {
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    await running.exited;
    clearTimeout(timer);
  }
  // The leader is gone; make sure nothing it forked (executors) outlives it.
  signalGroup("SIGKILL");
  if (pid !== undefined) liveGroups.delete(pid);
  return running.exit ?? (await running.exited);
}

export function logTail(running: RunningProcess, lines = 40): string {
  if (!existsSync(running.logFile)) return "";
  return readFileSync(running.logFile, "utf8").split("\n").slice(-lines).join("\n");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls until probe returns a value; fails at the deadline, or at once when one of the
 * watched processes exits (with its log tail, so the failure says why).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; watch: readonly RunningProcess[]; intervalMs?: number },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const dead = options.watch.find((running) => running.exit !== undefined);
    if (dead !== undefined) {
      throw new Error(
        `${dead.name} exited (code ${String(dead.exit?.code)}, signal ${String(dead.exit?.signal)}) ` +
          `while waiting for ${what}; log ${dead.logFile}:\n${logTail(dead)}`,
      );
    }
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      const tails = options.watch.map((running) => `--- ${running.name}\n${logTail(running, 15)}`).join("\n");
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}\n${tails}`);
    }
    await sleep(options.intervalMs ?? 500);
  }
}

export async function httpGet(url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

export interface ProbeResult {
  readonly passed: boolean;
  /** The URL and HTTP status, or the exit code and output: why it passed or failed. */
  readonly detail: string;
}

/** The kubelet's httpGet probe: any status in 200–399 succeeds, redirects are not followed. */
async function runHttpProbe(url: string): Promise<ProbeResult> {
  try {
    const { status } = await httpGet(url);
    return { passed: status >= 200 && status < 400, detail: `${url}: HTTP ${status}` };
  } catch (error) {
    return { passed: false, detail: `${url}: ${(error as Error).message}` };
  }
}

/** The kubelet's exec probe: exit code 0 succeeds; running past the timeout fails. */
function runExecProbe(spec: ExecProbeProcess): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(spec.command, spec.args, {
      env: { ...spec.env },
      cwd: spec.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGKILL"), spec.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ passed: false, detail: `${spec.command}: ${error.message}` });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const how = signal === null ? `exit ${String(code)}` : `killed by ${signal} (timeout)`;
      resolve({
        passed: code === 0,
        detail: `${[spec.command, ...spec.args].join(" ")}: ${how} ${output}`.trim(),
      });
    });
  });
}

/** Whether something accepts TCP connections at ip:port. */
export function isListening(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port });
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Fails when ip:port cannot be bound (e.g. something already holds 0.0.0.0:port). */
export async function assertBindable(ip: string, port: number): Promise<void> {
  const server = createServer();
  server.listen(port, ip);
  try {
    await once(server, "listening");
  } catch (error) {
    throw new Error(`${ip}:${port} is not free: ${(error as Error).message}`);
  }
  server.close();
  await once(server, "close");
}

// ---------------------------------------------------------------------------------------------
// The master's JSON API.

export interface MasterWorker {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly webuiaddress: string;
  readonly cores: number;
  readonly memory: number;
  readonly state: string;
}

export interface MasterApp {
  readonly id: string;
  readonly name: string;
  readonly cores: number;
  readonly memoryperexecutor?: number;
  readonly memoryperslave?: number;
  readonly state: string;
  readonly duration: number;
}

export interface MasterStatus {
  readonly url: string;
  readonly status: string;
  readonly aliveworkers: number;
  readonly cores: number;
  readonly memory: number;
  readonly workers: readonly MasterWorker[];
  readonly activeapps: readonly MasterApp[];
  readonly completedapps: readonly MasterApp[];
}

export async function masterStatus(ip: string): Promise<MasterStatus> {
  const { status, body } = await httpGet(`http://${hostPort(ip, MASTER_UI_PORT)}/json/`);
  if (status !== 200) throw new Error(`master /json/: HTTP ${status}`);
  return JSON.parse(body) as MasterStatus;
}

// ---------------------------------------------------------------------------------------------
// The cluster.

/** Removes the logs of earlier runs (`spark-*.log`, except the pip install's). */
export function clearSparkLogs(repoRoot: string): void {
  const dir = join(repoRoot, ".testbed", "logs");
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (/^spark-.*\.log$/.test(name) && name !== "spark-pip-install.log") rmSync(join(dir, name));
  }
}

function isKind<T>(kind: string) {
  return (object: DesiredObject): object is DesiredObject & T =>
    object.kind === kind && object.apiVersion === "v1";
}

function componentOf(pod: IPod): string | undefined {
  return pod.metadata?.labels?.[LABEL_COMPONENT];
}

/** Every file under dir with its size and mtime, except Python byte code. */
function listTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name === "__pycache__") continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stat = statSync(path, { throwIfNoEntry: false });
        files.set(path, stat === undefined ? "?" : `${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return files;
}

const PAGE_SIZE = 4096;

/** Resident memory of every process in each of the given process groups, in MiB. */
export function groupRssMiB(groups: ReadonlySet<number>): Map<number, number> {
  const totals = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …: comm may hold spaces, so split after its ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const group = Number(fields[2]);
      if (!groups.has(group)) continue;
      const pages = Number(readFileSync(`/proc/${entry}/statm`, "utf8").split(" ")[1]);
      totals.set(group, (totals.get(group) ?? 0) + (pages * PAGE_SIZE) / 2 ** 20);
    } catch {
      // the process ended while we looked
    }
  }
  return totals;
}

export interface PodInstance {
  readonly pod: IPod;
  readonly ip: string;
  readonly local: LocalProcess;
  /** The pod's init containers, run to completion in order before `local`. */
  readonly init: readonly LocalProcess[];
  running?: RunningProcess;
}

/** An init container that ran: how it ended and how long it took. */
export interface InitRun {
  readonly name: string;
  readonly exit: Exit;
  readonly seconds: number;
  readonly logFile: string;
}

export interface JobOptions {
  readonly masterUrl: string;
  readonly executorMemory: string;
  readonly coresMax: number;
  readonly timeoutMs?: number;
  /** spark-submit options before the script (e.g. `--driver-class-path`). */
  readonly submitOptions?: readonly string[];
  /**
   * Submit from inside this pod, as `kubectl exec <pod> -- spark-submit` would: the pod's
   * environment, spark-defaults.conf (SPARK_CONF_DIR) and volumes, bound to its pod IP.
   * Undefined: a client outside the cluster with an empty configuration.
   */
  readonly fromPod?: PodInstance;
}

export interface JobRun {
  readonly exit: Exit;
  readonly output: string;
  /** Spark's own "Job 0 finished … took N ms". */
  readonly jobMs: number | undefined;
  readonly seconds: number;
  readonly logFile: string;
}

export interface PiResult extends JobRun {
  readonly estimate: number | undefined;
}

export interface SumResult extends JobRun {
  readonly sum: number | undefined;
}

export interface ClusterOptions {
  readonly repoRoot: string;
  readonly install: PySparkInstall;
  readonly namespace: string;
  /** Prefixes log file names, so several runs in one session keep their logs apart. */
  readonly logPrefix?: string;
  /** Pod IPs (default {@link IPV4_ADDRESSES}). */
  readonly addresses?: PodAddresses;
  /** Run every pod as this uid/gid (see AdaptOptions.runAs). */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Claim name → local directory (see AdaptOptions.persistentVolumes). */
  readonly persistentVolumes?: Readonly<Record<string, string>>;
}

let scratchCount = 0;

export class LocalCluster {
  master: PodInstance;
  /** Masters that were replaced (their logs are collected like the others). */
  readonly formerMasters: PodInstance[] = [];
  readonly workers: readonly PodInstance[];
  hosts: readonly HostEntry[];
  readonly scratch: string;
  readonly logDir: string;
  readonly collectedLogs: string[] = [];
  /** Files under SPARK_HOME created, changed or removed while the cluster ran (should be none). */
  sparkHomeChanges: string[] = [];
  /** Highest resident memory seen per pod (its process group: JVM and forked executors), MiB. */
  readonly peakRssMiB: Record<string, number> = {};
  private readonly sparkHomeBefore: Map<string, string>;
  private stopped = false;
  private readonly adaptOptions: Pick<
    AdaptOptions,
    "runtime" | "namespace" | "configMaps" | "runAs" | "persistentVolumes"
  >;
  /** Init containers that ran, in order, by pod name. */
  readonly initRuns: Record<string, InitRun[]> = {};
  private sampler: NodeJS.Timeout | undefined;
  private driver: RunningProcess | undefined;

  /** Adapts every pod of the hook's children; starts nothing. */
  constructor(
    children: readonly DesiredObject[],
    private readonly options: ClusterOptions,
  ) {
    const pods = children.filter(isKind<IPod>("Pod"));
    const configMaps = children.filter(isKind<IConfigMap & { metadata: { name: string } }>("ConfigMap"));
    const services = children.filter(isKind<IService>("Service"));
    const masters = pods.filter((pod) => componentOf(pod) === "master");
    const workerPods = pods.filter((pod) => componentOf(pod) === "worker");
    if (masters.length !== 1) throw new Error(`expected one master pod, got ${masters.length}`);
    if (workerPods.length + 1 !== pods.length) throw new Error("pods that are neither master nor worker");
    const addresses = options.addresses ?? IPV4_ADDRESSES;
    const addressed = [
      { pod: masters[0]!, ip: addresses.master },
      ...workerPods.map((pod, index) => ({ pod, ip: addresses.worker(index) })),
    ];
    this.hosts = serviceHosts(services, addressed, options.namespace);
    this.adaptOptions = {
      runtime: options.install,
      namespace: options.namespace,
      configMaps,
      ...(options.runAs === undefined ? {} : { runAs: options.runAs }),
      ...(options.persistentVolumes === undefined ? {} : { persistentVolumes: options.persistentVolumes }),
    };
    // Digits only: the path ends up in SPARK_DAEMON_JAVA_OPTS, which Spark's launcher rejects
    // when it merely contains "Xmx" (as a random mkdtemp suffix once did).
    scratchCount += 1;
    this.scratch = join(tmpdir(), `sparkhooks-spark-${process.pid}-${Date.now()}-${scratchCount}`);
    mkdirSync(this.scratch);
    this.logDir = join(options.repoRoot, ".testbed", "logs");
    mkdirSync(this.logDir, { recursive: true });
    let instances: PodInstance[];
    try {
      instances = addressed.map(({ pod, ip }) => {
        const name = pod.metadata?.name ?? "";
        const podOptions = {
          ...this.adaptOptions,
          podIP: ip,
          scratchDir: join(this.scratch, name),
          hosts: this.hosts,
        };
        return { pod, ip, local: adaptPod(pod, podOptions), init: adaptInitContainers(pod, podOptions) };
      });
    } catch (error) {
      rmSync(this.scratch, { recursive: true, force: true });
      throw error;
    }
    this.master = instances[0]!;
    this.workers = instances.slice(1);
    this.sparkHomeBefore = listTree(options.install.sparkHome);
  }

  private logFile(name: string): string {
    return join(this.logDir, `spark-${this.options.logPrefix ?? ""}${name}.log`);
  }

  /**
   * Runs the pod's init containers one after another, as the kubelet does before it starts the
   * container; the first that exits non-zero stops the pod from starting (Init:Error) and
   * throws with its log.
   */
  async runInitContainers(instance: PodInstance, timeoutMs = 300_000): Promise<InitRun[]> {
    const runs: InitRun[] = [];
    for (const init of instance.init) {
      const started = performance.now();
      const running = startProcess(init.podName, init, this.logFile(init.podName.replace("/", "-")));
      this.collectedLogs.push(running.logFile);
      const timer = setTimeout(() => void stopProcess(running), timeoutMs);
      const exit = await running.exited;
      clearTimeout(timer);
      const run = {
        name: init.podName,
        exit,
        seconds: (performance.now() - started) / 1000,
        logFile: running.logFile,
      };
      runs.push(run);
      this.initRuns[instance.local.podName] = runs;
      if (exit.code !== 0) {
        throw new Error(
          `init container ${init.podName} exited with ${JSON.stringify(exit)}:\n${logTail(running)}`,
        );
      }
    }
    return runs;
  }

  private start(instance: PodInstance, logName = instance.local.podName): RunningProcess {
    const running = startProcess(instance.local.podName, instance.local, this.logFile(logName));
    instance.running = running;
    this.collectedLogs.push(running.logFile);
    this.sampler ??= setInterval(() => this.sampleMemory(), 1_000).unref();
    return running;
  }

  private sampleMemory(): void {
    const byGroup = new Map<number, string>();
    for (const instance of [this.master, ...this.workers]) {
      const pid = instance.running?.exit === undefined ? instance.running?.child.pid : undefined;
      if (pid !== undefined) byGroup.set(pid, instance.local.podName);
    }
    for (const [group, mib] of groupRssMiB(new Set(byGroup.keys()))) {
      const pod = byGroup.get(group)!;
      this.peakRssMiB[pod] = Math.max(this.peakRssMiB[pod] ?? 0, Math.round(mib));
    }
  }

  private allRunning(): RunningProcess[] {
    return [this.master, ...this.workers].flatMap((instance) =>
      instance.running === undefined ? [] : [instance.running],
    );
  }

  /** Starts the master and waits until /json/ says ALIVE. */
  async startMaster(
    timeoutMs = 120_000,
    logName?: string,
  ): Promise<{ status: MasterStatus; seconds: number }> {
    const ip = this.master.ip;
    await assertBindable(ip, MASTER_PORT);
    await assertBindable(ip, MASTER_UI_PORT);
    const started = performance.now();
    await this.runInitContainers(this.master);
    const running = this.start(this.master, logName);
    const status = await waitFor(
      `master /json/ ALIVE at http://${hostPort(ip, MASTER_UI_PORT)}/json/`,
      async () => {
        const status = await masterStatus(ip);
        return status.status === "ALIVE" ? status : undefined;
      },
      { timeoutMs, watch: [running] },
    );
    return { status, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * What Kubernetes does when the master pod is deleted and recreated: the old process gets
   * SIGTERM, the new pod gets a new IP, and the Services now lead to it (emulated by rewriting
   * every pod's hosts file). Starts the new master; workers are left to find it themselves.
   */
  async replaceMaster(
    newIP: string,
    timeoutMs = 120_000,
  ): Promise<{ status: MasterStatus; seconds: number }> {
    const old = this.master;
    if (old.running !== undefined) await stopProcess(old.running);
    this.formerMasters.push(old);
    this.hosts = this.hosts.map((entry) => (entry.ip === old.ip ? { ...entry, ip: newIP } : entry));
    for (const worker of this.workers) {
      writeHostsFile(worker.local.hostsFile, worker.ip, worker.local.podName, this.hosts);
    }
    const name = old.local.podName;
    this.master = {
      pod: old.pod,
      ip: newIP,
      local: adaptPod(old.pod, {
        ...this.adaptOptions,
        podIP: newIP,
        scratchDir: join(this.scratch, `${name}-${this.formerMasters.length + 1}`),
        hosts: this.hosts,
      }),
      init: adaptInitContainers(old.pod, {
        ...this.adaptOptions,
        podIP: newIP,
        scratchDir: join(this.scratch, `${name}-${this.formerMasters.length + 1}`),
        hosts: this.hosts,
      }),
    };
    return this.startMaster(timeoutMs, `${name}-${this.formerMasters.length + 1}`);
  }

  /** Waits until the master at masterIP lists every worker ALIVE; undefined on timeout. */
  async workersRegisteredWith(masterIP: string, timeoutMs: number): Promise<MasterStatus | undefined> {
    const ips = new Set(this.workers.map((worker) => worker.ip));
    return waitFor(
      `${ips.size} ALIVE workers at the master ${masterIP}`,
      async () => {
        const status = await masterStatus(masterIP);
        const alive = status.workers.filter((w) => w.state === "ALIVE" && ips.has(unbracketed(w.host)));
        return alive.length === ips.size ? status : undefined;
      },
      { timeoutMs, watch: this.allRunning(), intervalMs: 1_000 },
    ).catch((error: unknown) => {
      if (error instanceof Error && error.message.startsWith("timed out")) return undefined;
      throw error;
    });
  }

  /** Starts every worker process, whether or not a master runs; waits for nothing. */
  async launchWorkers(): Promise<void> {
    for (const worker of this.workers) {
      for (const port of worker.pod.spec?.containers[0]?.ports ?? []) {
        await assertBindable(worker.ip, port.containerPort);
      }
    }
    for (const worker of this.workers) await this.runInitContainers(worker);
    for (const worker of this.workers) this.start(worker);
  }

  /** Starts every worker and waits until the master lists them all ALIVE. */
  async startWorkers(timeoutMs = 120_000): Promise<{ status: MasterStatus; seconds: number }> {
    const started = performance.now();
    await this.launchWorkers();
    const ips = new Set(this.workers.map((worker) => worker.ip));
    const status = await waitFor(
      `${this.workers.length} ALIVE workers in the master's /json/`,
      async () => {
        const status = await masterStatus(this.master.ip);
        const alive = status.workers.filter((w) => w.state === "ALIVE" && ips.has(unbracketed(w.host)));
        return alive.length === ips.size ? status : undefined;
      },
      { timeoutMs, watch: this.allRunning() },
    );
    return { status, seconds: (performance.now() - started) / 1000 };
  }

  /** Runs one pod's probe of this kind, as rendered, against its running process. */
  probe(instance: PodInstance, kind: ProbeKind): Promise<ProbeResult> {
    const probe = instance.pod.spec?.containers[0]?.[kind];
    return probe?.exec === undefined
      ? runHttpProbe(httpProbeUrl(instance.pod, instance.ip, kind))
      : runExecProbe(execProbeProcess(instance.pod, instance.local, kind));
  }

  /** Runs each pod's probe of this kind against the running process, by pod name. */
  async probeAll(kind: ProbeKind): Promise<Record<string, ProbeResult>> {
    const results: Record<string, ProbeResult> = {};
    for (const instance of [this.master, ...this.workers]) {
      results[instance.local.podName] = await this.probe(instance, kind);
    }
    return results;
  }

  /** The environment of a client process in the cluster: its own address, cluster DNS. */
  driverEnv(): Record<string, string> {
    const install = this.options.install;
    const dir = join(this.scratch, "driver");
    mkdirSync(join(dir, "conf"), { recursive: true });
    mkdirSync(join(dir, "tmp"), { recursive: true });
    const hostsFile = join(dir, "hosts");
    writeFileSync(
      hostsFile,
      [
        "127.0.0.1 localhost",
        `${DRIVER_IP} ${hostname()}`,
        ...this.hosts.map((entry) => `${entry.ip} ${entry.names.join(" ")}`),
      ].join("\n") + "\n",
    );
    return {
      PATH: `${join(install.javaHome, "bin")}:/usr/local/bin:/usr/bin:/bin`,
      JAVA_HOME: install.javaHome,
      SPARK_HOME: install.sparkHome,
      // An empty conf dir: the driver is a client, not a pod of the cluster.
      SPARK_CONF_DIR: join(dir, "conf"),
      SPARK_LOCAL_IP: DRIVER_IP,
      SPARK_SUBMIT_OPTS: `-Djdk.net.hosts.file=${hostsFile} -Djava.io.tmpdir=${join(dir, "tmp")}`,
      PYSPARK_PYTHON: install.python,
      PYSPARK_DRIVER_PYTHON: install.python,
      TMPDIR: join(dir, "tmp"),
    };
  }

  /**
   * Submits PySpark's own Pi example (examples/src/main/python/pi.py, as in the image's
   * /opt/spark/examples) in client mode to the master URL, with executors small enough for
   * the workers and the job held back until every worker has an executor.
   */
  async runPi(options: JobOptions & { partitions: number }): Promise<PiResult> {
    const script = join(this.options.install.sparkHome, "examples", "src", "main", "python", "pi.py");
    if (!existsSync(script)) throw new Error(`no ${script} in the pyspark package`);
    const run = await this.submit(script, [String(options.partitions)], options);
    const match = /Pi is roughly (\d+\.\d+)/.exec(run.output);
    return { ...run, estimate: match?.[1] === undefined ? undefined : Number(match[1]) };
  }

  /**
   * Sums 0…n−1 with `spark.range` from a PySpark driver: the executors run JVM code only, no
   * Python workers, so the job needs nothing from the executors' side but Spark itself.
   */
  async runRangeSum(options: JobOptions & { n: number; partitions: number }): Promise<SumResult> {
    const script = join(this.scratch, "driver", "range_sum.py");
    mkdirSync(dirname(script), { recursive: true });
    writeFileSync(
      script,
      [
        "import sys",
        "from pyspark.sql import SparkSession",
        'spark = SparkSession.builder.appName("RangeSum").getOrCreate()',
        "n, partitions = int(sys.argv[1]), int(sys.argv[2])",
        'total = spark.range(0, n, numPartitions=partitions).selectExpr("sum(id) AS s").first()["s"]',
        'print(f"Sum is {total}")',
        "spark.stop()",
        "",
      ].join("\n"),
    );
    const run = await this.submit(script, [String(options.n), String(options.partitions)], options);
    const match = /Sum is (\d+)/.exec(run.output);
    return { ...run, sum: match?.[1] === undefined ? undefined : Number(match[1]) };
  }

  /** Runs a PySpark driver script (its lines) in client mode; `name` names its file and log. */
  async runPython(
    name: string,
    lines: readonly string[],
    scriptArgs: readonly string[],
    options: JobOptions,
  ): Promise<JobRun> {
    const script = join(this.scratch, "driver", `${name}.py`);
    mkdirSync(dirname(script), { recursive: true });
    writeFileSync(script, `${lines.join("\n")}\n`);
    return this.submit(script, scriptArgs, options, name);
  }

  /**
   * The environment of spark-submit run inside a pod: the pod's own (its SPARK_CONF_DIR, its
   * volumes, SPARK_LOCAL_IP = its pod IP), with the emulation's JVM options in the variable
   * spark-submit reads, and the pod's spark-defaults.conf values that name container paths
   * passed again with their local paths.
   */
  private podDriver(instance: PodInstance): { env: Record<string, string>; conf: string[] } {
    const table = new MountTable(instance.local.mounts);
    const env: Record<string, string> = {
      ...instance.local.env,
      SPARK_SUBMIT_OPTS: `-Djdk.net.hosts.file=${instance.local.hostsFile} -Djava.io.tmpdir=${table.resolve("/tmp")}`,
      PYSPARK_PYTHON: this.options.install.python,
      PYSPARK_DRIVER_PYTHON: this.options.install.python,
    };
    const confDir = env.SPARK_CONF_DIR;
    if (confDir === undefined) throw new Error(`pod ${instance.local.podName} has no SPARK_CONF_DIR`);
    return { env, conf: localConfOverrides(join(confDir, "spark-defaults.conf"), table) };
  }

  /** spark-submit of a Python driver script in client mode, as a client in the cluster would. */
  private async submit(
    script: string,
    scriptArgs: readonly string[],
    options: JobOptions,
    logName = "driver",
  ): Promise<JobRun> {
    const install = this.options.install;
    const dir = join(this.scratch, "driver");
    const inPod = options.fromPod === undefined ? undefined : this.podDriver(options.fromPod);
    const env = inPod?.env ?? this.driverEnv();
    const args = [
      "--master",
      options.masterUrl,
      "--driver-memory",
      "512m",
      // A client-mode driver must advertise an address executors can reach: by default it
      // advertises its canonical host name, which here (and in most pods) is not resolvable by
      // the executors. Drivers in pods set spark.driver.host to their pod IP for the same reason
      // (in a pod of the cluster SPARK_LOCAL_IP already is that IP).
      ...(inPod === undefined ? ["--conf", `spark.driver.host=${DRIVER_IP}`] : inPod.conf),
      ...(options.submitOptions ?? []),
      "--conf",
      `spark.executor.memory=${options.executorMemory}`,
      "--conf",
      `spark.cores.max=${options.coresMax}`,
      "--conf",
      "spark.scheduler.minRegisteredResourcesRatio=1.0",
      "--conf",
      "spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
      "--conf",
      "spark.ui.enabled=false",
      script,
      ...scriptArgs,
    ];
    const started = performance.now();
    mkdirSync(dir, { recursive: true });
    const driver = startProcess(
      logName,
      { command: join(install.sparkHome, "bin", "spark-submit"), args, env, cwd: dir },
      this.logFile(logName),
    );
    this.collectedLogs.push(driver.logFile);
    this.driver = driver;
    const timeoutMs = options.timeoutMs ?? 240_000;
    const timer = setTimeout(() => void stopProcess(driver), timeoutMs);
    const exit = await driver.exited;
    clearTimeout(timer);
    await stopProcess(driver);
    const output = readFileSync(driver.logFile, "utf8");
    const took = /Job 0 finished: .* took (\d+(?:\.\d+)?) ms/.exec(output);
    return {
      exit,
      output,
      jobMs: took?.[1] === undefined ? undefined : Number(took[1]),
      seconds: (performance.now() - started) / 1000,
      logFile: driver.logFile,
    };
  }

  /** Executor stdout/stderr files in each worker's work dir, by worker pod name. */
  executorLogs(): Record<string, { path: string; text: string }[]> {
    const result: Record<string, { path: string; text: string }[]> = {};
    for (const worker of this.workers) {
      const workDir = worker.local.mounts.find((mount) => mount.containerPath === "/opt/spark/work");
      const files: { path: string; text: string }[] = [];
      if (workDir !== undefined && existsSync(workDir.localPath)) {
        for (const app of readdirSync(workDir.localPath)) {
          const appDir = join(workDir.localPath, app);
          if (!statSync(appDir).isDirectory()) continue;
          for (const executor of readdirSync(appDir)) {
            for (const stream of ["stdout", "stderr"]) {
              const path = join(appDir, executor, stream);
              if (existsSync(path)) files.push({ path, text: readFileSync(path, "utf8") });
            }
          }
        }
      }
      result[worker.local.podName] = files;
    }
    return result;
  }

  /** Stops every process (SIGTERM, then SIGKILL), copies executor logs out, removes scratch. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sampler);
    if (this.driver !== undefined) await stopProcess(this.driver);
    // Workers first, so the master does not log them as lost on its way down.
    await Promise.all(this.workers.flatMap((w) => (w.running === undefined ? [] : [stopProcess(w.running)])));
    for (const master of [...this.formerMasters, this.master]) {
      if (master.running !== undefined) await stopProcess(master.running);
    }
    for (const [pod, files] of Object.entries(this.executorLogs())) {
      // A few are enough to see why executors failed, if they did.
      for (const file of files.slice(0, 8)) {
        const parts = file.path.split("/").slice(-3).join("-");
        const target = this.logFile(`${pod}-executor-${parts}`);
        copyFileSync(file.path, target);
        this.collectedLogs.push(target);
      }
    }
    const after = listTree(this.options.install.sparkHome);
    const changes: string[] = [];
    for (const [path, stamp] of after) {
      const before = this.sparkHomeBefore.get(path);
      if (before === undefined) changes.push(`created ${path}`);
      else if (before !== stamp) changes.push(`changed ${path}`);
    }
    for (const path of this.sparkHomeBefore.keys()) if (!after.has(path)) changes.push(`removed ${path}`);
    this.sparkHomeChanges = changes;
    if (process.env.SPARK_TEST_KEEP !== "1") rmSync(this.scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The whole run.

export interface SparkRunReport {
  readonly masterSeconds: number;
  readonly workersSeconds: number;
  readonly masterAfterWorkers: MasterStatus;
  readonly masterAfterJob: MasterStatus;
  readonly probes: Record<string, ProbeResult>;
  readonly restPortOpen: boolean;
  /** HTTP status of a worker's /json/ through the master's reverse proxy. */
  readonly proxiedWorkerStatus: number;
  readonly pi: PiResult;
  /** Peak resident memory per pod while it ran (JVM plus executors it forked), MiB. */
  readonly peakRssMiB: Record<string, number>;
  readonly executorLogs: Record<string, { path: string; text: string }[]>;
  readonly adapted: readonly LocalProcess[];
  readonly sparkHomeChanges: readonly string[];
  readonly logs: readonly string[];
}

export async function runSparkCluster(
  children: readonly DesiredObject[],
  options: ClusterOptions & { cluster: string; partitions?: number },
): Promise<SparkRunReport> {
  const cluster = new LocalCluster(children, options);
  try {
    const master = await cluster.startMaster();
    const workers = await cluster.startWorkers();
    const probes = await cluster.probeAll("readinessProbe");
    const masterIP = cluster.master.ip;
    const restPortOpen = await isListening(masterIP, 6066);
    const firstWorker = workers.status.workers[0];
    const proxied =
      firstWorker === undefined
        ? { status: 0 }
        : await httpGet(`http://${hostPort(masterIP, MASTER_UI_PORT)}/proxy/${firstWorker.id}/json/`);
    const cores = workers.status.workers.reduce((sum, worker) => sum + worker.cores, 0);
    const pi = await cluster.runPi({
      masterUrl: `spark://${options.cluster}:${MASTER_PORT}`,
      partitions: options.partitions ?? 10,
      executorMemory: "512m",
      coresMax: cores,
    });
    // The application's end reaches the master's list of completed apps shortly after exit.
    const masterAfterJob = await waitFor(
      "the Pi app among the master's completed apps",
      async () => {
        const status = await masterStatus(masterIP);
        return status.completedapps.some((app) => app.name === PI_APP_NAME) ? status : undefined;
      },
      { timeoutMs: 30_000, watch: [] },
    ).catch(() => masterStatus(masterIP));
    const executorLogs = cluster.executorLogs();
    await cluster.stop();
    return {
      masterSeconds: master.seconds,
      workersSeconds: workers.seconds,
      masterAfterWorkers: workers.status,
      masterAfterJob,
      probes,
      restPortOpen,
      proxiedWorkerStatus: proxied.status,
      pi,
      peakRssMiB: cluster.peakRssMiB,
      executorLogs,
      adapted: [cluster.master.local, ...cluster.workers.map((worker) => worker.local)],
      sparkHomeChanges: cluster.sparkHomeChanges,
      logs: cluster.collectedLogs,
    };
  } finally {
    await cluster.stop();
  }
}
