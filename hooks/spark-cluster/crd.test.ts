/**
 * What the SparkCluster CRD promises its users: names, the scale subresource, columns,
 * defaults the API server applies, and validation that accepts radanalytics manifests and
 * rejects obvious mistakes. test/crd checks what every registered CRD must satisfy.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { applyDefaults, schemaAt } from "../../test/crd/structural-rules.js";
import { crdFor } from "../crd/crd.js";
import { crdValidator, formatSchemaError } from "../crd/validate.js";
import { DEFAULT_SPARK_VERSION } from "../spark/image.js";
import { sparkClusterCrd } from "./crd.js";
import { SparkClusterSpec } from "./schema.js";

const MINIMAL_EXAMPLE = fileURLToPath(new URL("../../examples/sparkcluster/minimal.yaml", import.meta.url));

const crd = crdFor(sparkClusterCrd);
const version = crd.spec.versions[0];
const schema = version?.schema?.openAPIV3Schema ?? {};
const specSchema = schemaAt(schema, ".spec") ?? {};
const validate = crdValidator(schema);

function problems(document: unknown): string[] {
  return validate(document).map(formatSchemaError);
}

function sparkCluster(spec: unknown): unknown {
  return {
    apiVersion: "sparkhooks.dev/v1alpha1",
    kind: "SparkCluster",
    metadata: { name: "my-spark-cluster", namespace: "spark-clusters" },
    spec,
  };
}

describe("SparkCluster CRD", () => {
  it("is named, scoped and versioned as the hooks expect", () => {
    expect(crd.metadata?.name).toBe("sparkclusters.sparkhooks.dev");
    expect(crd.spec.group).toBe("sparkhooks.dev");
    expect(crd.spec.scope).toBe("Namespaced");
    expect(crd.spec.names).toMatchObject({
      kind: "SparkCluster",
      listKind: "SparkClusterList",
      plural: "sparkclusters",
      singular: "sparkcluster",
      categories: ["spark"],
    });
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: "v1alpha1", served: true, storage: true });
  });

  it("serves the scale subresource from worker.instances, status.replicas and status.selector", () => {
    const scale = version?.subresources?.scale;
    expect(scale).toEqual({
      specReplicasPath: ".spec.worker.instances",
      statusReplicasPath: ".status.replicas",
      labelSelectorPath: ".status.selector",
    });
    const replicas = schemaAt(schema, scale?.specReplicasPath ?? "");
    expect(replicas?.["type"] === "integer" || replicas?.["x-kubernetes-int-or-string"] === true).toBe(true);
    expect(schemaAt(schema, scale?.statusReplicasPath ?? "")?.["type"]).toBe("integer");
    expect(schemaAt(schema, scale?.labelSelectorPath ?? "")?.["type"]).toBe("string");
  });

  it("shows phase, ready and desired workers and the master URL in kubectl get", () => {
    const columns = version?.additionalPrinterColumns ?? [];
    expect(columns.map((c) => [c.name, c.jsonPath])).toEqual([
      ["Phase", ".status.phase"],
      ["Ready", ".status.workers.ready"],
      ["Desired", ".status.workers.desired"],
      ["Master", ".status.masterURL"],
      ["Age", ".metadata.creationTimestamp"],
    ]);
  });
});

describe("SparkCluster CRD defaults", () => {
  it("declares the schema's defaults where the API server applies them", () => {
    const at = (path: string) => schemaAt(schema, path)?.["default"];
    expect(at(".spec")).toEqual({});
    expect(at(".spec.master")).toEqual({});
    expect(at(".spec.worker")).toEqual({});
    expect(at(".spec.master.instances")).toBe(1);
    expect(at(".spec.worker.instances")).toBe(1);
    expect(at(".spec.sparkVersion")).toBe(DEFAULT_SPARK_VERSION);
    expect(at(".spec.metrics")).toBe(false);
    expect(at(".spec.sparkWebUI")).toBe(true);
    expect(at(".spec.fixedUserIds")).toBe(true);
    expect(schemaAt(schema, ".status")?.["default"]).toBeUndefined();
  });

  it("fills an empty spec the way the hook's own parse does", () => {
    const defaulted = applyDefaults({}, specSchema);
    expect(defaulted).toEqual({
      master: { instances: 1 },
      worker: { instances: 1 },
      sparkVersion: DEFAULT_SPARK_VERSION,
      metrics: false,
      sparkWebUI: true,
      fixedUserIds: true,
    });
    expect(SparkClusterSpec.parse(defaulted)).toEqual(SparkClusterSpec.parse({}));
  });

  it("gives an object created without a spec the full defaults", () => {
    const object = applyDefaults(
      { apiVersion: "sparkhooks.dev/v1alpha1", kind: "SparkCluster", metadata: {} },
      schema,
    );
    expect((object as { spec: unknown }).spec).toEqual(applyDefaults({}, specSchema));
  });

  it("keeps what the user set", () => {
    expect(applyDefaults({ worker: { instances: "3" }, metrics: true }, specSchema)).toMatchObject({
      worker: { instances: "3" },
      metrics: true,
      master: { instances: 1 },
    });
  });
});

describe("SparkCluster CRD validation (ajv, as the API server validates)", () => {
  it("accepts the radanalytics minimal example once apiVersion is changed", () => {
    const example = parse(readFileSync(MINIMAL_EXAMPLE, "utf8")) as Record<string, unknown>;
    expect(example).toMatchObject({ spec: { worker: { instances: "2" } } }); // quoted on purpose
    expect(problems(example)).toEqual([]);
  });

  it("accepts an object without a spec, and a spec using every kind of field", () => {
    expect(
      problems({ apiVersion: "sparkhooks.dev/v1alpha1", kind: "SparkCluster", metadata: { name: "a" } }),
    ).toEqual([]);
    expect(
      problems(
        sparkCluster({
          master: { instances: 1, memory: "1Gi", cpu: 0.5 },
          worker: { instances: 3, memory: 4096, cpuLimit: "2", labels: { team: "data" } },
          imagePullPolicy: "IfNotPresent",
          env: [
            { name: "A", value: 1 },
            { name: "B", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
          ],
          sparkConfiguration: [{ name: "spark.executor.cores", value: 2 }],
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } },
          historyServer: { name: "history", type: "sharedVolume", sharedVolume: { size: "1Gi" } },
          downloadData: [{ url: "https://example.com/a.csv", to: "/data/" }],
          mavenDependencies: ["org.example:lib:1.0"],
          mavenRepositories: ["https://repo.example.com/maven2"],
          customInitContainerImage: "busybox:1.37",
          nodeTolerations: [{ key: "spark", operator: "Exists", effect: "NoSchedule" }],
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      "a list where a count goes",
      { worker: { instances: [1] } },
      "spec.worker.instances: must be integer or string",
    ],
    [
      "a fractional count",
      { worker: { instances: 1.5 } },
      "spec.worker.instances: must be integer or string",
    ],
    ["a string for a boolean", { metrics: "yes" }, "spec.metrics: must be boolean"],
    [
      "an unknown pull policy",
      { imagePullPolicy: "Sometimes" },
      'spec.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    ],
    ["a misspelt field", { workers: { instances: 2 } }, "spec.workers: field not declared in schema"],
    ["an env var without a name", { env: [{ value: "x" }] }, "spec.env[0].name: Required value"],
    [
      "a bad Spark version",
      { sparkVersion: "latest" },
      'spec.sparkVersion: must match pattern "^\\d+\\.\\d+\\.\\d+([-.][0-9A-Za-z.-]+)?$"',
    ],
    ["a label map with a number", { labels: { a: 1 } }, "spec.labels.a: must be string"],
  ])("rejects %s", (_case, spec, message) => {
    expect(problems(sparkCluster(spec))).toContain(message);
  });

  it("bounds the worker count at 1000, written as an integer (kubectl scale) or quoted", () => {
    const instances = schemaAt(schema, ".spec.worker.instances");
    expect(instances).toMatchObject({ maximum: 1000, "x-kubernetes-int-or-string": true });
    expect(instances?.["pattern"]).toEqual(expect.any(String));
    for (const ok of [0, 1000, "0", "1000", " 7 ", "0999"]) {
      expect(problems(sparkCluster({ worker: { instances: ok } })), JSON.stringify(ok)).toEqual([]);
    }
    for (const tooMany of [1001, 2147483648, "1001", "2147483648", "99999999999999999999"]) {
      expect(problems(sparkCluster({ worker: { instances: tooMany } })), JSON.stringify(tooMany)).toEqual([
        expect.stringMatching(/^spec\.worker\.instances: /),
      ]);
    }
  });

  it("agrees with the hook on every worker count it admits", () => {
    for (const instances of [0, 1, 999, 1000, "1", "1000", " 12 "]) {
      expect(problems(sparkCluster({ worker: { instances } }))).toEqual([]);
      expect(SparkClusterSpec.safeParse({ worker: { instances } }).success, JSON.stringify(instances)).toBe(
        true,
      );
    }
  });

  it("reports every problem of a document, not just the first", () => {
    expect(problems(sparkCluster({ metrics: "yes", sparkWebUI: "no" }))).toEqual([
      "spec.metrics: must be boolean",
      "spec.sparkWebUI: must be boolean",
    ]);
  });

  it("validates status as the status subresource would", () => {
    expect(problems({ ...(sparkCluster({}) as object), status: { phase: "Running", replicas: 2 } })).toEqual(
      [],
    );
    expect(problems({ ...(sparkCluster({}) as object), status: { phase: "Dancing" } })).toHaveLength(1);
  });
});
