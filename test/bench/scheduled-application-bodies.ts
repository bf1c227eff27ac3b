/**
 * ScheduledSparkApplication sync request bodies for the benchmark: an hourly SparkPi
 * (examples/scheduledsparkapplication/spark-pi-scheduled.yaml's template) between two firings,
 * with its history of finished runs, as Metacontroller sends it on every resync.
 *
 * The history is made by the real controllers, firing by firing: the schedule's sync asks for a
 * run, the run is created as Metacontroller creates it (the SparkApplication CRD's defaults
 * filled in), the SparkApplication controller takes it to RUNNING and, once its driver pod has
 * ended, to COMPLETED (or FAILED for every tenth run, whose driver exits 1), and the schedule's
 * next sync sees that and prunes what the history limits leave out. The last firing is before
 * BENCH_NOW and the next one after it, so the body's sync starts nothing: the steady state.
 */
import { formatTime } from "../../hooks/kube/conditions.js";
import { structuralSchema } from "../../hooks/crd/structural.js";
import {
  SyncRequest,
  typeKey,
  type DesiredObject,
  type KubeObject,
} from "../../hooks/metacontroller/protocol.js";
import { controller as scheduledController } from "../../hooks/scheduled-spark-application/controller.js";
import { ScheduledSparkApplicationSpec } from "../../hooks/scheduled-spark-application/schema.js";
import { controller as applicationController } from "../../hooks/spark-application/controller.js";
import { SparkApplicationSpec } from "../../hooks/spark-application/schema.js";
import { applyDefaults } from "../crd/structural-rules.js";
import { observe } from "../support/observe.js";
import { BENCH_NAMESPACE, BENCH_NOW, steadyState, type BenchCase, type SteadyState } from "./bodies.js";

const PARENT_UID = "e4a9c2b7-51d8-4f36-9a0e-7c3b6d1f8e25";
const NAME = "spark-pi-hourly";
const HOUR_MS = 3600_000;
/** Every hour at half past: BENCH_NOW (10:00) is between the 09:30 and 10:30 firings. */
const SCHEDULE = "30 * * * *";
const LAST_FIRING = new Date(BENCH_NOW.getTime() - HOUR_MS / 2);
/** Every tenth run fails (its driver exits 1); failedRunHistoryLimit keeps the latest one. */
const FAILS_EVERY = 10;
const FAILED_HISTORY_LIMIT = 1;
/** How long after its firing a run's driver pod ends, and the schedule's sync that sees it. */
const RUN_DURATION_MS = 4 * 60_000;
const SEEN_AFTER_MS = 5 * 60_000;

const scheduledSpecSchema = structuralSchema(ScheduledSparkApplicationSpec, { path: "spec" });
const applicationSpecSchema = structuralSchema(SparkApplicationSpec, { path: "spec" });

type Json = Record<string, unknown>;
type ObjectsByType = Record<string, Record<string, KubeObject>>;

const restricted = {
  capabilities: { drop: ["ALL"] },
  runAsGroup: 185,
  runAsUser: 185,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: "RuntimeDefault" },
};

/**
 * The template of examples/scheduledsparkapplication/spark-pi-scheduled.yaml, kubeflow's SparkPi
 * on Spark 3.5 (the bench runs from dist/, which has no examples;
 * scheduled-application-bodies.test.ts checks the two are the same).
 */
export const EXAMPLE_TEMPLATE = {
  type: "Scala",
  mode: "cluster",
  image: "spark:3.5.5",
  imagePullPolicy: "IfNotPresent",
  mainClass: "org.apache.spark.examples.SparkPi",
  mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
  sparkVersion: "3.5.5",
  restartPolicy: { type: "Never" },
  driver: { cores: 1, memory: "512m", serviceAccount: "spark-driver", securityContext: restricted },
  executor: { instances: 1, cores: 1, memory: "512m", securityContext: restricted },
};

