/**
 * spec.sparkConfigMap: a ConfigMap of Spark configuration files, which kubeflow mounts as the
 * driver's SPARK_CONF_DIR. Here its files reach the hook as a related object (the customize hook
 * names it) and become part of the run's own ConfigMap:
 *
 * - spark-defaults.conf is read the way Spark reads it and its settings go into spark.properties,
 *   below sparkConf and the typed fields. The driver's entrypoint runs spark-submit with
 *   `--properties-file`, and then Spark reads no spark-defaults.conf at all (SparkSubmitArguments;
 *   from 4.0 only with --load-spark-defaults), so under kubeflow this file is silently ignored.
 * - Every other file (log4j2.properties, metrics.properties, hive-site.xml…) lands next to
 *   spark.properties in /opt/spark/conf, where the driver finds it on its classpath and copies it
 *   to its executors (Spark's executor ConfigMap of the conf directory).
 */
import type { KubeObject } from "../metacontroller/protocol.js";
import { findUserConfigMap, SPARK_DEFAULTS_FILE } from "../spark/conf.js";
import { parseProperties } from "../spark/properties.js";
import type { SparkApplicationSpec } from "./schema.js";
import { EXECUTOR_TEMPLATE_FILE, SPARK_PROPERTIES_FILE } from "./spark-properties.js";

export interface SparkConfigMapFiles {
  /** The settings of its spark-defaults.conf, the last of a repeated key winning, as Spark loads them. */
  readonly defaults: Record<string, string>;
  /** Its other text files, by file name. */
  readonly files: Record<string, string>;
  /** Its binaryData files (base64), by file name. */
  readonly binaryFiles: Record<string, string>;
}

export type SparkConfigMapResult =
  ({ readonly ok: true } & SparkConfigMapFiles) | { readonly ok: false; readonly problem: string };

const NONE: SparkConfigMapFiles = { defaults: {}, files: {}, binaryFiles: {} };

/**
 * Files the hook writes into the same directory and ConfigMap itself: a user file of that name
 * would be shadowed, so it is left out rather than half-applied.
 */
const HOOK_FILES: ReadonlySet<string> = new Set([
  SPARK_DEFAULTS_FILE,
  SPARK_PROPERTIES_FILE,
  EXECUTOR_TEMPLATE_FILE,
]);

/** java.lang.String.trim, which Spark applies to every value it loads (Utils.getPropertiesFromFile). */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start += 1;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end -= 1;
  return text.slice(start, end);
}

function without(
  record: Readonly<Record<string, string>>,
  names: ReadonlySet<string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => !names.has(name)));
}

/**
 * The files of spec.sparkConfigMap among the related objects Metacontroller sent. A ConfigMap that
 * is not there (not created yet, or misspelt) or a spark-defaults.conf Spark could not load is a
 * problem naming spec.sparkConfigMap: the driver must not start without configuration the user
 * asked for.
 */
export function sparkConfigMapFiles(
  spec: SparkApplicationSpec,
  related: readonly KubeObject[],
): SparkConfigMapResult {
  const name = spec.sparkConfigMap;
  if (name === undefined) return { ok: true, ...NONE };
  const found = findUserConfigMap(related, name);
  if (found === undefined) {
    return {
      ok: false,
      problem: `spec.sparkConfigMap: ConfigMap ${name} does not exist in the application's namespace`,
    };
  }
  const text = found.data[SPARK_DEFAULTS_FILE] ?? "";
  const parsed = parseProperties(text);
  if (parsed.problems.length > 0) {
    return {
      ok: false,
      problem: `spec.sparkConfigMap: ConfigMap ${name}, ${SPARK_DEFAULTS_FILE} ${parsed.problems.join("; ")}`,
    };
  }
  return {
    ok: true,
    defaults: Object.fromEntries(parsed.entries.map((entry) => [entry.name, javaTrim(entry.value)])),
    files: without(found.data, HOOK_FILES),
    binaryFiles: without(found.binaryData, HOOK_FILES),
  };
}

/** The file names to list in the driver's conf volume besides spark.properties, sorted. */
export function confDirFileNames(files: Pick<SparkConfigMapFiles, "files" | "binaryFiles">): string[] {
  return [...new Set([...Object.keys(files.files), ...Object.keys(files.binaryFiles)])].sort();
}
