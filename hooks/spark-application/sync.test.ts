/**
 * The SparkApplication controller as Metacontroller drives it, through the HTTP app: sync after
 * sync, each answer's status written back onto the parent and its children created or deleted,
 * the driver pod moved through what the kubelet reports, executors appearing as related pods.
 */
import { describe, expect, it } from "vitest";
import { keepObserved } from "../kube/observed.js";
import type { KubeObject } from "../metacontroller/protocol.js";
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY } from "../spark/labels.js";
import { defaultApp } from "../../test/support/app.js";
import {
  applicationParent,
  applicationRequest,
  apply,
  changeChild,
  conditionOf,
  driverEvicted,
  driverFailed,
  driverPending,
  driverSucceeded,
  exampleApplication,
  executorPod,
  historyServer,
  names,
  newWorld,
  ofKind,
  pods,
  postCustomize,
  postFinalize,
  postSync,
  secondsAfter,
  stateOf,
  step,
  T0,
  type World,
} from "../../test/support/applications.js";
import { EXECUTOR_TEMPLATE_FILE, SPARK_PROPERTIES_FILE } from "./spark-properties.js";

/** The hook as `npm start` serves it; each request below carries the time it is made at. */
let clock = T0;
const app = defaultApp({ now: () => clock });

async function syncAt(world: World, seconds: number) {
  clock = secondsAfter(seconds);
  return step(app, world, clock);
}

function withSpec(world: World, change: (spec: Record<string, unknown>) => Record<string, unknown>): World {
  const parent = world.parent as KubeObject & { spec: Record<string, unknown> };
  return {
    ...world,
    parent: {
      ...parent,
      metadata: { ...parent.metadata, generation: (parent.metadata.generation ?? 1) + 1 },
      spec: change(parent.spec),
    },
  };
}

function sparkProperties(children: readonly { kind: string }[]): Map<string, string> {
  const [configMap] = ofKind(children, "ConfigMap") as unknown as { data: Record<string, string> }[];
  const text = configMap?.data[SPARK_PROPERTIES_FILE] ?? "";
  return new Map(
    text
      .split("\n")
      .filter((line) => line.includes("=") && !line.startsWith("#"))
      .map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)] as [string, string];
      }),
  );
}

function driverOf(world: World, name: string): KubeObject {
  const driver = pods(world.children).find((pod) => pod.metadata.name === name);
  if (driver === undefined) throw new Error(`no driver ${name} in ${names(world.children).join(", ")}`);
  return driver;
}

