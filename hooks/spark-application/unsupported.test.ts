/**
 * No v1beta2 field is silently ignored: every field of the schema either changes what the hook
 * renders, belongs to the lifecycle or the executor pod template, or is reported with a reason.
 */
import { monitoring } from "./monitoring.js";
import { describe, expect, it } from "vitest";
import { sparkApplicationSpec } from "../../test/support/spark-applications.js";
import { driverPod } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import { linkedEventLog } from "./history-server-link.js";
import type { ApplicationRun } from "./names.js";
import { SparkApplicationSpec, type SparkApplicationSpecInput } from "./schema.js";
import { applicationServices } from "./services.js";
import { sparkConfigMapFiles } from "./spark-config-map.js";
import { driverSparkConf } from "./spark-properties.js";
import { specProblems, unsupportedFields } from "./unsupported.js";

const RUN: ApplicationRun = { name: "etl", namespace: "jobs", uid: "u-1", attempt: 1 };

const BASE: SparkApplicationSpecInput = {
  type: "Scala",
  sparkVersion: "3.5.3",
  mainClass: "com.example.Etl",
  mainApplicationFile: "local:///opt/app/etl.jar",
  driver: {},
  executor: {},
};

type Patch = Omit<Partial<SparkApplicationSpecInput>, "driver" | "executor"> & {
  driver?: Partial<SparkApplicationSpecInput["driver"]>;
  executor?: Partial<SparkApplicationSpecInput["executor"]>;
};

function spec(patch: Patch): SparkApplicationSpec {
  return sparkApplicationSpec({
    ...BASE,
    ...patch,
    driver: { ...BASE.driver, ...patch.driver },
    executor: { ...BASE.executor, ...patch.executor },
  });
}

/** Everything the hook renders for one run of `patch`, as one comparable string. */
function rendered(patch: Patch): string {
  const parsed = spec(patch);
  const size = driverSize(parsed);
  if (!size.ok) throw new Error(size.errors.join("; "));
  return JSON.stringify({
    pod: driverPod(RUN, parsed, size.size, monitoring(RUN, parsed).driver),
    conf: driverSparkConf(RUN, parsed, size.size, monitoring(RUN, parsed)),
    services: applicationServices(RUN, parsed),
  });
}

describe("unsupported fields", () => {
  it.each<[string, Patch]>([
    ["spec.executor.memoryLimit", { executor: { memoryLimit: "4Gi" } }],
    [
      "spec.executor.ports",
      { executor: { ports: [{ name: "extra", protocol: "TCP", containerPort: 9999 }] } },
    ],
    ["spec.pythonVersion", { pythonVersion: "3" }],
    ["spec.batchSchedulerOptions", { batchScheduler: "volcano", batchSchedulerOptions: { queue: "etl" } }],
    ["spec.sparkUIOptions.ingressAnnotations", { sparkUIOptions: { ingressAnnotations: { a: "b" } } }],
    ["spec.sparkUIOptions.ingressTLS", { sparkUIOptions: { ingressTLS: [{ hosts: ["ui.example.com"] }] } }],
    [
      "spec.driverIngressOptions",
      { driverIngressOptions: [{ servicePort: 15002, servicePortName: "connect", ingressURLFormat: "x" }] },
    ],
    ["spec.driverPodDisruptionBudget", { driverPodDisruptionBudget: true }],
  ])("%s is reported, with a reason, and changes nothing the hook renders", (field, patch) => {
    const listed = unsupportedFields(spec(patch));
    expect(listed.map((entry) => entry.field)).toEqual([field]);
    expect(listed[0]?.reason.length).toBeGreaterThan(20);
    expect(rendered(patch)).toBe(
      rendered(field === "spec.batchSchedulerOptions" ? { batchScheduler: "volcano" } : {}),
    );
  });

  it("kubeflow's SparkPi reports none", () => {
    expect(unsupportedFields(spec({}))).toEqual([]);
  });

  it.each<[string, Patch]>([
    ["an empty list", { driverIngressOptions: [] }],
    ["an empty map", { sparkUIOptions: { ingressAnnotations: {} } }],
    ["false", { driverPodDisruptionBudget: false }],
    ["the UI Service options", { sparkUIOptions: { servicePort: 80, serviceType: "NodePort" } }],
  ])("%s is not reported", (_case, patch) => {
    expect(unsupportedFields(spec(patch))).toEqual([]);
  });

  it("lists several in the order of the schema", () => {
    const listed = unsupportedFields(
      spec({ driverPodDisruptionBudget: true, pythonVersion: "3", executor: { memoryLimit: "4Gi" } }),
    );
    expect(listed.map((entry) => entry.field)).toEqual([
      "spec.executor.memoryLimit",
      "spec.pythonVersion",
      "spec.driverPodDisruptionBudget",
    ]);
  });
});

