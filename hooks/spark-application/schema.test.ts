/**
 * The SparkApplication spec accepts kubeflow v1beta2 manifests as they are, applies kubeflow's
 * defaults (api/v1beta2/defaults.go), names the field of every mistake, and converts to a
 * structural CRD schema the API server accepts.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyDefaults, schemaAt, structuralProblems } from "../../test/crd/structural-rules.js";
import { openApiSchemaFor, type CrdDefinition } from "../crd/crd.js";
import { crdValidator, formatSchemaError } from "../crd/validate.js";
import { z } from "zod";
import {
  API_VERSION,
  GROUP,
  KIND,
  parseSparkApplicationSpec,
  PLURAL,
  SparkApplicationSpec,
  VERSION,
  type SparkApplicationSpec as Spec,
} from "./schema.js";

/** kubeflow's examples/spark-pi.yaml pattern with restartPolicy OnFailure, only apiVersion changed. */
const SCALA_PI_ON_FAILURE = `
apiVersion: sparkhooks.dev/v1alpha1
kind: SparkApplication
metadata:
  name: spark-pi-retry
  namespace: spark-jobs
spec:
  type: Scala
  mode: cluster
  sparkVersion: "3.5.3"
  image: docker.io/apache/spark:3.5.3
  imagePullPolicy: IfNotPresent
  mainClass: org.apache.spark.examples.SparkPi
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  arguments: ["1000"]
  sparkConf:
    spark.eventLog.enabled: "false"
    spark.sql.shuffle.partitions: 64
  restartPolicy:
    type: OnFailure
    onFailureRetries: 3
    onSubmissionFailureRetries: 5
  timeToLiveSeconds: 86400
  sparkUIOptions:
    servicePort: 4040
    servicePortName: http-spark-ui
    serviceType: ClusterIP
  driver:
    coreRequest: 500m
    coreLimit: 1200m
    memoryOverhead: 512m
    javaOptions: -XX:+UseG1GC
    serviceAccount: spark
    labels:
      version: 3.5.3
    annotations:
      cluster-autoscaler.kubernetes.io/safe-to-evict: "false"
    podSecurityContext:
      fsGroup: 185
      sysctls:
        - name: net.ipv4.tcp_keepalive_time
          value: "600"
      appArmorProfile:
        type: RuntimeDefault
    securityContext:
      runAsUser: 185
      procMount: Default
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
  executor:
    cores: 2
    memory: 2g
    deleteOnTermination: true
`;

/** kubeflow's PySpark pattern: dependencies, volumes and mounts, secrets, env, scheduling. */
const PYSPARK_WITH_DEPS = `
apiVersion: sparkhooks.dev/v1alpha1
kind: SparkApplication
metadata:
  name: pyspark-etl
spec:
  type: Python
  pythonVersion: "3"
  sparkVersion: 4.0.1
  image: apache/spark:4.0.1-python3
  mainApplicationFile: local:///opt/app/etl.py
  arguments: [--date, "2026-11-30"]
  deps:
    pyFiles: [local:///opt/app/lib.zip]
    files: [s3a://bucket/lookup.csv]
    packages: [org.apache.hadoop:hadoop-aws:3.3.4]
    repositories: [https://repo1.maven.org/maven2]
  hadoopConf:
    fs.s3a.fast.upload: true
  memoryOverheadFactor: 0.4
  volumes:
    - name: scratch
      emptyDir: {}
    - name: data
      persistentVolumeClaim:
        claimName: etl-data
  nodeSelector:
    workload: batch
  driver:
    cores: 1
    memory: 1g
    volumeMounts:
      - name: scratch
        mountPath: /scratch
    env:
      - name: RUN_MODE
        value: nightly
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: { name: db, key: password }
      - name: HEAP_LIMIT
        valueFrom:
          resourceFieldRef: { resource: limits.memory, divisor: 1Mi }
    envFrom:
      - configMapRef: { name: etl-settings }
    secrets:
      - name: gcp-key
        path: /mnt/secrets
        secretType: GCPServiceAccount
    configMaps:
      - name: etl-extra
        path: /etc/etl
    tolerations:
      - key: batch
        operator: Exists
        effect: NoSchedule
    hostAliases:
      - ip: 10.0.0.5
        hostnames: [warehouse.internal]
    initContainers:
      - name: fetch
        image: busybox:1.36
        command: [sh, -c, "echo ready"]
  executor:
    instances: 3
    memory: 4g
    gpu:
      name: nvidia.com/gpu
      quantity: 1
    volumeMounts:
      - name: data
        mountPath: /data
    affinity:
      podAntiAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels: { spark-role: executor }
`;

