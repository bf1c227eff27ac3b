/**
 * The runs of a ScheduledSparkApplication: SparkApplications it owns, one per scheduled time.
 * Their names, labels and annotations, the SparkApplication a run is created as, and how an
 * observed run is read back (its scheduled time and whether it has finished).
 */
import { formatTime } from "../kube/conditions.js";
import { childName, isLabelValue } from "../kube/names.js";
import { isTerminating } from "../kube/observed.js";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { LABEL_MANAGED_BY, MANAGER } from "../spark/labels.js";
import { API_VERSION } from "./schema.js";

/** The run's SparkApplication kind and resource: sparkhooks' own, served by its own controller. */
export const RUN_KIND = "SparkApplication";
export const RUN_RESOURCE = "sparkapplications";

/** The ScheduledSparkApplication a run belongs to (sparkhooks' label; selectable with kubectl -l). */
export const LABEL_SCHEDULED_APP = "sparkhooks.dev/scheduled-app-name";
/** kubeflow's label for the same, so scripts that select runs with it keep working. */
export const KUBEFLOW_LABEL_SCHEDULED_APP = "sparkoperator.k8s.io/scheduled-app-name";
/** The scheduled time a run is for (RFC 3339); the run's name carries it in Unix seconds. */
export const ANNOTATION_SCHEDULED_TIME = "sparkhooks.dev/scheduled-time";
/** Metacontroller's label for a generated selector: never copied from the parent onto a run. */
const CONTROLLER_UID_LABEL = "controller-uid";

/**
 * `<scheduled>-<Unix seconds of the scheduled time>`: kubeflow names runs by a timestamp too
 * (nanoseconds of its clock). Naming by the scheduled time makes the name a function of the
 * schedule, so a sync that is repeated (a status write lost to a conflict) asks for the same
 * run again instead of a second one. At most 63 characters: longer names are cut and hashed.
 */
export function runName(scheduledName: string, scheduledTime: Date): string {
  return childName(scheduledName, String(Math.floor(scheduledTime.getTime() / 1000)));
}

/**
 * The name becomes a label value on every run (and the SparkApplication's own children), and
 * label values stop at 63 characters.
 */
export function scheduledNameProblems(name: string): string[] {
  return isLabelValue(name)
    ? []
    : [`metadata.name: ${JSON.stringify(name)} is longer than 63 characters, the most a label value holds`];
}

export interface RunParent {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * A new run: the template as the user wrote it (the SparkApplication controller applies its own
 * defaults), the parent's labels as kubeflow copies them, and ours.
 */
export function runApplication(parent: RunParent, scheduledTime: Date, template: unknown): DesiredObject {
  const copied = Object.fromEntries(
    Object.entries(parent.labels).filter(([key]) => key !== CONTROLLER_UID_LABEL),
  );
  return {
    apiVersion: API_VERSION,
    kind: RUN_KIND,
    metadata: {
      name: runName(parent.name, scheduledTime),
      labels: {
        ...copied,
        [LABEL_SCHEDULED_APP]: parent.name,
        [KUBEFLOW_LABEL_SCHEDULED_APP]: parent.name,
        [LABEL_MANAGED_BY]: MANAGER,
      },
      annotations: { [ANNOTATION_SCHEDULED_TIME]: formatTime(scheduledTime) },
    },
    spec: template,
  } as DesiredObject;
}

export type RunPhase = "active" | "succeeded" | "failed" | "terminating";

export interface ObservedRun {
  readonly object: KubeObject;
  readonly name: string;
  readonly phase: RunPhase;
  /** The scheduled time, else the creation time, else 0: what "oldest" and "newest" mean. */
  readonly time: number;
}

function stateOf(run: KubeObject): unknown {
  const status = (run as { status?: unknown }).status;
  if (typeof status !== "object" || status === null) return undefined;
  const state = (status as { applicationState?: unknown }).applicationState;
  return typeof state === "object" && state !== null ? (state as { state?: unknown }).state : undefined;
}

function timeOf(run: KubeObject): number {
  const stamps = [
    run.metadata.annotations?.[ANNOTATION_SCHEDULED_TIME],
    (run.metadata as { creationTimestamp?: unknown }).creationTimestamp,
  ];
  for (const stamp of stamps) {
    const ms = typeof stamp === "string" ? Date.parse(stamp) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return 0;
}

/**
 * A run is finished once its SparkApplication says COMPLETED or FAILED (kubeflow's
 * hasLastRunFinished); every other state, or none yet, is active. One being deleted is on its
 * way out and counts as neither.
 */
export function observeRun(run: KubeObject): ObservedRun {
  const state = stateOf(run);
  const phase: RunPhase = isTerminating(run)
    ? "terminating"
    : state === "COMPLETED"
      ? "succeeded"
      : state === "FAILED"
        ? "failed"
        : "active";
  return { object: run, name: run.metadata.name, phase, time: timeOf(run) };
}

/** Oldest first; equal times by name, so the order never depends on the request's map order. */
export function byAge(a: ObservedRun, b: ObservedRun): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
