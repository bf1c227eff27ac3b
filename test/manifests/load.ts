/**
 * Helpers for the manifest tests: repository paths and YAML loading.
 */
import { expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** The repository root (this file is test/manifests/load.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

/** A Kubernetes-shaped object as read from YAML; fields are checked by the tests. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Every non-empty document of a (multi-document) YAML file; throws on YAML errors. */
export function loadYamlDocuments(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, "utf8"));
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new Error(`${path}: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Like {@link loadYamlDocuments}, but asserts that every document looks like an object. */
export function loadManifests(path: string): Manifest[] {
  return loadYamlDocuments(path).map((doc, i) => {
    const m = doc as Partial<Manifest>;
    if (
      typeof m.apiVersion !== "string" ||
      typeof m.kind !== "string" ||
      typeof m.metadata?.name !== "string"
    ) {
      throw new Error(`${path}: document ${i} has no apiVersion, kind and metadata.name`);
    }
    return m as Manifest;
  });
}

/** `*.yaml` / `*.yml` file names directly inside `dir` (sorted), or [] if `dir` is missing. */
export function yamlFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
}

/** The subset of a kustomization.yaml the tests look at. */
export interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  labels?: {
    pairs: Record<string, string>;
    includeSelectors?: boolean;
    includeTemplates?: boolean;
  }[];
  namespace?: string;
  commonLabels?: Record<string, string>;
}

export function loadKustomization(dir: string): Kustomization {
  const [doc] = loadYamlDocuments(join(dir, "kustomization.yaml"));
  return doc ?? {};
}

/** The YAML objects of a kustomization directory (its kustomization.yaml left out), with their file. */
export function objectsIn(...dir: string[]): { file: string; m: Manifest }[] {
  return yamlFilesIn(repoPath(...dir))
    .filter((file) => file !== "kustomization.yaml")
    .flatMap((file) => loadManifests(repoPath(...dir, file)).map((m) => ({ file, m })));
}

type ModelClass = new (data: never) => { validate(): void };

/**
 * One test per object: kubernetes-models (the API's OpenAPI schemas) is the oracle. A kind
 * without a model here fails rather than passing unchecked.
 */
export function itIsAValidKubernetesObject(
  objects: readonly { file: string; m: Manifest }[],
  models: Readonly<Record<string, ModelClass>>,
): void {
  it.each(objects.map(({ file, m }) => ({ name: `${file}: ${m.kind}/${m.metadata.name}`, m })))(
    "$name is a valid Kubernetes object",
    ({ m }) => {
      const Model = models[`${m.apiVersion} ${m.kind}`];
      expect(Model, `no model for ${m.apiVersion} ${m.kind}`).toBeDefined();
      expect(() => new Model!(m as never).validate()).not.toThrow();
    },
  );
}
