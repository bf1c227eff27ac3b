/**
 * SparkHistoryServer end to end on a real API server, controller-manager, scheduler and kwok
 * nodes, driven by the real Metacontroller through our hook server, with the CompositeController
 * and ClusterRole we ship. The bed has no storage provisioner: the scenario pre-creates a
 * ReadWriteMany PersistentVolume whose claimRef names `<name>-claim`, and the controller-manager's
 * persistentvolume-binder-controller binds the claim the hook creates to it (bed.ts), as a
 * provisioner or an administrator's volume would in a cluster. Every step ends with the world
 * steady: one more resync of everything makes zero writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isReady, type ObjectList, type PodView } from "./kube.js";
import { eventually, expectSteady, openWorld, type World } from "./world.js";

interface ServerView {
  metadata: { name: string; generation: number; uid: string };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    observedGeneration?: number;
    url?: string;
    ingressURL?: string;
    logDirectory?: string;
    claim?: { name: string; phase?: string; capacity?: string; mountPath?: string };
    podName?: string;
    ready?: boolean;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

interface ClaimView {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { volumeName?: string; resources: { requests: { storage: string } } };
  status?: { phase?: string };
}

const NAME = "events";
let world: World;
let volumeName: string;

beforeAll(async () => {
  world = await openWorld("sparkhistoryserver");
  volumeName = `${world.namespace}-events`;
  await world.kube.create("/api/v1/persistentvolumes", {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: volumeName },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      // Pre-bound to the claim the hook will create; kwok never mounts it.
      claimRef: { namespace: world.namespace, name: `${NAME}-claim` },
      hostPath: { path: "/var/lib/sparkhooks-bed/events" },
    },
  });
}, 120_000);
afterAll(async () => {
  await world?.kube.delete(`/api/v1/persistentvolumes/${volumeName}`).catch(() => undefined);
  await world?.close();
});

const servers = () => `/apis/sparkhooks.dev/v1alpha1/namespaces/${world.namespace}/sparkhistoryservers`;
const server = () => `${servers()}/${NAME}`;
const claimPath = () => `/api/v1/namespaces/${world.namespace}/persistentvolumeclaims/${NAME}-claim`;

async function pods(): Promise<PodView[]> {
  const list = await world.kube.get<ObjectList<PodView>>(
    `/api/v1/namespaces/${world.namespace}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${NAME}`)}`,
  );
  return list.items.filter((pod) => pod.metadata.deletionTimestamp === undefined);
}

function condition(view: ServerView, type: string) {
  return view.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the history server reports Running for its current generation, on one pod. */
async function running(timeoutMs = 120_000): Promise<ServerView> {
  return eventually(
    `${NAME} Running`,
    async () => {
      const view = await world.kube.get<ServerView>(server());
      const done =
        view.status?.phase === "Running" &&
        view.status.observedGeneration === view.metadata.generation &&
        (await pods()).length === 1;
      return done ? view : undefined;
    },
    { timeoutMs },
  );
}

describe("SparkHistoryServer on a real control plane", () => {
  let claimUid: string;

  it("goes from create to Ready: claim bound, pod scheduled and ready, Service", async () => {
    const started = performance.now();
    await world.kube.create(servers(), {
      apiVersion: "sparkhooks.dev/v1alpha1",
      kind: "SparkHistoryServer",
      metadata: { name: NAME },
      spec: { sharedVolume: { size: "0.3Gi" } },
    });
    const view = await running();
    process.stderr.write(
      `[timing] SparkHistoryServer ${NAME}: Running ${((performance.now() - started) / 1000).toFixed(2)} s after create\n`,
    );
    expect(condition(view, "Ready")).toMatchObject({ status: "True", reason: "HistoryServerReady" });
    expect(view.status).toMatchObject({
      url: `http://${NAME}.${world.namespace}.svc:18080`,
      logDirectory: "file:/history/spark-events",
      claim: { name: `${NAME}-claim`, phase: "Bound", capacity: "1Gi", mountPath: "/history/spark-events" },
      ready: true,
    });
    const claim = await world.kube.get<ClaimView>(claimPath());
    expect(claim.spec.volumeName).toBe(volumeName);
    expect(claim.spec.resources.requests.storage).toBe("308Mi");
    claimUid = claim.metadata.uid;
    const [pod] = await pods();
    expect(pod?.spec.nodeName).toBe("kwok-node-0");
    expect(pod !== undefined && isReady(pod)).toBe(true);
    expect(view.status?.podName).toBe(pod?.metadata.name);
    const services = await world.kube.get<ObjectList<{ metadata: { name: string } }>>(
      `/api/v1/namespaces/${world.namespace}/services`,
    );
    expect(services.items.map((s) => s.metadata.name)).toEqual([NAME]);
    await expectSteady(world);
  });

  it("keeps the claim when the spec switches to remoteStorage, and says so", async () => {
    const before = (await pods()).map((pod) => pod.metadata.name);
    await world.kube.mergePatch(server(), {
      spec: { type: "remoteStorage", remoteURI: "s3a://spark-logs/events" },
    });
    const view = await eventually(
      "the pod replaced and ClaimRetained",
      async () => {
        const current = await running();
        const names = (await pods()).map((pod) => pod.metadata.name);
        return names.some((name) => before.includes(name)) ||
          condition(current, "ClaimRetained") === undefined
          ? undefined
          : current;
      },
      { timeoutMs: 120_000 },
    );
    expect(view.status?.logDirectory).toBe("s3a://spark-logs/events");
    expect(condition(view, "ClaimRetained")).toMatchObject({ status: "True", reason: "EventLogsKept" });
    const claim = await world.kube.get<ClaimView>(claimPath());
    expect(claim.metadata.uid).toBe(claimUid);
    expect(claim.metadata.deletionTimestamp).toBeUndefined();
    expect(claim.status?.phase).toBe("Bound");
    await expectSteady(world);
  });

  it("adds an Ingress for the host when exposed", async () => {
    await world.kube.mergePatch(server(), { spec: { expose: true, host: "history.example.com" } });
    const view = await eventually(
      "the Ingress URL in status",
      async () => {
        const current = await running();
        return current.status?.ingressURL === undefined ? undefined : current;
      },
      { timeoutMs: 60_000 },
    );
    expect(view.status?.ingressURL).toBe("http://history.example.com/");
    const ingress = await world.kube.get<{ spec: { rules: { host: string }[] } }>(
      `/apis/networking.k8s.io/v1/namespaces/${world.namespace}/ingresses/${NAME}`,
    );
    expect(ingress.spec.rules.map((rule) => rule.host)).toEqual(["history.example.com"]);
    await expectSteady(world);
  });

  it("deletes every child, the claim included, when the history server is deleted", async () => {
    await world.kube.delete(server());
    await eventually(
      `${NAME}'s children gone`,
      async () => {
        const left = await pods();
        const claim = await world.kube.send("GET", claimPath());
        const ingress = await world.kube.send(
          "GET",
          `/apis/networking.k8s.io/v1/namespaces/${world.namespace}/ingresses/${NAME}`,
        );
        const services = await world.kube.get<ObjectList<unknown>>(
          `/api/v1/namespaces/${world.namespace}/services`,
        );
        const maps = await world.kube.get<ObjectList<unknown>>(
          `/api/v1/namespaces/${world.namespace}/configmaps?labelSelector=app.kubernetes.io%2Finstance%3D${NAME}`,
        );
        return left.length === 0 &&
          claim.status === 404 &&
          ingress.status === 404 &&
          services.items.length === 0 &&
          maps.items.length === 0
          ? true
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect((await world.kube.send("GET", server())).status).toBe(404);
  });
});
