/**
 * The executor pod template carries every executor field kubeflow's webhook would patch into
 * executor pods, leaves Spark's own parts to Spark, is a valid Pod that meets Pod Security
 * "restricted", and always carries the labels the controller finds executors by.
 */
import fc from "fast-check";
import { Pod, type IPodSpec } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { restrictedViolations } from "../../test/support/pod-security.js";
import { arbitraryFor, jsonText } from "../../test/support/schema-arbitrary.js";
import { PYSPARK_PI, SCALA_PI, sparkApplicationSpec } from "../../test/support/spark-applications.js";
import { structuralSchema } from "../crd/structural.js";
import { isDns1123Label } from "../kube/names.js";
import { selectorLabels } from "../spark/labels.js";
import {
  CONTROLLER_UID_LABEL,
  EXECUTOR_CONTAINER,
  executorPodTemplate,
  executorTemplateFile,
  SPARK_EXECUTOR_VOLUMES,
  type ExecutorPodTemplate,
} from "./executor-template.js";
import { monitoring } from "./monitoring.js";
import type { ApplicationRun } from "./names.js";
import { NO_POD_ADDITIONS } from "./pod-parts.js";
import { parseSparkApplicationSpec, SparkApplicationSpec, type SparkApplicationSpecInput } from "./schema.js";

const RUN: ApplicationRun = { name: "spark-pi", namespace: "spark-jobs", uid: "0a1b2c3d", attempt: 1 };

function render(spec: SparkApplicationSpec, run = RUN): ExecutorPodTemplate {
  return executorPodTemplate(run, spec, NO_POD_ADDITIONS);
}

function sparkContainer(pod: ExecutorPodTemplate) {
  const container = pod.spec.containers[0];
  if (container === undefined) throw new Error("no container");
  return container;
}

