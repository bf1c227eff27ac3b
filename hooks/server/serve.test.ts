/**
 * The real Node server on 127.0.0.1:0. No sleeps: an in-flight request is held open by sending
 * only half of its body, and the test waits on server events, not on time.
 */
import { once } from "node:events";
import http from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { CompositeControllerHooks } from "../controller.js";
import { startServer, type RunningServer } from "./serve.js";

const echoController: CompositeControllerHooks = {
  resource: "fakeclusters",
  sync: (request) => ({
    outcome: "ok",
    response: { status: { name: request.parent.metadata.name }, children: [] },
  }),
};

const body = JSON.stringify({
  parent: {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "FakeCluster",
    metadata: { name: "slow", namespace: "spark-jobs" },
  },
  children: {},
  padding: "x".repeat(64 * 1024),
});

const started: RunningServer[] = [];
const agents: http.Agent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(started.splice(0).map((s) => s.shutdown(1000)));
});

async function start(): Promise<RunningServer> {
  const running = await startServer(
    { port: 0, host: "127.0.0.1", bodyLimitBytes: 1024 * 1024, bodyBytesInFlight: 4 * 1024 * 1024 },
    { controllers: [echoController], logger: pino({ level: "silent" }) },
  );
  started.push(running);
  return running;
}

/** Starts a POST that has sent its headers and half its body; `finish()` sends the rest. */
function halfSentSync(running: RunningServer) {
  const agent = new http.Agent({ keepAlive: true });
  agents.push(agent);
  const req = http.request({
    host: "127.0.0.1",
    port: running.port,
    method: "POST",
    path: "/fakeclusters/sync",
    agent,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      req.on("error", reject);
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on("error", reject);
      });
    },
  );
  return { req, response, finish: () => req.end(body.slice(half)) };
}

function get(running: RunningServer, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: running.port, path, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on("error", reject);
  });
}

describe("startServer", () => {
  it("serves the app on the requested address", async () => {
    const running = await start();
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect(await get(running, "/healthz")).toEqual({ status: 200, text: "ok" });
  });

  it("fails to start when the port is taken", async () => {
    const first = await start();
    await expect(
      startServer(
        { port: first.port, host: "127.0.0.1", bodyLimitBytes: 1024, bodyBytesInFlight: 1024 },
        { controllers: [], logger: pino({ level: "silent" }) },
      ),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it("finishes an in-flight hook call after shutdown begins, then stops", async () => {
    const running = await start();
    const arrived = once(running.server, "request");
    const call = halfSentSync(running);
    await arrived;

    const stopped = running.shutdown(10_000);
    expect(running.isShuttingDown()).toBe(true);
    expect(running.server.listening).toBe(false);

    call.finish();
    const res = await call.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ status: { name: "slow" }, children: [] });
    // The keep-alive connection is released so close() does not wait for the client.
    expect(res.headers.connection).toBe("close");

    expect(await stopped).toBe(true);
    await expect(get(running, "/healthz")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("cuts requests still unfinished when the shutdown timeout expires", async () => {
    const running = await start();
    const arrived = once(running.server, "request");
    const call = halfSentSync(running);
    await arrived;

    expect(await running.shutdown(50)).toBe(false);
    await expect(call.response).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it("returns the same result when shutdown is requested twice", async () => {
    const running = await start();
    const first = running.shutdown(1000);
    expect(running.shutdown(1000)).toBe(first);
    expect(await first).toBe(true);
  });
});
