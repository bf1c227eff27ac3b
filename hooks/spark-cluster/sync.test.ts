import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import {
  clusterParent,
  condition,
  converge,
  evicted,
  imagePullBackOff,
  LATER,
  namesOf,
  notReady,
  NOW,
  podsOf,
  sync,
  terminating,
} from "../../test/support/cluster.js";

/** The radanalytics minimal example with only apiVersion changed. */
const minimalExample = fileURLToPath(new URL("../../examples/sparkcluster/minimal.yaml", import.meta.url));
/** Every radanalytics field at once. */
const allFieldsExample = fileURLToPath(
  new URL("../../examples/sparkcluster/radanalytics-all-fields.yaml", import.meta.url),
);

type Pod = DesiredObject & {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: { image: string; args: string[]; env: { name: string; value?: string }[] }[] };
};

function pods(children: readonly DesiredObject[], component?: string): Pod[] {
  return podsOf(children as Pod[], component);
}

function args(pod: Pod | undefined): string[] {
  return pod?.spec.containers[0]?.args ?? [];
}

describe("a new SparkCluster", () => {
  const radanalytics = parseYaml(readFileSync(minimalExample, "utf8")) as {
    metadata: { name: string };
    spec: unknown;
  };
  const parent = clusterParent(radanalytics.spec, {
    name: radanalytics.metadata.name,
    namespace: "spark-clusters",
  });
  const { response, outcome } = sync(parent);

  it("accepts a radanalytics manifest with a quoted worker count", () => {
    expect(outcome).toBe("ok");
    expect(pods(response.children, "worker")).toHaveLength(2);
    expect(pods(response.children, "master")).toHaveLength(1);
  });

  it("creates Services <name> on 7077 and <name>-ui on 8080 selecting only the master", () => {
    const services = response.children.filter((c) => c.kind === "Service") as unknown as {
      metadata: { name: string };
      spec: { ports: { port: number }[]; selector: Record<string, string> };
    }[];
    expect(services.map((s) => [s.metadata.name, s.spec.ports.map((p) => p.port)])).toEqual([
      ["my-spark-cluster", [7077]],
      ["my-spark-cluster-ui", [8080]],
    ]);
    for (const service of services) {
      expect(service.spec.selector["app.kubernetes.io/component"]).toBe("master");
      expect(service.spec.selector["app.kubernetes.io/instance"]).toBe("my-spark-cluster");
    }
  });

  it("starts the master in the foreground through spark-class", () => {
    expect(args(pods(response.children, "master")[0])).toEqual([
      "/opt/spark/bin/spark-class",
      "org.apache.spark.deploy.master.Master",
      "--port",
      "7077",
      "--webui-port",
      "8080",
      "--properties-file",
      "/opt/spark/conf/spark-defaults.conf",
    ]);
  });

  it("binds master and workers to the pod IP of either family through SPARK_LOCAL_HOSTNAME, not --host", () => {
    // --host refuses an IPv6 address without brackets, and status.podIP has none.
    for (const pod of pods(response.children)) {
      expect(args(pod)).not.toContain("--host");
      expect(pod.spec.containers[0]?.env).toContainEqual({
        name: "SPARK_LOCAL_HOSTNAME",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } },
      });
    }
  });

  it("calls a worker Ready only once it has registered with a master", () => {
    const container = pods(response.children, "worker")[0]?.spec.containers[0] as unknown as {
      readinessProbe: { exec?: { command: string[] } };
      livenessProbe: unknown;
      startupProbe: unknown;
    };
    const script = container.readinessProbe.exec?.command.at(-1) ?? "";
    expect(script).toContain("/dev/tcp/$POD_IP/8081");
    expect(script).toContain("GET /json/ ");
    expect(script).toContain(`grep -q '"masterurl" *: *"spark://'`);
    // Up but unregistered is waiting, not dead: liveness and startup stay on the UI.
    for (const probe of [container.livenessProbe, container.startupProbe]) {
      expect(probe).toMatchObject({ httpGet: { path: "/", port: 8081 } });
    }
  });

  it("calls the master Ready once its UI serves: a single master is ALIVE from then on", () => {
    const container = pods(response.children, "master")[0]?.spec.containers[0] as unknown as Record<
      string,
      unknown
    >;
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      expect(container[probe]).toMatchObject({ httpGet: { path: "/", port: 8080 } });
    }
  });

  it("points workers at spark://<name>:7077 with explicit cores and memory", () => {
    const worker = args(pods(response.children, "worker")[0]);
    expect(worker.slice(0, 3)).toEqual([
      "/opt/spark/bin/spark-class",
      "org.apache.spark.deploy.worker.Worker",
      "spark://my-spark-cluster:7077",
    ]);
    // Default worker: 3Gi container = 512Mi daemon heap + 384Mi daemon non-heap + one executor of
    // Spark's default 1g with its own 384Mi overhead, 768Mi to spare; it offers that one executor.
    expect(worker.slice(worker.indexOf("--cores"), worker.indexOf("--cores") + 4)).toEqual([
      "--cores",
      "1",
      "--memory",
      "1024m",
    ]);
  });

  it("uses the official apache/spark image of the current 4.x release", () => {
    for (const pod of pods(response.children))
      expect(pod.spec.containers[0]?.image).toBe("apache/spark:4.3.0");
  });

  it("carries the recommended labels and a template hash in every pod name", () => {
    for (const pod of pods(response.children)) {
      const labels = pod.metadata.labels;
      expect(labels["app.kubernetes.io/name"]).toBe("spark");
      expect(labels["app.kubernetes.io/instance"]).toBe("my-spark-cluster");
      expect(labels["app.kubernetes.io/managed-by"]).toBe("sparkhooks");
      expect(["master", "worker"]).toContain(labels["app.kubernetes.io/component"]);
      expect(pod.metadata.name.endsWith(labels["sparkhooks.dev/template-hash"] ?? "missing")).toBe(true);
    }
    expect(namesOf(pods(response.children, "worker")).map((n) => n.split("-").at(-2))).toEqual(["0", "1"]);
  });

  it("reports the master URL, UI URL, scale selector and a Pending phase", () => {
    expect(response.status).toMatchObject({
      phase: "Pending",
      masterURL: "spark://my-spark-cluster.spark-clusters.svc:7077",
      masterUIURL: "http://my-spark-cluster-ui.spark-clusters.svc:8080",
      workers: { desired: 2, ready: 0, upToDate: 0 },
      replicas: 0,
      selector:
        "app.kubernetes.io/name=spark,app.kubernetes.io/instance=my-spark-cluster,app.kubernetes.io/component=worker,app.kubernetes.io/managed-by=sparkhooks",
    });
    expect(condition(response.status, "Ready")).toMatchObject({ status: "False", reason: "MasterNotReady" });
    expect(condition(response.status, "Reconciling")).toMatchObject({ status: "True" });
    expect(condition(response.status, "Stalled")).toMatchObject({ status: "False" });
  });
});

