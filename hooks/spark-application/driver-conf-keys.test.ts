/**
 * The sparkConf keys Spark's submission client applies to the driver pod and its Service take
 * effect on the pod and Service the hook renders, under the typed fields; those it cannot honour
 * are named in status; those Spark refuses make the spec invalid.
 */
import { Pod, Service, type IContainer, type IVolume } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { SyncRequest } from "../metacontroller/protocol.js";
import { restrictedViolations } from "../../test/support/pod-security.js";
import { sparkApplicationSpec } from "../../test/support/spark-applications.js";
import { driverConfProblems, unsupportedDriverConf } from "./driver-conf-keys.js";
import { DRIVER_POD_OWN, driverPod, type DriverPod } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import { NO_MONITORING } from "./monitoring.js";
import { driverPodName, sparkAppId, type ApplicationRun } from "./names.js";
import { NO_POD_ADDITIONS } from "./pod-parts.js";
import type { SparkApplicationSpec, SparkApplicationSpecInput } from "./schema.js";
import { driverService, hasDriverService } from "./services.js";
import { driverSparkConf } from "./spark-properties.js";
import { syncSparkApplication } from "./sync.js";
import { specProblems, unsupportedFields } from "./unsupported.js";

const RUN: ApplicationRun = { name: "etl", namespace: "jobs", uid: "u-1", attempt: 1 };
const APP_ID = sparkAppId(RUN);

type Patch = Omit<Partial<SparkApplicationSpecInput>, "driver"> & {
  driver?: Partial<SparkApplicationSpecInput["driver"]>;
};

function spec(sparkConf: Record<string, string>, patch: Patch = {}): SparkApplicationSpec {
  return sparkApplicationSpec({
    type: "Scala",
    sparkVersion: "3.5.3",
    mainClass: "com.example.Etl",
    mainApplicationFile: "local:///opt/app/etl.jar",
    executor: {},
    ...patch,
    driver: { ...patch.driver },
    sparkConf,
  });
}

function render(parsed: SparkApplicationSpec): DriverPod {
  const size = driverSize(parsed);
  if (!size.ok) throw new Error(size.errors.join("; "));
  return driverPod(RUN, parsed, size.size, NO_POD_ADDITIONS);
}

function sparkContainer(pod: DriverPod): IContainer {
  const container = pod.spec?.containers[0];
  if (container === undefined) throw new Error("no container");
  return container;
}

