/**
 * The ScheduledSparkApplication CRD: names, subresources and columns around the schemas in
 * schema.ts. `npm run gen:crds` writes it to crds/scheduledsparkapplications.sparkhooks.dev.yaml.
 */
import type { CrdDefinition } from "../crd/crd.js";
import {
  GROUP,
  KIND,
  PLURAL,
  ScheduledSparkApplicationSpec,
  ScheduledSparkApplicationStatus,
  VERSION,
} from "./schema.js";

export const scheduledSparkApplicationCrd: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  singular: "scheduledsparkapplication",
  // kubeflow's own short name, so `kubectl get scheduledsparkapp` keeps working after the move.
  shortNames: ["scheduledsparkapp"],
  categories: ["spark"],
  description:
    "ScheduledSparkApplication: a SparkApplication run on a cron schedule; each run is a " +
    "SparkApplication owned by it. Field-compatible with kubeflow's sparkoperator.k8s.io/v1beta2 " +
    "ScheduledSparkApplication, plus startingDeadlineSeconds.",
  spec: ScheduledSparkApplicationSpec,
  status: ScheduledSparkApplicationStatus,
  // kubeflow's columns (its kubebuilder printcolumn markers), same names and paths; Suspend is
  // typed as the boolean it is (kubeflow declares it a string).
  printerColumns: [
    { name: "Schedule", type: "string", jsonPath: ".spec.schedule" },
    { name: "Suspend", type: "boolean", jsonPath: ".spec.suspend" },
    { name: "Last Run", type: "date", jsonPath: ".status.lastRun" },
    { name: "Last Run Name", type: "string", jsonPath: ".status.lastRunName" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
  source: "hooks/scheduled-spark-application/schema.ts",
};
