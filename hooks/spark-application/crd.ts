/**
 * The SparkApplication CRD: names, subresources and columns around the schemas in schema.ts
 * and status-schema.ts. `npm run gen:crds` writes it to crds/sparkapplications.sparkhooks.dev.yaml.
 */
import type { CrdDefinition } from "../crd/crd.js";
import { GROUP, KIND, PLURAL, SparkApplicationSpec, VERSION } from "./schema.js";
import { SparkApplicationStatus } from "./status-schema.js";

export const sparkApplicationCrd: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  singular: "sparkapplication",
  // kubeflow's own short name, so `kubectl get sparkapp` keeps working after the move.
  shortNames: ["sparkapp"],
  categories: ["spark"],
  description:
    "SparkApplication: a Spark batch application whose driver pod is rendered by the sparkhooks " +
    "Metacontroller hooks (no spark-submit, no mutating webhook); the driver creates the " +
    "executors. Field-compatible with kubeflow's sparkoperator.k8s.io/v1beta2 SparkApplication.",
  spec: SparkApplicationSpec,
  status: SparkApplicationStatus,
  printerColumns: [
    { name: "State", type: "string", jsonPath: ".status.applicationState.state" },
    { name: "Attempts", type: "integer", jsonPath: ".status.executionAttempts" },
    { name: "Driver", type: "string", jsonPath: ".status.driverInfo.podName" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
  source: "hooks/spark-application/schema.ts",
};
