/**
 * The real Metacontroller binary (v4.17.2, built by bed/build.ts) as a scenario's controller
 * runtime:
 *
 * - installs the CompositeControllers, each hook's webhook replaced by a `url` on the loopback
 *   hook proxy (hook-proxy.ts), which forwards to `hookBaseUrl(<original hook URL>)`;
 * - runs the binary with the shipped StatefulSet's flags (flags.ts), or given ones, under the
 *   credentials it is given (the bed mints a token for deploy/metacontroller's ServiceAccount);
 *   logs go to <logDir>/metacontroller-<n>.log;
 * - counts writes from watch events (write-watch.ts); `idle()` waits until no hook call is in
 *   flight and neither hook calls nor writes happened for a settle period; `resyncAll()`
 *   restarts the process, which lists and syncs every parent again (what a
 *   --cache-flush-interval relist does), and waits until each has been synced.
 */
import { join } from "node:path";
import { eventually } from "../eventually.js";
import { freePorts, startProcess, waitForHttp, type ManagedProcess } from "../bed/processes.js";
import { Kube } from "../scenarios/kube.js";
import { serverSideApply, type Manifest } from "../scenarios/manifests.js";
import { bedOverrides, shippedFlags, withFlags } from "./flags.js";
import { startHookProxy, withHooksRouted } from "./hook-proxy.js";
import { collectionPath, startWriteWatch, type ResourceRef, type WriteCount } from "./write-watch.js";

export interface Counters extends WriteCount {
  /** HTTP calls to sync, finalize and customize hooks. */
  readonly hookCalls: number;
  /** Of those, the ones that failed (no answer, or a status other than 200). */
  readonly hookFailures: number;
}

/** What a scenario needs from its controller runtime. */
export interface Metacontroller {
  /** The command line the binary runs with. */
  readonly args: readonly string[];
  stop(): Promise<void>;
  /** Resolves once no hook call is in flight and nothing happened for the settle period. */
  idle(timeoutMs?: number): Promise<void>;
  /** Every parent synced once more from a fresh list. */
  resyncAll(): Promise<void>;
  counters(): Counters;
}

export interface MetacontrollerOptions {
  readonly binary: string;
  /** The test's own (admin) credentials: install the CompositeControllers, watch the writes. */
  readonly kubeconfigPath: string;
  /** The credentials Metacontroller runs with. Default: kubeconfigPath. */
  readonly metacontrollerKubeconfigPath?: string;
  /** CompositeController objects as parsed from YAML. */
  readonly controllers: readonly Readonly<Record<string, unknown>>[];
  /** Rewrites every hook URL before it is called (in-cluster URLs to a loopback server). */
  readonly hookBaseUrl: (url: string) => string;
  /** Flags before the bed's overrides. Default: the shipped StatefulSet's args. */
  readonly flags?: readonly string[];
  /** Count writes and resync parents in this namespace only. Default: all namespaces. */
  readonly namespace?: string;
  readonly logDir: string;
  /** How long idle() wants everything quiet. Default 1 s. */
  readonly idleSettleMs?: number;
  readonly log?: (line: string) => void;
}

interface CompositeControllerView {
  metadata: { name: string };
  spec: { parentResource: ResourceRef; childResources?: ResourceRef[] };
}

let launches = 0;

export async function startMetacontroller(options: MetacontrollerOptions): Promise<Metacontroller> {
  const log = options.log ?? (() => undefined);
  const kube = new Kube(options.kubeconfigPath);
  const proxy = await startHookProxy(log);
  const controllers = options.controllers.map((raw) => {
    const routed = withHooksRouted(raw, (hook, original) => proxy.route(hook, options.hookBaseUrl(original)));
    return routed as unknown as CompositeControllerView & Manifest;
  });
  for (const controller of controllers) await serverSideApply(kube, controller);
  const parents = controllers.map((c) => c.spec.parentResource);
  const children = [
    ...new Map(
      controllers
        .flatMap((c) => c.spec.childResources ?? [])
        .map((ref) => [`${ref.apiVersion}/${ref.resource}`, ref]),
    ).values(),
  ];
  const writes = await startWriteWatch(kube, {
    parents,
    children,
    log,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
  });

  const launch = async (): Promise<{ proc: ManagedProcess; args: string[] }> => {
    const [healthPort, metricsPort] = (await freePorts(2)) as [number, number];
    const args = withFlags(
      options.flags ?? shippedFlags(),
      bedOverrides({
        kubeconfigPath: options.metacontrollerKubeconfigPath ?? options.kubeconfigPath,
        healthPort,
        metricsPort,
      }),
    );
    const proc = startProcess({
      name: "metacontroller",
      command: options.binary,
      args,
      logFile: join(options.logDir, `metacontroller-${++launches}.log`),
    });
    await waitForHttp(
      { url: `http://127.0.0.1:${healthPort}/readyz` },
      { proc, timeoutMs: 60_000, what: "metacontroller /readyz" },
    );
    log(`metacontroller running (pid ${proc.pid}): ${args.join(" ")}`);
    return { proc, args };
  };

  let running = await launch();
  const settleMs = options.idleSettleMs ?? 1_000;
  let stopped = false;

  const parentUids = async (): Promise<string[]> => {
    const lists = await Promise.all(
      parents.map((ref) =>
        kube.get<{ items: { metadata: { uid: string } }[] }>(collectionPath(ref, options.namespace)),
      ),
    );
    return lists.flatMap((list) => list.items.map((item) => item.metadata.uid));
  };

  return {
    get args() {
      return running.args;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.proc.stop(10_000);
      for (const controller of controllers) {
        await kube
          .send(
            "DELETE",
            `/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers/${controller.metadata.name}`,
          )
          .catch(() => undefined);
      }
      writes.stop();
      await proxy.close();
    },
    async idle(timeoutMs = 30_000) {
      await eventually(
        "Metacontroller idle",
        () => {
          const quietFor = Math.min(Date.now() - proxy.lastActivity, writes.quietForMs());
          return proxy.inFlight === 0 && quietFor >= settleMs ? true : undefined;
        },
        { timeoutMs, intervalMs: 50 },
      );
    },
    async resyncAll() {
      const uids = await parentUids();
      await running.proc.stop(10_000);
      const restartedAt = Date.now();
      running = await launch();
      await eventually(
        `${uids.length} parents synced after a restart`,
        () => (uids.every((uid) => (proxy.lastSyncOk.get(uid) ?? 0) > restartedAt) ? true : undefined),
        { timeoutMs: 120_000, intervalMs: 50 },
      );
    },
    counters() {
      return { hookCalls: proxy.calls, hookFailures: proxy.failures, ...writes.count() };
    },
  };
}
