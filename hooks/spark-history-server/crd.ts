/**
 * The SparkHistoryServer CRD: names and columns around the schemas in schema.ts.
 * `npm run gen:crds` writes it to crds/sparkhistoryservers.sparkhooks.dev.yaml.
 */
import type { CrdDefinition } from "../crd/crd.js";
import { GROUP, KIND, PLURAL, SparkHistoryServerSpec, SparkHistoryServerStatus, VERSION } from "./schema.js";

export const sparkHistoryServerCrd: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  singular: "sparkhistoryserver",
  shortNames: ["sparkhs"],
  // Not `all`: `kubectl get all` would list them, which many users do not expect.
  categories: ["spark"],
  description:
    "SparkHistoryServer: a Spark history server reading event logs from a shared claim or an " +
    "object store, run by the sparkhooks Metacontroller hooks. Field names follow radanalytics' " +
    "SparkHistoryServer.",
  spec: SparkHistoryServerSpec,
  status: SparkHistoryServerStatus,
  printerColumns: [
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "URL", type: "string", jsonPath: ".status.url" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
  source: "hooks/spark-history-server/schema.ts",
};
