/**
 * Every manifest in examples/ works as the README promises: its custom resources pass their
 * CRD's schema, the hook renders them without InvalidSpec, and every object it yields, and
 * every other object in the file, is valid per kubernetes-models. examples/README.md lists
 * each file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseYaml, render } from "../../hooks/cli/render.js";
import { controllers } from "../../hooks/controllers.js";
import { openApiSchemaFor } from "../../hooks/crd/crd.js";
import { crdValidator, formatSchemaError } from "../../hooks/crd/validate.js";

const examplesDir = join(dirname(fileURLToPath(import.meta.url)), "../../examples");
const NOW = new Date("2026-11-22T10:00:00Z");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(entry.name) ? [path] : [];
    })
    .sort();
}

type Doc = { apiVersion: string; kind: string; metadata: { name: string } };

/** kubernetes-models' own validation of a built-in object (`v1` → kubernetes-models/v1, `apps/v1` → …/apps/v1). */
async function kubernetesModelProblems(object: Doc): Promise<string | undefined> {
  const specifier = `kubernetes-models/${object.apiVersion}`;
  const models = (await import(/* @vite-ignore */ specifier)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = models[object.kind];
  if (Model === undefined) return `kubernetes-models has no ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const files = yamlFiles(examplesDir);

describe("examples/", () => {
  it("has examples, each listed in examples/README.md", () => {
    expect(files.length).toBeGreaterThan(0);
    const readme = readFileSync(join(examplesDir, "README.md"), "utf8");
    for (const file of files) {
      const path = relative(examplesDir, file);
      expect(readme.includes(`](${path})`), path).toBe(true);
    }
  });

  describe.each(files.map((file) => ({ name: relative(examplesDir, file), file })))("$name", ({ file }) => {
    const { documents, errors } = parseYaml(readFileSync(file, "utf8"), file);
    const isParent = (document: unknown) =>
      controllers.some(
        (c) => c.kind === (document as Doc).kind && c.apiVersion === (document as Doc).apiVersion,
      );
    const parents = documents.filter(isParent);
    const others = documents.filter((document) => !isParent(document));

    it("parses, and holds at least one resource of a registered controller", () => {
      expect(errors).toEqual([]);
      expect(parseAllDocuments(readFileSync(file, "utf8")).every((d) => d.errors.length === 0)).toBe(true);
      expect(parents.length).toBeGreaterThan(0);
    });

    it("passes its CRD's schema, as the API server would check it", () => {
      for (const parent of parents) {
        const controller = controllers.find((c) => c.kind === (parent as Doc).kind);
        if (controller === undefined) throw new Error("unreachable: filtered by isParent");
        const validate = crdValidator(openApiSchemaFor(controller.crd));
        expect(validate(parent).map(formatSchemaError), (parent as Doc).metadata.name).toEqual([]);
      }
    });

    it("renders without InvalidSpec, reading the file's other objects as what exists", () => {
      // The whole file, as `sparkhooks render -f` reads it.
      const result = render([...parents, ...others], { now: NOW });
      expect(result.ok ? [] : result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
    });

    it("yields only objects that are valid per kubernetes-models, and its other objects are too", async () => {
      const result = render(parents, { now: NOW, observed: others });
      if (!result.ok) throw new Error(result.errors.join("\n"));
      const rendered = parseAllDocuments(result.output)
        .map((document) => document.toJS() as Doc | null)
        .filter((value): value is Doc => value !== null);
      // A ScheduledSparkApplication asks for nothing until its first run is due; its runs are
      // checked in test/examples/scheduledsparkapplication.test.ts.
      const makesObjectsAtOnce = parents.some((parent) =>
        controllers.some(
          (c) => c.kind === (parent as Doc).kind && c.childTypes.some((type) => type.apiVersion === "v1"),
        ),
      );
      if (makesObjectsAtOnce) expect(rendered.length).toBeGreaterThan(0);
      for (const object of [...rendered, ...(others as Doc[])]) {
        expect(
          await kubernetesModelProblems(object),
          `${object.kind} ${object.metadata.name}`,
        ).toBeUndefined();
      }
    });
  });
});
