/**
 * `npm run bench [-- --duration 10 --connections 4 --warmup 2 --keep-bodies]`
 *
 * Throughput and latency of the SparkCluster sync hook at 100 and 1,000 observed workers, of
 * the SparkApplication sync hook for a running application with 10 and 200 executors, of the
 * SparkHistoryServer sync hook for a running history server, and of the ScheduledSparkApplication
 * sync hook for an hourly schedule with 10 and 100 finished runs, each against a bare JSON echo
 * of the same body as the baseline for "what parsing and sending this much JSON costs anyway". The server runs in a child process on 127.0.0.1; autocannon runs
 * here. Prints a table, then PASS/FAIL per target; exits 1 if a request failed or a target was
 * missed.
 *
 * Then memory: a fresh server per run gets the largest requests it accepts with as many
 * connections as its budget of bytes in flight (BODY_BYTES_IN_FLIGHT) admits, and once with
 * more; its peak RSS is compared with the Deployment's memory limit.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import type { ControllerModule } from "../../hooks/controller.js";
import { SyncRequest } from "../../hooks/metacontroller/protocol.js";
import { loadConfig } from "../../hooks/server/config.js";
import { controller as SCHEDULED_CONTROLLER } from "../../hooks/scheduled-spark-application/controller.js";
import { controller as APPLICATION_CONTROLLER } from "../../hooks/spark-application/controller.js";
import { controller as HISTORY_SERVER_CONTROLLER } from "../../hooks/spark-history-server/controller.js";
import { applicationSteadyState } from "./application-bodies.js";
import {
  BENCH_CONTROLLER,
  BENCH_NOW,
  sparkCluster,
  steadyStateSync,
  SYNC_PATH,
  syncPath,
  type SteadyState,
} from "./bodies.js";
import { historyServerSteadyState } from "./history-server-bodies.js";
import { scheduledSteadyState } from "./scheduled-application-bodies.js";
import type { ChildMessage, ParentMessage } from "./server.js";

const WORKER_COUNTS = [100, 1000] as const;
/**
 * A running application's executors: a small job and a large one. They are related pods, not
 * children, and the hook reads each one's state into status.executorState.
 */
const EXECUTOR_COUNTS = [10, 200] as const;
const TARGET_RATIO_AT_100 = 0.5;
/** Issue 7's target for the SparkApplication sync, at every executor count. */
const TARGET_APPLICATION_RATIO = 0.5;
/**
 * A schedule's finished runs: a short history and a large one (successfulRunHistoryLimit 99).
 * They are children, each a whole SparkApplication with its status, which the hook keeps as
 * they are.
 */
const RUN_COUNTS = [10, 100] as const;
/**
 * The SparkHistoryServer and ScheduledSparkApplication syncs are held to SparkApplication's
 * target: the hook's share of a request must stay below the JSON's own.
 */
const TARGET_HISTORY_SERVER_RATIO = TARGET_APPLICATION_RATIO;
const TARGET_SCHEDULED_RATIO = TARGET_APPLICATION_RATIO;
const TARGET_P50_MS_AT_1000 = 30;
/** deploy/deployment.yaml's memory limit. */
const MEMORY_LIMIT_BYTES = 1024 * 2 ** 20;
/** Peak RSS allowed under load: the limit less room for what RSS does not show (page cache, spikes). */
const TARGET_PEAK_RSS_BYTES = 0.75 * MEMORY_LIMIT_BYTES;
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

/** One parent whose steady-state sync request is sent to its sync route and to /echo. */
interface Subject {
  readonly controller: ControllerModule;
  /** How many of which pods the request holds: "100 workers", "200 executors". */
  readonly label: string;
  readonly steady: SteadyState;
}

interface Run {
  readonly route: "sync" | "echo";
  readonly subject: Subject;
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
async function checkOnce(url: string, subject: Subject, route: "sync" | "echo"): Promise<void> {
  const { steady } = subject;
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
      `warning: the sync route's children differ from the in-process steady state (${subject.label})`,
    );
  }
}

/**
 * Where one sync's server time goes, measured in this process (median of a few runs): the
 * floor under any latency target, since every step but `sync` is the same for any hook.
 */
