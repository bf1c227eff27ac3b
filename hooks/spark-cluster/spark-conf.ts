/**
 * The cluster's Spark configuration: one spark-defaults.conf that master and workers load
 * (`--properties-file`), plus any other files of the user's ConfigMap (log4j2.properties, …).
 */
import type { IConfigMap } from "kubernetes-models/v1";
import type { KubeObject } from "../metacontroller/protocol.js";
import { shortHash } from "../kube/names.js";
import { configMapName, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, APP_NAME, MANAGER } from "./names.js";
import type { SparkClusterSpec } from "./schema.js";

export const SPARK_CONF_DIR = "/opt/spark/conf";
export const SPARK_DEFAULTS_FILE = "spark-defaults.conf";
export const SPARK_DEFAULTS_PATH = `${SPARK_CONF_DIR}/${SPARK_DEFAULTS_FILE}`;

/**
 * What every cluster needs on Kubernetes; users can override any of it through
 * sparkConfiguration, whose lines come later in the file and therefore win.
 */
const CLUSTER_DEFAULTS: readonly (readonly [string, string, string])[] = [
  [
    "spark.master.rest.enabled",
    "false",
    "the REST submission port (6066) is unauthenticated; on by default since 4.1",
  ],
  [
    "spark.worker.preferConfiguredMasterAddress",
    "true",
    "after a master restart, reconnect through the Service, not the old pod IP",
  ],
  ["spark.worker.cleanup.enabled", "true", "long-lived workers: remove finished applications' work dirs"],
  ["spark.ui.reverseProxy", "true", "worker and app UIs are pod IPs; reach them through the master UI"],
];

/** Spark's native Prometheus sink, served on the existing UI ports (no agent jar, no extra port). */
const METRICS_SETTINGS: readonly (readonly [string, string])[] = [
  ["spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet"],
  ["spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus"],
  ["spark.metrics.conf.master.sink.prometheusServlet.path", "/metrics/master/prometheus"],
  ["spark.metrics.conf.applications.sink.prometheusServlet.path", "/metrics/applications/prometheus"],
  ["spark.metrics.conf.*.source.jvm.class", "org.apache.spark.metrics.source.JvmSource"],
];

/** java.util.Properties escaping for a value on one line. */
function propertyLine(name: string, value: string): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/^\s/, (space) => `\\${space}`);
  return `${name}=${escaped}`;
}

export interface UserConfigMap {
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
  readonly binaryData: Readonly<Record<string, string>>;
}

/** The user's ConfigMap if Metacontroller found it as a related object (see customize). */
export function findUserConfigMap(related: readonly KubeObject[], name: string): UserConfigMap | undefined {
  const found = related.find((object) => object.metadata.name === name);
  if (found === undefined) return undefined;
  const asStrings = (value: unknown): Record<string, string> =>
    typeof value === "object" && value !== null
      ? Object.fromEntries(
          Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
        )
      : {};
  return { name, data: asStrings(found.data), binaryData: asStrings(found.binaryData) };
}

export function renderSparkDefaults(
  cluster: string,
  spec: SparkClusterSpec,
  user: UserConfigMap | undefined,
): string {
  const lines = [
    `# Rendered by sparkhooks for SparkCluster ${cluster}. Later lines win over earlier ones.`,
    "",
    "# Cluster defaults",
    ...CLUSTER_DEFAULTS.flatMap(([name, value, why]) => [`# ${why}`, propertyLine(name, value)]),
  ];
  if (spec.metrics) {
    lines.push("", "# metrics: true", ...METRICS_SETTINGS.map(([name, value]) => propertyLine(name, value)));
  }
  const userDefaults = user?.data[SPARK_DEFAULTS_FILE];
  if (userDefaults !== undefined) {
    lines.push("", `# From ConfigMap ${user?.name}`, userDefaults.trimEnd());
  }
  if (spec.sparkConfiguration !== undefined && spec.sparkConfiguration.length > 0) {
    lines.push(
      "",
      "# From spec.sparkConfiguration",
      ...spec.sparkConfiguration.map((s) => propertyLine(s.name, s.value)),
    );
  }
  return `${lines.join("\n")}\n`;
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface SparkConf {
  readonly configMap: IConfigMap & { metadata: { name: string } };
  /** Changes whenever any file changes; pods carry it so a configuration change rolls them. */
  readonly hash: string;
}

export function sparkConf(
  cluster: string,
  spec: SparkClusterSpec,
  user: UserConfigMap | undefined,
): SparkConf {
  const data = sortedRecord({
    ...user?.data,
    [SPARK_DEFAULTS_FILE]: renderSparkDefaults(cluster, spec, user),
  });
  const binaryData = sortedRecord(user?.binaryData ?? {});
  const hasBinary = Object.keys(binaryData).length > 0;
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: configMapName(cluster),
      labels: {
        ...spec.labels,
        [LABEL_NAME]: APP_NAME,
        [LABEL_INSTANCE]: cluster,
        [LABEL_MANAGED_BY]: MANAGER,
      },
    },
    data,
    ...(hasBinary ? { binaryData } : {}),
  } as const;
  return { configMap, hash: shortHash(JSON.stringify([data, binaryData])) };
}
