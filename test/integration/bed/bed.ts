// The integration bed: a real Kubernetes control plane on loopback, built from source.
//
//   etcd (3.6, from the Kubernetes module graph) -> kube-apiserver -> kube-controller-manager,
//   kube-scheduler, kwok -> Node "kwok-node-0" (type=kwok) Ready + ServiceAccount default/default.
//
// Every component is a separate process (each installs its own signal handler); all of them are
// roles of the one `testbed` binary (test/k8s) except kwok. State lives in .testbed/run/<id>/ and is
// removed by stop(); logs go to .testbed/logs/bed-<id>/<name>.log and are kept.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { ensureBinaries, type Binaries } from "./build.js";
import { kubeOk, kubeRequest, type Connection } from "./kube.js";
import { readApiserverCa, writeKubeconfig, writeServiceAccountKey, writeTokenFile } from "./pki.js";
import {
  alive,
  freePorts,
  startProcess,
  waitFor,
  waitForHttp,
  type ManagedProcess,
  type StartOptions,
} from "./processes.js";

/** Repository root, from this file's location (test/integration/bed/). */
export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export const NODE_NAME = "kwok-node-0";

/**
 * Pod IPs kwok hands out (stage pod-ready): a loopback range, so that a pod the Spark tests run
 * as a local process can bind to the very IP the API server reports for it (Linux answers on
 * every 127/8 address). The driver reads its own pod IP from the API server and gives it to its
 * executors (Spark 4.1+), so the reported IP has to be reachable. Clear of the addresses the
 * SparkCluster test picks itself (127.0.0.x).
 */
export const POD_CIDR = "127.128.0.0/16";

/**
 * kube-controller-manager controllers the bed runs: ownerReference GC, namespace deletion, the
 * `default` ServiceAccount per namespace (which the ServiceAccount admission plugin needs before it
 * admits pods), legacy SA token secrets, the kube-root-ca.crt ConfigMap every projected SA token
 * volume refers to, EndpointSlices for Services, and binding and releasing PersistentVolumeClaims.
 */
export const DEFAULT_CONTROLLERS = [
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "root-ca-certificate-publisher-controller",
  "endpointslice-controller",
  // The TaintNodesByCondition admission plugin creates every Node with the
  // node.kubernetes.io/not-ready:NoSchedule taint; this controller lifts it once kwok reports Ready.
  "node-lifecycle-controller",
  // PersistentVolumeClaims (a SparkHistoryServer's event log claim): the scheduler does not place
  // a pod whose claim is unbound, and only this controller binds a claim to a PersistentVolume
  // (here one a scenario pre-creates with a claimRef; the bed has no provisioner). The two
  // protection controllers remove the kubernetes.io/pvc-protection and pv-protection finalizers
  // that admission adds, without which a deleted claim would stay Terminating for ever. None of
  // them acts on anything but claims and volumes, which no other scenario creates.
  "persistentvolume-binder-controller",
  "persistentvolumeclaim-protection-controller",
  "persistentvolume-protection-controller",
];

export interface BedOptions {
  /** Defaults to the repository this file lives in. */
  repoRoot?: string;
  /** Run id: state goes to .testbed/run/<id>/. Default: time + pid. */
  id?: string;
  /** Where component logs go. Default <repoRoot>/.testbed/logs/bed-<id>/ (kept after stop()). */
  logDir?: string;
  /** kube-controller-manager --controllers. Default DEFAULT_CONTROLLERS. */
  controllers?: readonly string[];
  /** Extra kwok --config files or directories (Stage objects), after the default stages. */
  kwokConfigs?: readonly string[];
  /** Extra flags per component, appended to the bed's own. */
  extraArgs?: Partial<Record<ComponentName, readonly string[]>>;
  /** Per-component readiness timeout. Default 120 s. */
  readyTimeoutMs?: number;
}

export type ComponentName = "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kwok";

export interface BedTimings {
  /** ensureBinaries (a hash check when nothing changed). */
  build: number;
  etcd: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
  /** Node created until Ready and the default ServiceAccount exists. */
  nodeReady: number;
  total: number;
}

