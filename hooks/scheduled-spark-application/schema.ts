/**
 * ScheduledSparkApplication: the single source of its CRD and of the types the hook works with.
 *
 * kubeflow's `sparkoperator.k8s.io/v1beta2` ScheduledSparkApplication field for field
 * (api/v1beta2/scheduledsparkapplication_types.go), so its manifests work after changing only
 * `apiVersion`, plus `startingDeadlineSeconds` from Kubernetes' CronJob. `template` is the
 * SparkApplication spec schema itself (imported, not copied): the CRD carries the same
 * structure and a template is refused exactly when a SparkApplication with that spec would be.
 */
import { z } from "zod";
import { conditionList } from "../crd/fields.js";
import { parseSpecWith, type SpecParse } from "../crd/parse-spec.js";
import type { Defined } from "../kube/defined.js";
import { SparkApplicationSpec } from "../spark-application/schema.js";

export { API_VERSION, GROUP, VERSION } from "../spark/api.js";
export const KIND = "ScheduledSparkApplication";
export const PLURAL = "scheduledsparkapplications";

export const CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

/** kubeflow keeps one finished run of each outcome unless told otherwise. */
export const DEFAULT_RUN_HISTORY_LIMIT = 1;

const historyLimit = (outcome: string) =>
  z
    .int32()
    .min(0)
    .default(DEFAULT_RUN_HISTORY_LIMIT)
    .describe(
      `How many ${outcome} runs (SparkApplications) to keep, newest first (default 1). Older ones are deleted.`,
    );

export const ScheduledSparkApplicationSpec = z
  .object({
    schedule: z
      .string()
      .min(1)
      .describe(
        "When to run, as kubeflow reads it (robfig/cron ParseStandard): five fields " +
          "(minute hour day-of-month month day-of-week, e.g. '30 2 * * *'), a descriptor (@yearly, " +
          "@annually, @monthly, @weekly, @daily, @midnight, @hourly), or '@every <Go duration>' " +
          "(e.g. '@every 20m'). 'CRON_TZ=<zone> ' in front overrides timeZone.",
      ),
    timeZone: z
      .string()
      .min(1)
      .optional()
      .describe(
        "IANA time zone the schedule is read in (e.g. Europe/Berlin), with its daylight saving " +
          "time. Unset or 'Local' means UTC: kubeflow's Local is its controller's zone, and the hook has none.",
      ),
    suspend: z
      .boolean()
      .default(false)
      .describe("Start no new runs while true; runs already started are kept."),
    concurrencyPolicy: z
      .enum(CONCURRENCY_POLICIES)
      .default("Allow")
      .describe(
        "What a due run does while an earlier run is still active (not COMPLETED or FAILED): " +
          "Allow starts it anyway, Forbid skips it (the next firing is tried again), Replace deletes " +
          "the active runs and starts it.",
      ),
    successfulRunHistoryLimit: historyLimit("COMPLETED"),
    failedRunHistoryLimit: historyLimit("FAILED"),
    startingDeadlineSeconds: z
      .int32()
      .min(0)
      .optional()
      .describe(
        "A run not started within this many seconds of its scheduled time is missed: it is not " +
          "started, and status.missedRuns and status.lastMissedRun report it. Bounds the catch-up " +
          "after an outage of the controller (as in a Kubernetes CronJob). Unset: the latest due " +
          "run starts however late.",
      ),
    template: SparkApplicationSpec.describe(
      "The spec of every run: each run is a SparkApplication with exactly this spec.",
    ),
  })
  .describe(
    "A SparkApplication run on a cron schedule. Field-compatible with kubeflow's " +
      "sparkoperator.k8s.io/v1beta2 ScheduledSparkApplication.",
  );

export type ScheduledSparkApplicationSpecInput = z.input<typeof ScheduledSparkApplicationSpec>;
export type ScheduledSparkApplicationSpec = Defined<z.output<typeof ScheduledSparkApplicationSpec>>;

export function parseScheduledSparkApplicationSpec(raw: unknown): SpecParse<ScheduledSparkApplicationSpec> {
  return parseSpecWith(ScheduledSparkApplicationSpec, raw);
}

export const SCHEDULE_STATES = ["Scheduled", "FailedValidation"] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

const time = (description: string) => z.string().optional().describe(`${description} (RFC 3339).`);
const names = (description: string) => z.array(z.string()).optional().describe(description);
const total = (description: string) => z.int().min(0).optional().describe(description);

export const ScheduledSparkApplicationStatus = z
  .object({
    observedGeneration: z
      .int()
      .optional()
      .describe("Generation of the spec last reconciled (set by Metacontroller)."),
    scheduleState: z
      .enum(SCHEDULE_STATES)
      .optional()
      .describe("Scheduled, or FailedValidation when the spec cannot be acted on (see reason)."),
    reason: z.string().optional().describe("Why the schedule is in its state: the fields that are wrong."),
    lastRun: time("When the last run was started"),
    lastRunName: z.string().optional().describe("Name of the SparkApplication of the last run."),
    nextRun: time("When the next run is due"),
    schedule: z
      .string()
      .optional()
      .describe("The schedule nextRun was computed from, with its zone; a new one recomputes nextRun."),
    activeRunNames: names("Runs not yet COMPLETED or FAILED, oldest first."),
    pastSuccessfulRunNames: names("COMPLETED runs kept (successfulRunHistoryLimit), newest first."),
    pastFailedRunNames: names("FAILED runs kept (failedRunHistoryLimit), newest first."),
    missedRuns: total(
      "Scheduled times that got no run because they were past startingDeadlineSeconds or were " +
        "followed by a later due time before the controller looked (an outage); counted since creation.",
    ),
    lastMissedRun: time("The latest scheduled time that got no run for those reasons"),
    skippedRuns: total("Scheduled times skipped by concurrencyPolicy Forbid; counted since creation."),
    lastSkippedRun: time("The latest scheduled time skipped by concurrencyPolicy Forbid"),
    conditions: conditionList("Ready, Reconciling, Stalled (kstatus)."),
  })
  .describe("Observed state: the runs, computed from the SparkApplications this schedule owns.");

export type ScheduledSparkApplicationStatus = z.infer<typeof ScheduledSparkApplicationStatus>;
