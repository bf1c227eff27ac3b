/**
 * The user's whole path with real Spark: the real Metacontroller runs the shipped
 * CompositeController (composite-controllers/sparkapplication.yaml) against our real hook
 * server (scenarios/world.ts), a SparkApplication from examples/sparkapplication/ is applied
 * as a user applies it, and the driver pod Metacontroller creates is run by the local kubelet
 * (kubelet.ts) as real Spark. Spark's driver creates its executor pods from our template, the
 * same kubelet runs them, and the kubelet reports the driver's exit; the controller alone moves
 * the application SUBMITTED → RUNNING → COMPLETED. Deleting the application then goes through
 * the finalize hook: the driver pod goes and the resource disappears.
 *
 * The examples are kubeflow's with the image and sparkVersion set to the local pyspark's and
 * SparkPi's argument cut to 4 slices; the namespace gets deploy/spark-application-namespace/
 * (ServiceAccount spark-driver, which the examples name). Timings go to stderr with a
 * `[timing]` prefix and to .testbed/logs/spark-application-metacontroller.json.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IPod } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SPARK_VERSION } from "../../../hooks/spark/image.js";
import { SPARK_ROLE, selectorLabels } from "../../../hooks/spark/labels.js";
import { EXECUTOR_COMPONENT } from "../../../hooks/spark-application/executor-template.js";
import { repoRoot } from "../paths.js";
import { watch, type ObjectList } from "../scenarios/kube.js";
import { readManifests, type Manifest } from "../scenarios/manifests.js";
import { eventually, expectSteady, openWorld, type World } from "../scenarios/world.js";
import { prepareDriverNamespace } from "./application-children.js";
import { ensureExamples } from "./examples.js";
import { ensurePySpark } from "./install.js";
import { SparkKubelet } from "./kubelet.js";

const logDir = join(repoRoot, ".testbed", "logs");

interface ApplicationView {
  metadata: { name: string; finalizers?: string[] };
  status?: {
    applicationState?: { state: string; errorMessage?: string };
    driverInfo?: { podName?: string };
    executorState?: Record<string, string>;
    sparkApplicationId?: string;
  };
}

interface Case {
  readonly version: string;
  readonly example: string;
  /** Replaces the example's arguments (kubeflow's SparkPi asks for 5,000 slices). */
  readonly arguments?: string[];
}

const CASES: Case[] = [
  { version: DEFAULT_SPARK_VERSION, example: "pyspark-pi.yaml" },
  { version: "3.5.9", example: "spark-pi-3.5.yaml", arguments: ["4"] },
];

/** The example as a user would apply it to this namespace, on the local Spark version. */
function exampleApplication(example: Case, namespace: string): Manifest {
  const [manifest] = readManifests(join(repoRoot, "examples", "sparkapplication", example.example));
  if (manifest === undefined) throw new Error(`${example.example} holds no manifest`);
  const spec = (manifest as unknown as { spec: Record<string, unknown> }).spec;
  return {
    ...manifest,
    metadata: { ...manifest.metadata, namespace },
    spec: {
      ...spec,
      image: `apache/spark:${example.version}`,
      sparkVersion: example.version,
      ...(example.arguments === undefined ? {} : { arguments: example.arguments }),
    },
  } as Manifest;
}

let world: World;
const timings: Record<string, unknown>[] = [];

beforeAll(async () => {
  world = await openWorld("spark-app-mc");
  await prepareDriverNamespace(world.kube, world.namespace);
}, 120_000);

afterAll(async () => {
  if (world === undefined) return;
  // Applications carry Metacontroller's finalizer: delete them while Metacontroller still runs.
  const applications = `/apis/sparkhooks.dev/v1alpha1/namespaces/${world.namespace}/sparkapplications`;
  await world.kube.send("DELETE", applications).catch(() => undefined);
  await eventually(
    "every SparkApplication gone",
    async () =>
      (await world.kube.get<ObjectList<unknown>>(applications)).items.length === 0 ? true : undefined,
    { timeoutMs: 60_000 },
  ).catch(() => undefined);
  await world.close();
  mkdirSync(logDir, { recursive: true });
  writeFileSync(
    join(logDir, "spark-application-metacontroller.json"),
    `${JSON.stringify(timings, null, 2)}\n`,
  );
}, 120_000);

