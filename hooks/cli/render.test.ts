import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Pod, Service, ConfigMap } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { controllers } from "../controllers.js";
import { parseYaml, render, type RenderResult } from "./render.js";

/**
 * The messages that list every registered kind are checked against the first two controllers,
 * so a new controller does not change what these tests expect.
 */
const ORIGINAL_TWO = controllers.filter((c) => c.kind === "SparkApplication" || c.kind === "SparkCluster");

const NOW = new Date("2026-01-01T00:00:00Z");
const LATER = new Date("2026-01-02T12:00:00Z");

/** examples/sparkcluster/minimal.yaml: the radanalytics minimal example with only apiVersion changed. */
function minimalExample(): Record<string, unknown> {
  const path = fileURLToPath(new URL("../../examples/sparkcluster/minimal.yaml", import.meta.url));
  const [document] = parseYaml(readFileSync(path, "utf8"), "example").documents;
  return document as Record<string, unknown>;
}

function cluster(
  spec: unknown,
  metadata: Record<string, unknown> = { name: "my-spark-cluster", namespace: "spark-clusters" },
) {
  return { apiVersion: "sparkhooks.dev/v1alpha1", kind: "SparkCluster", metadata, spec };
}

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;

function rendered(result: RenderResult): string {
  if (!result.ok) throw new Error(`render failed:\n${result.errors.join("\n")}`);
  return result.output;
}

function errorsOf(result: RenderResult): readonly string[] {
  if (result.ok) throw new Error("render succeeded");
  return result.errors;
}

/** The objects of the output stream; the status comment parses as an empty document. */
function objects(output: string): Doc[] {
  return parseAllDocuments(output)
    .map((document) => document.toJS() as Doc | null)
    .filter((value): value is Doc => value !== null);
}

function labelled(
  name: string,
  component: "master" | "worker",
  hash: string,
  extra: Record<string, string> = {},
) {
  return {
    name,
    namespace: "spark-clusters",
    labels: {
      "app.kubernetes.io/name": "spark",
      "app.kubernetes.io/instance": "my-spark-cluster",
      "app.kubernetes.io/component": component,
      "app.kubernetes.io/managed-by": "sparkhooks",
      "sparkhooks.dev/template-hash": hash,
      ...extra,
    },
  };
}

const READY = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };

describe("render", () => {
  it("renders the radanalytics minimal example: two ConfigMaps, both Services, a master and 2 workers", () => {
    const output = rendered(render([minimalExample()], { now: NOW }));
    const docs = objects(output);
    expect(docs.map((d) => d.kind)).toEqual([
      "ConfigMap",
      "ConfigMap",
      "Service",
      "Service",
      "Pod",
      "Pod",
      "Pod",
    ]);
    const services = docs.filter((d) => d.kind === "Service") as unknown as {
      metadata: { name: string };
      spec: { ports: { port: number }[] };
    }[];
    expect(services.map((s) => [s.metadata.name, s.spec.ports.map((p) => p.port)])).toEqual([
      ["my-spark-cluster", [7077]],
      ["my-spark-cluster-ui", [8080]],
    ]);
    const pods = docs.filter((d) => d.kind === "Pod");
    expect(pods.map((p) => p.metadata.labels?.["app.kubernetes.io/component"])).toEqual([
      "master",
      "worker",
      "worker",
    ]);
    for (const doc of docs) expect(doc.metadata.namespace, doc.metadata.name).toBe("spark-clusters");
  });

  it("renders objects Kubernetes accepts", () => {
    for (const doc of objects(rendered(render([minimalExample()], { now: NOW })))) {
      const model =
        doc.kind === "Pod" ? new Pod(doc) : doc.kind === "Service" ? new Service(doc) : new ConfigMap(doc);
      expect(() => model.validate(), doc.metadata.name).not.toThrow();
    }
  });

  it("ends each cluster with its status as a comment block, so kubectl apply skips it", () => {
    const output = rendered(render([minimalExample()], { now: NOW }));
    const lastDocument = output.slice(output.lastIndexOf("---\n"));
    expect(lastDocument).toMatch(
      /^---\n# Status of SparkCluster spark-clusters\/my-spark-cluster, as the hook would write it/,
    );
    expect(
      lastDocument
        .trimEnd()
        .split("\n")
        .every((line) => line === "---" || line.startsWith("#")),
    ).toBe(true);
    expect(lastDocument).toContain("#   phase: Pending");
    expect(lastDocument).toContain("#   masterURL: spark://my-spark-cluster.spark-clusters.svc:7077");
    expect(lastDocument).toContain("#     desired: 2");
  });

  it("is reproducible for a given --now, and only timestamps follow the clock", () => {
    const first = rendered(render([minimalExample()], { now: NOW }));
    expect(rendered(render([minimalExample()], { now: NOW }))).toBe(first);
    const later = rendered(render([minimalExample()], { now: LATER }));
    expect(later).not.toBe(first);
    expect(later.replaceAll("2026-01-02T12:00:00Z", "2026-01-01T00:00:00Z")).toBe(first);
  });

  it("puts a cluster without a namespace in default, as the API server would", () => {
    const docs = objects(rendered(render([cluster({}, { name: "solo" })], { now: NOW })));
    expect(new Set(docs.map((d) => d.metadata.namespace))).toEqual(new Set(["default"]));
    // An empty spec gets the defaults: one worker.
    expect(docs.filter((d) => d.kind === "Pod")).toHaveLength(2);
  });

  it("renders every cluster of a multi-document file or List", () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [cluster({}, { name: "a" }), cluster({}, { name: "b" })],
    };
    const { documents } = parseYaml(JSON.stringify(list), "list.json");
    const output = rendered(render(documents, { now: NOW }));
    expect(output.match(/^# Status of SparkCluster/gm)).toHaveLength(2);
    expect(
      objects(output)
        .filter((d) => d.kind === "Service")
        .map((d) => d.metadata.name),
    ).toEqual(["a", "a-ui", "b", "b-ui"]);
  });

  it("reads YAML like kubectl does: yes is a boolean, timestamps stay strings", () => {
    const text = [
      "apiVersion: sparkhooks.dev/v1alpha1",
      "kind: SparkCluster",
      "metadata: {name: m, creationTimestamp: 2026-01-01T00:00:00Z}",
      "spec: {metrics: yes}",
      "---",
      "# an empty document",
    ].join("\n");
    const { documents, errors } = parseYaml(text, "m.yaml");
    expect(errors).toEqual([]);
    expect(documents).toEqual([
      {
        apiVersion: "sparkhooks.dev/v1alpha1",
        kind: "SparkCluster",
        metadata: { name: "m", creationTimestamp: "2026-01-01T00:00:00Z" },
        spec: { metrics: true },
      },
    ]);
    expect(rendered(render(documents, { now: NOW }))).toContain("prometheus.io/scrape");
  });

  it("reports YAML syntax errors with the file name", () => {
    const { errors } = parseYaml("a: [1, 2\n", "broken.yaml");
    expect(errors[0]).toMatch(/^broken\.yaml: YAML document 1: /);
  });
});

