/**
 * The driver pod has the anatomy Spark's submission client gives it, carries the spec's pod
 * fields, is a valid Pod and meets Pod Security "restricted", and is rendered the same on every
 * sync.
 */
import fc from "fast-check";
import { Pod, type IPodSpec } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { restrictedViolations } from "../../test/support/pod-security.js";
import { isDns1123Label, isLabelValue, MAX_DNS_LABEL } from "../kube/names.js";
import { driverPod, type DriverPod } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import { driverSparkConf, sparkPropertiesFile } from "./spark-properties.js";
import { NO_MONITORING } from "./monitoring.js";
import { NO_POD_ADDITIONS } from "./pod-parts.js";
import { parseProperties } from "../spark/properties.js";
import { byteStringAs } from "../spark/sizes.js";
import { executorPodNamePrefix, MAX_EXECUTOR_PREFIX, sparkAppId, type ApplicationRun } from "./names.js";
import type { SparkApplicationSpec } from "./schema.js";
import { PYSPARK_PI, SCALA_PI, sparkApplicationSpec } from "../../test/support/spark-applications.js";

const RUN: ApplicationRun = { name: "spark-pi", namespace: "spark-jobs", uid: "0a1b2c3d", attempt: 1 };

function render(run: ApplicationRun, spec: SparkApplicationSpec): DriverPod {
  const size = driverSize(spec);
  if (!size.ok) throw new Error(size.errors.join("; "));
  return driverPod(run, spec, size.size, NO_POD_ADDITIONS);
}

function sparkContainer(pod: DriverPod) {
  const container = pod.spec?.containers[0];
  if (container === undefined) throw new Error("no container");
  return container;
}

function env(pod: DriverPod): Record<string, unknown> {
  return Object.fromEntries((sparkContainer(pod).env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

describe("the driver pod of a Scala SparkPi", () => {
  const pod = render(RUN, SCALA_PI);
  const container = sparkContainer(pod);
  const appId = sparkAppId(RUN);

  it.each([
    ["spark-role", "driver"],
    ["spark-app-selector", appId],
    ["spark-app-name", "spark-pi"],
    ["spark-version", "3.5.3"],
    ["app.kubernetes.io/component", "driver"],
    ["app.kubernetes.io/instance", "spark-pi"],
  ])("is labelled %s=%s", (key, value) => {
    expect(pod.metadata.labels[key]).toBe(value);
  });

  it("is named <app>-driver, runs once and does not inject Service variables", () => {
    expect(pod.metadata.name).toBe("spark-pi-driver");
    expect(pod.spec?.restartPolicy).toBe("Never");
    expect(pod.spec?.enableServiceLinks).toBe(false);
    expect(pod.spec?.serviceAccountName).toBe("spark-driver");
    expect(container.name).toBe("spark-kubernetes-driver");
    expect(container.image).toBe("apache/spark:3.5.3");
  });

  it("exposes Spark's driver, block manager and UI ports", () => {
    expect(container.ports).toEqual([
      { name: "driver-rpc-port", containerPort: 7078, protocol: "TCP" },
      { name: "blockmanager", containerPort: 7079, protocol: "TCP" },
      { name: "spark-ui", containerPort: 4040, protocol: "TCP" },
    ]);
  });

  it("binds the driver to its pod IP and points Spark at the mounted conf", () => {
    expect(env(pod)).toMatchObject({
      SPARK_DRIVER_BIND_ADDRESS: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } },
      SPARK_CONF_DIR: "/opt/spark/conf",
      SPARK_APPLICATION_ID: appId,
      SPARK_LOCAL_DIRS: "/var/data/spark-local-dir-1",
      SPARK_USER: "spark",
    });
  });

  it("starts the image's driver entrypoint with the properties file, the class, the jar and the arguments", () => {
    expect(container.args).toEqual([
      "driver",
      "--properties-file",
      "/opt/spark/conf/spark.properties",
      "--class",
      "org.apache.spark.examples.SparkPi",
      "local:///opt/spark/examples/jars/spark-examples.jar",
      "1000",
    ]);
  });

  it("asks for heap + 384Mi overhead, cores as the CPU request and coreLimit as the CPU limit", () => {
    expect(container.resources).toEqual({
      requests: { cpu: "1", memory: "896Mi" },
      limits: { cpu: "1200m", memory: "896Mi" },
    });
  });

  it("mounts spark.properties at /opt/spark/conf and the executor template where Spark mounts it", () => {
    expect(container.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: "spark-conf-volume-driver", mountPath: "/opt/spark/conf", readOnly: true },
        { name: "pod-template-volume", mountPath: "/opt/spark/pod-template", readOnly: true },
        { name: "spark-local-dir-1", mountPath: "/var/data/spark-local-dir-1" },
        { name: "tmp", mountPath: "/tmp" },
      ]),
    );
    expect(pod.spec?.volumes).toEqual(
      expect.arrayContaining([
        {
          name: "spark-conf-volume-driver",
          configMap: {
            name: "spark-pi-conf-1",
            items: [{ key: "spark.properties", path: "spark.properties" }],
          },
        },
        {
          name: "pod-template-volume",
          configMap: {
            name: "spark-pi-conf-1",
            items: [{ key: "pod-spec-template.yml", path: "pod-spec-template.yml" }],
          },
        },
      ]),
    );
  });

  it("runs as the image's spark user under the restricted defaults", () => {
    expect(pod.spec?.securityContext).toMatchObject({ runAsUser: 185, runAsNonRoot: true });
    expect(restrictedViolations(pod.spec ?? { containers: [] }, pod.metadata)).toEqual([]);
    expect(() => new Pod(pod).validate()).not.toThrow();
  });
});

