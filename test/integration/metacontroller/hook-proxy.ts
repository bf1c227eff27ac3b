/**
 * The loopback path from Metacontroller to our hook server. CompositeControllers name the hook
 * server by Service (`sparkhooks.sparkhooks:80`), which does not resolve on the bed; each hook's
 * webhook is rewritten to a `url` on this proxy, which forwards the call unchanged (status,
 * Retry-After, body) and counts what the test cannot see inside the binary: calls, failures,
 * calls in flight, and when each parent was last synced successfully.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

interface Webhook {
  url?: string;
  path?: string;
  service?: { name: string; namespace: string; port?: number; protocol?: string };
  [field: string]: unknown;
}

type HookName = "sync" | "finalize" | "customize";

/** Metacontroller's `webhookURL`: `url` wins, else `<protocol>://<name>.<namespace>:<port><path>`. */
export function webhookUrl(webhook: Webhook): string {
  if (webhook.url !== undefined) return webhook.url;
  if (webhook.service === undefined || webhook.path === undefined) {
    throw new Error("a webhook needs either `url`, or both `service` and `path`");
  }
  const { name, namespace, port = 80, protocol = "http" } = webhook.service;
  return `${protocol}://${name}.${namespace}:${port}${webhook.path}`;
}

/**
 * A copy of a CompositeController whose every hook calls `route(hook, <original hook URL>)`
 * through `webhook.url` (service and path removed; timeout and the other fields kept).
 */
export function withHooksRouted(
  compositeController: Readonly<Record<string, unknown>>,
  route: (hook: HookName, original: string) => string,
): Record<string, unknown> {
  const copy = structuredClone(compositeController) as { spec?: { hooks?: Record<string, unknown> } };
  const hooks = (copy.spec?.hooks ?? {}) as Partial<Record<HookName, { webhook?: Webhook }>>;
  for (const [name, hook] of Object.entries(hooks) as [HookName, { webhook?: Webhook } | undefined][]) {
    if (hook?.webhook === undefined) continue;
    const original = webhookUrl(hook.webhook);
    const { service: _service, path: _path, ...rest } = hook.webhook;
    hook.webhook = { ...rest, url: route(name, original) };
  }
  return copy;
}

export interface HookProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Registers a target for one hook and returns the proxy URL that forwards to it. */
  route(hook: HookName, target: string): string;
  /** Hook calls received, failures among them (non-200 or no answer), and calls in flight. */
  readonly calls: number;
  readonly failures: number;
  readonly inFlight: number;
  /** Date.now() of the last call received or answered. */
  readonly lastActivity: number;
  /** Date.now() of each parent's (by uid) last sync call that the hook answered with 200. */
  readonly lastSyncOk: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export async function startHookProxy(log: (line: string) => void): Promise<HookProxy> {
  const targets: { hook: HookName; target: string }[] = [];
  const lastSyncOk = new Map<string, number>();
  let calls = 0;
  let failures = 0;
  let inFlight = 0;
  let lastActivity = Number.NEGATIVE_INFINITY;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const index = /^\/hook\/(\d+)$/.exec(req.url ?? "")?.[1];
    const route = index === undefined ? undefined : targets[Number(index)];
    if (route === undefined || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    calls += 1;
    inFlight += 1;
    lastActivity = Date.now();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        try {
          const body = Buffer.concat(chunks);
          const upstream = await fetch(route.target, {
            method: "POST",
            headers: { "content-type": req.headers["content-type"] ?? "application/json" },
            body,
            signal: AbortSignal.timeout(120_000),
          });
          const answer = Buffer.from(await upstream.arrayBuffer());
          if (upstream.status !== 200) failures += 1;
          else if (route.hook === "sync") {
            const uid = (JSON.parse(body.toString()) as { parent?: { metadata?: { uid?: string } } }).parent
              ?.metadata?.uid;
            if (uid !== undefined) lastSyncOk.set(uid, Date.now());
          }
          const headers: Record<string, string> = {};
          for (const name of ["content-type", "retry-after"]) {
            const value = upstream.headers.get(name);
            if (value !== null) headers[name] = value;
          }
          res.writeHead(upstream.status, headers).end(answer);
        } catch (err) {
          failures += 1;
          log(`hook proxy: ${route.target}: ${String(err)}`);
          res.destroy();
        } finally {
          inFlight -= 1;
          lastActivity = Date.now();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  return {
    url,
    route(hook, target) {
      targets.push({ hook, target });
      return `${url}/hook/${targets.length - 1}`;
    },
    get calls() {
      return calls;
    },
    get failures() {
      return failures;
    },
    get inFlight() {
      return inFlight;
    },
    get lastActivity() {
      return lastActivity;
    },
    lastSyncOk,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
