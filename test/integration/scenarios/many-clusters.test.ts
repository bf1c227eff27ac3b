/**
 * 100 one-worker SparkClusters created at once, with the Metacontroller flags we ship and with
 * client-go's and Metacontroller's defaults: how long until all 200 pods exist, until all run,
 * and until every cluster reports Running and Ready. The figures go to stderr and to
 * .testbed/logs/many-clusters.json; they are why deploy/metacontroller/statefulset.yaml raises
 * --client-go-qps, --client-go-burst and --workers.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UPSTREAM_DEFAULT_FLAGS, shippedFlags, withFlags } from "../metacontroller/flags.js";
import { repoRoot } from "../paths.js";
import { clusterParent, syncRequest } from "../../support/cluster.js";
import { controller } from "../../../hooks/spark-cluster/controller.js";
import { isReady, watch, type ObjectList, type PodView } from "./kube.js";
import { eventually, expectSteady, openWorld, type World } from "./world.js";

const CLUSTERS = 100;
const PODS = 2 * CLUSTERS;
/**
 * The smallest cluster the hook accepts: a worker needs 2304Mi, the daemon (512Mi heap + 384Mi
 * non-heap) and one default executor (1g heap + 384Mi overhead).
 */
const SMALL_CLUSTER = {
  master: { cpu: "100m", memory: "1Gi" },
  worker: { instances: 1, cpu: "100m", memory: "2304Mi" },
};
/** Generous: with the defaults the earlier trial took 137 s until all pods existed. */
const PHASE_TIMEOUT_MS = 600_000;

interface Figures {
  readonly flags: readonly string[];
  /** Seconds after the first create request. */
  readonly createRequestsDone: number;
  readonly allPodsCreated: number;
  readonly allPodsRunning: number;
  readonly allClustersReady: number;
  /** The closing expectSteady (a restart and a resync of every cluster, zero writes). */
  readonly steadyCheck: number;
  readonly hookCalls: number;
  readonly writes: number;
}

interface ClusterView {
  metadata: { generation: number };
  status?: {
    phase?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
  };
}

const seconds = (since: number): number => Math.round((performance.now() - since) / 10) / 100;

function readyAndRunning(cluster: ClusterView): boolean {
  const s = cluster.status;
  return (
    s?.phase === "Running" &&
    s.observedGeneration === cluster.metadata.generation &&
    (s.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

/** Creates CLUSTERS SparkClusters at once and times them to Ready; closes the world after. */
async function measure(world: World): Promise<Figures> {
  const { kube, namespace } = world;
  // A spec the hook rejects would leave 100 clusters without pods and this test waiting for
  // its timeout: say so at once instead.
  const rendered = controller.sync(syncRequest(clusterParent(SMALL_CLUSTER)), new Date(0));
  expect(rendered.response.status["conditions"], "the hook accepts SMALL_CLUSTER").not.toContainEqual(
    expect.objectContaining({ reason: "InvalidSpec" }),
  );
  const pods = new Map<string, PodView>();
  const stopWatch = watch<PodView>(kube, `/api/v1/namespaces/${namespace}/pods`, (event) => {
    if (event.type === "ADDED" || event.type === "MODIFIED")
      pods.set(event.object.metadata.uid, event.object);
  });
  try {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLUSTERS }, (_, i) =>
        kube.create(`/apis/sparkhooks.dev/v1alpha1/namespaces/${namespace}/sparkclusters`, {
          apiVersion: "sparkhooks.dev/v1alpha1",
          kind: "SparkCluster",
          metadata: { name: `spark-${String(i).padStart(3, "0")}` },
          spec: SMALL_CLUSTER,
        }),
      ),
    );
    const createRequestsDone = seconds(started);
    const wait = (what: string, done: () => boolean | Promise<boolean>): Promise<number> =>
      eventually(what, async () => ((await done()) ? seconds(started) : undefined), {
        timeoutMs: PHASE_TIMEOUT_MS,
        intervalMs: 100,
      });
    const allPodsCreated = await wait(`${PODS} pods created`, () => pods.size >= PODS);
    const allPodsRunning = await wait(
      `${PODS} pods Running and Ready`,
      () => [...pods.values()].filter(isReady).length >= PODS,
    );
    const allClustersReady = await wait(`${CLUSTERS} clusters Running and Ready`, async () => {
      const list = await kube.get<ObjectList<ClusterView>>(
        `/apis/sparkhooks.dev/v1alpha1/namespaces/${namespace}/sparkclusters`,
      );
      return list.items.length === CLUSTERS && list.items.every(readyAndRunning);
    });
    expect(pods.size).toBe(PODS);
    const steadyStarted = performance.now();
    await expectSteady(world);
    const counters = world.runtime.counters();
    return {
      flags: world.runtime.args,
      createRequestsDone,
      allPodsCreated,
      allPodsRunning,
      allClustersReady,
      steadyCheck: seconds(steadyStarted),
      hookCalls: counters.hookCalls,
      writes: counters.writes,
    };
  } finally {
    stopWatch();
    await world.close();
    // The next run must not share the control plane with 200 pods being deleted.
    await eventually(
      `namespace ${namespace} deleted`,
      async () =>
        (await kube.send("GET", `/api/v1/namespaces/${namespace}`)).status === 404 ? true : undefined,
      { timeoutMs: 300_000, intervalMs: 500 },
    );
  }
}

const figures: Record<string, Figures> = {};

afterAll(() => {
  const report = JSON.stringify(
    { clusters: CLUSTERS, pods: PODS, cluster: SMALL_CLUSTER, runs: figures },
    null,
    2,
  );
  const logs = join(repoRoot, ".testbed", "logs");
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(logs, "many-clusters.json"), report + "\n");
  process.stderr.write(`[many-clusters] ${report}\n`);
});

describe(`${CLUSTERS} SparkClusters created at once`, () => {
  it("all run and report Ready with the Metacontroller flags we ship", { timeout: 1_800_000 }, async () => {
    figures["shipped"] = await measure(await openWorld("many-shipped"));
  });

  it(
    "all run and report Ready with client-go's and Metacontroller's default flags",
    { timeout: 1_800_000 },
    async () => {
      const flags = withFlags(shippedFlags(), UPSTREAM_DEFAULT_FLAGS);
      figures["defaults"] = await measure(await openWorld("many-defaults", { metacontrollerFlags: flags }));
    },
  );
});