/** kubeflow's dynamic allocation and Prometheus JMX exporter examples in one. */
const DYNAMIC_ALLOCATION_WITH_MONITORING = `
apiVersion: sparkhooks.dev/v1alpha1
kind: SparkApplication
metadata:
  name: spark-pi-dynamic
spec:
  type: Scala
  sparkVersion: 3.5.3
  image: apache/spark:3.5.3
  mainClass: org.apache.spark.examples.SparkPi
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  restartPolicy:
    type: Always
    onFailureRetryInterval: 30
  dynamicAllocation:
    enabled: true
    initialExecutors: 2
    minExecutors: 1
    maxExecutors: 10
  monitoring:
    exposeDriverMetrics: true
    exposeExecutorMetrics: true
    prometheus:
      jmxExporterJar: /prometheus/jmx_prometheus_javaagent-0.20.0.jar
      port: 8090
  driver:
    serviceAccount: spark
  executor: {}
`;

function manifest(text: string): { spec: Record<string, unknown> } {
  return parse(text) as { spec: Record<string, unknown> };
}

function parsed(text: string): Spec {
  const result = parseSparkApplicationSpec(manifest(text).spec);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.spec;
}

/** The errors for the SparkPi spec with `change` applied over it. */
function errorsFor(change: (spec: Record<string, unknown>) => void): readonly string[] {
  const spec = structuredClone(manifest(SCALA_PI_ON_FAILURE).spec);
  change(spec);
  const result = parseSparkApplicationSpec(spec);
  return result.ok ? [] : result.errors;
}

const definition: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  singular: "sparkapplication",
  shortNames: ["sparkapp"],
  categories: ["spark"],
  description: "A Spark batch application.",
  spec: SparkApplicationSpec,
  status: z.object({}).describe("Observed state (not defined yet)."),
  printerColumns: [],
  source: "hooks/spark-application/schema.ts",
};
const openApi = openApiSchemaFor(definition);
const specSchema = schemaAt(openApi, ".spec") ?? {};
const validate = crdValidator(openApi);

