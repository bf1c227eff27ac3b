/**
 * The adapter's probe mapping, without Spark: what the kubelet would run for the rendered
 * probes, at an IPv4 or IPv6 pod IP.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IConfigMap, IPod } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { LABEL_COMPONENT } from "../../../hooks/spark/labels.js";
import { syncSparkCluster } from "../../../hooks/spark-cluster/sync.js";
import { clusterParent, syncRequest } from "../../support/cluster.js";
import { adaptInitContainers, adaptPod, execProbeProcess, hostPort, httpProbeUrl } from "./adapter.js";

const children = syncSparkCluster(
  syncRequest(clusterParent({ worker: { instances: 1 } }, { name: "pi", namespace: "spark-it" })),
  new Date("2026-11-22T10:00:00Z"),
).response.children as unknown as (IPod | IConfigMap)[];
const podOf = (component: string): IPod =>
  children.find((c): c is IPod => c.kind === "Pod" && c.metadata?.labels?.[LABEL_COMPONENT] === component)!;
const scratch = mkdtempSync(join(tmpdir(), "sparkhooks-adapter-unit-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function adapt(pod: IPod, podIP: string) {
  return adaptPod(structuredClone(pod), {
    runtime: { sparkHome: "/local/spark", javaHome: "/local/jdk" },
    podIP,
    namespace: "spark-it",
    scratchDir: join(scratch, `${podIP.replaceAll(":", "_")}-${pod.metadata?.name ?? ""}`),
    configMaps: children.filter((c): c is IConfigMap => c.kind === "ConfigMap"),
    hosts: [],
  });
}

describe("probe mapping", () => {
  it("writes an IPv6 pod IP in brackets in httpGet URLs, as the kubelet does", () => {
    expect(hostPort("127.0.0.2", 8080)).toBe("127.0.0.2:8080");
    expect(hostPort("::1", 8080)).toBe("[::1]:8080");
    expect(httpProbeUrl(podOf("master"), "::1", "readinessProbe")).toBe("http://[::1]:8080/");
  });

  it("runs an exec probe's program through the mount table, in the pod's environment", () => {
    const worker = podOf("worker");
    const local = adapt(worker, "::1");
    const probe = execProbeProcess(worker, local, "readinessProbe");
    expect(probe.command).toBe("/bin/bash");
    expect(probe.args).toEqual(worker.spec?.containers[0]?.readinessProbe?.exec?.command?.slice(1));
    expect(probe.env.POD_IP).toBe("::1");
    expect(probe.env.SPARK_LOCAL_HOSTNAME).toBe("::1");
    expect(probe.cwd).toBe(local.cwd);
    // The pod's /tmp, for mktemp in the launch script as for anything else.
    expect(probe.env.TMPDIR).toBe(local.volumeDirs["tmp"]);
    expect(probe.timeoutMs).toBe(5_000);
  });

  it("expands $(VAR) in an exec command from literal env values only, like the kubelet", () => {
    const worker = structuredClone(podOf("worker"));
    const container = worker.spec!.containers[0]!;
    container.readinessProbe = { exec: { command: ["/bin/echo", "$(SPARK_CONF_DIR)", "$(POD_IP)"] } };
    const probe = execProbeProcess(worker, adapt(worker, "127.0.0.3"), "readinessProbe");
    expect(probe.args).toEqual(["/opt/spark/conf", "$(POD_IP)"]);
    expect(probe.timeoutMs).toBe(1_000);
  });

  it("refuses an exec probe whose program needs a PATH lookup, and a probe that is not exec", () => {
    const worker = structuredClone(podOf("worker"));
    worker.spec!.containers[0]!.readinessProbe = { exec: { command: ["bash", "-c", "true"] } };
    const local = adapt(worker, "127.0.0.3");
    expect(() => execProbeProcess(worker, local, "readinessProbe")).toThrow(/PATH lookup/);
    expect(() => execProbeProcess(worker, local, "livenessProbe")).toThrow(/no exec livenessProbe/);
  });
});

describe("volume mapping", () => {
  it("maps a PersistentVolumeClaim to the directory bound to the claim, the same for every pod", () => {
    const withClaim = (pod: IPod): IPod => {
      const copy = structuredClone(pod);
      copy.spec!.volumes = [
        ...(copy.spec!.volumes ?? []),
        { name: "events", persistentVolumeClaim: { claimName: "hs-claim" } },
      ];
      copy.spec!.containers[0]!.volumeMounts = [
        ...(copy.spec!.containers[0]!.volumeMounts ?? []),
        { name: "events", mountPath: "/history/spark-events" },
      ];
      return copy;
    };
    const bound = join(scratch, "pv-hs");
    const options = (pod: IPod, persistentVolumes?: Record<string, string>) => ({
      runtime: { sparkHome: "/local/spark", javaHome: "/local/jdk" },
      podIP: "127.0.0.4",
      namespace: "spark-it",
      scratchDir: join(scratch, `pvc-${pod.metadata?.name ?? ""}`),
      configMaps: children.filter((c): c is IConfigMap => c.kind === "ConfigMap"),
      hosts: [],
      ...(persistentVolumes === undefined ? {} : { persistentVolumes }),
    });
    const [master, worker] = [withClaim(podOf("master")), withClaim(podOf("worker"))];
    for (const pod of [master, worker]) {
      const local = adaptPod(pod, options(pod, { "hs-claim": bound }));
      expect(local.volumeDirs["events"]).toBe(bound);
      expect(local.mounts).toContainEqual(
        expect.objectContaining({ containerPath: "/history/spark-events", localPath: bound }),
      );
    }
    expect(() => adaptPod(master, options(master))).toThrow(/claim hs-claim is bound to no local directory/);
  });
});

describe("init containers", () => {
  const withInit = syncSparkCluster(
    syncRequest(
      clusterParent(
        {
          worker: { instances: 1 },
          downloadData: [{ url: "http://127.0.0.1:1/files/words.txt", to: "/data/" }],
          mavenDependencies: ["dev.sparkhooks.it:marker:1.0"],
        },
        { name: "pi", namespace: "spark-it" },
      ),
    ),
    new Date("2026-11-22T10:00:00Z"),
  ).response.children as unknown as (IPod | IConfigMap)[];
  const worker = withInit.find(
    (c): c is IPod => c.kind === "Pod" && c.metadata?.labels?.[LABEL_COMPONENT] === "worker",
  )!;
  const options = {
    runtime: { sparkHome: "/local/spark", javaHome: "/local/jdk" },
    podIP: "127.0.0.3",
    namespace: "spark-it",
    scratchDir: join(scratch, "init-worker"),
    configMaps: withInit.filter((c): c is IConfigMap => c.kind === "ConfigMap"),
    hosts: [],
  };

  it("adapts them in order, on the same volume directories the pod's container gets", () => {
    const [download, maven] = adaptInitContainers(worker, options);
    const main = adaptPod(worker, options);
    expect([download?.podName, maven?.podName]).toEqual([
      `${worker.metadata?.name ?? ""}/download-data`,
      `${worker.metadata?.name ?? ""}/resolve-maven-dependencies`,
    ]);
    // The shell script stays as written; the URL is left alone, the target path is mapped.
    expect(download?.command).toBe("/bin/sh");
    expect(download?.args.slice(-2)).toEqual([
      "http://127.0.0.1:1/files/words.txt",
      join(main.volumeDirs["download-0"]!, "words.txt"),
    ]);
    expect(maven?.command).toBe("/local/spark/bin/spark-submit");
    expect(maven?.args).toContain(`spark.jars.ivy=${main.volumeDirs["maven-dependencies"]!}`);
    expect(maven?.env.TMPDIR).toBe(main.volumeDirs["tmp"]);
    expect(maven?.env.SPARK_SUBMIT_OPTS).toBe(`-Djava.io.tmpdir=${main.volumeDirs["tmp"]!}`);
    expect(main.env.SPARK_DIST_CLASSPATH).toBe(`${main.volumeDirs["maven-dependencies"]!}/jars/*`);
  });

  it("refuses an init container without a command: the image entrypoint is not emulated for them", () => {
    const copy = structuredClone(worker);
    delete copy.spec!.initContainers![0]!.command;
    expect(() => adaptInitContainers(copy, { ...options, scratchDir: join(scratch, "init-copy") })).toThrow(
      /no command/,
    );
  });
});
