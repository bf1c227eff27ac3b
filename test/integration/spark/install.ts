/**
 * A local Spark distribution for the integration bed: the `pyspark` package from PyPI carries
 * Spark's jars and its bin/ and sbin/ scripts, so it stands in for the apache/spark image's
 * /opt/spark. Installed once into `.testbed/spark/venv` (git-ignored) and reused while the
 * installed version matches the version the hook renders by default.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, realpathSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { DEFAULT_SPARK_VERSION } from "../../../hooks/spark/image.js";

export interface PySparkInstall {
  /** The installed `pyspark` package directory: bin/spark-class, jars/, sbin/. */
  readonly sparkHome: string;
  readonly javaHome: string;
  /** The Java feature release of javaHome (17, 21, …). */
  readonly javaVersion: number;
  /** The venv's Python, for PySpark drivers. */
  readonly python: string;
  /** The venv's bin directory: its `python3` imports this pyspark. */
  readonly pythonBin: string;
  readonly version: string;
  /** Wall time of ensurePySpark, install included. */
  readonly seconds: number;
  readonly cached: boolean;
  /** `jars/spark-examples_*.jar` if the package ships one (SparkPi), else undefined. */
  readonly examplesJar: string | undefined;
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; optionally tees its output into a log file. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; logFile?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log = options.logFile === undefined ? undefined : createWriteStream(options.logFile);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      log?.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      log?.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      log?.end();
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function pythonOf(venv: string): string {
  return join(venv, "bin", "python");
}

const PROBE = [
  "import importlib.metadata as m, os, pyspark",
  "print(m.version('pyspark'))",
  "print(os.path.dirname(os.path.realpath(pyspark.__file__)))",
].join("; ");

/** The installed pyspark's version and directory, or undefined when there is none. */
async function installedPySpark(python: string): Promise<{ version: string; home: string } | undefined> {
  if (!existsSync(python)) return undefined;
  const probe = await runCommand(python, ["-c", PROBE]);
  if (probe.code !== 0) return undefined;
  const [version, home] = probe.stdout.trim().split("\n");
  return version === undefined || home === undefined ? undefined : { version, home };
}

/** The Java feature release of `<home>/bin/java`, or undefined if it does not run. */
async function javaFeature(home: string): Promise<number | undefined> {
  const java = join(home, "bin", "java");
  if (!existsSync(java)) return undefined;
  const result = await runCommand(java, ["-XshowSettings:properties", "-version"]);
  const match = /java\.specification\.version = (\d+)/.exec(result.stderr);
  return result.code === 0 && match?.[1] !== undefined ? Number(match[1]) : undefined;
}

