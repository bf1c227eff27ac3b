/**
 * The SparkApplication's status: kubeflow's v1beta2 SparkApplicationStatus field for field (so
 * dashboards and scripts reading `.status.applicationState.state` keep working), plus what a
 * stateless hook needs to carry from one sync to the next (the attempt it is on, the spec it
 * ran, failures by cause) and kstatus conditions.
 */
import { z } from "zod";
import { conditionList } from "../crd/fields.js";

/** kubeflow's ApplicationStateType values that sparkhooks reports. */
export const APPLICATION_STATES = [
  "SUBMITTED",
  "RUNNING",
  "SUCCEEDING",
  "COMPLETED",
  "FAILING",
  "FAILED",
  "PENDING_RERUN",
  "INVALIDATING",
  "SUSPENDING",
  "SUSPENDED",
  "UNKNOWN",
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<ApplicationState> = new Set(["COMPLETED", "FAILED"]);

export const EXECUTOR_STATES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "UNKNOWN"] as const;
export type ExecutorState = (typeof EXECUTOR_STATES)[number];

const count = (description: string) => z.int().min(0).describe(description);

export const SparkApplicationStatus = z
  .object({
    observedGeneration: z
      .int()
      .optional()
      .describe("Generation of the spec last reconciled (set by Metacontroller)."),
    sparkApplicationId: z
      .string()
      .optional()
      .describe("spark.app.id of the current run; the spark-app-selector label of its pods."),
    submissionID: z.string().optional().describe("Identifier of the current run, new for every attempt."),
    lastSubmissionAttemptTime: z
      .string()
      .optional()
      .describe("When the current run's driver pod was asked for (RFC 3339)."),
    terminationTime: z.string().optional().describe("When the last run ended (RFC 3339)."),
    rerunTime: z
      .string()
      .optional()
      .describe("PENDING_RERUN: when the next run starts, after the retry backoff (RFC 3339)."),
    driverInfo: z
      .object({
        podName: z.string().optional().describe("Name of the current run's driver pod."),
        webUIServiceName: z.string().optional().describe("Name of the Spark UI Service."),
        webUIPort: z.int().optional().describe("Port of the Spark UI Service."),
        webUIAddress: z
          .string()
          .optional()
          .describe("<cluster IP>:<port> of the Spark UI Service, once it has one."),
      })
      .optional()
      .describe("Where the driver and its UI are."),
    applicationState: z
      .object({
        state: z
          .enum(APPLICATION_STATES)
          .describe(
            "kubeflow's application states: SUBMITTED (driver pod asked for or starting), RUNNING, " +
              "SUCCEEDING / FAILING (the Spark container ended, other containers still stop), " +
              "COMPLETED, FAILED, PENDING_RERUN (waiting for the retry backoff), INVALIDATING (the " +
              "spec changed; the old driver is being removed before the rerun), SUSPENDING, " +
              "SUSPENDED, UNKNOWN (the driver's node stopped reporting).",
          ),
        errorMessage: z.string().optional().describe("Why the last run failed, or why the spec was refused."),
      })
      .optional()
      .describe("The application's state."),
    executorState: z
      .record(z.string(), z.enum(EXECUTOR_STATES))
      .optional()
      .describe("State of each executor pod of the current run, by pod name."),
    executionAttempts: count("Runs of the current spec so far (reset when the spec changes).").optional(),
    submissionAttempts: count("Driver pods asked for for the current spec so far.").optional(),
    attempt: count(
      "Number of the current run since the application was created, never reset: the driver pod of run n > 1 is <name>-driver-<n>.",
    ).optional(),
    specHash: z.string().optional().describe("Hash of the spec the current run was started from."),
    failures: z
      .object({
        application: count("Runs whose Spark driver exited with an error."),
        infrastructure: count(
          "Runs stopped by the platform: evicted, preempted, node lost, driver pod deleted, or not started within driver.startTimeoutSeconds.",
        ),
        submission: count(
          "Runs whose driver pod was never created within driver.startTimeoutSeconds (refused by quota or admission): kubeflow's failed submissions.",
        ),
      })
      .optional()
      .describe("Failed runs of the current spec, by cause; each cause has its own retry limit."),
    conditions: conditionList("Ready, Reconciling, Stalled (kstatus), UnsupportedFields and Expired."),
  })
  .describe("Observed state, computed from the application's driver and executor pods.");

export type SparkApplicationStatus = z.infer<typeof SparkApplicationStatus>;