describe("render: errors", () => {
  it("reports schema errors with the field path, as the API server would, and renders nothing", () => {
    const result = render([cluster({ worker: { instances: [1] }, metrics: "yes" })], { now: NOW });
    expect(errorsOf(result)).toEqual([
      "SparkCluster spark-clusters/my-spark-cluster: spec.worker.instances: must be integer or string",
      "SparkCluster spark-clusters/my-spark-cluster: spec.metrics: must be boolean",
    ]);
  });

  it("reports undeclared fields, which the API server would drop or refuse", () => {
    expect(errorsOf(render([cluster({ workers: { instances: 2 } })], { now: NOW }))).toEqual([
      "SparkCluster spark-clusters/my-spark-cluster: spec.workers: field not declared in schema",
    ]);
  });

  it("reports the hook's InvalidSpec message", () => {
    const errors = errorsOf(render([cluster({ master: { instances: 2 } })], { now: NOW }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^SparkCluster spark-clusters\/my-spark-cluster: InvalidSpec: spec\.master\.instances: only 1 master is supported/,
    );
  });

  it("points radanalytics users at the apiVersion to change", () => {
    const original = { ...minimalExample(), apiVersion: "radanalytics.io/v1" };
    expect(errorsOf(render([original], { now: NOW }))).toEqual([
      'SparkCluster spark-clusters/my-spark-cluster: apiVersion: must be sparkhooks.dev/v1alpha1, got "radanalytics.io/v1" (radanalytics manifests work after changing only apiVersion)',
    ]);
  });

  it("names a document of another kind, and one without a name", () => {
    const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } };
    expect(errorsOf(render([deployment, cluster({}, {})], { now: NOW, controllers: ORIGINAL_TWO }))).toEqual([
      "Deployment d: kind Deployment: render takes SparkApplication or SparkCluster objects only",
      "SparkCluster (document 2): metadata.name: Required value",
    ]);
  });

  it("needs at least one resource of a registered kind", () => {
    expect(errorsOf(render([], { now: NOW, controllers: ORIGINAL_TWO }))).toEqual([
      "no SparkApplication or SparkCluster in the input",
    ]);
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
    expect(errorsOf(render([configMap], { now: NOW, controllers: ORIGINAL_TWO }))).toEqual([
      "no SparkApplication or SparkCluster in the input",
    ]);
  });

  it("renders nothing when one cluster of several is invalid", () => {
    const result = render(
      [cluster({}, { name: "good" }), cluster({ master: { instances: 3 } }, { name: "bad" })],
      { now: NOW },
    );
    expect(result.ok).toBe(false);
  });
});

