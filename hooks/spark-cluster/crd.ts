/**
 * The SparkCluster CRD: names, subresources and columns around the schemas in schema.ts.
 * `npm run gen:crds` writes it to crds/sparkclusters.sparkhooks.dev.yaml.
 */
import type { CrdDefinition } from "../crd/crd.js";
import { GROUP, KIND, PLURAL, SparkClusterSpec, SparkClusterStatus, VERSION } from "./schema.js";

export const sparkClusterCrd: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  singular: "sparkcluster",
  // Not `sc`: that is StorageClass, and a CRD short name colliding with a built-in one
  // silently shadows it (or is shadowed) in kubectl.
  shortNames: ["spc", "sparkcl"],
  // Not `all`: `kubectl get all` would list clusters, which many users do not expect.
  categories: ["spark"],
  description:
    "SparkCluster: a Spark standalone cluster (one master, N workers) run by the sparkhooks " +
    "Metacontroller hooks. Field names follow radanalytics' SparkCluster.",
  spec: SparkClusterSpec,
  status: SparkClusterStatus,
  scale: {
    specReplicasPath: ".spec.worker.instances",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".status.selector",
  },
  printerColumns: [
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Ready", type: "integer", jsonPath: ".status.workers.ready" },
    { name: "Desired", type: "integer", jsonPath: ".status.workers.desired" },
    { name: "Master", type: "string", jsonPath: ".status.masterURL" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
  source: "hooks/spark-cluster/schema.ts",
};
