/**
 * SparkCluster end to end on a real API server, controller-manager, scheduler and kwok nodes,
 * driven by a Metacontroller runtime through our real hook server. Every scenario ends with the
 * world steady: one more resync of everything makes zero writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setPodPhase } from "../bed/pods.js";
import { isReady, KubeError, watch, type ObjectList, type PodView } from "./kube.js";
import { eventually, expectSteady, openWorld, type World } from "./world.js";

interface ClusterView {
  metadata: { name: string; generation: number; uid: string };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    observedGeneration?: number;
    workers?: { desired: number; ready: number; upToDate: number };
    replicas?: number;
    masterURL?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

let world: World;
beforeAll(async () => {
  world = await openWorld("sparkcluster");
}, 120_000);
afterAll(async () => {
  await world?.close();
});

const clusters = () => `/apis/sparkhooks.dev/v1alpha1/namespaces/${world.namespace}/sparkclusters`;
const cluster = (name: string) => `${clusters()}/${name}`;

async function create(name: string, spec: Record<string, unknown>): Promise<ClusterView> {
  return world.kube.create<ClusterView>(clusters(), {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "SparkCluster",
    metadata: { name },
    spec,
  });
}

async function pods(name: string, component?: string): Promise<PodView[]> {
  const selector = [
    `app.kubernetes.io/instance=${name}`,
    ...(component ? [`app.kubernetes.io/component=${component}`] : []),
  ];
  const list = await world.kube.get<ObjectList<PodView>>(
    `/api/v1/namespaces/${world.namespace}/pods?labelSelector=${encodeURIComponent(selector.join(","))}`,
  );
  return list.items.filter((pod) => pod.metadata.deletionTimestamp === undefined);
}

function condition(view: ClusterView, type: string) {
  return view.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the cluster reports Running with `workers` ready workers for its current generation. */
async function running(name: string, workers: number, timeoutMs = 120_000): Promise<ClusterView> {
  return eventually(
    `${name} Running with ${workers} workers`,
    async () => {
      const view = await world.kube.get<ClusterView>(cluster(name));
      const s = view.status;
      const done =
        s?.phase === "Running" &&
        s.observedGeneration === view.metadata.generation &&
        s.workers?.ready === workers &&
        s.workers.desired === workers &&
        s.replicas === workers;
      return done ? view : undefined;
    },
    { timeoutMs },
  );
}