describe("a running cluster", () => {
  const parent = clusterParent({ worker: { instances: 3 } });
  const world = converge(parent);

  it("settles: the next sync wants exactly what is observed and reports Running", () => {
    const { response } = sync(parent, world);
    expect(namesOf(response.children).sort()).toEqual(namesOf(world).sort());
    expect(response.status).toMatchObject({
      phase: "Running",
      masterReady: true,
      workers: { desired: 3, ready: 3, upToDate: 3 },
      replicas: 3,
    });
    expect(condition(response.status, "Ready")).toMatchObject({ status: "True", reason: "ClusterReady" });
    expect(condition(response.status, "Reconciling")).toMatchObject({ status: "False" });
  });

  it("answers the same request with the same bytes", () => {
    expect(JSON.stringify(sync(parent, world).response)).toBe(JSON.stringify(sync(parent, world).response));
  });

  it("keeps lastTransitionTime when a condition's status does not change", () => {
    const first = sync(parent, world, NOW).response.status;
    const again = sync(clusterParent({ worker: { instances: 3 } }, { status: first }), world, LATER).response
      .status;
    expect(again).toEqual(first);
  });

  it("moves lastTransitionTime only for the condition whose status changed", () => {
    const first = sync(parent, world, NOW).response.status;
    const broken = world.map((o) =>
      o.metadata.name === podsOf(world, "worker")[0]?.metadata.name ? notReady(o) : o,
    );
    const next = sync(clusterParent({ worker: { instances: 3 } }, { status: first }), broken, LATER).response
      .status;
    expect(condition(next, "Ready")).toMatchObject({
      status: "False",
      lastTransitionTime: "2026-11-22T10:05:00Z",
    });
    expect(condition(next, "Stalled")).toMatchObject({
      status: "False",
      lastTransitionTime: "2026-11-22T10:00:00Z",
    });
  });

  it("scales up by adding workers in new slots and keeping the others", () => {
    const { response } = sync(clusterParent({ worker: { instances: 5 } }), world);
    const workers = namesOf(pods(response.children, "worker"));
    expect(workers).toHaveLength(5);
    expect(workers).toEqual(expect.arrayContaining(namesOf(podsOf(world, "worker"))));
    expect(condition(response.status, "Reconciling")).toMatchObject({ status: "True", reason: "Creating" });
  });

  it("scales down by removing the highest slots first", () => {
    const { response } = sync(clusterParent({ worker: { instances: 1 } }), world);
    const workers = pods(response.children, "worker");
    expect(workers.map((w) => w.metadata.labels["sparkhooks.dev/worker-ordinal"])).toEqual(["0"]);
    expect(response.status).toMatchObject({ workers: { desired: 1 }, replicas: 3, phase: "Updating" });
  });

  it("scales up to the maximum of 1000 workers, quoted or not", () => {
    for (const instances of [1000, "1000"]) {
      const { response, outcome } = sync(clusterParent({ worker: { instances } }), world);
      expect(outcome).toBe("ok");
      expect(pods(response.children, "worker")).toHaveLength(1000);
      expect(response.status).toMatchObject({ workers: { desired: 1000 } });
    }
  });

  it("scales to zero workers and keeps master and Services", () => {
    const { response } = sync(clusterParent({ worker: { instances: 0 } }), world);
    expect(pods(response.children, "worker")).toEqual([]);
    expect(pods(response.children, "master")).toHaveLength(1);
    expect(response.children.filter((c) => c.kind === "Service")).toHaveLength(2);
  });

  it("replaces one worker at a time, highest slot first, on a template change", () => {
    const changed = clusterParent({ worker: { instances: 3, memory: "4Gi" } });
    const { response } = sync(changed, world);
    const workers = pods(response.children, "worker");
    const replaced = workers.filter((w) => !namesOf(world).includes(w.metadata.name));
    expect(replaced.map((w) => w.metadata.labels["sparkhooks.dev/worker-ordinal"])).toEqual(["2"]);
    expect(workers).toHaveLength(3);
    expect(condition(response.status, "Reconciling")).toMatchObject({
      status: "True",
      reason: "RollingUpdate",
    });
  });

  it("replaces an old worker that is not Ready first, and keeps the Ready ones meanwhile", () => {
    const changed = clusterParent({ worker: { instances: 3 }, env: [{ name: "A", value: 1 }] });
    const [slot0, ...ready] = namesOf(podsOf(world, "worker"));
    const degraded = world.map((o) => (o.metadata.name === slot0 ? notReady(o) : o));
    const workerNames = namesOf(pods(sync(changed, degraded).response.children, "worker"));
    expect(workerNames).not.toContain(slot0);
    expect(workerNames).toEqual(expect.arrayContaining(ready));
  });

  it("finishes a rolling update with every worker replaced", () => {
    const changed = clusterParent({
      worker: { instances: 3 },
      sparkConfiguration: [{ name: "spark.executor.cores", value: 1 }],
    });
    const after = converge(changed, world);
    const oldWorkers = new Set(namesOf(podsOf(world, "worker")));
    expect(podsOf(after, "worker").filter((w) => oldWorkers.has(w.metadata.name))).toEqual([]);
    expect(sync(changed, after).response.status).toMatchObject({
      phase: "Running",
      workers: { upToDate: 3 },
    });
  });

  it("replaces the master on a master template change", () => {
    const changed = clusterParent({ worker: { instances: 3 }, master: { memory: "2Gi" } });
    const { response } = sync(changed, world);
    const [master] = pods(response.children, "master");
    expect(master?.metadata.name).not.toBe(podsOf(world, "master")[0]?.metadata.name);
    expect(namesOf(pods(response.children, "worker")).sort()).toEqual(
      namesOf(podsOf(world, "worker")).sort(),
    );
  });

  it("replaces an evicted worker with a fresh pod", () => {
    const victim = podsOf(world, "worker")[1]?.metadata.name;
    const afterEviction = world.map((o) => (o.metadata.name === victim ? evicted(o) : o));
    const first = sync(parent, afterEviction).response;
    // The evicted pod keeps its name until deleted, so it is left out first...
    expect(namesOf(first.children)).not.toContain(victim);
    expect(condition(first.status, "Reconciling")).toMatchObject({ reason: "ReplacingFailed" });
    // ...and once Kubernetes has deleted it, a new pod takes the slot.
    const gone = afterEviction.filter((o) => o.metadata.name !== victim);
    expect(namesOf(sync(parent, gone).response.children)).toContain(victim);
  });

  it("ignores pods that are already being deleted", () => {
    const victim = podsOf(world, "worker")[2]?.metadata.name;
    const leaving = world.map((o) => (o.metadata.name === victim ? terminating(o) : o));
    const { response } = sync(parent, leaving);
    expect(response.status).toMatchObject({ replicas: 2, workers: { ready: 2 } });
  });

  it("reports a pod that cannot pull its image as Stalled", () => {
    const victim = podsOf(world, "worker")[0]?.metadata.name;
    const stuck = world.map((o) => (o.metadata.name === victim ? imagePullBackOff(o) : o));
    const { response } = sync(parent, stuck);
    expect(response.status).toMatchObject({ phase: "Stalled" });
    expect(condition(response.status, "Stalled")).toMatchObject({ status: "True", reason: "PodStuck" });
    expect(String(condition(response.status, "Stalled")?.message)).toContain("ImagePullBackOff");
  });
});