function breakdown({ controller, steady }: Subject): string {
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
  const result = controller.sync(request, BENCH_NOW);
  const parts: [string, number][] = [
    ["utf-8 decode", median(() => raw.toString("utf8"))],
    ["JSON.parse", median(() => JSON.parse(text))],
    ["zod", median(() => SyncRequest.parse(json))],
    ["sync", median(() => controller.sync(request, BENCH_NOW))],
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

/** `count` environment variables of 100 characters: what makes pods larger than the default. */
function padding(count: number): { env: { name: string; value: string }[] } {
  return {
    env: Array.from({ length: count }, (_, i) => ({
      name: `PADDING_${String(i).padStart(3, "0")}`,
      value: "x".repeat(100),
    })),
  };
}

/** The 1,000-worker cluster with the largest pods the controller renders (its pod-size bound). */
function largestValidCluster(): SteadyState {
  let count = 0;
  const renders = (n: number) =>
    BENCH_CONTROLLER.sync(SyncRequest.parse({ parent: sparkCluster(1000, undefined, padding(n)) }), BENCH_NOW)
      .outcome === "ok";
  while (renders(count + 1)) count += 1;
  return steadyStateSync(BENCH_CONTROLLER, 1000, padding(count));
}

/** `steady`'s request grown to `bytes` by an annotation of another tool's on every observed pod. */
function grownTo(steady: SteadyState, bytes: number): string {
  const request = JSON.parse(steady.body) as { children: Record<string, Record<string, KubeObjectLike>> };
  const pods = Object.values(request.children["Pod.v1"] ?? {});
  const each = Math.floor((bytes - Buffer.byteLength(steady.body)) / pods.length) - 40;
  for (const pod of pods)
    pod.metadata.annotations = { ...pod.metadata.annotations, "example.com/note": "n".repeat(each) };
  return JSON.stringify(request);
}

interface KubeObjectLike {
  metadata: { annotations?: Record<string, string> };
}

interface MemoryRun {
  readonly label: string;
  readonly bodyBytes: number;
  readonly connections: number;
  readonly ok: number;
  readonly busy: number;
  readonly failures: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly reqPerSec: number;
  readonly peakRssBytes: number | undefined;
  /** More connections than the budget admits: 429s expected. */
  readonly overload?: boolean;
}

/** One fresh server, `connections` clients sending `body` for the run's duration. */
async function memoryRun(label: string, body: string, connections: number): Promise<MemoryRun> {
  const { child, ready } = startServerChild();
  try {
    const port = await ready;
    const result = await load(`http://127.0.0.1:${port}${SYNC_PATH}`, body, durationS, connections);
    const busy = result.statusCodeStats?.["429"]?.count ?? 0;
    const stats = await askStats(child);
    return {
      label,
      bodyBytes: Buffer.byteLength(body),
      connections,
      ok: result["2xx"],
      busy,
      failures: result.non2xx - busy + result.errors + result.timeouts,
      errors: result.errors,
      timeouts: result.timeouts,
      reqPerSec: result["2xx"] / result.duration,
      peakRssBytes: stats?.maxRssBytes,
    };
  } finally {
    if (child.connected) child.disconnect();
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

async function memoryRuns(defaultBody: SteadyState): Promise<MemoryRun[]> {
  const { bodyLimitBytes, bodyBytesInFlight } = loadConfig({});
  const largest = largestValidCluster();
  const atLimit = grownTo(largest, bodyLimitBytes - 64 * 1024);
  const admitted = (body: string) => Math.floor(bodyBytesInFlight / Buffer.byteLength(body));
  console.log(
    `\nmemory: body limit ${mib(bodyLimitBytes)}, bytes in flight ${mib(bodyBytesInFlight)}, ` +
      `memory limit ${mib(MEMORY_LIMIT_BYTES)}; ${durationS} s per run, a fresh server each`,
  );
  // [label, body, connections, whether 429s are expected]
  const plans: [string, string, number, boolean][] = [
    ["1,000 workers", defaultBody.body, admitted(defaultBody.body), false],
    ["1,000 workers, largest pods", largest.body, admitted(largest.body), false],
    ["at the body limit", atLimit, admitted(atLimit), false],
    ["largest pods, 4x the connections", largest.body, 4 * admitted(largest.body), true],
  ];
  const results: MemoryRun[] = [];
  for (const [label, body, connections, overload] of plans) {
    const run = { ...(await memoryRun(label, body, connections)), overload };
    results.push(run);
    console.log(
      `  ${label}: ${mib(run.bodyBytes)} x ${connections} connections: ${run.reqPerSec.toFixed(1)} req/s, ` +
        `${run.busy} answered 429, ${run.failures} failed (${run.errors} socket errors, ${run.timeouts} timeouts), peak RSS ${run.peakRssBytes === undefined ? "unknown" : mib(run.peakRssBytes)}`,
    );
  }
  return results;
}

async function main(): Promise<number> {
  console.log(
    `sparkhooks bench: ${durationS} s per run after ${warmupS} s warm-up, ${connections} connections\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), "sparkhooks-bench-"));
  /** `unit`: what SteadyState.pods counts, for the size of each in the body. */
  const build = (
    controller: ControllerModule,
    label: string,
    make: () => SteadyState,
    unit = "pod",
  ): Subject => {
    const started = performance.now();
    const steady = make();
    const file = join(dir, `${controller.resource}-${label.replace(/ /g, "-")}.json`);
    writeFileSync(file, steady.body);
    const bytes = Buffer.byteLength(steady.body);
    console.log(
      `body ${controller.kind} ${label}: ${mib(bytes)} (${kib(bytes / (steady.pods + 1))} per ${unit}), ` +
        `${steady.response.children.length} children, steady after ${steady.rounds} syncs, ` +
        `built in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${file}`,
    );
    return { controller, label, steady };
  };
  const clusters = new Map<number, Subject>(
    WORKER_COUNTS.map((workers) => [
      workers,
      build(BENCH_CONTROLLER, `${workers} workers`, () => steadyStateSync(BENCH_CONTROLLER, workers)),
    ]),
  );
  const applications = new Map<number, Subject>(
    EXECUTOR_COUNTS.map((executors) => [
      executors,
      build(APPLICATION_CONTROLLER, `${executors} executors`, () => applicationSteadyState(executors)),
    ]),
  );
  const historyServer = build(HISTORY_SERVER_CONTROLLER, "1 pod, claim, Ingress", historyServerSteadyState);
  const schedules = new Map<number, Subject>(
    RUN_COUNTS.map((runs) => [
      runs,
      build(SCHEDULED_CONTROLLER, `${runs} runs`, () => scheduledSteadyState(runs), "run"),
    ]),
  );
  const subjects = [...clusters.values(), ...applications.values(), historyServer, ...schedules.values()];
  for (const subject of subjects) {
    console.log(
      `in-process ms per ${subject.controller.kind} sync at ${subject.label}: ${breakdown(subject)}`,
    );
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
    for (const subject of subjects) {
      const { steady } = subject;
      for (const route of ["sync", "echo"] as const) {
        const url = route === "sync" ? `${base}${syncPath(subject.controller)}` : `${base}/echo`;
        await checkOnce(url, subject, route);
        if (warmupS > 0) await load(url, steady.body, warmupS);
        const result = await load(url, steady.body, durationS);
        const failures = result.non2xx + result.errors + result.timeouts;
        const run: Run = {
          route,
          subject,
          bodyBytes: Buffer.byteLength(steady.body),
          reqPerSec: result["2xx"] / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          requests: result.requests.total,
          failures,
        };
        runs.push(run);
        console.log(
          `  ${route} @ ${subject.controller.kind} ${subject.label}: ${run.reqPerSec.toFixed(1)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms` +
            (failures > 0
              ? `, ${failures} FAILED (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`
              : ""),
        );
      }
    }
    // Metacontroller never has two requests in flight for one parent, so the latency one
    // cluster's sync sees is that of requests sent one at a time; the runs above, with
    // several connections, also count time spent queued behind other clusters' syncs.
    const steady = clusters.get(1000)?.steady;
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
    ["route", "observed", "body", "req/s", "p50 ms", "p99 ms", "requests", "failed"],
    ...runs.map((r) => [
      r.route === "sync" ? syncPath(r.subject.controller) : "/echo",
      r.subject.label,
      mib(r.bodyBytes),
      r.reqPerSec.toFixed(1),
      String(r.p50),
      String(r.p99),
      String(r.requests),
      String(r.failures),
    ]),
  ];
  console.log(`\n${table(rows)}\n`);

  const find = (route: Run["route"], subject: Subject | undefined) =>
    runs.find((r) => r.route === route && r.subject === subject);
  const ratios = new Map<Subject, number>();
  for (const subject of subjects) {
    const sync = find("sync", subject);
    const echo = find("echo", subject);
    if (sync && echo && echo.reqPerSec > 0) {
      ratios.set(subject, sync.reqPerSec / echo.reqPerSec);
      console.log(
        `sync/echo req/s, ${subject.controller.kind} ${subject.label}: ${(sync.reqPerSec / echo.reqPerSec).toFixed(2)}`,
      );
    }
  }
  if (stats) console.log(`server peak RSS: ${mib(stats.maxRssBytes)} (now ${mib(stats.rssBytes)})`);
  else console.log("server peak RSS: unknown (the child did not answer)");
  console.log();

  const memory = await memoryRuns(clusters.get(1000)?.steady ?? steadyStateSync(BENCH_CONTROLLER, 1000));
  console.log(
    `\n${table([
      ["memory run", "body", "conns", "req/s", "200", "429", "failed", "peak RSS"],
      ...memory.map((m) => [
        m.label,
        mib(m.bodyBytes),
        String(m.connections),
        m.reqPerSec.toFixed(1),
        String(m.ok),
        String(m.busy),
        String(m.failures),
        m.peakRssBytes === undefined ? "unknown" : mib(m.peakRssBytes),
      ]),
    ])}\n`,
  );

  const checks: [boolean, string][] = [];
  const failed = runs.reduce((n, r) => n + r.failures, 0) + (serialLatency?.failures ?? 0);
  checks.push([
    failed === 0 && runs.length === subjects.length * 2,
    `every request answered 2xx (${failed} failed)`,
  ]);
  const ratioCheck = (subject: Subject | undefined, target: number): [boolean, string] => {
    const ratio = subject === undefined ? undefined : ratios.get(subject);
    return [
      ratio !== undefined && ratio >= target,
      `${subject?.controller.kind ?? "?"} sync/echo req/s at ${subject?.label ?? "?"} = ` +
        `${ratio?.toFixed(2) ?? "n/a"} (target >= ${target})`,
    ];
  };
  checks.push(ratioCheck(clusters.get(100), TARGET_RATIO_AT_100));
  for (const subject of applications.values()) checks.push(ratioCheck(subject, TARGET_APPLICATION_RATIO));
  checks.push(ratioCheck(historyServer, TARGET_HISTORY_SERVER_RATIO));
  for (const subject of schedules.values()) checks.push(ratioCheck(subject, TARGET_SCHEDULED_RATIO));
  const p50 = serialLatency?.p50;
  checks.push([
    p50 !== undefined && p50 < TARGET_P50_MS_AT_1000,
    `sync p50 at 1,000 workers, one request at a time = ${p50 ?? "n/a"} ms ` +
      `(${find("sync", clusters.get(1000))?.p50 ?? "n/a"} ms with ${connections} connections; target < ${TARGET_P50_MS_AT_1000} ms)`,
  ]);
  for (const run of memory) {
    const peak = run.peakRssBytes;
    checks.push([
      // Overloaded, some clients may time out waiting (Metacontroller retries those); what
      // must hold is the memory bound.
      (run.overload === true ? run.busy > 0 : run.failures === 0 && run.busy === 0) &&
        run.ok > 0 &&
        peak !== undefined &&
        peak < TARGET_PEAK_RSS_BYTES,
      `${run.label} (${run.connections} connections): peak RSS ${peak === undefined ? "n/a" : mib(peak)} ` +
        `(target < ${mib(TARGET_PEAK_RSS_BYTES)} of the ${mib(MEMORY_LIMIT_BYTES)} limit), ` +
        `${run.busy} answered 429 (${run.overload === true ? "expected" : "none expected"}), ` +
        `${run.failures} failed${run.overload === true ? " (allowed)" : ""}`,
    ]);
  }
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
