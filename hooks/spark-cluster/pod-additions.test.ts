import { describe, expect, it } from "vitest";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { clusterParent, condition, converge, NOW, podsOf, sync } from "../../test/support/cluster.js";
import { customizeSparkCluster } from "./customize.js";
import { DOWNLOAD_SCRIPT } from "./pod-additions.js";

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: unknown;
  securityContext?: Record<string, unknown>;
}
type Pod = DesiredObject & {
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    initContainers?: Container[];
    containers: Container[];
    volumes: ({ name: string } & Record<string, unknown>)[];
  };
};

function render(spec: unknown, related: readonly KubeObject[] = []) {
  const result = sync(clusterParent(spec), [], NOW, related);
  const pods = podsOf(result.response.children as Pod[]);
  const conf = (component: string) =>
    (
      result.response.children.find(
        (c) => c.kind === "ConfigMap" && c.metadata.name.includes(`-${component}-conf-`),
      ) as unknown as { data: Record<string, string> }
    ).data["spark-defaults.conf"] ?? "";
  return { ...result, pods, conf };
}

function problems(spec: unknown): string {
  const { outcome, response } = sync(clusterParent(spec));
  expect(outcome).toBe("invalid_spec");
  return String(condition(response.status, "Ready")?.message);
}

const init = (pod: Pod | undefined, name: string) => pod?.spec.initContainers?.find((c) => c.name === name);

describe("downloadData", () => {
  const spec = {
    worker: { instances: 2 },
    downloadData: [
      { url: "https://data.cityofnewyork.us/api/views/kku6-nxdu/rows.csv", to: "/tmp/" },
      { url: "https://data.lacity.org/api/views/nxs9-385f/rows.csv", to: "/data/LA.csv" },
      { url: "https://example.com/lookup/codes.json?version=2", to: "/data/lookup/" },
    ],
  };
  const { pods, outcome } = render(spec);

  it("fetches every file in an init container of the master and of each worker", () => {
    expect(outcome).toBe("ok");
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.spec.initContainers?.map((c) => c.name)).toEqual(["download-data"]);
      expect(init(pod, "download-data")?.command).toEqual([
        "/bin/sh",
        "-c",
        DOWNLOAD_SCRIPT,
        "download-data",
        "https://data.cityofnewyork.us/api/views/kku6-nxdu/rows.csv",
        "/tmp/rows.csv",
        "https://data.lacity.org/api/views/nxs9-385f/rows.csv",
        "/data/LA.csv",
        "https://example.com/lookup/codes.json?version=2",
        "/data/lookup/codes.json",
      ]);
    }
  });

  it("puts the files on volumes the Spark container mounts at the same paths", () => {
    for (const pod of pods) {
      const downloader = init(pod, "download-data");
      const spark = pod.spec.containers[0];
      // /tmp/ is the pod's /tmp volume already; /data and /data/lookup share one emptyDir.
      expect(downloader?.volumeMounts).toEqual([
        { name: "tmp", mountPath: "/tmp" },
        { name: "work-dir", mountPath: "/opt/spark/work-dir" },
        { name: "download-0", mountPath: "/data" },
      ]);
      expect(spark?.volumeMounts).toContainEqual({ name: "download-0", mountPath: "/data" });
      expect(spark?.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
      expect(pod.spec.volumes).toContainEqual({ name: "download-0", emptyDir: {} });
    }
  });

  it("runs the download with the pod's restricted security context and the Spark image by default", () => {
    const [master] = pods;
    const downloader = init(master, "download-data");
    expect(downloader?.image).toBe("apache/spark:4.3.0");
    expect(downloader?.securityContext).toEqual(master?.spec.containers[0]?.securityContext);
    expect(downloader?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(downloader?.resources).toEqual(master?.spec.containers[0]?.resources);
  });

  it("stops at the first failed download, so the pod shows Init:Error instead of starting without data", () => {
    expect(DOWNLOAD_SCRIPT.split("\n")[0]).toBe("set -e");
    expect(DOWNLOAD_SCRIPT).toContain('wget -O "$2" "$1"');
  });

  it.each([
    [[{ url: "https://x.org/a.csv", to: "data/" }], "spec.downloadData[0].to: must be an absolute path"],
    [
      [{ url: "file:///etc/passwd", to: "/data/" }],
      "spec.downloadData[0].url: must be an http, https or ftp URL",
    ],
    [[{ url: "https://x.org/a.csv", to: "/data/../etc/" }], "must be a plain absolute path"],
    [[{ url: "https://x.org/", to: "/data/" }], "ends in no file name"],
    [
      [
        { url: "https://x.org/a.csv", to: "/data/" },
        { url: "https://y.org/a.csv", to: "/data/a.csv" },
      ],
      "spec.downloadData[1].to: /data/a.csv is also written by spec.downloadData[0]",
    ],
    [[{ url: "https://x.org/a.jar", to: "/opt/spark/jars/" }], "inside Spark's home /opt/spark"],
    [[{ url: "https://x.org/a.csv", to: "/opt/a.csv" }], "it would hide Spark (/opt/spark)"],
    [[{ url: "https://x.org/a.csv", to: "/" }], "cannot hold downloads"],
  ])("rejects %j: %s", (downloadData, message) => {
    expect(problems({ downloadData })).toContain(message);
  });

  it("rejects a download into the history server's volume, which would hide it", () => {
    expect(
      problems({
        historyServer: { name: "hs" },
        downloadData: [{ url: "https://x.org/a.csv", to: "/history/spark-events/" }],
      }),
    ).toContain("spec.downloadData[0].to: /history/spark-events/a.csv is inside the history server's volume");
  });
});

