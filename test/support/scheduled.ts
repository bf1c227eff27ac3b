/**
 * Driving the ScheduledSparkApplication hook the way Metacontroller does: build the parent, call
 * sync at a given moment, write the answer's status back, create the runs it asks for (with the
 * ownerReference and creationTimestamp the API server would give them) and delete the ones it
 * leaves out. A run's state is what its SparkApplication controller would report; tests set it.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYaml } from "../../hooks/cli/render.js";
import { formatTime } from "../../hooks/kube/conditions.js";
import type {
  DesiredObject,
  KubeObject,
  SyncRequest,
  SyncResponse,
} from "../../hooks/metacontroller/protocol.js";
import { typeKey } from "../../hooks/metacontroller/protocol.js";
import { RUN_KIND } from "../../hooks/scheduled-spark-application/runs.js";
import {
  API_VERSION,
  KIND,
  ScheduledSparkApplicationSpec,
} from "../../hooks/scheduled-spark-application/schema.js";
import { syncScheduledSparkApplication } from "../../hooks/scheduled-spark-application/sync.js";
import { structuralSchema } from "../../hooks/crd/structural.js";
import { applyDefaults } from "../crd/structural-rules.js";

export const SCHEDULED_UID = "3f6c1a2e-9b7d-4c58-8e21-5d4a7b0c9e13";
/** The moment the schedule is created; tests count seconds from here. */
export const CREATED = new Date("2026-12-01T10:00:30Z");

const specSchema = structuralSchema(ScheduledSparkApplicationSpec, { path: "spec" });
const examplesDir = join(dirname(fileURLToPath(import.meta.url)), "../../examples/scheduledsparkapplication");

export function at(seconds: number, from = CREATED): Date {
  return new Date(from.getTime() + seconds * 1000);
}

/** A SparkPi template as in kubeflow's spark-pi-scheduled.yaml. */
export const TEMPLATE = {
  type: "Scala",
  mode: "cluster",
  image: "spark:3.5.5",
  mainClass: "org.apache.spark.examples.SparkPi",
  mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
  sparkVersion: "3.5.5",
  restartPolicy: { type: "Never" },
  driver: { cores: 1, memory: "512m", serviceAccount: "spark-driver" },
  executor: { instances: 1, cores: 1, memory: "512m" },
};

/** The parent as Metacontroller reads it: the CRD's defaults filled in by the API server. */
export function scheduledParent(
  spec: Record<string, unknown>,
  options: { name?: string; status?: unknown; generation?: number; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: options.name ?? "nightly",
      namespace: "jobs",
      uid: SCHEDULED_UID,
      generation: options.generation ?? 1,
      creationTimestamp: formatTime(CREATED),
      ...(options.labels === undefined ? {} : { labels: options.labels }),
    },
    spec: applyDefaults({ template: TEMPLATE, ...spec }, specSchema),
    ...(options.status === undefined ? {} : { status: options.status }),
  };
}

/** The ScheduledSparkApplication of examples/scheduledsparkapplication/<file>, defaults applied. */
export function exampleScheduled(file: string): KubeObject {
  const { documents, errors } = parseYaml(readFileSync(join(examplesDir, file), "utf8"), file);
  if (errors.length > 0) throw new Error(errors.join("\n"));
  const found = (documents as KubeObject[]).find((document) => document.kind === KIND);
  if (found === undefined) throw new Error(`${file}: no ${KIND}`);
  return {
    ...found,
    metadata: {
      ...found.metadata,
      namespace: found.metadata.namespace ?? "default",
      uid: SCHEDULED_UID,
      generation: 1,
      creationTimestamp: formatTime(CREATED),
    },
    spec: applyDefaults((found as { spec?: unknown }).spec, specSchema),
  };
}

export interface ScheduledWorld {
  readonly parent: KubeObject;
  readonly runs: readonly KubeObject[];
}

export function scheduledRequest(world: ScheduledWorld): SyncRequest {
  const children: SyncRequest["children"] = {};
  for (const run of world.runs) {
    const key = typeKey(run.apiVersion, run.kind);
    children[key] = { ...children[key], [run.metadata.name]: run };
  }
  return { parent: world.parent, children, related: {}, finalizing: false };
}

export type ScheduledAnswer = SyncResponse & { readonly status: Record<string, unknown> };

export function syncAt(world: ScheduledWorld, now: Date): ScheduledAnswer {
  return syncScheduledSparkApplication(scheduledRequest(world), now).response;
}

/** A run as the API server stores it once Metacontroller created it. */
function created(desired: DesiredObject, parent: KubeObject, now: Date): KubeObject {
  const metadata = desired.metadata as KubeObject["metadata"];
  return {
    ...(desired as KubeObject),
    metadata: {
      ...metadata,
      namespace: parent.metadata.namespace,
      uid: `run-${metadata.name}`,
      creationTimestamp: formatTime(now),
      labels: { ...metadata.labels, "controller-uid": parent.metadata.uid ?? "" },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: KIND,
          name: parent.metadata.name,
          uid: parent.metadata.uid,
          controller: true,
        },
      ],
    },
  };
}

/** Metacontroller's side of one sync: status written, new runs created, left-out runs deleted. */
export function step(world: ScheduledWorld, now: Date): { answer: ScheduledAnswer; world: ScheduledWorld } {
  const answer = syncAt(world, now);
  const wanted = new Set(answer.children.map((child) => child.metadata.name));
  const kept = world.runs.filter((run) => wanted.has(run.metadata.name));
  const existing = new Set(kept.map((run) => run.metadata.name));
  const added = answer.children
    .filter((child) => !existing.has(child.metadata.name))
    .map((child) => created(child, world.parent, now));
  return {
    answer,
    world: { parent: { ...world.parent, status: answer.status }, runs: [...kept, ...added] },
  };
}

/** Sets a run's SparkApplication state, as its own controller would report it. */
export function withRunState(world: ScheduledWorld, name: string, state: string): ScheduledWorld {
  let found = false;
  const runs = world.runs.map((run) => {
    if (run.metadata.name !== name) return run;
    found = true;
    return { ...run, status: { applicationState: { state } } };
  });
  if (!found) throw new Error(`no run ${name}`);
  return { ...world, runs };
}

export function runNames(world: ScheduledWorld): string[] {
  return world.runs.filter((run) => run.kind === RUN_KIND).map((run) => run.metadata.name);
}
