/**
 * examples/sparkapplication/ as kubeflow users meet it: every SparkApplication parses with the
 * schema (kubeflow's defaults applied), names the driver account that
 * deploy/spark-application-namespace/ creates, and is kubeflow's own example (kept unchanged in
 * test/fixtures/kubeflow/, each with its source URL) except at exactly the places listed here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseYaml } from "../../hooks/cli/render.js";
import { API_VERSION, KIND, parseSparkApplicationSpec } from "../../hooks/spark-application/schema.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const examplesDir = join(root, "examples", "sparkapplication");
const fixturesDir = join(root, "test", "fixtures", "kubeflow");

const KUBEFLOW_API_VERSION = "sparkoperator.k8s.io/v1beta2";
/** The driver account of kubeflow's examples, created by its Helm chart in each job namespace. */
const KUBEFLOW_DRIVER_ACCOUNT = "spark-operator-spark";

type Node = Record<string, unknown>;

function documents(path: string): Node[] {
  const { documents, errors } = parseYaml(readFileSync(path, "utf8"), path);
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return documents as Node[];
}

function sparkApplicationIn(path: string, apiVersion: string): Node {
  const found = documents(path).filter((d) => d["kind"] === KIND && d["apiVersion"] === apiVersion);
  if (found.length !== 1)
    throw new Error(`${path}: expected one ${apiVersion} ${KIND}, found ${found.length}`);
  return found[0]!;
}

/** The account deploy/spark-application-namespace/ creates. */
const driverAccount = (() => {
  const [account] = documents(join(root, "deploy", "spark-application-namespace", "serviceaccount.yaml"));
  return (account?.["metadata"] as { name: string }).name;
})();

/**
 * Where two YAML values differ, as paths (`spec.driver.env`, `spec.volumes[1]`): a key or item
 * only one side has is reported at its own path, so an addition shows as one path.
 */
function differences(a: unknown, b: unknown, path = ""): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
      i < a.length && i < b.length ? differences(a[i], b[i], `${path}[${i}]`) : [`${path}[${i}]`],
    ).flat();
  }
  const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isNode(a) && isNode(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => {
      const child = path === "" ? key : `${path}.${key}`;
      return key in a && key in b ? differences(a[key], b[key], child) : [child];
    });
  }
  return Object.is(a, b) ? [] : [path];
}

function at(node: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((value, key) => (value as Node | undefined)?.[key], node);
}

interface Origin {
  /** The example under examples/sparkapplication/. */
  readonly example: string;
  /** The kubeflow example it starts from, under test/fixtures/kubeflow/. */
  readonly kubeflow: string;
  /** Every path where it differs from kubeflow's, apiVersion and the driver account included. */
  readonly changed: readonly string[];
}

/** Copies differ in these two places only; they are what a kubeflow user changes. */
const AS_COPIED = ["apiVersion", "spec.driver.serviceAccount"];

const ORIGINS: readonly Origin[] = [
  { example: "spark-pi-3.5.yaml", kubeflow: "spark-pi-3.5.yaml", changed: AS_COPIED },
  { example: "spark-pi.yaml", kubeflow: "spark-pi.yaml", changed: AS_COPIED },
  { example: "pyspark-pi.yaml", kubeflow: "spark-pi-python.yaml", changed: AS_COPIED },
  {
    example: "spark-pi-on-failure.yaml",
    kubeflow: "spark-pi.yaml",
    changed: [...AS_COPIED, "metadata.name", "spec.restartPolicy"],
  },
  {
    example: "spark-pi-dynamic-allocation.yaml",
    kubeflow: "spark-pi-dynamic-allocation.yaml",
    changed: [...AS_COPIED, "spec.driver.annotations", "spec.driver.serviceAnnotations", "spec.sparkConf"],
  },
  {
    example: "spark-pi-pod-settings.yaml",
    kubeflow: "spark-pi-configmap.yaml",
    changed: [
      ...AS_COPIED,
      "metadata.name",
      "spec.volumes[1]",
      "spec.driver.volumeMounts[1]",
      "spec.driver.env",
      "spec.driver.tolerations",
      "spec.driver.initContainers",
      "spec.executor.volumeMounts[1]",
      "spec.executor.env",
      "spec.executor.tolerations",
      "spec.executor.sidecars",
    ],
  },
];

const exampleFiles = readdirSync(examplesDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();

describe("examples/sparkapplication/", () => {
  it("has an example of each kind the README promises, each traced to kubeflow's", () => {
    expect(exampleFiles.length).toBeGreaterThanOrEqual(6);
    expect(exampleFiles).toEqual(ORIGINS.map((origin) => origin.example).sort());
  });

  describe.each(exampleFiles)("%s", (file) => {
    const application = sparkApplicationIn(join(examplesDir, file), API_VERSION);
    const spec = application["spec"] as { driver?: { serviceAccount?: string } } | undefined;

    it(`is a ${API_VERSION} ${KIND} whose spec parses, with kubeflow's defaults`, () => {
      const parsed = parseSparkApplicationSpec(spec);
      expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    });

    it("runs its driver as the account deploy/spark-application-namespace/ grants executors to", () => {
      expect(driverAccount).toBe("spark-driver");
      expect(spec?.driver?.serviceAccount).toBe(driverAccount);
    });
  });

  describe.each(ORIGINS)("$example", ({ example, kubeflow, changed }) => {
    const ours = sparkApplicationIn(join(examplesDir, example), API_VERSION);
    const theirs = sparkApplicationIn(join(fixturesDir, kubeflow), KUBEFLOW_API_VERSION);

    it(`is kubeflow's ${kubeflow} but for: ${changed.join(", ")}`, () => {
      expect(differences(theirs, ours)).toEqual([...changed].sort());
    });

    it("changes apiVersion and the driver account from kubeflow's to ours", () => {
      expect(at(theirs, "spec.driver.serviceAccount")).toBe(KUBEFLOW_DRIVER_ACCOUNT);
      expect(ours["apiVersion"]).toBe(API_VERSION);
    });
  });

  it("spark-pi-dynamic-allocation.yaml has kubeflow's PrometheusServlet settings, annotations as fields", () => {
    const ours = sparkApplicationIn(join(examplesDir, "spark-pi-dynamic-allocation.yaml"), API_VERSION);
    const servlet = sparkApplicationIn(
      join(fixturesDir, "spark-pi-prometheus-servlet.yaml"),
      KUBEFLOW_API_VERSION,
    );
    const conf = at(servlet, "spec.sparkConf") as Record<string, string>;
    // kubeflow's spark-submit turns these keys into pod and Service annotations. sparkhooks
    // honours the keys too (test/examples/kubeflow-sparkconf.test.ts); this example writes them
    // as the typed fields driver.annotations and driver.serviceAnnotations instead.
    const annotationsBy = (prefix: string) =>
      Object.fromEntries(
        Object.entries(conf)
          .filter(([key]) => key.startsWith(prefix))
          .map(([key, value]) => [key.slice(prefix.length), value]),
      );
    const podPrefix = "spark.kubernetes.driver.annotation.";
    const servicePrefix = "spark.kubernetes.driver.service.annotation.";
    expect(at(ours, "spec.driver.annotations")).toEqual(annotationsBy(podPrefix));
    expect(at(ours, "spec.driver.serviceAnnotations")).toEqual(annotationsBy(servicePrefix));
    expect(at(ours, "spec.sparkConf")).toEqual(
      Object.fromEntries(
        Object.entries(conf).filter(([key]) => !key.startsWith(podPrefix) && !key.startsWith(servicePrefix)),
      ),
    );
  });
});
