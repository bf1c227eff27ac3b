/**
 * spec.sparkConfigMap: its spark-defaults.conf reaches spark.properties below sparkConf and the
 * typed fields, its other files reach the driver's conf directory, and a missing or unreadable
 * ConfigMap stops the run with a message naming the field.
 */
import { NO_POD_ADDITIONS } from "./pod-parts.js";
import { NO_MONITORING } from "./monitoring.js";
import { describe, expect, it } from "vitest";
import { sparkApplicationSpec } from "../../test/support/spark-applications.js";
import type { KubeObject } from "../metacontroller/protocol.js";
import { applicationConfigMap } from "./app-configmap.js";
import { CONF_VOLUME, driverPod } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import type { ApplicationRun } from "./names.js";
import type { SparkApplicationSpecInput } from "./schema.js";
import { confDirFileNames, sparkConfigMapFiles, type SparkConfigMapFiles } from "./spark-config-map.js";
import { driverSparkConf, sparkPropertiesFile } from "./spark-properties.js";

const RUN: ApplicationRun = { name: "etl", namespace: "jobs", uid: "u-1", attempt: 1 };

const INPUT: SparkApplicationSpecInput = {
  type: "Scala",
  sparkVersion: "3.5.3",
  mainClass: "com.example.Etl",
  mainApplicationFile: "local:///opt/app/etl.jar",
  sparkConfigMap: "etl-conf",
  sparkConf: { "spark.sql.shuffle.partitions": "64" },
  driver: {},
  executor: {},
};
const SPEC = sparkApplicationSpec(INPUT);

function configMap(
  name: string,
  data: Record<string, string>,
  binaryData?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "jobs" },
    data,
    ...(binaryData === undefined ? {} : { binaryData }),
  };
}

const DEFAULTS = [
  "# team defaults",
  "spark.sql.shuffle.partitions   8",
  "spark.eventLog.enabled true ",
  "spark.eventLog.dir=s3a://logs/ \\",
  "    spark-events",
  "spark.driver.host somewhere",
  "spark.executor.memory 8g",
  "spark.sql.adaptive.enabled false",
  "spark.sql.adaptive.enabled true",
  "",
].join("\n");

const USER = configMap(
  "etl-conf",
  {
    "spark-defaults.conf": DEFAULTS,
    "log4j2.properties": "rootLogger.level = warn\n",
    "spark.properties": "x=1",
  },
  { "truststore.jks": "AAEC" },
);

function accepted(result: ReturnType<typeof sparkConfigMapFiles>): SparkConfigMapFiles {
  if (!result.ok) throw new Error(result.problem);
  return result;
}

describe("the files of spec.sparkConfigMap", () => {
  const files = accepted(sparkConfigMapFiles(SPEC, [configMap("other", {}), USER]));

  it("reads spark-defaults.conf as Spark does: values trimmed, continuation lines joined, the last key wins", () => {
    expect(files.defaults).toEqual({
      "spark.sql.shuffle.partitions": "8",
      "spark.eventLog.enabled": "true",
      "spark.eventLog.dir": "s3a://logs/ spark-events",
      "spark.driver.host": "somewhere",
      "spark.executor.memory": "8g",
      "spark.sql.adaptive.enabled": "true",
    });
  });

  it("keeps the other files for the conf directory, leaving out the names the hook writes itself", () => {
    expect(files.files).toEqual({ "log4j2.properties": "rootLogger.level = warn\n" });
    expect(files.binaryFiles).toEqual({ "truststore.jks": "AAEC" });
    expect(confDirFileNames(files)).toEqual(["log4j2.properties", "truststore.jks"]);
  });

  it("are nothing when the spec names no ConfigMap", () => {
    const { sparkConfigMap: _unused, ...withoutMap } = INPUT;
    expect(sparkConfigMapFiles(sparkApplicationSpec(withoutMap), [USER])).toEqual({
      ok: true,
      defaults: {},
      files: {},
      binaryFiles: {},
    });
  });
});