describe("an application from creation to completion (examples/sparkapplication/spark-pi-3.5.yaml)", () => {
  const created = newWorld(exampleApplication("spark-pi-3.5.yaml"));

  it("is SUBMITTED with its ConfigMap, Services and driver pod, checked again at the start timeout", async () => {
    const { answer } = await syncAt(created, 0);
    expect(names(answer.children)).toEqual([
      "ConfigMap/spark-pi-conf-1",
      "Pod/spark-pi-driver",
      "Service/spark-pi-driver-svc",
      "Service/spark-pi-ui-svc",
    ]);
    expect(answer.resyncAfterSeconds).toBe(600);
    expect(answer.status).toMatchObject({
      applicationState: { state: "SUBMITTED" },
      attempt: 1,
      executionAttempts: 1,
      submissionAttempts: 1,
      lastSubmissionAttemptTime: "2026-12-01T10:00:00Z",
      failures: { application: 0, infrastructure: 0 },
      driverInfo: { podName: "spark-pi-driver", webUIServiceName: "spark-pi-ui-svc", webUIPort: 4040 },
      executorState: {},
    });
    expect(conditionOf(answer.status, "Ready")).toMatchObject({ status: "False", reason: "Submitted" });
    expect(conditionOf(answer.status, "Reconciling")).toMatchObject({ status: "True" });
  });

  it("on Spark 3.5 reaches the driver through the headless Service: spark.driver.host is its DNS name", async () => {
    const { answer } = await syncAt(created, 0);
    const [service] = ofKind(answer.children, "Service") as unknown as { spec: { clusterIP?: string } }[];
    expect(service?.spec.clusterIP).toBe("None");
    const conf = sparkProperties(answer.children);
    expect(conf.get("spark.driver.host")).toBe("spark-pi-driver-svc.default.svc");
    expect(conf.has("spark.kubernetes.executor.useDriverPodIP")).toBe(false);
  });

  it("is RUNNING once the driver runs, and lists the executors Spark creates", async () => {
    const submitted = (await syncAt(created, 0)).world;
    const first = await syncAt(submitted, 5);
    expect(stateOf(first.answer.status)).toBe("RUNNING");
    expect(first.answer.status).toMatchObject({
      driverInfo: { webUIAddress: expect.stringMatching(/^10\.96\.\d+\.\d+:4040$/) as unknown },
    });
    const driver = driverOf(first.world, "spark-pi-driver");
    const withExecutors: World = {
      ...first.world,
      related: [executorPod("spark-pi", driver, 1), executorPod("spark-pi", driver, 2, "Pending")],
    };
    const { answer } = await syncAt(withExecutors, 10);
    expect(stateOf(answer.status)).toBe("RUNNING");
    // Executors coming and going change nothing Metacontroller applies.
    expect(answer.children).toEqual(first.answer.children);
    expect(Object.values(answer.status["executorState"] as Record<string, string>)).toEqual([
      "RUNNING",
      "PENDING",
    ]);
  });

  it("counts only the current run's executors, by spark-app-selector", async () => {
    const running = (await syncAt((await syncAt(created, 0)).world, 5)).world;
    const driver = driverOf(running, "spark-pi-driver");
    const stale = executorPod("spark-pi", driver, 7);
    const otherRun = {
      ...stale,
      metadata: {
        ...stale.metadata,
        labels: { ...stale.metadata.labels, "spark-app-selector": "spark-0ld" },
      },
    };
    const { answer } = await syncAt(
      { ...running, related: [executorPod("spark-pi", driver, 1), otherRun] },
      10,
    );
    expect(Object.keys(answer.status["executorState"] as object)).toHaveLength(1);
  });

  it("is COMPLETED when the driver succeeds: Ready, the driver kept for its logs, terminationTime from the container", async () => {
    const running = (await syncAt((await syncAt(created, 0)).world, 5)).world;
    const driver = driverOf(running, "spark-pi-driver");
    const withExecutors = (await syncAt({ ...running, related: [executorPod("spark-pi", driver, 1)] }, 10))
      .world;
    // The driver exits at 60 s; Spark deletes its executors as it stops.
    const done = changeChild({ ...withExecutors, related: [] }, "spark-pi-driver", (pod) =>
      driverSucceeded(pod, secondsAfter(60)),
    );
    const { answer } = await syncAt(done, 75);
    expect(stateOf(answer.status)).toBe("COMPLETED");
    expect(answer.status["terminationTime"]).toBe("2026-12-01T10:01:00Z");
    expect(Object.values(answer.status["executorState"] as object)).toEqual(["COMPLETED"]);
    expect(names(answer.children)).toContain("Pod/spark-pi-driver");
    expect(conditionOf(answer.status, "Ready")).toMatchObject({
      status: "True",
      reason: "Completed",
      lastTransitionTime: "2026-12-01T10:01:15Z",
    });
    expect(conditionOf(answer.status, "Reconciling")).toMatchObject({ status: "False" });
    expect(answer.resyncAfterSeconds).toBeUndefined();
  });
});

describe("a driver pod with a sidecar", () => {
  it("is SUCCEEDING while the sidecar keeps the pod running, and COMPLETED once the grace period is over", async () => {
    const running = (
      await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
    ).world;
    // The Spark container exited 0 at 60 s; a log shipper beside it keeps the pod Running.
    const sparkDone = changeChild(running, "spark-pi-driver", (pod) => {
      const ended = driverSucceeded(pod, secondsAfter(60));
      return { ...ended, status: { ...(ended.status as object), phase: "Running" } };
    });
    const succeeding = await syncAt(sparkDone, 61);
    expect(stateOf(succeeding.answer.status)).toBe("SUCCEEDING");
    expect(succeeding.answer.resyncAfterSeconds).toBe(29);
    const completed = await syncAt(succeeding.world, 90);
    expect(stateOf(completed.answer.status)).toBe("COMPLETED");
    expect(completed.answer.status["terminationTime"]).toBe("2026-12-01T10:01:00Z");
  });
});

describe("executors of a failed run", () => {
  it("last seen running are reported FAILED once the run has failed", async () => {
    const running = (
      await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
    ).world;
    const driver = driverOf(running, "spark-pi-driver");
    const seen = (await syncAt({ ...running, related: [executorPod("spark-pi", driver, 1)] }, 10)).world;
    const failed = changeChild({ ...seen, related: [] }, "spark-pi-driver", (pod) =>
      driverFailed(pod, secondsAfter(30)),
    );
    const { answer } = await syncAt(failed, 31);
    expect(stateOf(answer.status)).toBe("FAILED");
    expect(Object.values(answer.status["executorState"] as object)).toEqual(["FAILED"]);
  });
});