describe("invalid values", () => {
  it.each<[Patch, string[]]>([
    [{}, []],
    [{ mode: "cluster" }, []],
    [{ mode: "client" }, ["spec.mode"]],
    [{ pythonVersion: "3" }, []],
    [{ pythonVersion: "2" }, ["spec.pythonVersion"]],
    [{ mode: "client", pythonVersion: "2" }, ["spec.mode", "spec.pythonVersion"]],
  ])("%j → problems with %j", (patch, fields) => {
    expect(specProblems(spec(patch)).map((problem) => problem.split(":")[0])).toEqual(fields);
  });
});

/**
 * Where each field takes effect. "rendered": setting it changes the driver pod, spark.properties
 * or the Services (checked below with the sample); "unsupported"/"invalid": reported above;
 * "lifecycle": the controller's run and rerun decisions; "executor template": the executor pod
 * template and monitoring modules; "sparkConfigMap"/"historyServer": through the related object
 * they name (checked at the end). A new schema field fails this test until it is placed here.
 */
type Where =
  "rendered" | "unsupported" | "lifecycle" | "executor template" | "sparkConfigMap" | "historyServer";
type Sample = readonly [Where, Patch?, Patch?];

const TOP_LEVEL: Record<string, Sample> = {
  type: [
    "rendered",
    { type: "Python", mainClass: undefined, mainApplicationFile: "local:///a.py" },
    { mainClass: undefined, mainApplicationFile: "local:///a.py" },
  ],
  sparkVersion: ["rendered", { sparkVersion: "4.0.1" }],
  mode: ["unsupported"],
  proxyUser: ["rendered", { proxyUser: "alice" }],
  image: ["rendered", { image: "registry.example.com/spark:3.5.3" }],
  imagePullPolicy: ["rendered", { imagePullPolicy: "Always" }],
  imagePullSecrets: ["rendered", { imagePullSecrets: ["regcred"] }],
  mainClass: ["rendered", { mainClass: "com.example.Other" }],
  mainApplicationFile: ["rendered", { mainApplicationFile: "local:///opt/app/other.jar" }],
  arguments: ["rendered", { arguments: ["2024-01-01"] }],
  sparkConf: ["rendered", { sparkConf: { "spark.sql.shuffle.partitions": "8" } }],
  hadoopConf: ["rendered", { hadoopConf: { "fs.s3a.endpoint": "minio:9000" } }],
  sparkConfigMap: ["sparkConfigMap"],
  hadoopConfigMap: ["rendered", { hadoopConfigMap: "hadoop-conf" }],
  volumes: [
    "rendered",
    {
      volumes: [{ name: "data", emptyDir: {} }],
      driver: { volumeMounts: [{ name: "data", mountPath: "/data" }] },
    },
    { driver: { volumeMounts: [{ name: "data", mountPath: "/data" }] } },
  ],
  driver: ["rendered", { driver: { cores: 2 } }],
  executor: ["rendered", { executor: { cores: 2 } }],
  deps: ["rendered", { deps: { jars: ["local:///opt/app/lib.jar"] } }],
  restartPolicy: ["lifecycle"],
  nodeSelector: ["rendered", { nodeSelector: { disk: "ssd" } }],
  failureRetries: ["lifecycle"],
  retryInterval: ["lifecycle"],
  pythonVersion: ["unsupported"],
  memoryOverheadFactor: ["rendered", { memoryOverheadFactor: "0.3" }],
  monitoring: ["executor template"],
  batchScheduler: ["rendered", { batchScheduler: "volcano" }],
  batchSchedulerOptions: ["unsupported"],
  timeToLiveSeconds: ["lifecycle"],
  sparkUIOptions: ["rendered", { sparkUIOptions: { servicePort: 80 } }],
  driverIngressOptions: ["unsupported"],
  dynamicAllocation: ["rendered", { dynamicAllocation: { enabled: true, maxExecutors: 4 } }],
  driverPodDisruptionBudget: ["unsupported"],
  suspend: ["lifecycle"],
  historyServer: ["historyServer"],
};

