/**
 * A scenario's world: the shared control plane (from global-setup), a namespace of its own, our
 * real hook server on loopback, and the real Metacontroller running our CompositeControllers
 * with the flags we ship, as the ServiceAccount and ClusterRole we ship.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { inject } from "vitest";
import { parseAllDocuments } from "yaml";
import { controllers } from "../../../hooks/controllers.js";
import { startServer, type RunningServer } from "../../../hooks/server/serve.js";
import { startMetacontroller, type Metacontroller } from "../metacontroller/metacontroller.js";
import { loadConfig } from "../../../hooks/server/config.js";
import { eventually } from "../eventually.js";
import { repoRoot } from "../paths.js";
import { Kube } from "./kube.js";

/** Our CompositeControllers as users install them (composite-controllers/*.yaml). */
export function compositeControllers(): Record<string, unknown>[] {
  const dir = join(repoRoot, "composite-controllers");
  return readdirSync(dir)
    .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), "utf8")).map(
        (doc) => doc.toJS() as Record<string, unknown>,
      ),
    )
    .filter((object) => object["kind"] === "CompositeController");
}

/** The hook server, restartable on the same port (for "the hook server was down" scenarios). */
export class HookServer {
  private running: RunningServer | undefined;
  private port = 0;

  async start(): Promise<void> {
    this.running = await startServer(
      { ...loadConfig({}), port: this.port, host: "127.0.0.1" },
      { controllers, logger: pino({ level: "silent" }) },
    );
    this.port = this.running.port;
  }

  async stop(): Promise<void> {
    await this.running?.shutdown(5_000);
    this.running = undefined;
  }

  get url(): string {
    if (this.port === 0) throw new Error("hook server never started");
    return `http://127.0.0.1:${this.port}`;
  }
}

export { eventually };

export interface World {
  readonly kube: Kube;
  readonly namespace: string;
  readonly hook: HookServer;
  readonly runtime: Metacontroller;
  readonly kubeconfigPath: string;
  close(): Promise<void>;
}

/** Points the in-cluster hook URLs (http://sparkhooks.sparkhooks:80/<path>) at the loopback server. */
function rewriteTo(hook: HookServer) {
  return (url: string) => {
    const parsed = new URL(url);
    return `${hook.url}${parsed.pathname}`;
  };
}

export interface WorldOptions {
  /** Metacontroller's flags before the bed's overrides. Default: the shipped StatefulSet's. */
  readonly metacontrollerFlags?: readonly string[];
}

export async function openWorld(name: string, options: WorldOptions = {}): Promise<World> {
  const { kubeconfigPath, logDir, metacontroller } = inject("bed");
  const kube = new Kube(kubeconfigPath);
  const namespace = `${name}-${Date.now().toString(36)}`;
  // Pod Security "restricted" enforced by the real admission plugin: our pods must pass it.
  await kube.create("/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  });
  // Pods are admitted only once the controller-manager has made the default ServiceAccount.
  await eventually("the default ServiceAccount", async () =>
    (await kube.send("GET", `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status === 200
      ? true
      : undefined,
  );
  const hook = new HookServer();
  await hook.start();
  const runtime = await startMetacontroller({
    binary: metacontroller.binary,
    kubeconfigPath,
    metacontrollerKubeconfigPath: metacontroller.kubeconfigPath,
    controllers: compositeControllers(),
    hookBaseUrl: rewriteTo(hook),
    namespace,
    logDir,
    ...(options.metacontrollerFlags === undefined ? {} : { flags: options.metacontrollerFlags }),
  });
  return {
    kube,
    namespace,
    hook,
    runtime,
    kubeconfigPath,
    async close() {
      await runtime.stop();
      await hook.stop();
      await kube.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    },
  };
}

/**
 * The world is steady: once the runtime is idle, a full resync of every parent makes zero writes
 * (no hot loop on status, no recreate loop on children).
 */
export async function expectSteady(world: World): Promise<void> {
  await world.runtime.idle(60_000);
  const before = world.runtime.counters().writes;
  await world.runtime.resyncAll();
  await world.runtime.idle(60_000);
  const after = world.runtime.counters();
  if (after.writes !== before) {
    throw new Error(
      `a resync at steady state made ${after.writes - before} writes: ${JSON.stringify(after.writesByVerb)}`,
    );
  }
}