describe("restartPolicy Always", () => {
  it("runs the application again after a success, with a new driver pod", async () => {
    const parent = exampleApplication("spark-pi-3.5.yaml") as KubeObject & { spec: object };
    const always = newWorld({
      ...parent,
      spec: { ...parent.spec, restartPolicy: { type: "Always", onFailureRetryInterval: 30 } },
    });
    const running = (await syncAt((await syncAt(always, 0)).world, 5)).world;
    const done = changeChild(running, "spark-pi-driver", (pod) => driverSucceeded(pod, secondsAfter(60)));
    const waiting = await syncAt(done, 61);
    expect(waiting.answer.status).toMatchObject({
      applicationState: { state: "PENDING_RERUN" },
      rerunTime: "2026-12-01T10:01:30Z",
    });
    const rerun = await syncAt(waiting.world, 90);
    expect(names(pods(rerun.answer.children))).toEqual(["Pod/spark-pi-driver-2"]);
    expect(rerun.answer.status).toMatchObject({
      attempt: 2,
      failures: { application: 0, infrastructure: 0 },
    });
  });
});

describe("a spec change on a completed application", () => {
  it("runs it again under the new spec, as kubeflow does", async () => {
    const running = (
      await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
    ).world;
    const done = changeChild(running, "spark-pi-driver", (pod) => driverSucceeded(pod, secondsAfter(60)));
    const completed = (await syncAt(done, 61)).world;
    const invalidating = await syncAt(
      withSpec(completed, (spec) => ({ ...spec, arguments: ["10"] })),
      100,
    );
    expect(stateOf(invalidating.answer.status)).toBe("INVALIDATING");
    const next = await syncAt(invalidating.world, 102);
    expect(next.answer.status).toMatchObject({ applicationState: { state: "SUBMITTED" }, attempt: 2 });
    expect(conditionOf(next.answer.status, "Ready")).toMatchObject({
      status: "False",
      lastTransitionTime: "2026-12-01T10:01:40Z",
    });
  });
});

describe("condition timestamps", () => {
  it("move only when a condition's status flips, not when its reason or message does", async () => {
    const submitted = await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0);
    const running = await syncAt(submitted.world, 5);
    const ready = (answer: { status: unknown }) => conditionOf(answer.status, "Ready");
    expect(ready(submitted.answer)).toMatchObject({
      reason: "Submitted",
      lastTransitionTime: "2026-12-01T10:00:00Z",
    });
    expect(ready(running.answer)).toMatchObject({
      reason: "Running",
      lastTransitionTime: "2026-12-01T10:00:00Z",
    });
    const again = await syncAt(running.world, 30);
    expect(again.answer.status["conditions"]).toEqual(running.answer.status["conditions"]);
  });

  it("are the same bytes for the same request", async () => {
    const running = (
      await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
    ).world;
    const request = applicationRequest(running.parent, running.children, running.related);
    clock = secondsAfter(40);
    const first = await postSync(app, request);
    const second = await postSync(app, request);
    expect(first.status).toBe(200);
    expect(second.text).toBe(first.text);
  });
});

describe("timeToLiveSeconds", () => {
  it("keeps the finished driver until the TTL, then removes every child and says so in Expired", async () => {
    const parent = exampleApplication("spark-pi-3.5.yaml") as KubeObject & { spec: object };
    const world = newWorld({ ...parent, spec: { ...parent.spec, timeToLiveSeconds: 300 } });
    const running = (await syncAt((await syncAt(world, 0)).world, 5)).world;
    const done = changeChild(running, "spark-pi-driver", (pod) => driverSucceeded(pod, secondsAfter(60)));
    const completed = await syncAt(done, 61);
    expect(stateOf(completed.answer.status)).toBe("COMPLETED");
    expect(completed.answer.resyncAfterSeconds).toBe(299);
    expect(completed.answer.children).toHaveLength(4);

    const expired = await syncAt(completed.world, 360);
    expect(expired.answer.children).toEqual([]);
    expect(stateOf(expired.answer.status)).toBe("COMPLETED");
    expect(conditionOf(expired.answer.status, "Expired")).toMatchObject({
      status: "True",
      reason: "TimeToLiveExpired",
      message: expect.stringContaining("cannot delete its own SparkApplication") as unknown,
    });
    // Nothing observed any more: it stays expired, and nothing is created again.
    const after = await syncAt(expired.world, 400);
    expect(after.answer.children).toEqual([]);
    expect(conditionOf(after.answer.status, "Expired")).toMatchObject({ status: "True" });
  });
});

