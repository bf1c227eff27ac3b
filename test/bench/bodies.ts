/**
 * Realistic sync request bodies for the benchmark, produced by the real controllers: sync with
 * no children, turn each desired child into what Metacontroller would observe (and add the
 * related objects other actors create from it), and repeat until the controller asks for
 * exactly what is observed (steady state). The returned body is the request Metacontroller
 * sends on every resync of a healthy parent.
 */
import type { ControllerModule } from "../../hooks/controller.js";
import {
  SyncRequest,
  typeKey,
  type DesiredObject,
  type KubeObject,
  type SyncResponse,
} from "../../hooks/metacontroller/protocol.js";
import { LABEL_COMPONENT } from "../../hooks/spark/labels.js";
import { controller as sparkClusterController } from "../../hooks/spark-cluster/controller.js";
import { LAST_APPLIED_ANNOTATION, lastAppliedConfiguration, observe } from "../support/observe.js";

/** One clock for every sync, so conditions do not move between rounds. */
export const BENCH_NOW = new Date("2026-11-22T10:00:00Z");
const MAX_ROUNDS = 10;
/** The SparkCluster controller: its spec is SparkCluster's, its names come from the module. */
export const BENCH_CONTROLLER: ControllerModule = sparkClusterController;
const { apiVersion: API_VERSION, kind: KIND } = BENCH_CONTROLLER;
export const SYNC_PATH = syncPath(BENCH_CONTROLLER);

const PARENT_UID = "3f6d0c1e-8a55-4d0b-9d3e-6f2b7c1a9e42";
/** The namespace of every benchmark parent. */
export const BENCH_NAMESPACE = "spark-bench";

export function syncPath(controller: ControllerModule): string {
  return `/${controller.resource}/sync`;
}

/** The CompositeController object Metacontroller puts in every request for `controller`. */
const compositeController = (controller: ControllerModule) => ({
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: {
    name: `sparkhooks-${controller.kind.toLowerCase()}`,
    uid: "0c6e9a41-27b5-4e8f-a1d2-9f4b3c7e5a18",
    resourceVersion: "47011",
    generation: 1,
    creationTimestamp: "2026-09-01T09:10:12Z",
  },
  spec: {
    parentResource: { apiVersion: controller.apiVersion, resource: controller.resource },
    // Pods are immutable children (OnDelete); everything else is updated in place.
    childResources: controller.childTypes.map(({ apiVersion, resource }) => ({
      apiVersion,
      resource,
      updateStrategy: { method: resource === "pods" ? "OnDelete" : "InPlace", statusChecks: {} },
    })),
    generateSelector: true,
    resyncPeriodSeconds: 60,
    hooks: {
      sync: {
        version: "v1",
        webhook: {
          service: { name: "sparkhooks", namespace: "sparkhooks", port: 80, protocol: "http" },
          path: syncPath(controller),
          timeout: "10s",
        },
      },
    },
  },
  status: {},
});

/**
 * The benchmark's parent with `workers` workers; `extraSpec` adds fields to its spec (the
 * memory run pads every pod with environment variables).
 */
export function sparkCluster(
  workers: number,
  status?: Readonly<Record<string, unknown>>,
  extraSpec: Readonly<Record<string, unknown>> = {},
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: "bench",
      namespace: BENCH_NAMESPACE,
      uid: PARENT_UID,
      resourceVersion: "48215",
      generation: 1,
      creationTimestamp: "2026-09-01T09:13:58Z",
      labels: { team: "data-eng" },
      managedFields: [
        {
          manager: "kubectl-client-side-apply",
          operation: "Update",
          apiVersion: API_VERSION,
          time: "2026-09-01T09:13:58Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": { "f:labels": { "f:team": {} } },
            "f:spec": { "f:worker": { "f:instances": {} } },
          },
        },
        {
          manager: "metacontroller",
          operation: "Update",
          apiVersion: API_VERSION,
          time: "2026-09-01T09:20:42Z",
          fieldsType: "FieldsV1",
          fieldsV1: { "f:status": {} },
          subresource: "status",
        },
      ],
    },
    spec: { ...extraSpec, worker: { instances: workers } },
    // Metacontroller writes the hook's status back with observedGeneration added.
    ...(status === undefined ? {} : { status: { ...status, observedGeneration: 1 } }),
  };
}

interface Observed {
  readonly object: KubeObject;
  /** JSON of what Metacontroller applied; a desired child equal to it needs no write. */
  readonly applied: string;
}

type ObjectsByType = Record<string, Record<string, KubeObject>>;