describe("SparkApplication spec: kubeflow manifests with kubeflow's defaults", () => {
  it("parses a Scala SparkPi with OnFailure and fills the retry intervals and role sizes", () => {
    const spec = parsed(SCALA_PI_ON_FAILURE);
    expect(spec.type).toBe("Scala");
    expect(spec.mode).toBe("cluster");
    expect(spec.restartPolicy).toEqual({
      type: "OnFailure",
      onFailureRetries: 3,
      onSubmissionFailureRetries: 5,
      onFailureRetryInterval: 5,
      onSubmissionFailureRetryInterval: 5,
      onInfrastructureFailureRetries: 3,
      onInfrastructureFailureRetryInterval: 5,
    });
    expect(spec.driver.cores).toBe(1);
    expect(spec.driver.memory).toBe("1g");
    expect(spec.executor).toMatchObject({ cores: 2, memory: "2g", instances: 1, deleteOnTermination: true });
    expect(spec.sparkConf).toEqual({
      "spark.eventLog.enabled": "false",
      "spark.sql.shuffle.partitions": "64",
    });
    expect(spec.driver.coreRequest?.text).toBe("500m");
    expect(spec.driver.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    // Whole core/v1 security contexts: nothing the user wrote is pruned.
    expect(spec.driver.securityContext?.procMount).toBe("Default");
    expect(spec.driver.podSecurityContext).toEqual({
      fsGroup: 185,
      sysctls: [{ name: "net.ipv4.tcp_keepalive_time", value: "600" }],
      appArmorProfile: { type: "RuntimeDefault" },
    });
    expect(spec.timeToLiveSeconds).toBe(86400);
    expect(spec.sparkUIOptions).toEqual({
      servicePort: 4040,
      servicePortName: "http-spark-ui",
      serviceType: "ClusterIP",
    });
  });

  it("parses a PySpark application with deps, volumes, mounts, env and scheduling, keeping the Kubernetes objects as written", () => {
    const spec = parsed(PYSPARK_WITH_DEPS);
    expect(spec.type).toBe("Python");
    expect(spec.memoryOverheadFactor).toBe("0.4");
    expect(spec.pythonVersion).toBe("3");
    expect(spec.deps?.pyFiles).toEqual(["local:///opt/app/lib.zip"]);
    expect(spec.hadoopConf).toEqual({ "fs.s3a.fast.upload": "true" });
    expect(spec.volumes).toEqual([
      { name: "scratch", emptyDir: {} },
      { name: "data", persistentVolumeClaim: { claimName: "etl-data" } },
    ]);
    expect(spec.driver.volumeMounts).toEqual([{ name: "scratch", mountPath: "/scratch" }]);
    expect(spec.driver.env?.[1]?.valueFrom?.secretKeyRef).toEqual({ name: "db", key: "password" });
    expect(spec.driver.env?.[2]?.valueFrom?.resourceFieldRef).toMatchObject({
      resource: "limits.memory",
      divisor: { text: "1Mi" },
    });
    expect(spec.driver.initContainers?.[0]).toMatchObject({
      name: "fetch",
      command: ["sh", "-c", "echo ready"],
    });
    expect(spec.executor.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: "kubernetes.io/hostname",
              labelSelector: { matchLabels: { "spark-role": "executor" } },
            },
          },
        ],
      },
    });
    expect(spec.executor.gpu).toEqual({ name: "nvidia.com/gpu", quantity: 1 });
    expect(spec.executor).toMatchObject({ instances: 3, cores: 1, memory: "4g" });
    expect(spec.restartPolicy).toEqual({
      type: "Never",
      onInfrastructureFailureRetries: 0,
      onInfrastructureFailureRetryInterval: 5,
    });
    expect(spec.mode).toBe("cluster");
  });

  it("leaves the executor count to dynamic allocation and turns shuffle tracking on", () => {
    const spec = parsed(DYNAMIC_ALLOCATION_WITH_MONITORING);
    expect(spec.executor.instances).toBeUndefined();
    expect(spec.executor).toMatchObject({ cores: 1, memory: "1g" });
    expect(spec.dynamicAllocation).toEqual({
      enabled: true,
      initialExecutors: 2,
      minExecutors: 1,
      maxExecutors: 10,
      shuffleTrackingEnabled: true,
    });
    expect(spec.restartPolicy).toEqual({
      type: "Always",
      onFailureRetryInterval: 30,
      onSubmissionFailureRetryInterval: 5,
      onInfrastructureFailureRetries: 3,
      onInfrastructureFailureRetryInterval: 5,
    });
    expect(spec.monitoring?.prometheus).toEqual({
      jmxExporterJar: "/prometheus/jmx_prometheus_javaagent-0.20.0.jar",
      port: 8090,
    });
  });

  it("keeps shuffle tracking as the user set it and adds nothing when dynamic allocation is off", () => {
    const off = parsed(DYNAMIC_ALLOCATION_WITH_MONITORING.replace("enabled: true", "enabled: false"));
    expect(off.dynamicAllocation?.shuffleTrackingEnabled).toBeUndefined();
    expect(off.executor.instances).toBe(1);
    const spec = manifest(DYNAMIC_ALLOCATION_WITH_MONITORING).spec;
    const result = parseSparkApplicationSpec({
      ...spec,
      dynamicAllocation: { enabled: true, shuffleTrackingEnabled: false },
    });
    expect(result.ok && result.spec.dynamicAllocation?.shuffleTrackingEnabled).toBe(false);
  });

  it("leaves the executor count to Spark when sparkConf turns dynamic allocation on", () => {
    const spec = manifest(SCALA_PI_ON_FAILURE).spec;
    const result = parseSparkApplicationSpec({
      ...spec,
      sparkConf: { "spark.dynamicAllocation.enabled": "TRUE" },
    });
    expect(result.ok && result.spec.executor.instances).toBeUndefined();
    expect(result.ok && result.spec.dynamicAllocation).toBeUndefined();
  });

  it("does not default a size or count that sparkConf sets, so the user's property stays in force", () => {
    const spec = manifest(SCALA_PI_ON_FAILURE).spec;
    const result = parseSparkApplicationSpec({
      ...spec,
      sparkConf: {
        "spark.driver.cores": "2",
        "spark.driver.memory": "3g",
        "spark.executor.memory": "6g",
        "spark.executor.instances": "4",
      },
      executor: { cores: 2 },
    });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    expect(result.spec.driver.cores).toBeUndefined();
    expect(result.spec.driver.memory).toBeUndefined();
    expect(result.spec.executor.memory).toBeUndefined();
    expect(result.spec.executor.instances).toBeUndefined();
    expect(result.spec.executor.cores).toBe(2);
  });

  it("defaults type to Scala, mode to cluster and restartPolicy to Never: no reruns, not even after infrastructure failures", () => {
    const spec = parsed(`
spec:
  sparkVersion: 3.5.3
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  driver: {}
  executor: {}
`);
    expect(spec).toEqual({
      type: "Scala",
      mode: "cluster",
      sparkVersion: "3.5.3",
      mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
      restartPolicy: {
        type: "Never",
        onInfrastructureFailureRetries: 0,
        onInfrastructureFailureRetryInterval: 5,
      },
      driver: { cores: 1, memory: "1g" },
      executor: { cores: 1, memory: "1g", instances: 1 },
    });
  });
});

