/**
 * SparkApplication, as the registry (hooks/controllers.ts) finds it: a kubeflow-compatible
 * Spark batch application whose driver pod, Services and configuration are children of one
 * custom resource, and whose executors Spark's driver creates.
 */
import { defineController } from "../controller.js";
import { sparkApplicationCrd } from "./crd.js";
import { customizeSparkApplication } from "./customize.js";
import { CHILD_TYPES, syncSparkApplication } from "./sync.js";

export const controller = defineController({
  crd: sparkApplicationCrd,
  childTypes: CHILD_TYPES,
  sync: syncSparkApplication,
  customize: customizeSparkApplication,
  // The driver is stopped before the application is gone (sync.ts, finalize).
  finalizes: true,
});
