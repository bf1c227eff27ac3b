/**
 * Invariants of SparkCluster sync over generated clusters and observed worlds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigMap, Pod, Service } from "kubernetes-models/v1";
import { isDns1123Label } from "../kube/names.js";
import { isPodFinished, isTerminating } from "../kube/observed.js";
import { SyncRequest, type DesiredObject, type KubeObject } from "../metacontroller/protocol.js";
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_TEMPLATE_HASH } from "../spark/labels.js";
import { statusLikeJson } from "../../test/support/json.js";
import { restrictedViolations } from "../../test/support/pod-security.js";
import { parseQuantity } from "../kube/quantity.js";
import {
  clusterParent,
  evicted,
  namesOf,
  notReady,
  observeAll,
  podsOf,
  NOW,
  sync,
  syncRequest,
  terminating,
} from "../../test/support/cluster.js";
import { LABEL_WORKER_ORDINAL } from "./names.js";
import { syncSparkCluster } from "./sync.js";

const clusterName = fc.stringMatching(/^[a-z]([-a-z0-9]{0,58}[a-z0-9])?$/);
const quantity = fc.oneof(
  fc.constantFrom("2Gi", "3Gi", "4096Mi", "8G", "2.5Gi"),
  fc.integer({ min: 2304 * 2 ** 20, max: 64 * 2 ** 30 }),
);
/** Executor sizes, valid and not, written the ways Spark accepts. */
const executorMemory = fc.constantFrom("512m", "1g", "1536", "2g", "3g", "2Gi", "8g", "1.5g");
const cpu = fc.oneof(fc.constantFrom("500m", "1", "2", "3500m"), fc.constantFrom(0.5, 1, 2, 4));

/** Specs the CRD schema admits, valid or not for the hook. */
const spec = fc.record(
  {
    worker: fc.record(
      {
        instances: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }).map(String)),
        memory: quantity,
        cpu,
        labels: fc.dictionary(
          fc.constantFrom("team", "tier", "example.com/owner"),
          fc.constantFrom("a", "data-eng", "x.y"),
        ),
      },
      { requiredKeys: [] },
    ),
    master: fc.record(
      { memory: fc.constantFrom("1Gi", "2Gi", "640Mi"), cpuRequest: cpu },
      { requiredKeys: [] },
    ),
    metrics: fc.boolean(),
    sparkWebUI: fc.boolean(),
    fixedUserIds: fc.boolean(),
    sparkVersion: fc.constantFrom("4.0.3", "4.1.2", "4.3.0"),
    customImage: fc.constantFrom("apache/spark:4.3.0-scala", "registry.example.com/spark:1"),
    env: fc.array(
      fc.record({
        name: fc.constantFrom("A", "B_C", "SPARK_DAEMON_MEMORY"),
        value: fc.oneof(fc.string(), fc.integer()),
      }),
      {
        maxLength: 3,
      },
    ),
    sparkConfiguration: fc.array(
      fc.oneof(
        fc.record({
          name: fc.constantFrom("spark.a", "spark.executor.cores", "spark.x.y", "spark.worker.timeout"),
          value: fc.oneof(fc.string(), fc.integer()),
        }),
        fc.record({ name: fc.constant("spark.executor.memory"), value: executorMemory }),
      ),
      { maxLength: 3 },
    ),
    labels: fc.dictionary(fc.constantFrom("team", "cost-center"), fc.constantFrom("a", "b-1")),
    // radanalytics' optional fields, with paths that collide with the pod's own mounts too.
    downloadData: fc.array(
      fc.record({
        url: fc.constantFrom("https://example.com/a.csv", "http://x.org/data/", "ftp://f.org/b.txt?x=1"),
        to: fc.constantFrom(
          "/tmp/",
          "/data/",
          "/data/sub/file.csv",
          "/opt/spark/jars/",
          "/opt/",
          "/a/../b",
          "/tmp/x",
        ),
      }),
      { maxLength: 3 },
    ),
    mavenDependencies: fc.array(fc.constantFrom("org.example:lib:1.0", "com.acme:udf_2.13:2.1.0"), {
      maxLength: 2,
    }),
    mavenRepositories: fc.array(fc.constantFrom("https://repo.example.com/m2", "http://127.0.0.1:8081/r"), {
      maxLength: 2,
    }),
    customInitContainerImage: fc.constantFrom("busybox:1.37", "apache/spark:4.3.0"),
    historyServer: fc.record(
      {
        name: fc.constantFrom("hs", "history"),
        type: fc.constantFrom("sharedVolume", "remoteStorage"),
        sharedVolume: fc.record(
          { mountPath: fc.constantFrom("/history/spark-events", "/logs", "/tmp", "/opt/spark/conf") },
          { requiredKeys: [] },
        ),
        remoteURI: fc.constantFrom("s3a://logs/spark", "hdfs://nn:8020/spark-logs"),
      },
      { requiredKeys: ["name"] },
    ),
  },
  { requiredKeys: [] },
);