/** How many firings leave `runs` finished runs in the history: `runs` - 1 successes and one failure. */
function firingsFor(runs: number): number {
  let successes = 0;
  let failures = 0;
  let firings = 0;
  while (successes < runs - FAILED_HISTORY_LIMIT || failures < FAILED_HISTORY_LIMIT) {
    if (failsAt(firings)) failures += 1;
    else successes += 1;
    firings += 1;
  }
  return firings;
}

const failsAt = (firing: number) => firing % FAILS_EVERY === FAILS_EVERY - 3;

/** The schedule, keeping `runs` finished runs, as Metacontroller reads it (CRD defaults filled in). */
function scheduledParent(
  runs: number,
  createdAt: Date,
  template: unknown,
  status: Readonly<Record<string, unknown>> | undefined,
): KubeObject {
  const { apiVersion, kind } = scheduledController;
  const spec = {
    schedule: SCHEDULE,
    concurrencyPolicy: "Forbid",
    successfulRunHistoryLimit: runs - FAILED_HISTORY_LIMIT,
    failedRunHistoryLimit: FAILED_HISTORY_LIMIT,
    template,
  };
  return {
    apiVersion,
    kind,
    metadata: {
      name: NAME,
      namespace: BENCH_NAMESPACE,
      uid: PARENT_UID,
      resourceVersion: "61204",
      generation: 1,
      creationTimestamp: formatTime(createdAt),
      labels: { team: "data-eng" },
      managedFields: [
        {
          manager: "kubectl-client-side-apply",
          operation: "Update",
          apiVersion,
          time: formatTime(createdAt),
          fieldsType: "FieldsV1",
          fieldsV1: { "f:metadata": { "f:labels": { "f:team": {} } }, "f:spec": { "f:schedule": {} } },
        },
        {
          manager: "metacontroller",
          operation: "Update",
          apiVersion,
          time: formatTime(LAST_FIRING),
          fieldsType: "FieldsV1",
          fieldsV1: { "f:status": {} },
          subresource: "status",
        },
      ],
    },
    spec: applyDefaults(spec, scheduledSpecSchema),
    // Metacontroller writes the hook's status back with observedGeneration added.
    ...(status === undefined ? {} : { status: { ...status, observedGeneration: 1 } }),
  };
}

/** A run as the API server stores it once Metacontroller created it: SparkApplication defaults applied. */
function createdRun(desired: DesiredObject, parent: KubeObject, index: number, at: Date): KubeObject {
  const object = observe(desired, parent, index) as KubeObject & { spec?: unknown };
  return {
    ...object,
    metadata: { ...object.metadata, generation: 1, creationTimestamp: formatTime(at) },
    spec: applyDefaults(object.spec, applicationSpecSchema),
  };
}

/** The driver pod once its container has exited with `exitCode`. */
function endedDriver(pod: KubeObject, exitCode: number, finishedAt: Date): KubeObject {
  const status = (pod.status ?? {}) as Json & { containerStatuses?: Json[]; conditions?: Json[] };
  const finished = formatTime(finishedAt);
  return {
    ...pod,
    status: {
      ...status,
      phase: exitCode === 0 ? "Succeeded" : "Failed",
      conditions: (status.conditions ?? []).map((condition) =>
        condition["type"] === "Ready" || condition["type"] === "ContainersReady"
          ? { ...condition, status: "False", reason: "PodCompleted", lastTransitionTime: finished }
          : condition,
      ),
      containerStatuses: (status.containerStatuses ?? []).map((container) => ({
        ...container,
        state: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? "Completed" : "Error",
            startedAt: (container["state"] as { running?: { startedAt?: string } }).running?.startedAt,
            finishedAt: finished,
            containerID: container["containerID"],
          },
        },
        ready: false,
        started: false,
      })),
    },
  };
}

/**
 * The status the SparkApplication controller writes on `run` by the time it has finished:
 * synced to RUNNING at its creation, then synced with its driver pod ended until the status
 * settles.
 */
