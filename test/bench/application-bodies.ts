/**
 * SparkApplication sync request bodies for the benchmark: a running application as
 * Metacontroller sends it on every resync. Its children (ConfigMap, driver Service, UI Service,
 * driver pod, Running) come from the real controller through the same steady-state loop as the
 * SparkCluster bodies; its related pods are `executors` Running executors, built the way Spark's
 * driver builds them from the executor pod template the controller put in the ConfigMap.
 */
import { parse as parseYaml } from "yaml";
import type { DesiredObject, KubeObject } from "../../hooks/metacontroller/protocol.js";
import { controller as sparkApplicationController } from "../../hooks/spark-application/controller.js";
import {
  EXECUTOR_TEMPLATE_FILE,
  SPARK_PROPERTIES_FILE,
} from "../../hooks/spark-application/spark-properties.js";
import { SPARK_APP_SELECTOR } from "../../hooks/spark/labels.js";
import { CONTROLLER_UID_LABEL, LAST_APPLIED_ANNOTATION, observe } from "../support/observe.js";
import { BENCH_NAMESPACE, steadyState, syncPath, type BenchCase, type SteadyState } from "./bodies.js";

export const APPLICATION_SYNC_PATH = syncPath(sparkApplicationController);

const PARENT_UID = "7a2e4f61-3c9d-4b8a-9e15-0d6c8b2f4a37";
const NAME = "spark-pi";

/** kubeflow's Spark 3.5 SparkPi (examples/sparkapplication/spark-pi-3.5.yaml) with `executors` executors. */
function applicationSpec(executors: number): Record<string, unknown> {
  const restricted = {
    capabilities: { drop: ["ALL"] },
    runAsGroup: 185,
    runAsUser: 185,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    seccompProfile: { type: "RuntimeDefault" },
  };
  return {
    type: "Scala",
    mode: "cluster",
    image: "spark:3.5.5",
    imagePullPolicy: "IfNotPresent",
    mainClass: "org.apache.spark.examples.SparkPi",
    mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
    arguments: ["5000"],
    sparkVersion: "3.5.5",
    driver: {
      labels: { version: "3.5.5" },
      cores: 1,
      memory: "512m",
      serviceAccount: "spark-driver",
      securityContext: restricted,
    },
    executor: {
      labels: { version: "3.5.5" },
      instances: executors,
      cores: 1,
      memory: "512m",
      securityContext: restricted,
    },
  };
}

function sparkApplication(executors: number, status?: Readonly<Record<string, unknown>>): KubeObject {
  const { apiVersion, kind } = sparkApplicationController;
  return {
    apiVersion,
    kind,
    metadata: {
      name: NAME,
      namespace: BENCH_NAMESPACE,
      uid: PARENT_UID,
      resourceVersion: "51877",
      generation: 1,
      creationTimestamp: "2026-09-01T09:13:58Z",
      // Metacontroller's finalizer, since the controller has a finalize hook.
      finalizers: ["metacontroller.io/compositecontroller-sparkhooks-sparkapplication"],
      managedFields: [
        {
          manager: "kubectl-client-side-apply",
          operation: "Update",
          apiVersion,
          time: "2026-09-01T09:13:58Z",
          fieldsType: "FieldsV1",
          fieldsV1: { "f:spec": { "f:executor": { "f:instances": {} } } },
        },
        {
          manager: "metacontroller",
          operation: "Update",
          apiVersion,
          time: "2026-09-01T09:20:42Z",
          fieldsType: "FieldsV1",
          fieldsV1: { "f:status": {} },
          subresource: "status",
        },
      ],
    },
    spec: applicationSpec(executors),
    ...(status === undefined ? {} : { status: { ...status, observedGeneration: 1 } }),
  };
}

type Json = Record<string, unknown>;

interface ExecutorTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Json & { containers: Json[] };
}

/** A file of the run's ConfigMap ("" if it has none). */
function fileOf(configMap: KubeObject, key: string): string {
  const value = (configMap as { data?: Json }).data?.[key];
  return typeof value === "string" ? value : "";
}

/** spark.properties of the run's ConfigMap, which the driver reads. */
function propertiesOf(configMap: KubeObject): Map<string, string> {
  const text = fileOf(configMap, SPARK_PROPERTIES_FILE);
  return new Map(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
  );
}

/**
 * Executor `id` as Spark's driver creates it from the template (BasicExecutorFeatureStep,
 * MountLocalDirsFeatureStep and the executor conf ConfigMap of KubernetesExecutorBuilder, Spark
 * 3.5): its name, labels, env, resources, port and volumes over the template's, owned by the
 * driver pod.
 */
