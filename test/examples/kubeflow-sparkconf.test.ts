/**
 * kubeflow's own example that configures the driver pod and Service through sparkConf only
 * (spark-pi-prometheus-servlet.yaml, kept unchanged in test/fixtures/kubeflow/) gets the pod and
 * Service annotations spark-submit would give it, with nothing but its apiVersion changed.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseYaml } from "../../hooks/cli/render.js";
import { driverPod } from "../../hooks/spark-application/driver-pod.js";
import { driverSize } from "../../hooks/spark-application/driver-size.js";
import type { ApplicationRun } from "../../hooks/spark-application/names.js";
import { NO_POD_ADDITIONS } from "../../hooks/spark-application/pod-parts.js";
import { parseSparkApplicationSpec } from "../../hooks/spark-application/schema.js";
import { driverService } from "../../hooks/spark-application/services.js";
import { specProblems, unsupportedFields } from "../../hooks/spark-application/unsupported.js";

const fixture = join(
  dirname(fileURLToPath(import.meta.url)),
  "../fixtures/kubeflow/spark-pi-prometheus-servlet.yaml",
);

function kubeflowSpec() {
  const { documents, errors } = parseYaml(readFileSync(fixture, "utf8"), fixture);
  if (errors.length > 0) throw new Error(errors.join("\n"));
  const [application] = documents as { spec?: unknown }[];
  const parsed = parseSparkApplicationSpec(application?.spec);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.spec;
}

describe("kubeflow's spark-pi-prometheus-servlet.yaml", () => {
  const spec = kubeflowSpec();
  const run: ApplicationRun = { name: "spark-pi-python", namespace: "default", uid: "u", attempt: 1 };

  it("is valid and none of its sparkConf keys is among what the hook ignores", () => {
    expect(specProblems(spec)).toEqual([]);
    expect(unsupportedFields(spec).map((entry) => entry.field)).toEqual(["spec.pythonVersion"]);
  });

  it("annotates the driver pod for Prometheus as spark-submit would", () => {
    const size = driverSize(spec);
    if (!size.ok) throw new Error(size.errors.join("; "));
    expect(driverPod(run, spec, size.size, NO_POD_ADDITIONS).metadata.annotations).toMatchObject({
      "prometheus.io/scrape": "true",
      "prometheus.io/path": "/metrics/executors/prometheus/",
      "prometheus.io/port": "4040",
    });
  });

  it("renders the driver Service with its annotations on Spark 4.0", () => {
    expect(driverService(run, spec)?.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/path": "/metrics/driver/prometheus/",
      "prometheus.io/port": "4040",
    });
  });
});