export interface Bed {
  /** Admin kubeconfig (token auth, CA-verified): .testbed/run/<id>/kubeconfig. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Bearer token of user "admin" in system:masters. */
  token: string;
  /** CA of the apiserver's self-signed serving certificate (also in the kubeconfig). */
  caPem?: string;
  /** Seconds. */
  timings: BedTimings;
  /** The run directory, .testbed/run/<id>/ (removed by stop()). */
  dir: string;
  logDir: string;
  etcdUrl: string;
  nodeName: string;
  binaries: Binaries;
  /** The running component processes (pid, log file, exit state). */
  processes: Readonly<Record<ComponentName, ManagedProcess>>;
  /**
   * Restarts kube-controller-manager (same flags, port and log directory; the log continues in
   * kube-controller-manager-<n>.log) and resolves with the seconds it took once /healthz answers.
   * Call it after installing CRDs: the garbage collector learns about new resource types only on its
   * 30 s discovery resync, so until then a deleted custom resource's dependents can outlive it by
   * up to ~40 s. A restarted controller manager discovers the CRDs at start.
   */
  restartControllerManager(): Promise<number>;
  /** Terminates every component (SIGTERM, SIGKILL after a grace period) and removes `dir`. */
  stop(): Promise<void>;
}

const seconds = (fromMs: number): number => Math.round((performance.now() - fromMs) / 10) / 100;

/** Removes run directories left behind by processes that died without stop(). */
function removeStaleRuns(runRoot: string): void {
  if (!existsSync(runRoot)) return;
  for (const entry of readdirSync(runRoot)) {
    const dir = join(runRoot, entry);
    const ownerFile = join(dir, "owner.pid");
    if (existsSync(ownerFile)) {
      const owner = Number(readFileSync(ownerFile, "utf8").trim());
      if (!Number.isInteger(owner) || !alive(owner)) rmSync(dir, { recursive: true, force: true });
    } else if (Date.now() - statSync(dir).mtimeMs > 60_000) {
      rmSync(dir, { recursive: true, force: true }); // not one being set up right now
    }
  }
}