describe("spark.properties with spec.sparkConfigMap", () => {
  const files = accepted(sparkConfigMapFiles(SPEC, [USER]));
  const size = driverSize(SPEC);
  if (!size.ok) throw new Error(size.errors.join("; "));
  const conf = driverSparkConf(RUN, SPEC, size.size, NO_MONITORING, files.defaults);

  it.each([
    ["a setting only spark-defaults.conf has", "spark.eventLog.dir", "s3a://logs/ spark-events"],
    ["sparkConf over spark-defaults.conf", "spark.sql.shuffle.partitions", "64"],
    ["the typed fields (with kubeflow's 1g default) over spark-defaults.conf", "spark.executor.memory", "1g"],
    [
      "the hook's own driver address over spark-defaults.conf",
      "spark.driver.host",
      "etl-driver-svc.jobs.svc",
    ],
  ])("%s", (_case, key, value) => {
    expect(conf[key]).toBe(value);
  });

  it("is the same without the ConfigMap's settings, except for them", () => {
    const plain = driverSparkConf(RUN, SPEC, size.size, NO_MONITORING);
    const added = Object.keys(conf).filter((key) => !(key in plain));
    expect(added.sort()).toEqual([
      "spark.eventLog.dir",
      "spark.eventLog.enabled",
      "spark.sql.adaptive.enabled",
    ]);
  });
});

describe("the driver pod with spec.sparkConfigMap", () => {
  const files = accepted(sparkConfigMapFiles(SPEC, [USER]));
  const size = driverSize(SPEC);
  if (!size.ok) throw new Error(size.errors.join("; "));
  const names = confDirFileNames(files);
  const pod = driverPod(RUN, SPEC, size.size, NO_POD_ADDITIONS, names);
  const confVolume = pod.spec?.volumes?.find((volume) => volume.name === CONF_VOLUME);

  it("mounts the ConfigMap's other files beside spark.properties in SPARK_CONF_DIR", () => {
    expect(confVolume?.configMap?.items).toEqual([
      { key: "spark.properties", path: "spark.properties" },
      { key: "log4j2.properties", path: "log4j2.properties" },
      { key: "truststore.jks", path: "truststore.jks" },
    ]);
  });

  it("mounts only keys the run's ConfigMap holds", () => {
    const result = applicationConfigMap(
      RUN,
      {
        ...files.files,
        "spark.properties": sparkPropertiesFile(
          driverSparkConf(RUN, SPEC, size.size, NO_MONITORING, files.defaults),
        ),
        "pod-spec-template.yml": "kind: Pod\n",
      },
      files.binaryFiles,
    );
    if (!result.ok) throw new Error(result.problem);
    const keys = [...Object.keys(result.configMap.data), ...Object.keys(result.configMap.binaryData ?? {})];
    for (const item of confVolume?.configMap?.items ?? []) expect(keys).toContain(item.key);
  });

  it("mounts spark.properties alone without it", () => {
    const plain = driverPod(RUN, SPEC, size.size, NO_POD_ADDITIONS);
    expect(plain.spec?.volumes?.find((volume) => volume.name === CONF_VOLUME)?.configMap?.items).toEqual([
      { key: "spark.properties", path: "spark.properties" },
    ]);
  });
});

describe("problems with spec.sparkConfigMap", () => {
  it("a ConfigMap Metacontroller did not find is named in the problem", () => {
    const result = sparkConfigMapFiles(SPEC, [configMap("etl-config", {})]);
    expect(result).toEqual({
      ok: false,
      problem: "spec.sparkConfigMap: ConfigMap etl-conf does not exist in the application's namespace",
    });
  });

  it("a spark-defaults.conf Spark could not load is a problem with its line", () => {
    const result = sparkConfigMapFiles(SPEC, [
      configMap("etl-conf", { "spark-defaults.conf": "spark.a 1\nspark.b=\\u00zz\n" }),
    ]);
    expect(result).toEqual({
      ok: false,
      problem:
        "spec.sparkConfigMap: ConfigMap etl-conf, spark-defaults.conf line 2: malformed \\uxxxx escape",
    });
  });

  it("a ConfigMap without spark-defaults.conf only adds files", () => {
    const files = accepted(sparkConfigMapFiles(SPEC, [configMap("etl-conf", { "log4j2.properties": "x" })]));
    expect(files.defaults).toEqual({});
    expect(files.files).toEqual({ "log4j2.properties": "x" });
  });
});
