import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { ConfigMap, PersistentVolumeClaim, Pod, Service } from "kubernetes-models/v1";
import type { IPodSpec } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { LATER, NOW, imagePullBackOff, notReady, evicted } from "../../test/support/cluster.js";
import {
  convergeServer,
  serverParent,
  serverRequest,
  syncServer,
} from "../../test/support/history-servers.js";
import { syncSparkHistoryServer } from "./sync.js";
import { restrictedViolations } from "../../test/support/pod-security.js";

type Child = DesiredObject & Record<string, unknown>;

function children(parent: KubeObject, observed: readonly KubeObject[] = [], now = NOW): Child[] {
  return syncServer(parent, observed, now).response.children as Child[];
}

function ofKind(objects: readonly Child[], kind: string): Child[] {
  return objects.filter((object) => object.kind === kind);
}

function only(objects: readonly Child[], kind: string): Child {
  const found = ofKind(objects, kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Child;
}

function statusOf(parent: KubeObject, observed: readonly KubeObject[] = [], now = NOW) {
  return syncServer(parent, observed, now).response.status as Record<string, unknown> & {
    conditions: { type: string; status: string; reason: string; message: string }[];
  };
}

function conditionOf(status: { conditions: { type: string }[] }, type: string) {
  return status.conditions.find((c) => c.type === type) as
    { type: string; status: string; reason: string; message: string } | undefined;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Pod,
  Service,
  ConfigMap,
  PersistentVolumeClaim,
  Ingress,
};

describe("a new sharedVolume history server", () => {
  const parent = serverParent({});
  const desired = children(parent);

  it("asks for its configuration, the claim <name>-claim, the Service <name> and one pod, and no Ingress", () => {
    expect(desired.map((c) => c.kind)).toEqual(["ConfigMap", "PersistentVolumeClaim", "Service", "Pod"]);
    expect(only(desired, "PersistentVolumeClaim").metadata.name).toBe("history-claim");
    expect(only(desired, "Service").metadata.name).toBe("history");
  });

  it("asks for a ReadWriteMany claim of radanalytics' 0.3Gi in whole MiB, without a selector", () => {
    expect(only(desired, "PersistentVolumeClaim")["spec"]).toEqual({
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "308Mi" } },
      volumeMode: "Filesystem",
    });
  });

  it("selects a pre-created volume by matchLabels and uses the storage class given", () => {
    const claim = only(
      children(
        serverParent({
          sharedVolume: { size: "2Gi", matchLabels: { tier: "logs" }, storageClassName: "nfs" },
        }),
      ),
      "PersistentVolumeClaim",
    );
    expect(claim["spec"]).toMatchObject({
      resources: { requests: { storage: "2Gi" } },
      selector: { matchLabels: { tier: "logs" } },
      storageClassName: "nfs",
    });
  });

  it("mounts the claim at mountPath in a pod that runs the HistoryServer from the properties file", () => {
    const pod = only(desired, "Pod") as unknown as { spec: IPodSpec };
    const container = pod.spec.containers[0];
    expect(container?.args).toEqual([
      "/opt/spark/bin/spark-class",
      "org.apache.spark.deploy.history.HistoryServer",
      "--properties-file",
      "/opt/spark/conf/spark-defaults.conf",
    ]);
    expect(container?.volumeMounts).toContainEqual({
      name: "event-logs",
      mountPath: "/history/spark-events",
      readOnly: true,
    });
    expect(pod.spec.volumes).toContainEqual({
      name: "event-logs",
      persistentVolumeClaim: { claimName: "history-claim" },
    });
    expect(container?.readinessProbe?.httpGet).toEqual({
      path: "/api/v1/version",
      port: 18080,
      scheme: "HTTP",
    });
  });

  it("refuses the claim mounted over /, where it would hide the image and no writer could mount it", () => {
    const result = syncServer(serverParent({ sharedVolume: { mountPath: "/" } }));
    expect(result.outcome).toBe("invalid_spec");
    expect(conditionOf(result.response.status as never, "Ready")?.message).toContain(
      "spec.sharedVolume.mountPath",
    );
  });

  it("mounts the claim writable only when the cleaner deletes old logs", () => {
    const pod = only(children(serverParent({ cleaner: { enabled: true } })), "Pod") as unknown as {
      spec: IPodSpec;
    };
    expect(pod.spec.containers[0]?.volumeMounts).toContainEqual({
      name: "event-logs",
      mountPath: "/history/spark-events",
    });
  });

  it("renders a pod the restricted Pod Security profile admits, as uid 185 with a read-only root filesystem", () => {
    const pod = only(desired, "Pod") as unknown as { spec: IPodSpec };
    expect(restrictedViolations(pod.spec)).toEqual([]);
    expect(pod.spec.securityContext?.runAsUser).toBe(185);
    expect(pod.spec.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  it("yields only objects kubernetes-models accepts", () => {
    for (const child of desired) {
      const Model = MODELS[child.kind];
      expect(Model, child.kind).toBeDefined();
      expect(() =>
        new (Model as new (data: unknown) => { validate(): void })(child).validate(),
      ).not.toThrow();
    }
  });

  it("reports Pending with the in-cluster URL, the log directory and the claim", () => {
    const status = statusOf(parent);
    expect(status).toMatchObject({
      phase: "Pending",
      url: "http://history.spark-jobs.svc:18080",
      logDirectory: "file:/history/spark-events",
      claim: { name: "history-claim", mountPath: "/history/spark-events" },
      ready: false,
    });
    expect(conditionOf(status, "Ready")?.message).toContain("claim history-claim is not bound yet");
  });
});

describe("a remoteStorage history server", () => {
  const parent = serverParent({
    type: "remoteStorage",
    remoteURI: "s3a://logs/events",
    hadoopConf: { "fs.s3a.endpoint": "http://minio:9000" },
    hadoopConfigMap: "hadoop-site",
    envFrom: [{ secretRef: { name: "s3-credentials" } }],
  });
  const desired = children(parent);

  it("has no claim and mounts none", () => {
    expect(ofKind(desired, "PersistentVolumeClaim")).toEqual([]);
    const pod = only(desired, "Pod") as unknown as { spec: IPodSpec };
    expect(pod.spec.volumes?.some((v) => v.persistentVolumeClaim !== undefined)).toBe(false);
  });

  it("takes credentials from the Secret and Hadoop's files from HADOOP_CONF_DIR", () => {
    const container = (only(desired, "Pod") as unknown as { spec: IPodSpec }).spec.containers[0];
    expect(container?.envFrom).toEqual([{ secretRef: { name: "s3-credentials" } }]);
    expect(container?.env).toContainEqual({ name: "HADOOP_CONF_DIR", value: "/opt/hadoop/conf" });
    expect(container?.volumeMounts).toContainEqual({
      name: "hadoop-conf",
      mountPath: "/opt/hadoop/conf",
      readOnly: true,
    });
  });

  it("reports the remote log directory and no claim", () => {
    const status = statusOf(parent);
    expect(status["logDirectory"]).toBe("s3a://logs/events");
    expect(status["claim"]).toBeUndefined();
  });

  it("without remoteURI or logDirectory is an invalid spec naming spec.remoteURI", () => {
    const result = syncServer(serverParent({ type: "remoteStorage" }));
    expect(result.outcome).toBe("invalid_spec");
    expect(conditionOf(result.response.status as never, "Ready")?.message).toContain("spec.remoteURI");
  });
});

describe("expose", () => {
  it("adds the Ingress <name> for host, routing / to the Service's web-ui port, and reports its URL", () => {
    const parent = serverParent({ expose: true, host: "history.example.com", ingressClassName: "nginx" });
    const ingress = only(children(parent), "Ingress");
    expect(ingress["spec"]).toEqual({
      ingressClassName: "nginx",
      rules: [
        {
          host: "history.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "history", port: { name: "web-ui" } } },
              },
            ],
          },
        },
      ],
    });
    expect(statusOf(parent)["ingressURL"]).toBe("http://history.example.com/");
  });

  it("without a host reports the address the Ingress controller publishes, once there is one", () => {
    const parent = serverParent({ expose: true, host: "" });
    const world = convergeServer(parent);
    expect(statusOf(parent, world)["ingressURL"]).toBeUndefined();
    const published = world.map((o) =>
      o.kind === "Ingress" ? { ...o, status: { loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } } } : o,
    );
    expect(statusOf(parent, published)["ingressURL"]).toBe("http://203.0.113.7/");
  });

  it("removed again drops the Ingress", () => {
    const world = convergeServer(serverParent({ expose: true }));
    expect(ofKind(children(serverParent({ expose: false }, { generation: 2 }), world), "Ingress")).toEqual(
      [],
    );
  });
});