/** Keeps the newest `keep` bed-* log directories (by modification time) and removes the rest. */
function pruneLogDirs(logsRoot: string, keep: number): void {
  if (!existsSync(logsRoot)) return;
  const dirs = readdirSync(logsRoot)
    .filter((e) => e.startsWith("bed-"))
    .map((e) => ({ path: join(logsRoot, e), mtime: statSync(join(logsRoot, e)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const d of dirs.slice(keep)) rmSync(d.path, { recursive: true, force: true });
}

let counter = 0;

/**
 * Builds the binaries if needed (see ensureBinaries), then starts the control plane and waits until
 * the kwok node is Ready and untainted and ServiceAccount default/default exists. Free ports are
 * picked at random; should another process take one first, the start is retried (twice).
 */
export async function startBed(options: BedOptions = {}): Promise<Bed> {
  const t0 = performance.now();
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const binaries = await ensureBinaries(repoRoot);
  const tBuild = seconds(t0);
  removeStaleRuns(join(repoRoot, ".testbed", "run"));
  if (options.logDir === undefined) pruneLogDirs(join(repoRoot, ".testbed", "logs"), 20);
  const baseId =
    options.id ?? `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}-${counter++}`;
  for (let attempt = 0; ; attempt++) {
    const id = attempt === 0 ? baseId : `${baseId}-retry${attempt}`;
    try {
      return await startOnce(options, repoRoot, id, binaries, t0, tBuild);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (attempt < 2 && /address already in use/i.test(message)) continue;
      throw e;
    }
  }
}

async function startOnce(
  options: BedOptions,
  repoRoot: string,
  id: string,
  binaries: Binaries,
  t0: number,
  tBuild: number,
): Promise<Bed> {
  const dir = join(repoRoot, ".testbed", "run", id);
  // Per run, so that beds started concurrently (or one after another) do not clobber each other.
  const logDir = options.logDir ?? join(repoRoot, ".testbed", "logs", `bed-${id}`);
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const extra = (c: ComponentName): string[] => [...(options.extraArgs?.[c] ?? [])];

  rmSync(dir, { recursive: true, force: true });
  const pkiDir = join(dir, "pki");
  mkdirSync(pkiDir, { recursive: true });
  writeFileSync(join(dir, "owner.pid"), `${process.pid}\n`);
  mkdirSync(logDir, { recursive: true });

  const started: ManagedProcess[] = [];
  const launch = (
    name: ComponentName,
    command: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
    logName: string = name,
  ) => {
    const opts: StartOptions = { name, command, args, logFile: join(logDir, `${logName}.log`), cwd: dir };
    if (env !== undefined) opts.env = env;
    const p = startProcess(opts);
    started.push(p);
    return p;
  };
  let stopped = false;
  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Clients first, then the apiserver, then etcd.
    const order: ComponentName[][] = [
      ["kwok", "kube-scheduler", "kube-controller-manager"],
      ["kube-apiserver"],
      ["etcd"],
    ];
    for (const group of order) {
      await Promise.all(
        started.filter((p) => group.includes(p.name as ComponentName)).map((p) => p.stop(10_000)),
      );
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = (await freePorts(6)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];

    // --- etcd -------------------------------------------------------------------------------------
    let t = performance.now();
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = launch("etcd", binaries.testbed, [
      "etcd",
      "--name=testbed",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=testbed=${peerUrl}`,
      "--unsafe-no-fsync",
      "--watch-progress-notify-interval=5s",
      "--log-level=warn",
      ...extra("etcd"),
    ]);
    await waitForHttp(
      { url: `${etcdUrl}/health` },
      {
        proc: etcd,
        timeoutMs: readyTimeoutMs,
        what: "etcd /health",
        expect: (r) => r.body.includes('"true"'),
      },
    );
    const tEtcd = seconds(t);

    // --- kube-apiserver ---------------------------------------------------------------------------
    t = performance.now();
    const saKey = writeServiceAccountKey(pkiDir);
    const { path: tokenFile, token } = writeTokenFile(pkiDir);
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = launch("kube-apiserver", binaries.testbed, [
      "kube-apiserver",
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--cert-dir=${pkiDir}`,
      // Room for every ClusterIP Service a scenario makes: many-applications' 1,000
      // SparkApplications have a web UI Service each, and a /24 (253 addresses) answered
      // "failed to allocate a serviceIP ... range is full" from the 254th on.
      "--service-cluster-ip-range=10.0.0.0/16",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      `--token-auth-file=${tokenFile}`,
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      ...extra("kube-apiserver"),
    ]);
    // The serving cert is written to --cert-dir before the server listens.
    const caPem = await waitFor(async () => Promise.resolve(readApiserverCa(pkiDir)), {
      proc: apiserver,
      timeoutMs: readyTimeoutMs,
      what: "kube-apiserver serving certificate",
    });
    const conn: Connection = { server, token, caPem };
    await waitForHttp(
      { url: `${server}/readyz`, token, ca: caPem },
      { proc: apiserver, timeoutMs: readyTimeoutMs, what: "kube-apiserver /readyz", intervalMs: 250 },
    );
    const caFile = join(pkiDir, "ca.crt");
    writeFileSync(caFile, caPem);
    const kubeconfigPath = writeKubeconfig({ path: join(dir, "kubeconfig"), server, token, caPem });
    const tApiserver = seconds(t);

    // --- controller-manager, scheduler, kwok: independent of each other, started together ---------
    const controllers = options.controllers ?? DEFAULT_CONTROLLERS;
    const delegated = [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
    ];
    const tKcm0 = performance.now();
    const kcmArgs = [
      "kube-controller-manager",
      ...delegated,
      `--secure-port=${kcmPort}`,
      `--controllers=${controllers.join(",")}`,
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${caFile}`,
      ...extra("kube-controller-manager"),
    ];
    const kcm = launch("kube-controller-manager", binaries.testbed, kcmArgs);
    const tSched0 = performance.now();
    const scheduler = launch("kube-scheduler", binaries.testbed, [
      "kube-scheduler",
      ...delegated,
      `--secure-port=${schedPort}`,
      ...extra("kube-scheduler"),
    ]);
    const tKwok0 = performance.now();
    const kwokHome = join(dir, "kwok-home"); // keeps ~/.kwok/kwok.yaml of the machine out
    mkdirSync(kwokHome, { recursive: true });
    const kwok = launch(
      "kwok",
      binaries.kwok,
      [
        `--kubeconfig=${kubeconfigPath}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-label-selector=type=kwok",
        "--node-lease-duration-seconds=40",
        `--cidr=${POD_CIDR}`,
        "--node-ip=10.240.0.10",
        `--server-address=127.0.0.1:${kwokPort}`,
        ...[...binaries.stagesDirs, ...(options.kwokConfigs ?? [])].map((c) => `--config=${c}`),
        ...extra("kwok"),
      ],
      { ...process.env, HOME: kwokHome },
    );
    const insecure = { insecure: true } as const;
    const [tKcm, tSched, tKwok] = await Promise.all([
      waitForHttp(
        { url: `https://127.0.0.1:${kcmPort}/healthz`, ...insecure },
        { proc: kcm, timeoutMs: readyTimeoutMs, what: "kube-controller-manager /healthz" },
      ).then(() => seconds(tKcm0)),
      waitForHttp(
        { url: `https://127.0.0.1:${schedPort}/readyz`, ...insecure },
        { proc: scheduler, timeoutMs: readyTimeoutMs, what: "kube-scheduler /readyz" },
      ).then(() => seconds(tSched0)),
      waitForHttp(
        { url: `http://127.0.0.1:${kwokPort}/healthz` },
        { proc: kwok, timeoutMs: readyTimeoutMs, what: "kwok /healthz" },
      ).then(() => seconds(tKwok0)),
    ]);

    // --- the fake node ----------------------------------------------------------------------------
    t = performance.now();
    await createNode(conn, NODE_NAME);
    await Promise.all([
      waitFor(
        async () => {
          const node = await kubeOk<{
            spec?: { taints?: { key: string; effect: string }[] };
            status?: { conditions?: { type: string; status: string }[] };
          }>(conn, "GET", `/api/v1/nodes/${NODE_NAME}`);
          const ready = node.status?.conditions?.find((c) => c.type === "Ready");
          const taints = node.spec?.taints ?? [];
          if (ready?.status === "True" && taints.length === 0) return true;
          throw new Error(
            `node ${NODE_NAME} Ready=${ready?.status ?? "absent"} taints=${taints.map((t) => t.key).join(",")}`,
          );
        },
        { proc: kwok, timeoutMs: readyTimeoutMs, what: `node ${NODE_NAME} Ready and untainted` },
      ),
      waitFor(
        async () => {
          const r = await kubeRequest(conn, "GET", "/api/v1/namespaces/default/serviceaccounts/default");
          if (r.status === 200) return true;
          throw new Error(`serviceaccount default/default: HTTP ${r.status}`);
        },
        { proc: kcm, timeoutMs: readyTimeoutMs, what: "ServiceAccount default/default" },
      ),
    ]);
    const tNode = seconds(t);

    const processes: Record<ComponentName, ManagedProcess> = {
      etcd,
      "kube-apiserver": apiserver,
      "kube-controller-manager": kcm,
      "kube-scheduler": scheduler,
      kwok,
    };
    let kcmRestarts = 0;
    const bed: Bed = {
      kubeconfigPath,
      server,
      token,
      caPem,
      timings: {
        build: tBuild,
        etcd: tEtcd,
        apiserver: tApiserver,
        controllerManager: tKcm,
        scheduler: tSched,
        kwok: tKwok,
        nodeReady: tNode,
        total: seconds(t0),
      },
      dir,
      logDir,
      etcdUrl,
      nodeName: NODE_NAME,
      binaries,
      processes,
      restartControllerManager: async () => {
        const t = performance.now();
        await processes["kube-controller-manager"].stop(10_000);
        const next = launch(
          "kube-controller-manager",
          binaries.testbed,
          kcmArgs,
          undefined,
          `kube-controller-manager-${++kcmRestarts}`,
        );
        processes["kube-controller-manager"] = next;
        await waitForHttp(
          { url: `https://127.0.0.1:${kcmPort}/healthz`, ...insecure },
          { proc: next, timeoutMs: readyTimeoutMs, what: "kube-controller-manager /healthz" },
        );
        return seconds(t);
      },
      stop: stopAll,
    };
    return bed;
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
}

/**
 * Room on the one kwok node for every scenario at once: 100 SparkClusters of the default size
 * (1 CPU, 1-2Gi per pod) are 200 pods, 200 CPUs and ~300Gi. kwok runs no containers, so the
 * figures only have to satisfy the scheduler; one large node keeps the bed's start fast.
 */
export const NODE_CAPACITY = { cpu: "1000", memory: "4Ti", pods: "2000", "ephemeral-storage": "10Ti" };

/** A Node for kwok to manage: label type=kwok, NODE_CAPACITY, no taints. */
export async function createNode(conn: Connection, name: string): Promise<void> {
  const capacity = NODE_CAPACITY;
  await kubeOk(conn, "POST", "/api/v1/nodes", {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        type: "kwok",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/agent": "",
      },
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: {},
    status: { capacity, allocatable: capacity },
  });
}

/** A random suffix for object names in tests. */
export function randomSuffix(bytes = 3): string {
  return randomBytes(bytes).toString("hex");
}
