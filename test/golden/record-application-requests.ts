/**
 * Writes the SparkApplication request fixtures of the golden tests
 * (`npx tsx test/golden/record-application-requests.ts`). Each request is what Metacontroller
 * would send at one moment of an application from examples/sparkapplication/: the worlds are
 * built sync after sync from the creation on, and the golden test answers the last request at
 * LATER. The expected responses are recorded separately (UPDATE_GOLDEN=1).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import {
  applicationRequest,
  changeChild,
  driverFailed,
  driverSucceeded,
  exampleApplication,
  executorPod,
  historyServer,
  newWorld,
  pods,
  stepDirect,
  type World,
} from "../support/applications.js";
import { LATER } from "../support/cluster.js";

const here = dirname(fileURLToPath(import.meta.url));
const controller = {
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: { name: "sparkhooks-sparkapplication", uid: "5b1e2f3a-7c44-4d2e-9f10-2a6b8c9d0e11", generation: 1 },
  spec: {
    parentResource: { apiVersion: "sparkhooks.dev/v1alpha1", resource: "sparkapplications" },
    childResources: [
      { apiVersion: "v1", resource: "pods", updateStrategy: { method: "OnDelete", statusChecks: {} } },
      { apiVersion: "v1", resource: "services", updateStrategy: { method: "InPlace", statusChecks: {} } },
      { apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "OnDelete", statusChecks: {} } },
    ],
    generateSelector: true,
  },
  status: {},
};

/** `seconds` before the moment the golden test answers at. */
function before(seconds: number): Date {
  return new Date(LATER.getTime() - seconds * 1000);
}

function write(name: string, world: World, finalizing = false) {
  const request = { controller, ...applicationRequest(world.parent, world.children, world.related, finalizing) };
  const file = join(here, "sparkapplications", name, "request.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
}

/** The application created `seconds` before LATER, its driver asked for, created and Running. */
function runningSince(file: string, seconds: number): World {
  const created = newWorld(exampleApplication(file, before(seconds)));
  const submitted = stepDirect(created, before(seconds)).world;
  return stepDirect(submitted, before(seconds - 3)).world;
}

function driverName(world: World): string {
  const [driver] = pods(world.children);
  if (driver === undefined) throw new Error("no driver pod");
  return driver.metadata.name;
}

function changedSpec(world: World, change: (spec: Record<string, unknown>) => Record<string, unknown>): World {
  const parent = world.parent as KubeObject & { spec: Record<string, unknown> };
  return {
    ...world,
    parent: { ...parent, metadata: { ...parent.metadata, generation: 2 }, spec: change(parent.spec) },
  };
}

// New applications, as created: Scala on Spark 3.5 (headless driver Service), Scala on 4.0
// (still before useDriverPodIP), PySpark on 4.0, Scala on 4.1.
write("create-spark-pi-3.5", newWorld(exampleApplication("spark-pi-3.5.yaml", before(2))));
write("create-spark-pi-4.0", newWorld(exampleApplication("spark-pi.yaml", before(2))));
write("create-pyspark-pi", newWorld(exampleApplication("pyspark-pi.yaml", before(2))));

// spark-pi.yaml moved to Spark 4.1: executors dial the driver pod's IP, no driver Service.
const pi = exampleApplication("spark-pi.yaml", before(2)) as KubeObject & { spec: Record<string, unknown> };
write(
  "create-spark-pi-4.1",
  newWorld({ ...pi, spec: { ...pi.spec, sparkVersion: "4.1.2", image: "docker.io/apache/spark:4.1.2" } }),
);

// pyspark-pi.yaml linked to SparkHistoryServer hs (shared volume at /history/logs), observed
// in related: event logging on into hs's directory, the driver mounts hs-claim there.
const pyPi = exampleApplication("pyspark-pi.yaml", before(2)) as KubeObject & { spec: Record<string, unknown> };
write("create-linked-to-history-server", {
  ...newWorld({ ...pyPi, spec: { ...pyPi.spec, historyServer: { name: "hs" } } }),
  related: [historyServer("hs", { type: "sharedVolume", sharedVolume: { mountPath: "/history/logs" } })],
});

// Running for two minutes with two executors, one still pending.
const running = runningSince("spark-pi-3.5.yaml", 120);
const driver = pods(running.children)[0];
if (driver === undefined) throw new Error("no driver pod");
write("running-with-executors", {
  ...running,
  related: [executorPod("spark-pi", driver, 1), executorPod("spark-pi", driver, 2, "Pending")],
});

// OnFailure: the first run's driver exited 1 five seconds ago; the rerun waits 10 s.
const onFailure = runningSince("spark-pi-on-failure.yaml", 120);
write(
  "failed-pending-rerun",
  changeChild(onFailure, driverName(onFailure), (pod) => driverFailed(pod, before(5))),
);

// The driver exited 0 forty seconds ago; its executors are gone.
write(
  "completed",
  changeChild(running, driverName(running), (pod) => driverSucceeded(pod, before(40))),
);

// An edit the hook cannot act on (client mode) while the driver runs.
write(
  "invalid-spec-keeps-children",
  changedSpec(running, (spec) => ({ ...spec, mode: "client" })),
);

// Deleted while running: the finalize call with every child still observed.
write("finalize-while-running", running, true);

// spec.suspend set while running.
write(
  "suspend-while-running",
  changedSpec(running, (spec) => ({ ...spec, suspend: true })),
);
