/**
 * The image's /opt/spark/examples for one local Spark: the pyspark package carries neither
 * examples/jars/spark-examples*.jar nor a stable pi.py, so the test builds them. SparkPi is
 * compiled from SparkPi.scala with the Scala compiler that pyspark ships in jars/
 * (scala-compiler 2.12 for Spark 3.5, 2.13 for Spark 4: the very artifact Maven Central serves
 * as org.scala-lang:scala-compiler, at the Scala version Spark was built with), then packed with
 * the JDK's `jar`. Cached in .testbed/spark/examples-<version>/ by a hash of the sources.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand, type PySparkInstall } from "./install.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const PI_PY = join(HERE, "pi.py");
export const SPARK_PI_SCALA = join(HERE, "SparkPi.scala");
/** Where the driver's args find them in the image. */
export const EXAMPLES_JAR_PATH = "/opt/spark/examples/jars/spark-examples.jar";
export const PI_PY_PATH = "/opt/spark/examples/src/main/python/pi.py";
export const SPARK_PI_CLASS = "org.apache.spark.examples.SparkPi";

export interface Examples {
  /** Stands in for /opt/spark/examples. */
  readonly dir: string;
  readonly cached: boolean;
  readonly seconds: number;
}

export async function ensureExamples(repoRoot: string, install: PySparkInstall): Promise<Examples> {
  const started = performance.now();
  const dir = join(repoRoot, ".testbed", "spark", `examples-${install.version}`);
  const stampFile = join(dir, "stamp");
  const stamp = createHash("sha256")
    .update(readFileSync(SPARK_PI_SCALA))
    .update(readFileSync(PI_PY))
    .update(install.sparkHome)
    .digest("hex");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) {
    return { dir, cached: true, seconds: (performance.now() - started) / 1000 };
  }
  rmSync(dir, { recursive: true, force: true });
  const classes = join(dir, "classes");
  const jars = join(dir, "jars");
  const python = join(dir, "src", "main", "python");
  for (const path of [classes, jars, python]) mkdirSync(path, { recursive: true });
  copyFileSync(PI_PY, join(python, "pi.py"));
  const java = join(install.javaHome, "bin", "java");
  const compiled = await runCommand(java, [
    "-cp",
    join(install.sparkHome, "jars", "*"),
    "scala.tools.nsc.Main",
    "-usejavacp",
    "-d",
    classes,
    SPARK_PI_SCALA,
  ]);
  if (compiled.code !== 0) {
    throw new Error(
      `scalac SparkPi.scala (Spark ${install.version}) failed:\n${compiled.stderr}${compiled.stdout}`,
    );
  }
  const packed = await runCommand(join(install.javaHome, "bin", "jar"), [
    "cf",
    join(jars, "spark-examples.jar"),
    "-C",
    classes,
    ".",
  ]);
  if (packed.code !== 0) throw new Error(`jar spark-examples.jar failed:\n${packed.stderr}`);
  rmSync(classes, { recursive: true, force: true });
  writeFileSync(stampFile, stamp);
  return { dir, cached: false, seconds: (performance.now() - started) / 1000 };
}
