/**
 * The ConfigMap of one run: what Spark's submission client would put into the driver's
 * `spark-drv-…-conf-map` and `driver-podspec-conf-map` — spark.properties and the executor pod
 * template — plus the other files the driver reads (the files of spec.sparkConfigMap, the
 * monitoring configuration).
 */
import type { IConfigMap } from "kubernetes-models/v1";
import { SPARK_APP_SELECTOR, selectorLabels } from "../spark/labels.js";
import { driverConfigMapName, sparkAppId, type ApplicationRun } from "./names.js";
import type { EXECUTOR_TEMPLATE_FILE, SPARK_PROPERTIES_FILE } from "./spark-properties.js";

export type ApplicationConfigMap = IConfigMap & {
  metadata: { name: string; labels: Record<string, string> };
  data: Record<string, string>;
};

/** File name → text. The driver cannot start without the two files Spark's client always writes. */
export type ApplicationFiles = Readonly<Record<string, string>> & {
  readonly [SPARK_PROPERTIES_FILE]: string;
  readonly [EXECUTOR_TEMPLATE_FILE]: string;
};

/**
 * What the API server accepts in one ConfigMap: data and binaryData together at most 1 MiB,
 * counting each key and each value in bytes (core/v1 validation, MaxSecretSize).
 */
export const MAX_CONFIGMAP_BYTES = 1024 * 1024;

export type ApplicationConfigMapResult =
  | { readonly ok: true; readonly configMap: ApplicationConfigMap }
  | { readonly ok: false; readonly problem: string };

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The run's ConfigMap, `driverConfigMapName(run)`. `binaryFiles` are base64 text, as in a
 * ConfigMap's binaryData; a name in both keeps the text file.
 *
 * It is immutable, and there is one per attempt (the name carries the attempt). The driver reads
 * its files once, at start, and hands them to its executors itself (Spark's executor ConfigMap),
 * so a change under a running driver would only make the pod's files and the running JVM
 * disagree; a new configuration is a rerun, with a new attempt and a new ConfigMap. Immutable
 * also lets the kubelet stop watching it, one watch less per driver on the API server. So the
 * content rendered for an attempt must stay the same for as long as the attempt runs: the API
 * server refuses any change to an immutable ConfigMap's data.
 */
export function applicationConfigMap(
  run: ApplicationRun,
  files: ApplicationFiles,
  binaryFiles: Readonly<Record<string, string>> = {},
): ApplicationConfigMapResult {
  const data = sorted(files);
  const binaryData = sorted(
    Object.fromEntries(Object.entries(binaryFiles).filter(([name]) => !(name in data))),
  );
  const bytes =
    Object.entries(data).reduce(
      (total, [name, text]) => total + Buffer.byteLength(name) + Buffer.byteLength(text),
      0,
    ) +
    Object.entries(binaryData).reduce(
      (total, [name, base64]) => total + Buffer.byteLength(name) + Buffer.from(base64, "base64").length,
      0,
    );
  if (bytes > MAX_CONFIGMAP_BYTES) {
    const largest = Object.entries(data)
      .map(([name, text]) => [name, Buffer.byteLength(text)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, size]) => `${name} ${size} bytes`)
      .join(", ");
    return {
      ok: false,
      problem:
        `the driver's configuration is ${bytes} bytes, more than a ConfigMap holds (${MAX_CONFIGMAP_BYTES}); ` +
        `largest files: ${largest}. Make spec.sparkConf, the files of spec.sparkConfigMap or the ` +
        "executor pod template smaller",
    };
  }
  return {
    ok: true,
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: driverConfigMapName(run),
        labels: { ...selectorLabels(run.name, "driver"), [SPARK_APP_SELECTOR]: sparkAppId(run) },
      },
      immutable: true,
      data,
      ...(Object.keys(binaryData).length === 0 ? {} : { binaryData }),
    },
  };
}
