/**
 * A kubelet for Spark pods on the bed: it runs the pods of one namespace that carry a
 * `spark-role` label (the driver our hook renders and the executors the driver creates from
 * our template) as local processes, through adapter.ts, and reports how they ended.
 *
 * Who does what on the bed's node:
 * - kwok (stage pod-ready) takes a scheduled pod from Pending to Running and gives it a pod IP
 *   from the bed's pod CIDR, which is on loopback (bed.ts), so the process can bind to it.
 * - This kubelet starts the container once the pod is Running with an IP, with the pod's
 *   ServiceAccount token (TokenRequest bound to the pod, as the kubelet's projected volume),
 *   the namespace's ConfigMaps and its Services' names (a Service resolves to the one Running
 *   pod it selects, headless or not).
 * - When the process exits, it writes the pod's status as a kubelet would (bed/pods.ts:
 *   phase Succeeded for exit code 0, else Failed; the container terminated with exitCode,
 *   reason, finishedAt). No kwok stage selects a pod in a terminal phase, so kwok leaves it.
 * - When the pod is deleted (Spark deletes its executors), the process gets SIGTERM, and
 *   SIGKILL after the pod's grace period, as in a pod.
 *
 * The same kubelet runs pods that Metacontroller creates from our controller: it looks at
 * labels only, not at who created the pod.
 */
import { constants } from "node:os";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { IConfigMap, IPod, IService } from "kubernetes-models/v1";
import { setPodPhase } from "../bed/pods.js";
import { watch, type Kube, type ObjectList } from "../scenarios/kube.js";
import { adaptPod, serviceHosts, type HostEntry, type LocalProcess, type LocalRuntime } from "./adapter.js";
import { startProcess, stopProcess, type Exit, type RunningProcess } from "./run.js";

/** The API server as every pod reaches it: Service `kubernetes` in namespace default. */
export function apiServerHosts(ip: string): HostEntry {
  const name = "kubernetes";
  return { ip, names: [name, `${name}.default`, `${name}.default.svc`, `${name}.default.svc.cluster.local`] };
}

export interface PodRun {
  /** The pod as the API server had it when the container started. */
  readonly pod: IPod;
  readonly local: LocalProcess;
  readonly running: RunningProcess;
  /** performance.now() at the start. */
  readonly startedAt: number;
  /** Resolves with the pod status this kubelet wrote after the exit (undefined: pod gone). */
  readonly reported: Promise<IPod | undefined>;
}

export interface KubeletOptions {
  readonly kube: Kube;
  readonly kubeconfigPath: string;
  readonly namespace: string;
  readonly runtime: LocalRuntime;
  /** The bed's API server: 127.0.0.1:<port>. */
  readonly apiServer: URL;
  readonly scratchDir: string;
  readonly logDir: string;
  readonly logPrefix: string;
  /** PersistentVolumeClaims by name → the local directory that stands for their volume (adapter.ts). */
  readonly persistentVolumes?: Readonly<Record<string, string>>;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class SparkKubelet {
  /** Every pod started, by name. */
  readonly runs = new Map<string, PodRun>();
  /** Pods that could not be started, by name, with why. */
  readonly failures = new Map<string, string>();
  private readonly starting = new Set<string>();
  private stopWatch: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: KubeletOptions) {
    mkdirSync(options.scratchDir, { recursive: true });
  }

  start(): void {
    const path = `/api/v1/namespaces/${this.options.namespace}/pods?labelSelector=spark-role`;
    const open = (): void => {
      this.stopWatch = watch<IPod>(
        this.options.kube,
        path,
        (event) => this.onPod(event.type, event.object),
        () => {
          if (!this.stopped) open(); // the API server ends watches after a while
        },
      );
    };
    open();
  }