describe("restartPolicy OnFailure (examples/sparkapplication/spark-pi-on-failure.yaml: 3 retries, 10 s × failures)", () => {
  const app0 = newWorld(exampleApplication("spark-pi-on-failure.yaml"));

  /** Runs the current driver until it fails at `failAt`; returns the world after the sync at `syncAt`. */
  async function failCurrent(world: World, driverName: string, failAt: number, at: number) {
    const failed = changeChild(world, driverName, (pod) => driverFailed(pod, secondsAfter(failAt)));
    return syncAt(failed, at);
  }

  it("waits the backoff after a failure, keeping the failed driver, then reruns with a new driver pod", async () => {
    const running = (await syncAt((await syncAt(app0, 0)).world, 5)).world;
    const pending = await failCurrent(running, "spark-pi-on-failure-driver", 30, 31);
    expect(pending.answer.status).toMatchObject({
      applicationState: {
        state: "PENDING_RERUN",
        errorMessage: expect.stringContaining("exited with code 1") as unknown,
      },
      rerunTime: "2026-12-01T10:00:40Z",
      failures: { application: 1, infrastructure: 0 },
    });
    expect(pending.answer.resyncAfterSeconds).toBe(9);
    expect(names(pods(pending.answer.children))).toEqual(["Pod/spark-pi-on-failure-driver"]);

    const rerun = await syncAt(pending.world, 40);
    expect(names(rerun.answer.children)).toEqual([
      "ConfigMap/spark-pi-on-failure-conf-2",
      "Pod/spark-pi-on-failure-driver-2",
      "Service/spark-pi-on-failure-driver-svc",
      "Service/spark-pi-on-failure-ui-svc",
    ]);
    expect(rerun.answer.status).toMatchObject({
      applicationState: { state: "SUBMITTED" },
      attempt: 2,
      executionAttempts: 2,
      failures: { application: 1, infrastructure: 0 },
      driverInfo: { podName: "spark-pi-on-failure-driver-2" },
    });
    expect(rerun.answer.status["rerunTime"]).toBeUndefined();
  });

  it("is FAILED and Stalled after the fourth failure, with the linear backoff between runs", async () => {
    let world = (await syncAt(app0, 0)).world;
    let now = 0;
    const rerunTimes: string[] = [];
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const driver = attempt === 1 ? "spark-pi-on-failure-driver" : `spark-pi-on-failure-driver-${attempt}`;
      world = (await syncAt(world, now + 1)).world; // running
      const failed = await failCurrent(world, driver, now + 20, now + 21);
      world = failed.world;
      if (attempt === 4) {
        expect(failed.answer.status).toMatchObject({
          applicationState: { state: "FAILED" },
          executionAttempts: 4,
          failures: { application: 4, infrastructure: 0 },
        });
        expect(conditionOf(failed.answer.status, "Stalled")).toMatchObject({
          status: "True",
          reason: "Failed",
        });
        expect(conditionOf(failed.answer.status, "Ready")).toMatchObject({
          status: "False",
          reason: "Failed",
        });
        expect(failed.answer.resyncAfterSeconds).toBeUndefined();
        // The last driver stays for its logs.
        expect(names(pods(failed.answer.children))).toEqual([`Pod/${driver}`]);
        break;
      }
      rerunTimes.push(failed.answer.status["rerunTime"] as string);
      now = Date.parse(failed.answer.status["rerunTime"] as string) / 1000 - T0.getTime() / 1000;
      world = (await syncAt(world, now)).world; // the rerun starts
    }
    // Each wait is 10 s times the failures so far, counted from the failed driver's end (each
    // run fails 20 s after the one before it started): 20 + 10, 50 + 20, 90 + 30.
    expect(rerunTimes).toEqual(["2026-12-01T10:00:30Z", "2026-12-01T10:01:10Z", "2026-12-01T10:02:00Z"]);
  });

  it("counts an evicted driver as an infrastructure failure, not one of the application's retries", async () => {
    const running = (await syncAt((await syncAt(app0, 0)).world, 5)).world;
    const evicted = changeChild(running, "spark-pi-on-failure-driver", (pod) =>
      driverEvicted(pod, secondsAfter(30)),
    );
    const { answer } = await syncAt(evicted, 31);
    expect(answer.status).toMatchObject({
      failures: { application: 0, infrastructure: 1 },
      applicationState: { errorMessage: expect.stringContaining("TerminationByKubelet") as unknown },
    });
  });

  it("counts a driver stuck in ImagePullBackOff past the start timeout as an infrastructure failure", async () => {
    const submitted = (await syncAt(app0, 0)).world;
    const stuck = changeChild(submitted, "spark-pi-on-failure-driver", (pod) =>
      driverPending(pod, "ImagePullBackOff"),
    );
    const waiting = await syncAt(stuck, 60);
    expect(stateOf(waiting.answer.status)).toBe("SUBMITTED");
    expect(waiting.answer.resyncAfterSeconds).toBe(540);
    expect(conditionOf(waiting.answer.status, "Stalled")).toMatchObject({
      status: "True",
      reason: "DriverStuck",
      message: expect.stringContaining("ImagePullBackOff") as unknown,
    });
    const timedOut = await syncAt(waiting.world, 600);
    expect(timedOut.answer.status).toMatchObject({
      failures: { application: 0, infrastructure: 1 },
      applicationState: {
        errorMessage: expect.stringContaining(
          "did not start within 600s (driver.startTimeoutSeconds)",
        ) as unknown,
      },
    });
  });
});