describe("the driver pod of a PySpark pi.py", () => {
  const pod = render(RUN, PYSPARK_PI);
  const container = sparkContainer(pod);

  it("passes Spark's PythonRunner as the class and the .py file as the resource", () => {
    expect(container.args).toEqual([
      "driver",
      "--properties-file",
      "/opt/spark/conf/spark.properties",
      "--class",
      "org.apache.spark.deploy.PythonRunner",
      "local:///opt/spark/examples/src/main/python/pi.py",
      "10",
    ]);
  });

  it("adds 40% of the heap as overhead for the Python process beside the JVM", () => {
    // 2048Mi heap × 0.4 = 819Mi (truncated as Spark's toInt does).
    expect(container.resources).toEqual({
      requests: { cpu: "1", memory: "2867Mi" },
      limits: { memory: "2867Mi" },
    });
  });

  it("runs the default image of its Spark version and is labelled with it", () => {
    expect(container.image).toBe("apache/spark:4.1.2");
    expect(pod.metadata.labels["spark-version"]).toBe("4.1.2");
  });

  it("is a valid Pod that meets Pod Security restricted", () => {
    expect(restrictedViolations(pod.spec ?? { containers: [] }, pod.metadata)).toEqual([]);
    expect(() => new Pod(pod).validate()).not.toThrow();
  });
});