/** An observed world: a converged-looking set of children, some of them disturbed. */
function disturb(world: KubeObject[], picks: number[]): KubeObject[] {
  return world.map((object, index) => {
    if (object.kind !== "Pod") return object;
    switch (picks[index % picks.length] ?? 0) {
      case 1:
        return notReady(object);
      case 2:
        return evicted(object);
      case 3:
        return terminating(object);
      default:
        return object;
    }
  });
}

const settings = { numRuns: 60 };

function validate(child: DesiredObject): void {
  const data = child as never;
  if (child.kind === "Pod") new Pod(data).validate();
  else if (child.kind === "Service") new Service(data).validate();
  else if (child.kind === "ConfigMap") new ConfigMap(data).validate();
  else throw new Error(`unexpected child kind ${child.kind}`);
}

describe("SparkCluster sync invariants", () => {
  it("never throws on schema-valid input and always answers with children and status", () => {
    fc.assert(
      fc.property(
        clusterName,
        spec,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        (name, s, picks) => {
          const parent = clusterParent(s, { name });
          const first = sync(parent).response;
          const world = disturb(observeAll(first.children, parent), picks);
          const { response } = sync(parent, world);
          expect(Array.isArray(response.children)).toBe(true);
          expect(typeof response.status).toBe("object");
        },
      ),
      settings,
    );
  });

  it("is deterministic: the same request gives byte-identical output", () => {
    fc.assert(
      fc.property(clusterName, spec, (name, s) => {
        const parent = clusterParent(s, { name });
        const world = observeAll(sync(parent).response.children, parent);
        expect(JSON.stringify(sync(parent, world))).toBe(
          JSON.stringify(sync(structuredClone(parent), structuredClone(world))),
        );
      }),
      settings,
    );
  });

  it("gives every child a DNS-1123 name of at most 63 characters", () => {
    fc.assert(
      fc.property(clusterName, spec, (name, s) => {
        for (const child of sync(clusterParent(s, { name })).response.children) {
          expect(isDns1123Label(child.metadata.name), child.metadata.name).toBe(true);
        }
      }),
      settings,
    );
  });

  it("produces children that validate against the Kubernetes schemas", () => {
    fc.assert(
      fc.property(clusterName, spec, (name, s) => {
        sync(clusterParent(s, { name })).response.children.forEach(validate);
      }),
      { numRuns: 25 },
    );
  });

  it("produces pods that meet Pod Security Standards 'restricted' by default", () => {
    fc.assert(
      fc.property(clusterName, spec, (name, s) => {
        for (const child of sync(clusterParent(s, { name })).response.children) {
          if (child.kind !== "Pod") continue;
          const pod = child as unknown as { spec: never; metadata: { annotations?: Record<string, string> } };
          expect(restrictedViolations(pod.spec, pod.metadata)).toEqual([]);
        }
      }),
      settings,
    );
  });

  it("sets no fixed id with fixedUserIds: false, and keeps every other restricted setting", () => {
    const ids = ["runAsUser", "runAsGroup", "fsGroup"];
    fc.assert(
      fc.property(clusterName, spec, (name, s) => {
        const parent = clusterParent({ ...s, fixedUserIds: false }, { name });
        for (const child of sync(parent).response.children) {
          if (child.kind !== "Pod") continue;
          const pod = child as unknown as {
            spec: { securityContext: Record<string, unknown>; containers: { securityContext: object }[] };
            metadata: { annotations?: Record<string, string> };
          };
          const contexts = [pod.spec.securityContext, ...pod.spec.containers.map((c) => c.securityContext)];
          for (const context of contexts) for (const id of ids) expect(context).not.toHaveProperty(id);
          expect(restrictedViolations(pod.spec as never, pod.metadata)).toEqual([]);
          expect(pod.spec.securityContext).toMatchObject({
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
          });
          for (const container of pod.spec.containers) {
            expect(container.securityContext).toMatchObject({
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            });
          }
        }
      }),
      settings,
    );
  });

  it("never drops an observed child when the spec is invalid", () => {
    const invalid = fc.oneof(
      fc.record({ worker: fc.record({ instances: fc.integer({ min: -50, max: -1 }) }) }),
      fc.record({ master: fc.record({ instances: fc.integer({ min: 2, max: 5 }) }) }),
      fc.record({ worker: fc.record({ memory: fc.constantFrom("1Gx", "-2Gi", "", "lots", "1Mi") }) }),
      fc.record({ imagePullPolicy: fc.constantFrom("Sometimes", "always") }),
    );
    fc.assert(
      fc.property(
        spec,
        invalid,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        (good, bad, picks) => {
          const parent = clusterParent(good);
          if (sync(parent).outcome !== "ok") return;
          const world = disturb(observeAll(sync(parent).response.children, parent), picks);
          const { response, outcome } = sync(clusterParent({ ...good, ...bad }), world);
          expect(outcome).toBe("invalid_spec");
          expect(namesOf(response.children).sort()).toEqual(namesOf(world).sort());
        },
      ),
      settings,
    );
  });

  it("keeps every ConfigMap a live observed pod mounts, whatever the spec becomes", () => {
    fc.assert(
      fc.property(
        spec,
        spec,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        (before, after, picks) => {
          const old = clusterParent(before);
          if (sync(old).outcome !== "ok") return;
          const world = disturb(observeAll(sync(old).response.children, old), picks);
          const desired = new Set(namesOf(sync(clusterParent(after), world).response.children));
          const observedMaps = new Set(namesOf(world.filter((o) => o.kind === "ConfigMap")));
          for (const pod of world) {
            if (pod.kind !== "Pod" || isTerminating(pod) || isPodFinished(pod)) continue;
            const volumes = (pod.spec as { volumes?: { configMap?: { name?: string } }[] }).volumes ?? [];
            for (const name of volumes.flatMap((v) => v.configMap?.name ?? [])) {
              if (observedMaps.has(name))
                expect(desired.has(name), `${pod.metadata.name} mounts ${name}`).toBe(true);
            }
          }
        },
      ),
      settings,
    );
  });

  it("accepts a worker only if one executor of the configured size fits, and offers as many as fit", () => {
    const mib = { m: 1, g: 1024, gi: 1024 } as const;
    fc.assert(
      fc.property(clusterName, spec, (name, s) => {
        const { response, outcome } = sync(clusterParent(s, { name }));
        const worker = podsOf(response.children as KubeObject[], "worker")[0] as
          | { spec: { containers: { args: string[]; resources: { limits: { memory: string } } }[] } }
          | undefined;
        if (outcome !== "ok" || worker === undefined) return;
        // The oracle: the last spark.executor.memory wins, default 1g; overhead max(384, 10%).
        const written = (s.sparkConfiguration ?? []).filter((c) => c.name === "spark.executor.memory").at(-1);
        const match = /^(\d+)(m|g|gi)?$/i.exec(String(written?.value ?? "1g"));
        expect(match, "only valid executor sizes are accepted").not.toBeNull();
        const heap = Number(match?.[1]) * mib[(match?.[2]?.toLowerCase() ?? "m") as keyof typeof mib];
        const each = heap + Math.max(384, Math.floor(heap / 10));
        const [container] = worker.spec.containers;
        const limit = Math.floor(
          Number(parseQuantity(container?.resources.limits.memory ?? "")?.value) / 2 ** 20,
        );
        const args = container?.args ?? [];
        const offered = Number(/^(\d+)m$/.exec(args[args.indexOf("--memory") + 1] ?? "")?.[1]);
        const executors = offered / heap;
        expect(Number.isInteger(executors) && executors >= 1).toBe(true);
        expect(896 + executors * each).toBeLessThanOrEqual(limit);
        expect(896 + (executors + 1) * each).toBeGreaterThan(limit);
      }),
      settings,
    );
  });

  it("counts only observed pods in the status", () => {
    fc.assert(
      fc.property(
        spec,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        (s, picks) => {
          const parent = clusterParent(s);
          const world = disturb(observeAll(sync(parent).response.children, parent), picks);
          const status = sync(parent, world).response.status as {
            workers: { ready: number };
            replicas: number;
          };
          const workerPods = world.filter(
            (o) => o.kind === "Pod" && o.metadata.labels?.["app.kubernetes.io/component"] === "worker",
          );
          expect(status.replicas).toBeLessThanOrEqual(workerPods.length);
          expect(status.workers.ready).toBeLessThanOrEqual(status.replicas);
        },
      ),
      settings,
    );
  });
});