describe("a sync that reads the parent before the last status write arrived", () => {
  it("continues from the newer driver pod's run record, so the attempt and failures never go back", async () => {
    const on = newWorld(exampleApplication("spark-pi-on-failure.yaml"));
    const running = (await syncAt((await syncAt(on, 0)).world, 5)).world;
    const failed = changeChild(running, "spark-pi-on-failure-driver", (pod) =>
      driverFailed(pod, secondsAfter(20)),
    );
    const pending = (await syncAt(failed, 21)).world;
    const rerun = (await syncAt(pending, 30)).world;
    // Metacontroller's cache still holds the PENDING_RERUN status while driver-2 is observed.
    const stale: World = { ...rerun, parent: pending.parent };
    const { answer } = await syncAt(stale, 31);
    expect(answer.status).toMatchObject({
      attempt: 2,
      executionAttempts: 2,
      failures: { application: 1, infrastructure: 0 },
      applicationState: { state: "RUNNING" },
    });
    expect(names(pods(answer.children))).toEqual(["Pod/spark-pi-on-failure-driver-2"]);
  });
});

describe("a driver pod deleted while it runs", () => {
  it("ends the run as an infrastructure failure and, under restartPolicy Never, the application FAILED", async () => {
    const running = (
      await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
    ).world;
    const deleted: World = { ...running, children: running.children.filter((child) => child.kind !== "Pod") };
    const { answer } = await syncAt(deleted, 30);
    expect(answer.status).toMatchObject({
      applicationState: { state: "FAILED", errorMessage: expect.stringContaining("disappeared") as unknown },
      failures: { application: 0, infrastructure: 1 },
    });
    // A finished driver someone deleted is not brought back.
    expect(pods(answer.children)).toEqual([]);
  });
});

describe("a fixed spec.driver.podName", () => {
  it("reruns under the same pod name only after the failed run's pod is gone", async () => {
    const parent = exampleApplication("spark-pi-on-failure.yaml") as KubeObject & {
      spec: { driver: object };
    };
    const fixed = newWorld({
      ...parent,
      spec: { ...parent.spec, driver: { ...parent.spec.driver, podName: "pi" } },
    });
    const running = (await syncAt((await syncAt(fixed, 0)).world, 5)).world;
    const pending = (
      await syncAt(
        changeChild(running, "pi", (pod) => driverFailed(pod, secondsAfter(20))),
        21,
      )
    ).world;
    const dropping = await syncAt(pending, 30);
    expect(stateOf(dropping.answer.status)).toBe("PENDING_RERUN");
    expect(dropping.answer.children).toEqual([]);
    const rerun = await syncAt(dropping.world, 32);
    expect(names(rerun.answer.children)).toEqual(
      expect.arrayContaining(["Pod/pi", "ConfigMap/spark-pi-on-failure-conf-2"]) as unknown,
    );
    expect(rerun.answer.status).toMatchObject({ attempt: 2, applicationState: { state: "SUBMITTED" } });
  });
});

describe("a spec change on a live application", () => {
  it("removes every child (INVALIDATING), then starts a new run with the counters reset", async () => {
    const on = newWorld(exampleApplication("spark-pi-on-failure.yaml"));
    const running = (await syncAt((await syncAt(on, 0)).world, 5)).world;
    const failed = changeChild(running, "spark-pi-on-failure-driver", (pod) =>
      driverFailed(pod, secondsAfter(20)),
    );
    const rerun = (await syncAt((await syncAt(failed, 21)).world, 30)).world;
    expect(rerun.parent.status).toMatchObject({ attempt: 2, failures: { application: 1 } });

    const changed = withSpec(rerun, (spec) => ({ ...spec, arguments: ["100"] }));
    const invalidating = await syncAt(changed, 35);
    expect(stateOf(invalidating.answer.status)).toBe("INVALIDATING");
    expect(invalidating.answer.children).toEqual([]);
    expect(invalidating.answer.resyncAfterSeconds).toBe(2);

    const next = await syncAt(invalidating.world, 37);
    expect(next.answer.status).toMatchObject({
      applicationState: { state: "SUBMITTED" },
      attempt: 3,
      executionAttempts: 1,
      submissionAttempts: 1,
      failures: { application: 0, infrastructure: 0 },
    });
    expect(names(pods(next.answer.children))).toEqual(["Pod/spark-pi-on-failure-driver-3"]);
    expect(sparkProperties(next.answer.children).get("spark.kubernetes.driver.pod.name")).toBe(
      "spark-pi-on-failure-driver-3",
    );
  });
});