describe("the spec's driver fields", () => {
  const spec = sparkApplicationSpec({
    sparkVersion: "4.0.1",
    mainClass: "com.example.Main",
    mainApplicationFile: "local:///opt/app/app.jar",
    proxyUser: "alice",
    imagePullSecrets: ["registry"],
    nodeSelector: { pool: "spark", zone: "a" },
    hadoopConfigMap: "hadoop-site",
    volumes: [
      { name: "data", persistentVolumeClaim: { claimName: "data" } },
      { name: "executor-only", emptyDir: {} },
      { name: "scratch", emptyDir: {} },
    ],
    batchScheduler: "volcano",
    driver: {
      labels: { team: "data", "spark-role": "not-the-driver" },
      annotations: { "example.com/owner": "data" },
      env: [
        { name: "MODE", value: "batch" },
        { name: "LIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
      ],
      envVars: { MODE: "old", LEGACY: "yes" },
      envSecretKeyRefs: { TOKEN: { name: "creds", key: "token" } },
      envFrom: [{ configMapRef: { name: "app-env" } }],
      volumeMounts: [{ name: "data", mountPath: "/data" }],
      configMaps: [{ name: "extra", path: "/etc/extra" }],
      secrets: [{ name: "gcp", path: "/etc/gcp", secretType: "GCPServiceAccount" }],
      nodeSelector: { zone: "b" },
      tolerations: [{ key: "spark", operator: "Exists", effect: "NoSchedule" }],
      affinity: { nodeAffinity: {} },
      hostAliases: [{ ip: "10.0.0.1", hostnames: ["metastore"] }],
      dnsConfig: { options: [{ name: "ndots", value: "2" }] },
      priorityClassName: "batch",
      terminationGracePeriodSeconds: 60,
      lifecycle: { preStop: { sleep: { seconds: 5 } } },
      ports: [{ name: "metrics", protocol: "TCP", containerPort: 9090 }],
      gpu: { name: "nvidia.com/gpu", quantity: 1 },
      sidecars: [
        {
          name: "logs",
          image: "busybox",
          volumeMounts: [{ name: "scratch", mountPath: "/scratch" }],
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
          },
        },
      ],
      initContainers: [
        {
          name: "prepare",
          image: "busybox",
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
      podSecurityContext: { fsGroupChangePolicy: "OnRootMismatch" },
      securityContext: { readOnlyRootFilesystem: false },
    },
    executor: {},
  });
  const pod = render(RUN, spec);
  const container = sparkContainer(pod);
  const podSpec = pod.spec ?? { containers: [] };

  it("keeps Spark's reserved labels over the user's and adds the user's annotations", () => {
    expect(pod.metadata.labels).toMatchObject({ team: "data", "spark-role": "driver" });
    expect(pod.metadata.annotations).toEqual({ "example.com/owner": "data" });
  });

  it("puts env, legacy envVars and envSecretKeyRefs and envFrom into the Spark container, env winning", () => {
    expect(env(pod)).toMatchObject({
      MODE: "batch",
      LEGACY: "yes",
      TOKEN: { secretKeyRef: { name: "creds", key: "token" } },
      LIMIT: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } },
      HADOOP_CONF_DIR: "/etc/hadoop/conf",
      GOOGLE_APPLICATION_CREDENTIALS: "/etc/gcp/key.json",
      SPARK_USER: "spark",
    });
    expect(container.envFrom).toEqual([{ configMapRef: { name: "app-env" } }]);
  });

  it("mounts only the volumes the driver's containers use, plus ConfigMaps, Secrets and Hadoop conf", () => {
    const names = (podSpec.volumes ?? []).map((volume) => volume.name);
    expect(names).toEqual(expect.arrayContaining(["data", "scratch", "extra-vol", "gcp-vol", "hadoop-conf"]));
    expect(names).not.toContain("executor-only");
    expect(container.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: "data", mountPath: "/data" },
        { name: "extra-vol", mountPath: "/etc/extra" },
        { name: "gcp-vol", mountPath: "/etc/gcp" },
        { name: "hadoop-conf", mountPath: "/etc/hadoop/conf", readOnly: true },
      ]),
    );
  });

  it.each<[keyof IPodSpec, unknown]>([
    ["nodeSelector", { pool: "spark", zone: "b" }],
    ["tolerations", [{ key: "spark", operator: "Exists", effect: "NoSchedule" }]],
    ["affinity", { nodeAffinity: {} }],
    ["hostAliases", [{ ip: "10.0.0.1", hostnames: ["metastore"] }]],
    ["dnsConfig", { options: [{ name: "ndots", value: "2" }] }],
    ["priorityClassName", "batch"],
    ["schedulerName", "volcano"],
    ["terminationGracePeriodSeconds", 60],
    ["imagePullSecrets", [{ name: "registry" }]],
  ])("sets the pod's %s", (field, value) => {
    expect(podSpec[field]).toEqual(value);
  });

  it("runs sidecars beside Spark and init containers before it", () => {
    expect(podSpec.containers.map((c) => c.name)).toEqual(["spark-kubernetes-driver", "logs"]);
    expect(podSpec.initContainers?.map((c) => c.name)).toEqual(["prepare"]);
  });

  it("adds the lifecycle, extra ports, GPUs and --proxy-user to the Spark container", () => {
    expect(container.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(container.ports?.map((p) => p.containerPort)).toEqual([7078, 7079, 4040, 9090]);
    expect(container.resources?.limits).toMatchObject({ "nvidia.com/gpu": "1" });
    expect(container.args?.slice(0, 3)).toEqual(["driver", "--proxy-user", "alice"]);
  });

  it("merges the security contexts over the restricted defaults", () => {
    expect(podSpec.securityContext).toMatchObject({ runAsUser: 185, fsGroupChangePolicy: "OnRootMismatch" });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: false, runAsNonRoot: true });
  });

  it("is still a valid Pod", () => {
    expect(() => new Pod(pod).validate()).not.toThrow();
    expect(restrictedViolations(podSpec, pod.metadata)).toEqual([]);
  });
});