describe.each(CASES)("Spark $version, $example through the real Metacontroller", (example) => {
  it("runs SUBMITTED → RUNNING → COMPLETED with real Spark, stays steady, and finalizes on delete", async () => {
    const install = await ensurePySpark(repoRoot, example.version);
    const examples = await ensureExamples(repoRoot, install);
    const { kube, namespace } = world;
    const manifest = exampleApplication(example, namespace);
    const name = manifest.metadata.name;
    const path = `/apis/sparkhooks.dev/v1alpha1/namespaces/${namespace}/sparkapplications/${name}`;
    const podPath = (pod: string) => `/api/v1/namespaces/${namespace}/pods/${pod}`;

    const scratch = join(tmpdir(), `sparkhooks-app-mc-${process.pid}-${Date.now()}`);
    const kubelet = new SparkKubelet({
      kube,
      kubeconfigPath: world.kubeconfigPath,
      namespace,
      runtime: {
        sparkHome: install.sparkHome,
        javaHome: install.javaHome,
        examplesDir: examples.dir,
        pythonBin: install.pythonBin,
      },
      apiServer: new URL(kube.server),
      scratchDir: scratch,
      logDir,
      logPrefix: `app-mc-${example.version}-`,
    });

    // When each state and the driver pod first appeared, from watch events.
    const states: { state: string; at: number }[] = [];
    let driverCreatedAt: number | undefined;
    const stopStates = watch<ApplicationView>(
      kube,
      `/apis/sparkhooks.dev/v1alpha1/namespaces/${namespace}/sparkapplications?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`,
      (event) => {
        const state = event.object.status?.applicationState?.state;
        if (state !== undefined && states[states.length - 1]?.state !== state) {
          states.push({ state, at: performance.now() });
        }
      },
    );
    const stopPods = watch<IPod>(
      kube,
      `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`${SPARK_ROLE}=driver`)}`,
      (event) => {
        if (event.type === "ADDED" && driverCreatedAt === undefined) driverCreatedAt = performance.now();
      },
    );
    kubelet.start();
    const created = performance.now();
    try {
      // `kubectl apply --server-side`, strict: a field the CRD does not know fails the apply.
      await kube.call(
        "PATCH",
        `${path}?fieldManager=kubectl&fieldValidation=Strict`,
        manifest,
        "application/apply-patch+yaml",
      );
      const running = await eventually(
        `${name} RUNNING with a driver pod`,
        async () => {
          const view = await kube.get<ApplicationView>(path);
          return view.status?.applicationState?.state === "RUNNING" && view.status.driverInfo?.podName
            ? view
            : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      const driverName = running.status?.driverInfo?.podName ?? "";

      const { run: driver, status: driverStatus } = await kubelet.finished(driverName, 280_000);
      const driverExitedAt = performance.now();
      const output = readFileSync(driver.running.logFile, "utf8");
      const tail = output.split("\n").slice(-60).join("\n");
      expect(driver.running.exit, tail).toEqual({ code: 0, signal: null });
      expect(output).toMatch(/Pi is roughly 3\.1\d*/);
      expect(driverStatus?.status?.phase).toBe("Succeeded");
      // The pod the kubelet ran is the one Metacontroller created for this application.
      expect(driver.pod.metadata?.labels?.[SPARK_ROLE]).toBe("driver");
      expect(driver.pod.spec?.serviceAccountName).toBe("spark-driver");
      expect(driver.pod.metadata?.ownerReferences).toEqual([
        expect.objectContaining({ kind: "SparkApplication", name, controller: true }),
      ]);

      const completed = await eventually(
        `${name} COMPLETED`,
        async () => {
          const view = await kube.get<ApplicationView>(path);
          return view.status?.applicationState?.state === "COMPLETED" ? view : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const completedAt = states.find((entry) => entry.state === "COMPLETED")?.at ?? performance.now();
      expect([...kubelet.failures]).toEqual([]);
      const executorNames = [...kubelet.runs.values()]
        .filter((entry) => entry.pod.metadata?.labels?.[SPARK_ROLE] === "executor")
        .map((entry) => entry.pod.metadata?.name ?? "")
        .sort();
      expect(executorNames.length).toBeGreaterThanOrEqual(1);
      for (const executor of executorNames) {
        const run = kubelet.runs.get(executor)!;
        // The labels the controller's customize hook selects executors by.
        expect(run.pod.metadata?.labels).toMatchObject(selectorLabels(name, EXECUTOR_COMPONENT));
        expect(readFileSync(run.running.logFile, "utf8")).toMatch(/Finished task/);
      }
      expect(completed.status?.driverInfo?.podName).toBe(driverName);
      // Spark deletes its executors at the end (spark.kubernetes.executor.deleteOnTermination);
      // the controller reports the ones it saw, finished with the application.
      expect(Object.keys(completed.status?.executorState ?? {}).sort()).toEqual(executorNames);
      for (const state of Object.values(completed.status?.executorState ?? {})) {
        expect(state).toBe("COMPLETED");
      }
      await expectSteady(world);

      const entry = {
        version: example.version,
        example: example.example,
        executors: executorNames.length,
        driverPodCreatedSeconds:
          driverCreatedAt === undefined ? undefined : round((driverCreatedAt - created) / 1000),
        runningSeconds: stateSeconds(states, "RUNNING", created),
        driverProcessSeconds: round((driver.startedAt - created) / 1000),
        driverExitSeconds: round((driverExitedAt - created) / 1000),
        completedSeconds: round((completedAt - created) / 1000),
        states: states.map((s) => s.state),
      };
      timings.push(entry);
      process.stderr.write(`[timing] SparkApplication real Spark ${JSON.stringify(entry)}\n`);
      expect(states.map((s) => s.state)).toEqual(["SUBMITTED", "RUNNING", "COMPLETED"]);

      // Deleting the application: the finalize hook removes the driver pod, then Metacontroller
      // drops its finalizer and the resource goes.
      expect(completed.metadata.finalizers?.length ?? 0).toBeGreaterThan(0);
      const deleted = performance.now();
      await kube.delete(path);
      await eventually(
        `${name} gone`,
        async () => ((await kube.send("GET", path)).status === 404 ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect((await kube.send("GET", podPath(driverName))).status).toBe(404);
      process.stderr.write(
        `[timing] SparkApplication real Spark ${name}: deleted ${round((performance.now() - deleted) / 1000)} s after the delete\n`,
      );
    } finally {
      stopStates();
      stopPods();
      await kubelet.stop();
      if (process.env.SPARK_TEST_KEEP !== "1") rmSync(scratch, { recursive: true, force: true });
    }
  }, 600_000);
});

const round = (seconds: number) => Math.round(seconds * 10) / 10;

function stateSeconds(states: { state: string; at: number }[], state: string, from: number) {
  const at = states.find((entry) => entry.state === state)?.at;
  return at === undefined ? undefined : round((at - from) / 1000);
}