describe("SparkApplication spec: mistakes name the field", () => {
  it.each<[string, (spec: Record<string, unknown>) => void, string]>([
    ["an unknown type", (s) => (s["type"] = "Go"), "spec.type:"],
    ["an unknown mode", (s) => (s["mode"] = "local"), "spec.mode:"],
    [
      "a driver pod name that is no DNS name",
      (s) => (s["driver"] = { podName: "Driver_1" }),
      "spec.driver.podName:",
    ],
    [
      "an unknown restart policy",
      (s) => (s["restartPolicy"] = { type: "Sometimes" }),
      "spec.restartPolicy.type:",
    ],
    [
      "a negative retry count",
      (s) => (s["restartPolicy"] = { type: "OnFailure", onFailureRetries: -1 }),
      "spec.restartPolicy.onFailureRetries:",
    ],
    [
      "a zero retry interval",
      (s) => (s["restartPolicy"] = { type: "OnFailure", onFailureRetryInterval: 0 }),
      "spec.restartPolicy.onFailureRetryInterval:",
    ],
    ["zero executors", (s) => (s["executor"] = { instances: 0 }), "spec.executor.instances:"],
    ["negative cores", (s) => (s["driver"] = { cores: -2 }), "spec.driver.cores:"],
    [
      "a fractional Kubernetes quantity as JVM memory",
      (s) => (s["executor"] = { memory: "1.5Gi" }),
      "spec.executor.memory:",
    ],
    [
      "a fractional memory overhead",
      (s) => (s["driver"] = { memoryOverhead: "0.5g" }),
      "spec.driver.memoryOverhead:",
    ],
    [
      "a core limit that is no quantity",
      (s) => (s["driver"] = { coreLimit: "lots" }),
      "spec.driver.coreLimit:",
    ],
    ["arguments that are no list", (s) => (s["arguments"] = "1000"), "spec.arguments:"],
    ["a missing application file", (s) => delete s["mainApplicationFile"], "spec.mainApplicationFile:"],
    ["a missing driver", (s) => delete s["driver"], "spec.driver:"],
    ["a malformed Spark version", (s) => (s["sparkVersion"] = "latest"), "spec.sparkVersion:"],
    ["an unknown python version", (s) => (s["pythonVersion"] = "4"), "spec.pythonVersion:"],
    [
      "an unknown secret type",
      (s) => (s["driver"] = { secrets: [{ name: "k", path: "/k", secretType: "Key" }] }),
      "spec.driver.secrets[0].secretType:",
    ],
    [
      "a UI port out of range",
      (s) => (s["sparkUIOptions"] = { servicePort: 70000 }),
      "spec.sparkUIOptions.servicePort:",
    ],
    [
      "a JMX exporter port below 1024",
      (s) =>
        (s["monitoring"] = {
          exposeDriverMetrics: true,
          exposeExecutorMetrics: true,
          prometheus: { jmxExporterJar: "/j.jar", port: 80 },
        }),
      "spec.monitoring.prometheus.port:",
    ],
    [
      "negative max executors",
      (s) => (s["dynamicAllocation"] = { enabled: true, maxExecutors: -1 }),
      "spec.dynamicAllocation.maxExecutors:",
    ],
    ["a negative time to live", (s) => (s["timeToLiveSeconds"] = -5), "spec.timeToLiveSeconds:"],
    [
      "a non-decimal overhead factor",
      (s) => (s["memoryOverheadFactor"] = "ten percent"),
      "spec.memoryOverheadFactor:",
    ],
    [
      "an invalid label value",
      (s) => (s["executor"] = { labels: { version: "not a label!" } }),
      "spec.executor.labels.version:",
    ],
    ["a volume that is no object", (s) => (s["volumes"] = ["scratch"]), "spec.volumes[0]:"],
    ["suspend as a string", (s) => (s["suspend"] = "yes"), "spec.suspend:"],
  ])("rejects %s", (_name, change, field) => {
    const errors = errorsFor(change);
    expect(errors.length).toBeGreaterThan(0);
    expect(
      errors.some((e) => e.startsWith(field)),
      errors.join("\n"),
    ).toBe(true);
  });

  it("accepts the SparkPi manifest itself, so each rejection above is the change's doing", () => {
    expect(errorsFor(() => undefined)).toEqual([]);
  });
});

