/**
 * spark.properties holds what Spark's submission client would give the driver: who it is,
 * how executors reach it, how big everything is, and the user's conf where the pod does not
 * depend on it. Read back with the same Properties parser Spark's format follows.
 */
import { describe, expect, it } from "vitest";
import { parseProperties } from "../spark/properties.js";
import { PYSPARK_PI, SCALA_PI } from "../../test/support/spark-applications.js";
import { driverSize, type DriverSize } from "./driver-size.js";
import { sparkAppId, type ApplicationRun } from "./names.js";
import { parseSparkApplicationSpec, type SparkApplicationSpec } from "./schema.js";
import { NO_MONITORING } from "./monitoring.js";
import { driverSparkConf, reachesDriverByPodIp, sparkPropertiesFile } from "./spark-properties.js";

const RUN: ApplicationRun = { name: "spark-pi", namespace: "spark-jobs", uid: "0a1b2c3d", attempt: 1 };

function sizeOf(spec: SparkApplicationSpec): DriverSize {
  const size = driverSize(spec);
  if (!size.ok) throw new Error(size.errors.join("; "));
  return size.size;
}

function confOf(spec: SparkApplicationSpec, run = RUN): Record<string, string> {
  return driverSparkConf(run, spec, sizeOf(spec), NO_MONITORING);
}

