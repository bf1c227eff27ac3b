/**
 * `npm run bench [-- --duration 10 --connections 4 --warmup 2 --keep-bodies]`
 *
 * Throughput and latency of the SparkCluster sync hook at 100 and 1,000 observed workers,
 * against a bare JSON echo of the same body as the baseline for "what parsing and sending this
 * much JSON costs anyway". The server runs in a child process on 127.0.0.1; autocannon runs
 * here. Prints a table, then PASS/FAIL per target; exits 1 if a request failed or a target was
 * missed.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { SyncRequest } from "../../hooks/metacontroller/protocol.js";
import { BENCH_CONTROLLER, steadyStateSync, SYNC_PATH, type SteadyState } from "./bodies.js";
import type { ChildMessage, ParentMessage } from "./server.js";

const WORKER_COUNTS = [100, 1000] as const;
const TARGET_RATIO_AT_100 = 0.5;
const TARGET_P50_MS_AT_1000 = 30;
const CHILD_START_TIMEOUT_MS = 30_000;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "4" },
    "keep-bodies": { type: "boolean", default: false },
  },
});

function positiveInt(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
  return value;
}
const durationS = positiveInt("duration", args.duration, 1);
const warmupS = positiveInt("warmup", args.warmup, 0);
const connections = positiveInt("connections", args.connections, 1);

interface Run {
  readonly route: "sync" | "echo";
  readonly workers: number;
  readonly bodyBytes: number;
  readonly reqPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly failures: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

const SERVER_V8_FLAGS = ["--max-old-space-size=768", "--max-semi-space-size=32"];

function startServerChild(): { child: ChildProcess; ready: Promise<number> } {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith(".ts");
  const child = fork(join(dirname(here), fromSource ? "server.ts" : "server.js"), [], {
    // The V8 flags deploy/deployment.yaml runs the server with (NODE_OPTIONS), so the figures
    // are those of the shipped configuration.
    execArgv: [...SERVER_V8_FLAGS, ...(fromSource ? ["--import", "tsx"] : [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("server child did not start in time")),
      CHILD_START_TIMEOUT_MS,
    );
    child.on("message", (message: ChildMessage) => {
      if (message.type === "listening") {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server child exited early (code ${code}, signal ${signal})`));
    });
  });
  return { child, ready };
}

function askStats(child: ChildProcess): Promise<Extract<ChildMessage, { type: "stats" }> | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 5_000);
    const onMessage = (message: ChildMessage) => {
      if (message.type !== "stats") return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
    child.send({ type: "stats" } satisfies ParentMessage);
  });
}

async function load(
  url: string,
  body: string,
  seconds: number,
  concurrent = connections,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections: concurrent,
    pipelining: 1,
    duration: seconds,
    timeout: 10, // Metacontroller's default hook timeout
  });
}

/** One request, checked: the sync route must answer the steady state it was generated from. */
async function checkOnce(url: string, steady: SteadyState, route: "sync" | "echo"): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: steady.body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${route} answered ${res.status}: ${text.slice(0, 500)}`);
  if (route === "echo") {
    if (text !== steady.body) throw new Error("echo did not return the body unchanged");
    return;
  }
  const answer = JSON.parse(text) as { children?: unknown };
  if (JSON.stringify(answer.children) !== JSON.stringify(steady.response.children)) {
    console.warn(
      `warning: the sync route's children differ from the in-process steady state (${steady.workerPods} workers)`,
    );
  }
}

/**
 * Where one sync's server time goes, measured in this process (median of a few runs): the
 * floor under any latency target, since every step but `sync` is the same for any hook.
 */
function breakdown(steady: SteadyState): string {
  const raw = Buffer.from(steady.body);
  const median = (f: () => unknown): number => {
    const times: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const started = performance.now();
      f();
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[3] ?? Number.NaN;
  };
  const text = raw.toString("utf8");
  const json: unknown = JSON.parse(text);
  const request = SyncRequest.parse(json);
  const result = BENCH_CONTROLLER.sync(request, new Date());
  const parts: [string, number][] = [
    ["utf-8 decode", median(() => raw.toString("utf8"))],
    ["JSON.parse", median(() => JSON.parse(text))],
    ["zod", median(() => SyncRequest.parse(json))],
    ["sync", median(() => BENCH_CONTROLLER.sync(request, new Date()))],
    ["JSON.stringify", median(() => JSON.stringify(result.response))],
  ];
  const total = parts.reduce((sum, [, ms]) => sum + ms, 0);
  return `${parts.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(", ")}; total ${total.toFixed(1)} ms`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}

