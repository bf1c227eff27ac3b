/**
 * SparkApplication's lifecycle end to end: the real Metacontroller runs the shipped
 * CompositeController (composite-controllers/sparkapplication.yaml) against our real hook
 * server, on the bed's control plane with kwok as the kubelet. No Spark runs: the scenario plays
 * what the driver and the kubelet would do. It creates the executors the driver would (from
 * the executor pod template and spark.properties the hook rendered) and ends a driver pod the
 * way a kubelet reports it, through the pods/status subresource.
 *
 * kwok and a driver ended by hand: the bed's kwok stages are kwok's `fast` set and one chaos
 * stage. `pod-ready` selects only Pending pods, `pod-complete` only Running pods owned by a Job,
 * `pod-delete` only pods with a deletionTimestamp, and `pod-container-running-failed` only pods
 * labelled pod-container-running-failed.stage.kwok.x-k8s.io=true. No stage selects a Succeeded
 * or Failed pod, so a terminal phase written here stays. The one race is ending a pod kwok has
 * not made Running yet (its pending pod-ready write would land on top), so every scenario waits
 * for the driver to run before it ends it. A pod no node takes (an unsatisfiable nodeSelector)
 * has no nodeName, and kwok never touches it: it stays Pending as long as the scenario wants.
 *
 * Every scenario ends with the world steady: one more resync of every application makes zero
 * writes. Timings go to stderr with a `[timing]` prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { watch, type ObjectList, type PodView } from "./kube.js";
import { eventually, expectSteady, openWorld, type World } from "./world.js";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface ApplicationView {
  metadata: {
    name: string;
    uid: string;
    generation: number;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec: Record<string, unknown>;
  status?: {
    applicationState?: { state: string; errorMessage?: string };
    driverInfo?: { podName?: string; webUIServiceName?: string };
    executorState?: Record<string, string>;
    sparkApplicationId?: string;
    attempt?: number;
    executionAttempts?: number;
    failures?: { application: number; infrastructure: number; submission: number };
    rerunTime?: string;
    terminationTime?: string;
    conditions?: Condition[];
  };
}

interface DriverPodView {
  readonly metadata: PodView["metadata"] & { finalizers?: string[] };
  readonly spec: {
    nodeName?: string;
    containers: { name: string; image: string; args?: string[] }[];
    volumes?: { name: string; configMap?: { name: string } }[];
  };
  readonly status?: { phase?: string; conditions?: Condition[] };
}

interface ConfigMapView {
  metadata: { name: string };
  data?: Record<string, string>;
}

/** The finalizer Metacontroller puts on parents of a CompositeController with a finalize hook. */
const FINALIZER = "metacontroller.io/compositecontroller-sparkhooks-sparkapplication";
/** Held on a driver pod by the deletion scenario, so the pod outlives its deletion for a while. */
const HOLD_FINALIZER = "sparkhooks.dev/scenario-hold";
/** A node label no node has: a driver selecting it is never scheduled. */
const NOWHERE_LABEL = "sparkhooks.dev/scenario-nowhere";

let world: World;
beforeAll(async () => {
  world = await openWorld("sparkapplication");
}, 120_000);
afterAll(async () => {
  if (world === undefined) return;
  // Applications carry Metacontroller's finalizer: delete them while Metacontroller still runs,
  // or the namespace would never finish terminating.
  await world.kube.send("DELETE", applications()).catch(() => undefined);
  await eventually(
    "every SparkApplication gone",
    async () =>
      (await world.kube.get<ObjectList<unknown>>(applications())).items.length === 0 ? true : undefined,
    { timeoutMs: 60_000 },
  ).catch(() => undefined);
  await world.close();
}, 120_000);

const applications = () => `/apis/sparkhooks.dev/v1alpha1/namespaces/${world.namespace}/sparkapplications`;
const application = (name: string) => `${applications()}/${name}`;
const podPath = (name: string) => `/api/v1/namespaces/${world.namespace}/pods/${name}`;

/**
 * kubeflow's SparkPi on Spark 3.5 (examples/sparkapplication/spark-pi-3.5.yaml) with two
 * executors, on the namespace's default ServiceAccount: no driver process runs here, so the
 * driver's RBAC does not matter.
 */
