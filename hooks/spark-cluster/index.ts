import type { CompositeControllerHooks } from "../metacontroller/controller.js";
import { customizeSparkCluster } from "./customize.js";
import { PLURAL } from "./schema.js";
import { syncSparkCluster } from "./sync.js";

export const sparkClusterController: CompositeControllerHooks = {
  resource: PLURAL,
  sync: syncSparkCluster,
  customize: customizeSparkCluster,
};