const DRIVER: Record<string, Sample> = {
  template: ["executor template"],
  cores: ["rendered", { driver: { cores: 2 } }],
  coreLimit: ["rendered", { driver: { coreLimit: "2" } }],
  memory: ["rendered", { driver: { memory: "2g" } }],
  memoryLimit: ["rendered", { driver: { memoryLimit: "4Gi" } }],
  memoryOverhead: ["rendered", { driver: { memoryOverhead: "1g" } }],
  gpu: ["rendered", { driver: { gpu: { name: "nvidia.com/gpu", quantity: 1 } } }],
  image: ["rendered", { driver: { image: "registry.example.com/driver:1" } }],
  configMaps: ["rendered", { driver: { configMaps: [{ name: "lookup", path: "/etc/lookup" }] } }],
  secrets: [
    "rendered",
    { driver: { secrets: [{ name: "creds", path: "/etc/creds", secretType: "Generic" }] } },
  ],
  env: ["rendered", { driver: { env: [{ name: "MODE", value: "full" }] } }],
  envVars: ["rendered", { driver: { envVars: { MODE: "full" } } }],
  envFrom: ["rendered", { driver: { envFrom: [{ configMapRef: { name: "env" } }] } }],
  envSecretKeyRefs: [
    "rendered",
    { driver: { envSecretKeyRefs: { TOKEN: { name: "creds", key: "token" } } } },
  ],
  labels: ["rendered", { driver: { labels: { team: "data" } } }],
  annotations: ["rendered", { driver: { annotations: { note: "x" } } }],
  volumeMounts: [
    "rendered",
    {
      volumes: [{ name: "data", emptyDir: {} }],
      driver: { volumeMounts: [{ name: "data", mountPath: "/data" }] },
    },
    { volumes: [{ name: "data", emptyDir: {} }] },
  ],
  affinity: ["rendered", { driver: { affinity: { nodeAffinity: {} } } }],
  tolerations: ["rendered", { driver: { tolerations: [{ key: "spot", operator: "Exists" }] } }],
  podSecurityContext: ["rendered", { driver: { podSecurityContext: { fsGroup: 2000 } } }],
  securityContext: ["rendered", { driver: { securityContext: { runAsUser: 1000 } } }],
  schedulerName: ["rendered", { driver: { schedulerName: "custom" } }],
  sidecars: ["rendered", { driver: { sidecars: [{ name: "proxy", image: "envoy" }] } }],
  initContainers: ["rendered", { driver: { initContainers: [{ name: "fetch", image: "busybox" }] } }],
  hostNetwork: ["rendered", { driver: { hostNetwork: true } }],
  nodeSelector: ["rendered", { driver: { nodeSelector: { disk: "ssd" } } }],
  dnsConfig: ["rendered", { driver: { dnsConfig: { nameservers: ["10.0.0.10"] } } }],
  terminationGracePeriodSeconds: ["rendered", { driver: { terminationGracePeriodSeconds: 5 } }],
  serviceAccount: ["rendered", { driver: { serviceAccount: "spark" } }],
  hostAliases: ["rendered", { driver: { hostAliases: [{ ip: "10.0.0.1", hostnames: ["db"] }] } }],
  shareProcessNamespace: ["rendered", { driver: { shareProcessNamespace: true } }],
  coreRequest: ["rendered", { driver: { coreRequest: "500m" } }],
  javaOptions: ["rendered", { driver: { javaOptions: "-Dlog.level=debug" } }],
  lifecycle: ["rendered", { driver: { lifecycle: { preStop: { exec: { command: ["true"] } } } } }],
  ports: ["rendered", { driver: { ports: [{ name: "extra", protocol: "TCP", containerPort: 9999 }] } }],
  priorityClassName: ["rendered", { driver: { priorityClassName: "high" } }],
  podName: ["rendered", { driver: { podName: "etl-main" } }],
  startTimeoutSeconds: ["lifecycle"],
  kubernetesMaster: ["rendered", { driver: { kubernetesMaster: "k8s://https://api.example.com" } }],
  serviceAnnotations: ["rendered", { driver: { serviceAnnotations: { "prometheus.io/scrape": "true" } } }],
  serviceLabels: ["rendered", { driver: { serviceLabels: { team: "data" } } }],
};

/** Executor fields Spark reads from spark.properties are checked here; the rest shape the executor template. */
const EXECUTOR: Record<string, Sample> = {
  cores: ["rendered", { executor: { cores: 2 } }],
  coreLimit: ["rendered", { executor: { coreLimit: "2" } }],
  coreRequest: ["rendered", { executor: { coreRequest: "500m" } }],
  memory: ["rendered", { executor: { memory: "2g" } }],
  memoryOverhead: ["rendered", { executor: { memoryOverhead: "1g" } }],
  image: ["rendered", { executor: { image: "registry.example.com/executor:1" } }],
  serviceAccount: ["rendered", { executor: { serviceAccount: "spark-exec" } }],
  javaOptions: ["rendered", { executor: { javaOptions: "-Dx=y" } }],
  instances: ["rendered", { executor: { instances: 5 } }],
  deleteOnTermination: ["rendered", { executor: { deleteOnTermination: false } }],
  memoryLimit: ["unsupported"],
  ports: ["unsupported"],
  ...Object.fromEntries(
    [
      "template",
      "gpu",
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
      "hostAliases",
      "shareProcessNamespace",
      "lifecycle",
      "priorityClassName",
    ].map((field): [string, Sample] => [field, ["executor template"]]),
  ),
};