describe("expose through a Gateway (deploy/components/gateway-api)", () => {
  const spec = {
    expose: true,
    host: "history.example.com",
    gateway: { name: "public", namespace: "gateways" },
  };

  it("renders an HTTPRoute to the Service's UI port instead of the Ingress, in its defaulted form", () => {
    const desired = children(serverParent(spec));
    expect(ofKind(desired, "Ingress")).toEqual([]);
    const route = only(desired, "HTTPRoute");
    expect(route.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(route.metadata.name).toBe("history");
    expect(route["spec"]).toEqual({
      parentRefs: [
        { group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" },
      ],
      hostnames: ["history.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ group: "", kind: "Service", name: "history", port: 18080, weight: 1 }],
        },
      ],
    });
    expect(statusOf(serverParent(spec))["ingressURL"]).toBe("http://history.example.com/");
  });

  it("is refused, naming spec.gateway, when the CompositeController does not list httproutes", () => {
    const controller = { spec: { childResources: [{ apiVersion: "v1", resource: "pods" }] } };
    const request = { ...serverRequest(serverParent(spec)), controller };
    const result = syncSparkHistoryServer(request, NOW);
    expect(result.outcome).toBe("invalid_spec");
    expect(conditionOf(result.response.status as never, "Ready")?.message).toContain(
      "spec.gateway: the CompositeController does not list httproutes",
    );
  });
});

describe("steady state", () => {
  const parent = serverParent({ expose: true, host: "h.example.com" });
  const world = convergeServer(parent);

  it("is Running and Ready once the pod is ready and the claim bound", () => {
    const status = statusOf(parent, world);
    expect(status).toMatchObject({
      phase: "Running",
      ready: true,
      claim: { name: "history-claim", phase: "Bound", capacity: "1Gi" },
    });
    expect(conditionOf(status, "Ready")).toMatchObject({ status: "True", reason: "HistoryServerReady" });
    expect(conditionOf(status, "Reconciling")?.status).toBe("False");
    expect(conditionOf(status, "Stalled")?.status).toBe("False");
    expect(conditionOf(status, "ClaimRetained")).toBeUndefined();
  });

  it("answers the same request with the same bytes, later too once the status is written", () => {
    const first = syncServer(parent, world, NOW).response;
    expect(JSON.stringify(syncServer(parent, world, NOW).response)).toBe(JSON.stringify(first));
    const settled = serverParent({ expose: true, host: "h.example.com" }, { status: first.status });
    expect(JSON.stringify(syncServer(settled, world, LATER).response.status)).toBe(
      JSON.stringify(first.status),
    );
  });

  it("asks for exactly the children that exist", () => {
    const names = (objects: readonly { kind: string; metadata: { name: string } }[]) =>
      objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(children(parent, world))).toEqual(names(world));
  });
});