describe("mavenDependencies and mavenRepositories", () => {
  const spec = {
    worker: { instances: 1 },
    mavenDependencies: ["org.apache.hadoop:hadoop-aws:3.4.1", "com.example:udfs:1.2.0"],
    mavenRepositories: ["https://repo.example.com/maven2", "http://nexus.local/repository/public"],
  };
  const { pods, conf, outcome } = render(spec);

  it("resolves the packages with spark-submit --packages in an init container of every pod", () => {
    expect(outcome).toBe("ok");
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(init(pod, "resolve-maven-dependencies")?.command).toEqual([
        "/opt/spark/bin/spark-submit",
        "--driver-memory",
        "256m",
        "--conf",
        "spark.jars.ivy=/opt/spark/maven",
        "--packages",
        "org.apache.hadoop:hadoop-aws:3.4.1,com.example:udfs:1.2.0",
        "--repositories",
        "https://repo.example.com/maven2,http://nexus.local/repository/public",
        "--class",
        "scala.util.Properties",
        "spark-internal",
      ]);
    }
  });

  it("puts the resolved jars on the class path of every JVM the pod starts, executors included", () => {
    for (const pod of pods) {
      const spark = pod.spec.containers[0];
      expect(spark?.env).toContainEqual({ name: "SPARK_DIST_CLASSPATH", value: "/opt/spark/maven/jars/*" });
      // Writable: spark-submit in the pod resolves spark.jars.packages into the same Ivy home.
      expect(spark?.volumeMounts).toContainEqual({
        name: "maven-dependencies",
        mountPath: "/opt/spark/maven",
      });
      expect(init(pod, "resolve-maven-dependencies")?.volumeMounts).toContainEqual({
        name: "maven-dependencies",
        mountPath: "/opt/spark/maven",
      });
      expect(pod.spec.volumes).toContainEqual({ name: "maven-dependencies", emptyDir: {} });
    }
  });

  it("writes spark.jars.packages, spark.jars.repositories and a writable spark.jars.ivy for both roles", () => {
    for (const component of ["master", "worker"]) {
      expect(conf(component)).toContain(
        "spark.jars.packages=org.apache.hadoop:hadoop-aws:3.4.1,com.example:udfs:1.2.0",
      );
      expect(conf(component)).toContain(
        "spark.jars.repositories=https://repo.example.com/maven2,http://nexus.local/repository/public",
      );
      expect(conf(component)).toContain("spark.jars.ivy=/opt/spark/maven");
    }
  });

  it("leaves spark.jars.repositories out when there are no extra repositories", () => {
    const plain = render({ mavenDependencies: ["org.example:lib:1.0"] });
    expect(plain.conf("worker")).not.toContain("spark.jars.repositories");
    expect(init(plain.pods[0], "resolve-maven-dependencies")?.command).not.toContain("--repositories");
  });

  it("works with a custom command, which radanalytics refused: nothing is spliced into it", () => {
    const custom = render({
      mavenDependencies: ["org.example:lib:1.0"],
      worker: {
        command: ["/opt/spark/bin/spark-class"],
        commandArgs: ["org.apache.spark.deploy.worker.Worker"],
      },
    });
    expect(custom.outcome).toBe("ok");
    const worker = podsOf(custom.pods, "worker")[0];
    expect(worker?.spec.containers[0]?.command).toEqual(["/opt/spark/bin/spark-class"]);
    expect(init(worker, "resolve-maven-dependencies")).toBeDefined();
  });

  it("starts the resolver through the passwd step when the pod may run as a uid the image does not know", () => {
    const openshift = render({ fixedUserIds: false, mavenDependencies: ["org.example:lib:1.0"] });
    expect(init(openshift.pods[0], "resolve-maven-dependencies")?.command?.slice(0, 2)).toEqual([
      "/bin/bash",
      "-c",
    ]);
  });

  it.each([
    [{ mavenDependencies: ["hadoop-aws"] }, "spec.mavenDependencies[0]: must be a Maven coordinate"],
    [{ mavenDependencies: ["a:b:1,c:d:2"] }, "spec.mavenDependencies[0]: must be a Maven coordinate"],
    [{ mavenRepositories: ["repo.example.com"] }, "spec.mavenRepositories[0]: must be a repository URL"],
  ])("rejects %j", (spec, message) => {
    expect(problems(spec)).toContain(message);
  });
});

