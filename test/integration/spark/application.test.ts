/**
 * Real Spark from our SparkApplication driver pod, on the bed's real API server: the driver
 * pod our pure functions render is created in the bed, kwok schedules it and gives it a pod IP,
 * and a local kubelet (kubelet.ts) runs it as the image's `driver` entrypoint would, with the
 * pod's ServiceAccount token. Spark's driver then does what it does in a cluster: reads its own
 * pod, creates executor pods from our template through the API server, and the same kubelet
 * runs them (entrypoint `executor`) once kwok has them Running; the job completes and the
 * kubelet writes the driver pod's terminal status.
 *
 * Per Spark version (3.5: the driver is reached through its headless Service; 4.x: through
 * its pod IP), PySpark's pi.py and a Scala SparkPi compiled for that version. Negative controls:
 * a spark.properties without spark.kubernetes.driver.pod.name fails the driver, and executors
 * from a template without our labels are not found by the controller's label selector.
 *
 * Needs the bed (global setup), Python 3 with venv and a Java 17 JDK; installs pyspark 4.3.0 and
 * 3.5.9 into .testbed/spark/. Logs: .testbed/logs/spark-app-*.log; timings in
 * .testbed/logs/spark-application.json.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IPod } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEFAULT_SPARK_VERSION } from "../../../hooks/spark/image.js";
import {
  SPARK_APP_SELECTOR,
  SPARK_ROLE,
  selectorLabels,
  selectorString,
} from "../../../hooks/spark/labels.js";
import { EXECUTOR_COMPONENT } from "../../../hooks/spark-application/executor-template.js";
import { sparkAppId, type ApplicationRun } from "../../../hooks/spark-application/names.js";
import { eventually } from "../eventually.js";
import { repoRoot } from "../paths.js";
import { Kube, type ObjectList } from "../scenarios/kube.js";
import {
  applicationChildren,
  prepareDriverNamespace,
  type ChildrenEdits,
  type ApplicationChildren,
} from "./application-children.js";
import { ensureExamples, EXAMPLES_JAR_PATH, PI_PY_PATH, SPARK_PI_CLASS } from "./examples.js";
import { ensurePySpark } from "./install.js";
import { SparkKubelet, type PodRun } from "./kubelet.js";

/** Spark 3.5 (driver behind a headless Service) and the current 4.x (driver by pod IP). */
const VERSIONS = ["3.5.9", DEFAULT_SPARK_VERSION];
const EXECUTORS = 2;
const logDir = join(repoRoot, ".testbed", "logs");
const timings: Record<string, unknown>[] = [];

/** deploy/spark-application-namespace/'s ServiceAccount. */
const DRIVER_SERVICE_ACCOUNT = "spark-driver";

/** A kubeflow-style spec, as a user writes it into the SparkApplication. */
function piSpec(version: string, program: "python" | "scala"): Record<string, unknown> {
  return {
    ...(program === "python"
      ? { type: "Python", mainApplicationFile: `local://${PI_PY_PATH}` }
      : { type: "Scala", mainClass: SPARK_PI_CLASS, mainApplicationFile: `local://${EXAMPLES_JAR_PATH}` }),
    sparkVersion: version,
    arguments: ["4"],
    driver: { memory: "512m", serviceAccount: DRIVER_SERVICE_ACCOUNT },
    executor: { instances: EXECUTORS, cores: 1, memory: "512m" },
  };
}

interface AppRun {
  readonly run: ApplicationRun;
  readonly children: ApplicationChildren;
  readonly driver: PodRun;
  readonly driverStatus: IPod | undefined;
  readonly output: string;
  readonly executors: PodRun[];
  /** Executor pods the controller's label selector found while the job ran. */
  readonly selectedByOurLabels: number;
  readonly selectedBySparkRole: number;
  /** Driver start → the first executor process started (its pod created by the driver, Running by kwok). */
  readonly firstExecutorProcessSeconds: number | undefined;
  /** Driver start → the driver logs the first executor registered. */
  readonly firstExecutorSeconds: number | undefined;
  readonly jobMs: number | undefined;
  readonly driverSeconds: number;
}