describe("the event log claim across spec edits", () => {
  const parent = serverParent({ sharedVolume: { size: "1Gi" } });
  const world = convergeServer(parent);
  const claim = world.find((o) => o.kind === "PersistentVolumeClaim") as KubeObject;

  it("is kept as observed when the spec switches to remoteStorage, and status says so", () => {
    const edited = serverParent({ type: "remoteStorage", remoteURI: "s3a://logs/events" }, { generation: 2 });
    const result = syncServer(edited, world);
    const kept = ofKind(result.response.children as Child[], "PersistentVolumeClaim");
    expect(kept.map((c) => c.metadata.name)).toEqual(["history-claim"]);
    expect(kept[0]?.["spec"]).toEqual(claim["spec"] as object);
    const retained = conditionOf(result.response.status as never, "ClaimRetained");
    expect(retained).toMatchObject({ status: "True", reason: "EventLogsKept" });
    expect(retained?.message).toContain("spec.type is remoteStorage");
    // The new pod (the old one serves until it is ready) no longer mounts the claim.
    const observedPods = new Set(world.filter((o) => o.kind === "Pod").map((o) => o.metadata.name));
    const [newPod] = ofKind(result.response.children as Child[], "Pod").filter(
      (p) => !observedPods.has(p.metadata.name),
    ) as unknown as { spec: IPodSpec }[];
    expect(newPod?.spec.volumes?.some((v) => v.persistentVolumeClaim !== undefined)).toBe(false);
  });

  it("keeps its size when spec.sharedVolume.size changes, and reports the difference", () => {
    const edited = serverParent({ sharedVolume: { size: "5Gi" } }, { generation: 2 });
    const result = syncServer(edited, world);
    const kept = only(result.response.children as Child[], "PersistentVolumeClaim");
    expect((kept["spec"] as { resources: unknown }).resources).toEqual({ requests: { storage: "1Gi" } });
    expect(conditionOf(result.response.status as never, "ClaimRetained")?.message).toContain(
      "requests 1Gi, spec.sharedVolume.size asks for 5Gi",
    );
  });

  it("is kept byte for byte when the spec is invalid, with every other child", () => {
    const invalid = serverParent({ updateInterval: 0 }, { generation: 2 });
    const result = syncServer(invalid, world);
    expect(result.outcome).toBe("invalid_spec");
    const observedNames = world.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect((result.response.children as Child[]).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      observedNames,
    );
    const ready = conditionOf(result.response.status as never, "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toContain("spec.updateInterval");
    expect(result.response.status).toMatchObject({
      phase: "Invalid",
      ready: true,
      claim: { name: "history-claim", phase: "Bound" },
    });
  });

  it("is created again after someone deleted it, as the spec asks", () => {
    const without = world.filter((o) => o.kind !== "PersistentVolumeClaim");
    expect(only(children(parent, without), "PersistentVolumeClaim")["spec"]).toMatchObject({
      resources: { requests: { storage: "1Gi" } },
    });
  });
});

describe("replacing the pod", () => {
  const parent = serverParent({});
  const world = convergeServer(parent);
  const oldPod = world.find((o) => o.kind === "Pod") as KubeObject;
  const edited = serverParent({ retainedApplications: 20 }, { generation: 2 });

  it("keeps the ready old pod serving while the new one starts", () => {
    const desired = ofKind(children(edited, world), "Pod");
    expect(desired).toHaveLength(2);
    expect(desired.map((p) => p.metadata.name)).toContain(oldPod.metadata.name);
    expect(statusOf(edited, world)).toMatchObject({ phase: "Updating", ready: true });
  });

  it("drops the old pod once the new one is ready", () => {
    const next = convergeServer(edited, world);
    const pods = next.filter((o) => o.kind === "Pod");
    expect(pods).toHaveLength(1);
    expect(pods[0]?.metadata.name).not.toBe(oldPod.metadata.name);
    expect(statusOf(edited, next)).toMatchObject({ phase: "Running" });
  });

  it("keeps the old configuration while the old pod mounts it", () => {
    const configMaps = ofKind(children(edited, world), "ConfigMap");
    expect(configMaps).toHaveLength(2);
  });

  it("replaces an evicted pod and reports Pending until the new one is ready", () => {
    const evictedWorld = world.map((o) => (o.kind === "Pod" ? evicted(o) : o));
    const desired = ofKind(children(parent, evictedWorld), "Pod");
    // The evicted pod holds the current name: it is deleted first, then created again.
    expect(desired).toEqual([]);
    expect(statusOf(parent, evictedWorld)).toMatchObject({ phase: "Pending", ready: false });
  });

  it("reports Stalled when the pod cannot pull its image", () => {
    const stuck = world.map((o) => (o.kind === "Pod" ? imagePullBackOff(o) : o));
    const status = statusOf(parent, stuck);
    expect(status["phase"]).toBe("Stalled");
    expect(conditionOf(status, "Stalled")?.message).toContain("ImagePullBackOff");
  });

  it("reports Pending while the current pod is not ready yet", () => {
    const starting = world.map((o) => (o.kind === "Pod" ? notReady(o) : o));
    expect(statusOf(parent, starting)).toMatchObject({ phase: "Pending", ready: false });
    expect(conditionOf(statusOf(parent, starting), "Reconciling")?.reason).toBe("Starting");
  });
});

describe("names and fields the hook refuses", () => {
  it.each([
    ["a name too long for <name>-claim", "h".repeat(58), "metadata.name"],
    ["a Service name whose link variable breaks Spark", "spark-master", "SPARK_MASTER_PORT"],
  ])("%s", (_what, name, message) => {
    const result = syncServer(serverParent({}, { name }));
    expect(result.outcome).toBe("invalid_spec");
    expect(conditionOf(result.response.status as never, "Ready")?.message).toContain(message);
  });

  it.each([
    [{ internalPort: 80 }, "spec.internalPort"],
    [{ sharedVolume: { mountPath: "relative" } }, "spec.sharedVolume.mountPath"],
    [{ sharedVolume: { mountPath: "/tmp" } }, "spec.sharedVolume.mountPath"],
    [{ memory: "512Mi" }, "spec.memory"],
    [{ volumeMounts: [{ name: "keytab", mountPath: "/etc/keytab" }] }, "spec.volumeMounts[0].name"],
    [{ cleaner: { maxAge: 0 } }, "spec.cleaner.maxAge"],
    [{ volumes: [{ secret: { secretName: "s" } }] }, "spec.volumes[0].name: needs a name"],
    [{ volumes: [{ name: "tmp", emptyDir: {} }] }, 'spec.volumes[0].name: "tmp" is already used'],
  ])("%j names %s", (spec, field) => {
    const result = syncServer(serverParent(spec));
    expect(result.outcome).toBe("invalid_spec");
    expect(conditionOf(result.response.status as never, "Ready")?.message).toContain(field);
  });

  it("takes extra volumes, such as a Kerberos keytab from a Secret", () => {
    const parent = serverParent({
      kerberos: { enabled: true, principal: "spark@EXAMPLE.COM", keytab: "/etc/keytab/spark.keytab" },
      volumes: [{ name: "keytab", secret: { secretName: "history-keytab" } }],
      volumeMounts: [{ name: "keytab", mountPath: "/etc/keytab", readOnly: true }],
    });
    const pod = only(children(parent), "Pod") as unknown as { spec: IPodSpec };
    expect(pod.spec.volumes).toContainEqual({ name: "keytab", secret: { secretName: "history-keytab" } });
    expect(pod.spec.containers[0]?.volumeMounts).toContainEqual({
      name: "keytab",
      mountPath: "/etc/keytab",
      readOnly: true,
    });
    expect(restrictedViolations(pod.spec)).toEqual([]);
  });
});

describe("a claim observed before it is bound", () => {
  it("reports its phase", () => {
    const parent = serverParent({});
    const world = convergeServer(parent).map((o) =>
      o.kind === "PersistentVolumeClaim" ? { ...o, status: { phase: "Pending" } } : o,
    );
    expect(statusOf(parent, world)["claim"]).toMatchObject({ phase: "Pending" });
  });
});