function finishedRunStatus(run: KubeObject, createdAt: Date, fails: boolean): Json {
  const asParent = (status: Readonly<Json> | undefined): KubeObject => ({
    ...run,
    ...(status === undefined ? {} : { status: { ...status, observedGeneration: 1 } }),
  });
  const running = steadyState({
    controller: applicationController,
    parent: asParent,
    counted: () => 0,
    now: createdAt,
  });
  const request = JSON.parse(running.body) as { children: ObjectsByType };
  const pods = typeKey("v1", "Pod");
  const endedAt = new Date(createdAt.getTime() + RUN_DURATION_MS);
  const children: ObjectsByType = {
    ...request.children,
    [pods]: Object.fromEntries(
      Object.entries(request.children[pods] ?? {}).map(([name, pod]) => [
        name,
        endedDriver(pod, fails ? 1 : 0, endedAt),
      ]),
    ),
  };
  let status: Json = running.response.status;
  for (let round = 0; round < 5; round += 1) {
    const { response } = applicationController.sync(
      SyncRequest.parse({ parent: asParent(status), children, related: {}, finalizing: false }),
      new Date(endedAt.getTime() + 1000),
    );
    if (JSON.stringify(response.status) === JSON.stringify(status))
      return { ...status, observedGeneration: 1 };
    status = response.status;
  }
  throw new Error(`run ${run.metadata.name}: its status did not settle after its driver ended`);
}

interface History {
  readonly createdAt: Date;
  readonly status: Json;
  readonly runs: readonly KubeObject[];
}

/** Fires the schedule hour by hour until it keeps `runs` finished runs, Metacontroller applying each answer. */
function history(runs: number, template: unknown): History {
  const firings = firingsFor(runs);
  const firstFiring = new Date(LAST_FIRING.getTime() - (firings - 1) * HOUR_MS);
  const createdAt = new Date(firstFiring.getTime() - HOUR_MS / 2);
  let status: Json | undefined;
  let observed: KubeObject[] = [];
  const sync = (now: Date): DesiredObject[] => {
    const parent = scheduledParent(runs, createdAt, template, status);
    const children = { [typeKey(scheduledController.apiVersion, "SparkApplication")]: byName(observed) };
    const { response } = scheduledController.sync(
      SyncRequest.parse({ parent, children, related: {}, finalizing: false }),
      now,
    );
    status = response.status;
    const wanted = new Set(response.children.map((child) => child.metadata.name));
    observed = observed.filter((run) => wanted.has(run.metadata.name));
    return response.children.filter(
      (child) => !observed.some((run) => run.metadata.name === child.metadata.name),
    );
  };

  sync(createdAt);
  for (let firing = 0; firing < firings; firing += 1) {
    const firedAt = new Date(firstFiring.getTime() + firing * HOUR_MS + 1000);
    const parent = scheduledParent(runs, createdAt, template, status);
    const [desired, ...more] = sync(firedAt);
    if (desired === undefined || more.length > 0) throw new Error(`firing ${firing} did not start one run`);
    const run = createdRun(desired, parent, firing, firedAt);
    observed.push({ ...run, status: finishedRunStatus(run, firedAt, failsAt(firing)) });
    sync(new Date(firedAt.getTime() + SEEN_AFTER_MS));
  }
  if (status === undefined || observed.length !== runs) {
    throw new Error(`the history holds ${observed.length} runs, not ${runs}`);
  }
  return { createdAt, status, runs: observed };
}

function byName(objects: readonly KubeObject[]): Record<string, KubeObject> {
  return Object.fromEntries(objects.map((object) => [object.metadata.name, object]));
}

/** An hourly schedule between firings with `runs` finished runs (one of them FAILED) in its history. */
export function scheduledCase(runs: number): BenchCase {
  const template = structuredClone(EXAMPLE_TEMPLATE);
  const past = history(runs, template);
  return {
    controller: scheduledController,
    parent: (status) => scheduledParent(runs, past.createdAt, template, status ?? past.status),
    existing: past.runs,
    counted: (children) =>
      Object.keys(children[typeKey(scheduledController.apiVersion, "SparkApplication")] ?? {}).length,
  };
}

export function scheduledSteadyState(runs: number): SteadyState {
  return steadyState(scheduledCase(runs));
}
