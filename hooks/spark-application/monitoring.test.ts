/**
 * `monitoring` becomes Spark settings, pod additions and files: the native PrometheusServlet
 * without a JMX exporter jar, kubeflow's JMX exporter agent with one; and the driver's
 * spark.properties and pods carry them.
 */
import { Pod } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { restrictedViolations } from "../../test/support/pod-security.js";
import { sparkApplicationSpec } from "../../test/support/spark-applications.js";
import { driverPod } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import {
  DEFAULT_PROMETHEUS_CONFIG,
  jmxExporterAgent,
  JMX_METRICS_PROPERTIES,
  monitoring,
  NO_MONITORING,
} from "./monitoring.js";
import type { ApplicationRun } from "./names.js";
import type { SparkApplicationSpec } from "./schema.js";
import { driverSparkConf } from "./spark-properties.js";

const RUN: ApplicationRun = { name: "spark-pi", namespace: "spark-jobs", uid: "0a1b2c3d", attempt: 1 };
const JAR = "/prometheus/jmx_prometheus_javaagent-0.20.0.jar";

function withMonitoring(
  monitoringSpec: Record<string, unknown> | undefined,
  rest: Record<string, unknown> = {},
): SparkApplicationSpec {
  return sparkApplicationSpec({
    sparkVersion: "3.5.3",
    mainClass: "org.apache.spark.examples.SparkPi",
    mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
    driver: {},
    executor: {},
    ...(monitoringSpec === undefined ? {} : { monitoring: monitoringSpec }),
    ...rest,
  });
}

function confOf(spec: SparkApplicationSpec): Record<string, string> {
  const size = driverSize(spec);
  if (!size.ok) throw new Error(size.errors.join("; "));
  return driverSparkConf(RUN, spec, size.size, monitoring(RUN, spec));
}

describe("no monitoring", () => {
  it("adds nothing", () => {
    expect(monitoring(RUN, withMonitoring(undefined))).toEqual(NO_MONITORING);
  });
});

describe("monitoring without a JMX exporter: Spark's PrometheusServlet", () => {
  const both = monitoring(RUN, withMonitoring({ exposeDriverMetrics: true, exposeExecutorMetrics: true }));

  it.each([
    ["spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet"],
    ["spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus"],
    ["spark.metrics.conf.*.source.jvm.class", "org.apache.spark.metrics.source.JvmSource"],
    ["spark.ui.prometheus.enabled", "true"],
  ])("sets %s=%s with driver and executor metrics exposed", (key, value) => {
    expect(both.conf[key]).toBe(value);
  });

  it("sets only those four, and names no metrics file, port or agent", () => {
    expect(Object.keys(both.conf)).toHaveLength(4);
    expect(both.files).toEqual({});
    expect(both.driver.ports).toEqual([]);
    expect(both.driver.javaOptions).toEqual([]);
    expect(both.driver.volumes).toEqual([]);
  });

  it("points Prometheus at the driver UI's servlet, with the slash Jetty would redirect to", () => {
    expect(both.driver.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "4040",
      "prometheus.io/path": "/metrics/prometheus/",
    });
  });

  it("annotates no executor: executors have no UI, the driver serves their metrics", () => {
    expect(both.executor.annotations).toEqual({});
  });

  it("with only executor metrics exposed, turns on the driver's executor endpoint and points the driver's annotations at it", () => {
    const executors = monitoring(
      RUN,
      withMonitoring({ exposeDriverMetrics: false, exposeExecutorMetrics: true }),
    );
    expect(executors.conf).toEqual({ "spark.ui.prometheus.enabled": "true" });
    expect(executors.driver.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "4040",
      "prometheus.io/path": "/metrics/executors/prometheus",
    });
  });

  it("with only driver metrics exposed, leaves spark.ui.prometheus.enabled to Spark's default", () => {
    const driver = monitoring(
      RUN,
      withMonitoring({ exposeDriverMetrics: true, exposeExecutorMetrics: false }),
    );
    expect(driver.conf).not.toHaveProperty("spark.ui.prometheus.enabled");
  });

  it("mounts a metricsProperties given inline at /etc/metrics/conf and points spark.metrics.conf at it", () => {
    const inline = monitoring(
      RUN,
      withMonitoring({
        exposeDriverMetrics: true,
        exposeExecutorMetrics: false,
        metricsProperties: "*.sink.console.class=org.apache.spark.metrics.sink.ConsoleSink\n",
        metricsPropertiesFile: "/opt/spark/conf/ignored.properties",
      }),
    );
    expect(inline.files).toEqual({
      "metrics.properties": "*.sink.console.class=org.apache.spark.metrics.sink.ConsoleSink\n",
    });
    expect(inline.conf["spark.metrics.conf"]).toBe("/etc/metrics/conf/metrics.properties");
    expect(inline.executor.mounts).toEqual([
      { name: "metrics-conf", mountPath: "/etc/metrics/conf", readOnly: true },
    ]);
  });

  it("points spark.metrics.conf at a metricsPropertiesFile in the image and mounts nothing", () => {
    const file = monitoring(
      RUN,
      withMonitoring({
        exposeDriverMetrics: false,
        exposeExecutorMetrics: false,
        metricsPropertiesFile: "/opt/metrics/metrics.properties",
      }),
    );
    expect(file.conf).toEqual({ "spark.metrics.conf": "/opt/metrics/metrics.properties" });
    expect(file.files).toEqual({});
    expect(file.driver.volumes).toEqual([]);
  });
});