function executorPod(id: number, template: ExecutorTemplate, conf: Map<string, string>): DesiredObject {
  const appId = conf.get("spark.app.id") ?? "";
  const prefix = conf.get("spark.kubernetes.executor.podNamePrefix") ?? "";
  const name = `${prefix}-exec-${id}`;
  const driverUrl = `spark://CoarseGrainedScheduler@${conf.get("spark.driver.host") ?? ""}:${conf.get("spark.driver.port") ?? ""}`;
  const [container, ...sidecars] = template.spec.containers;
  const env = [
    { name: "SPARK_USER", value: "spark" },
    { name: "SPARK_DRIVER_URL", value: driverUrl },
    { name: "SPARK_EXECUTOR_CORES", value: conf.get("spark.executor.cores") ?? "1" },
    { name: "SPARK_EXECUTOR_MEMORY", value: conf.get("spark.executor.memory") ?? "1g" },
    { name: "SPARK_APPLICATION_ID", value: appId },
    { name: "SPARK_CONF_DIR", value: "/opt/spark/conf" },
    { name: "SPARK_EXECUTOR_ID", value: String(id) },
    { name: "SPARK_RESOURCE_PROFILE_ID", value: "0" },
    { name: "SPARK_EXECUTOR_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    { name: "SPARK_EXECUTOR_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "SPARK_JAVA_OPT_0", value: `-Dspark.driver.port=${conf.get("spark.driver.port") ?? ""}` },
    { name: "SPARK_JAVA_OPT_1", value: "-Dspark.driver.blockManager.port=7079" },
    { name: "SPARK_LOCAL_DIRS", value: "/var/data/spark-local-dir-1" },
  ];
  const desired = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      labels: {
        ...template.metadata?.labels,
        [SPARK_APP_SELECTOR]: appId,
        "spark-role": "executor",
        "spark-exec-id": String(id),
        "spark-exec-resourceprofile-id": "0",
      },
      ...(template.metadata?.annotations === undefined ? {} : { annotations: template.metadata.annotations }),
    },
    spec: {
      ...template.spec,
      hostname: name,
      restartPolicy: "Never",
      serviceAccountName: conf.get("spark.kubernetes.authenticate.executor.serviceAccountName"),
      containers: [
        {
          ...container,
          image: conf.get("spark.kubernetes.container.image"),
          imagePullPolicy: "IfNotPresent",
          args: ["executor"],
          env,
          ports: [{ name: "blockmanager", containerPort: 7079 }],
          resources: { requests: { cpu: "1", memory: "896Mi" }, limits: { memory: "896Mi" } },
          volumeMounts: [
            ...((container?.["volumeMounts"] as Json[] | undefined) ?? []),
            { name: "spark-local-dir-1", mountPath: "/var/data/spark-local-dir-1" },
            { name: "spark-conf-volume-exec", mountPath: "/opt/spark/conf" },
          ],
        },
        ...sidecars,
      ],
      volumes: [
        ...((template.spec["volumes"] as Json[] | undefined) ?? []),
        { name: "spark-local-dir-1", emptyDir: {} },
        {
          name: "spark-conf-volume-exec",
          configMap: { name: `spark-exec-${appId.slice(6, 22)}-conf-map` },
        },
      ],
    },
  } as DesiredObject;
  return desired;
}

/**
 * What the API server holds for an executor: `observe` defaults it and reports it Running; then
 * the parts only Metacontroller's children have are replaced by the driver's (no controller-uid
 * label, no last-applied annotation, the driver pod as owner, written by the driver's client).
 */
function observedExecutor(desired: DesiredObject, parent: KubeObject, driver: KubeObject, index: number) {
  const pod = observe(desired, parent, 1000 + index);
  const { [CONTROLLER_UID_LABEL]: _uid, ...labels } = pod.metadata.labels ?? {};
  const { [LAST_APPLIED_ANNOTATION]: _applied, ...annotations } = pod.metadata.annotations ?? {};
  const managedFields = (pod.metadata as { managedFields?: Json[] }).managedFields ?? [];
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      labels,
      annotations,
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "Pod",
          name: driver.metadata.name,
          uid: driver.metadata.uid ?? "",
          controller: true,
        },
      ],
      managedFields: managedFields.map((entry) =>
        entry["manager"] === "metacontroller" ? { ...entry, manager: "okhttp" } : entry,
      ),
    },
  } as KubeObject;
}

/** The executors the running driver has created, as Metacontroller relates them (by name). */
function executorsOf(
  executors: number,
  parent: KubeObject,
  children: readonly KubeObject[],
): Record<string, Record<string, KubeObject>> {
  const driver = children.find((child) => child.kind === "Pod");
  const configMap = children.find((child) => child.kind === "ConfigMap");
  if (driver === undefined || configMap === undefined) return { "Pod.v1": {} };
  const template = parseYaml(fileOf(configMap, EXECUTOR_TEMPLATE_FILE)) as ExecutorTemplate;
  const conf = propertiesOf(configMap);
  const pods = Array.from({ length: executors }, (_, i) =>
    observedExecutor(executorPod(i + 1, template, conf), parent, driver, i),
  );
  return { "Pod.v1": Object.fromEntries(pods.map((pod) => [pod.metadata.name, pod])) };
}

/** A running SparkApplication with `executors` Running executors. */
export function applicationCase(executors: number): BenchCase {
  return {
    controller: sparkApplicationController,
    parent: (status) => sparkApplication(executors, status),
    related: (parent, children) => executorsOf(executors, parent, children),
    counted: (_children, related) => Object.keys(related["Pod.v1"] ?? {}).length,
  };
}

export function applicationSteadyState(executors: number): SteadyState {
  return steadyState(applicationCase(executors));
}
