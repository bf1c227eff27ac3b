/**
 * The real Metacontroller binary behind the same `Harness` interface as the TypeScript runtime,
 * for when METACONTROLLER_BIN names one (see ensureMetacontroller for why none is built here).
 *
 * - Installs Metacontroller's CRDs (shared/upstream/metacontroller-crds-v1.yaml, v4.17.2) and the
 *   CompositeControllers, each hook's webhook replaced by a `url` on a loopback proxy.
 * - The proxy forwards every hook call to `hookBaseUrl(<original hook URL>)` unchanged (status,
 *   Retry-After, body) and counts calls, failures and calls in flight.
 * - Runs the binary with --kubeconfig, fast discovery, debug logging, metrics and health probes on
 *   free loopback ports; logs go to .testbed/logs/metacontroller.log.
 * - `counters().writes` comes from write-watch.ts (events on children and parent status), because
 *   the binary's requests cannot be seen; `idle()` waits for no hook call in flight and no hook
 *   call or counted write for a settle period; `resyncAll()` restarts the process, which syncs
 *   every parent again from a fresh list (the same as a --cache-flush-interval relist).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot, sharedDir } from "../paths.js";
import type { Harness, HarnessOptions } from "./controller.js";
import { CompositeControllerSchema, webhookUrl, type Webhook } from "./hooks.js";
import { KubeClient } from "./kube-client.js";
import type { JsonObject } from "./merge.js";
import { startWriteWatch } from "./write-watch.js";

export interface RealMetacontrollerOptions extends HarnessOptions {
  /** Path of the metacontroller binary. */
  readonly binary: string;
  /** Extra command-line flags. */
  readonly args?: readonly string[];
}

export const METACONTROLLER_CRDS = join(sharedDir, "upstream", "metacontroller-crds-v1.yaml");
const CC_PATH = "/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers";
const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/**
 * The Metacontroller binary to use: METACONTROLLER_BIN, or .testbed/bin/metacontroller. It cannot
 * be built from the Go module proxy: the repository's go.mod declares the module path
 * `metacontroller` (no dot, so not fetchable), and proxy.golang.org answers
 * `403 Forbidden: This module version is not available.` for
 * github.com/metacontroller/metacontroller (list, @v4.17.2 and @<commit> alike).
 */