function specOf(raw: Record<string, unknown>): SparkApplicationSpec {
  const parsed = parseSparkApplicationSpec({
    sparkVersion: "3.5.3",
    mainClass: "com.example.Main",
    mainApplicationFile: "local:///opt/app/app.jar",
    driver: {},
    executor: {},
    ...raw,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.spec;
}

describe("spark.properties of a Scala SparkPi on Spark 3.5", () => {
  const conf = confOf(SCALA_PI);

  it.each([
    ["spark.master", "k8s://https://kubernetes.default.svc"],
    ["spark.submit.deployMode", "cluster"],
    ["spark.kubernetes.submitInDriver", "true"],
    ["spark.app.name", "spark-pi"],
    ["spark.app.id", sparkAppId(RUN)],
    ["spark.kubernetes.namespace", "spark-jobs"],
    ["spark.kubernetes.driver.pod.name", "spark-pi-driver"],
    ["spark.kubernetes.resource.type", "java"],
    ["spark.kubernetes.container.image", "apache/spark:3.5.3"],
    ["spark.kubernetes.executor.podTemplateFile", "/opt/spark/pod-template/pod-spec-template.yml"],
    ["spark.kubernetes.executor.podTemplateContainerName", "spark-kubernetes-executor"],
    ["spark.driver.host", "spark-pi-driver-svc.spark-jobs.svc"],
    ["spark.driver.port", "7078"],
    ["spark.driver.blockManager.port", "7079"],
    ["spark.ui.port", "4040"],
    ["spark.driver.memory", "512m"],
    ["spark.driver.memoryOverhead", "384m"],
    ["spark.kubernetes.memoryOverheadFactor", "0.1"],
    ["spark.driver.cores", "1"],
    ["spark.executor.instances", "2"],
    ["spark.executor.cores", "1"],
    ["spark.executor.memory", "512m"],
    ["spark.jars", "local:///opt/spark/examples/jars/spark-examples.jar"],
    ["spark.kubernetes.authenticate.driver.serviceAccountName", "spark-driver"],
    ["spark.kubernetes.authenticate.executor.serviceAccountName", "spark-driver"],
    // The driver's Services are the hook's; the driver must not delete them when it stops.
    ["spark.kubernetes.driver.service.deleteOnTermination", "false"],
  ])("sets %s=%s", (key, value) => {
    expect(conf[key]).toBe(value);
  });

  it("does not name a bind address: the entrypoint passes the pod IP", () => {
    expect(conf).not.toHaveProperty("spark.driver.bindAddress");
    expect(conf).not.toHaveProperty("spark.kubernetes.executor.useDriverPodIP");
  });
});

describe("spark.properties of a PySpark pi.py on Spark 4.1", () => {
  const conf = confOf(PYSPARK_PI);

  it.each([
    ["spark.kubernetes.resource.type", "python"],
    ["spark.kubernetes.executor.useDriverPodIP", "true"],
    ["spark.kubernetes.memoryOverheadFactor", "0.4"],
    ["spark.driver.memoryOverhead", "819m"],
    ["spark.executor.instances", "1"],
    ["spark.kubernetes.container.image", "apache/spark:4.1.2"],
  ])("sets %s=%s", (key, value) => {
    expect(conf[key]).toBe(value);
  });

  it("lets executors dial the driver's pod IP, so names no driver host, and lists no primary jar", () => {
    expect(conf).not.toHaveProperty("spark.driver.host");
    expect(conf).not.toHaveProperty("spark.jars");
  });
});

describe("precedence", () => {
  it("takes sparkConf over defaults, typed fields over sparkConf, and keeps what the pod depends on", () => {
    const conf = confOf(
      specOf({
        sparkConf: {
          "spark.eventLog.enabled": "true",
          "spark.executor.memory": "8g",
          "spark.driver.port": "9999",
          "spark.app.id": "mine",
          "spark.driver.bindAddress": "0.0.0.0",
          "spark.driver.host": "elsewhere",
          "spark.jars.ivy": "/work/ivy",
        },
        hadoopConf: { "fs.s3a.endpoint": "http://minio:9000" },
        executor: { memory: "2g" },
        deps: { jars: ["local:///opt/app/dep.jar"], packages: ["org.example:lib:1.0"] },
      }),
    );
    expect(conf).toMatchObject({
      "spark.eventLog.enabled": "true",
      "spark.executor.memory": "2g",
      "spark.driver.port": "7078",
      "spark.app.id": sparkAppId(RUN),
      "spark.driver.host": "spark-pi-driver-svc.spark-jobs.svc",
      "spark.hadoop.fs.s3a.endpoint": "http://minio:9000",
      "spark.jars": "local:///opt/app/app.jar,local:///opt/app/dep.jar",
      "spark.jars.packages": "org.example:lib:1.0",
      "spark.jars.ivy": "/work/ivy",
    });
    expect(conf).not.toHaveProperty("spark.driver.bindAddress");
  });

  it("puts spec.historyServer's event log settings over spark-defaults.conf and under what the hook owns", () => {
    const spec = specOf({ sparkConf: { "spark.eventLog.compress": "false" } });
    const conf = driverSparkConf(
      RUN,
      spec,
      sizeOf(spec),
      NO_MONITORING,
      { "spark.eventLog.enabled": "false", "spark.eventLog.dir": "file:/elsewhere" },
      { "spark.eventLog.enabled": "true", "spark.eventLog.dir": "file:/history/spark-events" },
    );
    expect(conf).toMatchObject({
      "spark.eventLog.enabled": "true",
      "spark.eventLog.dir": "file:/history/spark-events",
      "spark.eventLog.compress": "false",
    });
  });

  it("redirects Ivy to /tmp when packages are resolved, since the spark user's home does not exist", () => {
    expect(confOf(specOf({ deps: { packages: ["org.example:lib:1.0"] } }))["spark.jars.ivy"]).toBe(
      "/tmp/.ivy2",
    );
    expect(confOf(specOf({}))).not.toHaveProperty("spark.jars.ivy");
  });

  it("maps dynamic allocation to Spark's keys and leaves executor instances to Spark", () => {
    const conf = confOf(specOf({ dynamicAllocation: { enabled: true, minExecutors: 1, maxExecutors: 5 } }));
    expect(conf).toMatchObject({
      "spark.dynamicAllocation.enabled": "true",
      "spark.dynamicAllocation.minExecutors": "1",
      "spark.dynamicAllocation.maxExecutors": "5",
      "spark.dynamicAllocation.shuffleTracking.enabled": "true",
    });
    expect(conf).not.toHaveProperty("spark.executor.instances");
  });
});

describe("the driver's size", () => {
  it.each([
    ["1g heap: 384Mi floor", {}, 1024, 384],
    ["4g heap: 10%", { driver: { memory: "4g" } }, 4096, 409],
    ["explicit overhead", { driver: { memory: "1g", memoryOverhead: "1g" } }, 1024, 1024],
    ["sparkConf heap", { sparkConf: { "spark.driver.memory": "3g" } }, 3072, 384],
    ["Spark 4 minimum overhead", { sparkConf: { "spark.driver.minMemoryOverhead": "512m" } }, 1024, 512],
    ["spec factor", { memoryOverheadFactor: "0.5", driver: { memory: "2g" } }, 2048, 1024],
    [
      "driver factor over the Kubernetes factor",
      {
        memoryOverheadFactor: "0.5",
        sparkConf: { "spark.driver.memoryOverheadFactor": "0.25" },
        driver: { memory: "2g" },
      },
      2048,
      512,
    ],
  ])("%s", (_case, raw, heapMiB, overheadMiB) => {
    const size = sizeOf(specOf(raw));
    expect([size.heapMiB, size.overheadMiB]).toEqual([heapMiB, overheadMiB]);
    expect(size.resources.requests["memory"]).toBe(`${heapMiB + overheadMiB}Mi`);
  });

  it("refuses a memory limit below heap + overhead and a sparkConf size Spark would not read", () => {
    expect(driverSize(specOf({ driver: { memory: "1g", memoryLimit: "1Gi" } }))).toEqual({
      ok: false,
      errors: ["spec.driver.memoryLimit: 1Gi is less than heap + overhead (1408Mi)"],
    });
    const bad = driverSize(specOf({ sparkConf: { "spark.driver.memory": "1.5g" } }));
    expect(bad.ok).toBe(false);
  });
});

describe("the file", () => {
  it("reads back as the same settings, sorted, with Properties escaping", () => {
    const settings = { "spark.b": "x=y", "spark.a": " leading blank", "spark.c": "a\\b\nc" };
    const text = sparkPropertiesFile(settings);
    expect(text.split("\n")[0]).toMatch(/^spark\.a=/);
    const parsed = parseProperties(text);
    expect(parsed.problems).toEqual([]);
    expect(Object.fromEntries(parsed.entries.map((entry) => [entry.name, entry.value]))).toEqual(settings);
  });
});

describe("Spark versions", () => {
  it.each([
    ["3.5.3", false],
    ["4.0.1", false],
    ["4.1", true],
    ["4.1.0-preview1", true],
    ["4.3.0", true],
    ["5.0.0", true],
  ])("%s reaches the driver by pod IP: %s", (version, expected) => {
    expect(reachesDriverByPodIp(version)).toBe(expected);
  });
});
