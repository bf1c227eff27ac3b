/**
 * The adapter's `driver` and `executor` entrypoint branches, without Spark: the argv the image's
 * entrypoint.sh would exec for our rendered driver pod (as the API server stores it, with the
 * ServiceAccount volume admission adds) and for an executor pod as Spark creates it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IConfigMap, IPod } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { adaptPod, MountTable, SERVICE_ACCOUNT_DIR, type AdaptOptions } from "./adapter.js";
import { applicationChildren } from "./application-children.js";

const scratch = mkdtempSync(join(tmpdir(), "sparkhooks-entrypoint-unit-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const parent = { name: "pi", namespace: "spark-it", uid: "u-1" };
const spec = {
  type: "Python",
  sparkVersion: "3.5.9",
  mainApplicationFile: "local:///opt/spark/examples/src/main/python/pi.py",
  arguments: ["4"],
  driver: { memory: "512m", serviceAccount: "spark-driver" },
  executor: { instances: 2, memory: "512m" },
};
const children = applicationChildren(parent, spec);
const rootCa: IConfigMap = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "kube-root-ca.crt" },
  data: { "ca.crt": "CA" },
};

/** The ServiceAccount admission plugin's projected volume, as the API server stores the pod. */
function admitted(pod: IPod): IPod {
  const copy = structuredClone(pod);
  copy.spec!.volumes = [
    ...(copy.spec!.volumes ?? []),
    {
      name: "kube-api-access-abcde",
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          {
            downwardAPI: {
              items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
            },
          },
        ],
      },
    },
  ];
  copy.spec!.containers[0]!.volumeMounts!.push({
    name: "kube-api-access-abcde",
    mountPath: SERVICE_ACCOUNT_DIR,
    readOnly: true,
  });
  return copy;
}

function adapt(pod: IPod, name: string, extra: Partial<AdaptOptions> = {}) {
  return adaptPod(pod, {
    runtime: {
      sparkHome: "/local/spark",
      javaHome: "/local/jdk",
      examplesDir: "/local/examples",
      pythonBin: "/local/venv/bin",
    },
    podIP: "127.128.0.1",
    namespace: parent.namespace,
    scratchDir: join(scratch, name),
    configMaps: [children.configMap, rootCa],
    hosts: [],
    serviceAccountToken: "TOKEN",
    apiServerPort: 6443,
    ...extra,
  });
}

describe("the entrypoint's driver branch", () => {
  const local = adapt(admitted(children.driver), "driver");
  const volume = (name: string) => local.volumeDirs[name]!;

  it("runs spark-submit in client mode bound to the pod IP, with our args after the local settings", () => {
    expect(local.command).toBe("/local/spark/bin/spark-submit");
    expect(local.args.slice(0, 6)).toEqual([
      "--conf",
      "spark.driver.bindAddress=127.128.0.1",
      "--conf",
      "spark.executorEnv.SPARK_DRIVER_POD_IP=127.128.0.1",
      "--deploy-mode",
      "client",
    ]);
    const resource = local.args.indexOf("--properties-file");
    expect(local.args.slice(resource)).toEqual([
      "--properties-file",
      join(volume("spark-conf-volume-driver"), "spark.properties"),
      "--class",
      "org.apache.spark.deploy.PythonRunner",
      "local:///local/examples/src/main/python/pi.py",
      "4",
    ]);
  });

  it("names the executor template, the API server's port and the pod's ServiceAccount files by their local paths", () => {
    const confs = local.args.flatMap((arg, index) => (local.args[index - 1] === "--conf" ? [arg] : []));
    const token = volume("kube-api-access-abcde");
    expect(confs).toEqual(
      expect.arrayContaining([
        `spark.kubernetes.executor.podTemplateFile=${join(volume("pod-template-volume"), "pod-spec-template.yml")}`,
        "spark.kubernetes.driver.master=https://kubernetes.default.svc:6443",
        `spark.kubernetes.authenticate.driver.mounted.oauthTokenFile=${token}/token`,
        `spark.kubernetes.authenticate.driver.mounted.caCertFile=${token}/ca.crt`,
      ]),
    );
  });

  it("puts the JVM options in SPARK_SUBMIT_OPTS and the image's python3 first on PATH", () => {
    expect(local.env.SPARK_SUBMIT_OPTS).toMatch(/^-Djdk\.net\.hosts\.file=\S+ -Djava\.io\.tmpdir=\S+$/);
    expect(local.env.SPARK_DAEMON_JAVA_OPTS).toBeUndefined();
    expect(local.env.PATH?.startsWith("/local/venv/bin:")).toBe(true);
  });

  it("refuses a driver master other than the in-cluster one", () => {
    const custom = applicationChildren(parent, {
      ...spec,
      driver: { ...spec.driver, kubernetesMaster: "https://api.example:6443" },
    });
    expect(() =>
      adapt(admitted(custom.driver), "custom-master", { configMaps: [custom.configMap, rootCa] }),
    ).toThrow(/spark.kubernetes.driver.master https:\/\/api.example:6443 is not emulated/);
  });
});