/** One parent of one controller, as the benchmark builds its steady-state request. */
export interface BenchCase {
  readonly controller: ControllerModule;
  /** The parent with the status the previous sync returned (none before the first). */
  parent(status: Readonly<Record<string, unknown>> | undefined): KubeObject;
  /** What Metacontroller relates to the parent once `children` exist (default: nothing). */
  related?(parent: KubeObject, children: readonly KubeObject[]): ObjectsByType;
  /** The pods the body is about (workers, executors): how many the request holds. */
  counted(children: ObjectsByType, related: ObjectsByType): number;
  /**
   * What the API server (and whoever writes the child's status) makes of a created child
   * (default: test/support/observe.ts's `observe`).
   */
  readonly observe?: (desired: DesiredObject, parent: KubeObject, index: number) => KubeObject;
  /**
   * Children that exist before the first sync (a schedule's earlier runs), each created by
   * Metacontroller, so it carries the last-applied annotation a kept child is compared with.
   */
  readonly existing?: readonly KubeObject[];
  /** The clock of every sync (default BENCH_NOW). */
  readonly now?: Date;
}

function requestOf(benchCase: BenchCase, parent: KubeObject, observed: ReadonlyMap<string, Observed>) {
  const { controller } = benchCase;
  // Metacontroller sends one (possibly empty) map per child type.
  const children: ObjectsByType = Object.fromEntries(
    controller.childTypes.map((type) => [typeKey(type.apiVersion, type.kind), {}]),
  );
  const objects = [...observed.values()].map(({ object }) => object);
  for (const object of objects) {
    const type = typeKey(object.apiVersion, object.kind);
    (children[type] ??= {})[object.metadata.name] = object;
  }
  const related = benchCase.related?.(parent, objects) ?? {};
  return { controller: compositeController(controller), parent, children, related, finalizing: false };
}

const childKey = (child: DesiredObject) => `${child.apiVersion}/${child.kind}/${child.metadata.name}`;

/** An existing child as observed: what Metacontroller applied is in its annotation. */
function existingChild(object: KubeObject): [string, Observed] {
  const applied = object.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (applied === undefined)
    throw new Error(`${object.kind} ${object.metadata.name} has no ${LAST_APPLIED_ANNOTATION} annotation`);
  return [childKey(object), { object, applied }];
}

export interface SteadyState {
  /** The request body, compact JSON as Metacontroller sends it. */
  readonly body: string;
  readonly response: SyncResponse;
  readonly rounds: number;
  /** BenchCase.counted of the request. */
  readonly pods: number;
}

/** Syncs until desired == observed and the status no longer changes; throws if it never settles. */
export function steadyState(benchCase: BenchCase): SteadyState {
  let observed = new Map<string, Observed>((benchCase.existing ?? []).map(existingChild));
  let status: Readonly<Record<string, unknown>> | undefined;
  const indexes = new Map<string, number>([...observed.keys()].map((key, index) => [key, index]));
  const observeChild = benchCase.observe ?? observe;

  for (let round = 1; round <= MAX_ROUNDS; round += 1) {
    const parent = benchCase.parent(status);
    const request = requestOf(benchCase, parent, observed);
    const { response } = benchCase.controller.sync(SyncRequest.parse(request), benchCase.now ?? BENCH_NOW);

    const next = new Map<string, Observed>();
    let changed = response.children.length !== observed.size;
    for (const child of response.children) {
      const key = childKey(child);
      const applied = JSON.stringify(lastAppliedConfiguration(child, parent));
      const before = observed.get(key);
      if (before !== undefined && before.applied === applied) {
        next.set(key, before);
        continue;
      }
      changed = true;
      if (!indexes.has(key)) indexes.set(key, indexes.size);
      next.set(key, { object: observeChild(child, parent, indexes.get(key) ?? 0), applied });
    }
    const statusChanged = JSON.stringify(response.status) !== JSON.stringify(status);

    if (!changed && !statusChanged) {
      const pods = benchCase.counted(request.children, request.related);
      return { body: JSON.stringify(request), response, rounds: round, pods };
    }
    observed = next;
    status = response.status;
  }
  throw new Error(`${benchCase.controller.kind} did not reach a steady state in ${MAX_ROUNDS} syncs`);
}

/** A healthy SparkCluster with `workers` workers; `extraSpec` as for `sparkCluster`. */
export function clusterCase(workers: number, extraSpec: Readonly<Record<string, unknown>> = {}): BenchCase {
  return {
    controller: BENCH_CONTROLLER,
    parent: (status) => sparkCluster(workers, status, extraSpec),
    counted: (children) =>
      Object.values(children["Pod.v1"] ?? {}).filter(
        (pod) => pod.metadata.labels?.[LABEL_COMPONENT] === "worker",
      ).length,
  };
}

/** The SparkCluster steady state of `controller` (the SparkCluster controller) with `workers` workers. */
export function steadyStateSync(
  controller: ControllerModule,
  workers: number,
  extraSpec: Readonly<Record<string, unknown>> = {},
): SteadyState {
  return steadyState({ ...clusterCase(workers, extraSpec), controller });
}