describe("every run", () => {
  const runs = fc.record({
    name: fc.oneof(
      fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,80}[a-z0-9])?$/),
      fc.stringMatching(/^[a-z0-9]{1,20}(\.[a-z0-9]{1,20}){1,4}$/),
    ),
    namespace: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/),
    uid: fc.uuid(),
    attempt: fc.integer({ min: 1, max: 100_000 }),
  });
  const specs = fc.constantFrom(SCALA_PI, PYSPARK_PI);

  it("renders the same pod twice, named by a DNS-1123 label, with ids Spark accepts", () => {
    fc.assert(
      fc.property(runs, specs, (run, spec) => {
        const pod = render(run, spec);
        expect(render(run, spec)).toEqual(pod);
        expect(isDns1123Label(pod.metadata.name)).toBe(true);
        expect(pod.metadata.name.length).toBeLessThanOrEqual(MAX_DNS_LABEL);
        for (const value of Object.values(pod.metadata.labels)) expect(isLabelValue(value)).toBe(true);
        const prefix = executorPodNamePrefix(run);
        expect(isDns1123Label(prefix) && prefix.length <= MAX_EXECUTOR_PREFIX).toBe(true);
      }),
    );
  });

  it("agrees with its spark.properties on the pod name, app id, namespace and memory", () => {
    fc.assert(
      fc.property(runs, specs, (run, spec) => {
        const size = driverSize(spec);
        if (!size.ok) throw new Error(size.errors.join("; "));
        const file = sparkPropertiesFile(driverSparkConf(run, spec, size.size, NO_MONITORING));
        expect(sparkPropertiesFile(driverSparkConf(run, spec, size.size, NO_MONITORING))).toBe(file);
        const conf = Object.fromEntries(parseProperties(file).entries.map((e) => [e.name, e.value]));
        const pod = driverPod(run, spec, size.size, NO_POD_ADDITIONS);
        expect(conf["spark.kubernetes.driver.pod.name"]).toBe(pod.metadata.name);
        expect(conf["spark.app.id"]).toBe(pod.metadata.labels["spark-app-selector"]);
        expect(conf["spark.kubernetes.namespace"]).toBe(run.namespace);
        // What the JVM is told (heap + overhead, in MiB) is what the kubelet enforces.
        const mib = (key: string) => {
          const parsed = byteStringAs(conf[key] ?? "", "m");
          return parsed.ok ? Number(parsed.value) : NaN;
        };
        const total = mib("spark.driver.memory") + mib("spark.driver.memoryOverhead");
        expect(sparkContainer(pod).resources?.requests?.["memory"]).toBe(`${total}Mi`);
      }),
    );
  });

  it("gives each attempt its own pod name and app id", () => {
    fc.assert(
      fc.property(runs, (run) => {
        const next = { ...run, attempt: run.attempt + 1 };
        expect(render(next, SCALA_PI).metadata.name).not.toBe(render(run, SCALA_PI).metadata.name);
        expect(sparkAppId(next)).not.toBe(sparkAppId(run));
      }),
    );
  });
});

