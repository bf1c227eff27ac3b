/**
 * SparkCluster, as the registry (hooks/controllers.ts) finds it: a Spark standalone cluster
 * whose master and worker pods, Services and configuration are children of one custom resource.
 */
import { defineController } from "../controller.js";
import { sparkClusterCrd } from "./crd.js";
import { customizeSparkCluster } from "./customize.js";
import { CHILD_TYPES, syncSparkCluster } from "./sync.js";

export const controller = defineController({
  crd: sparkClusterCrd,
  childTypes: CHILD_TYPES,
  sync: syncSparkCluster,
  customize: customizeSparkCluster,
});