describe("monitoring with the Prometheus JMX exporter", () => {
  const spec = withMonitoring({
    exposeDriverMetrics: true,
    exposeExecutorMetrics: true,
    prometheus: { jmxExporterJar: JAR },
  });
  const result = monitoring(RUN, spec);

  it("loads the exporter as a java agent on port 8090 with the mounted prometheus.yaml", () => {
    expect(result.driver.javaOptions).toEqual([`-javaagent:${JAR}=8090:/etc/metrics/conf/prometheus.yaml`]);
    expect(result.executor.javaOptions).toEqual(result.driver.javaOptions);
  });

  it.each([
    [{ jmxExporterJar: JAR, port: 9100 }, `-javaagent:${JAR}=9100:/etc/metrics/conf/prometheus.yaml`],
    [
      { jmxExporterJar: JAR, configFile: "/opt/jmx/config.yaml", configuration: "rules: []" },
      `-javaagent:${JAR}=8090:/opt/jmx/config.yaml`,
    ],
  ])("writes the agent for %j as %s", (prometheus, agent) => {
    expect(jmxExporterAgent(prometheus)).toBe(agent);
  });

  it("writes JmxSink's metrics.properties and the default exporter rules into the application ConfigMap", () => {
    expect(result.files).toEqual({
      "metrics.properties": JMX_METRICS_PROPERTIES,
      "prometheus.yaml": DEFAULT_PROMETHEUS_CONFIG,
    });
    expect(JMX_METRICS_PROPERTIES).toContain("*.sink.jmx.class=org.apache.spark.metrics.sink.JmxSink");
    expect(result.conf).toEqual({ "spark.metrics.conf": "/etc/metrics/conf/metrics.properties" });
  });

  it("writes default exporter rules that are YAML with a rule per role and kind of metric", () => {
    const rules = (parse(DEFAULT_PROMETHEUS_CONFIG) as { rules: { pattern: string; name: string }[] }).rules;
    expect(rules.map((rule) => rule.name)).toEqual([
      "spark_driver_$3",
      "spark_driver_$3_count",
      "spark_executor_$4",
      "spark_executor_$4_count",
    ]);
  });

  it.each([
    ["metrics<name=spark-jobs.spark-pi.driver.DAGScheduler.stage.failedStages, type=gauges><>Value", 0],
    ["metrics<name=spark-jobs.spark-pi.driver.LiveListenerBus.numEventsPosted, type=counters><>Count", 1],
    ["metrics<name=spark-jobs.spark-pi.3.executor.threadpool.activeTasks, type=gauges><>Value", 2],
    ["metrics<name=spark-jobs.my.app.12.executor.bytesRead, type=counters><>Count", 3],
  ])("matches the JmxSink bean %s with rule %i", (bean, index) => {
    const rules = (parse(DEFAULT_PROMETHEUS_CONFIG) as { rules: { pattern: string }[] }).rules;
    const matching = rules.findIndex((rule) => new RegExp(`^${rule.pattern}$`).test(bean));
    expect(matching).toBe(index);
  });

  it("uses the given configuration, and no file at all for a configFile in the image", () => {
    const configured = monitoring(
      RUN,
      withMonitoring({
        exposeDriverMetrics: true,
        exposeExecutorMetrics: false,
        prometheus: { jmxExporterJar: JAR, configuration: "rules: []\n" },
      }),
    );
    expect(configured.files["prometheus.yaml"]).toBe("rules: []\n");
    const inImage = monitoring(
      RUN,
      withMonitoring({
        exposeDriverMetrics: true,
        exposeExecutorMetrics: false,
        prometheus: { jmxExporterJar: JAR, configFile: "/opt/jmx/config.yaml" },
      }),
    );
    expect(inImage.files).not.toHaveProperty("prometheus.yaml");
  });

  it("exposes the exporter's port on the driver and annotates both roles for scraping at /metrics", () => {
    expect(result.driver.ports).toEqual([{ name: "jmx-exporter", containerPort: 8090, protocol: "TCP" }]);
    const annotations = {
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8090",
      "prometheus.io/path": "/metrics",
    };
    expect(result.driver.annotations).toEqual(annotations);
    expect(result.executor.annotations).toEqual(annotations);
  });

  it("names the port as prometheus.portName says", () => {
    const named = monitoring(
      RUN,
      withMonitoring({
        exposeDriverMetrics: true,
        exposeExecutorMetrics: false,
        prometheus: { jmxExporterJar: JAR, port: 9100, portName: "metrics" },
      }),
    );
    expect(named.driver.ports).toEqual([{ name: "metrics", containerPort: 9100, protocol: "TCP" }]);
  });

  it("gives a role that is not exposed the files but no agent, port or annotations", () => {
    const driverOnly = monitoring(
      RUN,
      withMonitoring({
        exposeDriverMetrics: true,
        exposeExecutorMetrics: false,
        prometheus: { jmxExporterJar: JAR },
      }),
    );
    expect(driverOnly.executor).toMatchObject({ javaOptions: [], annotations: {}, ports: [] });
    expect(driverOnly.executor.mounts).toHaveLength(1);
  });
});

