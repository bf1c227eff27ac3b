/**
 * The history server's Spark configuration: one spark-defaults.conf, loaded with
 * `--properties-file`, in a ConfigMap named by a hash of its content.
 *
 * A properties file rather than SPARK_HISTORY_OPTS (radanalytics' way): spark-class splits that
 * variable on blanks, so a `-D` value with a space (a Kerberos principal, an s3a endpoint
 * option) would break the command line, and every value would need shell quoting. The file is
 * read by java.util.Properties, whose escaping propertyLine writes exactly. The content hash in
 * the ConfigMap's name puts the configuration into the pod template's hash, so a change rolls
 * the pod, and a restarted container never reads its successor's settings.
 *
 * Keys and types from Spark's own definitions (apache/spark
 * core/src/main/scala/org/apache/spark/internal/config/History.scala, and
 * HISTORY_UI_MAX_APPS in …/internal/config/package.scala): time settings are read with
 * timeConf(SECONDS) and sizes with bytesConf(BYTE), so a bare number means seconds or bytes.
 * radanalytics wrote its day, MB and GB counts as bare numbers (7 days became 7 seconds) and
 * maxApplications under spark.history.maxApplications, which Spark does not read; here every
 * value carries its unit and the key is Spark's.
 */
import type { IConfigMap } from "kubernetes-models/v1";
import { confFiles } from "../spark/conf.js";
import {
  APP_NAME,
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGER,
} from "../spark/labels.js";
import { propertyLine } from "../spark/properties.js";
import { COMPONENT, configMapName } from "./names.js";
import type { SparkHistoryServerSpec } from "./schema.js";

export interface HistorySetting {
  readonly name: string;
  readonly value: string;
  /** The spec field it comes from, for the rendered file. */
  readonly origin: string;
}

/**
 * Where the event logs are: the contract with writers (spark.eventLog.dir), also reported in
 * status.logDirectory. sharedVolume: logDirectory, else file:<mountPath>. remoteStorage:
 * remoteURI, else logDirectory; undefined when neither is set.
 */
export function logDirectory(spec: SparkHistoryServerSpec): string | undefined {
  if (spec.type === "sharedVolume") return spec.logDirectory ?? `file:${spec.sharedVolume.mountPath}`;
  return spec.remoteURI ?? spec.logDirectory;
}

function setting(name: string, value: string | number | boolean, origin: string): HistorySetting {
  return { name, value: String(value), origin };
}

