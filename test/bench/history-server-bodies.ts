/**
 * SparkHistoryServer sync request bodies for the benchmark: examples/sparkhistoryserver/
 * exposed.yaml (an event log claim, an Ingress of class nginx) once it is up, as Metacontroller
 * sends it on every resync. Its children come from the real controller through the same
 * steady-state loop as the other bodies; the claim is bound by the default StorageClass's
 * provisioner and the Ingress has the address its controller published.
 */
import { structuralSchema } from "../../hooks/crd/structural.js";
import type { DesiredObject, KubeObject } from "../../hooks/metacontroller/protocol.js";
import { controller as historyServerController } from "../../hooks/spark-history-server/controller.js";
import { SparkHistoryServerSpec } from "../../hooks/spark-history-server/schema.js";
import { applyDefaults } from "../crd/structural-rules.js";
import { observe } from "../support/observe.js";
import { BENCH_NAMESPACE, steadyState, type BenchCase, type SteadyState } from "./bodies.js";

const PARENT_UID = "b81f4c2d-6e3a-4f97-8c05-2a9d7e1b3f64";
/**
 * examples/sparkhistoryserver/exposed.yaml (the bench runs from dist/, which has no examples;
 * history-server-bodies.test.ts checks the two are the same).
 */
export const EXPOSED_EXAMPLE = {
  name: "spark-history",
  spec: {
    sharedVolume: { size: "5Gi" },
    expose: true,
    host: "spark-history.example.com",
    ingressClassName: "nginx",
    retainedApplications: 100,
    nodeSelector: { "kubernetes.io/os": "linux" },
  },
};
const specSchema = structuralSchema(SparkHistoryServerSpec, { path: "spec" });

/** The example as Metacontroller reads it: the CRD's defaults filled in by the API server. */
function sparkHistoryServer(status?: Readonly<Record<string, unknown>>): KubeObject {
  const { apiVersion, kind } = historyServerController;
  return {
    apiVersion,
    kind,
    metadata: {
      name: EXPOSED_EXAMPLE.name,
      namespace: BENCH_NAMESPACE,
      uid: PARENT_UID,
      resourceVersion: "50342",
      generation: 1,
      creationTimestamp: "2026-09-01T09:13:58Z",
      managedFields: [
        {
          manager: "kubectl-client-side-apply",
          operation: "Update",
          apiVersion,
          time: "2026-09-01T09:13:58Z",
          fieldsType: "FieldsV1",
          fieldsV1: { "f:spec": { "f:sharedVolume": { "f:size": {} }, "f:expose": {}, "f:host": {} } },
        },
        {
          manager: "metacontroller",
          operation: "Update",
          apiVersion,
          time: "2026-09-01T09:20:42Z",
          fieldsType: "FieldsV1",
          fieldsV1: { "f:status": {} },
          subresource: "status",
        },
      ],
    },
    spec: applyDefaults(structuredClone(EXPOSED_EXAMPLE.spec), specSchema),
    ...(status === undefined ? {} : { status: { ...status, observedGeneration: 1 } }),
  };
}

type Json = Record<string, unknown>;

/**
 * A created child as the cluster reports it: the claim bound to a volume the default
 * StorageClass provisioned (the DefaultStorageClass admission plugin names the class), the
 * Ingress with the load balancer address ingress-nginx writes; everything else as `observe`.
 */
function observeHistoryChild(desired: DesiredObject, parent: KubeObject, index: number): KubeObject {
  const object = observe(desired, parent, index) as KubeObject & { spec?: Json; status?: Json };
  if (object.kind === "PersistentVolumeClaim") {
    const spec = object.spec ?? {};
    const requests = (spec["resources"] as { requests?: Json } | undefined)?.requests ?? {};
    return {
      ...object,
      metadata: {
        ...object.metadata,
        annotations: {
          ...object.metadata.annotations,
          "pv.kubernetes.io/bind-completed": "yes",
          "pv.kubernetes.io/bound-by-controller": "yes",
          "volume.beta.kubernetes.io/storage-provisioner": "nfs.csi.k8s.io",
          "volume.kubernetes.io/storage-provisioner": "nfs.csi.k8s.io",
        },
        finalizers: ["kubernetes.io/pvc-protection"],
      },
      spec: { ...spec, storageClassName: "nfs-csi", volumeName: `pvc-${object.metadata.uid ?? ""}` },
      status: {
        phase: "Bound",
        accessModes: spec["accessModes"],
        capacity: { storage: requests["storage"] },
      },
    };
  }
  if (object.kind === "Ingress") {
    return { ...object, status: { loadBalancer: { ingress: [{ ip: "203.0.113.40" }] } } };
  }
  return object;
}

/** examples/sparkhistoryserver/exposed.yaml, Running with its claim bound and its Ingress published. */
export function historyServerCase(): BenchCase {
  return {
    controller: historyServerController,
    parent: sparkHistoryServer,
    observe: observeHistoryChild,
    counted: (children) => Object.keys(children["Pod.v1"] ?? {}).length,
  };
}

export function historyServerSteadyState(): SteadyState {
  return steadyState(historyServerCase());
}