describe("SparkApplication spec as a CRD schema", () => {
  it("converts to a structural schema the API server accepts", () => {
    expect(structuralProblems(openApi)).toEqual([]);
  });

  it("describes every field and keeps no additionalProperties: false from strict objects", () => {
    const problems: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== "object" || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema["additionalProperties"] === false) problems.push(`${path}: additionalProperties false`);
      const properties = (schema["properties"] ?? {}) as Record<string, Record<string, unknown>>;
      for (const [name, child] of Object.entries(properties)) {
        if (typeof child["description"] !== "string" || child["description"] === "")
          problems.push(`${path}.${name}: no description`);
        walk(child, `${path}.${name}`);
      }
      walk(schema["items"], `${path}[]`);
      walk(schema["additionalProperties"], `${path}.*`);
    };
    walk(specSchema, "spec");
    expect(problems).toEqual([]);
  });

  it("declares every v1beta2 field kubeflow documents", () => {
    const fields = (path: string) => Object.keys(schemaAt(openApi, path)?.["properties"] ?? {});
    expect(fields(".spec")).toEqual(
      expect.arrayContaining([
        "type",
        "sparkVersion",
        "mode",
        "proxyUser",
        "image",
        "imagePullPolicy",
        "imagePullSecrets",
        "mainClass",
        "mainApplicationFile",
        "arguments",
        "sparkConf",
        "hadoopConf",
        "sparkConfigMap",
        "hadoopConfigMap",
        "volumes",
        "driver",
        "executor",
        "deps",
        "restartPolicy",
        "nodeSelector",
        "failureRetries",
        "retryInterval",
        "pythonVersion",
        "memoryOverheadFactor",
        "monitoring",
        "batchScheduler",
        "batchSchedulerOptions",
        "timeToLiveSeconds",
        "sparkUIOptions",
        "driverIngressOptions",
        "dynamicAllocation",
        "driverPodDisruptionBudget",
        "suspend",
      ]),
    );
    const podFields = [
      "template",
      "cores",
      "coreLimit",
      "coreRequest",
      "memory",
      "memoryLimit",
      "memoryOverhead",
      "gpu",
      "image",
      "configMaps",
      "secrets",
      "env",
      "envVars",
      "envFrom",
      "envSecretKeyRefs",
      "labels",
      "annotations",
      "volumeMounts",
      "affinity",
      "tolerations",
      "podSecurityContext",
      "securityContext",
      "schedulerName",
      "sidecars",
      "initContainers",
      "hostNetwork",
      "nodeSelector",
      "dnsConfig",
      "terminationGracePeriodSeconds",
      "serviceAccount",
      "hostAliases",
      "shareProcessNamespace",
      "javaOptions",
      "lifecycle",
      "ports",
      "priorityClassName",
    ];
    expect(fields(".spec.driver")).toEqual(
      expect.arrayContaining([
        ...podFields,
        "podName",
        "kubernetesMaster",
        "serviceAnnotations",
        "serviceLabels",
      ]),
    );
    expect(fields(".spec.executor")).toEqual(
      expect.arrayContaining([...podFields, "instances", "deleteOnTermination"]),
    );
    expect(fields(".spec.restartPolicy")).toEqual([
      "type",
      "onSubmissionFailureRetries",
      "onFailureRetries",
      "onSubmissionFailureRetryInterval",
      "onFailureRetryInterval",
      "onInfrastructureFailureRetries",
      "onInfrastructureFailureRetryInterval",
    ]);
    expect(fields(".spec.monitoring.prometheus")).toEqual([
      "jmxExporterJar",
      "port",
      "portName",
      "configFile",
      "configuration",
    ]);
  });

  it("requires what kubeflow's CRD requires, except type, which kubeflow defaults", () => {
    expect(specSchema["required"]).toEqual(["sparkVersion", "mainApplicationFile", "driver", "executor"]);
  });

  it("lets the API server apply only the unconditional defaults, and the hook's parse agrees with them", () => {
    expect(schemaAt(openApi, ".spec.type")?.["default"]).toBe("Scala");
    expect(schemaAt(openApi, ".spec.mode")?.["default"]).toBe("cluster");
    expect(schemaAt(openApi, ".spec.restartPolicy")?.["default"]).toEqual({});
    expect(schemaAt(openApi, ".spec.restartPolicy.type")?.["default"]).toBe("Never");
    // Conditional on sparkConf and dynamicAllocation, so only the hook may fill these.
    expect(schemaAt(openApi, ".spec.executor.instances")?.["default"]).toBeUndefined();
    expect(schemaAt(openApi, ".spec.driver.cores")?.["default"]).toBeUndefined();
    for (const text of [SCALA_PI_ON_FAILURE, PYSPARK_WITH_DEPS, DYNAMIC_ALLOCATION_WITH_MONITORING]) {
      const raw = manifest(text).spec;
      expect(SparkApplicationSpec.parse(applyDefaults(raw, specSchema))).toEqual(
        SparkApplicationSpec.parse(raw),
      );
    }
  });

  it("admits the kubeflow manifests and rejects a bad enum at the API server too", () => {
    for (const text of [SCALA_PI_ON_FAILURE, PYSPARK_WITH_DEPS, DYNAMIC_ALLOCATION_WITH_MONITORING]) {
      expect(validate(manifest(text)).map(formatSchemaError)).toEqual([]);
    }
    const bad = manifest(SCALA_PI_ON_FAILURE);
    bad.spec["mode"] = "local";
    expect(validate(bad).map(formatSchemaError).join("\n")).toContain("spec.mode");
  });

  it("is served under the sparkhooks API group", () => {
    expect(API_VERSION).toBe("sparkhooks.dev/v1alpha1");
  });
});
