import { ConfigMap, Pod, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import { KubeObject as KubeObjectSchema } from "../../hooks/metacontroller/protocol.js";
import {
  CONTROLLER_UID_LABEL,
  LAST_APPLIED_ANNOTATION,
  lastAppliedConfiguration,
  observe,
} from "./observe.js";

const parent: KubeObject = {
  apiVersion: "sparkhooks.dev/v1alpha1",
  kind: "SparkCluster",
  metadata: {
    name: "demo",
    namespace: "spark-jobs",
    uid: "3f6d0c1e-8a55-4d0b-9d3e-6f2b7c1a9e42",
    generation: 1,
  },
  spec: { worker: { instances: 1 } },
};

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "demo-worker-0", labels: { role: "worker" } },
  spec: {
    containers: [
      {
        name: "spark-worker",
        image: "apache/spark:4.3.0",
        ports: [{ name: "http", containerPort: 8081 }],
        env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
        resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "2Gi" } },
        readinessProbe: { httpGet: { path: "/", port: 8081 } },
        volumeMounts: [{ name: "conf", mountPath: "/opt/spark/conf", readOnly: true }],
      },
    ],
    volumes: [{ name: "conf", configMap: { name: "demo-conf" } }],
  },
};

const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "demo" },
  spec: { selector: { role: "master" }, ports: [{ name: "spark", port: 7077 }] },
};

const configMap = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "demo-conf" },
  data: { "spark-defaults.conf": "spark.ui.reverseProxy true\n" },
};

describe("observe", () => {
  it.each([
    ["Pod", pod, Pod],
    ["Service", service, Service],
    ["ConfigMap", configMap, ConfigMap],
  ] as const)(
    "produces a %s that is a valid Kubernetes object and a valid observed child",
    (_kind, desired, Model) => {
      const observed = observe(desired, parent, 7);
      expect(() => new Model(observed as never).validate()).not.toThrow();
      expect(KubeObjectSchema.safeParse(observed).success).toBe(true);
    },
  );

  it("records what Metacontroller applied, with the parent's namespace and controller-uid label", () => {
    const observed = observe(pod, parent, 0);
    const applied = JSON.parse(observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? "null") as unknown;
    expect(applied).toEqual(lastAppliedConfiguration(pod, parent));
    expect(applied).toMatchObject({
      metadata: {
        namespace: "spark-jobs",
        labels: { role: "worker", [CONTROLLER_UID_LABEL]: parent.metadata.uid },
      },
    });
    expect(observed.metadata.labels).toEqual({ role: "worker", [CONTROLLER_UID_LABEL]: parent.metadata.uid });
  });

  it("makes the parent the controlling owner", () => {
    expect(observe(service, parent, 0).metadata["ownerReferences"]).toEqual([
      {
        apiVersion: "sparkhooks.dev/v1alpha1",
        kind: "SparkCluster",
        name: "demo",
        uid: parent.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it("reports a pod Running and Ready with a pod IP derived from its index", () => {
    const status = observe(pod, parent, 301)["status"] as Record<string, unknown>;
    expect(status).toMatchObject({
      phase: "Running",
      podIP: "10.244.1.53",
      qosClass: "Burstable",
      containerStatuses: [expect.objectContaining({ name: "spark-worker", ready: true, started: true })],
    });
    expect(status["conditions"]).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
  });

  it("adds the server-side defaults of a pod", () => {
    const spec = observe(pod, parent, 0)["spec"] as {
      containers: Record<string, unknown>[];
      [k: string]: unknown;
    };
    expect(spec).toMatchObject({
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      restartPolicy: "Always",
    });
    expect(spec["volumes"]).toContainEqual(
      expect.objectContaining({ name: expect.stringMatching(/^kube-api-access-/) }),
    );
    expect(spec.containers[0]).toMatchObject({
      terminationMessagePath: "/dev/termination-log",
      imagePullPolicy: "IfNotPresent",
      ports: [{ name: "http", containerPort: 8081, protocol: "TCP" }],
    });
  });

  it("mounts no service account token into a pod that opts out", () => {
    const optOut = { ...pod, spec: { ...pod.spec, automountServiceAccountToken: false } };
    const spec = observe(optOut, parent, 0)["spec"] as { volumes: { name: string }[] };
    expect(spec.volumes.map((v) => v.name)).toEqual(["conf"]);
  });

  it("is deterministic", () => {
    expect(JSON.stringify(observe(pod, parent, 3))).toBe(JSON.stringify(observe(pod, parent, 3)));
  });

  it("does not change the desired object", () => {
    const before = JSON.stringify(pod);
    observe(pod, parent, 0);
    expect(JSON.stringify(pod)).toBe(before);
  });
});