function whichJava(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "java");
    if (dir !== "" && existsSync(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

/**
 * A JDK for Spark: `SPARK_TEST_JAVA_HOME` if set; else Java 17 (Spark 4's minimum, and what a
 * fresh machine of this kind has) from `JAVA_HOME`, /usr/lib/jvm or `java` on PATH; a newer
 * one only when no 17 is found.
 */
export async function findJava(): Promise<{ javaHome: string; javaVersion: number }> {
  const explicit = process.env.SPARK_TEST_JAVA_HOME;
  if (explicit !== undefined && explicit !== "") {
    const version = await javaFeature(explicit);
    if (version === undefined || version < 17) {
      throw new Error(`SPARK_TEST_JAVA_HOME=${explicit} is not a Java 17+ (${String(version)})`);
    }
    return { javaHome: realpathSync(explicit), javaVersion: version };
  }
  const candidates: string[] = [];
  const javaHome = process.env.JAVA_HOME;
  if (javaHome !== undefined && javaHome !== "") candidates.push(javaHome);
  const jvmDir = "/usr/lib/jvm";
  if (existsSync(jvmDir)) {
    const entries = readdirSync(jvmDir).sort();
    candidates.push(
      ...entries.filter((name) => /(^|-)17(\.|-|$)/.test(name)).map((name) => join(jvmDir, name)),
    );
    candidates.push(...entries.map((name) => join(jvmDir, name)));
  }
  const onPath = whichJava();
  if (onPath !== undefined) candidates.push(dirname(dirname(onPath)));

  const seen = new Set<string>();
  const usable: { javaHome: string; javaVersion: number }[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const home = realpathSync(candidate);
    if (seen.has(home)) continue;
    seen.add(home);
    const version = await javaFeature(home);
    if (version !== undefined && version >= 17) usable.push({ javaHome: home, javaVersion: version });
  }
  const preferred = usable.find((java) => java.javaVersion === 17) ?? usable[0];
  if (preferred === undefined) {
    throw new Error(`no Java 17+ found (looked at ${[...seen].join(", ") || "nothing"})`);
  }
  return preferred;
}

function findExamplesJar(sparkHome: string): string | undefined {
  for (const dir of [join(sparkHome, "examples", "jars"), join(sparkHome, "jars")]) {
    if (!existsSync(dir)) continue;
    const jar = readdirSync(dir).find((name) => /^spark-examples.*\.jar$/.test(name));
    if (jar !== undefined) return join(dir, jar);
  }
  return undefined;
}

/**
 * The venv of one pyspark version: `.testbed/spark/venv` for the default version, which most
 * runs need, and `venv-<version>` beside it for each other one, so switching versions does not
 * reinstall either.
 */
export function venvDir(repoRoot: string, version: string): string {
  return join(repoRoot, ".testbed", "spark", version === DEFAULT_SPARK_VERSION ? "venv" : `venv-${version}`);
}

/**
 * Installs `pyspark==<version>` (default DEFAULT_SPARK_VERSION) into its venv (see
 * {@link venvDir}) unless it is there already, and finds a JDK for it.
 */
export async function ensurePySpark(
  repoRoot: string,
  version: string = DEFAULT_SPARK_VERSION,
): Promise<PySparkInstall> {
  const started = performance.now();
  const venv = venvDir(repoRoot, version);
  const logs = join(repoRoot, ".testbed", "logs");
  mkdirSync(logs, { recursive: true });
  const python = pythonOf(venv);

  let installed = await installedPySpark(python);
  const cached = installed?.version === version;
  if (!cached) {
    const usable =
      existsSync(python) && (await runCommand(python, ["-c", "pass"]).catch(() => undefined))?.code === 0;
    if (!usable) {
      // A missing venv, or one whose base interpreter is gone: (re)create it.
      const basePython = process.env.SPARK_TEST_PYTHON ?? "python3";
      const created = await runCommand(basePython, ["-m", "venv", "--clear", venv]);
      if (created.code !== 0) throw new Error(`${basePython} -m venv ${venv} failed:\n${created.stderr}`);
    }
    const logFile = join(
      logs,
      version === DEFAULT_SPARK_VERSION ? "spark-pip-install.log" : `spark-pip-install-${version}.log`,
    );
    const pip = await runCommand(
      python,
      ["-m", "pip", "install", "--disable-pip-version-check", `pyspark==${version}`],
      { logFile },
    );
    if (pip.code !== 0) {
      throw new Error(`pip install pyspark==${version} failed (see ${logFile}):\n${pip.stderr.slice(-4000)}`);
    }
    installed = await installedPySpark(python);
    if (installed?.version !== version) {
      throw new Error(`pip installed pyspark ${installed?.version ?? "(nothing)"}, wanted ${version}`);
    }
  }
  if (installed === undefined) throw new Error("unreachable: pyspark not installed");
  const sparkHome = installed.home;
  for (const needed of ["bin/spark-class", "bin/spark-submit", "jars"]) {
    if (!existsSync(join(sparkHome, needed))) {
      throw new Error(`pyspark ${version} at ${sparkHome} has no ${needed}`);
    }
  }
  const java = await findJava();
  return {
    sparkHome,
    ...java,
    python,
    pythonBin: dirname(python),
    version,
    seconds: (performance.now() - started) / 1000,
    cached,
    examplesJar: findExamplesJar(sparkHome),
  };
}
