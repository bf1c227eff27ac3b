/**
 * examples/scheduledsparkapplication/ as kubeflow users meet it: kubeflow's own
 * spark-pi-scheduled.yaml (kept unchanged in test/fixtures/kubeflow/) passes the CRD and the hook
 * with only apiVersion changed, our copy differs from it exactly where listed, and the first run
 * of every example is a SparkApplication that its own CRD admits and its own hook renders into
 * valid Kubernetes objects.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigMap, Pod, Service, type IConfigMap, type IPod, type IService } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseYaml, render } from "../../hooks/cli/render.js";
import { openApiSchemaFor } from "../../hooks/crd/crd.js";
import { crdValidator, formatSchemaError } from "../../hooks/crd/validate.js";
import { scheduledSparkApplicationCrd } from "../../hooks/scheduled-spark-application/crd.js";
import { API_VERSION, KIND } from "../../hooks/scheduled-spark-application/schema.js";
import { sparkApplicationCrd } from "../../hooks/spark-application/crd.js";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import { at, exampleScheduled, step } from "../support/scheduled.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const examplesDir = join(root, "examples", "scheduledsparkapplication");
const fixture = join(root, "test", "fixtures", "kubeflow", "spark-pi-scheduled.yaml");

type Node = Record<string, unknown>;

function scheduledIn(path: string): Node {
  const { documents, errors } = parseYaml(readFileSync(path, "utf8"), path);
  if (errors.length > 0) throw new Error(errors.join("\n"));
  const found = (documents as Node[]).filter((document) => document["kind"] === KIND);
  if (found.length !== 1) throw new Error(`${path}: expected one ${KIND}, found ${found.length}`);
  return found[0]!;
}

const validateScheduled = crdValidator(openApiSchemaFor(scheduledSparkApplicationCrd));
const validateApplication = crdValidator(openApiSchemaFor(sparkApplicationCrd));

const MODELS: Readonly<Record<string, (data: never) => { validate(): void }>> = {
  Pod: (data: IPod) => new Pod(data),
  Service: (data: IService) => new Service(data),
  ConfigMap: (data: IConfigMap) => new ConfigMap(data),
};

function modelProblem(object: { kind: string }): string | undefined {
  const Model = MODELS[object.kind];
  if (Model === undefined) return `no model for ${object.kind}`;
  try {
    Model(object as never).validate();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

describe("kubeflow's spark-pi-scheduled.yaml", () => {
  const theirs = scheduledIn(fixture);

  it("passes the CRD and the hook with only apiVersion changed", () => {
    const ours = { ...theirs, apiVersion: API_VERSION };
    expect(validateScheduled(ours).map(formatSchemaError)).toEqual([]);
    const result = render([ours], { now: new Date("2026-12-01T10:00:00Z") });
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it("is what examples/scheduledsparkapplication/spark-pi-scheduled.yaml copies, with our driver account", () => {
    const ours = scheduledIn(join(examplesDir, "spark-pi-scheduled.yaml"));
    const template = (ours["spec"] as { template: { driver: Node } }).template;
    const theirTemplate = (theirs["spec"] as { template: { driver: Node } }).template;
    expect(theirTemplate.driver["serviceAccount"]).toBe("spark-operator-spark");
    expect(template.driver["serviceAccount"]).toBe("spark-driver");
    expect({
      ...ours,
      apiVersion: theirs["apiVersion"],
      spec: {
        ...(ours["spec"] as Node),
        template: { ...template, driver: { ...template.driver, serviceAccount: "spark-operator-spark" } },
      },
    }).toEqual(theirs);
  });
});

describe.each(readdirSync(examplesDir).filter((file) => file.endsWith(".yaml")))("%s", (file) => {
  it("starts a first run the SparkApplication CRD admits and its hook renders into valid objects", () => {
    const parent = exampleScheduled(file);
    const created = step({ parent, runs: [] }, at(0));
    const nextRun = Date.parse(created.answer.status["nextRun"] as string);
    const due = step(created.world, new Date(nextRun));
    const [run] = due.answer.children as unknown as KubeObject[];
    expect(run?.kind).toBe("SparkApplication");
    const application = { ...run, metadata: { ...run!.metadata, namespace: "default" } };
    expect(validateApplication(application).map(formatSchemaError)).toEqual([]);
    const rendered = render([application], { now: new Date(nextRun) });
    if (!rendered.ok) throw new Error(rendered.errors.join("\n"));
    const objects = parseAllDocuments(rendered.output)
      .map((document) => document.toJS() as { kind: string; metadata: { name: string } } | null)
      .filter((value) => value !== null);
    expect([...new Set(objects.map((object) => object.kind))].sort()).toEqual([
      "ConfigMap",
      "Pod",
      "Service",
    ]);
    for (const object of objects) expect(modelProblem(object), object.metadata.name).toBeUndefined();
  });
});
