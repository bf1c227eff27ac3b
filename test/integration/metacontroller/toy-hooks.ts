/**
 * Two toy CompositeControllers' hooks on a loopback node:http server, for testing the runtime
 * against a real API server:
 *
 * - widgets (generateSelector): one ConfigMap `<name>-cm` with `data.size` from `spec.size`;
 *   status `{size, configMaps}`; `spec.resyncAfterSeconds` is passed through.
 * - sprockets (spec.selector `app=<name>`, customize, finalize): ConfigMap `<name>-cm` and Service
 *   `<name>-svc`; the related ConfigMap named by `spec.configFrom` feeds `status.configValue`;
 *   `spec.badLabels` makes the ConfigMap miss the selector; finalize deletes every child and
 *   reports finalized once none is observed.
 *
 * `behaviour` makes sync calls fail on purpose (a status code, or one 429 with Retry-After).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface HookCall {
  readonly path: string;
  readonly at: number;
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface Behaviour {
  /** Answer every widget/sprocket sync with this status (no valid body). */
  failWith?: number;
  /** Answer the next sync with 429 and this Retry-After header, then behave. */
  tooManyOnce?: string;
}

export interface ToyHooks {
  readonly url: string;
  readonly calls: HookCall[];
  readonly behaviour: Behaviour;
  callsFor(path: string, parentName?: string): HookCall[];
  stop(): Promise<void>;
}

// Loosely typed JSON, navigated freely by the toy hooks and assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the API server and hooks
type Obj = Record<string, any>;

function count(children: Obj | undefined, type: string): number {
  return Object.keys((children?.[type] as Obj | undefined) ?? {}).length;
}

function widgetSync(req: Obj): Obj {
  const parent = req["parent"] as Obj;
  const name = parent["metadata"]["name"] as string;
  const spec = (parent["spec"] ?? {}) as Obj;
  return {
    status: { size: spec["size"] ?? 0, configMaps: count(req["children"], "ConfigMap.v1") },
    children: [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${name}-cm` },
        data: { size: String(spec["size"] ?? 0) },
      },
    ],
    ...(typeof spec["resyncAfterSeconds"] === "number"
      ? { resyncAfterSeconds: spec["resyncAfterSeconds"] }
      : {}),
  };
}

function sprocketSync(req: Obj): Obj {
  const parent = req["parent"] as Obj;
  const name = parent["metadata"]["name"] as string;
  const spec = (parent["spec"] ?? {}) as Obj;
  const observed = count(req["children"], "ConfigMap.v1") + count(req["children"], "Service.v1");
  if (req["finalizing"] === true) {
    return { status: { finalizing: true, children: observed }, children: [], finalized: observed === 0 };
  }
  const configFrom = spec["configFrom"] as string | undefined;
  const related =
    configFrom === undefined
      ? undefined
      : (req["related"]?.["ConfigMap.v1"]?.[configFrom] as Obj | undefined);
  return {
    status: { children: observed, configValue: related?.["data"]?.["value"] ?? null },
    children: [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${name}-cm`, labels: { app: spec["badLabels"] === true ? "other" : name } },
        data: { a: "1" },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `${name}-svc`, labels: { app: name } },
        spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      },
    ],
  };
}

function sprocketCustomize(req: Obj): Obj {
  const parent = req["parent"] as Obj;
  const configFrom = parent["spec"]?.["configFrom"] as string | undefined;
  return {
    relatedResources:
      configFrom === undefined
        ? []
        : [
            {
              apiVersion: "v1",
              resource: "configmaps",
              namespace: parent["metadata"]["namespace"],
              names: [configFrom],
            },
          ],
  };
}

const routes: Record<string, (req: Obj) => Obj> = {
  "/widgets/sync": widgetSync,
  "/sprockets/sync": sprocketSync,
  "/sprockets/finalize": sprocketSync,
  "/sprockets/customize": sprocketCustomize,
};

export async function startToyHooks(): Promise<ToyHooks> {
  const calls: HookCall[] = [];
  const behaviour: Behaviour = {};
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "";
      const handler = routes[path];
      let body: Obj = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Obj;
      } catch {
        // answered below
      }
      const record = (status: number): void => {
        calls.push({ path, at: Date.now(), status, body });
      };
      if (
        handler === undefined ||
        req.method !== "POST" ||
        req.headers["content-type"] !== "application/json"
      ) {
        record(404);
        res.writeHead(404).end();
        return;
      }
      const isSync = !path.endsWith("/customize");
      if (isSync && behaviour.tooManyOnce !== undefined) {
        const retryAfter = behaviour.tooManyOnce;
        delete behaviour.tooManyOnce;
        record(429);
        res.writeHead(429, { "retry-after": retryAfter }).end("slow down");
        return;
      }
      if (isSync && behaviour.failWith !== undefined) {
        record(behaviour.failWith);
        res.writeHead(behaviour.failWith, { "content-type": "text/plain" }).end("broken on purpose");
        return;
      }
      record(200);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(handler(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    behaviour,
    callsFor(path, parentName) {
      return calls.filter(
        (c) =>
          c.path === path &&
          (parentName === undefined ||
            (c.body["parent"] as Obj | undefined)?.["metadata"]?.["name"] === parentName),
      );
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
