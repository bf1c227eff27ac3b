/**
 * `monitoring`: how an application's metrics reach Prometheus, as Spark settings, pod
 * additions for the driver and the executors, and the files they read.
 *
 * Two ways, decided by `prometheus.jmxExporterJar`:
 * - Without it, Spark's native PrometheusServlet (Spark 3.0+): no agent, no extra port. The
 *   driver serves its own metrics on the UI port at /metrics/prometheus/, and the executors'
 *   at /metrics/executors/prometheus once spark.ui.prometheus.enabled is on (false by default
 *   in 3.x, true in 4.x; Spark's PrometheusResource). Executors have no UI, so they are
 *   scraped through the driver and get no annotations of their own.
 * - With it, kubeflow's way: Spark's JmxSink (metrics.properties) read by the Prometheus JMX
 *   exporter running as a java agent in each exposed JVM, on its own port (default 8090).
 *
 * Either way spark.metrics.namespace defaults to `<namespace>.<app>`, as in kubeflow, so metric
 * names stay the same across attempts (Spark's default is spark.app.id, new per attempt).
 */
import type { IVolume, IVolumeMount } from "kubernetes-models/v1";
import { METRICS_SETTINGS, PROMETHEUS_PATH, scrapeAnnotations } from "../spark/metrics.js";
import { driverConfigMapName, type ApplicationRun } from "./names.js";
import { NO_POD_ADDITIONS, type PodAdditions } from "./pod-parts.js";
import type { SparkApplicationSpec } from "./schema.js";
import { UI_PORT } from "./spark-properties.js";

/** Where kubeflow mounts the metrics files, so configFile paths written for kubeflow keep working. */
export const METRICS_CONF_DIR = "/etc/metrics/conf";
export const METRICS_CONF_VOLUME = "metrics-conf";
export const METRICS_PROPERTIES_FILE = "metrics.properties";
export const PROMETHEUS_CONFIG_FILE = "prometheus.yaml";
/** kubeflow's defaults for the JMX exporter's port and port name. */
export const DEFAULT_JMX_EXPORTER_PORT = 8090;
export const DEFAULT_JMX_EXPORTER_PORT_NAME = "jmx-exporter";
/** What the JMX exporter serves on its port. */
export const JMX_EXPORTER_PATH = "/metrics";
/** The driver's endpoint for every executor's metrics (Spark's PrometheusResource). */
export const EXECUTORS_PROMETHEUS_PATH = "/metrics/executors/prometheus";

/**
 * metrics.properties for the JMX exporter: Spark's JmxSink for every instance, and the JVM's
 * memory and GC figures from driver and executors.
 */
export const JMX_METRICS_PROPERTIES = [
  "*.sink.jmx.class=org.apache.spark.metrics.sink.JmxSink",
  "driver.source.jvm.class=org.apache.spark.metrics.source.JvmSource",
  "executor.source.jvm.class=org.apache.spark.metrics.source.JvmSource",
  "",
].join("\n");

/**
 * The JMX exporter's rules when the spec gives none. JmxSink registers each metric as the MBean
 * `metrics:name=<spark.metrics.namespace>.<instance>.<source>.<metric>` (Dropwizard adds a
 * `type` key), the instance being `driver` or the executor id. With the namespace
 * `<namespace>.<app>` set here, the rules turn that into `spark_driver_<source>_<metric>` and
 * `spark_executor_<source>_<metric>` with the namespace, application and executor as labels;
 * gauges (Value) and counters (Count) alike.
 */
export const DEFAULT_PROMETHEUS_CONFIG = `lowercaseOutputName: true
attrNameSnakeCase: true
rules:
  - pattern: 'metrics<(?:type=\\w+, )?name=([^.]+)\\.(.+?)\\.driver\\.([^,>]+)(?:, type=\\w+)?><>Value'
    name: spark_driver_$3
    type: GAUGE
    labels:
      app_namespace: "$1"
      app_name: "$2"
  - pattern: 'metrics<(?:type=\\w+, )?name=([^.]+)\\.(.+?)\\.driver\\.([^,>]+)(?:, type=\\w+)?><>Count'
    name: spark_driver_$3_count
    type: COUNTER
    labels:
      app_namespace: "$1"
      app_name: "$2"
  - pattern: 'metrics<(?:type=\\w+, )?name=([^.]+)\\.(.+?)\\.(\\d+)\\.([^,>]+)(?:, type=\\w+)?><>Value'
    name: spark_executor_$4
    type: GAUGE
    labels:
      app_namespace: "$1"
      app_name: "$2"
      executor_id: "$3"
  - pattern: 'metrics<(?:type=\\w+, )?name=([^.]+)\\.(.+?)\\.(\\d+)\\.([^,>]+)(?:, type=\\w+)?><>Count'
    name: spark_executor_$4_count
    type: COUNTER
    labels:
      app_namespace: "$1"
      app_name: "$2"
      executor_id: "$3"
`;

export interface Monitoring {
  readonly driver: PodAdditions;
  readonly executor: PodAdditions;
  /** Settings the monitoring fields decide: they win over sparkConf. */
  readonly conf: Readonly<Record<string, string>>;
  /** Defaults that sparkConf may change. */
  readonly defaultConf: Readonly<Record<string, string>>;
  /**
   * Files for the application's ConfigMap (`driverConfigMapName(run)`), which the additions
   * mount at METRICS_CONF_DIR in driver and executors.
   */
  readonly files: Readonly<Record<string, string>>;
}

