/**
 * ScheduledSparkApplication end to end: the real Metacontroller runs the shipped
 * CompositeControllers (composite-controllers/scheduledsparkapplication.yaml and
 * sparkapplication.yaml) against our real hook server, on the bed's control plane with kwok as
 * the kubelet. A schedule's runs are SparkApplications, whose own controller renders their
 * driver pods; kwok makes those Running, and a run ends when the scenario ends its driver the
 * way a kubelet reports it (as in sparkapplication.test.ts). So a run's status reaches its
 * schedule through Metacontroller's watch on the SparkApplication children, as in production.
 *
 * The schedules are `* * * * *` where the one-minute cadence is the point and `@every 20s`
 * elsewhere, to keep the file within a few minutes. Lateness (the run's ADDED watch event
 * against its scheduled time) goes to stderr with a `[timing]` prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watch, type ObjectList } from "./kube.js";
import { eventually, expectSteady, openWorld, type World } from "./world.js";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface ScheduledView {
  metadata: { name: string; uid: string };
  spec: Record<string, unknown>;
  status?: {
    scheduleState?: string;
    nextRun?: string;
    lastRun?: string;
    lastRunName?: string;
    activeRunNames?: string[];
    pastSuccessfulRunNames?: string[];
    pastFailedRunNames?: string[];
    missedRuns?: number;
    lastMissedRun?: string;
    skippedRuns?: number;
    lastSkippedRun?: string;
    conditions?: Condition[];
  };
}

interface RunView {
  metadata: {
    name: string;
    creationTimestamp: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  status?: { applicationState?: { state: string } };
}

interface PodView {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: { name: string; image: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const SCHEDULED_TIME = "sparkhooks.dev/scheduled-time";
const SCHEDULED_APP = "sparkhooks.dev/scheduled-app-name";
const FINALIZER = "metacontroller.io/compositecontroller-sparkhooks-sparkapplication";

let world: World;
/** Wall-clock time each run was first seen by the watch, by name. */
const firstSeen = new Map<string, number>();
let stopWatch: (() => void) | undefined;

beforeAll(async () => {
  world = await openWorld("scheduledsparkapplication");
  stopWatch = watch<RunView>(world.kube, applications(), (event) => {
    if (event.type === "ADDED" && !firstSeen.has(event.object.metadata.name)) {
      firstSeen.set(event.object.metadata.name, Date.now());
    }
  });
}, 120_000);

afterAll(async () => {
  stopWatch?.();
  if (world === undefined) return;
  // Runs carry the SparkApplication controller's finalizer: delete them while Metacontroller runs.
  await world.kube.send("DELETE", scheduledCollection()).catch(() => undefined);
  await world.kube.send("DELETE", applications()).catch(() => undefined);
  await eventually(
    "every SparkApplication gone",
    async () =>
      (await world.kube.get<ObjectList<unknown>>(applications())).items.length === 0 ? true : undefined,
    { timeoutMs: 60_000 },
  ).catch(() => undefined);
  await world.close();
}, 120_000);

const scheduledCollection = () =>
  `/apis/sparkhooks.dev/v1alpha1/namespaces/${world.namespace}/scheduledsparkapplications`;
const applications = () => `/apis/sparkhooks.dev/v1alpha1/namespaces/${world.namespace}/sparkapplications`;
const podPath = (name: string) => `/api/v1/namespaces/${world.namespace}/pods/${name}`;

/** SparkPi on Spark 3.5, one executor, on the namespace's default account: no Spark runs here. */
const TEMPLATE = {
  type: "Scala",
  mode: "cluster",
  image: "spark:3.5.5",
  mainClass: "org.apache.spark.examples.SparkPi",
  mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
  sparkVersion: "3.5.5",
  restartPolicy: { type: "Never" },
  driver: { cores: 1, memory: "512m" },
  executor: { instances: 1, cores: 1, memory: "512m" },
};

async function schedule(name: string, spec: Record<string, unknown>): Promise<void> {
  await world.kube.create(scheduledCollection(), {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "ScheduledSparkApplication",
    metadata: { name },
    spec: { template: TEMPLATE, ...spec },
  });
}

function readScheduled(name: string): Promise<ScheduledView> {
  return world.kube.get<ScheduledView>(`${scheduledCollection()}/${name}`);
}

