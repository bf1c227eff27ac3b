// Builds the bed's binaries from source through the Go module proxy, once per input change:
// - .testbed/bin/testbed: the multi-call control-plane binary of test/k8s (etcd, kube-apiserver,
//   kube-controller-manager, kube-scheduler);
// - .testbed/bin/kwok: `go install sigs.k8s.io/kwok/cmd/kwok@<KWOK_VERSION>` (its own module graph);
// - .testbed/bin/metacontroller: Metacontroller v4.17.2 from its source (../shared/upstream/
//   metacontroller or METACONTROLLER_SRC); its dependencies come from the module proxy.
// A stamp per output decides whether to build again: .testbed/bin/stamp (hash of test/k8s/go.mod,
// go.sum, *.go, the kwok version, the go version and the build flags) and
// .testbed/bin/metacontroller.stamp (hash of the source's go.mod, go.sum and pkg/, the go version
// and the build flags). Both builds take the same lock.
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { alive } from "./processes.js";

export const KUBERNETES_VERSION = "v1.36.3";
export const KWOK_VERSION = "v0.8.0";
export const METACONTROLLER_VERSION = "v4.17.2";

const LDFLAGS = [
  "-s",
  "-w",
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  `-X k8s.io/component-base/version.gitMajor=1`,
  `-X k8s.io/component-base/version.gitMinor=36`,
  `-X k8s.io/component-base/version.gitTreeState=clean`,
].join(" ");
const BUILD_ARGS = ["build", "-v", "-trimpath", "-ldflags", LDFLAGS, "-o"];

export interface Binaries {
  /** The multi-call control-plane binary; argv[1] = etcd | kube-apiserver | kube-controller-manager | kube-scheduler. */
  testbed: string;
  kwok: string;
  /**
   * kwok `--config` inputs from the module cache: the `kustomize/stage/fast` directory (node
   * initialize + heartbeat, pod ready/complete/delete) and the chaos stage file
   * `kustomize/stage/pod/chaos/pod-container-running-failed.yaml`.
   */
  stagesDirs: string[];
  /** Whether this call built anything. */
  built: boolean;
  /** Wall time of this call. */
  seconds: number;
}

function goBinary(): string {
  return process.env["GO"] ?? "go";
}

function goVersion(): string {
  return execFileSync(goBinary(), ["version"], { encoding: "utf8" }).trim();
}

function stampOf(moduleDir: string, go: string): string {
  const h = createHash("sha256");
  const files = [
    "go.mod",
    "go.sum",
    ...readdirSync(moduleDir)
      .filter((f) => f.endsWith(".go"))
      .sort(),
  ];
  for (const f of files) {
    h.update(`file ${f}\n`);
    h.update(readFileSync(join(moduleDir, f)));
  }
  h.update(`kwok ${KWOK_VERSION}\n${go}\n${BUILD_ARGS.join(" ")}\n`);
  return h.digest("hex");
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; log: string },
): Promise<void> {
  const fd = openSync(opts.log, "a");
  writeFileSync(fd, `\n$ ${cmd} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}\n`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else {
        let tail = "";
        try {
          tail = readFileSync(opts.log, "utf8").split("\n").slice(-40).join("\n");
        } catch {
          // no log
        }
        reject(
          new Error(
            `${cmd} ${args[0] ?? ""} failed (code ${String(code)}, signal ${String(signal)}); log ${opts.log}:\n${tail}`,
          ),
        );
      }
    });
  });
}

/** Where kwok's stages live in the module cache (downloads the module if the cache lacks it). */
function kwokStages(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const out = execFileSync(goBinary(), ["mod", "download", "-json", `sigs.k8s.io/kwok@${KWOK_VERSION}`], {
    encoding: "utf8",
    env,
    cwd,
  });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (info.Dir === undefined) throw new Error(`go mod download sigs.k8s.io/kwok@${KWOK_VERSION}: ${out}`);
  const stages = [
    join(info.Dir, "kustomize", "stage", "fast"),
    join(info.Dir, "kustomize", "stage", "pod", "chaos", "pod-container-running-failed.yaml"),
  ];
  for (const s of stages) {
    if (!existsSync(s)) throw new Error(`kwok ${KWOK_VERSION} stage not found: ${s}`);
  }
  return stages;
}