describe("spec.suspend", () => {
  it("removes the driver (SUSPENDING), reports SUSPENDED once it is gone, and runs again when cleared", async () => {
    const running = (
      await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
    ).world;
    const suspending = await syncAt(
      withSpec(running, (spec) => ({ ...spec, suspend: true })),
      10,
    );
    expect(stateOf(suspending.answer.status)).toBe("SUSPENDING");
    expect(suspending.answer.children).toEqual([]);
    const suspended = await syncAt(suspending.world, 12);
    expect(stateOf(suspended.answer.status)).toBe("SUSPENDED");
    expect(conditionOf(suspended.answer.status, "Ready")).toMatchObject({
      status: "True",
      reason: "Suspended",
    });

    const resumed = await syncAt(
      withSpec(suspended.world, (spec) => ({ ...spec, suspend: false })),
      20,
    );
    expect(resumed.answer.status).toMatchObject({ applicationState: { state: "SUBMITTED" }, attempt: 2 });
    expect(names(pods(resumed.answer.children))).toEqual(["Pod/spark-pi-driver-2"]);
  });

  it("creates nothing for an application created suspended", async () => {
    const parent = exampleApplication("spark-pi-3.5.yaml") as KubeObject & { spec: object };
    const { answer } = await syncAt(newWorld({ ...parent, spec: { ...parent.spec, suspend: true } }), 0);
    expect(answer.children).toEqual([]);
    expect(stateOf(answer.status)).toBe("SUSPENDED");
  });
});

describe("an invalid spec", () => {
  const cases: readonly [string, (spec: Record<string, unknown>) => Record<string, unknown>, string][] = [
    ["mode: client", (spec) => ({ ...spec, mode: "client" }), "mode"],
    [
      "a driver memory Spark cannot read",
      (spec) => ({ ...spec, driver: { ...(spec["driver"] as object), memory: "lots" } }),
      "driver.memory",
    ],
    [
      "a driver memoryLimit below heap + overhead",
      (spec) => ({ ...spec, driver: { ...(spec["driver"] as object), memoryLimit: "512Mi" } }),
      "spec.driver.memoryLimit",
    ],
    [
      "an overhead factor that makes the driver's memory more than a Kubernetes quantity holds",
      (spec) => ({ ...spec, memoryOverheadFactor: "1e20" }),
      "spec.memoryOverheadFactor",
    ],
  ];
  for (const [what, change, field] of cases) {
    it(`(${what}) keeps every observed child byte for byte and reports InvalidSpec naming ${field}`, async () => {
      const running = (
        await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
      ).world;
      const { answer } = await syncAt(withSpec(running, change), 10);
      expect(names(answer.children)).toEqual(names(running.children));
      for (const observed of running.children) {
        const kept = answer.children.find((child) => child.metadata.name === observed.metadata.name);
        expect(JSON.stringify(kept)).toBe(JSON.stringify(keepObserved(observed)));
      }
      expect(conditionOf(answer.status, "Ready")).toMatchObject({
        status: "False",
        reason: "InvalidSpec",
        message: expect.stringContaining(field) as unknown,
      });
      // The run in progress keeps its state: its driver is untouched.
      expect(stateOf(answer.status)).toBe("RUNNING");
      expect(answer.status).toMatchObject({ attempt: 1 });
    });
  }

  it("before any run creates nothing and reports the application FAILED, as kubeflow does", async () => {
    const parent = exampleApplication("spark-pi-3.5.yaml") as KubeObject & { spec: object };
    const { answer } = await syncAt(newWorld({ ...parent, spec: { ...parent.spec, mode: "client" } }), 0);
    expect(answer.children).toEqual([]);
    expect(answer.status).toMatchObject({
      applicationState: { state: "FAILED", errorMessage: expect.stringContaining("mode") as unknown },
    });
  });
});

describe("Spark 4.1 and later", () => {
  it("has no driver Service: executors dial the driver pod's IP", async () => {
    const parent = exampleApplication("pyspark-pi.yaml") as KubeObject & { spec: object };
    const world = newWorld({
      ...parent,
      spec: { ...parent.spec, sparkVersion: "4.1.2", image: "apache/spark:4.1.2" },
    });
    const { answer } = await syncAt(world, 0);
    expect(names(answer.children)).toEqual([
      "ConfigMap/spark-pi-python-conf-1",
      "Pod/spark-pi-python-driver",
      "Service/spark-pi-python-ui-svc",
    ]);
    const conf = sparkProperties(answer.children);
    expect(conf.get("spark.kubernetes.executor.useDriverPodIP")).toBe("true");
    expect(conf.has("spark.driver.host")).toBe(false);
    const [configMap] = ofKind(answer.children, "ConfigMap") as unknown as { data: Record<string, string> }[];
    expect(configMap?.data[EXECUTOR_TEMPLATE_FILE]).toBeDefined();
  });
});

describe("fields the hook does not act on", () => {
  it("are named once each by their path in UnsupportedFields", async () => {
    const { answer } = await syncAt(newWorld(exampleApplication("pyspark-pi.yaml")), 0);
    const message = conditionOf(answer.status, "UnsupportedFields")?.["message"];
    expect(message).toMatch(/^spec\.pythonVersion: /);
    expect(message).not.toContain("spec.spec.");
  });
});

