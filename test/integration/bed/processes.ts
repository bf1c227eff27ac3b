// Child processes of the integration bed: spawn with output to a log file, find free loopback
// ports, wait until a component answers, stop with SIGTERM then SIGKILL.
//
// Nothing may outlive the test run. Three layers make sure of that:
// - stop() on every process the bed started (the normal path);
// - a process.on("exit") hook that SIGKILLs whatever is still tracked (crash, process.exit());
// - a small watchdog process that holds a pipe to this one and SIGKILLs every tracked pid when the
//   pipe closes, which also covers this process being killed by a signal that skips "exit" hooks.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Set once the process has exited; `code` or `signal` tells how. */
  readonly exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). Resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last `lines` lines of the log file, for error messages. */
  logTail(lines?: number): string;
}

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const tracked = new Set<ManagedProcess>();
let exitHookInstalled = false;
let watchdog: ChildProcess | undefined;

// The watchdog reads "+pid" / "-pid" lines on stdin. On EOF (this process is gone, however it died)
// it SIGKILLs every pid still registered. It ignores SIGINT/SIGTERM so that a Ctrl-C to the whole
// process group does not take it down before it has done its job.
const WATCHDOG_SOURCE = `
const pids = new Set();
let buf = "";
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => {});
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const pid = Number(line.slice(1));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (line[0] === "+") pids.add(pid); else pids.delete(pid);
  }
});
process.stdin.on("end", () => {
  for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch {} }
  process.exit(0);
});
`;

function ensureWatchdog(): ChildProcess | undefined {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return watchdog;
  try {
    const w = spawn(process.execPath, ["-e", WATCHDOG_SOURCE], {
      stdio: ["pipe", "ignore", "ignore"],
      detached: true, // own process group: a signal to ours does not reach it
    });
    w.unref();
    // The pipe must not keep this process alive either.
    (w.stdin as net.Socket | null)?.unref();
    w.stdin?.on("error", () => undefined);
    w.on("error", () => undefined);
    watchdog = w;
    return w;
  } catch {
    return undefined;
  }
}

function tellWatchdog(line: string): void {
  const w = ensureWatchdog();
  if (w?.stdin?.writable) w.stdin.write(line + "\n");
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const p of tracked) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** All processes started through this module that have not exited yet. */
export function runningProcesses(): ManagedProcess[] {
  return [...tracked];
}

export function startProcess(opts: StartOptions): ManagedProcess {
  installExitHook();
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, "w");
  let child: ChildProcess;
  try {
    child = spawn(opts.command, [...opts.args], {
      stdio: ["ignore", fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? process.cwd(),
    });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  if (child.pid === undefined) {
    throw new Error(`${opts.name}: could not spawn ${opts.command}`);
  }
  const pid = child.pid;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      tracked.delete(proc);
      tellWatchdog(`-${pid}`);
      resolve(exited);
    });
  });
  child.on("error", () => undefined); // surfaced via exit / readiness errors

  const proc: ManagedProcess = {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    child,
    get exited() {
      return exited;
    },
    exitPromise,
    async stop(graceMs = 10_000) {
      if (exited) return;
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, graceMs);
      try {
        await exitPromise;
      } finally {
        clearTimeout(timer);
      }
    },
    logTail(lines = 30) {
      try {
        const text = readFileSync(opts.logFile, "utf8");
        return text.split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
  };
  tracked.add(proc);
  tellWatchdog(`+${pid}`);
  return proc;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (listen on port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error("no port"));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export interface HttpProbe {
  url: string;
  /** Bearer token. */
  token?: string;
  /** PEM CA bundle to verify the server with; without it and with `insecure`, TLS is not verified. */
  ca?: string | (() => string | undefined);
  insecure?: boolean;
}

export interface HttpResult {
  status: number;
  body: string;
}

/** One GET; rejects on connection errors. */
export async function httpGet(probe: HttpProbe, timeoutMs = 5_000): Promise<HttpResult> {
  const url = new URL(probe.url);
  const ca = typeof probe.ca === "function" ? probe.ca() : probe.ca;
  const headers: Record<string, string> = { Accept: "application/json, */*" };
  if (probe.token !== undefined) headers["Authorization"] = `Bearer ${probe.token}`;
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    };
    const req =
      url.protocol === "https:"
        ? https.request(
            url,
            {
              method: "GET",
              headers,
              timeout: timeoutMs,
              ...(ca !== undefined ? { ca } : {}),
              rejectUnauthorized: !(probe.insecure ?? false),
            },
            onResponse,
          )
        : http.request(url, { method: "GET", headers, timeout: timeoutMs }, onResponse);
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Fail early, with the end of its log, if this process exits while we wait. */
  proc?: ManagedProcess;
  what?: string;
}

/**
 * Polls `check` until it returns a value other than undefined. Fails after `timeoutMs`, or at once if
 * `proc` has exited. The last error or "not yet" reason is part of the failure message.
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (opts.proc?.exited) {
      const { code, signal } = opts.proc.exited;
      throw new Error(
        `${opts.proc.name} exited (code ${String(code)}, signal ${String(signal)}) while waiting for ${
          opts.what ?? "readiness"
        }; log ${opts.proc.logFile}:\n${opts.proc.logTail()}`,
      );
    }
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      const tail = opts.proc ? `\nlog ${opts.proc.logFile}:\n${opts.proc.logTail()}` : "";
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${opts.what ?? "readiness"}: ${last}${tail}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** Waits until GET `probe.url` answers 200 (by default). */
export async function waitForHttp(
  probe: HttpProbe,
  opts: WaitOptions & { expect?: (r: HttpResult) => boolean } = {},
): Promise<HttpResult> {
  const expect = opts.expect ?? ((r: HttpResult) => r.status === 200);
  return waitFor(
    async () => {
      const r = await httpGet(probe);
      if (expect(r)) return r;
      throw new Error(`HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    },
    { what: probe.url, ...opts },
  );
}

/** Waits until something accepts TCP connections on host:port. */
export async function waitForTcp(host: string, port: number, opts: WaitOptions = {}): Promise<void> {
  await waitFor(
    () =>
      new Promise<true>((resolve, reject) => {
        const s = net.connect({ host, port });
        s.once("connect", () => {
          s.destroy();
          resolve(true);
        });
        s.once("error", reject);
      }),
    { what: `tcp ${host}:${port}`, ...opts },
  );
}

/** Whether a process with this pid exists (EPERM: it exists but is not ours). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