/**
 * A lock file (O_EXCL, holding the owner's pid) so that test processes started side by side do not
 * build into the same output at once. A lock whose owner is dead is taken over.
 */
async function withBuildLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number(readFileSync(lockFile, { encoding: "utf8", flag: "a+" }).trim());
      if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid || !alive(owner)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (!announced) {
        process.stderr.write(`[bed] waiting for the build in process ${owner} (${lockFile})\n`);
        announced = true;
      }
      await sleep(1_000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

const inFlight = new Map<string, Promise<Binaries>>();

/**
 * Makes sure .testbed/bin/testbed and .testbed/bin/kwok are built from the current inputs. Cold, this
 * downloads the Kubernetes module graph and compiles it (minutes); otherwise it is a hash check.
 * Build output goes to .testbed/logs/build.log. Concurrent callers (in this process or others) wait
 * for one build.
 */
export async function ensureBinaries(repoRoot: string): Promise<Binaries> {
  const pending = inFlight.get(repoRoot);
  if (pending) return pending;
  const p = ensureBinariesOnce(repoRoot).finally(() => inFlight.delete(repoRoot));
  inFlight.set(repoRoot, p);
  return p;
}

async function ensureBinariesOnce(repoRoot: string): Promise<Binaries> {
  const started = performance.now();
  const moduleDir = join(repoRoot, "test", "k8s");
  const binDir = join(repoRoot, ".testbed", "bin");
  const logDir = join(repoRoot, ".testbed", "logs");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const testbed = join(binDir, "testbed");
  const kwok = join(binDir, "kwok");
  const stampFile = join(binDir, "stamp");
  const log = join(logDir, "build.log");
  const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: process.env["GOFLAGS"] ?? "-buildvcs=false" };

  const stamp = stampOf(moduleDir, goVersion());
  const upToDate = (): boolean =>
    existsSync(stampFile) &&
    readFileSync(stampFile, "utf8").trim() === stamp &&
    existsSync(testbed) &&
    existsSync(kwok);
  let built = false;
  if (!upToDate()) {
    await withBuildLock(join(binDir, "build.lock"), async () => {
      if (upToDate()) return; // another process built it while we waited
      await build();
    });
  }
  const stagesDirs = kwokStages(env, binDir);
  return { testbed, kwok, stagesDirs, built, seconds: (performance.now() - started) / 1000 };

  async function build(): Promise<void> {
    writeFileSync(log, `# build started ${new Date().toISOString()}\n`);
    process.stderr.write(
      `[bed] building testbed (Kubernetes ${KUBERNETES_VERSION}) and kwok ${KWOK_VERSION} from source; ` +
        `a cold build takes 10-20 min on 2 cores; log: ${log}\n`,
    );
    // Build next to the target and rename into place: a bed still running the old binary keeps it.
    await run(goBinary(), [...BUILD_ARGS, `${testbed}.new`, "."], { cwd: moduleDir, env, log });
    renameSync(`${testbed}.new`, testbed);
    const kwokBin = join(binDir, ".kwok-install");
    mkdirSync(kwokBin, { recursive: true });
    await run(goBinary(), ["install", `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`], {
      cwd: binDir, // outside any module: kwok resolves its own module graph
      env: { ...env, GOBIN: kwokBin },
      log,
    });
    renameSync(join(kwokBin, "kwok"), kwok);
    writeFileSync(stampFile, stamp + "\n");
    built = true;
    const secs = (performance.now() - started) / 1000;
    writeFileSync(log, `# build finished in ${secs.toFixed(1)} s\n`, { flag: "a" });
    process.stderr.write(`[bed] binaries built in ${secs.toFixed(0)} s\n`);
  }
}

// -s -w and main.version as upstream's release build (.goreleaser.yaml) sets them.
const METACONTROLLER_LDFLAGS = `-s -w -X main.version=${METACONTROLLER_VERSION.replace(/^v/, "")}`;
const METACONTROLLER_BUILD_ARGS = ["build", "-trimpath", "-ldflags", METACONTROLLER_LDFLAGS, "-o"];

export interface MetacontrollerBinary {
  path: string;
  /** Whether this call built it (false: METACONTROLLER_BIN, or the cached build was up to date). */
  built: boolean;
  /** Wall time of this call. */
  seconds: number;
}

