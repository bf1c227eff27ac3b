/**
 * The cluster's Spark configuration as pods see it: one ConfigMap per role, named by its
 * content and immutable, so a setting rolls only the pods that read it and a pod restarted
 * mid-roll reads what it was started with.
 */
import { describe, expect, it } from "vitest";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { isDns1123Label } from "../kube/names.js";
import { clusterParent, converge, namesOf, podsOf, sync } from "../../test/support/cluster.js";

type ConfigMap = DesiredObject & {
  metadata: { name: string; labels?: Record<string, string> };
  data: Record<string, string>;
  immutable?: boolean;
};
type Pod = DesiredObject & {
  metadata: { name: string; labels: Record<string, string> };
  spec: { volumes: { name: string; configMap?: { name: string } }[] };
};

function configMaps(children: readonly DesiredObject[]): ConfigMap[] {
  return children.filter((child) => child.kind === "ConfigMap") as ConfigMap[];
}

function pods(children: readonly DesiredObject[], component: string): Pod[] {
  return podsOf(children as Pod[], component);
}

function mountedConfigMap(pod: Pod | undefined): string | undefined {
  return pod?.spec.volumes.find((volume) => volume.name === "spark-conf")?.configMap?.name;
}

/** The spark-defaults.conf a role's pods mount. */
function sparkDefaults(children: readonly DesiredObject[], component: string): string {
  const name = mountedConfigMap(pods(children, component)[0]);
  const map = configMaps(children).find((cm) => cm.metadata.name === name);
  return map?.data["spark-defaults.conf"] ?? "";
}

const userConfigMap = (text: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "my-spark-config", namespace: "spark-jobs" },
  data: { "spark-defaults.conf": text, "log4j2.properties": "rootLogger.level = warn\n" },
});

describe("configuration per role", () => {
  const base = { worker: { instances: 2 } };
  const world = converge(clusterParent(base));
  const masterName = namesOf(podsOf(world, "master"))[0];
  const workerNames = namesOf(podsOf(world, "worker"));

  function after(setting: [string, string], via: "spec" | "ConfigMap") {
    const [name, value] = setting;
    const parent =
      via === "spec"
        ? clusterParent({ ...base, sparkConfiguration: [{ name, value }] })
        : clusterParent(base);
    const related = via === "ConfigMap" ? [userConfigMap(`spark.a.b c\n${name} ${value}\n`)] : [];
    const before =
      via === "spec" ? world : converge(clusterParent(base), [], 20, [userConfigMap("spark.a.b c\n")]);
    const { response } = sync(parent, before, undefined, related);
    return {
      // What a new cluster gets; mid-roll, old pods still mount the old files.
      children: sync(parent, [], undefined, related).response.children,
      masterRolls: !namesOf(response.children).includes(namesOf(podsOf(before, "master"))[0] ?? ""),
      workersRoll: namesOf(podsOf(before, "worker")).some((n) => !namesOf(response.children).includes(n)),
    };
  }

  it.each<[string, [string, string], boolean, boolean]>([
    ["a worker setting", ["spark.worker.cleanup.appDataTtl", "3600"], false, true],
    ["a shuffle service setting", ["spark.shuffle.service.enabled", "true"], false, true],
    ["an executor setting", ["spark.executor.cores", "1"], false, true],
    ["a master setting", ["spark.master.rest.enabled", "true"], true, false],
    ["a deploy setting", ["spark.deploy.retainedApplications", "50"], true, false],
    ["a shared setting", ["spark.network.timeout", "300s"], true, true],
    ["spark.worker.timeout, which the master reads too", ["spark.worker.timeout", "120"], true, true],
  ])("%s rolls only the pods that read it", (_, setting, masterRolls, workersRoll) => {
    for (const via of ["spec", "ConfigMap"] as const) {
      const result = after(setting, via);
      expect({ via, master: result.masterRolls, workers: result.workersRoll }).toEqual({
        via,
        master: masterRolls,
        workers: workersRoll,
      });
      expect(sparkDefaults(result.children, "master").includes(setting[0])).toBe(masterRolls);
      expect(sparkDefaults(result.children, "worker").includes(setting[0])).toBe(workersRoll);
    }
  });

  it("leaves worker-only defaults out of the master's file and master-only ones out of the workers'", () => {
    const { response } = sync(clusterParent(base));
    expect(sparkDefaults(response.children, "master")).toContain("spark.master.rest.enabled=false");
    expect(sparkDefaults(response.children, "master")).not.toContain("spark.worker.");
    expect(sparkDefaults(response.children, "worker")).toContain(
      "spark.worker.preferConfiguredMasterAddress=true",
    );
    expect(sparkDefaults(response.children, "worker")).not.toContain("spark.master.");
    for (const role of ["master", "worker"]) {
      expect(sparkDefaults(response.children, role)).toContain("spark.ui.reverseProxy=true");
    }
    expect(masterName).toBeDefined();
    expect(workerNames).toHaveLength(2);
  });

  it("routes each line of the user's spark-defaults.conf, in any Properties syntax", () => {
    const text = [
      "# team settings",
      "spark.worker.cleanup.appDataTtl = 7200",
      "spark.deploy.spreadOut: false",
      "spark.eventLog.dir    file:///history",
      "spark.driver.extraJavaOptions -Da=1 \\",
      "    -Db=2",
    ].join("\n");
    const { response } = sync(clusterParent(base), [], undefined, [userConfigMap(text)]);
    const master = sparkDefaults(response.children, "master");
    const worker = sparkDefaults(response.children, "worker");
    expect(master).toContain("spark.deploy.spreadOut=false");
    expect(master).not.toContain("appDataTtl");
    expect(worker).toContain("spark.worker.cleanup.appDataTtl=7200");
    expect(worker).not.toContain("spreadOut");
    for (const file of [master, worker]) {
      expect(file).toContain("spark.eventLog.dir=file:///history");
      expect(file).toContain("spark.driver.extraJavaOptions=-Da=1 -Db=2");
    }
  });

  it("gives both roles the user's other files", () => {
    const { response } = sync(clusterParent(base), [], undefined, [userConfigMap("")]);
    for (const map of configMaps(response.children)) {
      expect(map.data["log4j2.properties"]).toBe("rootLogger.level = warn\n");
    }
  });

  it("writes sparkConfiguration after the user's file and the defaults, so it wins", () => {
    const { response } = sync(
      clusterParent({ ...base, sparkConfiguration: [{ name: "spark.master.rest.enabled", value: "true" }] }),
      [],
      undefined,
      [userConfigMap("spark.master.rest.enabled maybe\n")],
    );
    const master = sparkDefaults(response.children, "master");
    const order = [
      "spark.master.rest.enabled=false",
      "spark.master.rest.enabled=maybe",
      "spark.master.rest.enabled=true",
    ];
    expect(order.map((line) => master.indexOf(line))).toEqual(
      [...order.map((line) => master.indexOf(line))].sort((a, b) => a - b),
    );
    expect(order.every((line) => master.includes(line))).toBe(true);
  });

  it("rejects a user spark-defaults.conf Spark could not load, naming the ConfigMap", () => {
    const { response, outcome } = sync(clusterParent(base), world, undefined, [
      userConfigMap("spark.a=\\u00zz\n"),
    ]);
    expect(outcome).toBe("invalid_spec");
    expect(JSON.stringify(response.status)).toContain("my-spark-config");
  });
});