describe("the entrypoint's executor branch", () => {
  /** An executor pod as Spark 3.5's BasicExecutorFeatureStep makes it from our template. */
  function executorPod(): IPod {
    const template = structuredClone(children.executorTemplate);
    const container = template.spec!.containers[0]!;
    container.args = ["executor"];
    container.env = [
      { name: "SPARK_USER", value: "spark" },
      { name: "SPARK_DRIVER_URL", value: "spark://CoarseGrainedScheduler@pi-driver-svc.spark-it.svc:7078" },
      { name: "SPARK_EXECUTOR_CORES", value: "1" },
      { name: "SPARK_EXECUTOR_MEMORY", value: "512m" },
      { name: "SPARK_APPLICATION_ID", value: "spark-abc" },
      { name: "SPARK_CONF_DIR", value: "/opt/spark/conf" },
      { name: "SPARK_EXECUTOR_ID", value: "1" },
      { name: "SPARK_RESOURCE_PROFILE_ID", value: "0" },
      {
        name: "SPARK_EXECUTOR_POD_IP",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } },
      },
      {
        name: "SPARK_EXECUTOR_POD_NAME",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } },
      },
      { name: "SPARK_JAVA_OPT_10", value: "-Dten" },
      { name: "SPARK_JAVA_OPT_0", value: "-Dzero" },
      { name: "SPARK_JAVA_OPT_2", value: "-Dtwo" },
    ];
    container.volumeMounts!.push({ name: "spark-conf-volume-exec", mountPath: "/opt/spark/conf" });
    template.spec!.volumes!.push({ name: "spark-conf-volume-exec", configMap: { name: "exec-conf" } });
    template.metadata = { name: "pi-exec-1" };
    return template;
  }
  const execConf: IConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "exec-conf" },
    data: {},
  };
  const local = adapt(executorPod(), "executor", { podIP: "127.128.0.2", configMaps: [execConf] });

  it("runs KubernetesExecutorBackend with SPARK_JAVA_OPT_* in bash's name order and the script's class path", () => {
    const conf = local.volumeDirs["spark-conf-volume-exec"]!;
    const tmp = local.volumeDirs["tmp"]!;
    expect([local.command, ...local.args]).toEqual([
      "/local/jdk/bin/java",
      `-Djdk.net.hosts.file=${local.hostsFile}`,
      `-Djava.io.tmpdir=${tmp}`,
      "-Dzero",
      "-Dten",
      "-Dtwo",
      "-Xms512m",
      "-Xmx512m",
      "-cp",
      `${conf}::/local/spark/jars/*:${local.cwd}:`,
      "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend",
      "--driver-url",
      "spark://CoarseGrainedScheduler@pi-driver-svc.spark-it.svc:7078",
      "--executor-id",
      "1",
      "--cores",
      "1",
      "--app-id",
      "spark-abc",
      "--hostname",
      "127.128.0.2",
      "--resourceProfileId",
      "0",
      "--podName",
      "pi-exec-1",
    ]);
  });
});

describe("local:// URIs", () => {
  it("map like paths, and a path no mount covers still throws", () => {
    const table = new MountTable([
      { containerPath: "/opt/spark/examples", localPath: "/x", source: "image", readOnly: true },
    ]);
    expect(table.rewrite("local:///opt/spark/examples/jars/a.jar,local:///opt/spark/examples/b.jar")).toBe(
      "local:///x/jars/a.jar,local:///x/b.jar",
    );
    expect(table.rewrite("k8s://https://kubernetes.default.svc")).toBe(
      "k8s://https://kubernetes.default.svc",
    );
    expect(() => table.rewrite("local:///etc/passwd")).toThrow(/on no volume/);
  });
});