/** METACONTROLLER_SRC, else ../shared/upstream/metacontroller beside the repository. */
export function metacontrollerSourceDir(repoRoot: string): string {
  const fromEnv = process.env["METACONTROLLER_SRC"];
  return fromEnv !== undefined && fromEnv !== ""
    ? resolve(fromEnv)
    : join(repoRoot, "..", "shared", "upstream", "metacontroller");
}

/** Every file under `dir`, as paths relative to `root`, sorted. */
function filesUnder(root: string, dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(root, path);
      return entry.isFile() ? [relative(root, path)] : [];
    })
    .sort();
}

function metacontrollerStampOf(sourceDir: string, go: string): string {
  const h = createHash("sha256");
  for (const f of ["go.mod", "go.sum", ...filesUnder(sourceDir, join(sourceDir, "pkg"))]) {
    h.update(`file ${f}\n`);
    h.update(readFileSync(join(sourceDir, f)));
  }
  h.update(`metacontroller ${METACONTROLLER_VERSION}\n${go}\n${METACONTROLLER_BUILD_ARGS.join(" ")}\n`);
  return h.digest("hex");
}

/**
 * The Metacontroller binary the scenarios run: METACONTROLLER_BIN as it is, or
 * .testbed/bin/metacontroller built from the v4.17.2 source (see metacontrollerSourceDir). Its
 * go.mod declares the module path `metacontroller` (no dot), so `go install` cannot fetch it from
 * a module proxy: the build needs the source on disk. Cold this compiles client-go and
 * controller-runtime (a minute or two); otherwise it is a hash check. The build writes nothing
 * into the source directory, which may be read-only.
 */
export async function ensureMetacontroller(repoRoot: string): Promise<MetacontrollerBinary> {
  const started = performance.now();
  const fromEnv = process.env["METACONTROLLER_BIN"];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv)) throw new Error(`METACONTROLLER_BIN=${fromEnv} does not exist`);
    return { path: resolve(fromEnv), built: false, seconds: 0 };
  }
  const sourceDir = metacontrollerSourceDir(repoRoot);
  const entryPoint = join(sourceDir, "pkg", "cmd", "metacontroller");
  if (!existsSync(join(sourceDir, "go.mod")) || !existsSync(entryPoint)) {
    throw new Error(
      `no Metacontroller source at ${sourceDir} (need its go.mod, go.sum and pkg/cmd/metacontroller). ` +
        `Either check out github.com/metacontroller/metacontroller at tag ${METACONTROLLER_VERSION} ` +
        `and set METACONTROLLER_SRC to that directory, or set METACONTROLLER_BIN to a ` +
        `metacontroller ${METACONTROLLER_VERSION} binary.`,
    );
  }
  const binDir = join(repoRoot, ".testbed", "bin");
  const logDir = join(repoRoot, ".testbed", "logs");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const binary = join(binDir, "metacontroller");
  const stampFile = join(binDir, "metacontroller.stamp");
  const log = join(logDir, "build-metacontroller.log");
  const stamp = metacontrollerStampOf(sourceDir, goVersion());
  const upToDate = (): boolean =>
    existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === stamp && existsSync(binary);
  let built = false;
  if (!upToDate()) {
    await withBuildLock(join(binDir, "build.lock"), async () => {
      if (upToDate()) return; // another process built it while we waited
      writeFileSync(log, `# build started ${new Date().toISOString()}\n`);
      process.stderr.write(
        `[bed] building Metacontroller ${METACONTROLLER_VERSION} from ${sourceDir}; ` +
          `about 1.5 min with the Kubernetes modules cached; log: ${log}\n`,
      );
      const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: process.env["GOFLAGS"] ?? "-buildvcs=false" };
      // Build next to the target and rename into place: a running Metacontroller keeps its binary.
      await run(goBinary(), [...METACONTROLLER_BUILD_ARGS, `${binary}.new`, "./pkg/cmd/metacontroller"], {
        cwd: sourceDir,
        env,
        log,
      });
      renameSync(`${binary}.new`, binary);
      writeFileSync(stampFile, stamp + "\n");
      built = true;
      const secs = (performance.now() - started) / 1000;
      writeFileSync(log, `# build finished in ${secs.toFixed(1)} s\n`, { flag: "a" });
      process.stderr.write(`[bed] Metacontroller built in ${secs.toFixed(0)} s\n`);
    });
  }
  return { path: binary, built, seconds: (performance.now() - started) / 1000 };
}