export function ensureMetacontroller(): string {
  const fromEnv = process.env["METACONTROLLER_BIN"];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv)) throw new Error(`METACONTROLLER_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  const local = join(repoRoot, ".testbed", "bin", "metacontroller");
  if (existsSync(local)) return local;
  throw new Error(
    "no Metacontroller binary: set METACONTROLLER_BIN (a v4.17.2 build of github.com/metacontroller/metacontroller). " +
      "It cannot be built here: its go.mod declares module path `metacontroller`, and proxy.golang.org answers " +
      "403 'This module version is not available' for github.com/metacontroller/metacontroller.",
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Create, or replace keeping the resourceVersion. */
async function apply(client: KubeClient, collection: string, obj: JsonObject): Promise<void> {
  const name = (obj["metadata"] as { name: string }).name;
  const created = await client.request("POST", collection, { body: obj });
  if (created.status === 201 || created.status === 200) return;
  if (created.status !== 409)
    throw new Error(`POST ${collection} ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  const current = await client.call<JsonObject>("GET", `${collection}/${name}`);
  const resourceVersion = (current["metadata"] as { resourceVersion?: string }).resourceVersion;
  const body = {
    ...obj,
    metadata: {
      ...(obj["metadata"] as JsonObject),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
  };
  await client.call("PUT", `${collection}/${name}`, { body });
}

/** Applies Metacontroller's CRDs (v4.17.2) and waits until they are established. */
export async function installMetacontrollerCrds(client: KubeClient): Promise<void> {
  const docs = parseAllDocuments(readFileSync(METACONTROLLER_CRDS, "utf8"))
    .map((doc) => doc.toJS() as JsonObject | null)
    .filter((doc): doc is JsonObject => doc !== null && doc["kind"] === "CustomResourceDefinition");
  for (const crd of docs) await apply(client, CRD_PATH, crd);
  for (const crd of docs) {
    const name = (crd["metadata"] as { name: string }).name;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const current = await client.call<{ status?: { conditions?: { type: string; status: string }[] } }>(
        "GET",
        `${CRD_PATH}/${name}`,
      );
      if (current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") === true)
        break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established after 30 s`);
      await sleep(100);
    }
  }
}

interface HookProxy {
  readonly url: string;
  readonly server: Server;
  calls: number;
  failures: number;
  inFlight: number;
  lastActivity: number;
  /** Registers a target, returns the proxy URL that forwards to it. */
  route(target: string): string;
}

async function startHookProxy(log: (line: string) => void): Promise<HookProxy> {
  const targets: string[] = [];
  const proxy: HookProxy = {
    url: "",
    server: createServer(),
    calls: 0,
    failures: 0,
    inFlight: 0,
    lastActivity: Number.NEGATIVE_INFINITY,
    route(target: string): string {
      targets.push(target);
      return `${this.url}/hook/${targets.length - 1}`;
    },
  };
  proxy.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const index = /^\/hook\/(\d+)$/.exec(req.url ?? "")?.[1];
    const target = index === undefined ? undefined : targets[Number(index)];
    if (target === undefined || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    proxy.calls += 1;
    proxy.inFlight += 1;
    proxy.lastActivity = Date.now();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        try {
          const upstream = await fetch(target, {
            method: "POST",
            headers: { "content-type": req.headers["content-type"] ?? "application/json" },
            body: Buffer.concat(chunks),
            signal: AbortSignal.timeout(120_000),
          });
          const body = Buffer.from(await upstream.arrayBuffer());
          if (upstream.status !== 200) proxy.failures += 1;
          const headers: Record<string, string> = {};
          for (const name of ["content-type", "retry-after", "etag"]) {
            const value = upstream.headers.get(name);
            if (value !== null) headers[name] = value;
          }
          res.writeHead(upstream.status, headers).end(body);
        } catch (err) {
          proxy.failures += 1;
          log(`hook proxy: ${target}: ${String(err)}`);
          res.destroy();
        } finally {
          proxy.inFlight -= 1;
          proxy.lastActivity = Date.now();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
  const address = proxy.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  (proxy as { url: string }).url = `http://127.0.0.1:${port}`;
  return proxy;
}

/**
 * A copy of a CompositeController whose every hook calls `route(<original hook URL>)` through
 * `webhook.url` (service and path removed; timeout and the other fields kept).
 */
export function withHooksRouted(
  cc: Readonly<Record<string, unknown>>,
  route: (original: string) => string,
): JsonObject {
  const copy = structuredClone(cc) as JsonObject;
  const hooks = ((copy["spec"] as JsonObject)["hooks"] ?? {}) as Record<
    string,
    { webhook?: Webhook } | undefined
  >;
  for (const hook of Object.values(hooks)) {
    if (hook?.webhook === undefined) continue;
    const original = webhookUrl(hook.webhook);
    const { service: _service, path: _path, ...rest } = hook.webhook;
    hook.webhook = { ...rest, url: route(original) };
  }
  return copy;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

export async function startRealMetacontroller(options: RealMetacontrollerOptions): Promise<Harness> {
  const log = options.log ?? (() => undefined);
  const client = await KubeClient.fromKubeconfig(options.kubeconfigPath);
  await installMetacontrollerCrds(client);

  const proxy = await startHookProxy(log);
  const parents: { apiVersion: string; resource: string }[] = [];
  const children = new Map<string, { apiVersion: string; resource: string }>();
  const names: string[] = [];
  for (const raw of options.controllers) {
    const cc = CompositeControllerSchema.parse(raw);
    const copy = withHooksRouted(raw, (original) => proxy.route(options.hookBaseUrl?.(original) ?? original));
    await apply(client, CC_PATH, copy);
    names.push(cc.metadata.name);
    parents.push({
      apiVersion: cc.spec.parentResource.apiVersion,
      resource: cc.spec.parentResource.resource,
    });
    for (const child of cc.spec.childResources ?? [])
      children.set(`${child.apiVersion}/${child.resource}`, child);
  }
  for (const ref of [
    { apiVersion: "v1", resource: "pods" },
    { apiVersion: "v1", resource: "services" },
    { apiVersion: "v1", resource: "configmaps" },
  ]) {
    children.set(`${ref.apiVersion}/${ref.resource}`, ref);
  }
  const writeWatch = await startWriteWatch({
    kubeconfigPath: options.kubeconfigPath,
    parents,
    children: [...children.values()],
    log,
  });

  const logDir = join(repoRoot, ".testbed", "logs");
  mkdirSync(logDir, { recursive: true });
  const launch = async (): Promise<Running> => {
    const metricsPort = await freePort();
    const healthPort = await freePort();
    const fd = openSync(join(logDir, "metacontroller.log"), "a");
    const child = spawn(
      options.binary,
      [
        `--kubeconfig=${options.kubeconfigPath}`,
        "--discovery-interval=2s",
        "--cache-flush-interval=30m",
        "--zap-log-level=4",
        `--metrics-address=127.0.0.1:${metricsPort}`,
        `--health-probe-bind-address=127.0.0.1:${healthPort}`,
        ...(options.workers === undefined ? [] : [`--workers=${options.workers}`]),
        ...(options.args ?? []),
      ],
      { stdio: ["ignore", fd, fd], env: { ...process.env, KUBECONFIG: options.kubeconfigPath } },
    );
    closeSync(fd);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`metacontroller exited with ${child.exitCode}; see ${logDir}/metacontroller.log`);
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`metacontroller not ready after 60 s; see ${logDir}/metacontroller.log`);
      }
      await sleep(200);
    }
    log(`metacontroller running (pid ${child.pid ?? "?"})`);
    return { child, exited };
  };
  const terminate = async (running: Running): Promise<void> => {
    if (running.child.exitCode !== null) return;
    running.child.kill("SIGTERM");
    const timer = setTimeout(() => running.child.kill("SIGKILL"), 10_000);
    await running.exited;
    clearTimeout(timer);
  };

  let running = await launch();
  const settleMs = options.idleSettleMs ?? 1_000;
  let stopped = false;

  const countParents = async (): Promise<number> => {
    let total = 0;
    for (const parent of parents) {
      const base = parent.apiVersion.includes("/")
        ? `/apis/${parent.apiVersion}`
        : `/api/${parent.apiVersion}`;
      const list = await client.request("GET", `${base}/${parent.resource}`);
      // A parent CRD that is not installed has no parents to resync.
      if (list.status === 200) total += (list.body as { items?: unknown[] }).items?.length ?? 0;
    }
    return total;
  };

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(running);
      for (const name of names) await client.request("DELETE", `${CC_PATH}/${name}`).catch(() => undefined);
      await writeWatch.stop();
      await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
      proxy.server.closeAllConnections();
    },
    async idle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const quietFor = Math.min(Date.now() - proxy.lastActivity, writeWatch.quietForMs());
        if (proxy.inFlight === 0 && quietFor >= settleMs) return;
        if (Date.now() > deadline) {
          throw new Error(
            `metacontroller not idle after ${timeoutMs} ms (${proxy.inFlight} hook calls in flight)`,
          );
        }
        await sleep(50);
      }
    },
    async resyncAll() {
      const expected = await countParents();
      const before = proxy.calls;
      await terminate(running);
      running = await launch();
      const deadline = Date.now() + 60_000;
      while (proxy.calls - before < expected && Date.now() < deadline) await sleep(50);
    },
    counters() {
      return { hookCalls: proxy.calls, hookFailures: proxy.failures, ...writeWatch.count() };
    },
  };
}
