/**
 * ScheduledSparkApplication, as the registry (hooks/controllers.ts) finds it: kubeflow's
 * scheduled Spark applications, whose runs are SparkApplications, children of the schedule.
 */
import { defineController } from "../controller.js";
import { scheduledSparkApplicationCrd } from "./crd.js";
import { CHILD_TYPES, syncScheduledSparkApplication } from "./sync.js";

export const controller = defineController({
  crd: scheduledSparkApplicationCrd,
  childTypes: CHILD_TYPES,
  sync: syncScheduledSparkApplication,
  // No finalize hook: the runs go with the schedule through their ownerReferences, and each
  // SparkApplication's own finalizer stops its driver first.
});