describe("SparkCluster on a real control plane", () => {
  it("goes from create to Ready with every pod created and scheduled", async () => {
    const started = performance.now();
    await create("alpha", { worker: { instances: 3 } });
    await eventually(
      "all alpha pods created",
      async () => ((await pods("alpha")).length === 4 ? true : undefined),
      {
        intervalMs: 50,
      },
    );
    const allCreated = performance.now() - started;
    const view = await running("alpha", 3);
    const ready = performance.now() - started;
    process.stderr.write(
      `[timing] SparkCluster alpha (3 workers): all pods created ${(allCreated / 1000).toFixed(2)} s, Ready ${(ready / 1000).toFixed(2)} s after create\n`,
    );
    expect(condition(view, "Ready")).toMatchObject({ status: "True" });
    expect(view.status?.masterURL).toBe(`spark://alpha.${world.namespace}.svc:7077`);
    const all = await pods("alpha");
    expect(all.every((pod) => pod.spec.nodeName === "kwok-node-0" && isReady(pod))).toBe(true);
    const services = await world.kube.get<ObjectList<{ metadata: { name: string } }>>(
      `/api/v1/namespaces/${world.namespace}/services`,
    );
    expect(services.items.map((s) => s.metadata.name).sort()).toEqual(["alpha", "alpha-ui"]);
    await expectSteady(world);
  });

  it("scales up and down through the scale subresource", async () => {
    await world.kube.mergePatch(`${cluster("alpha")}/scale`, { spec: { replicas: 5 } });
    await running("alpha", 5);
    const scale = await world.kube.get<{ status: { replicas: number; selector: string } }>(
      `${cluster("alpha")}/scale`,
    );
    expect(scale.status.replicas).toBe(5);
    expect(scale.status.selector).toContain("app.kubernetes.io/component=worker");
    await expectSteady(world);

    await world.kube.mergePatch(`${cluster("alpha")}/scale`, { spec: { replicas: 2 } });
    await running("alpha", 2);
    const slots = (await pods("alpha", "worker"))
      .map((p) => p.metadata.labels?.["sparkhooks.dev/worker-ordinal"])
      .sort();
    expect(slots).toEqual(["0", "1"]);
    await expectSteady(world);
  });

  it("replaces workers one at a time on a template change", async () => {
    await world.kube.mergePatch(cluster("alpha"), { spec: { worker: { instances: 3 } } });
    await running("alpha", 3);
    const before = new Set((await pods("alpha", "worker")).map((p) => p.metadata.uid));

    // Track every worker pod; at no moment may more than one worker slot lack a Ready pod.
    const podsByUid = new Map<string, PodView>();
    for (const pod of await pods("alpha", "worker")) podsByUid.set(pod.metadata.uid, pod);
    let worstUnavailable = 0;
    const stopWatch = watch<PodView>(
      world.kube,
      `/api/v1/namespaces/${world.namespace}/pods?labelSelector=${encodeURIComponent("app.kubernetes.io/instance=alpha,app.kubernetes.io/component=worker")}`,
      (event) => {
        if (event.type === "DELETED") podsByUid.delete(event.object.metadata.uid);
        else if (event.type === "ADDED" || event.type === "MODIFIED")
          podsByUid.set(event.object.metadata.uid, event.object);
        const available = new Set(
          [...podsByUid.values()]
            .filter((pod) => pod.metadata.deletionTimestamp === undefined && isReady(pod))
            .map((pod) => pod.metadata.labels?.["sparkhooks.dev/worker-ordinal"]),
        );
        worstUnavailable = Math.max(worstUnavailable, 3 - available.size);
      },
    );
    try {
      await world.kube.mergePatch(cluster("alpha"), { spec: { worker: { instances: 3, memory: "4Gi" } } });
      await eventually(
        "every worker replaced",
        async () => {
          const now = await pods("alpha", "worker");
          const view = await world.kube.get<ClusterView>(cluster("alpha"));
          const replaced = now.length === 3 && now.every((p) => !before.has(p.metadata.uid) && isReady(p));
          return replaced && view.status?.phase === "Running" && view.status.workers?.upToDate === 3
            ? true
            : undefined;
        },
        { timeoutMs: 180_000 },
      );
    } finally {
      stopWatch();
    }
    expect(worstUnavailable).toBe(1);
    await expectSteady(world);
  });

  it("keeps the running cluster when an edit is invalid, and says why", async () => {
    const before = (await pods("alpha")).map((p) => p.metadata.uid).sort();
    const writesBefore = world.runtime.counters().writesByVerb.delete;
    // The CRD schema admits it (a quantity); the hook finds it holds no executor beside the daemon.
    await world.kube.mergePatch(cluster("alpha"), { spec: { worker: { memory: "1Gi" } } });
    const view = await eventually("alpha Invalid", async () => {
      const v = await world.kube.get<ClusterView>(cluster("alpha"));
      return v.status?.phase === "Invalid" && v.status.observedGeneration === v.metadata.generation
        ? v
        : undefined;
    });
    expect(condition(view, "Ready")).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(condition(view, "Ready")?.message).toContain("spec.worker.memory");
    await expectSteady(world);
    expect((await pods("alpha")).map((p) => p.metadata.uid).sort()).toEqual(before);
    expect(world.runtime.counters().writesByVerb.delete).toBe(writesBefore);

    await world.kube.mergePatch(cluster("alpha"), { spec: { worker: { memory: "4Gi" } } });
    await running("alpha", 3);
    expect((await pods("alpha")).map((p) => p.metadata.uid).sort()).toEqual(before);
    await expectSteady(world);
  });

  it("rejects a resource the CRD schema does not admit, with the API server's message", async () => {
    const error = await create("bad", { worker: { instances: [1] } }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KubeError);
    expect((error as KubeError).status).toBe(422);
    expect((error as KubeError).message).toContain("spec.worker.instances");
  });

  it("replaces a worker that failed", async () => {
    const [victim] = await pods("alpha", "worker");
    if (victim === undefined) throw new Error("no worker");
    await setPodPhase(
      world.kubeconfigPath,
      world.namespace,
      victim.metadata.name,
      "Failed",
      137,
      "OOMKilled",
    );
    await eventually("a fresh worker in the failed slot", async () => {
      const now = await pods("alpha", "worker");
      const slot = victim.metadata.labels?.["sparkhooks.dev/worker-ordinal"];
      const fresh = now.find((p) => p.metadata.labels?.["sparkhooks.dev/worker-ordinal"] === slot);
      return fresh && fresh.metadata.uid !== victim.metadata.uid && isReady(fresh) ? fresh : undefined;
    });
    await running("alpha", 3);
    await expectSteady(world);
  });

  it("admits the init containers of downloadData and mavenDependencies under Pod Security restricted, and names a pod whose download fails", async () => {
    await create("prep", {
      worker: { instances: 1 },
      downloadData: [{ url: "https://example.com/data/words.txt", to: "/data/" }],
      mavenDependencies: ["org.example:lib:1.0"],
      customInitContainerImage: "apache/spark:4.3.0",
    });
    await running("prep", 1);
    const all = await pods("prep");
    expect(all).toHaveLength(2);
    for (const pod of all) {
      const spec = pod.spec as PodView["spec"] & { initContainers?: { name: string }[] };
      expect(spec.initContainers?.map((c) => c.name)).toEqual([
        "download-data",
        "resolve-maven-dependencies",
      ]);
    }
    const view = await world.kube.get<ClusterView>(cluster("prep"));
    expect(condition(view, "UnsupportedFields")).toBeUndefined();

    // What the kubelet reports when the download exits non-zero: the pod stays Pending in
    // Init:CrashLoopBackOff with the exit code in lastState.
    const [worker] = await pods("prep", "worker");
    if (worker === undefined) throw new Error("no worker");
    await world.kube.mergePatch(`/api/v1/namespaces/${world.namespace}/pods/${worker.metadata.name}/status`, {
      status: {
        phase: "Pending",
        conditions: [{ type: "Ready", status: "False", reason: "ContainersNotInitialized" }],
        initContainerStatuses: [
          {
            name: "download-data",
            image: "apache/spark:4.3.0",
            imageID: "",
            ready: false,
            restartCount: 2,
            state: {
              waiting: { reason: "CrashLoopBackOff", message: "back-off 20s restarting failed container" },
            },
            lastState: { terminated: { exitCode: 8, reason: "Error" } },
          },
        ],
      },
    });
    const stalled = await eventually("prep Stalled naming the worker", async () => {
      const v = await world.kube.get<ClusterView>(cluster("prep"));
      return condition(v, "Stalled")?.status === "True" ? v : undefined;
    });
    expect(condition(stalled, "Stalled")?.message).toBe(
      `pod ${worker.metadata.name}: init container download-data: CrashLoopBackOff: back-off 20s restarting failed container (last exit code 8)`,
    );
    expect(stalled.status?.phase).toBe("Stalled");
    await world.kube.delete(cluster("prep"));
    await eventually("prep and its pods gone", async () =>
      (await pods("prep")).length === 0 ? true : undefined,
    );
  });

  it("changes nothing while the hook server is down and recovers when it is back", async () => {
    const before = (await pods("alpha")).map((p) => p.metadata.uid).sort();
    await world.hook.stop();
    try {
      const failuresBefore = world.runtime.counters().hookFailures;
      await world.kube.mergePatch(`${cluster("alpha")}/scale`, { spec: { replicas: 4 } });
      await eventually("failed hook calls", () =>
        world.runtime.counters().hookFailures > failuresBefore + 1 ? true : undefined,
      );
      expect((await pods("alpha")).map((p) => p.metadata.uid).sort()).toEqual(before);
    } finally {
      await world.hook.start();
    }
    await running("alpha", 4);
    await expectSteady(world);
  });

  it("garbage-collects every child when the cluster is deleted", async () => {
    await world.kube.delete(cluster("alpha"));
    await eventually("alpha's children gone", async () => {
      const left = await pods("alpha");
      const services = await world.kube.get<ObjectList<unknown>>(
        `/api/v1/namespaces/${world.namespace}/services`,
      );
      const maps = await world.kube.get<ObjectList<{ metadata: { name: string } }>>(
        `/api/v1/namespaces/${world.namespace}/configmaps?labelSelector=app.kubernetes.io%2Finstance%3Dalpha`,
      );
      return left.length === 0 && services.items.length === 0 && maps.items.length === 0 ? true : undefined;
    });
    expect((await world.kube.send(`GET`, cluster("alpha"))).status).toBe(404);
  });
});
