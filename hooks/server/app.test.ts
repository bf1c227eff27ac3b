import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { CompositeControllerHooks } from "../controller.js";
import { observedOfType, type SyncRequest } from "../metacontroller/protocol.js";
import { createApp, type AppOptions } from "./app.js";

const NOW = new Date("2026-11-22T10:00:00.000Z");

/**
 * A stand-in controller: one ConfigMap per parent, a status that shows what it was given, and
 * labels on the parent that make it report an invalid spec or throw.
 */
const fakeController: CompositeControllerHooks = {
  resource: "fakeclusters",
  sync(request, now) {
    const labels = request.parent.metadata.labels ?? {};
    if (labels["test/behaviour"] === "throw") throw new Error("boom from the fake controller");
    const pods = observedOfType(request.children, "v1", "Pod");
    const running = pods.filter((pod) => {
      const status = pod["status"] as { phase?: unknown } | undefined;
      return status?.phase === "Running";
    });
    const invalid = labels["test/behaviour"] === "invalid";
    return {
      outcome: invalid ? "invalid_spec" : "ok",
      response: {
        status: {
          pods: pods.map((p) => p.metadata.name),
          runningPods: running.length,
          finalizing: request.finalizing,
          at: now.toISOString(),
        },
        children: [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${request.parent.metadata.name}-config` },
            data: { workers: String(pods.length) },
          },
        ],
        ...(request.finalizing ? { finalized: true } : {}),
      },
    };
  },
  customize(request) {
    return {
      relatedResources: [
        {
          apiVersion: "v1",
          resource: "secrets",
          names: [`${request.parent.metadata.name}-credentials`],
        },
      ],
    };
  },
};

/** Returns whatever `broken` says, to check the shell never forwards an incomplete response. */
function brokenController(resource: string, broken: unknown): CompositeControllerHooks {
  return { resource, sync: () => broken as ReturnType<CompositeControllerHooks["sync"]> };
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

function setup(overrides: Partial<AppOptions> = {}) {
  const registry = new Registry();
  const logs: LogLine[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  );
  let shuttingDown = false;
  let tick = 0;
  const app = createApp({
    controllers: [fakeController],
    registry,
    logger,
    bodyLimitBytes: 1024 * 1024,
    bodyBytesInFlight: 4 * 1024 * 1024,
    now: () => NOW,
    isShuttingDown: () => shuttingDown,
    clock: () => (tick += 5),
    ...overrides,
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/json", ...headers },
    });
  return {
    app,
    registry,
    logs,
    post,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}

function parent(name = "demo", labels: Record<string, string> = {}) {
  return {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "FakeCluster",
    metadata: { name, namespace: "spark-jobs", uid: "uid-1", generation: 3, labels },
    spec: { worker: { instances: 2 } },
  };
}

function pod(name: string, phase = "Running") {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "spark-jobs",
      uid: `uid-${name}`,
      resourceVersion: "100",
      managedFields: [{ manager: "kubelet", operation: "Update", fieldsV1: { "f:status": {} } }],
      ownerReferences: [{ apiVersion: "v1", kind: "FakeCluster", name: "demo", controller: true }],
    },
    spec: { containers: [{ name: "worker", image: "spark" }], schedulerName: "default-scheduler" },
    status: { phase, podIP: "10.0.0.1", futureField: { nested: [1, 2, 3] } },
    someFieldFromANewerKubernetes: true,
  };
}

function syncRequest(overrides: Partial<Record<keyof SyncRequest, unknown>> = {}) {
  return {
    controller: { metadata: { name: "fakecluster-controller" }, spec: {}, status: {} },
    parent: parent(),
    children: { "Pod.v1": {}, "ConfigMap.v1": {} },
    related: {},
    finalizing: false,
    ...overrides,
  };
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe("hook routes", () => {
  it("answers a sync call with 200 and exactly the children and status the controller produced", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/sync", syncRequest());

    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(res)).toEqual({
      status: { pods: [], runningPods: 0, finalizing: false, at: NOW.toISOString() },
      children: [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "demo-config" },
          data: { workers: "0" },
        },
      ],
    });
  });

  it("sends the response as compact JSON, not pretty-printed", async () => {
    const { post } = setup();
    const text = await (await post("/fakeclusters/sync", syncRequest())).text();
    expect(text).not.toContain("\n");
    expect(text).toBe(JSON.stringify(JSON.parse(text)));
  });

  it("answers a finalize call by syncing with finalizing set, whatever the body says", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/finalize", syncRequest({ finalizing: false }));

    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body["status"]).toMatchObject({ finalizing: true });
    expect(body["finalized"]).toBe(true);
  });

  it("lets a sync URL also serve finalize calls by passing finalizing through", async () => {
    const { post } = setup();
    const body = await json(await post("/fakeclusters/sync", syncRequest({ finalizing: true })));
    expect(body["status"]).toMatchObject({ finalizing: true });
  });

  it("answers a customize call with the controller's related-resource rules", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/customize", {
      controller: { metadata: { name: "c" } },
      parent: parent(),
    });

    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      relatedResources: [{ apiVersion: "v1", resource: "secrets", names: ["demo-credentials"] }],
    });
  });

  it("has no customize route for a controller without a customize hook", async () => {
    const { post } = setup({ controllers: [{ resource: "plainclusters", sync: fakeController.sync }] });
    expect((await post("/plainclusters/sync", syncRequest())).status).toBe(200);
    expect((await post("/plainclusters/customize", { parent: parent() })).status).toBe(404);
  });

  it("answers 404 with a JSON error for a controller it does not serve", async () => {
    const { post } = setup();
    const res = await post("/unknownclusters/sync", syncRequest());

    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(res)).toEqual({ error: "no route for POST /unknownclusters/sync" });
  });

  it("accepts v2-style namespace/name keys for observed children", async () => {
    const { post } = setup();
    const res = await post(
      "/fakeclusters/sync",
      syncRequest({
        children: {
          "Pod.v1": { "spark-jobs/demo-w-1": pod("demo-w-1"), "spark-jobs/demo-w-0": pod("demo-w-0") },
        },
      }),
    );

    expect(res.status).toBe(200);
    expect((await json(res))["status"]).toMatchObject({ pods: ["demo-w-0", "demo-w-1"] });
  });

  it("passes unknown fields of observed objects through to the controller", async () => {
    const { post } = setup();
    const res = await post(
      "/fakeclusters/sync",
      syncRequest({
        children: { "Pod.v1": { "demo-w-0": pod("demo-w-0"), "demo-w-1": pod("demo-w-1", "Pending") } },
        related: { "Secret.v1": {} },
        somethingMetacontrollerMayAddLater: { x: 1 },
      }),
    );

    expect(res.status).toBe(200);
    expect((await json(res))["status"]).toMatchObject({ runningPods: 1 });
  });

  it("does not insist on an application/json request content type", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/sync", syncRequest(), { "content-type": "text/plain" });
    expect(res.status).toBe(200);
  });

  it("reads a body whose Content-Length is declared up front", async () => {
    const { post } = setup();
    const body = JSON.stringify(syncRequest());
    const res = await post("/fakeclusters/sync", body, {
      "content-length": String(Buffer.byteLength(body)),
    });
    expect(res.status).toBe(200);
  });
});

describe("bad requests", () => {
  it("answers 400 naming the JSON problem when the body is not valid JSON", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/sync", '{"parent": {');

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await json(res))["error"]).toMatch(/^request body is not valid JSON: /);
  });

  it("answers 400 when the body is empty", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/sync", "");
    expect(res.status).toBe(400);
    expect((await json(res))["error"]).toMatch(/not valid JSON/);
  });

  it("answers 400 when the body is a JSON array instead of an object", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/sync", [syncRequest()]);

    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ error: "request body must be a JSON object, got an array" });
  });

  it("answers 400 when the body is JSON null or a scalar", async () => {
    const { post } = setup();
    expect(await json(await post("/fakeclusters/sync", "null"))).toEqual({
      error: "request body must be a JSON object, got null",
    });
    expect((await post("/fakeclusters/sync", "42")).status).toBe(400);
  });

  it("answers 400 naming the missing parent", async () => {
    const { post } = setup();
    const { parent: _dropped, ...withoutParent } = syncRequest();
    const res = await post("/fakeclusters/sync", withoutParent);

    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body["error"]).toMatch(/^not a valid sync hook request: parent: /);
    expect(body["details"]).toEqual([{ path: "parent", message: expect.any(String) }]);
  });

  it("answers 400 naming the field path of a malformed observed child", async () => {
    const { post } = setup();
    const broken = { ...pod("demo-w-0"), metadata: { namespace: "spark-jobs" } };
    const res = await post(
      "/fakeclusters/sync",
      syncRequest({ children: { "Pod.v1": { "spark-jobs/demo-w-0": broken } } }),
    );

    expect(res.status).toBe(400);
    expect((await json(res))["details"]).toEqual([
      { path: 'children["Pod.v1"]["spark-jobs/demo-w-0"].metadata.name', message: expect.any(String) },
    ]);
  });

  it("answers 400 to a customize call without a parent", async () => {
    const { post } = setup();
    const res = await post("/fakeclusters/customize", { controller: {} });
    expect(res.status).toBe(400);
    expect((await json(res))["error"]).toMatch(/^not a valid customize hook request: parent: /);
  });

  it("answers 413 to a streamed body over the configured limit", async () => {
    const { post } = setup({ bodyLimitBytes: 2048 });
    const big = syncRequest({ padding: "x".repeat(4096) });
    const res = await post("/fakeclusters/sync", big);

    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(res)).toEqual({ error: "request body is larger than the limit of 2048 bytes" });
  });

  it("answers 413 from the declared Content-Length without reading the body", async () => {
    const { post } = setup({ bodyLimitBytes: 2048 });
    const body = JSON.stringify(syncRequest({ padding: "x".repeat(4096) }));
    const res = await post("/fakeclusters/sync", body, {
      "content-length": String(Buffer.byteLength(body)),
    });
    expect(res.status).toBe(413);
  });

  it("accepts a body of exactly the limit", async () => {
    const body = JSON.stringify(syncRequest());
    const { post } = setup({ bodyLimitBytes: Buffer.byteLength(body) });
    expect((await post("/fakeclusters/sync", body)).status).toBe(200);
  });
});

/**
 * A sync call whose body arrives only as the test sends it, so the call stays in flight (and
 * holds its bytes) for as long as the test wants.
 */
function heldSync(app: ReturnType<typeof setup>["app"], body: string, declareLength: boolean) {
  const bytes = new TextEncoder().encode(body);
  let stream!: ReadableStreamDefaultController<Uint8Array>;
  const response = app.request("/fakeclusters/sync", {
    method: "POST",
    body: new ReadableStream<Uint8Array>({ start: (controller) => void (stream = controller) }),
    duplex: "half",
    headers: declareLength ? { "content-length": String(bytes.byteLength) } : {},
  });
  return {
    response,
    send: (from: number, to: number) => stream.enqueue(bytes.slice(from, to)),
    /** Sends the body from `from` on and ends it. */
    finish: (from = 0) => {
      stream.enqueue(bytes.slice(from));
      stream.close();
    },
    bytes: bytes.byteLength,
  };
}

/** Lets the app run until it waits for the next body chunk. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe("request bytes in flight", () => {
  const body = JSON.stringify(syncRequest());
  const size = Buffer.byteLength(body);

  it("answers 429 with Retry-After while other calls hold the budget, and 200 once they finish", async () => {
    const { app, post } = setup({ bodyLimitBytes: size, bodyBytesInFlight: size + 100 });
    const first = heldSync(app, body, true);
    await settle();

    const refused = await post("/fakeclusters/sync", body, { "content-length": String(size) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(refused)).toEqual({
      error: `busy: ${size} of ${size + 100} bytes of requests in flight, no room for ${size} more; retry in 1 s`,
    });

    first.finish();
    expect((await first.response).status).toBe(200);
    expect((await post("/fakeclusters/sync", body)).status).toBe(200);
  });

  it("admits calls side by side while their bytes fit", async () => {
    const { app } = setup({ bodyLimitBytes: size, bodyBytesInFlight: 3 * size });
    const calls = [heldSync(app, body, true), heldSync(app, body, true), heldSync(app, body, false)];
    await settle();
    for (const call of calls) call.finish();
    expect(await Promise.all(calls.map(async (call) => (await call.response).status))).toEqual([
      200, 200, 200,
    ]);
  });

  it("counts a body without Content-Length as it arrives and stops reading it at the budget", async () => {
    const { app, post } = setup({ bodyLimitBytes: size, bodyBytesInFlight: size + 100 });
    const streamed = heldSync(app, body, false);
    streamed.send(0, 200);
    await settle();

    const declared = heldSync(app, body, true);
    declared.finish();
    expect((await declared.response).status).toBe(429);

    streamed.send(200, size);
    await settle();
    expect((await post("/fakeclusters/sync", body)).status).toBe(429);
  });

  it("refuses a streamed body that outgrows what is left, and frees what it had read", async () => {
    const { app, post } = setup({ bodyLimitBytes: size, bodyBytesInFlight: size + 100 });
    const held = heldSync(app, body, true);
    await settle();
    const streamed = heldSync(app, body, false);
    streamed.send(0, 50);
    await settle();
    streamed.send(50, 150);
    // Refused, the rest of its body is read and dropped, so the client gets to read the 429.
    streamed.finish(150);
    const res = await streamed.response;
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");

    held.finish();
    expect((await held.response).status).toBe(200);
    expect((await post("/fakeclusters/sync", body)).status).toBe(200);
  });

  it.each([
    ["a controller exception", syncRequest({ parent: parent("demo", { "test/behaviour": "throw" }) }), 500],
    ["malformed JSON", '{"parent": {', 400],
    ["a request without a parent", { children: {} }, 400],
    ["a streamed body over the limit", syncRequest({ padding: "x".repeat(2 * size) }), 413],
  ])("gives the bytes back after %s", async (_what, bad, status) => {
    // Budget = limit, a little above one good call: any bytes left reserved refuse the next call.
    const { post } = setup({ bodyLimitBytes: size + 200, bodyBytesInFlight: size + 200 });
    expect((await post("/fakeclusters/sync", bad)).status).toBe(status);
    expect((await post("/fakeclusters/sync", body)).status).toBe(200);
    expect((await post("/fakeclusters/sync", body)).status).toBe(200);
  });

  it("reads a refused body to its end before answering, holding none of it", async () => {
    const { app } = setup({ bodyLimitBytes: size, bodyBytesInFlight: size + 100 });
    const held = heldSync(app, body, true);
    await settle();
    const refused = heldSync(app, body, true);
    refused.send(0, 100);
    let answered = false;
    void (async () => {
      await refused.response;
      answered = true;
    })();
    await settle();
    expect(answered).toBe(false);
    refused.finish(100);
    expect((await refused.response).status).toBe(429);
    held.finish();
    expect((await held.response).status).toBe(200);
  });

  it("applies the same budget to customize calls", async () => {
    const { app, post } = setup({ bodyLimitBytes: size, bodyBytesInFlight: size + 100 });
    const held = heldSync(app, body, true);
    await settle();
    expect((await post("/fakeclusters/customize", { parent: parent() })).status).toBe(429);
    held.finish();
    await held.response;
    expect((await post("/fakeclusters/customize", { parent: parent() })).status).toBe(200);
  });

  it("counts and logs refused calls as busy, at warn level", async () => {
    const { app, post, logs } = setup({ bodyLimitBytes: size, bodyBytesInFlight: size + 100 });
    const held = heldSync(app, body, true);
    await settle();
    await post("/fakeclusters/sync", body);
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain(
      'sparkhooks_hook_requests_total{controller="fakeclusters",hook="sync",outcome="busy"} 1',
    );
    expect(text).toContain(`sparkhooks_request_bytes_in_flight ${size}`);
    expect(text).toContain(`sparkhooks_request_bytes_in_flight_limit ${size + 100}`);
    expect(logs).toEqual([expect.objectContaining({ level: 40, outcome: "busy", status: 429 })]);
    held.finish();
    await held.response;
    expect(await (await app.request("/metrics")).text()).toContain("sparkhooks_request_bytes_in_flight 0");
  });

  it("refuses to start with a budget smaller than the body limit, which no call at the limit could fit", () => {
    expect(() => setup({ bodyLimitBytes: 2048, bodyBytesInFlight: 2047 })).toThrow(
      /bodyBytesInFlight \(2047\) must be at least bodyLimitBytes \(2048\)/,
    );
  });
});

describe("controller faults", () => {
  it("answers 500 with a JSON error when the controller throws", async () => {
    const { post } = setup();
    const res = await post(
      "/fakeclusters/sync",
      syncRequest({ parent: parent("demo", { "test/behaviour": "throw" }) }),
    );

    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(res)).toEqual({
      error: "fakeclusters sync hook failed: boom from the fake controller",
    });
  });

  it.each([
    ["no children", { outcome: "ok", response: { status: {} } }],
    ["children that are not an array", { outcome: "ok", response: { status: {}, children: {} } }],
    ["no status", { outcome: "ok", response: { children: [] } }],
    ["a null status", { outcome: "ok", response: { status: null, children: [] } }],
    ["an array status", { outcome: "ok", response: { status: [], children: [] } }],
    [
      "a string resyncAfterSeconds",
      { outcome: "ok", response: { status: {}, children: [], resyncAfterSeconds: "5" } },
    ],
    ["an unknown outcome", { outcome: "fine", response: { status: {}, children: [] } }],
    ["nothing at all", undefined],
  ])("answers 500, never 200, when the controller returns %s", async (_what, broken) => {
    const { post } = setup({ controllers: [brokenController("brokenclusters", broken)] });
    const res = await post("/brokenclusters/sync", syncRequest());

    expect(res.status).toBe(500);
    expect((await json(res))["error"]).toMatch(/^brokenclusters sync hook failed: /);
  });

  it("answers 500 when a customize hook returns no relatedResources array", async () => {
    const { post } = setup({
      controllers: [
        {
          resource: "brokenclusters",
          sync: fakeController.sync,
          customize: () => ({}) as ReturnType<NonNullable<CompositeControllerHooks["customize"]>>,
        },
      ],
    });
    expect((await post("/brokenclusters/customize", { parent: parent() })).status).toBe(500);
  });

  it("refuses to start with two controllers on the same resource", () => {
    expect(() => setup({ controllers: [fakeController, fakeController] })).toThrow(
      /two controllers serve the resource fakeclusters/,
    );
  });
});

describe("health and readiness", () => {
  it("answers /healthz with 200 ok", async () => {
    const { app } = setup();
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
  });

  it("answers /readyz with 200 until shutdown begins, then 503", async () => {
    const { app, beginShutdown } = setup();
    expect((await app.request("/readyz")).status).toBe(200);

    beginShutdown();
    expect((await app.request("/readyz")).status).toBe(503);
    expect((await app.request("/healthz")).status).toBe(200);
  });

  it("asks clients to close their connection once shutdown begins", async () => {
    const { app, post, beginShutdown } = setup();
    expect((await app.request("/healthz")).headers.get("connection")).toBeNull();

    beginShutdown();
    const res = await post("/fakeclusters/sync", syncRequest());
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
  });
});

describe("metrics and logs", () => {
  it("counts hook calls by controller, hook and outcome on /metrics", async () => {
    const { app, post } = setup({ bodyLimitBytes: 4096 });
    await post("/fakeclusters/sync", syncRequest());
    await post("/fakeclusters/sync", syncRequest());
    await post("/fakeclusters/finalize", syncRequest());
    await post("/fakeclusters/sync", syncRequest({ parent: parent("d", { "test/behaviour": "invalid" }) }));
    await post("/fakeclusters/sync", "not json");
    await post("/fakeclusters/sync", syncRequest({ padding: "x".repeat(8192) }));
    await post("/fakeclusters/sync", syncRequest({ parent: parent("d", { "test/behaviour": "throw" }) }));
    await post("/fakeclusters/customize", { parent: parent() });

    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const counter = (hook: string, outcome: string) =>
      `sparkhooks_hook_requests_total{controller="fakeclusters",hook="${hook}",outcome="${outcome}"}`;
    expect(text).toContain(`${counter("sync", "ok")} 2`);
    expect(text).toContain(`${counter("finalize", "ok")} 1`);
    expect(text).toContain(`${counter("sync", "invalid_spec")} 1`);
    expect(text).toContain(`${counter("sync", "bad_request")} 1`);
    expect(text).toContain(`${counter("sync", "too_large")} 1`);
    expect(text).toContain(`${counter("sync", "error")} 1`);
    expect(text).toContain(`${counter("customize", "ok")} 1`);
    expect(text).toContain('sparkhooks_invalid_spec_total{controller="fakeclusters"} 1');
    expect(text).toContain(
      'sparkhooks_hook_duration_seconds_bucket{le="0.005",controller="fakeclusters",hook="sync",outcome="ok"} 2',
    );
    expect(text).toContain("sparkhooks_process_resident_memory_bytes");
  });

  it("keeps metrics of apps on different registries apart", async () => {
    const first = setup();
    const second = setup();
    await first.post("/fakeclusters/sync", syncRequest());

    expect(await (await first.app.request("/metrics")).text()).toContain(
      'sparkhooks_hook_requests_total{controller="fakeclusters",hook="sync",outcome="ok"} 1',
    );
    expect(await (await second.app.request("/metrics")).text()).not.toContain('outcome="ok"} 1');
  });

  it("logs one line per hook call with controller, hook, parent, outcome, status and duration", async () => {
    const { post, logs } = setup();
    await post("/fakeclusters/sync", syncRequest());

    expect(logs).toEqual([
      expect.objectContaining({
        level: 30,
        msg: "hook call",
        controller: "fakeclusters",
        hook: "sync",
        namespace: "spark-jobs",
        name: "demo",
        outcome: "ok",
        status: 200,
        durationMs: 5,
      }),
    ]);
  });

  it("logs an invalid spec at warn level", async () => {
    const { post, logs } = setup();
    const res = await post(
      "/fakeclusters/sync",
      syncRequest({ parent: parent("demo", { "test/behaviour": "invalid" }) }),
    );

    expect(res.status).toBe(200);
    expect(logs).toEqual([expect.objectContaining({ level: 40, outcome: "invalid_spec", status: 200 })]);
  });

  it("logs a bad request without a parent at warn level", async () => {
    const { post, logs } = setup();
    await post("/fakeclusters/sync", "[]");

    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 40, outcome: "bad_request", status: 400 });
    expect(logs[0]).not.toHaveProperty("name");
  });

  it("logs a controller exception once, at error level, with its stack", async () => {
    const { post, logs } = setup();
    await post("/fakeclusters/sync", syncRequest({ parent: parent("demo", { "test/behaviour": "throw" }) }));

    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 50,
      controller: "fakeclusters",
      hook: "sync",
      name: "demo",
      outcome: "error",
      status: 500,
      err: { message: "boom from the fake controller", stack: expect.stringContaining("app.test.ts") },
    });
  });

  it("does not log health checks or metric scrapes", async () => {
    const { app, logs } = setup();
    await app.request("/healthz");
    await app.request("/readyz");
    await app.request("/metrics");
    expect(logs).toEqual([]);
  });
});