/** Every setting in file order; later lines win, so the user's sparkConfiguration comes last. */
export function historySettings(spec: SparkHistoryServerSpec, directory: string): HistorySetting[] {
  const settings: HistorySetting[] = [
    // History.scala PROVIDER (stringConf).
    setting("spark.history.provider", spec.provider, "spec.provider"),
    // History.scala HISTORY_LOG_DIR (stringConf).
    setting("spark.history.fs.logDirectory", directory, "spec.logDirectory"),
    // History.scala UPDATE_INTERVAL_S: timeConf(SECONDS), so "10s" and "10" agree; the unit is explicit.
    setting("spark.history.fs.update.interval", `${spec.updateInterval}s`, "spec.updateInterval (seconds)"),
    // History.scala HISTORY_SERVER_UI_PORT (intConf).
    setting("spark.history.ui.port", spec.internalPort, "spec.internalPort"),
    // History.scala RETAINED_APPLICATIONS (intConf).
    setting("spark.history.retainedApplications", spec.retainedApplications, "spec.retainedApplications"),
    // History.scala CLEANER_ENABLED, CLEANER_INTERVAL_S and MAX_LOG_AGE_S: the two times are
    // timeConf(SECONDS); the spec counts days, Spark's own defaults are written "1d" and "7d".
    setting("spark.history.fs.cleaner.enabled", spec.cleaner.enabled, "spec.cleaner.enabled"),
    setting("spark.history.fs.cleaner.interval", `${spec.cleaner.interval}d`, "spec.cleaner.interval (days)"),
    setting("spark.history.fs.cleaner.maxAge", `${spec.cleaner.maxAge}d`, "spec.cleaner.maxAge (days)"),
    // History.scala END_EVENT_REPARSE_CHUNK_SIZE: bytesConf(BYTE); the spec counts MB (default "1m").
    setting(
      "spark.history.fs.endEventReparseChunkSize",
      `${spec.endEventReparseChunkSize}m`,
      "spec.endEventReparseChunkSize (MB)",
    ),
    // History.scala FAST_IN_PROGRESS_PARSING (booleanConf).
    setting(
      "spark.history.fs.inProgressOptimization.enabled",
      spec.inProgressOptimization,
      "spec.inProgressOptimization",
    ),
    // History.scala MAX_LOCAL_DISK_USAGE: bytesConf(BYTE); the spec counts GB (default "10g").
    setting("spark.history.store.maxDiskUsage", `${spec.maxDiskUsage}g`, "spec.maxDiskUsage (GB)"),
  ];
  if (spec.maxApplications !== undefined) {
    // package.scala HISTORY_UI_MAX_APPS (intConf); not spark.history.maxApplications.
    settings.push(setting("spark.history.ui.maxApplications", spec.maxApplications, "spec.maxApplications"));
  }
  if (spec.numReplayThreads !== undefined) {
    // History.scala NUM_REPLAY_THREADS (intConf).
    settings.push(
      setting("spark.history.fs.numReplayThreads", spec.numReplayThreads, "spec.numReplayThreads"),
    );
  }
  if (spec.persistentPath !== undefined) {
    // History.scala LOCAL_STORE_DIR (stringConf, a local directory).
    settings.push(setting("spark.history.store.path", spec.persistentPath, "spec.persistentPath"));
  }
  if (spec.kerberos?.enabled === true) {
    // History.scala KERBEROS_ENABLED, KERBEROS_PRINCIPAL, KERBEROS_KEYTAB.
    settings.push(setting("spark.history.kerberos.enabled", true, "spec.kerberos.enabled"));
    if (spec.kerberos.principal !== undefined) {
      settings.push(
        setting("spark.history.kerberos.principal", spec.kerberos.principal, "spec.kerberos.principal"),
      );
    }
    if (spec.kerberos.keytab !== undefined) {
      settings.push(setting("spark.history.kerberos.keytab", spec.kerberos.keytab, "spec.kerberos.keytab"));
    }
  }
  // Spark copies spark.hadoop.* into the Hadoop Configuration its file systems are made with.
  for (const [key, value] of Object.entries(spec.hadoopConf ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    settings.push(setting(`spark.hadoop.${key}`, value, `spec.hadoopConf.${key}`));
  }
  (spec.sparkConfiguration ?? []).forEach(({ name, value }, index) => {
    settings.push(setting(name, value, `spec.sparkConfiguration[${index}]`));
  });
  return settings;
}

export function renderSparkDefaults(server: string, settings: readonly HistorySetting[]): string {
  const lines = [
    `# Rendered by sparkhooks for SparkHistoryServer ${server}. Later lines win over earlier ones.`,
  ];
  for (const { name, value, origin } of settings) lines.push(`# ${origin}`, propertyLine(name, value));
  return `${lines.join("\n")}\n`;
}

export type ConfigMapChild = IConfigMap & { metadata: { name: string } };

export function historyConfigMap(
  server: string,
  spec: SparkHistoryServerSpec,
  settings: readonly HistorySetting[],
): ConfigMapChild {
  const files = confFiles(renderSparkDefaults(server, settings), undefined);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      // Labels are not part of the hash: they may change in place, the data never does.
      name: configMapName(server, files.hash),
      labels: {
        ...spec.labels,
        [LABEL_NAME]: APP_NAME,
        [LABEL_INSTANCE]: server,
        [LABEL_COMPONENT]: COMPONENT,
        [LABEL_MANAGED_BY]: MANAGER,
      },
    },
    immutable: true,
    data: files.data,
  };
}