async function main(): Promise<number> {
  console.log(
    `sparkhooks bench: ${durationS} s per run after ${warmupS} s warm-up, ${connections} connections\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), "sparkhooks-bench-"));
  const bodies = new Map<number, SteadyState>();
  for (const workers of WORKER_COUNTS) {
    const started = performance.now();
    const steady = steadyStateSync(BENCH_CONTROLLER, workers);
    const file = join(dir, `sync-${workers}-workers.json`);
    writeFileSync(file, steady.body);
    bodies.set(workers, steady);
    const bytes = Buffer.byteLength(steady.body);
    console.log(
      `body ${workers} workers: ${mib(bytes)} (${kib(bytes / (steady.workerPods + 1))} per pod), ` +
        `${steady.response.children.length} children, steady after ${steady.rounds} syncs, ` +
        `built in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${file}`,
    );
  }
  for (const [workers, steady] of bodies) {
    console.log(`in-process ms per sync at ${workers} workers: ${breakdown(steady)}`);
  }
  console.log();

  const { child, ready } = startServerChild();
  const killChild = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", killChild);

  const runs: Run[] = [];
  let serialLatency: { p50: number; p99: number; failures: number } | undefined;
  let stats: Awaited<ReturnType<typeof askStats>>;
  try {
    const port = await ready;
    const base = `http://127.0.0.1:${port}`;
    for (const workers of WORKER_COUNTS) {
      const steady = bodies.get(workers);
      if (steady === undefined) continue;
      for (const route of ["sync", "echo"] as const) {
        const url = route === "sync" ? `${base}${SYNC_PATH}` : `${base}/echo`;
        await checkOnce(url, steady, route);
        if (warmupS > 0) await load(url, steady.body, warmupS);
        const result = await load(url, steady.body, durationS);
        const failures = result.non2xx + result.errors + result.timeouts;
        const run: Run = {
          route,
          workers,
          bodyBytes: Buffer.byteLength(steady.body),
          reqPerSec: result["2xx"] / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          requests: result.requests.total,
          failures,
        };
        runs.push(run);
        console.log(
          `  ${route} @ ${workers} workers: ${run.reqPerSec.toFixed(1)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms` +
            (failures > 0
              ? `, ${failures} FAILED (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`
              : ""),
        );
      }
    }
    // Metacontroller never has two requests in flight for one parent, so the latency one
    // cluster's sync sees is that of requests sent one at a time; the runs above, with
    // several connections, also count time spent queued behind other clusters' syncs.
    const steady = bodies.get(1000);
    if (steady !== undefined) {
      const result = await load(`${base}${SYNC_PATH}`, steady.body, durationS, 1);
      serialLatency = {
        p50: result.latency.p50,
        p99: result.latency.p99,
        failures: result.non2xx + result.errors + result.timeouts,
      };
      console.log(
        `  sync @ 1000 workers, one request at a time: p50 ${serialLatency.p50} ms, p99 ${serialLatency.p99} ms`,
      );
    }
    stats = await askStats(child);
  } finally {
    if (child.connected) child.disconnect();
    killChild();
    if (!args["keep-bodies"]) rmSync(dir, { recursive: true, force: true });
  }

  const rows = [
    ["route", "workers", "body", "req/s", "p50 ms", "p99 ms", "requests", "failed"],
    ...runs.map((r) => [
      r.route === "sync" ? SYNC_PATH : "/echo",
      String(r.workers),
      mib(r.bodyBytes),
      r.reqPerSec.toFixed(1),
      String(r.p50),
      String(r.p99),
      String(r.requests),
      String(r.failures),
    ]),
  ];
  console.log(`\n${table(rows)}\n`);

  const find = (route: Run["route"], workers: number) =>
    runs.find((r) => r.route === route && r.workers === workers);
  const ratios = new Map<number, number>();
  for (const workers of WORKER_COUNTS) {
    const sync = find("sync", workers);
    const echo = find("echo", workers);
    if (sync && echo && echo.reqPerSec > 0) {
      ratios.set(workers, sync.reqPerSec / echo.reqPerSec);
      console.log(`sync/echo req/s at ${workers} workers: ${(sync.reqPerSec / echo.reqPerSec).toFixed(2)}`);
    }
  }
  if (stats) console.log(`server peak RSS: ${mib(stats.maxRssBytes)} (now ${mib(stats.rssBytes)})`);
  else console.log("server peak RSS: unknown (the child did not answer)");
  console.log();

  const checks: [boolean, string][] = [];
  const failed = runs.reduce((n, r) => n + r.failures, 0) + (serialLatency?.failures ?? 0);
  checks.push([
    failed === 0 && runs.length === WORKER_COUNTS.length * 2,
    `every request answered 2xx (${failed} failed)`,
  ]);
  const ratio = ratios.get(100);
  checks.push([
    ratio !== undefined && ratio >= TARGET_RATIO_AT_100,
    `sync/echo req/s at 100 workers = ${ratio?.toFixed(2) ?? "n/a"} (target >= ${TARGET_RATIO_AT_100})`,
  ]);
  const p50 = serialLatency?.p50;
  checks.push([
    p50 !== undefined && p50 < TARGET_P50_MS_AT_1000,
    `sync p50 at 1,000 workers, one request at a time = ${p50 ?? "n/a"} ms ` +
      `(${find("sync", 1000)?.p50 ?? "n/a"} ms with ${connections} connections; target < ${TARGET_P50_MS_AT_1000} ms)`,
  ]);
  for (const [ok, text] of checks) console.log(`${ok ? "PASS" : "FAIL"} ${text}`);
  return checks.every(([ok]) => ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
