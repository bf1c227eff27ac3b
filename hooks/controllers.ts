/** Every controller this server hosts; each one adds its routes under `/<resource>/`. */
import type { CompositeControllerHooks } from "./metacontroller/controller.js";
import { sparkClusterController } from "./spark-cluster/index.js";

export const controllers: readonly CompositeControllerHooks[] = [sparkClusterController];
