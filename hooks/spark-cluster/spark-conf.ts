/**
 * The cluster's Spark configuration: one ConfigMap for the master and one for the workers, each
 * holding that role's spark-defaults.conf (loaded with `--properties-file`) and the other files
 * of the user's ConfigMap (log4j2.properties, …).
 *
 * - A setting goes only to the daemons that read it, so editing a worker setting rolls the
 *   workers and leaves the master, and the applications registered with it, alone.
 * - Each ConfigMap is named by a hash of its content and is immutable. A pod restarted in the
 *   middle of a roll reads the configuration it was started with, never its successor's, and
 *   since the name is in the pod template, a new configuration is a new template hash.
 */
import type { IConfigMap } from "kubernetes-models/v1";
import { confFiles, SPARK_DEFAULTS_FILE, type UserConfigMap } from "../spark/conf.js";
import {
  APP_NAME,
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGER,
} from "../spark/labels.js";
import type { SettingLookup } from "../spark/executor-memory.js";
import { METRICS_SETTINGS } from "../spark/metrics.js";
import { parseProperties, propertyLine } from "../spark/properties.js";
import { configMapName, type Component } from "./names.js";
import type { PodAdditions } from "./pod-additions.js";
import type { SparkClusterSpec } from "./schema.js";

export interface SparkSetting {
  readonly name: string;
  readonly value: string;
  /** Where it was written, for messages: `spec.sparkConfiguration[2]`. */
  readonly origin: string;
  /** Why sparkhooks sets it, for the rendered file. */
  readonly why?: string;
}

interface Section {
  readonly heading: string;
  readonly settings: readonly SparkSetting[];
}

/**
 * Every setting in the order Spark loads them, so later ones win: our defaults, `metrics`, the
 * fields that need settings (mavenDependencies, historyServer), the user's spark-defaults.conf,
 * then spec.sparkConfiguration.
 */
export interface ClusterConfiguration {
  readonly sections: readonly Section[];
  readonly user: UserConfigMap | undefined;
}

/**
 * What every cluster needs on Kubernetes; users can override any of it through their
 * ConfigMap or sparkConfiguration, whose lines come later in the file and therefore win.
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

/**
 * Read only by workers: the Worker daemon, the external shuffle service it runs, and the
 * executors it launches (which the worker sizes, see resources.ts).
 */
const WORKER_ONLY_PREFIXES = ["spark.worker.", "spark.shuffle.service.", "spark.executor."];
/** Read only by the Master: its REST server, UI, recovery and scheduling. */
const MASTER_ONLY_PREFIXES = ["spark.master.", "spark.deploy."];
/**
 * Worker settings the Master reads too. It declares a worker dead after spark.worker.timeout
 * without a heartbeat, while workers heartbeat every quarter of their own value: the two must
 * agree, or a raised timeout gets healthy workers removed.
 */
const READ_BY_BOTH = new Set(["spark.worker.timeout"]);

/** Which daemons read a Spark property (checked against Spark 4.3's Master and Worker). */
export function readersOf(name: string): readonly Component[] {
  if (READ_BY_BOTH.has(name)) return ["master", "worker"];
  if (WORKER_ONLY_PREFIXES.some((prefix) => name.startsWith(prefix))) return ["worker"];
  if (MASTER_ONLY_PREFIXES.some((prefix) => name.startsWith(prefix))) return ["master"];
  return ["master", "worker"];
}

/**
 * Collects the cluster's settings. The user's spark-defaults.conf is read the way Spark reads
 * it; a file Spark could not load is a problem in `errors`, naming the ConfigMap.
 */
export function clusterConfiguration(
  spec: SparkClusterSpec,
  user: UserConfigMap | undefined,
  additions: PodAdditions,
  errors: string[],
): ClusterConfiguration {
  const sections: Section[] = [
    {
      heading: "Cluster defaults",
      settings: CLUSTER_DEFAULTS.map(([name, value, why]) => ({ name, value, why, origin: "sparkhooks" })),
    },
  ];
  if (spec.metrics) {
    sections.push({
      heading: "metrics: true",
      settings: METRICS_SETTINGS.map(([name, value]) => ({ name, value, origin: "spec.metrics" })),
    });
  }
  sections.push(...additions.settings);
  const userDefaults = user?.data[SPARK_DEFAULTS_FILE];
  if (user !== undefined && userDefaults !== undefined) {
    const where = `ConfigMap ${user.name}, ${SPARK_DEFAULTS_FILE}`;
    const parsed = parseProperties(userDefaults);
    errors.push(...parsed.problems.map((problem) => `spec.sparkConfigurationMap: ${where} ${problem}`));
    // The field that names the ConfigMap comes first, as in every other message about the spec.
    sections.push({
      heading: `From ConfigMap ${user.name}`,
      settings: parsed.entries.map(({ name, value, line }) => ({
        name,
        value,
        origin: `spec.sparkConfigurationMap (${where} line ${line})`,
      })),
    });
  }
  sections.push({
    heading: "From spec.sparkConfiguration",
    settings: (spec.sparkConfiguration ?? []).map(({ name, value }, index) => ({
      name,
      value,
      origin: `spec.sparkConfiguration[${index}]`,
    })),
  });
  return { sections, user };
}

/**
 * The value each setting ends up with, as Spark resolves the file: the last one wins. Sizing
 * reads executor settings through it, which only the workers' file carries, so both agree.
 */
export function settingLookup(configuration: ClusterConfiguration): SettingLookup {
  const effective = new Map(
    configuration.sections.flatMap((section) => section.settings.map((s) => [s.name, s] as const)),
  );
  return (name) => effective.get(name);
}

export function renderSparkDefaults(
  cluster: string,
  configuration: ClusterConfiguration,
  component: Component,
): string {
  const lines = [
    `# Rendered by sparkhooks for the ${component === "master" ? "master" : "workers"} of SparkCluster ` +
      `${cluster}. Later lines win over earlier ones.`,
  ];
  for (const section of configuration.sections) {
    const settings = section.settings.filter((s) => readersOf(s.name).includes(component));
    if (settings.length === 0) continue;
    lines.push("", `# ${section.heading}`);
    for (const { name, value, why } of settings) {
      if (why !== undefined) lines.push(`# ${why}`);
      lines.push(propertyLine(name, value));
    }
  }
  return `${lines.join("\n")}\n`;
}

export type ConfigMapChild = IConfigMap & { metadata: { name: string } };

export function roleConfigMap(
  cluster: string,
  spec: SparkClusterSpec,
  configuration: ClusterConfiguration,
  component: Component,
): ConfigMapChild {
  const files = confFiles(renderSparkDefaults(cluster, configuration, component), configuration.user);
  const hasBinary = Object.keys(files.binaryData).length > 0;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      // Labels are not part of the hash: they may change in place, the data never does.
      name: configMapName(cluster, component, files.hash),
      labels: {
        ...spec.labels,
        [LABEL_NAME]: APP_NAME,
        [LABEL_INSTANCE]: cluster,
        [LABEL_COMPONENT]: component,
        [LABEL_MANAGED_BY]: MANAGER,
      },
    },
    // The API server then refuses any change to the data, and kubelets stop watching it.
    immutable: true,
    data: files.data,
    ...(hasBinary ? { binaryData: files.binaryData } : {}),
  };
}
