/**
 * radanalytics users keep their SparkHistoryServer manifests: the published example
 * (https://github.com/radanalyticsio/spark-operator/blob/master/examples/test/history-server/sharedVolume/history-server.yaml,
 * kept byte for byte in test/fixtures/radanalytics/) with only apiVersion changed is
 * examples/sparkhistoryserver/history-server.yaml, which test/examples/examples.test.ts holds to
 * the CRD and the hook. Here: that it is that file, and what the hook makes of its fields.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseYaml, render } from "../../hooks/cli/render.js";

const here = dirname(fileURLToPath(import.meta.url));
const original = readFileSync(join(here, "../fixtures/radanalytics/history-server.yaml"), "utf8");
const example = readFileSync(join(here, "../../examples/sparkhistoryserver/history-server.yaml"), "utf8");

describe("radanalytics' sharedVolume SparkHistoryServer example", () => {
  it("is examples/sparkhistoryserver/history-server.yaml with only apiVersion changed", () => {
    const body = example.slice(example.indexOf("apiVersion:"));
    expect(body.trimEnd()).toBe(
      original.replace("apiVersion: radanalytics.io/v1\n", "apiVersion: sparkhooks.dev/v1alpha1\n").trimEnd(),
    );
  });

  it("gets a claim selecting its labelled volume, an Ingress, and its settings with Spark's units", () => {
    const { documents } = parseYaml(example, "history-server.yaml");
    const result = render(documents, { now: new Date("2026-11-22T10:00:00Z") });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    expect(result.output).toContain("kind: Ingress");
    expect(result.output).toContain("name: my-history-server-claim");
    expect(result.output).toMatch(/selector:\n\s+matchLabels:\n\s+myCustomLabel: foobar/);
    expect(result.output).toContain("spark.history.fs.logDirectory=/history/spark-events");
    expect(result.output).toContain("spark.history.fs.update.interval=10s");
    expect(result.output).toContain("spark.history.retainedApplications=50");
    expect(result.output).toContain("spark.history.fs.cleaner.enabled=false");
  });
});