describe("finalize", () => {
  it("removes the driver first, keeps its ConfigMap and Services until it is gone, and is finalized only once nothing is observed", async () => {
    const running = (
      await syncAt((await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0)).world, 5)
    ).world;
    clock = secondsAfter(10);
    const deleting = await postFinalize(
      app,
      applicationRequest(running.parent, running.children, running.related),
    );
    expect(deleting.status).toBe(200);
    expect(deleting.body).toMatchObject({ finalized: false });
    expect(names(deleting.body.children)).toEqual(
      names(running.children.filter((child) => child.kind !== "Pod")),
    );
    expect(deleting.body.resyncAfterSeconds).toBeGreaterThan(0);
    expect(conditionOf(deleting.body.status, "Ready")).toMatchObject({ status: "False", reason: "Deleting" });

    const onlyConfigMap = running.children.filter((child) => child.kind === "ConfigMap");
    const still = await postFinalize(app, applicationRequest(running.parent, onlyConfigMap));
    expect(still.body).toMatchObject({ children: [], finalized: false });

    const gone = await postFinalize(app, applicationRequest(apply(running, deleting.body, clock).parent, []));
    expect(gone.body).toMatchObject({ children: [], finalized: true });
    expect(gone.body.resyncAfterSeconds).toBeUndefined();
    // The application's own record stays readable until it is gone.
    expect(gone.body.status).toMatchObject({ attempt: 1, applicationState: { state: "RUNNING" } });
  });
});

describe("spec.historyServer", () => {
  const linked = (hs: Record<string, unknown> = { name: "hs" }) => {
    const parent = exampleApplication("spark-pi-3.5.yaml") as KubeObject & { spec: object };
    return newWorld({ ...parent, spec: { ...parent.spec, historyServer: hs } });
  };
  const driverVolumes = (children: readonly { kind: string }[]) => {
    const [driver] = pods(children as KubeObject[]) as unknown as {
      spec: {
        volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
        containers: { volumeMounts: { name: string; mountPath: string }[] }[];
      };
    }[];
    return {
      claims: (driver?.spec.volumes ?? []).flatMap((volume) =>
        volume.persistentVolumeClaim === undefined
          ? []
          : [`${volume.name}=${volume.persistentVolumeClaim.claimName}`],
      ),
      mounts: (driver?.spec.containers[0]?.volumeMounts ?? [])
        .filter((mount) => mount.name === "spark-events")
        .map((mount) => mount.mountPath),
    };
  };

  it("turns event logging on into the observed history server's directory, and only the driver mounts its claim", async () => {
    const world = { ...linked(), related: [historyServer("hs", { sharedVolume: { mountPath: "/logs" } })] };
    const { answer } = await syncAt(world, 0);
    const conf = sparkProperties(answer.children);
    expect(conf.get("spark.eventLog.enabled")).toBe("true");
    expect(conf.get("spark.eventLog.dir")).toBe("file:/logs");
    expect(driverVolumes(answer.children)).toEqual({ claims: ["spark-events=hs-claim"], mounts: ["/logs"] });
    const [configMap] = ofKind(answer.children, "ConfigMap") as unknown as { data: Record<string, string> }[];
    expect(configMap?.data[EXECUTOR_TEMPLATE_FILE]).not.toContain("hs-claim");
  });

  it("keeps a started run as it is when the history server appears later, even one a new run could not use", async () => {
    const submitted = (await syncAt(linked(), 0)).world;
    const running = (await syncAt(submitted, 5)).world;
    expect(sparkProperties(running.children).get("spark.eventLog.dir")).toBe("file:/history/spark-events");
    const appeared = { ...running, related: [historyServer("hs", { type: "remoteStorage" })] };
    const { answer } = await syncAt(appeared, 10);
    const without = await syncAt(running, 10);
    expect(stateOf(answer.status)).toBe("RUNNING");
    expect(answer.status).toEqual(without.answer.status);
    expect(answer.children).toEqual(without.answer.children);
    expect(sparkProperties(answer.children).get("spark.eventLog.dir")).toBe("file:/history/spark-events");
  });

  it("knows the run started from the driver pod when the status write has not arrived yet", async () => {
    const created = linked();
    const submitted = (await syncAt(created, 0)).world;
    // The parent as read before the first status write, the driver pod already observed.
    const stale = {
      ...submitted,
      parent: created.parent,
      related: [historyServer("hs", { type: "remoteStorage" })],
    };
    const { answer } = await syncAt(stale, 1);
    expect(conditionOf(answer.status, "Ready")?.["reason"]).not.toBe("InvalidSpec");
    expect(names(pods(answer.children))).toEqual(["Pod/spark-pi-driver"]);
  });

  it("reruns the application when the link changes, with the new history server's directory", async () => {
    const running = (await syncAt((await syncAt(linked(), 0)).world, 5)).world;
    const changed = {
      ...withSpec(running, (spec) => ({ ...spec, historyServer: { name: "other" } })),
      related: [historyServer("other", { type: "remoteStorage", remoteURI: "s3a://logs" })],
    };
    const invalidating = await syncAt(changed, 10);
    expect(stateOf(invalidating.answer.status)).toBe("INVALIDATING");
    const next = await syncAt(invalidating.world, 12);
    expect(next.answer.status).toMatchObject({ applicationState: { state: "SUBMITTED" }, attempt: 2 });
    expect(sparkProperties(next.answer.children).get("spark.eventLog.dir")).toBe("s3a://logs");
    expect(driverVolumes(next.answer.children)).toEqual({ claims: [], mounts: [] });
  });

  it("is InvalidSpec, keeping the live driver, when the new link cannot be resolved", async () => {
    const running = (await syncAt((await syncAt(linked(), 0)).world, 5)).world;
    const changed = {
      ...withSpec(running, (spec) => ({ ...spec, historyServer: { name: "broken" } })),
      related: [historyServer("broken", { type: "remoteStorage" })],
    };
    const { answer } = await syncAt(changed, 10);
    expect(names(answer.children)).toEqual(names(running.children));
    expect(stateOf(answer.status)).toBe("RUNNING");
    expect(conditionOf(answer.status, "Ready")).toMatchObject({
      status: "False",
      reason: "InvalidSpec",
      message: expect.stringContaining(
        "spec.historyServer: SparkHistoryServer broken is remoteStorage",
      ) as unknown,
    });
  });

  it("is InvalidSpec before any run when sparkConf points the event logs elsewhere", async () => {
    const parent = exampleApplication("spark-pi-3.5.yaml") as KubeObject & { spec: { sparkConf?: object } };
    const world = newWorld({
      ...parent,
      spec: {
        ...parent.spec,
        historyServer: { name: "hs" },
        sparkConf: { ...parent.spec.sparkConf, "spark.eventLog.dir": "file:/tmp/events" },
      },
    });
    const { answer } = await syncAt(world, 0);
    expect(answer.children).toEqual([]);
    expect(conditionOf(answer.status, "Ready")).toMatchObject({
      reason: "InvalidSpec",
      message: expect.stringContaining("spec.sparkConf[spark.eventLog.dir]") as unknown,
    });
  });
});

