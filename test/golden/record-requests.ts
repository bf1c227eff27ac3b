/**
 * Writes the request fixtures of the golden tests (`npx tsx test/golden/record-requests.ts`).
 * Each request is what Metacontroller would send at one moment of a cluster's life; the
 * expected responses are recorded separately by the golden test (UPDATE_GOLDEN=1).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import {
  clusterParent,
  converge,
  crashLooping,
  evicted,
  NOW,
  podsOf,
  sync,
  syncRequest,
} from "../support/cluster.js";

const here = dirname(fileURLToPath(import.meta.url));
const controller = {
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: { name: "sparkhooks-sparkcluster", uid: "0c6e9a41-27b5-4e8f-a1d2-9f4b3c7e5a18", generation: 1 },
  spec: {
    parentResource: { apiVersion: "sparkhooks.dev/v1alpha1", resource: "sparkclusters" },
    childResources: [
      { apiVersion: "v1", resource: "pods", updateStrategy: { method: "OnDelete", statusChecks: {} } },
      { apiVersion: "v1", resource: "services", updateStrategy: { method: "InPlace", statusChecks: {} } },
      { apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace", statusChecks: {} } },
    ],
    generateSelector: true,
  },
  status: {},
};

function write(name: string, parent: KubeObject, observed: readonly KubeObject[] = [], related: readonly KubeObject[] = []) {
  const request = { controller, ...syncRequest(parent, observed, related) };
  const file = join(here, "sparkclusters", name, "request.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
}

/** A cluster whose status is what the last sync wrote, as Metacontroller would send it back. */
function withStatus(parent: KubeObject, observed: readonly KubeObject[]): KubeObject {
  const { status } = sync(parent, observed, NOW).response;
  return { ...parent, status: { ...status, observedGeneration: parent.metadata.generation } };
}

const minimal = clusterParent({ worker: { instances: "2" } }, { name: "my-spark-cluster", namespace: "spark-clusters" });
write("create-radanalytics-minimal", minimal);

const three = clusterParent({ worker: { instances: 3 }, metrics: true, labels: { team: "data-eng" } });
const running = converge(three);
write("steady-running", withStatus(three, running), running);

const imageChange = clusterParent(
  { worker: { instances: 3 }, metrics: true, labels: { team: "data-eng" }, customImage: "apache/spark:4.3.0-scala" },
  { generation: 2 },
);
write("rolling-update", { ...imageChange, status: withStatus(three, running).status }, running);

const scaledDown = clusterParent({ worker: { instances: 1 }, metrics: true, labels: { team: "data-eng" } }, { generation: 3 });
write("scale-down", { ...scaledDown, status: withStatus(three, running).status }, running);

const victim = podsOf(running, "worker")[1]?.metadata.name;
write(
  "evicted-worker",
  withStatus(three, running),
  running.map((object) => (object.metadata.name === victim ? evicted(object) : object)),
);

// A worker-only setting: the workers roll onto a new worker ConfigMap, the master and its
// ConfigMap stay, and the old worker ConfigMap stays while old workers mount it.
const workerSetting = clusterParent(
  {
    worker: { instances: 3 },
    metrics: true,
    labels: { team: "data-eng" },
    sparkConfiguration: [{ name: "spark.worker.cleanup.appDataTtl", value: "3600" }],
  },
  { generation: 2 },
);
write("worker-setting-change", { ...workerSetting, status: withStatus(three, running).status }, running);

// An image change while the worker in slot 0 crash-loops: that worker is replaced at once, the
// Ready ones wait for it.
const crashing = podsOf(running, "worker")[0]?.metadata.name;
write(
  "rolling-update-past-broken-worker",
  { ...imageChange, status: withStatus(three, running).status },
  running.map((object) => (object.metadata.name === crashing ? crashLooping(object) : object)),
);

const invalid = clusterParent({ worker: { instances: -1 }, metrics: true, labels: { team: "data-eng" } }, { generation: 4 });
write("invalid-spec-keeps-children", { ...invalid, status: withStatus(three, running).status }, running);

const withUserConf = clusterParent({ worker: { instances: 1 }, sparkConfiguration: [{ name: "spark.eventLog.enabled", value: "true" }] });
write("user-configmap", withUserConf, [], [
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "my-spark-config", namespace: "spark-jobs", uid: "7d1c2b3a-0000-4000-8000-000000000001" },
    data: { "spark-defaults.conf": "spark.eventLog.dir file:///history\n", "log4j2.properties": "rootLogger.level = info\n" },
  },
]);

// OpenShift: no fixed ids; the master's labels also label its Services.
const openShift = clusterParent(
  { worker: { instances: 1 }, fixedUserIds: false, master: { labels: { tier: "control" } }, labels: { team: "data-eng" } },
  { name: "my-spark-cluster", namespace: "spark-clusters" },
);
write("create-openshift", openShift);

// Every radanalytics field at once (examples/sparkcluster/radanalytics-all-fields.yaml), with
// its SparkHistoryServer observed: init containers for downloads and Maven, the claim mounted
// where the history server mounts it, event logging in both roles' spark-defaults.conf.
const allFields = clusterParent(
  {
    mavenDependencies: ["org.apache.hadoop:hadoop-aws:3.5.0"],
    mavenRepositories: ["https://repo1.maven.org/maven2"],
    worker: { instances: "2", memory: "3Gi", cpu: 0.5 },
    master: { instances: "1", memory: "1Gi", cpu: 0.5 },
    customImage: "apache/spark:4.3.0",
    customInitContainerImage: "apache/spark:4.3.0",
    env: [{ name: "FOO", value: "bar" }],
    sparkConfiguration: [{ name: "spark.executor.memory", value: "500m" }],
    downloadData: [{ url: "https://raw.githubusercontent.com/radanalyticsio/spark-operator/master/README.md", to: "/tmp/" }],
    historyServer: { name: "history", type: "sharedVolume", sharedVolume: { size: "0.3Gi", mountPath: "/history/spark-events" } },
  },
  { name: "sparky-cluster", namespace: "spark-clusters" },
);
const historyServer: KubeObject = {
  apiVersion: "sparkhooks.dev/v1alpha1",
  kind: "SparkHistoryServer",
  metadata: { name: "history", namespace: "spark-clusters", uid: "5b0e7c1d-0000-4000-8000-000000000002" },
  spec: { type: "sharedVolume", sharedVolume: { mountPath: "/spark-history" }, logDirectory: "file:/spark-history/events" },
};
write("create-radanalytics-all-fields", allFields, [], [historyServer]);

// A download that fails: the worker's init container exits non-zero, the pod never starts,
// and the status names the pod and the init container.
const withData = clusterParent({ worker: { instances: 2 }, downloadData: [{ url: "https://example.com/data/words.txt", to: "/data/" }] });
const dataWorld = converge(withData);
const failing = podsOf(dataWorld, "worker")[1]?.metadata.name;
write(
  "init-container-failed",
  withStatus(withData, dataWorld),
  dataWorld.map((object) =>
    object.metadata.name === failing
      ? {
          ...object,
          status: {
            phase: "Pending",
            conditions: [{ type: "Ready", status: "False" }],
            initContainerStatuses: [
              {
                name: "download-data",
                restartCount: 3,
                state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" } },
                lastState: { terminated: { reason: "Error", exitCode: 8 } },
              },
            ],
          },
        }
      : object,
  ),
);
