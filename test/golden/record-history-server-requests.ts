/**
 * Writes the SparkHistoryServer request fixtures of the golden tests
 * (`npx tsx test/golden/record-history-server-requests.ts`). Each request is what Metacontroller
 * would send at one moment of a history server from examples/sparkhistoryserver/; the expected
 * responses are recorded separately (UPDATE_GOLDEN=1).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import { NOW } from "../support/cluster.js";
import { convergeServer, SERVER_UID, serverRequest, syncServer } from "../support/history-servers.js";

const here = dirname(fileURLToPath(import.meta.url));
const controller = {
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: { name: "sparkhooks-sparkhistoryserver", uid: "2a9c4e17-5b3d-4f60-8e21-7c1d0b9a3f64", generation: 1 },
  spec: {
    parentResource: { apiVersion: "sparkhooks.dev/v1alpha1", resource: "sparkhistoryservers" },
    childResources: [
      { apiVersion: "v1", resource: "pods", updateStrategy: { method: "OnDelete", statusChecks: {} } },
      { apiVersion: "v1", resource: "services", updateStrategy: { method: "InPlace", statusChecks: {} } },
      { apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace", statusChecks: {} } },
      { apiVersion: "v1", resource: "persistentvolumeclaims", updateStrategy: { method: "OnDelete", statusChecks: {} } },
      { apiVersion: "networking.k8s.io/v1", resource: "ingresses", updateStrategy: { method: "InPlace", statusChecks: {} } },
    ],
    generateSelector: true,
  },
  status: {},
};

/** The first SparkHistoryServer of an example file, as created in namespace spark-jobs. */
function example(file: string): KubeObject {
  const text = readFileSync(join(here, "../../examples/sparkhistoryserver", file), "utf8");
  const documents = text.split(/^---$/m).map((doc) => parse(doc) as KubeObject | null);
  const server = documents.find((doc) => doc?.kind === "SparkHistoryServer");
  if (server === undefined || server === null) throw new Error(`no SparkHistoryServer in ${file}`);
  return {
    ...server,
    metadata: {
      ...server.metadata,
      namespace: "spark-jobs",
      uid: SERVER_UID,
      generation: 1,
      creationTimestamp: "2026-11-22T09:59:58Z",
    },
  };
}

function write(name: string, parent: KubeObject, observed: readonly KubeObject[] = []) {
  const request = { controller, ...serverRequest(parent, observed) };
  const file = join(here, "sparkhistoryservers", name, "request.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
}

/** The parent with the status the hook wrote for `observed`, as Metacontroller reads it back. */
function withStatus(parent: KubeObject, observed: readonly KubeObject[]): KubeObject {
  return { ...parent, status: { ...syncServer(parent, observed, NOW).response.status, observedGeneration: 1 } };
}

function edited(parent: KubeObject, spec: Record<string, unknown>): KubeObject {
  return { ...parent, metadata: { ...parent.metadata, generation: 2 }, spec };
}

const shared = example("history-server.yaml");
const exposed = example("exposed.yaml");

// New: radanalytics' sharedVolume example, the s3a remoteStorage example, the exposed example.
write("create-shared-volume", shared);
write("create-remote-storage-s3a", example("s3a.yaml"));
write("create-exposed", exposed);

// Running: pod Ready, claim Bound, Ingress without a published address; status as last written.
const running = convergeServer(exposed);
write("steady-ready", withStatus(exposed, running), running);

// Edits that would lose the claim: to remoteStorage, and a larger size. The claim stays.
const sharedRunning = convergeServer(shared);
const sharedParent = withStatus(shared, sharedRunning);
const sharedSpec = shared["spec"] as Record<string, unknown>;
write(
  "switch-to-remote-keeps-claim",
  edited(sharedParent, { ...sharedSpec, type: "remoteStorage", remoteURI: "s3a://spark-logs/events" }),
  sharedRunning,
);
write(
  "resize-keeps-claim",
  edited(sharedParent, { ...sharedSpec, sharedVolume: { ...(sharedSpec["sharedVolume"] as object), size: "5Gi" } }),
  sharedRunning,
);

// An edit the hook cannot act on: every child is kept, the condition names the field.
write("invalid-spec-keeps-children", edited(sharedParent, { ...sharedSpec, internalPort: 80 }), sharedRunning);
