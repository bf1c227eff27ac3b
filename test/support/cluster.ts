/**
 * Building SparkCluster sync requests the way Metacontroller sends them, and moving observed
 * pods through the states the kubelet reports.
 */
import type { DesiredObject, KubeObject, SyncRequest } from "../../hooks/metacontroller/protocol.js";
import { typeKey } from "../../hooks/metacontroller/protocol.js";
import type { SyncResult } from "../../hooks/controller.js";
import { controller } from "../../hooks/spark-cluster/controller.js";
import { syncSparkCluster } from "../../hooks/spark-cluster/sync.js";
import { observe } from "./observe.js";

export const NOW = new Date("2026-11-22T10:00:00Z");
export const LATER = new Date("2026-11-22T10:05:00Z");

export function clusterParent(
  spec: unknown,
  options: { name?: string; namespace?: string; generation?: number; status?: unknown } = {},
): KubeObject {
  return {
    apiVersion: controller.apiVersion,
    kind: controller.kind,
    metadata: {
      name: options.name ?? "my-spark",
      namespace: options.namespace ?? "spark-jobs",
      uid: "3f6d0c1e-8a55-4d0b-9d3e-6f2b7c1a9e42",
      generation: options.generation ?? 1,
    },
    spec,
    ...(options.status === undefined ? {} : { status: options.status }),
  };
}

export function groupByType(objects: readonly KubeObject[]): SyncRequest["children"] {
  // Metacontroller sends one (possibly empty) map per child type of the CompositeController.
  const grouped: Record<string, Record<string, KubeObject>> = Object.fromEntries(
    controller.childTypes.map((type) => [typeKey(type.apiVersion, type.kind), {}]),
  );
  for (const object of objects) {
    const key = typeKey(object.apiVersion, object.kind);
    grouped[key] = { ...grouped[key], [object.metadata.name]: object };
  }
  return grouped;
}

export function syncRequest(
  parent: KubeObject,
  observed: readonly KubeObject[] = [],
  related: readonly KubeObject[] = [],
): SyncRequest {
  return {
    parent,
    children: groupByType(observed),
    related: related.length === 0 ? {} : groupByType(related),
    finalizing: false,
  };
}

export function sync(
  parent: KubeObject,
  observed: readonly KubeObject[] = [],
  now = NOW,
  related: readonly KubeObject[] = [],
): SyncResult {
  return syncSparkCluster(syncRequest(parent, observed, related), now);
}

/** What Metacontroller, the API server and a healthy kubelet make of the desired children. */
export function observeAll(desired: readonly DesiredObject[], parent: KubeObject): KubeObject[] {
  return desired.map((child, index) => observe(child, parent, index));
}

/** Syncs until the desired children equal the observed ones, all pods Running and Ready. */
export function converge(
  parent: KubeObject,
  observed: readonly KubeObject[] = [],
  rounds = 20,
  related: readonly KubeObject[] = [],
): KubeObject[] {
  let world = [...observed];
  for (let round = 0; round < rounds; round += 1) {
    const desired = sync(parent, world, NOW, related).response.children;
    const names = (objects: readonly { metadata: { name: string } }[]) =>
      objects
        .map((o) => o.metadata.name)
        .sort()
        .join(",");
    const kept = new Map(world.map((o) => [o.metadata.name, o]));
    const next = desired.map(
      (child, index) => kept.get(child.metadata.name) ?? observe(child, parent, index),
    );
    if (names(next) === names(world)) return world;
    world = next;
  }
  throw new Error(`no steady state after ${rounds} rounds`);
}

export function withPodStatus(pod: KubeObject, status: Record<string, unknown>): KubeObject {
  return { ...pod, status };
}

export function notReady(pod: KubeObject): KubeObject {
  return withPodStatus(pod, {
    phase: "Running",
    conditions: [{ type: "Ready", status: "False" }],
  });
}

export function evicted(pod: KubeObject): KubeObject {
  return withPodStatus(pod, {
    phase: "Failed",
    reason: "Evicted",
    message: "The node was low on resource: memory.",
  });
}

export function imagePullBackOff(pod: KubeObject): KubeObject {
  return withPodStatus(pod, {
    phase: "Pending",
    conditions: [{ type: "Ready", status: "False" }],
    containerStatuses: [
      {
        name: "spark",
        state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } },
      },
    ],
  });
}

export function crashLooping(pod: KubeObject): KubeObject {
  return withPodStatus(pod, {
    phase: "Running",
    conditions: [{ type: "Ready", status: "False" }],
    containerStatuses: [
      {
        name: "spark",
        restartCount: 7,
        state: {
          waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s restarting failed container" },
        },
      },
    ],
  });
}

export function unschedulable(pod: KubeObject): KubeObject {
  return withPodStatus(pod, {
    phase: "Pending",
    conditions: [
      {
        type: "PodScheduled",
        status: "False",
        reason: "Unschedulable",
        message: "0/3 nodes are available: 3 Insufficient memory.",
      },
    ],
  });
}

export function terminating(object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, deletionTimestamp: "2026-11-22T09:59:00Z" } };
}

interface Labelled {
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>> | undefined;
  };
}

export function podsOf<T extends Labelled>(objects: readonly T[], component?: string): T[] {
  return objects.filter(
    (o) =>
      o.kind === "Pod" &&
      (component === undefined || o.metadata.labels?.["app.kubernetes.io/component"] === component),
  );
}

export function namesOf(objects: readonly { metadata: { name: string } }[]): string[] {
  return objects.map((o) => o.metadata.name);
}

export function condition(status: unknown, type: string): Record<string, unknown> | undefined {
  const list = (status as { conditions?: Record<string, unknown>[] }).conditions ?? [];
  return list.find((c) => c.type === type);
}