describe("an invalid spec", () => {
  const valid = clusterParent({ worker: { instances: 2 } });
  const world = converge(valid);

  it.each([
    ["negative workers", { worker: { instances: -1 } }, "spec.worker.instances"],
    ["two masters", { worker: { instances: 2 }, master: { instances: 2 } }, "spec.master.instances"],
    ["a malformed quantity", { worker: { instances: 2, memory: "lots" } }, "spec.worker.memory"],
    ["a bad enum", { worker: { instances: 2 }, imagePullPolicy: "Sometimes" }, "spec.imagePullPolicy"],
    [
      "a request above the limit",
      { worker: { instances: 2, memoryRequest: "8Gi", memoryLimit: "4Gi" } },
      "spec.worker.memoryRequest",
    ],
    ["too little worker memory", { worker: { instances: 2, memory: "1Gi" } }, "spec.worker.memory"],
    [
      "a worker too small for one default executor",
      { worker: { instances: 2, memory: "1408Mi" } },
      "spec.worker.memory",
    ],
    [
      "an executor larger than the worker",
      {
        worker: { instances: 2, memory: "4Gi" },
        sparkConfiguration: [{ name: "spark.executor.memory", value: "4g" }],
      },
      "spark.executor.memory",
    ],
    [
      "a malformed executor size",
      { worker: { instances: 2 }, sparkConfiguration: [{ name: "spark.executor.memory", value: "1.5g" }] },
      "spec.sparkConfiguration[0] spark.executor.memory",
    ],
    ["a bad label", { worker: { instances: 2 }, labels: { "bad key!": "x" } }, "spec.labels"],
    ["more workers than the maximum", { worker: { instances: 1001 } }, "spec.worker.instances"],
    ["a quoted worker count past int32", { worker: { instances: "2147483648" } }, "spec.worker.instances"],
  ])("with %s keeps every child and names the field", (_, spec, field) => {
    const { response, outcome } = sync(clusterParent(spec), world);
    expect(outcome).toBe("invalid_spec");
    expect(namesOf(response.children).sort()).toEqual(namesOf(world).sort());
    expect(response.status).toMatchObject({ phase: "Invalid" });
    const ready = condition(response.status, "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(String(ready?.message)).toContain(field);
  });

  it("names the largest worker count it accepts", () => {
    for (const instances of [1001, "1001", 2147483648, "2147483648", "99999999999999999999"]) {
      const { response, outcome } = sync(clusterParent({ worker: { instances } }), world);
      expect(outcome).toBe("invalid_spec");
      expect(String(condition(response.status, "Ready")?.message)).toMatch(
        /^spec\.worker\.instances: must be a whole number from 0 to 1000, got /,
      );
    }
  });

  it("refuses workers whose pods would not fit in one answer, before rendering any", () => {
    // ~10 KiB of node affinity in every pod: fine for 100 workers, too much for 1,000.
    const zones = Array.from({ length: 600 }, (_, i) => `zone-${String(i).padStart(4, "0")}-x`);
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: zones }] }],
        },
      },
    };
    expect(sync(clusterParent({ worker: { instances: 100 }, affinity }), world).outcome).toBe("ok");

    const { response, outcome } = sync(clusterParent({ worker: { instances: 1000 }, affinity }), world);
    expect(outcome).toBe("invalid_spec");
    expect(namesOf(response.children).sort()).toEqual(namesOf(world).sort());
    expect(String(condition(response.status, "Ready")?.message)).toMatch(
      /^spec\.worker\.instances: 1000 worker pods of \d+ KiB each are \d+ MiB, more than the 6 MiB/,
    );
  });

  it("keeps each child exactly as Metacontroller last applied it", () => {
    const { response } = sync(clusterParent({ worker: { instances: -1 } }), world);
    const lastApplied = world.map((o): unknown =>
      JSON.parse(o.metadata.annotations?.["metacontroller.k8s.io/last-applied-configuration"] ?? "null"),
    );
    expect(response.children).toEqual(expect.arrayContaining(lastApplied));
  });

  it("rejects a cluster name that would break Spark's service-link variables", () => {
    const { response, outcome } = sync(clusterParent({}, { name: "spark-master" }));
    expect(outcome).toBe("invalid_spec");
    expect(String(condition(response.status, "Ready")?.message)).toContain("SPARK_MASTER_PORT");
  });

  it("rejects a cluster name too long for the <name>-ui Service", () => {
    const { outcome } = sync(clusterParent({}, { name: "a".repeat(61) }));
    expect(outcome).toBe("invalid_spec");
  });
});