describe("customize", () => {
  it("relates the application's executors by the labels of its executor template", async () => {
    const { status, body } = await postCustomize(app, exampleApplication("spark-pi-3.5.yaml"));
    expect(status).toBe(200);
    expect(body.relatedResources).toEqual([
      {
        apiVersion: "v1",
        resource: "pods",
        namespace: "default",
        labelSelector: {
          matchLabels: {
            [LABEL_INSTANCE]: "spark-pi",
            [LABEL_COMPONENT]: "executor",
            [LABEL_MANAGED_BY]: "sparkhooks",
            "app.kubernetes.io/name": "spark",
          },
        },
      },
    ]);
  });

  it("also relates spec.sparkConfigMap when it is set", async () => {
    const parent = applicationParent({
      ...(exampleApplication("spark-pi-3.5.yaml").spec as object),
      sparkConfigMap: "my-conf",
    });
    const { body } = await postCustomize(app, parent);
    expect(body.relatedResources[1]).toEqual({
      apiVersion: "v1",
      resource: "configmaps",
      namespace: "default",
      names: ["my-conf"],
    });
  });

  it("also relates the SparkHistoryServer spec.historyServer names", async () => {
    const parent = applicationParent({
      ...(exampleApplication("spark-pi-3.5.yaml").spec as object),
      historyServer: { name: "hs" },
    });
    const { body } = await postCustomize(app, parent);
    expect(body.relatedResources[1]).toEqual({
      apiVersion: "sparkhooks.dev/v1alpha1",
      resource: "sparkhistoryservers",
      namespace: "default",
      names: ["hs"],
    });
  });

  it("selects what the executor template labels its pods with, and never controller-uid", async () => {
    const { answer } = await syncAt(newWorld(exampleApplication("spark-pi-3.5.yaml")), 0);
    const { body } = await postCustomize(app, exampleApplication("spark-pi-3.5.yaml"));
    const [configMap] = ofKind(answer.children, "ConfigMap") as unknown as { data: Record<string, string> }[];
    const template = configMap?.data[EXECUTOR_TEMPLATE_FILE] ?? "";
    for (const [key, value] of Object.entries(body.relatedResources[0]?.labelSelector?.matchLabels ?? {})) {
      expect(template).toContain(`${key}: ${value}`);
    }
    expect(template).not.toContain("controller-uid");
  });
});