  private onPod(type: string, pod: IPod): void {
    const name = pod.metadata?.name ?? "";
    const run = this.runs.get(name);
    if (type === "DELETED" || pod.metadata?.deletionTimestamp !== undefined) {
      if (run !== undefined && run.running.exit === undefined) {
        void stopProcess(run.running, (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
      }
      return;
    }
    const ready = pod.status?.phase === "Running" && (pod.status.podIP ?? "") !== "";
    if (!ready || run !== undefined || this.starting.has(name) || this.failures.has(name)) return;
    this.starting.add(name);
    this.launch(pod)
      .catch((error: unknown) => this.failures.set(name, errorText(error)))
      .finally(() => this.starting.delete(name));
  }

  private async launch(pod: IPod): Promise<void> {
    const { kube, namespace } = this.options;
    const name = pod.metadata?.name ?? "";
    const base = `/api/v1/namespaces/${namespace}`;
    const [configMaps, services, pods] = await Promise.all([
      kube.get<ObjectList<IConfigMap>>(`${base}/configmaps`),
      kube.get<ObjectList<IService>>(`${base}/services`),
      kube.get<ObjectList<IPod>>(`${base}/pods`),
    ]);
    const endpoints = pods.items.flatMap((p) =>
      p.status?.phase === "Running" && p.status.podIP !== undefined ? [{ pod: p, ip: p.status.podIP }] : [],
    );
    // A Service that selects no Running pod has no endpoints: its name does not resolve.
    const hosts = services.items.flatMap((service) =>
      endpoints.some(({ pod: p }) =>
        Object.entries(service.spec?.selector ?? {}).every(([k, v]) => p.metadata?.labels?.[k] === v),
      )
        ? serviceHosts([service], endpoints, namespace)
        : [],
    );
    const token = await this.podToken(pod);
    const local = adaptPod(pod, {
      runtime: this.options.runtime,
      podIP: pod.status?.podIP ?? "",
      namespace,
      scratchDir: join(this.options.scratchDir, name),
      configMaps: configMaps.items,
      hosts: [apiServerHosts(this.options.apiServer.hostname), ...hosts],
      serviceAccountToken: token,
      apiServerPort: Number(this.options.apiServer.port),
      ...(this.options.persistentVolumes === undefined
        ? {}
        : { persistentVolumes: this.options.persistentVolumes }),
    });
    if (this.stopped) return;
    const logFile = join(this.options.logDir, `spark-${this.options.logPrefix}${name}.log`);
    // The log stream truncates the file only once it has opened it: until then an earlier run's
    // log under the same name would answer logLine.
    rmSync(logFile, { force: true });
    const running = startProcess(name, local, logFile);
    const startedAt = performance.now();
    const reported = running.exited.then((exit) => this.report(pod, exit));
    this.runs.set(name, { pod, local, running, startedAt, reported });
  }

  /** What the kubelet puts into the projected token: a TokenRequest bound to the pod. */
  private async podToken(pod: IPod): Promise<string> {
    const account = pod.spec?.serviceAccountName ?? "default";
    const request = await this.options.kube.create<{ status: { token: string } }>(
      `/api/v1/namespaces/${this.options.namespace}/serviceaccounts/${account}/token`,
      {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: {
          expirationSeconds: 3607,
          boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      },
    );
    return request.status.token;
  }

  /** The pod's terminal status, as the kubelet reports a container that exited. */
  private async report(pod: IPod, exit: Exit): Promise<IPod | undefined> {
    const signal = exit.signal === null ? undefined : constants.signals[exit.signal];
    const exitCode = exit.code ?? (signal === undefined ? 1 : 128 + signal);
    const name = pod.metadata?.name ?? "";
    try {
      await setPodPhase(
        this.options.kubeconfigPath,
        this.options.namespace,
        name,
        exitCode === 0 ? "Succeeded" : "Failed",
        exitCode,
      );
      return await this.options.kube.get<IPod>(`/api/v1/namespaces/${this.options.namespace}/pods/${name}`);
    } catch {
      return undefined; // deleted meanwhile (Spark deletes executor pods at the end)
    }
  }

  /** Resolves when the process of this pod has exited and its status is written. */
  async finished(name: string, timeoutMs: number): Promise<{ run: PodRun; status: IPod | undefined }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const run = this.runs.get(name);
      if (run !== undefined) {
        const left = deadline - performance.now();
        const status = await Promise.race([
          run.reported,
          new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), Math.max(left, 0))),
        ]);
        if (status === "timeout") throw new Error(`pod ${name} still running after ${timeoutMs} ms`);
        return { run, status };
      }
      const failure = this.failures.get(name);
      if (failure !== undefined) throw new Error(`pod ${name} could not be started: ${failure}`);
      if (performance.now() > deadline) throw new Error(`pod ${name} never started`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** performance.now() when a line matching `pattern` first appeared in the pod's log, polled. */
  async logLine(name: string, pattern: RegExp, timeoutMs: number): Promise<number | undefined> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const run = this.runs.get(name);
      if (run !== undefined && existsSync(run.running.logFile)) {
        if (pattern.test(readFileSync(run.running.logFile, "utf8"))) return performance.now();
        if (run.running.exit !== undefined) return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
  }

  /** Stops watching and every process still running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatch?.();
    await Promise.all([...this.runs.values()].map((run) => stopProcess(run.running, 5_000)));
  }
}