describe("monitoring in spark.properties and the driver pod", () => {
  const JMX = { exposeDriverMetrics: true, exposeExecutorMetrics: true, prometheus: { jmxExporterJar: JAR } };
  const AGENT = `-javaagent:${JAR}=8090:/etc/metrics/conf/prometheus.yaml`;

  it("appends the agent to the user's javaOptions for both roles", () => {
    const conf = confOf(
      withMonitoring(JMX, {
        driver: { javaOptions: "-XX:+UseG1GC" },
        executor: { javaOptions: "-Dlog4j.configuration=x" },
      }),
    );
    expect(conf["spark.driver.extraJavaOptions"]).toBe(`-XX:+UseG1GC ${AGENT}`);
    expect(conf["spark.executor.extraJavaOptions"]).toBe(`-Dlog4j.configuration=x ${AGENT}`);
  });

  it("appends the agent to sparkConf's extraJavaOptions where the javaOptions fields are unset", () => {
    const conf = confOf(withMonitoring(JMX, { sparkConf: { "spark.executor.extraJavaOptions": "-Da=b" } }));
    expect(conf["spark.executor.extraJavaOptions"]).toBe(`-Da=b ${AGENT}`);
    expect(conf["spark.driver.extraJavaOptions"]).toBe(AGENT);
  });

  it("names metrics by <namespace>.<app>, stable across attempts, unless sparkConf names them", () => {
    expect(confOf(withMonitoring(JMX))["spark.metrics.namespace"]).toBe("spark-jobs.spark-pi");
    const own = confOf(withMonitoring(JMX, { sparkConf: { "spark.metrics.namespace": "team" } }));
    expect(own["spark.metrics.namespace"]).toBe("team");
  });

  it("lets the metrics fields win over sparkConf", () => {
    const conf = confOf(
      withMonitoring(
        {
          exposeDriverMetrics: false,
          exposeExecutorMetrics: false,
          metricsPropertiesFile: "/opt/m.properties",
        },
        { sparkConf: { "spark.metrics.conf": "/elsewhere" } },
      ),
    );
    expect(conf["spark.metrics.conf"]).toBe("/opt/m.properties");
  });

  it("puts the exporter's port, the scrape annotations and the metrics files into the driver pod", () => {
    const spec = withMonitoring(JMX, { driver: { annotations: { "prometheus.io/port": "1", team: "a" } } });
    const size = driverSize(spec);
    if (!size.ok) throw new Error(size.errors.join("; "));
    const pod = driverPod(RUN, spec, size.size, monitoring(RUN, spec).driver);
    const container = pod.spec?.containers[0];
    expect(container?.ports?.map((port) => port.containerPort)).toEqual([7078, 7079, 4040, 8090]);
    expect(container?.volumeMounts).toContainEqual({
      name: "metrics-conf",
      mountPath: "/etc/metrics/conf",
      readOnly: true,
    });
    expect(pod.metadata.annotations).toEqual({
      team: "a",
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8090",
      "prometheus.io/path": "/metrics",
    });
    expect(() => new Pod(pod).validate()).not.toThrow();
    expect(restrictedViolations(pod.spec ?? { containers: [] }, pod.metadata)).toEqual([]);
  });
});