/** Label values a pod may carry: anything the API server accepts is a string, ours or not. */
const labelValue = fc.oneof(
  fc.constantFrom("master", "worker", "0", "1", "-1", "007", "1e3", "99999999999999999999", "__proto__", ""),
  fc.string({ maxLength: 70 }),
);
const podLabels = fc.dictionary(
  fc.constantFrom(LABEL_COMPONENT, LABEL_WORKER_ORDINAL, LABEL_TEMPLATE_HASH, LABEL_INSTANCE, "team"),
  labelValue,
  { maxKeys: 4 },
);

describe("SparkCluster sync on observed pods it cannot trust", () => {
  it("answers, never throws, whatever JSON sits in an observed pod's status and label values", () => {
    fc.assert(
      fc.property(
        spec,
        fc.array(fc.tuple(fc.option(statusLikeJson, { nil: undefined }), podLabels), {
          minLength: 1,
          maxLength: 6,
        }),
        (s, disturbances) => {
          const parent = clusterParent(s);
          const world = observeAll(sync(parent).response.children, parent).map((object, index) => {
            const [status, labels] = disturbances[index % disturbances.length] ?? [undefined, {}];
            if (object.kind !== "Pod") return object;
            return {
              ...object,
              status,
              metadata: { ...object.metadata, labels: { ...object.metadata.labels, ...labels } },
            };
          });
          // As the server reads it: JSON text, then the protocol schema.
          const request = SyncRequest.parse(JSON.parse(JSON.stringify(syncRequest(parent, world))));
          const { response } = syncSparkCluster(request, NOW);
          expect(Array.isArray(response.children)).toBe(true);
          expect(JSON.parse(JSON.stringify(response.status))).toEqual(response.status);
        },
      ),
      { numRuns: 200 },
    );
  });
});