describe.each(VERSIONS)("Spark %s: our SparkApplication pods run real Spark", (version) => {
  const bed = inject("bed");
  const kube = new Kube(bed.kubeconfigPath);
  const namespace = `spark-app-${version.replaceAll(".", "")}-${Date.now().toString(36)}`;
  let kubelet: SparkKubelet;
  let scratch: string;
  let attempt = 0;

  beforeAll(async () => {
    const install = await ensurePySpark(repoRoot, version);
    const examples = await ensureExamples(repoRoot, install);
    await kube.create("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    await prepareDriverNamespace(kube, namespace);
    scratch = join(tmpdir(), `sparkhooks-app-${process.pid}-${Date.now()}`);
    kubelet = new SparkKubelet({
      kube,
      kubeconfigPath: bed.kubeconfigPath,
      namespace,
      runtime: {
        sparkHome: install.sparkHome,
        javaHome: install.javaHome,
        examplesDir: examples.dir,
        pythonBin: install.pythonBin,
      },
      apiServer: new URL(bed.server),
      scratchDir: scratch,
      logDir,
      logPrefix: `app-${version}-`,
    });
    kubelet.start();
  });

  afterAll(async () => {
    await kubelet?.stop();
    await kube.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    if (process.env.SPARK_TEST_KEEP !== "1" && scratch !== undefined)
      rmSync(scratch, { recursive: true, force: true });
    mkdirSync(logDir, { recursive: true });
    const file = join(logDir, "spark-application.json");
    const earlier = (() => {
      try {
        return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>[];
      } catch {
        return [];
      }
    })();
    const kept = earlier.filter((entry) => entry.version !== version);
    writeFileSync(
      file,
      `${JSON.stringify([...kept, ...timings.filter((t) => t.version === version)], null, 2)}\n`,
    );
  });

  /** Creates the run's children in the bed and waits for the driver to end and be reported. */
  async function runApplication(
    name: string,
    spec: Record<string, unknown>,
    edits: ChildrenEdits = {},
  ): Promise<AppRun> {
    attempt += 1;
    const children = applicationChildren({ name, namespace, uid: `uid-${name}-${attempt}` }, spec, edits);
    const run = children.run;
    const base = `/api/v1/namespaces/${namespace}`;
    await kube.create(`${base}/configmaps`, children.configMap);
    for (const service of children.services) await kube.create(`${base}/services`, service);
    await kube.create(`${base}/pods`, children.driver);
    const driverName = children.driver.metadata.name;
    const appId = sparkAppId(run);

    // While the job runs: which executor pods does each selector find in the API server?
    let selectedByOurLabels = 0;
    let selectedBySparkRole = 0;
    const registered = (async () => {
      await eventually(
        `the driver ${driverName} started`,
        () => (kubelet.runs.has(driverName) ? true : undefined),
        {
          timeoutMs: 60_000,
        },
      );
      const at = await kubelet.logLine(driverName, /Registered executor .* with ID/, 180_000);
      const spark = await kube.get<ObjectList<IPod>>(
        `${base}/pods?labelSelector=${encodeURIComponent(`${SPARK_APP_SELECTOR}=${appId},${SPARK_ROLE}=executor`)}`,
      );
      const ours = await kube.get<ObjectList<IPod>>(
        `${base}/pods?labelSelector=${encodeURIComponent(selectorString(selectorLabels(name, EXECUTOR_COMPONENT)))}`,
      );
      selectedBySparkRole = spark.items.length;
      selectedByOurLabels = ours.items.length;
      return at;
    })();

    const { run: driver, status } = await kubelet.finished(driverName, 280_000);
    const firstExecutorAt = await registered.catch(() => undefined);
    const output = readFileSync(driver.running.logFile, "utf8");
    const executors = [...kubelet.runs.values()].filter(
      (entry) =>
        entry.pod.metadata?.labels?.[SPARK_ROLE] === "executor" &&
        entry.pod.metadata.labels[SPARK_APP_SELECTOR] === appId,
    );
    const took = /Job 0 finished: .* took (\d+(?:\.\d+)?) (ms|s)\b/.exec(output);
    const jobMs = took?.[1] === undefined ? undefined : Number(took[1]) * (took[2] === "s" ? 1000 : 1);
    const endedAt = performance.now();
    return {
      run,
      children,
      driver,
      driverStatus: status,
      output,
      executors,
      selectedByOurLabels,
      selectedBySparkRole,
      firstExecutorProcessSeconds:
        executors.length === 0
          ? undefined
          : (Math.min(...executors.map((executor) => executor.startedAt)) - driver.startedAt) / 1000,
      firstExecutorSeconds:
        firstExecutorAt === undefined ? undefined : (firstExecutorAt - driver.startedAt) / 1000,
      jobMs,
      driverSeconds: (endedAt - driver.startedAt) / 1000,
    };
  }

  function expectSucceeded(app: AppRun): void {
    const tail = app.output.split("\n").slice(-60).join("\n");
    expect(app.driver.running.exit, tail).toEqual({ code: 0, signal: null });
    expect(app.output).toMatch(/Pi is roughly 3\.1\d*/);
    // The kubelet's report of the driver, and kwok did not turn it back.
    expect(app.driverStatus?.status?.phase).toBe("Succeeded");
    const terminated = app.driverStatus?.status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(terminated?.finishedAt).toBeDefined();
  }

  async function expectStillSucceeded(app: AppRun): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const pod = await kube.get<IPod>(
      `/api/v1/namespaces/${namespace}/pods/${app.children.driver.metadata.name}`,
    );
    expect(pod.status?.phase).toBe("Succeeded");
  }

  function expectExecutorsFromOurTemplate(app: AppRun): void {
    // Every pod the kubelet saw Running could be run (else the count below says too little).
    expect([...kubelet.failures]).toEqual([]);
    expect(app.executors).toHaveLength(EXECUTORS);
    const template = app.children.executorTemplate;
    for (const executor of app.executors) {
      const pod = executor.pod;
      expect(pod.metadata?.labels).toMatchObject(selectorLabels(app.run.name, EXECUTOR_COMPONENT));
      expect(pod.metadata?.labels).not.toHaveProperty("controller-uid");
      expect(pod.spec?.securityContext).toEqual(template.spec?.securityContext);
      expect(pod.spec?.containers[0]?.securityContext).toEqual(template.spec?.containers[0]?.securityContext);
      expect(pod.metadata?.ownerReferences).toEqual([
        expect.objectContaining({
          kind: "Pod",
          name: app.children.driver.metadata.name,
          uid: app.driver.pod.metadata?.uid,
          controller: true,
        }),
      ]);
      // It ran as a process: registered with the driver and ran tasks.
      const log = readFileSync(executor.running.logFile, "utf8");
      expect(log).toMatch(/Successfully registered with driver/);
      expect(log).toMatch(/Finished task/);
    }
    expect(app.selectedBySparkRole).toBe(EXECUTORS);
    expect(app.selectedByOurLabels).toBe(EXECUTORS);
  }

  function record(program: string, app: AppRun): void {
    const entry = {
      version,
      program,
      driverSeconds: Math.round(app.driverSeconds * 10) / 10,
      firstExecutorProcessSeconds:
        app.firstExecutorProcessSeconds === undefined
          ? undefined
          : Math.round(app.firstExecutorProcessSeconds * 10) / 10,
      firstExecutorRegisteredSeconds:
        app.firstExecutorSeconds === undefined ? undefined : Math.round(app.firstExecutorSeconds * 10) / 10,
      jobMs: app.jobMs === undefined ? undefined : Math.round(app.jobMs),
    };
    timings.push(entry);
    console.log(JSON.stringify(entry));
  }

  it.each(["python", "scala"] as const)(
    "%s Pi: the driver creates executors from our template and succeeds",
    async (program) => {
      const app = await runApplication(`pi-${program}`, piSpec(version, program));
      record(program, app);
      expectSucceeded(app);
      expectExecutorsFromOurTemplate(app);
      await expectStillSucceeded(app);
      console.log(`${app.driver.local.podName} deviations:\n  ${app.driver.local.deviations.join("\n  ")}`);
    },
  );

  it("a spark.properties without the driver pod's name fails the driver, and the pod is reported Failed", async () => {
    const app = await runApplication("no-pod-name", piSpec(version, "python"), {
      properties: (settings) => {
        delete settings["spark.kubernetes.driver.pod.name"];
        return settings;
      },
    });
    expect(app.driver.running.exit?.code).not.toBe(0);
    expect(app.output).toMatch(/driver pod name must be provided/);
    expect(app.executors).toHaveLength(0);
    expect(app.driverStatus?.status?.phase).toBe("Failed");
    expect(app.driverStatus?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(
      app.driver.running.exit?.code,
    );
  });

  it.runIf(version === DEFAULT_SPARK_VERSION)(
    "executors from a template without our labels still run, but our label selector finds none of them",
    async () => {
      const app = await runApplication("unlabelled", piSpec(version, "python"), {
        template: (template) => ({ ...template, metadata: {} }),
      });
      expectSucceeded(app);
      expect(app.executors).toHaveLength(EXECUTORS);
      expect(app.selectedBySparkRole).toBe(EXECUTORS);
      expect(app.selectedByOurLabels).toBe(0);
    },
  );
});