function env(pod: ExecutorPodTemplate): Record<string, unknown> {
  return Object.fromEntries((sparkContainer(pod).env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

function withExecutor(executor: Record<string, unknown>, rest: Partial<SparkApplicationSpecInput> = {}) {
  return sparkApplicationSpec({
    sparkVersion: "4.0.1",
    mainClass: "com.example.Main",
    mainApplicationFile: "local:///opt/app/app.jar",
    driver: {},
    ...rest,
    executor,
  });
}

function valid(pod: ExecutorPodTemplate): void {
  expect(() => new Pod(pod).validate()).not.toThrow();
  expect(restrictedViolations(pod.spec, pod.metadata)).toEqual([]);
}

describe("the executor template of a Scala SparkPi", () => {
  const pod = render(SCALA_PI);
  const container = sparkContainer(pod);

  it("is labelled with the selector labels of the application's executors", () => {
    expect(pod.metadata.labels).toEqual(selectorLabels("spark-pi", "executor"));
  });

  it("names the Spark container as spark.kubernetes.executor.podTemplateContainerName says", () => {
    expect(container.name).toBe(EXECUTOR_CONTAINER);
  });

  it("leaves image, ports, cpu and memory to Spark, which sets them from spark.properties", () => {
    expect(container.image).toBeUndefined();
    expect(container.env).toBeUndefined();
    expect(container.ports).toBeUndefined();
    expect(container.resources).toBeUndefined();
    expect(pod.metadata.name).toBeUndefined();
    expect(pod.spec.restartPolicy).toBeUndefined();
  });

  it("runs as the image's spark user with a read-only root and writable /tmp and work dir", () => {
    expect(pod.spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 185,
      runAsGroup: 185,
      fsGroup: 185,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
    expect(container.volumeMounts).toEqual([
      { name: "tmp", mountPath: "/tmp" },
      { name: "work-dir", mountPath: "/opt/spark/work-dir" },
    ]);
    expect(pod.spec.volumes).toEqual([
      { name: "tmp", emptyDir: {} },
      { name: "work-dir", emptyDir: {} },
    ]);
  });

  it("uses none of the volume names or paths Spark's executor steps add", () => {
    const names = (pod.spec.volumes ?? []).map((volume) => volume.name);
    for (const reserved of SPARK_EXECUTOR_VOLUMES) expect(names).not.toContain(reserved);
    const paths = (container.volumeMounts ?? []).map((mount) => mount.mountPath);
    expect(paths).not.toContain("/opt/spark/conf");
    expect(paths.filter((path) => path.startsWith("/var/data/spark-local-dir"))).toEqual([]);
  });

  it("turns off Service links, which would put SPARK_* variables of other Services into the container", () => {
    expect(pod.spec.enableServiceLinks).toBe(false);
  });

  it("is a valid Pod that meets Pod Security restricted", () => {
    valid(pod);
  });

  it("is written as the YAML Spark reads back into the same Pod", () => {
    const file = executorTemplateFile(pod);
    expect(parse(file)).toEqual(pod);
    expect(file).toMatch(/^apiVersion: v1\nkind: Pod\n/);
  });
});

describe("the spec's executor fields in the template", () => {
  const spec = withExecutor(
    {
      labels: { team: "data", [CONTROLLER_UID_LABEL]: "not-ours", "app.kubernetes.io/component": "x" },
      annotations: { "example.com/owner": "data" },
      env: [
        { name: "MODE", value: "batch" },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ],
      envVars: { MODE: "old", LEGACY: "yes" },
      envSecretKeyRefs: { TOKEN: { name: "creds", key: "token" } },
      envFrom: [{ secretRef: { name: "app-secrets" } }],
      volumeMounts: [{ name: "data", mountPath: "/data" }],
      configMaps: [{ name: "extra", path: "/etc/extra" }],
      secrets: [
        { name: "gcp", path: "/etc/gcp", secretType: "GCPServiceAccount" },
        { name: "delegation", path: "/etc/tokens", secretType: "HadoopDelegationToken" },
      ],
      nodeSelector: { zone: "b" },
      tolerations: [{ key: "spark", operator: "Exists", effect: "NoSchedule" }],
      affinity: { podAntiAffinity: {} },
      hostAliases: [{ ip: "10.0.0.1", hostnames: ["metastore"] }],
      dnsConfig: { options: [{ name: "ndots", value: "2" }] },
      priorityClassName: "batch-low",
      terminationGracePeriodSeconds: 30,
      shareProcessNamespace: true,
      lifecycle: { preStop: { sleep: { seconds: 3 } } },
      gpu: { name: "nvidia.com/gpu", quantity: 2 },
      serviceAccount: "spark-executor",
      sidecars: [
        {
          name: "logs",
          image: "busybox",
          volumeMounts: [{ name: "scratch", mountPath: "/scratch" }],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
      initContainers: [
        {
          name: "fetch",
          image: "busybox",
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
      podSecurityContext: { fsGroupChangePolicy: "OnRootMismatch" },
      securityContext: { readOnlyRootFilesystem: false },
    },
    {
      nodeSelector: { pool: "spark", zone: "a" },
      hadoopConfigMap: "hadoop-site",
      imagePullSecrets: ["registry"],
      batchScheduler: "volcano",
      volumes: [
        { name: "data", persistentVolumeClaim: { claimName: "data" } },
        { name: "driver-only", emptyDir: {} },
        { name: "scratch", emptyDir: {} },
      ],
    },
  );
  const pod = render(spec);
  const container = sparkContainer(pod);
  const podSpec: IPodSpec = pod.spec;

  it("keeps the selector labels over the user's and never carries Metacontroller's controller-uid", () => {
    expect(pod.metadata.labels).toEqual({ team: "data", ...selectorLabels("spark-pi", "executor") });
    expect(pod.metadata.annotations).toEqual({ "example.com/owner": "data" });
  });

  it("puts env, legacy envVars and envSecretKeyRefs and envFrom into the Spark container, env winning", () => {
    expect(env(pod)).toEqual({
      MODE: "batch",
      LEGACY: "yes",
      TOKEN: { secretKeyRef: { name: "creds", key: "token" } },
      POD: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } },
      HADOOP_CONF_DIR: "/etc/hadoop/conf",
      GOOGLE_APPLICATION_CREDENTIALS: "/etc/gcp/key.json",
      HADOOP_TOKEN_FILE_LOCATION: "/etc/tokens/hadoop.token",
    });
    expect(container.envFrom).toEqual([{ secretRef: { name: "app-secrets" } }]);
  });

  it("mounts the volumes the executor's containers use, its ConfigMaps and Secrets and the Hadoop conf", () => {
    const names = (podSpec.volumes ?? []).map((volume) => volume.name);
    expect(names).toEqual([
      "tmp",
      "work-dir",
      "hadoop-conf",
      "extra-vol",
      "gcp-vol",
      "delegation-vol",
      "data",
      "scratch",
    ]);
    expect(container.volumeMounts).toEqual([
      { name: "tmp", mountPath: "/tmp" },
      { name: "work-dir", mountPath: "/opt/spark/work-dir" },
      { name: "hadoop-conf", mountPath: "/etc/hadoop/conf", readOnly: true },
      { name: "extra-vol", mountPath: "/etc/extra" },
      { name: "gcp-vol", mountPath: "/etc/gcp" },
      { name: "delegation-vol", mountPath: "/etc/tokens" },
      { name: "data", mountPath: "/data" },
    ]);
  });

  it.each<[keyof IPodSpec, unknown]>([
    ["nodeSelector", { pool: "spark", zone: "b" }],
    ["tolerations", [{ key: "spark", operator: "Exists", effect: "NoSchedule" }]],
    ["affinity", { podAntiAffinity: {} }],
    ["hostAliases", [{ ip: "10.0.0.1", hostnames: ["metastore"] }]],
    ["dnsConfig", { options: [{ name: "ndots", value: "2" }] }],
    ["priorityClassName", "batch-low"],
    ["schedulerName", "volcano"],
    ["terminationGracePeriodSeconds", 30],
    ["shareProcessNamespace", true],
    ["serviceAccountName", "spark-executor"],
  ])("sets the pod's %s", (field, value) => {
    expect(podSpec[field]).toEqual(value);
  });

  it("leaves image pull secrets to Spark, which adds spark.kubernetes.container.image.pullSecrets itself", () => {
    expect(podSpec.imagePullSecrets).toBeUndefined();
  });

  it("runs sidecars beside Spark and init containers before it", () => {
    expect(podSpec.containers.map((c) => c.name)).toEqual([EXECUTOR_CONTAINER, "logs"]);
    expect(podSpec.initContainers?.map((c) => c.name)).toEqual(["fetch"]);
  });

  it("adds the lifecycle and the GPUs as limits, to which Spark adds cpu and memory", () => {
    expect(container.lifecycle).toEqual({ preStop: { sleep: { seconds: 3 } } });
    expect(container.resources).toEqual({ limits: { "nvidia.com/gpu": "2" } });
  });

  it("merges the security contexts over the restricted defaults", () => {
    expect(podSpec.securityContext).toMatchObject({ runAsUser: 185, fsGroupChangePolicy: "OnRootMismatch" });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: false, runAsNonRoot: true });
  });

  it("is a valid Pod that meets Pod Security restricted", () => {
    valid(pod);
  });
});

describe("executor pod settings that depend on one another", () => {
  it("takes executor.schedulerName over batchScheduler", () => {
    const pod = render(withExecutor({ schedulerName: "yunikorn" }, { batchScheduler: "volcano" }));
    expect(pod.spec.schedulerName).toBe("yunikorn");
  });

  it("resolves cluster names with hostNetwork through ClusterFirstWithHostNet, as kubeflow does", () => {
    const pod = render(withExecutor({ hostNetwork: true }));
    expect(pod.spec).toMatchObject({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" });
  });

  it("names no service account without executor.serviceAccount: Spark then takes the executor's conf key", () => {
    const pod = render(withExecutor({}, { driver: { serviceAccount: "spark-driver" } }));
    expect(pod.spec.serviceAccountName).toBeUndefined();
  });

  it("leaves out /tmp's emptyDir where the user mounts a volume of their own there", () => {
    const pod = render(
      withExecutor(
        { volumeMounts: [{ name: "fast", mountPath: "/tmp" }] },
        { volumes: [{ name: "fast", emptyDir: { medium: "Memory" } }] },
      ),
    );
    expect(sparkContainer(pod).volumeMounts?.filter((m) => m.mountPath === "/tmp")).toEqual([
      { name: "fast", mountPath: "/tmp" },
    ]);
    expect(pod.spec.volumes?.map((v) => v.name)).toEqual(["work-dir", "fast"]);
    valid(pod);
  });
});

describe("volumes of mounted ConfigMaps and Secrets", () => {
  it.each([
    ["a dotted ConfigMap name", [{ name: "app.config", path: "/etc/a" }], []],
    ["a name too long for <name>-vol", [{ name: "c".repeat(62), path: "/etc/a" }], []],
    [
      "a ConfigMap and a Secret of one name",
      [{ name: "app-settings", path: "/etc/a" }],
      [{ name: "app-settings", path: "/etc/b", secretType: "Generic" }],
    ],
    [
      "a dotted Secret beside a ConfigMap whose name makes the same plain name",
      [{ name: "a-b", path: "/etc/a" }],
      [{ name: "a.b", path: "/etc/b", secretType: "Generic" }],
    ],
  ])("get valid, distinct names for %s", (_case, configMaps, secrets) => {
    const pod = render(withExecutor({ configMaps, secrets }));
    const names = (pod.spec.volumes ?? []).map((volume) => volume.name);
    for (const name of names) expect(isDns1123Label(name), name).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    valid(pod);
  });

  it("keeps the Hadoop conf apart from a user volume already called hadoop-conf", () => {
    const pod = render(
      withExecutor(
        { volumeMounts: [{ name: "hadoop-conf", mountPath: "/opt/hadoop-extra" }] },
        { hadoopConfigMap: "hadoop-site", volumes: [{ name: "hadoop-conf", emptyDir: {} }] },
      ),
    );
    const names = (pod.spec.volumes ?? []).map((volume) => volume.name);
    expect(new Set(names).size).toBe(names.length);
    expect(pod.spec.volumes).toContainEqual({ name: "hadoop-conf", emptyDir: {} });
    valid(pod);
  });

  it("keeps kubeflow's <name>-vol where it is valid, so sidecars mounting it by that name still work", () => {
    const pod = render(withExecutor({ configMaps: [{ name: "extra", path: "/etc/extra" }] }));
    expect(pod.spec.volumes).toContainEqual({ name: "extra-vol", configMap: { name: "extra" } });
  });

  it("gives a ConfigMap mounted at two paths one volume with two mounts", () => {
    const pod = render(
      withExecutor({
        configMaps: [
          { name: "extra", path: "/etc/one" },
          { name: "extra", path: "/etc/two" },
        ],
      }),
    );
    expect(pod.spec.volumes?.filter((v) => v.configMap?.name === "extra")).toHaveLength(1);
    expect(sparkContainer(pod).volumeMounts?.filter((m) => m.name === "extra-vol")).toHaveLength(2);
    valid(pod);
  });
});

describe("executor.template under the spec's fields", () => {
  const template = {
    metadata: {
      name: "ignored",
      labels: { tier: "batch", [CONTROLLER_UID_LABEL]: "copied-from-elsewhere", team: "template" },
      annotations: { "example.com/from": "template" },
    },
    spec: {
      restartPolicy: "Always",
      runtimeClassName: "gvisor",
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway" }],
      nodeSelector: { disk: "ssd", zone: "template" },
      tolerations: [{ key: "template", operator: "Exists" }],
      volumes: [
        { name: "cache", emptyDir: {} },
        { name: "tmp", hostPath: { path: "/var/tmp" } },
      ],
      securityContext: { supplementalGroups: [1000], runAsUser: 2000 },
      containers: [
        {
          name: "helper",
          image: "busybox",
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
        {
          name: EXECUTOR_CONTAINER,
          env: [
            { name: "FROM_TEMPLATE", value: "1" },
            { name: "MODE", value: "template" },
          ],
          volumeMounts: [{ name: "cache", mountPath: "/cache" }],
          resources: { limits: { "ephemeral-storage": "1Gi" } },
          securityContext: { runAsGroup: 3000 },
        },
      ],
    },
  };
  const pod = render(
    withExecutor({
      template,
      labels: { team: "spec" },
      env: [{ name: "MODE", value: "spec" }],
      nodeSelector: { zone: "spec" },
      tolerations: [{ key: "spec", operator: "Exists" }],
    }),
  );
  const container = sparkContainer(pod);

  it("keeps the template's labels and annotations under ours, without its name or controller-uid", () => {
    expect(pod.metadata).toEqual({
      labels: { tier: "batch", team: "spec", ...selectorLabels("spark-pi", "executor") },
      annotations: { "example.com/from": "template" },
    });
  });

  it("keeps the template's pod fields we do not set", () => {
    expect(pod.spec).toMatchObject({
      restartPolicy: "Always",
      runtimeClassName: "gvisor",
      topologySpreadConstraints: template.spec.topologySpreadConstraints,
    });
  });

  it("merges maps and lists, ours winning by key and name", () => {
    expect(pod.spec.nodeSelector).toEqual({ disk: "ssd", zone: "spec" });
    expect(pod.spec.tolerations).toEqual([
      { key: "template", operator: "Exists" },
      { key: "spec", operator: "Exists" },
    ]);
    expect(pod.spec.volumes).toEqual([
      { name: "cache", emptyDir: {} },
      { name: "tmp", emptyDir: {} },
      { name: "work-dir", emptyDir: {} },
    ]);
    expect(pod.spec.securityContext).toMatchObject({ supplementalGroups: [1000], runAsUser: 185 });
  });

  it("builds our Spark container on the template's container of the same name and keeps the others", () => {
    expect(pod.spec.containers.map((c) => c.name)).toEqual([EXECUTOR_CONTAINER, "helper"]);
    expect(env(pod)).toEqual({ FROM_TEMPLATE: "1", MODE: "spec" });
    expect(container.volumeMounts).toContainEqual({ name: "cache", mountPath: "/cache" });
    expect(container.resources).toEqual({ limits: { "ephemeral-storage": "1Gi" } });
    expect(container.securityContext).toMatchObject({ runAsGroup: 3000, readOnlyRootFilesystem: true });
  });

  it("takes the template's first container as Spark's when none is named like it, as Spark does", () => {
    const first = render(
      withExecutor({
        template: {
          spec: { containers: [{ name: "main", env: [{ name: "A", value: "1" }] }, { name: "b" }] },
        },
      }),
    );
    expect(first.spec.containers.map((c) => c.name)).toEqual([EXECUTOR_CONTAINER, "b"]);
    expect(env(first)).toEqual({ A: "1" });
  });
});

describe("monitoring in the executor template", () => {
  it("mounts the metrics files and annotates executors scraped through the JMX exporter", () => {
    const spec = withExecutor(
      {},
      {
        monitoring: {
          exposeDriverMetrics: false,
          exposeExecutorMetrics: true,
          prometheus: { jmxExporterJar: "/prometheus/jmx_prometheus_javaagent.jar" },
        },
      },
    );
    const pod = executorPodTemplate(RUN, spec, monitoring(RUN, spec).executor);
    expect(pod.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8090",
      "prometheus.io/path": "/metrics",
    });
    expect(sparkContainer(pod).volumeMounts).toContainEqual({
      name: "metrics-conf",
      mountPath: "/etc/metrics/conf",
      readOnly: true,
    });
    expect(pod.spec.volumes).toContainEqual({
      name: "metrics-conf",
      configMap: {
        name: "spark-pi-conf-1",
        items: [
          { key: "metrics.properties", path: "metrics.properties" },
          { key: "prometheus.yaml", path: "prometheus.yaml" },
        ],
      },
    });
    valid(pod);
  });
});

describe("every executor template", () => {
  const runs = fc.record({
    name: fc.oneof(
      fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/),
      fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){1,3}$/),
    ),
    namespace: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/),
    uid: fc.uuid(),
    attempt: fc.integer({ min: 1, max: 1000 }),
  });

  it("is rendered the same twice and stays valid for SparkPi and pi.py", () => {
    fc.assert(
      fc.property(runs, fc.constantFrom(SCALA_PI, PYSPARK_PI), (run, spec) => {
        const pod = render(spec, run);
        expect(render(spec, run)).toEqual(pod);
        expect(executorTemplateFile(render(spec, run))).toBe(executorTemplateFile(pod));
        valid(pod);
      }),
    );
  });

  const specSchema = structuralSchema(SparkApplicationSpec, { path: "spec" });
  const REQUIRED = {
    sparkVersion: "3.5.3",
    mainApplicationFile: "local:///app.jar",
    driver: {},
    executor: {},
  };

  /**
   * The spec without the fields a parse error names (a role field, or a top-level one), the
   * required fields put back: most generated specs fail one of the hook's own checks (sizes,
   * counts), and dropping just those keeps the rest of the generated spec in play.
   */
  function withoutFailingFields(raw: Record<string, unknown>, errors: readonly string[]) {
    // Shallow copies: a preserved field may nest thousands of levels, too deep for structuredClone.
    const spec: Record<string, unknown> = { ...raw };
    for (const key of ["driver", "executor"]) {
      if (typeof spec[key] === "object" && spec[key] !== null) spec[key] = { ...spec[key] };
    }
    for (const error of errors) {
      const [, first, second] = (error.split(":")[0] ?? "").split(/[.[]/);
      if (first === undefined) continue;
      const role = spec[first];
      if ((first === "driver" || first === "executor") && second !== undefined && typeof role === "object") {
        delete (role as Record<string, unknown>)[second];
      } else {
        delete spec[first];
      }
    }
    return { ...REQUIRED, ...spec };
  }

  /** Any spec the schema admits, repaired as above, sometimes with controller-uid labels where users put labels. */
  const specs = fc
    .tuple(arbitraryFor(specSchema), fc.boolean(), fc.boolean())
    .map(([generated, labelled, templated]) => {
      const raw = { ...REQUIRED, ...(JSON.parse(jsonText(generated)) as Record<string, unknown>) };
      const executor = (typeof raw.executor === "object" ? raw.executor : {}) as Record<string, unknown>;
      let current: Record<string, unknown> = {
        ...raw,
        executor: {
          ...executor,
          ...(labelled ? { labels: { ...(executor["labels"] as object), [CONTROLLER_UID_LABEL]: "x" } } : {}),
          ...(templated ? { template: { metadata: { labels: { [CONTROLLER_UID_LABEL]: "y" } } } } : {}),
        },
      };
      for (let round = 0; round < 3; round += 1) {
        const parsed = parseSparkApplicationSpec(current);
        if (parsed.ok) return parsed.spec;
        current = withoutFailingFields(current, parsed.errors);
      }
      return undefined;
    })
    .filter((spec): spec is SparkApplicationSpec => spec !== undefined);

  it("carries the executors' selector labels and never a controller-uid label, for any valid spec", () => {
    fc.assert(
      fc.property(runs, specs, (run, spec) => {
        const pod = executorPodTemplate(run, spec, monitoring(run, spec).executor);
        expect(pod.metadata.labels).toMatchObject(selectorLabels(run.name, "executor"));
        expect(pod.metadata.labels).not.toHaveProperty(CONTROLLER_UID_LABEL);
        expect(executorPodTemplate(run, spec, monitoring(run, spec).executor)).toEqual(pod);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
