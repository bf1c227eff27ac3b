/**
 * SparkHistoryServer, as the registry (hooks/controllers.ts) finds it: a Spark history server
 * whose pod, Service, configuration, event log claim and Ingress are children of one resource.
 */
import { defineController } from "../controller.js";
import { sparkHistoryServerCrd } from "./crd.js";
import { CHILD_TYPES, syncSparkHistoryServer } from "./sync.js";

export const controller = defineController({
  crd: sparkHistoryServerCrd,
  childTypes: CHILD_TYPES,
  sync: syncSparkHistoryServer,
});