describe("cluster options", () => {
  it("acts on every radanalytics field: a manifest using them all gets no UnsupportedFields condition", () => {
    const manifest = parseYaml(readFileSync(allFieldsExample, "utf8")) as {
      metadata: { name: string };
      spec: Record<string, unknown>;
    };
    for (const field of [
      "downloadData",
      "historyServer",
      "mavenDependencies",
      "mavenRepositories",
      "customInitContainerImage",
    ]) {
      expect(manifest.spec[field], field).toBeDefined();
    }
    const { response, outcome } = sync(clusterParent(manifest.spec, { name: manifest.metadata.name }));
    expect(outcome).toBe("ok");
    expect(condition(response.status, "UnsupportedFields")).toBeUndefined();
    expect((response.status as { conditions: { type: string }[] }).conditions.map((c) => c.type)).toEqual([
      "Ready",
      "Reconciling",
      "Stalled",
      "HistoryServerFound",
    ]);
    for (const pod of pods(response.children)) {
      const spec = pod.spec as unknown as { initContainers: { name: string }[] };
      expect(spec.initContainers.map((c) => c.name)).toEqual(["download-data", "resolve-maven-dependencies"]);
    }
  });

  it("drops the UnsupportedFields condition an older version wrote", () => {
    const previous = {
      conditions: [
        {
          type: "UnsupportedFields",
          status: "True",
          reason: "NotImplemented",
          message: "spec.downloadData: accepted for compatibility but not implemented yet; no effect",
          lastTransitionTime: "2026-11-01T00:00:00Z",
        },
      ],
    };
    const { response } = sync(
      clusterParent({ downloadData: [{ url: "https://x.org/a", to: "/tmp/" }] }, { status: previous }),
    );
    expect(condition(response.status, "UnsupportedFields")).toBeUndefined();
  });

  it("configures Spark's PrometheusServlet and scrape annotations with metrics: true", () => {
    const { response } = sync(clusterParent({ metrics: true }));
    const conf = response.children.find((c) => c.kind === "ConfigMap") as unknown as {
      data: Record<string, string>;
    };
    expect(conf.data["spark-defaults.conf"]).toContain(
      "spark.metrics.conf.*.sink.prometheusServlet.class=org.apache.spark.metrics.sink.PrometheusServlet",
    );
    const [master] = pods(response.children, "master");
    const [worker] = pods(response.children, "worker");
    expect(master?.metadata.annotations).toMatchObject({
      "prometheus.io/port": "8080",
      "prometheus.io/path": "/metrics/master/prometheus/",
    });
    expect(worker?.metadata.annotations).toMatchObject({
      "prometheus.io/port": "8081",
      "prometheus.io/path": "/metrics/prometheus/",
    });
  });

  it("writes sparkConfiguration after the defaults so it wins", () => {
    const { response } = sync(
      clusterParent({ sparkConfiguration: [{ name: "spark.master.rest.enabled", value: "true" }] }),
    );
    const conf = (
      response.children.find((c) => c.kind === "ConfigMap") as unknown as { data: Record<string, string> }
    ).data;
    const text = conf["spark-defaults.conf"] ?? "";
    expect(text.lastIndexOf("spark.master.rest.enabled=true")).toBeGreaterThan(
      text.indexOf("spark.master.rest.enabled=false"),
    );
  });

  it("merges the user's configuration ConfigMap and rolls pods when it changes", () => {
    const parent = clusterParent({ sparkConfigurationMap: "team-conf" });
    const userMap = (text: string): KubeObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "team-conf", namespace: "spark-jobs" },
      data: { "spark-defaults.conf": text, "log4j2.properties": "rootLogger.level = warn\n" },
    });
    const one = sync(parent, [], NOW, [userMap("spark.eventLog.enabled true\n")]).response;
    const two = sync(parent, [], NOW, [userMap("spark.eventLog.enabled false\n")]).response;
    const conf = (
      one.children.find((c) => c.kind === "ConfigMap") as unknown as { data: Record<string, string> }
    ).data;
    expect(conf["log4j2.properties"]).toBe("rootLogger.level = warn\n");
    expect(conf["spark-defaults.conf"]).toContain("spark.eventLog.enabled=true");
    expect(namesOf(pods(one.children))).not.toEqual(namesOf(pods(two.children)));
  });

  it("applies image pull settings, service account, scheduling and security overrides", () => {
    const { response } = sync(
      clusterParent({
        imagePullPolicy: "Always",
        imagePullSecrets: ["regcred"],
        serviceAccountName: "spark",
        nodeSelector: { pool: "spark" },
        nodeTolerations: [{ key: "dedicated", operator: "Equal", value: "spark", effect: "NoSchedule" }],
        podSecurityContext: { runAsUser: 1001 },
        securityContext: { readOnlyRootFilesystem: false },
      }),
    );
    const [master] = pods(response.children, "master") as unknown as {
      spec: Record<string, unknown> & { containers: Record<string, unknown>[] };
    }[];
    expect(master?.spec).toMatchObject({
      serviceAccountName: "spark",
      imagePullSecrets: [{ name: "regcred" }],
      nodeSelector: { pool: "spark" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "spark", effect: "NoSchedule" }],
      securityContext: { runAsUser: 1001, runAsNonRoot: true },
    });
    expect(master?.spec.containers[0]).toMatchObject({
      imagePullPolicy: "Always",
      securityContext: { readOnlyRootFilesystem: false, allowPrivilegeEscalation: false },
    });
  });

  it("lets a user environment variable replace ours instead of duplicating it", () => {
    const { response } = sync(clusterParent({ env: [{ name: "SPARK_DAEMON_MEMORY", value: "2g" }] }));
    const env = pods(response.children, "master")[0]?.spec.containers[0]?.env ?? [];
    expect(env.filter((e) => e.name === "SPARK_DAEMON_MEMORY")).toEqual([
      { name: "SPARK_DAEMON_MEMORY", value: "2g" },
    ]);
  });

  it("launches Spark through a passwd entry for a uid the image does not know (OpenShift)", () => {
    // Hadoop's login, which master, worker and executors all go through, fails for a uid
    // without one: "Invalid UID, could not determine effective user".
    const fixed = sync(clusterParent({})).response;
    const assigned = sync(clusterParent({ fixedUserIds: false })).response;
    for (const pod of pods(fixed.children)) expect(args(pod)[0]).toBe("/opt/spark/bin/spark-class");
    for (const pod of pods(assigned.children)) {
      expect(args(pod).slice(0, 2)).toEqual(["/bin/bash", "-c"]);
      expect(args(pod).slice(3, 5)).toEqual(["spark", "/opt/spark/bin/spark-class"]);
      expect(args(pod).slice(4)).toEqual(
        args(
          pods(fixed.children).find(
            (p) =>
              p.metadata.labels["app.kubernetes.io/component"] ===
              pod.metadata.labels["app.kubernetes.io/component"],
          ),
        ),
      );
    }
  });

  it("labels both Services with the master's labels as well as the cluster's, selectors unchanged", () => {
    const { response } = sync(
      clusterParent({ labels: { team: "data" }, master: { labels: { tier: "control", team: "ops" } } }),
    );
    const services = response.children.filter((c) => c.kind === "Service") as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { selector: Record<string, string> };
    }[];
    expect(services).toHaveLength(2);
    for (const service of services) {
      expect(service.metadata.labels).toMatchObject({
        tier: "control",
        team: "ops",
        "app.kubernetes.io/instance": "my-spark",
      });
      expect(service.spec.selector).toEqual({
        "app.kubernetes.io/name": "spark",
        "app.kubernetes.io/instance": "my-spark",
        "app.kubernetes.io/component": "master",
        "app.kubernetes.io/managed-by": "sparkhooks",
      });
    }
  });

  it("leaves uid, gid and fsGroup to the platform with fixedUserIds: false (OpenShift)", () => {
    const fixed = sync(clusterParent({})).response;
    const assigned = sync(clusterParent({ fixedUserIds: false })).response;
    for (const pod of pods(fixed.children) as unknown as { spec: { securityContext: object } }[]) {
      expect(pod.spec.securityContext).toMatchObject({ runAsUser: 185, runAsGroup: 185, fsGroup: 185 });
    }
    for (const pod of pods(assigned.children) as unknown as {
      spec: { securityContext: object; containers: { securityContext: object }[] };
    }[]) {
      expect(pod.spec.securityContext).toEqual({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.spec.containers[0]?.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
      });
    }
  });

  it("omits the UI Service with sparkWebUI: false", () => {
    const { response } = sync(clusterParent({ sparkWebUI: false }));
    expect(namesOf(response.children.filter((c) => c.kind === "Service"))).toEqual(["my-spark"]);
    expect(response.status).not.toHaveProperty("masterUIURL");
  });

  it("offers as many executors of the configured size as fit, each with its own overhead", () => {
    const memoryOf = (spec: unknown, related: KubeObject[] = []) => {
      const worker = args(pods(sync(clusterParent(spec), [], NOW, related).response.children, "worker")[0]);
      return worker[worker.indexOf("--memory") + 1];
    };
    // 8Gi − 896Mi for the daemon leaves 7296Mi: five 1g executors of 1408Mi, three 2g ones of 2432Mi.
    expect(memoryOf({ worker: { memory: "8Gi" } })).toBe("5120m");
    const twoGig = [{ name: "spark.executor.memory", value: "2g" }];
    expect(memoryOf({ worker: { memory: "8Gi" }, sparkConfiguration: twoGig })).toBe("6144m");
    // The user's ConfigMap sets it too; sparkConfiguration wins over it.
    const userMap: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "my-spark-config", namespace: "spark-jobs" },
      data: { "spark-defaults.conf": "spark.executor.memory 4g\n" },
    };
    expect(memoryOf({ worker: { memory: "8Gi" } }, [userMap])).toBe("4096m");
    expect(memoryOf({ worker: { memory: "8Gi" }, sparkConfiguration: twoGig }, [userMap])).toBe("6144m");
  });

  it("accepts CPU written as a YAML number and sizes worker cores from it", () => {
    const { response } = sync(clusterParent({ worker: { instances: 1, cpu: 2.5, memory: "8Gi" } }));
    const worker = args(pods(response.children, "worker")[0]);
    expect(worker[worker.indexOf("--cores") + 1]).toBe("2");
  });
});

describe("values written as YAML scalars", () => {
  it("accepts decimal and boolean Spark settings and env values as strings", () => {
    const { response, outcome } = sync(
      clusterParent({
        sparkConfiguration: [
          { name: "spark.memory.fraction", value: 0.6 },
          { name: "spark.eventLog.enabled", value: true },
        ],
        env: [{ name: "FLAG", value: false }],
      }),
    );
    expect(outcome).toBe("ok");
    const conf = (
      response.children.find((c) => c.kind === "ConfigMap") as unknown as { data: Record<string, string> }
    ).data;
    expect(conf["spark-defaults.conf"]).toContain("spark.memory.fraction=0.6\nspark.eventLog.enabled=true");
    expect(pods(response.children, "master")[0]?.spec.containers[0]?.env).toContainEqual({
      name: "FLAG",
      value: "false",
    });
  });

  it("rejects an object where a scalar belongs, naming the field", () => {
    const { response, outcome } = sync(clusterParent({ env: [{ name: "X", value: { nested: 1 } }] }));
    expect(outcome).toBe("invalid_spec");
    expect(String(condition(response.status, "Ready")?.message)).toContain("spec.env[0].value");
  });
});