const SPARK_UI_OPTIONS: Record<string, Sample> = {
  servicePort: ["rendered", { sparkUIOptions: { servicePort: 80 } }],
  servicePortName: ["rendered", { sparkUIOptions: { servicePortName: "http" } }],
  serviceType: ["rendered", { sparkUIOptions: { serviceType: "NodePort" } }],
  serviceAnnotations: ["rendered", { sparkUIOptions: { serviceAnnotations: { a: "b" } } }],
  serviceLabels: ["rendered", { sparkUIOptions: { serviceLabels: { a: "b" } } }],
  ingressAnnotations: ["unsupported"],
  ingressTLS: ["unsupported"],
};

const DEPS: Record<string, Sample> = Object.fromEntries(
  ["jars", "files", "pyFiles", "packages", "excludePackages", "repositories", "archives"].map(
    (field): [string, Sample] => [field, ["rendered", { deps: { [field]: ["x:y:1"] } }]],
  ),
);

/** The object schemas behind the spec, read from zod so a new field cannot hide. */
function shapeKeys(path: readonly string[]): string[] {
  let schema: unknown = SparkApplicationSpec.in;
  for (const key of path) {
    let inner = (schema as { shape: Record<string, unknown> }).shape[key];
    // Unwrap optional/default/prefault wrappers down to the object.
    while (inner !== undefined && !("shape" in (inner as object))) {
      inner = (inner as { def: { innerType?: unknown } }).def.innerType;
    }
    schema = inner;
  }
  return Object.keys((schema as { shape: Record<string, unknown> }).shape).sort();
}

describe.each<[string, readonly string[], Record<string, Sample>]>([
  ["spec", [], TOP_LEVEL],
  ["spec.driver", ["driver"], DRIVER],
  ["spec.executor", ["executor"], EXECUTOR],
  ["spec.sparkUIOptions", ["sparkUIOptions"], SPARK_UI_OPTIONS],
  ["spec.deps", ["deps"], DEPS],
])("every field of %s", (prefix, path, samples) => {
  it("has a place", () => {
    expect(Object.keys(samples).sort()).toEqual(shapeKeys(path));
  });

  const rendering = Object.entries(samples).filter(([, [where]]) => where === "rendered");
  it.each(rendering)(
    `${prefix}.%s changes what the hook renders`,
    (_field, [, patch = {}, baseline = {}]) => {
      expect(rendered(patch)).not.toBe(rendered(baseline));
    },
  );

  const reported = Object.entries(samples).filter(([, [where]]) => where === "unsupported");
  if (reported.length > 0) {
    it.each(reported)(`${prefix}.%s is reported as unsupported or invalid when set`, (field) => {
      const everything = spec({
        executor: { memoryLimit: "4Gi", ports: [{ name: "p", protocol: "TCP", containerPort: 1 }] },
        pythonVersion: "3",
        mode: "client",
        batchSchedulerOptions: { queue: "q" },
        sparkUIOptions: { ingressAnnotations: { a: "b" }, ingressTLS: [{}] },
        driverIngressOptions: [{ servicePort: 1, servicePortName: "p" }],
        driverPodDisruptionBudget: true,
      });
      const reportedFields = [
        ...unsupportedFields(everything).map((entry) => entry.field),
        ...specProblems(everything).map((problem) => problem.split(":")[0]),
      ];
      expect(reportedFields).toContain(`${prefix}.${field}`);
    });
  }
});

it("spec.sparkConfigMap takes effect through sparkConfigMapFiles: a missing ConfigMap stops the run", () => {
  expect(sparkConfigMapFiles(spec({ sparkConfigMap: "conf" }), []).ok).toBe(false);
});

it("spec.historyServer takes effect through linkedEventLog: event logging on, the claim in the driver pod", () => {
  const link = linkedEventLog(spec({ historyServer: { name: "hs" } }), {});
  expect(link).toMatchObject({
    ok: true,
    settings: { "spark.eventLog.enabled": "true" },
    mounts: [{ mountPath: "/history/spark-events" }],
  });
});