const envOf = (pod: DriverPod) =>
  Object.fromEntries((sparkContainer(pod).env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const volumeOf = (pod: DriverPod, name: string): IVolume | undefined =>
  pod.spec?.volumes?.find((volume) => volume.name === name);
const mountAt = (pod: DriverPod, path: string) =>
  sparkContainer(pod).volumeMounts?.find((mount) => mount.mountPath === path);

describe("driver keys of sparkConf on the driver pod", () => {
  it.each<[string, Record<string, string>, (pod: DriverPod) => unknown, unknown]>([
    [
      "spark.kubernetes.driver.label.*",
      { "spark.kubernetes.driver.label.team": "data" },
      (pod) => pod.metadata.labels["team"],
      "data",
    ],
    [
      "spark.kubernetes.driver.annotation.* ({{APP_ID}} filled in)",
      { "spark.kubernetes.driver.annotation.example.com/run": "{{APP_ID}}-x" },
      (pod) => pod.metadata.annotations?.["example.com/run"],
      `${APP_ID}-x`,
    ],
    [
      "spark.kubernetes.driverEnv.*",
      { "spark.kubernetes.driverEnv.STAGE": "prod" },
      (pod) => envOf(pod)["STAGE"],
      "prod",
    ],
    [
      "spark.kubernetes.driver.secretKeyRef.*",
      { "spark.kubernetes.driver.secretKeyRef.DB_PASSWORD": "db:password" },
      (pod) => envOf(pod)["DB_PASSWORD"],
      { secretKeyRef: { name: "db", key: "password" } },
    ],
    [
      "spark.kubernetes.driver.secrets.*",
      { "spark.kubernetes.driver.secrets.tls": "/etc/tls" },
      (pod) => [volumeOf(pod, "tls-vol")?.secret?.secretName, mountAt(pod, "/etc/tls")?.name],
      ["tls", "tls-vol"],
    ],
    [
      "spark.kubernetes.driver.volumes.persistentVolumeClaim.*",
      {
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path": "/data",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.readOnly": "true",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName": "team-data",
      },
      (pod) => [volumeOf(pod, "data"), mountAt(pod, "/data")],
      [
        { name: "data", persistentVolumeClaim: { claimName: "team-data", readOnly: true } },
        { name: "data", mountPath: "/data", readOnly: true },
      ],
    ],
    [
      "spark.kubernetes.driver.volumes.emptyDir.*",
      {
        "spark.kubernetes.driver.volumes.emptyDir.cache.mount.path": "/cache",
        "spark.kubernetes.driver.volumes.emptyDir.cache.mount.subPath": "driver",
        "spark.kubernetes.driver.volumes.emptyDir.cache.options.medium": "Memory",
        "spark.kubernetes.driver.volumes.emptyDir.cache.options.sizeLimit": "1Gi",
      },
      (pod) => [volumeOf(pod, "cache"), mountAt(pod, "/cache")],
      [
        { name: "cache", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } },
        { name: "cache", mountPath: "/cache", subPath: "driver" },
      ],
    ],
    [
      "spark.kubernetes.driver.volumes.nfs.*",
      {
        "spark.kubernetes.driver.volumes.nfs.share.mount.path": "/share",
        "spark.kubernetes.driver.volumes.nfs.share.options.path": "/exports",
        "spark.kubernetes.driver.volumes.nfs.share.options.server": "nfs.example.com",
      },
      (pod) => volumeOf(pod, "share"),
      { name: "share", nfs: { path: "/exports", server: "nfs.example.com" } },
    ],
    [
      "spark.kubernetes.driver.volumes.hostPath.*",
      {
        "spark.kubernetes.driver.volumes.hostPath.logs.mount.path": "/logs",
        "spark.kubernetes.driver.volumes.hostPath.logs.options.path": "/var/log/spark",
        "spark.kubernetes.driver.volumes.hostPath.logs.options.type": "DirectoryOrCreate",
      },
      (pod) => volumeOf(pod, "logs"),
      { name: "logs", hostPath: { path: "/var/log/spark", type: "DirectoryOrCreate" } },
    ],
    [
      "spark.kubernetes.node.selector.* and spark.kubernetes.driver.node.selector.*",
      {
        "spark.kubernetes.node.selector.pool": "spark",
        "spark.kubernetes.node.selector.zone": "a",
        "spark.kubernetes.driver.node.selector.zone": "b",
      },
      (pod) => pod.spec?.nodeSelector,
      { pool: "spark", zone: "b" },
    ],
    [
      "spark.kubernetes.scheduler.name",
      { "spark.kubernetes.scheduler.name": "yunikorn" },
      (pod) => pod.spec?.schedulerName,
      "yunikorn",
    ],
    [
      "spark.kubernetes.driver.scheduler.name over spark.kubernetes.scheduler.name",
      { "spark.kubernetes.scheduler.name": "yunikorn", "spark.kubernetes.driver.scheduler.name": "volcano" },
      (pod) => pod.spec?.schedulerName,
      "volcano",
    ],
    [
      "spark.kubernetes.authenticate.driver.serviceAccountName",
      { "spark.kubernetes.authenticate.driver.serviceAccountName": "etl-driver" },
      (pod) => pod.spec?.serviceAccountName,
      "etl-driver",
    ],
    [
      "spark.kubernetes.container.image",
      { "spark.kubernetes.container.image": "example.com/spark:3.5.3" },
      (pod) => sparkContainer(pod).image,
      "example.com/spark:3.5.3",
    ],
    [
      "spark.kubernetes.driver.container.image over spark.kubernetes.container.image",
      {
        "spark.kubernetes.container.image": "example.com/spark:3.5.3",
        "spark.kubernetes.driver.container.image": "example.com/driver:1",
      },
      (pod) => sparkContainer(pod).image,
      "example.com/driver:1",
    ],
    [
      "spark.kubernetes.container.image.pullPolicy",
      { "spark.kubernetes.container.image.pullPolicy": "Always" },
      (pod) => sparkContainer(pod).imagePullPolicy,
      "Always",
    ],
    [
      "spark.kubernetes.container.image.pullSecrets",
      { "spark.kubernetes.container.image.pullSecrets": "registry-a, registry-b" },
      (pod) => pod.spec?.imagePullSecrets,
      [{ name: "registry-a" }, { name: "registry-b" }],
    ],
    [
      "spark.kubernetes.driver.request.cores and limit.cores",
      { "spark.kubernetes.driver.request.cores": "500m", "spark.kubernetes.driver.limit.cores": "2" },
      (pod) => [
        sparkContainer(pod).resources?.requests?.["cpu"],
        sparkContainer(pod).resources?.limits?.["cpu"],
      ],
      ["500m", "2"],
    ],
    [
      "spark.driver.memoryOverheadFactor",
      { "spark.driver.memory": "1000m", "spark.driver.memoryOverheadFactor": "0.5" },
      (pod) => sparkContainer(pod).resources?.requests?.["memory"],
      "1500Mi",
    ],
    [
      "spark.driver.resource.<name>.amount and .vendor",
      { "spark.driver.resource.gpu.amount": "1", "spark.driver.resource.gpu.vendor": "nvidia.com" },
      (pod) => sparkContainer(pod).resources?.limits?.["nvidia.com/gpu"],
      "1",
    ],
    [
      "spark.kubernetes.hadoop.configMapName",
      { "spark.kubernetes.hadoop.configMapName": "hadoop-site" },
      (pod) => [volumeOf(pod, "hadoop-conf")?.configMap?.name, envOf(pod)["HADOOP_CONF_DIR"]],
      ["hadoop-site", "/etc/hadoop/conf"],
    ],
    [
      "spark.kubernetes.local.dirs.tmpfs",
      { "spark.kubernetes.local.dirs.tmpfs": "true" },
      (pod) => volumeOf(pod, "spark-local-dir-1"),
      { name: "spark-local-dir-1", emptyDir: { medium: "Memory" } },
    ],
    [
      "spark.local.dir",
      { "spark.local.dir": "/scratch/a,/scratch/b" },
      (pod) => [envOf(pod)["SPARK_LOCAL_DIRS"], mountAt(pod, "/scratch/b")?.name],
      ["/scratch/a,/scratch/b", "spark-local-dir-2"],
    ],
    [
      "a spark-local-dir-* volume as the local dir",
      {
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-local-dir-1.mount.path": "/spill",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-local-dir-1.options.claimName": "spill",
      },
      (pod) => [
        envOf(pod)["SPARK_LOCAL_DIRS"],
        pod.spec?.volumes?.filter((volume) => volume.name === "spark-local-dir-1"),
      ],
      ["/spill", [{ name: "spark-local-dir-1", persistentVolumeClaim: { claimName: "spill" } }]],
    ],
    [
      "spark.kubernetes.driver.pod.name",
      { "spark.kubernetes.driver.pod.name": "etl-main" },
      (pod) => pod.metadata.name,
      "etl-main",
    ],
  ])("%s", (_key, sparkConf, effect, expected) => {
    const pod = render(spec(sparkConf));
    expect(effect(pod)).toEqual(expected);
    expect(() => new Pod(pod).validate()).not.toThrow();
  });

  // hostPath and nfs volumes are outside "restricted" by the standard's own volume list; asking
  // for one is the user's choice, as it is with spark-submit.
  it("keeps the pod within Pod Security restricted for every key but hostPath and nfs volumes", () => {
    const pod = render(
      spec({
        "spark.kubernetes.driver.label.team": "data",
        "spark.kubernetes.driverEnv.STAGE": "prod",
        "spark.kubernetes.driver.secrets.tls": "/etc/tls",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path": "/data",
        "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName": "team-data",
        "spark.kubernetes.driver.volumes.emptyDir.cache.mount.path": "/cache",
        "spark.kubernetes.local.dirs.tmpfs": "true",
        "spark.kubernetes.hadoop.configMapName": "hadoop-site",
      }),
    );
    expect(restrictedViolations(pod.spec ?? { containers: [] }, pod.metadata)).toEqual([]);
    expect(() => new Pod(pod).validate()).not.toThrow();
  });

  it("lets every typed field win over the key it stands for", () => {
    const pod = render(
      spec(
        {
          "spark.kubernetes.driver.label.team": "conf",
          "spark.kubernetes.driver.annotation.owner": "conf",
          "spark.kubernetes.driverEnv.STAGE": "conf",
          "spark.kubernetes.node.selector.zone": "conf",
          "spark.kubernetes.driver.node.selector.pool": "conf",
          "spark.kubernetes.driver.scheduler.name": "conf",
          "spark.kubernetes.authenticate.driver.serviceAccountName": "conf",
          "spark.kubernetes.driver.container.image": "conf:1",
          "spark.kubernetes.container.image.pullPolicy": "Never",
          "spark.kubernetes.container.image.pullSecrets": "conf",
          "spark.kubernetes.driver.request.cores": "100m",
          "spark.kubernetes.hadoop.configMapName": "conf",
          "spark.kubernetes.driver.pod.name": "conf",
        },
        {
          imagePullPolicy: "IfNotPresent",
          imagePullSecrets: ["typed"],
          hadoopConfigMap: "typed",
          nodeSelector: { zone: "typed" },
          driver: {
            labels: { team: "typed" },
            annotations: { owner: "typed" },
            env: [{ name: "STAGE", value: "typed" }],
            nodeSelector: { pool: "typed" },
            schedulerName: "typed",
            serviceAccount: "typed",
            image: "typed:1",
            coreRequest: "250m",
            podName: "typed",
          },
        },
      ),
    );
    const container = sparkContainer(pod);
    expect({
      label: pod.metadata.labels["team"],
      annotation: pod.metadata.annotations?.["owner"],
      env: envOf(pod)["STAGE"],
      nodeSelector: pod.spec?.nodeSelector,
      scheduler: pod.spec?.schedulerName,
      account: pod.spec?.serviceAccountName,
      image: container.image,
      pullPolicy: container.imagePullPolicy,
      pullSecrets: pod.spec?.imagePullSecrets,
      cpu: container.resources?.requests?.["cpu"],
      hadoop: volumeOf(pod, "hadoop-conf")?.configMap?.name,
      name: pod.metadata.name,
    }).toEqual({
      label: "typed",
      annotation: "typed",
      env: "typed",
      nodeSelector: { zone: "typed", pool: "typed" },
      scheduler: "typed",
      account: "typed",
      image: "typed:1",
      pullPolicy: "IfNotPresent",
      pullSecrets: [{ name: "typed" }],
      cpu: "250m",
      hadoop: "typed",
      name: "typed",
    });
    expect(envOf(pod)).not.toHaveProperty("STAGE", "conf");
    expect((container.env ?? []).filter((entry) => entry.name === "STAGE")).toHaveLength(1);
  });

  it("builds the Spark container on driver.template's container named by podTemplateContainerName", () => {
    const pod = render(
      spec(
        { "spark.kubernetes.driver.podTemplateContainerName": "main" },
        {
          driver: {
            template: {
              spec: {
                containers: [
                  { name: "log-shipper", image: "example.com/shipper:1" },
                  { name: "main", env: [{ name: "FROM_TEMPLATE", value: "yes" }] },
                ],
              },
            },
          },
        },
      ),
    );
    expect(sparkContainer(pod).name).toBe("spark-kubernetes-driver");
    expect(envOf(pod)["FROM_TEMPLATE"]).toBe("yes");
    expect(pod.spec?.containers.map((container) => container.name)).toEqual([
      "spark-kubernetes-driver",
      "log-shipper",
    ]);
  });

  it("keeps Spark's own labels over spark.kubernetes.driver.label.* and the spec's selector labels", () => {
    const pod = render(
      spec({
        "spark.kubernetes.driver.label.spark-version": "0.0",
        "spark.kubernetes.driver.label.app.kubernetes.io/instance": "other",
      }),
    );
    expect(pod.metadata.labels["spark-version"]).toBe("3.5.3");
    expect(pod.metadata.labels["app.kubernetes.io/instance"]).toBe("etl");
  });

  it("fills {{APP_ID}} into label values from Spark 4.0 on", () => {
    const pod = render(
      spec({ "spark.kubernetes.driver.label.run": "{{APP_ID}}" }, { sparkVersion: "4.0.1" }),
    );
    expect(pod.metadata.labels["run"]).toBe(APP_ID);
  });

  it("names the same driver pod in spark.properties and in the lifecycle", () => {
    const parsed = spec({ "spark.kubernetes.driver.pod.name": "etl-main" });
    const size = driverSize(parsed);
    if (!size.ok) throw new Error(size.errors.join("; "));
    expect(driverPodName(RUN, parsed)).toBe("etl-main");
    expect(driverSparkConf(RUN, parsed, size.size, NO_MONITORING)["spark.kubernetes.driver.pod.name"]).toBe(
      "etl-main",
    );
  });

  it("gives executors the image of spark.kubernetes.container.image through spark.properties", () => {
    const parsed = spec({ "spark.kubernetes.container.image": "example.com/spark:3.5.3" });
    const size = driverSize(parsed);
    if (!size.ok) throw new Error(size.errors.join("; "));
    expect(driverSparkConf(RUN, parsed, size.size, NO_MONITORING)["spark.kubernetes.container.image"]).toBe(
      "example.com/spark:3.5.3",
    );
  });

  it("keeps executor keys in spark.properties for the driver to apply to its executors", () => {
    const executorKeys = {
      "spark.kubernetes.executor.label.team": "data",
      "spark.kubernetes.executor.annotation.owner": "etl",
      "spark.kubernetes.executor.node.selector.pool": "spot",
      "spark.kubernetes.executor.volumes.emptyDir.cache.mount.path": "/cache",
      "spark.kubernetes.executor.secrets.tls": "/etc/tls",
      "spark.executorEnv.STAGE": "prod",
    };
    const parsed = spec(executorKeys);
    const size = driverSize(parsed);
    if (!size.ok) throw new Error(size.errors.join("; "));
    expect(driverSparkConf(RUN, parsed, size.size, NO_MONITORING)).toMatchObject(executorKeys);
  });
});

describe("driver keys of sparkConf on the driver Service", () => {
  it("puts spark.kubernetes.driver.service.label.* and .annotation.* on it, the typed fields winning", () => {
    const service = driverService(
      RUN,
      spec(
        {
          "spark.kubernetes.driver.service.label.team": "conf",
          "spark.kubernetes.driver.service.label.tier": "conf",
          "spark.kubernetes.driver.service.annotation.prometheus.io/scrape": "true",
        },
        { driver: { serviceLabels: { tier: "typed" } } },
      ),
    );
    expect(service?.metadata.labels).toMatchObject({ team: "conf", tier: "typed" });
    expect(service?.metadata.annotations).toEqual({ "prometheus.io/scrape": "true" });
    expect(() => new Service(service).validate()).not.toThrow();
  });

  it("renders it from Spark 4.1 when only sparkConf gives it annotations", () => {
    const parsed = spec(
      { "spark.kubernetes.driver.service.annotation.prometheus.io/scrape": "true" },
      { sparkVersion: "4.1.2" },
    );
    expect(hasDriverService(parsed)).toBe(true);
    expect(hasDriverService(spec({}, { sparkVersion: "4.1.2" }))).toBe(false);
  });

  it("takes the IP families only where sparkConf sets them", () => {
    const service = driverService(
      RUN,
      spec({
        "spark.kubernetes.driver.service.ipFamilyPolicy": "PreferDualStack",
        "spark.kubernetes.driver.service.ipFamilies": "IPv6,IPv4",
      }),
    );
    expect(service?.spec).toMatchObject({ ipFamilyPolicy: "PreferDualStack", ipFamilies: ["IPv6", "IPv4"] });
    expect(driverService(RUN, spec({}))?.spec).not.toHaveProperty("ipFamilies");
  });
});

describe("driver keys of sparkConf the hook cannot honour", () => {
  it.each([
    ["spark.kubernetes.driver.podTemplateFile", "/opt/templates/driver.yaml"],
    ["spark.kubernetes.file.upload.path", "s3a://bucket/uploads"],
    ["spark.kubernetes.authenticate.driver.oauthToken", "secret-token"],
    ["spark.kubernetes.authenticate.driver.caCertFile", "/home/me/ca.crt"],
    ["spark.kubernetes.kerberos.krb5.configMapName", "krb5"],
    ["spark.kubernetes.kerberos.tokenSecret.name", "tokens"],
    ["spark.kubernetes.driver.pod.featureSteps", "com.example.Step"],
    ["spark.kubernetes.executor.podTemplateFile", "/opt/templates/executor.yaml"],
    ["spark.kubernetes.executor.podNamePrefix", "etl"],
    ["spark.ui.port", "4041"],
    ["spark.kubernetes.namespace", "other"],
  ])("names %s in the UnsupportedFields condition", (key, value) => {
    expect(unsupportedFields(spec({ [key]: value })).map((entry) => entry.field)).toContain(
      `spec.sparkConf[${JSON.stringify(key)}]`,
    );
  });

  it("says so in the UnsupportedFields condition of a sync, naming the key as written in the spec", () => {
    const parent = {
      apiVersion: "sparkhooks.dev/v1alpha1",
      kind: "SparkApplication",
      metadata: { name: RUN.name, namespace: RUN.namespace, uid: RUN.uid, generation: 1 },
      spec: {
        type: "Scala",
        sparkVersion: "3.5.3",
        mainClass: "com.example.Etl",
        mainApplicationFile: "local:///opt/app/etl.jar",
        driver: {},
        executor: {},
        sparkConf: { "spark.kubernetes.driver.podTemplateFile": "/opt/templates/driver.yaml" },
      },
    };
    const { response } = syncSparkApplication(
      SyncRequest.parse({ controller: {}, parent }),
      new Date("2026-01-01T00:00:00Z"),
    );
    const conditions = (response.status as { conditions: { type: string; message: string }[] }).conditions;
    const message = conditions.find((condition) => condition.type === "UnsupportedFields")?.message;
    expect(message).toMatch(/^spec\.sparkConf\["spark\.kubernetes\.driver\.podTemplateFile"\]: a file on/);
  });

  it("names a driver claim Spark's client would create, and mounts none for OnDemand", () => {
    const parsed = spec({
      "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path": "/data",
      "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName": "OnDemand",
      "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.storageClass": "standard",
      "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.sizeLimit": "10Gi",
    });
    expect(unsupportedDriverConf(parsed).map((entry) => entry.field)).toEqual([
      'spec.sparkConf["spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName"]',
    ]);
    const pod = render(parsed);
    expect(volumeOf(pod, "data")).toBeUndefined();
    expect(mountAt(pod, "/data")).toBeUndefined();
  });

  it("reports nothing for a spec whose sparkConf sets no driver key", () => {
    expect(unsupportedDriverConf(spec({ "spark.executor.memory": "2g" }))).toEqual([]);
  });
});

describe("driver keys of sparkConf Spark or the API server would refuse", () => {
  it.each<[string, Record<string, string>, Patch?]>([
    ["spark.driver.host", { "spark.driver.host": "driver.example.com" }],
    ["spark.driver.bindAddress", { "spark.driver.bindAddress": "0.0.0.0" }],
    ["a reserved label", { "spark.kubernetes.driver.label.spark-role": "x" }],
    ["an invalid label value", { "spark.kubernetes.driver.label.team": "not valid!" }],
    ["{{APP_ID}} in a label before Spark 4.0", { "spark.kubernetes.driver.label.run": "{{APP_ID}}" }],
    ["an invalid annotation key", { "spark.kubernetes.driver.annotation.-x": "y" }],
    ["an invalid Service annotation key", { "spark.kubernetes.driver.service.annotation.-x": "y" }],
    ["a secretKeyRef without a key", { "spark.kubernetes.driver.secretKeyRef.PASSWORD": "db" }],
    [
      "a volume without a mount path",
      { "spark.kubernetes.driver.volumes.emptyDir.cache.options.medium": "Memory" },
    ],
    ["an unknown volume type", { "spark.kubernetes.driver.volumes.configMap.conf.mount.path": "/conf" }],
    [
      "an nfs volume without a server",
      {
        "spark.kubernetes.driver.volumes.nfs.share.mount.path": "/share",
        "spark.kubernetes.driver.volumes.nfs.share.options.path": "/exports",
      },
    ],
    [
      "a size without units",
      {
        "spark.kubernetes.driver.volumes.emptyDir.cache.mount.path": "/cache",
        "spark.kubernetes.driver.volumes.emptyDir.cache.options.sizeLimit": "500",
      },
    ],
    [
      "subPath and subPathExpr together",
      {
        "spark.kubernetes.driver.volumes.emptyDir.cache.mount.path": "/cache",
        "spark.kubernetes.driver.volumes.emptyDir.cache.mount.subPath": "a",
        "spark.kubernetes.driver.volumes.emptyDir.cache.mount.subPathExpr": "$(POD)",
      },
    ],
    [
      "two volumes at one path",
      {
        "spark.kubernetes.driver.volumes.emptyDir.a.mount.path": "/data",
        "spark.kubernetes.driver.volumes.emptyDir.b.mount.path": "/data",
      },
    ],
    [
      "a volume named like one of spec.volumes",
      { "spark.kubernetes.driver.volumes.emptyDir.data.mount.path": "/data" },
      { volumes: [{ name: "data", emptyDir: {} }] },
    ],
    [
      "a volume named like one of the hook's own",
      { "spark.kubernetes.driver.volumes.emptyDir.tmp.mount.path": "/x" },
    ],
    [
      "a volume at the driver's conf dir",
      { "spark.kubernetes.driver.volumes.emptyDir.conf.mount.path": "/opt/spark/conf" },
    ],
    ["a resource without a vendor", { "spark.driver.resource.gpu.amount": "1" }],
    ["an invalid pod name", { "spark.kubernetes.driver.pod.name": "Etl_Main" }],
    ["an unknown pull policy", { "spark.kubernetes.container.image.pullPolicy": "Sometimes" }],
    ["an unknown IP family", { "spark.kubernetes.driver.service.ipFamilies": "IPv5" }],
  ])("%s is invalid", (_case, sparkConf, patch) => {
    const parsed = spec(sparkConf, patch);
    expect(driverConfProblems(parsed, DRIVER_POD_OWN)).toHaveLength(1);
    expect(specProblems(parsed)).toEqual(driverConfProblems(parsed, DRIVER_POD_OWN));
  });

  it("finds nothing wrong with a spec that sets no driver key", () => {
    expect(driverConfProblems(spec({ "spark.executor.memory": "2g" }), DRIVER_POD_OWN)).toEqual([]);
  });
});