function sparkPi(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "Scala",
    mode: "cluster",
    image: "spark:3.5.5",
    mainClass: "org.apache.spark.examples.SparkPi",
    mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
    arguments: ["1000"],
    sparkVersion: "3.5.5",
    driver: { cores: 1, memory: "512m" },
    executor: { instances: 2, cores: 1, memory: "512m" },
    ...overrides,
  };
}

async function submit(name: string, spec: Record<string, unknown>): Promise<ApplicationView> {
  return world.kube.create<ApplicationView>(applications(), {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "SparkApplication",
    metadata: { name },
    spec,
  });
}

function read(name: string): Promise<ApplicationView> {
  return world.kube.get<ApplicationView>(application(name));
}

const stateOf = (view: ApplicationView) => view.status?.applicationState?.state;

function condition(view: ApplicationView, type: string): Condition | undefined {
  return view.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the application is in `state` and `also` holds. */
function reaches(
  name: string,
  state: string,
  also: (view: ApplicationView) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<ApplicationView> {
  return eventually(
    `${name} ${state}`,
    async () => {
      const view = await read(name);
      return stateOf(view) === state && also(view) ? view : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** The application's driver pods that are not being deleted, by name. */
async function driverPods(name: string): Promise<DriverPodView[]> {
  const selector = `app.kubernetes.io/instance=${name},app.kubernetes.io/component=driver`;
  const list = await world.kube.get<ObjectList<DriverPodView>>(
    `/api/v1/namespaces/${world.namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  return list.items
    .filter((pod) => pod.metadata.deletionTimestamp === undefined)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

async function driverPodNames(name: string): Promise<string[]> {
  return (await driverPods(name)).map((pod) => pod.metadata.name);
}

/** Waits until the named driver pod exists and kwok has made it Running. */
function runningDriver(podName: string, timeoutMs = 60_000): Promise<DriverPodView> {
  return eventually(
    `driver pod ${podName} Running`,
    async () => {
      const res = await world.kube.send<DriverPodView>("GET", podPath(podName));
      const pod = res.body;
      return res.status === 200 &&
        pod.metadata.deletionTimestamp === undefined &&
        pod.status?.phase === "Running"
        ? pod
        : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Records every distinct applicationState.state the application passes through, as the watch sees it. */
function recordStates(name: string): { readonly seen: string[]; stop(): void } {
  const seen: string[] = [];
  const stop = watch<ApplicationView>(
    world.kube,
    `${applications()}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`,
    (event) => {
      const state = event.type === "ADDED" || event.type === "MODIFIED" ? stateOf(event.object) : undefined;
      if (state !== undefined && seen[seen.length - 1] !== state) seen.push(state);
    },
  );
  return { seen, stop };
}

/** The driver pod's Spark container (Spark's default name, which the hook keeps). */
const DRIVER_CONTAINER = "spark-kubernetes-driver";

interface DriverEnd {
  /** Running: only the Spark container ended; the pod's other containers (sidecars) still run. */
  readonly phase: "Succeeded" | "Failed" | "Running";
  readonly exitCode: number;
  /** The container's termination reason. Default Completed for exit code 0, else Error. */
  readonly containerReason?: string;
  /** The pod's status.reason and status.message, as the kubelet sets them on an eviction. */
  readonly podReason?: { reason: string; message: string };
  /** A DisruptionTarget condition, as the kubelet adds when it evicts (TerminationByKubelet). */
  readonly disruption?: { reason: string; message: string };
}

/**
 * Ends the driver the way the kubelet reports it, through pods/<name>/status: the phase, the
 * driver container terminated with its exit code and finishedAt (with phase Running only the
 * Spark container), Ready and ContainersReady False. A JSON merge patch replaces lists whole,
 * so the conditions and container statuses go complete.
 */
async function endDriver(podName: string, end: DriverEnd): Promise<void> {
  const pod = await world.kube.get<DriverPodView>(podPath(podName));
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const reason = end.containerReason ?? (end.exitCode === 0 ? "Completed" : "Error");
  const conditions: object[] = (pod.status?.conditions ?? []).map((c) =>
    c.type === "Ready" || c.type === "ContainersReady"
      ? { ...c, status: "False", reason: "PodCompleted", lastTransitionTime: now }
      : c,
  );
  if (end.disruption !== undefined) {
    conditions.push({ type: "DisruptionTarget", status: "True", lastTransitionTime: now, ...end.disruption });
  }
  await world.kube.mergePatch(`${podPath(podName)}/status`, {
    status: {
      phase: end.phase,
      ...(end.podReason ?? {}),
      conditions,
      containerStatuses: pod.spec.containers.map((container) => {
        const ends = end.phase !== "Running" || container.name === DRIVER_CONTAINER;
        return {
          name: container.name,
          image: container.image,
          imageID: "",
          ready: !ends,
          started: !ends,
          restartCount: 0,
          state: ends
            ? { terminated: { exitCode: end.exitCode, reason, startedAt: now, finishedAt: now } }
            : { running: { startedAt: now } },
        };
      }),
    },
  });
}

/** Java properties as the hook writes them: one `key=value` per line. */
function properties(text: string): Map<string, string> {
  return new Map(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

interface TemplatePod {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Record<string, unknown>[] } & Record<string, unknown>;
}

/**
 * Creates the executors the driver would, as Spark builds them (BasicExecutorFeatureStep,
 * requested by ExecutorPodsAllocator): the executor pod template of the run's ConfigMap, named
 * `<spark.kubernetes.executor.podNamePrefix>-exec-<id>`, labelled spark-app-selector,
 * spark-role=executor and spark-exec-id, with the image of spark.kubernetes.container.image,
 * and owned (controller=true) by the driver pod the driver reads by
 * spark.kubernetes.driver.pod.name. Returns their names.
 */
async function startExecutors(driver: DriverPodView, count: number): Promise<string[]> {
  const configMapName = driver.spec.volumes?.find((volume) => volume.name === "spark-conf-volume-driver")
    ?.configMap?.name;
  if (configMapName === undefined) throw new Error(`${driver.metadata.name} mounts no spark.properties`);
  const configMap = await world.kube.get<ConfigMapView>(
    `/api/v1/namespaces/${world.namespace}/configmaps/${configMapName}`,
  );
  const conf = properties(configMap.data?.["spark.properties"] ?? "");
  const template = parseYaml(configMap.data?.["pod-spec-template.yml"] ?? "") as TemplatePod;
  const containerName = conf.get("spark.kubernetes.executor.podTemplateContainerName");
  const appId = conf.get("spark.app.id");
  const prefix = conf.get("spark.kubernetes.executor.podNamePrefix");
  const image = conf.get("spark.kubernetes.container.image");
  if (appId === undefined || prefix === undefined || image === undefined || containerName === undefined) {
    throw new Error(`${configMapName}: spark.properties lacks the executor settings`);
  }
  const names: string[] = [];
  for (let id = 1; id <= count; id++) {
    const name = `${prefix}-exec-${id}`;
    await world.kube.create(`/api/v1/namespaces/${world.namespace}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        labels: {
          ...template.metadata?.labels,
          "spark-app-selector": appId,
          "spark-role": "executor",
          "spark-exec-id": String(id),
          "spark-exec-resourceprofile-id": "0",
        },
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "Pod",
            name: driver.metadata.name,
            uid: driver.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: {
        ...template.spec,
        restartPolicy: "Never",
        containers: template.spec.containers.map((container) =>
          container["name"] === containerName ? { ...container, image, args: ["executor"] } : container,
        ),
      },
    });
    names.push(name);
  }
  return names;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

function timing(line: string): void {
  process.stderr.write(`[timing] SparkApplication ${line}\n`);
}

describe("SparkApplication on a real control plane with the real Metacontroller", () => {
  it("runs to COMPLETED, reports its executors and keeps the finished driver", async () => {
    const states = recordStates("pi");
    const started = performance.now();
    try {
      await submit("pi", sparkPi());
      const driver = await runningDriver("pi-driver");
      const running = await reaches("pi", "RUNNING");
      timing(`pi: driver Running ${seconds(started)} s after create`);
      expect(running.status?.driverInfo).toMatchObject({
        podName: "pi-driver",
        webUIServiceName: "pi-ui-svc",
      });
      expect(condition(running, "Ready")).toMatchObject({ status: "False", reason: "Running" });
      expect(condition(running, "Reconciling")).toMatchObject({ status: "True", reason: "Running" });
      expect(condition(running, "Stalled")).toMatchObject({ status: "False" });

      const executors = await startExecutors(driver, 2);
      const withExecutors = await reaches(
        "pi",
        "RUNNING",
        (view) =>
          executors.every((name) => view.status?.executorState?.[name] === "RUNNING") &&
          Object.keys(view.status?.executorState ?? {}).length === 2,
      );
      expect(withExecutors.status?.executorState).toEqual(
        Object.fromEntries(executors.map((name) => [name, "RUNNING"])),
      );
      await expectSteady(world);

      // The end of a run as Spark does it: the driver deletes its executors
      // (spark.kubernetes.executor.deleteOnTermination), then its JVM exits 0.
      for (const name of executors) await world.kube.delete(podPath(name));
      await endDriver("pi-driver", { phase: "Succeeded", exitCode: 0 });
      const ended = performance.now();
      const completed = await reaches("pi", "COMPLETED");
      timing(`pi: COMPLETED ${seconds(ended)} s after the driver ended`);
      expect(completed.status?.executorState).toEqual(
        Object.fromEntries(executors.map((name) => [name, "COMPLETED"])),
      );
      expect(condition(completed, "Ready")).toMatchObject({ status: "True", reason: "Completed" });
      expect(condition(completed, "Reconciling")).toMatchObject({ status: "False" });
      expect(condition(completed, "Stalled")).toMatchObject({ status: "False" });
      expect(completed.status?.terminationTime).toBeDefined();
      expect(await driverPodNames("pi")).toEqual(["pi-driver"]);
      await expectSteady(world);
    } finally {
      states.stop();
    }
    expect(states.seen).toEqual(["SUBMITTED", "RUNNING", "COMPLETED"]);
  });

  it("reruns a failed driver after a growing backoff until onFailureRetries, then FAILED", async () => {
    const interval = 2;
    await submit(
      "retry",
      sparkPi({
        restartPolicy: { type: "OnFailure", onFailureRetries: 2, onFailureRetryInterval: interval },
      }),
    );
    const drivers = ["retry-driver", "retry-driver-2", "retry-driver-3"];
    for (const [index, podName] of drivers.entries()) {
      await runningDriver(podName);
      await reaches("retry", "RUNNING", (view) => view.status?.driverInfo?.podName === podName);
      await endDriver(podName, { phase: "Failed", exitCode: 1 });
      const failedAt = performance.now();
      const next = drivers[index + 1];
      if (next === undefined) break;
      const pending = await reaches("retry", "PENDING_RERUN");
      expect(pending.status?.failures).toEqual({ application: index + 1, infrastructure: 0, submission: 0 });
      expect(pending.status?.rerunTime).toBeDefined();
      expect(pending.status?.applicationState?.errorMessage).toContain("exited with code 1");
      // The failed driver stays for its logs until the next run starts.
      expect(await driverPodNames("retry")).toEqual([podName]);
      await eventually(
        `${next} created`,
        async () => ((await world.kube.send("GET", podPath(next))).status === 200 ? true : undefined),
        { intervalMs: 50, timeoutMs: 30_000 },
      );
      const waited = (performance.now() - failedAt) / 1000;
      // Linear backoff: the interval times the failed runs so far. finishedAt has whole
      // seconds, so the rerun can come up to a second early.
      const backoff = interval * (index + 1);
      timing(`retry: ${next} created ${waited.toFixed(2)} s after ${podName} failed (backoff ${backoff} s)`);
      expect(waited).toBeGreaterThanOrEqual(backoff - 1);
      expect(waited).toBeLessThan(backoff + 4);
    }
    const failed = await reaches("retry", "FAILED");
    expect(failed.status?.failures).toEqual({ application: 3, infrastructure: 0, submission: 0 });
    expect(failed.status?.executionAttempts).toBe(3);
    expect(failed.status?.applicationState?.errorMessage).toContain("exited with code 1");
    expect(condition(failed, "Ready")).toMatchObject({ status: "False", reason: "Failed" });
    expect(condition(failed, "Stalled")).toMatchObject({ status: "True", reason: "Failed" });
    expect(condition(failed, "Reconciling")).toMatchObject({ status: "False" });
    expect(await driverPodNames("retry")).toEqual(["retry-driver-3"]);
    await expectSteady(world);
  });

  it("reruns an evicted driver as an infrastructure failure even with onFailureRetries 0", async () => {
    await submit(
      "evicted",
      sparkPi({
        restartPolicy: { type: "OnFailure", onFailureRetries: 0, onInfrastructureFailureRetryInterval: 1 },
      }),
    );
    await runningDriver("evicted-driver");
    await reaches("evicted", "RUNNING");
    // What the kubelet's eviction manager writes (1.26+): phase Failed, reason Evicted, a
    // DisruptionTarget condition, and the killed container's 137.
    const message = "The node was low on resource: memory.";
    await endDriver("evicted-driver", {
      phase: "Failed",
      exitCode: 137,
      podReason: { reason: "Evicted", message },
      disruption: { reason: "TerminationByKubelet", message },
    });
    await runningDriver("evicted-driver-2");
    const rerun = await reaches("evicted", "RUNNING", (view) => view.status?.attempt === 2);
    expect(rerun.status?.failures).toEqual({ application: 0, infrastructure: 1, submission: 0 });
    expect(rerun.status?.driverInfo?.podName).toBe("evicted-driver-2");
    expect(condition(rerun, "Ready")).toMatchObject({ status: "False", reason: "Running" });
    expect(condition(rerun, "Stalled")).toMatchObject({ status: "False" });
    expect(await driverPodNames("evicted")).toEqual(["evicted-driver-2"]);

    await endDriver("evicted-driver-2", { phase: "Succeeded", exitCode: 0 });
    const completed = await reaches("evicted", "COMPLETED");
    expect(condition(completed, "Ready")).toMatchObject({ status: "True" });
    await expectSteady(world);
  });

  it("reruns a driver evicted without a DisruptionTarget condition (reason Evicted only)", async () => {
    await submit(
      "evicted-plain",
      sparkPi({
        restartPolicy: { type: "OnFailure", onFailureRetries: 0, onInfrastructureFailureRetryInterval: 1 },
      }),
    );
    await runningDriver("evicted-plain-driver");
    await reaches("evicted-plain", "RUNNING");
    // status.reason Evicted with the container killed: what kubelets write without
    // PodDisruptionConditions, and what `kubectl get pod` shows as Evicted.
    await endDriver("evicted-plain-driver", {
      phase: "Failed",
      exitCode: 137,
      podReason: { reason: "Evicted", message: "The node was low on resource: ephemeral-storage." },
    });
    const settled = await eventually("evicted-plain rerun or FAILED", async () => {
      const view = await read("evicted-plain");
      return stateOf(view) === "FAILED" || (view.status?.attempt ?? 0) >= 2 ? view : undefined;
    });
    expect(settled.status?.failures).toEqual({ application: 0, infrastructure: 1, submission: 0 });
    expect(settled.status?.attempt).toBe(2);
    await runningDriver("evicted-plain-driver-2");
    await endDriver("evicted-plain-driver-2", { phase: "Succeeded", exitCode: 0 });
    await reaches("evicted-plain", "COMPLETED");
    await expectSteady(world);
  });

  it("reruns a driver pod deleted while it runs, as an infrastructure failure", async () => {
    await submit(
      "deleted",
      sparkPi({
        restartPolicy: { type: "OnFailure", onFailureRetries: 0, onInfrastructureFailureRetryInterval: 1 },
      }),
    );
    await runningDriver("deleted-driver");
    await reaches("deleted", "RUNNING");
    const deletedAt = performance.now();
    // A drain or a user: the driver pod goes away under the running application.
    await world.kube.delete(podPath("deleted-driver"));
    await runningDriver("deleted-driver-2");
    const rerun = await reaches("deleted", "RUNNING", (view) => view.status?.attempt === 2);
    timing(`deleted: next driver Running ${seconds(deletedAt)} s after the driver pod was deleted`);
    expect(rerun.status?.failures).toEqual({ application: 0, infrastructure: 1, submission: 0 });
    expect(await driverPodNames("deleted")).toEqual(["deleted-driver-2"]);
    await expectSteady(world);
  });

  it("waits in SUCCEEDING while a sidecar runs on, and completes when the pod ends", async () => {
    const sidecar = {
      name: "log-shipper",
      image: "busybox:1.36",
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    };
    await submit("sidecar", sparkPi({ driver: { cores: 1, memory: "512m", sidecars: [sidecar] } }));
    await runningDriver("sidecar-driver");
    await reaches("sidecar", "RUNNING");
    await endDriver("sidecar-driver", { phase: "Running", exitCode: 0 });
    const succeeding = await reaches("sidecar", "SUCCEEDING");
    expect(condition(succeeding, "Ready")).toMatchObject({ status: "False", reason: "Succeeding" });
    expect(condition(succeeding, "Reconciling")).toMatchObject({ status: "True" });
    await endDriver("sidecar-driver", { phase: "Succeeded", exitCode: 0 });
    const completed = await reaches("sidecar", "COMPLETED");
    expect(condition(completed, "Ready")).toMatchObject({ status: "True", reason: "Completed" });
    expect(await driverPodNames("sidecar")).toEqual(["sidecar-driver"]);
    await expectSteady(world);
  });

  it("counts a driver that does not start within startTimeoutSeconds as an infrastructure failure", async () => {
    const timeout = 3;
    const started = performance.now();
    await submit(
      "stuck",
      sparkPi({
        driver: {
          cores: 1,
          memory: "512m",
          startTimeoutSeconds: timeout,
          nodeSelector: { [NOWHERE_LABEL]: "true" },
        },
        restartPolicy: {
          type: "Never",
          onInfrastructureFailureRetries: 1,
          onInfrastructureFailureRetryInterval: 1,
        },
      }),
    );
    const submitted = await reaches(
      "stuck",
      "SUBMITTED",
      (view) => view.status?.driverInfo?.podName === "stuck-driver",
    );
    expect(condition(submitted, "Ready")).toMatchObject({ status: "False", reason: "Submitted" });
    // The scheduler reports the pod Unschedulable; the application says so while it waits.
    const unschedulable = await reaches(
      "stuck",
      "SUBMITTED",
      (view) => condition(view, "Stalled")?.status === "True",
    );
    expect(condition(unschedulable, "Stalled")).toMatchObject({ reason: "DriverStuck" });
    expect(condition(unschedulable, "Stalled")?.message).toContain("Unschedulable");

    // The second run: read from the status, since its pod lives only for its own 3 s timeout
    // and is removed right after (a poll of the pod can miss it); the FAILED message below names it.
    const second = await eventually(
      "stuck on its second run",
      async () => {
        const view = await read("stuck");
        return (view.status?.attempt ?? 0) >= 2 ? view : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(second.status?.driverInfo?.podName).toBe("stuck-driver-2");
    timing(`stuck: second run ${seconds(started)} s after create (startTimeoutSeconds ${timeout})`);
    const failed = await reaches("stuck", "FAILED", () => true, 30_000);
    timing(`stuck: FAILED ${seconds(started)} s after create`);
    expect(failed.status?.failures).toEqual({ application: 0, infrastructure: 2, submission: 0 });
    expect(failed.status?.applicationState?.errorMessage).toMatch(
      /driver pod stuck-driver-2 did not start within 3s \(driver.startTimeoutSeconds\): Unschedulable/,
    );
    expect(condition(failed, "Stalled")).toMatchObject({ status: "True", reason: "Failed" });
    await expectSteady(world);
  });

  it("removes a driver that timed out starting, so it cannot start once a node takes it", async () => {
    // Continues "stuck": the FAILED run's driver never started, so it has no logs to keep. Kept,
    // it would start as soon as a node could take it, running an application that says FAILED.
    await eventually(
      "stuck's drivers removed",
      async () => ((await driverPodNames("stuck")).length === 0 ? true : undefined),
      { timeoutMs: 10_000 },
    );
    const node = "/api/v1/nodes/kwok-node-0";
    await world.kube.mergePatch(node, { metadata: { labels: { [NOWHERE_LABEL]: "true" } } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await driverPodNames("stuck")).toEqual([]);
      expect(stateOf(await read("stuck"))).toBe("FAILED");
    } finally {
      await world.kube.mergePatch(node, { metadata: { labels: { [NOWHERE_LABEL]: null } } });
    }
    await expectSteady(world);
  });

  it("suspends and resumes, and reruns on a spec change after removing the old driver", async () => {
    await submit("pause", sparkPi());
    await runningDriver("pause-driver");
    await reaches("pause", "RUNNING");

    const suspending = recordStates("pause");
    try {
      await world.kube.mergePatch(application("pause"), { spec: { suspend: true } });
      const suspended = await reaches("pause", "SUSPENDED");
      expect(condition(suspended, "Ready")).toMatchObject({ status: "True", reason: "Suspended" });
      expect(await driverPodNames("pause")).toEqual([]);
    } finally {
      suspending.stop();
    }
    expect(suspending.seen).toEqual(["RUNNING", "SUSPENDING", "SUSPENDED"]);
    await expectSteady(world);

    const resumed = performance.now();
    await world.kube.mergePatch(application("pause"), { spec: { suspend: false } });
    await runningDriver("pause-driver-2");
    const running = await reaches("pause", "RUNNING", (view) => view.status?.attempt === 2);
    timing(`pause: resumed driver Running ${seconds(resumed)} s after resume`);
    expect(running.status?.driverInfo?.podName).toBe("pause-driver-2");
    expect(await driverPodNames("pause")).toEqual(["pause-driver-2"]);
    await expectSteady(world);

    const changing = recordStates("pause");
    const changed = performance.now();
    try {
      await world.kube.mergePatch(application("pause"), { spec: { arguments: ["2000"] } });
      await runningDriver("pause-driver-3");
      const rerun = await reaches("pause", "RUNNING", (view) => view.status?.attempt === 3);
      timing(`pause: driver of the changed spec Running ${seconds(changed)} s after the edit`);
      expect(rerun.status?.failures).toEqual({ application: 0, infrastructure: 0, submission: 0 });
      expect(await driverPodNames("pause")).toEqual(["pause-driver-3"]);
      const driver = await world.kube.get<DriverPodView>(podPath("pause-driver-3"));
      expect(driver.spec.containers[0]?.args).toContain("2000");
    } finally {
      changing.stop();
    }
    expect(changing.seen).toEqual(["RUNNING", "INVALIDATING", "SUBMITTED", "RUNNING"]);
    await expectSteady(world);
  });

  it("removes a finished application's children after timeToLiveSeconds and keeps the resource", async () => {
    const ttl = 3;
    await submit("short", sparkPi({ timeToLiveSeconds: ttl }));
    await runningDriver("short-driver");
    await reaches("short", "RUNNING");
    await endDriver("short-driver", { phase: "Succeeded", exitCode: 0 });
    const ended = performance.now();
    await reaches("short", "COMPLETED");
    const expired = await reaches(
      "short",
      "COMPLETED",
      (view) => condition(view, "Expired")?.status === "True",
    );
    timing(`short: children expired ${seconds(ended)} s after the driver ended (timeToLiveSeconds ${ttl})`);
    const childrenGone = await eventually("short's children gone", async () => {
      const selector = encodeURIComponent("app.kubernetes.io/instance=short");
      const [pods, services, maps] = await Promise.all(
        ["pods", "services", "configmaps"].map((kind) =>
          world.kube.get<ObjectList<unknown>>(
            `/api/v1/namespaces/${world.namespace}/${kind}?labelSelector=${selector}`,
          ),
        ),
      );
      return pods?.items.length === 0 && services?.items.length === 0 && maps?.items.length === 0
        ? true
        : undefined;
    });
    expect(childrenGone).toBe(true);
    expect(performance.now() - ended).toBeGreaterThanOrEqual((ttl - 1) * 1000);
    expect(condition(expired, "Ready")).toMatchObject({ status: "True", reason: "Completed" });
    expect((await read("short")).metadata.deletionTimestamp).toBeUndefined();
    await expectSteady(world);
  });

  it("stays until its driver is gone when deleted, then its finalizer goes and it disappears", async () => {
    await submit("gone", sparkPi());
    const driver = await runningDriver("gone-driver");
    await reaches("gone", "RUNNING");
    expect((await read("gone")).metadata.finalizers).toContain(FINALIZER);
    // A driver pod that takes its time to go (a slow node, a long grace period): kwok removes
    // deleted pods at once, so a finalizer of the scenario's own holds it.
    await world.kube.mergePatch(podPath("gone-driver"), { metadata: { finalizers: [HOLD_FINALIZER] } });

    await world.kube.delete(application("gone"));
    const deleting = await eventually("gone finalizing", async () => {
      const view = await read("gone");
      return condition(view, "Ready")?.reason === "Deleting" ? view : undefined;
    });
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(condition(deleting, "Reconciling")).toMatchObject({ status: "True", reason: "Finalizing" });
    await eventually("gone-driver being deleted", async () => {
      const pod = await world.kube.get<DriverPodView>(podPath("gone-driver"));
      return pod.metadata.deletionTimestamp !== undefined ? true : undefined;
    });
    // Several finalize polls later the application is still there, waiting for its driver.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const waiting = await read("gone");
    expect(waiting.metadata.finalizers).toContain(FINALIZER);
    expect(condition(waiting, "Ready")?.message).toContain("waiting for");

    const released = performance.now();
    await world.kube.mergePatch(podPath("gone-driver"), { metadata: { finalizers: null } });
    await eventually(
      "gone deleted",
      async () => ((await world.kube.send("GET", application("gone"))).status === 404 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    timing(`gone: resource deleted ${seconds(released)} s after its driver pod was released`);
    expect((await world.kube.send("GET", podPath(driver.metadata.name))).status).toBe(404);
    await expectSteady(world);
  });

  it("gets the SparkHistoryServer it links to from Metacontroller: a run started after it exists writes where it reads, an earlier run is left alone", async () => {
    const historyServers = `/apis/sparkhooks.dev/v1alpha1/namespaces/${world.namespace}/sparkhistoryservers`;
    const eventLogOf = async (podName: string) => {
      const driver = await eventually(`driver pod ${podName}`, async () => {
        const res = await world.kube.send<DriverPodView>("GET", podPath(podName));
        return res.status === 200 ? res.body : undefined;
      });
      const configMapName = driver.spec.volumes?.find((volume) => volume.name === "spark-conf-volume-driver")
        ?.configMap?.name;
      const configMap = await world.kube.get<ConfigMapView>(
        `/api/v1/namespaces/${world.namespace}/configmaps/${configMapName ?? ""}`,
      );
      const conf = properties(configMap.data?.["spark.properties"] ?? "");
      const volumes = (driver.spec.volumes ?? []) as { name: string; persistentVolumeClaim?: object }[];
      const mounts = (driver.spec.containers[0] as { volumeMounts?: { name: string; mountPath: string }[] })
        .volumeMounts;
      return {
        uid: driver.metadata.uid,
        dir: conf.get("spark.eventLog.dir"),
        claim: volumes.find((volume) => volume.name === "spark-events")?.persistentVolumeClaim,
        mountPath: mounts?.find((mount) => mount.name === "spark-events")?.mountPath,
      };
    };

    // Before the history server exists: the reference's defaults, radanalytics' claim and path.
    await submit("before-hs", sparkPi({ historyServer: { name: "hs" } }));
    const before = await eventLogOf("before-hs-driver");
    expect(before).toMatchObject({
      dir: "file:/history/spark-events",
      claim: { claimName: "hs-claim" },
      mountPath: "/history/spark-events",
    });

    await world.kube.create(historyServers, {
      apiVersion: "sparkhooks.dev/v1alpha1",
      kind: "SparkHistoryServer",
      metadata: { name: "hs" },
      spec: { sharedVolume: { mountPath: "/spark-events/hs" } },
    });
    await submit("after-hs", sparkPi({ historyServer: { name: "hs" } }));
    // Only the observed history server says /spark-events/hs: Metacontroller sent it as related.
    expect(await eventLogOf("after-hs-driver")).toMatchObject({
      dir: "file:/spark-events/hs",
      claim: { claimName: "hs-claim" },
      mountPath: "/spark-events/hs",
    });
    // The history server's arrival resyncs the earlier application; its run keeps its settings.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await eventLogOf("before-hs-driver")).toEqual(before);
    expect(condition(await read("before-hs"), "Ready")?.reason).not.toBe("InvalidSpec");

    await world.kube.delete(application("before-hs"));
    await world.kube.delete(application("after-hs"));
    await world.kube.delete(`${historyServers}/hs`);
    await eventually(
      "the linked applications and the history server gone",
      async () =>
        (await world.kube.send("GET", application("before-hs"))).status === 404 &&
        (await world.kube.send("GET", application("after-hs"))).status === 404 &&
        (await world.kube.send("GET", `${historyServers}/hs`)).status === 404
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
  });
});