export const NO_MONITORING: Monitoring = {
  driver: NO_POD_ADDITIONS,
  executor: NO_POD_ADDITIONS,
  conf: {},
  defaultConf: {},
  files: {},
};

type MonitoringSpec = NonNullable<SparkApplicationSpec["monitoring"]>;
type PrometheusSpec = NonNullable<MonitoringSpec["prometheus"]>;

/** metrics.properties: the spec's content wins over its path in the image, as the schema says. */
function metricsProperties(monitoring: MonitoringSpec): { file?: string; path?: string } {
  if (monitoring.metricsProperties !== undefined) return { file: monitoring.metricsProperties };
  if (monitoring.metricsPropertiesFile !== undefined) return { path: monitoring.metricsPropertiesFile };
  return monitoring.prometheus === undefined ? {} : { file: JMX_METRICS_PROPERTIES };
}

/** `-javaagent:<jar>=<port>:<config>`: the exporter's own argument syntax. */
export function jmxExporterAgent(prometheus: PrometheusSpec): string {
  const port = prometheus.port ?? DEFAULT_JMX_EXPORTER_PORT;
  const config = prometheus.configFile ?? `${METRICS_CONF_DIR}/${PROMETHEUS_CONFIG_FILE}`;
  return `-javaagent:${prometheus.jmxExporterJar}=${port}:${config}`;
}

export function monitoring(run: ApplicationRun, spec: SparkApplicationSpec): Monitoring {
  const monitoringSpec = spec.monitoring;
  if (monitoringSpec === undefined) return NO_MONITORING;
  const { exposeDriverMetrics, exposeExecutorMetrics, prometheus } = monitoringSpec;
  const properties = metricsProperties(monitoringSpec);
  const files: Record<string, string> = {
    ...(properties.file === undefined ? {} : { [METRICS_PROPERTIES_FILE]: properties.file }),
    ...(prometheus === undefined || prometheus.configFile !== undefined
      ? {}
      : { [PROMETHEUS_CONFIG_FILE]: prometheus.configuration ?? DEFAULT_PROMETHEUS_CONFIG }),
  };
  const metricsConf =
    properties.file !== undefined ? `${METRICS_CONF_DIR}/${METRICS_PROPERTIES_FILE}` : properties.path;
  const mounted = Object.keys(files).length === 0 ? { volumes: [], mounts: [] } : filesVolume(run, files);
  const defaultConf = { "spark.metrics.namespace": `${run.namespace}.${run.name}` };
  const base = { ...NO_POD_ADDITIONS, ...mounted };
  if (prometheus !== undefined) {
    const port = prometheus.port ?? DEFAULT_JMX_EXPORTER_PORT;
    const exposed: PodAdditions = {
      ...base,
      annotations: scrapeAnnotationsAt(port, JMX_EXPORTER_PATH),
      javaOptions: [jmxExporterAgent(prometheus)],
    };
    return {
      driver: exposeDriverMetrics
        ? {
            ...exposed,
            ports: [
              {
                name: prometheus.portName ?? DEFAULT_JMX_EXPORTER_PORT_NAME,
                containerPort: port,
                protocol: "TCP",
              },
            ],
          }
        : base,
      // No container port for executors: Spark replaces their port list (BasicExecutorFeatureStep);
      // the agent listens all the same, and the annotations name its port.
      executor: exposeExecutorMetrics ? exposed : base,
      conf: metricsConf === undefined ? {} : { "spark.metrics.conf": metricsConf },
      defaultConf,
      files,
    };
  }
  const servlet = exposeDriverMetrics
    ? Object.fromEntries(METRICS_SETTINGS.filter(([key]) => key.startsWith("spark.metrics.conf.*.")))
    : {};
  // One path per pod: the driver's own metrics when exposed, else the executors' it serves.
  const driverAnnotations = exposeDriverMetrics
    ? scrapeAnnotations(true, UI_PORT, PROMETHEUS_PATH)
    : exposeExecutorMetrics
      ? scrapeAnnotationsAt(UI_PORT, EXECUTORS_PROMETHEUS_PATH)
      : {};
  return {
    driver: { ...base, annotations: driverAnnotations },
    executor: base,
    conf: {
      ...servlet,
      ...(exposeExecutorMetrics ? { "spark.ui.prometheus.enabled": "true" } : {}),
      ...(metricsConf === undefined ? {} : { "spark.metrics.conf": metricsConf }),
    },
    defaultConf,
    files,
  };
}

/** Scrape annotations for a path served as it is (no Jetty context root, so no slash needed). */
function scrapeAnnotationsAt(port: number, path: string): Record<string, string> {
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": path };
}

function filesVolume(
  run: ApplicationRun,
  files: Record<string, string>,
): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const items = Object.keys(files)
    .sort()
    .map((key) => ({ key, path: key }));
  return {
    volumes: [{ name: METRICS_CONF_VOLUME, configMap: { name: driverConfigMapName(run), items } }],
    mounts: [{ name: METRICS_CONF_VOLUME, mountPath: METRICS_CONF_DIR, readOnly: true }],
  };
}
