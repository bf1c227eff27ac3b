/**
 * The cluster's Spark configuration: one spark-defaults.conf that master and workers load
 * (`--properties-file`), plus any other files of the user's ConfigMap (log4j2.properties, …).
 */
import type { IConfigMap } from "kubernetes-models/v1";
import { confFiles, SPARK_DEFAULTS_FILE, type UserConfigMap } from "../spark/conf.js";
import { propertyLine } from "../spark/properties.js";
import { APP_NAME, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, MANAGER } from "../spark/labels.js";
import { METRICS_SETTINGS } from "../spark/metrics.js";
import { configMapName } from "./names.js";
import type { SparkClusterSpec } from "./schema.js";

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
  const { data, binaryData, hash } = confFiles(renderSparkDefaults(cluster, spec, user), user);
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
  return { configMap, hash };
}