describe("driver.template under the spec's driver fields", () => {
  const spec = sparkApplicationSpec({
    sparkVersion: "3.5.3",
    mainClass: "com.example.Main",
    mainApplicationFile: "local:///opt/app/app.jar",
    driver: {
      labels: { team: "spec" },
      template: {
        metadata: { labels: { team: "template", tier: "batch", "spark-role": "executor" } },
        spec: {
          restartPolicy: "Always",
          priorityClassName: "from-template",
          containers: [
            {
              name: "spark-kubernetes-driver",
              image: "template/image:1",
              args: ["ignored"],
              env: [{ name: "FROM_TEMPLATE", value: "1" }],
              ports: [{ name: "extra", containerPort: 9999 }],
            },
            {
              name: "proxy",
              image: "envoy",
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
    executor: {},
  });
  const pod = render(RUN, spec);
  const container = sparkContainer(pod);

  it("keeps the template's labels and pod fields under ours and Spark's", () => {
    expect(pod.metadata.labels).toMatchObject({ team: "spec", tier: "batch", "spark-role": "driver" });
    expect(pod.spec?.restartPolicy).toBe("Never");
    expect(pod.spec?.priorityClassName).toBe("from-template");
  });

  it("builds the driver container on the template's container of its name, our image and args winning", () => {
    expect(container.image).toBe("apache/spark:3.5.3");
    expect(container.args?.[0]).toBe("driver");
    expect(env(pod)).toMatchObject({ FROM_TEMPLATE: "1", SPARK_CONF_DIR: "/opt/spark/conf" });
    expect(container.ports?.map((port) => port.containerPort)).toEqual([9999, 7078, 7079, 4040]);
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(["spark-kubernetes-driver", "proxy"]);
  });

  it("is still a valid Pod that meets Pod Security restricted", () => {
    expect(() => new Pod(pod).validate()).not.toThrow();
    expect(restrictedViolations(pod.spec ?? { containers: [] }, pod.metadata)).toEqual([]);
  });
});

describe("driver pod settings that need care", () => {
  it("gives a dotted ConfigMap and a Secret of one name valid, distinct volumes", () => {
    const pod = render(
      RUN,
      sparkApplicationSpec({
        sparkVersion: "3.5.3",
        mainClass: "com.example.Main",
        mainApplicationFile: "local:///opt/app/app.jar",
        driver: {
          configMaps: [{ name: "app.config", path: "/etc/app" }],
          secrets: [{ name: "app.config", path: "/etc/secret", secretType: "Generic" }],
        },
        executor: {},
      }),
    );
    const names = (pod.spec?.volumes ?? []).map((volume) => volume.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(isDns1123Label(name), name).toBe(true);
    expect(() => new Pod(pod).validate()).not.toThrow();
  });

  it("resolves cluster names with hostNetwork through ClusterFirstWithHostNet, as kubeflow does", () => {
    const pod = render(
      RUN,
      sparkApplicationSpec({
        sparkVersion: "3.5.3",
        mainClass: "com.example.Main",
        mainApplicationFile: "local:///opt/app/app.jar",
        driver: { hostNetwork: true },
        executor: {},
      }),
    );
    expect(pod.spec).toMatchObject({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" });
  });
});