describe("render --observed", () => {
  const master = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: labelled("my-spark-cluster-master-old0000000", "master", "old0000000"),
    status: READY,
  };
  const worker = (slot: number, hash: string) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: labelled(`my-spark-cluster-worker-${slot}-${hash}`, "worker", hash, {
      "sparkhooks.dev/worker-ordinal": String(slot),
    }),
    status: READY,
  });

  it("shows what the hook does next with pods on a stale template", () => {
    const fresh = objects(rendered(render([minimalExample()], { now: NOW })));
    const freshPods = fresh.filter((d) => d.kind === "Pod").map((d) => d.metadata.name);

    const observed = [master, worker(0, "old0000000"), worker(1, "old0000000")];
    const output = rendered(render([minimalExample()], { now: NOW, observed }));
    const pods = objects(output)
      .filter((d) => d.kind === "Pod")
      .map((d) => d.metadata.name);
    // The master is replaced at once; workers one at a time, the highest slot first.
    expect(pods).toEqual([freshPods[0], "my-spark-cluster-worker-0-old0000000", freshPods[2]]);
    expect(output).toContain("#   phase: Updating");
    expect(output).toContain("#     upToDate: 0");
    expect(output).toContain("#   replicas: 2");
  });

  it("reads the user's configuration ConfigMap as Metacontroller's related object", () => {
    const userConfig = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "my-spark-cluster-config", namespace: "spark-clusters" },
      data: { "spark-defaults.conf": "spark.eventLog.enabled=true\n" },
    };
    const output = rendered(render([minimalExample()], { now: NOW, observed: [userConfig] }));
    expect(output).toContain("spark.eventLog.enabled=true");
  });

  it("warns about observed objects it cannot use, and reports malformed ones", () => {
    const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } };
    const stranger = {
      ...worker(0, "abc"),
      metadata: { ...labelled("x", "worker", "abc"), namespace: "elsewhere" },
    };
    const result = render([minimalExample()], {
      now: NOW,
      observed: [deployment, stranger],
      controllers: ORIGINAL_TWO,
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      "--observed Deployment d: ignored: a SparkApplication has children of kinds Pod, Service, ConfigMap only; a SparkCluster has children of kinds Pod, Service, ConfigMap only",
      "--observed Pod elsewhere/x: ignored: it belongs to no SparkApplication or SparkCluster in the input",
    ]);
    expect(errorsOf(render([minimalExample()], { now: NOW, observed: [{ kind: "Pod" }] }))).toEqual([
      "--observed Pod (document 1): apiVersion: Invalid input: expected string, received undefined",
      "--observed Pod (document 1): metadata: Invalid input: expected object, received undefined",
    ]);
  });

  it("assigns observed objects by controller reference before labels", () => {
    const owned = {
      ...worker(0, "abc"),
      metadata: {
        ...labelled("owned-by-other", "worker", "abc"),
        ownerReferences: [
          {
            apiVersion: "sparkhooks.dev/v1alpha1",
            kind: "SparkCluster",
            name: "other",
            uid: "u",
            controller: true,
          },
        ],
      },
    };
    const result = render([minimalExample()], { now: NOW, observed: [owned], controllers: ORIGINAL_TWO });
    expect(result.warnings).toEqual([
      "--observed Pod spark-clusters/owned-by-other: ignored: it belongs to no SparkApplication or SparkCluster in the input",
    ]);
  });
});

describe("render -f with other objects", () => {
  it("takes a ConfigMap in the same file as existing, as kubectl apply -f would create it", () => {
    const path = fileURLToPath(new URL("../../examples/sparkcluster/with-configmap.yaml", import.meta.url));
    const { documents } = parseYaml(readFileSync(path, "utf8"), "example");
    const result = render(documents, { now: NOW });
    expect(result.ok ? result.warnings : result.errors).toEqual([]);
    const workerConf = parseAllDocuments(result.ok ? result.output : "")
      .map((doc) => doc.toJS() as Doc | null)
      .find((doc) => doc?.kind === "ConfigMap" && doc.metadata.name.startsWith("tuned-worker-conf-"));
    expect(workerConf?.["data"]).toMatchObject({
      "log4j2.properties": expect.stringContaining("rootLogger"),
    });
    expect((workerConf?.["data"] as Record<string, string>)["spark-defaults.conf"]).toContain(
      "spark.serializer=org.apache.spark.serializer.KryoSerializer",
    );
  });
});
