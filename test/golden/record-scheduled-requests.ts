/**
 * Writes the ScheduledSparkApplication request fixtures of the golden tests
 * (`npx tsx test/golden/record-scheduled-requests.ts`). Each request is what Metacontroller
 * would send at one moment of a schedule made from examples/scheduledsparkapplication/: the
 * worlds are built sync after sync from the creation on, and the golden test answers the last
 * request at LATER (10:05:00). The expected responses are recorded separately (UPDATE_GOLDEN=1).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import { LATER } from "../support/cluster.js";
import {
  exampleScheduled,
  scheduledRequest,
  step,
  withRunState,
  type ScheduledWorld,
} from "../support/scheduled.js";

const here = dirname(fileURLToPath(import.meta.url));
const controller = {
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: {
    name: "sparkhooks-scheduledsparkapplication",
    uid: "0c4d9e7a-2b61-4f3e-8a15-6e9b3d2c7f40",
    generation: 1,
  },
  spec: {
    parentResource: { apiVersion: "sparkhooks.dev/v1alpha1", resource: "scheduledsparkapplications" },
    childResources: [
      {
        apiVersion: "sparkhooks.dev/v1alpha1",
        resource: "sparkapplications",
        updateStrategy: { method: "OnDelete", statusChecks: {} },
      },
    ],
    generateSelector: true,
  },
  status: {},
};

/** `seconds` before the moment the golden test answers at. */
function before(seconds: number): Date {
  return new Date(LATER.getTime() - seconds * 1000);
}

function write(name: string, world: ScheduledWorld) {
  const request = { controller, ...scheduledRequest(world) };
  const file = join(here, "scheduledsparkapplications", name, "request.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
}

/** kubeflow's example with spec fields changed, created and first synced `seconds` before LATER. */
function created(seconds: number, fields: Record<string, unknown> = {}): ScheduledWorld {
  const example = exampleScheduled("spark-pi-scheduled.yaml");
  const parent = { ...example, spec: { ...(example.spec as object), ...fields } } as KubeObject;
  return step({ parent, runs: [] }, before(seconds)).world;
}

function syncedAt(world: ScheduledWorld, ...secondsBefore: number[]): ScheduledWorld {
  return secondsBefore.reduce((current, seconds) => step(current, before(seconds)).world, world);
}

function newest(world: ScheduledWorld): string {
  const run = world.runs.at(-1);
  if (run === undefined) throw new Error("no run");
  return run.metadata.name;
}

const MINUTELY = { schedule: "* * * * *" };

// Just created: the first sync computes nextRun and starts nothing.
write("created", { parent: exampleScheduled("spark-pi-scheduled.yaml"), runs: [] });

// @every 3m created a minute ago: the first run is two minutes away.
write("not-yet-due", created(60));

// @every 3m created three minutes and a second ago: the first run is due.
write("first-run-due", created(181));

// Forbid: the 10:04 run is still RUNNING when 10:05 is due; 10:05 is skipped.
const forbid = syncedAt(created(90, { ...MINUTELY, concurrencyPolicy: "Forbid" }), 60);
write("forbid-skips-while-active", withRunState(forbid, newest(forbid), "RUNNING"));

// Replace: the 10:04 run is still RUNNING when 10:05 is due; it is deleted and 10:05 starts.
const replace = syncedAt(created(90, { ...MINUTELY, concurrencyPolicy: "Replace" }), 60);
write("replace-active-run", withRunState(replace, newest(replace), "RUNNING"));

// Keep 2 successful and 1 failed: four finished runs, the oldest of each outcome goes.
let history = created(250, { ...MINUTELY, successfulRunHistoryLimit: 2, failedRunHistoryLimit: 1 });
for (const [seconds, state] of [
  [240, "COMPLETED"],
  [180, "FAILED"],
  [120, "COMPLETED"],
  [60, "COMPLETED"],
  [0, "FAILED"],
] as const) {
  history = syncedAt(history, seconds);
  if (seconds > 0) history = withRunState(history, newest(history), state);
}
write("history-pruning", withRunState(history, newest(history), "FAILED"));

// Every two minutes, startingDeadlineSeconds 30, and the hook unreachable from 10:00:50 on: at
// 10:05:00 the latest firing, 10:04, is 60 s late and missed, and so is 10:02 before it.
write("missed-past-deadline", created(250, { schedule: "*/2 * * * *", startingDeadlineSeconds: 30 }));

// The same outage on a minutely schedule: 10:05:00 is due now and starts; 10:01 to 10:04 are missed.
write("outage-starts-latest-only", created(250, { ...MINUTELY, startingDeadlineSeconds: 30 }));

// An edit to a schedule robfig refuses (six fields) while a run is active: the run is kept.
const running = syncedAt(created(100, MINUTELY), 60);
const broken = withRunState(running, newest(running), "RUNNING");
write("invalid-spec-keeps-children", {
  ...broken,
  parent: {
    ...broken.parent,
    metadata: { ...broken.parent.metadata, generation: 2 },
    spec: { ...(broken.parent.spec as object), schedule: "0 */5 * * * *" },
  },
});

// Suspended while a run is active: nothing new starts, the run is kept.
write("suspended", {
  ...broken,
  parent: { ...broken.parent, spec: { ...(broken.parent.spec as object), suspend: true } },
});