/** The schedule's runs that are not being deleted, oldest first (by their scheduled time). */
async function runsOf(name: string): Promise<RunView[]> {
  const selector = encodeURIComponent(`${SCHEDULED_APP}=${name}`);
  const list = await world.kube.get<ObjectList<RunView>>(`${applications()}?labelSelector=${selector}`);
  return list.items
    .filter((run) => run.metadata.deletionTimestamp === undefined)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

function runsReach(name: string, count: number, timeoutMs = 90_000): Promise<RunView[]> {
  return eventually(
    `${name}: ${count} runs`,
    async () => {
      const runs = await runsOf(name);
      return runs.length >= count ? runs : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

function scheduledTimeOf(run: RunView): number {
  return Date.parse(run.metadata.annotations?.[SCHEDULED_TIME] ?? "");
}

/** Seconds from the run's scheduled time to the watch's first sight of it. */
function lateness(run: RunView): number {
  const seen = firstSeen.get(run.metadata.name) ?? Date.parse(run.metadata.creationTimestamp);
  return (seen - scheduledTimeOf(run)) / 1000;
}

function timing(line: string): void {
  process.stderr.write(`[timing] ScheduledSparkApplication ${line}\n`);
}

/** Waits until the run's driver pod exists and kwok has made it Running. */
function runningDriver(run: string, timeoutMs = 60_000): Promise<PodView> {
  return eventually(
    `driver of ${run} Running`,
    async () => {
      const res = await world.kube.send<PodView>("GET", podPath(`${run}-driver`));
      return res.status === 200 && res.body.status?.phase === "Running" ? res.body : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Ends the run's driver as the kubelet reports it (pods/status): the run then COMPLETES or FAILS. */
async function endRun(run: string, exitCode: number): Promise<void> {
  const pod = await runningDriver(run);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await world.kube.mergePatch(`${podPath(pod.metadata.name)}/status`, {
    status: {
      phase: exitCode === 0 ? "Succeeded" : "Failed",
      conditions: (pod.status?.conditions ?? []).map((c) =>
        c.type === "Ready" || c.type === "ContainersReady"
          ? { ...c, status: "False", reason: "PodCompleted", lastTransitionTime: now }
          : c,
      ),
      containerStatuses: pod.spec.containers.map((container) => ({
        name: container.name,
        image: container.image,
        imageID: "",
        ready: false,
        started: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? "Completed" : "Error",
            startedAt: now,
            finishedAt: now,
          },
        },
      })),
    },
  });
  const state = exitCode === 0 ? "COMPLETED" : "FAILED";
  await eventually(
    `${run} ${state}`,
    async () => {
      const res = await world.kube.send<RunView>("GET", `${applications()}/${run}`);
      return res.status === 200 && res.body.status?.applicationState?.state === state ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

async function suspend(name: string): Promise<void> {
  await world.kube.mergePatch(`${scheduledCollection()}/${name}`, { spec: { suspend: true } });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ScheduledSparkApplication on a real control plane with the real Metacontroller", () => {
  it.concurrent(
    "starts a run every minute on time, Allow letting runs overlap",
    async () => {
      await schedule("minutely", { schedule: "* * * * *", concurrencyPolicy: "Allow" });
      const created = await readScheduled("minutely");
      expect(created.status?.scheduleState ?? "Scheduled").toBe("Scheduled");
      const runs = await runsReach("minutely", 2, 150_000);
      for (const run of runs) {
        timing(`minutely: ${run.metadata.name} seen ${lateness(run).toFixed(2)} s after its scheduled time`);
        expect(scheduledTimeOf(run) % 60_000).toBe(0);
        expect(lateness(run)).toBeLessThan(5);
        expect(run.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: "ScheduledSparkApplication", name: "minutely", controller: true }),
        ]);
      }
      // Allow: the first run is still RUNNING (its driver never ends) while the second starts.
      await runningDriver(runs[0]!.metadata.name);
      await runningDriver(runs[1]!.metadata.name);
      const status = await eventually(
        "minutely reports both runs active",
        async () => {
          const view = await readScheduled("minutely");
          return (view.status?.activeRunNames?.length ?? 0) >= 2 ? view.status : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(status?.lastRunName).toBe(runs.at(-1)!.metadata.name);
      expect(Date.parse(status?.nextRun ?? "")).toBeGreaterThan(Date.now() - 1000);
      await suspend("minutely");
    },
    300_000,
  );

  it.concurrent(
    "Forbid skips a run while the last one is active, and starts again once it finished",
    async () => {
      await schedule("forbid", { schedule: "@every 20s", concurrencyPolicy: "Forbid" });
      const [first] = await runsReach("forbid", 1, 60_000);
      const firstName = first!.metadata.name;
      await runningDriver(firstName);
      const skipped = await eventually(
        "forbid skips the next run",
        async () => {
          const view = await readScheduled("forbid");
          return (view.status?.skippedRuns ?? 0) >= 1 ? view : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect((await runsOf("forbid")).map((run) => run.metadata.name)).toEqual([firstName]);
      timing(`forbid: skipped ${skipped.status?.lastSkippedRun ?? "?"} while ${firstName} ran`);
      await endRun(firstName, 0);
      const runs = await runsReach("forbid", 2, 60_000);
      expect(runs[0]!.metadata.name).toBe(firstName);
      expect(scheduledTimeOf(runs[1]!)).toBeGreaterThan(Date.parse(skipped.status?.lastSkippedRun ?? ""));
      await suspend("forbid");
    },
    300_000,
  );

  it.concurrent(
    "Replace deletes the active run when the next one is due and starts that one",
    async () => {
      await schedule("replace", { schedule: "@every 20s", concurrencyPolicy: "Replace" });
      const [first] = await runsReach("replace", 1, 60_000);
      const firstName = first!.metadata.name;
      await runningDriver(firstName);
      const second = await eventually(
        "replace starts a second run",
        async () => {
          const runs = await runsOf("replace");
          return runs.find((run) => run.metadata.name !== firstName);
        },
        { timeoutMs: 60_000 },
      );
      // The replaced run goes through its own finalizer (driver first), then is gone.
      await eventually(
        `${firstName} deleted`,
        async () =>
          (await world.kube.send("GET", `${applications()}/${firstName}`)).status === 404 ? true : undefined,
        { timeoutMs: 60_000 },
      );
      timing(`replace: ${second.metadata.name} replaced ${firstName}`);
      expect((await runsOf("replace")).map((run) => run.metadata.name)).toContain(second.metadata.name);
      await suspend("replace");
    },
    300_000,
  );

  it.concurrent(
    "keeps only the newest finished runs within the history limits, and starts nothing while suspended",
    async () => {
      await schedule("history", {
        schedule: "@every 20s",
        concurrencyPolicy: "Forbid",
        successfulRunHistoryLimit: 1,
        failedRunHistoryLimit: 1,
      });
      const ended: string[] = [];
      for (const exitCode of [0, 1, 0]) {
        const fresh = await eventually(
          `history: run ${ended.length + 1}`,
          async () => (await runsOf("history")).find((run) => !ended.includes(run.metadata.name)),
          { timeoutMs: 60_000 },
        );
        await endRun(fresh.metadata.name, exitCode);
        ended.push(fresh.metadata.name);
      }
      // The first COMPLETED run is beyond successfulRunHistoryLimit 1 once the third COMPLETED.
      const status = await eventually(
        "history pruned",
        async () => {
          const view = await readScheduled("history");
          const names = (await runsOf("history")).map((run) => run.metadata.name);
          return names.includes(ended[0]!) ? undefined : { view, names };
        },
        { timeoutMs: 30_000 },
      );
      expect(status.names).toEqual(expect.arrayContaining([ended[1], ended[2]]));
      expect(status.view.status?.pastSuccessfulRunNames).toEqual([ended[2]]);
      expect(status.view.status?.pastFailedRunNames).toEqual([ended[1]]);

      await suspend("history");
      const before = (await runsOf("history")).map((run) => run.metadata.name);
      await sleep(25_000);
      expect((await runsOf("history")).map((run) => run.metadata.name)).toEqual(before);
      const view = await readScheduled("history");
      expect(view.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
        status: "True",
        reason: "Suspended",
      });
    },
    300_000,
  );
});

describe("ScheduledSparkApplication after an outage", () => {
  it("skips the runs missed past startingDeadlineSeconds instead of starting a burst, and reports them", async () => {
    await schedule("outage", { schedule: "@every 20s", startingDeadlineSeconds: 5 });
    const [first] = await runsReach("outage", 1, 60_000);
    const before = await runsOf("outage");
    // The hook server goes away for three firings: every sync fails meanwhile.
    await world.hook.stop();
    const downAt = Date.now();
    await sleep(65_000);
    await world.hook.start();
    // Metacontroller back from a restart, as after an outage of its own: every parent synced once.
    await world.runtime.resyncAll();
    timing(`outage: hook server down ${((Date.now() - downAt) / 1000).toFixed(1)} s`);
    const view = await eventually(
      "outage reports missed runs",
      async () => {
        const current = await readScheduled("outage");
        return (current.status?.missedRuns ?? 0) >= 2 ? current : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const after = await runsOf("outage");
    // At most the one run due within the deadline at recovery; the missed ones never start.
    expect(after.length - before.length).toBeLessThanOrEqual(1);
    expect(after[0]!.metadata.name).toBe(first!.metadata.name);
    expect(view.status?.lastMissedRun).toBeDefined();
    timing(
      `outage: missedRuns ${view.status?.missedRuns ?? 0}, lastMissedRun ${view.status?.lastMissedRun ?? "?"}, ${after.length - before.length} run(s) started at recovery`,
    );
    // Then it runs on schedule again.
    const next = await runsReach("outage", after.length + 1, 40_000);
    timing(`outage: next run ${next.at(-1)!.metadata.name} ${lateness(next.at(-1)!).toFixed(2)} s late`);
    expect(lateness(next.at(-1)!)).toBeLessThan(5);
    await suspend("outage");
  }, 300_000);

  it("is steady once every schedule is suspended: a resync of every parent writes nothing", async () => {
    const list = await world.kube.get<ObjectList<ScheduledView>>(scheduledCollection());
    expect(list.items.every((item) => item.spec["suspend"] === true)).toBe(true);
    expect(list.items.map((item) => item.metadata.name).sort()).toEqual(
      ["forbid", "history", "minutely", "outage", "replace"].sort(),
    );
    // Every run of a schedule carries the SparkApplication controller's finalizer.
    const runs = await world.kube.get<ObjectList<{ metadata: { finalizers?: string[] } }>>(applications());
    for (const run of runs.items) expect(run.metadata.finalizers).toContain(FINALIZER);
    await expectSteady(world);
  }, 300_000);
});