describe("customInitContainerImage", () => {
  it("is the image of every init container, and only of them", () => {
    const { pods } = render({
      customInitContainerImage: "registry.example.com/tools:1",
      downloadData: [{ url: "https://x.org/a.csv", to: "/data/" }],
      mavenDependencies: ["org.example:lib:1.0"],
    });
    for (const pod of pods) {
      expect(pod.spec.initContainers?.map((c) => c.image)).toEqual([
        "registry.example.com/tools:1",
        "registry.example.com/tools:1",
      ]);
      expect(pod.spec.containers[0]?.image).toBe("apache/spark:4.3.0");
    }
  });

  it("adds no init container by itself", () => {
    expect(
      render({ customInitContainerImage: "busybox" }).pods.every((p) => p.spec.initContainers === undefined),
    ).toBe(true);
  });
});

const historyServer = (name: string, spec: unknown): KubeObject => ({
  apiVersion: "sparkhooks.dev/v1alpha1",
  kind: "SparkHistoryServer",
  metadata: { name, namespace: "spark-jobs" },
  spec,
});

describe("historyServer", () => {
  it("asks Metacontroller for the named SparkHistoryServer in the cluster's namespace", () => {
    const parent = clusterParent({ historyServer: { name: "hs" } });
    expect(customizeSparkCluster({ controller: {}, parent }).relatedResources).toContainEqual({
      apiVersion: "sparkhooks.dev/v1alpha1",
      resource: "sparkhistoryservers",
      namespace: "spark-jobs",
      names: ["hs"],
    });
    const without = customizeSparkCluster({ controller: {}, parent: clusterParent({}) });
    expect(without.relatedResources).toHaveLength(1);
  });

  it("writes event logs into the observed history server's claim, mounted where it mounts it", () => {
    const { pods, conf, response } = render({ historyServer: { name: "hs" } }, [
      historyServer("hs", { sharedVolume: { mountPath: "/spark-history" } }),
    ]);
    for (const component of ["master", "worker"]) {
      expect(conf(component)).toContain(
        "spark.eventLog.enabled=true\nspark.eventLog.dir=file:/spark-history\n",
      );
    }
    for (const pod of pods) {
      expect(pod.spec.volumes).toContainEqual({
        name: "spark-events",
        persistentVolumeClaim: { claimName: "hs-claim" },
      });
      expect(pod.spec.containers[0]?.volumeMounts).toContainEqual({
        name: "spark-events",
        mountPath: "/spark-history",
      });
      expect(pod.spec.initContainers).toBeUndefined();
    }
    expect(condition(response.status, "HistoryServerFound")).toMatchObject({
      status: "True",
      message: "event logs go to file:/spark-history, read by SparkHistoryServer hs",
    });
  });

  it("writes to a remoteStorage history server's URI and mounts nothing", () => {
    const { pods, conf } = render({ historyServer: { name: "hs" } }, [
      historyServer("hs", { type: "remoteStorage", remoteURI: "s3a://logs/spark" }),
    ]);
    expect(conf("worker")).toContain("spark.eventLog.dir=s3a://logs/spark");
    for (const pod of pods) expect(pod.spec.volumes.map((v) => v.name)).not.toContain("spark-events");
  });

  it("follows the reference's own fields until the history server exists, and says so", () => {
    const { outcome, pods, response } = render({
      historyServer: { name: "hs", sharedVolume: { mountPath: "/history/logs" } },
    });
    expect(outcome).toBe("ok");
    expect(pods[0]?.spec.containers[0]?.volumeMounts).toContainEqual({
      name: "spark-events",
      mountPath: "/history/logs",
    });
    expect(condition(response.status, "HistoryServerFound")).toMatchObject({
      status: "False",
      reason: "NotFound",
      message: expect.stringContaining("pods wait for the claim hs-claim"),
    });
  });

  it("rolls the pods when the history server's directory changes", () => {
    const parent = clusterParent({ worker: { instances: 2 }, historyServer: { name: "hs" } });
    const before = [historyServer("hs", { logDirectory: "file:/history/spark-events/a" })];
    const after = [historyServer("hs", { logDirectory: "file:/history/spark-events/b" })];
    const world = converge(parent, [], 20, before);
    const hashes = (
      objects: readonly {
        kind: string;
        metadata: { name: string; labels?: Readonly<Record<string, string>> | undefined };
      }[],
    ) => new Set(podsOf(objects).map((pod) => pod.metadata.labels?.["sparkhooks.dev/template-hash"]));
    const next = sync(parent, world, NOW, after).response.children;
    expect(hashes(world)).not.toEqual(hashes(next));
    const rolled = converge(parent, world, 20, after);
    expect(
      podsOf(rolled).every(
        (pod) => !hashes(world).has(pod.metadata.labels?.["sparkhooks.dev/template-hash"] ?? ""),
      ),
    ).toBe(true);
  });

  it("rejects a history server it cannot write to, keeping every child", () => {
    const parent = clusterParent({ worker: { instances: 1 }, historyServer: { name: "hs" } });
    const world = converge(parent, [], 20, [historyServer("hs", {})]);
    const broken = sync(parent, world, NOW, [historyServer("hs", { type: "remoteStorage" })]);
    expect(broken.outcome).toBe("invalid_spec");
    expect(condition(broken.response.status, "Ready")).toMatchObject({
      reason: "InvalidSpec",
      message: "spec.historyServer: SparkHistoryServer hs is remoteStorage without remoteURI",
    });
    expect(broken.response.children.map((c) => c.metadata.name).sort()).toEqual(
      world.map((o) => o.metadata.name).sort(),
    );
  });

  it("rejects a mount path over Spark's own directories", () => {
    expect(problems({ historyServer: { name: "hs", sharedVolume: { mountPath: "/tmp" } } })).toContain(
      "spec.historyServer: cannot mount hs-claim at /tmp: it would hide the pod's writable /tmp",
    );
  });
});
