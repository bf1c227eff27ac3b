/**
 * Building SparkHistoryServer sync requests the way Metacontroller sends them, and the objects
 * it observes: children as created (test/support/observe.ts), claims bound by a provisioner.
 */
import type { DesiredObject, KubeObject, SyncRequest } from "../../hooks/metacontroller/protocol.js";
import { typeKey } from "../../hooks/metacontroller/protocol.js";
import type { SyncResult } from "../../hooks/controller.js";
import { controller } from "../../hooks/spark-history-server/controller.js";
import { syncSparkHistoryServer } from "../../hooks/spark-history-server/sync.js";
import { NOW } from "./cluster.js";
import { observe } from "./observe.js";

export const SERVER_UID = "6c0b8e4d-2f71-4a93-b5e8-1d9f3a7c2e50";

export function serverParent(
  spec: unknown,
  options: { name?: string; namespace?: string; generation?: number; status?: unknown } = {},
): KubeObject {
  return {
    apiVersion: controller.apiVersion,
    kind: controller.kind,
    metadata: {
      name: options.name ?? "history",
      namespace: options.namespace ?? "spark-jobs",
      uid: SERVER_UID,
      generation: options.generation ?? 1,
    },
    spec,
    ...(options.status === undefined ? {} : { status: options.status }),
  };
}

export function serverRequest(parent: KubeObject, observed: readonly KubeObject[] = []): SyncRequest {
  // Metacontroller sends one (possibly empty) map per child type of the CompositeController.
  const children: Record<string, Record<string, KubeObject>> = Object.fromEntries(
    controller.childTypes.map((type) => [typeKey(type.apiVersion, type.kind), {}]),
  );
  for (const object of observed) {
    const key = typeKey(object.apiVersion, object.kind);
    children[key] = { ...children[key], [object.metadata.name]: object };
  }
  return { parent, children, related: {}, finalizing: false };
}

export function syncServer(parent: KubeObject, observed: readonly KubeObject[] = [], now = NOW): SyncResult {
  return syncSparkHistoryServer(serverRequest(parent, observed), now);
}

/** A claim as the API server reports it once a volume is bound to it. */
export function bound(claim: KubeObject, capacity = "1Gi"): KubeObject {
  return {
    ...claim,
    status: { phase: "Bound", accessModes: ["ReadWriteMany"], capacity: { storage: capacity } },
  };
}

/** Desired children as observed: created, pods Running and Ready, claims Bound. */
export function observeServerChildren(desired: readonly DesiredObject[], parent: KubeObject): KubeObject[] {
  return desired.map((child, index) => {
    const observed = observe(child, parent, index);
    return observed.kind === "PersistentVolumeClaim" ? bound(observed) : observed;
  });
}

/** Syncs until the desired children are exactly the observed ones. */
export function convergeServer(
  parent: KubeObject,
  observed: readonly KubeObject[] = [],
  rounds = 10,
): KubeObject[] {
  let world = [...observed];
  const names = (objects: readonly { kind: string; metadata: { name: string } }[]) =>
    objects
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort()
      .join(",");
  for (let round = 0; round < rounds; round += 1) {
    const desired = syncServer(parent, world).response.children;
    const kept = new Map(world.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
    const next = desired.map(
      (child, index) =>
        kept.get(`${child.kind}/${child.metadata.name}`) ??
        observeServerChildren([child], parent)[0] ??
        observe(child, parent, index),
    );
    if (names(next) === names(world)) return world;
    world = next;
  }
  throw new Error(`no steady state after ${rounds} rounds`);
}