describe("immutable configuration per pod", () => {
  const base = { worker: { instances: 3 } };
  const world = converge(clusterParent(base));

  it("names each role's ConfigMap by its content and makes it immutable", () => {
    const { response } = sync(clusterParent(base));
    const maps = configMaps(response.children);
    expect(maps.map((m) => m.metadata.name)).toEqual([
      expect.stringMatching(/^my-spark-master-conf-[0-9a-f]{10}$/),
      expect.stringMatching(/^my-spark-worker-conf-[0-9a-f]{10}$/),
    ]);
    expect(maps.every((m) => m.immutable === true)).toBe(true);
    expect(mountedConfigMap(pods(response.children, "master")[0])).toBe(maps[0]?.metadata.name);
    for (const worker of pods(response.children, "worker")) {
      expect(mountedConfigMap(worker)).toBe(maps[1]?.metadata.name);
    }
  });

  it("keeps a ConfigMap's name when only labels change: they are updated in place", () => {
    const relabelled = sync(clusterParent({ ...base, labels: { team: "x" } })).response;
    expect(namesOf(configMaps(relabelled.children))).toEqual(
      namesOf(configMaps(sync(clusterParent(base)).response.children)),
    );
  });

  it("keeps names within 63 characters for the longest cluster name", () => {
    const { response } = sync(clusterParent(base, { name: `a${"b".repeat(59)}` }));
    for (const map of configMaps(response.children)) expect(isDns1123Label(map.metadata.name)).toBe(true);
  });

  it("keeps the old workers' ConfigMap during a roll and drops it once no pod mounts it", () => {
    const changed = clusterParent({
      ...base,
      sparkConfiguration: [{ name: "spark.worker.cleanup.appDataTtl", value: "60" }],
    });
    const oldMap = mountedConfigMap(podsOf(world as unknown as Pod[], "worker")[0]);
    const first = sync(changed, world).response;
    expect(namesOf(configMaps(first.children))).toContain(oldMap);
    expect(configMaps(first.children)).toHaveLength(3);
    const done = converge(changed, world);
    expect(namesOf(done)).not.toContain(oldMap);
    expect(configMaps(done as DesiredObject[])).toHaveLength(2);
  });

  it("keeps the old master's ConfigMap until the old master pod is gone", () => {
    const changed = clusterParent({
      ...base,
      sparkConfiguration: [{ name: "spark.deploy.spreadOut", value: "false" }],
    });
    const oldMap = mountedConfigMap(podsOf(world as unknown as Pod[], "master")[0]);
    expect(namesOf(sync(changed, world).response.children)).toContain(oldMap);
    const withoutOldMaster = world.filter(
      (o) => !(o.kind === "Pod" && o.metadata.labels?.["app.kubernetes.io/component"] === "master"),
    );
    expect(namesOf(sync(changed, withoutOldMaster).response.children)).not.toContain(oldMap);
  });

  it("keeps the single ConfigMap of an older sparkhooks while its pods run", () => {
    const legacy: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "my-spark-spark-conf", namespace: "spark-jobs" },
      data: { "spark-defaults.conf": "spark.ui.reverseProxy=true\n" },
    };
    const legacyWorld = world.map((o) =>
      o.kind === "Pod"
        ? {
            ...o,
            spec: {
              ...(o.spec as object),
              volumes: [{ name: "spark-conf", configMap: { name: "my-spark-spark-conf" } }],
            },
          }
        : o,
    );
    const { response } = sync(clusterParent(base), [...legacyWorld, legacy]);
    expect(namesOf(response.children)).toContain("my-spark-spark-conf");
  });
});
