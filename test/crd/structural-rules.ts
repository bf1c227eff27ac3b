/**
 * A test-side checker for the rules the API server applies to a v1 CRD's `openAPIV3Schema`
 * (apiextensions-apiserver's structural schema and defaulting validation), written from the
 * Kubernetes documentation rather than from the generator, so the two check each other.
 *
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */
import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { crdValidator, formatSchemaError } from "../../hooks/crd/validate.js";

type Node = Record<string, unknown>;

const INT_OR_STRING = "x-kubernetes-int-or-string";
const PRESERVE = "x-kubernetes-preserve-unknown-fields";
const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);
/** Not allowed in a structural schema at all (or in a v1 CRD). */
const FORBIDDEN = [
  "$ref",
  "definitions",
  "$defs",
  "$schema",
  "id",
  "patternProperties",
  "dependencies",
  "additionalItems",
];
/** Not allowed inside the value-validation keywords (besides the int-or-string pattern). */
const LOGIC = ["anyOf", "allOf", "oneOf", "not"] as const;
const NOT_IN_LOGIC = ["type", "description", "default", "additionalProperties", "nullable", "title"];
/** The only metadata fields a CRD may constrain. */
const METADATA_FIELDS = new Set(["name", "generateName"]);

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function inLogic(node: Node, path: string, problems: string[]): void {
  for (const key of LOGIC) {
    const value = node[key];
    if (value === undefined) continue;
    const branches = Array.isArray(value) ? value : [value];
    for (const [i, branch] of branches.entries()) {
      if (!isNode(branch)) continue;
      const here = `${path}.${key}[${i}]`;
      const intOrStringPattern =
        key === "anyOf" &&
        node[INT_OR_STRING] === true &&
        Object.keys(branch).length === 1 &&
        (branch["type"] === "integer" || branch["type"] === "string");
      if (!intOrStringPattern) {
        for (const bad of NOT_IN_LOGIC)
          if (bad in branch) problems.push(`${here}: ${bad} is not allowed inside ${key}`);
      }
      for (const bad of FORBIDDEN) if (bad in branch) problems.push(`${here}: ${bad} is not allowed`);
      if (branch[PRESERVE] !== undefined) problems.push(`${here}: ${PRESERVE} is not allowed inside ${key}`);
      inLogic(branch, here, problems);
    }
  }
}

interface Context {
  /** Under `spec` or `status`: every property needs a description. */
  readonly describedFields: boolean;
}

function visit(node: Node, path: string, context: Context, problems: string[]): void {
  for (const key of FORBIDDEN) if (key in node) problems.push(`${path}: ${key} is not allowed`);
  if (node["uniqueItems"] === true) problems.push(`${path}: uniqueItems: true is forbidden`);

  const intOrString = node[INT_OR_STRING] === true;
  const preserve = node[PRESERVE] === true;
  const type = node["type"];
  if (type === undefined) {
    if (!intOrString && !preserve) problems.push(`${path}: type is missing`);
  } else if (typeof type !== "string" || !TYPES.has(type)) {
    problems.push(`${path}: type ${JSON.stringify(type)} is not one of ${[...TYPES].join(", ")}`);
  }
  if (intOrString && type !== undefined)
    problems.push(`${path}: ${INT_OR_STRING} nodes must not have a type`);

  const properties = node["properties"];
  const additional = node["additionalProperties"];
  if (additional === false) problems.push(`${path}: additionalProperties: false is not allowed`);
  if (properties !== undefined && additional !== undefined) {
    problems.push(`${path}: additionalProperties cannot be combined with properties`);
  }
  if ((properties !== undefined || additional !== undefined) && type !== "object") {
    problems.push(`${path}: properties/additionalProperties need type object`);
  }
  if (type === "array" && !isNode(node["items"])) problems.push(`${path}: an array needs items (one schema)`);
  if (node["items"] !== undefined && type !== "array") problems.push(`${path}: items needs type array`);

  inLogic(node, path, problems);

  if (isNode(properties)) {
    for (const [name, child] of Object.entries(properties)) {
      const childPath = `${path}.${name}`;
      if (!isNode(child)) {
        problems.push(`${childPath}: not a schema`);
        continue;
      }
      if (
        context.describedFields &&
        (typeof child["description"] !== "string" || child["description"].trim() === "")
      ) {
        problems.push(`${childPath}: description is missing`);
      }
      visit(child, childPath, context, problems);
    }
  }
  if (isNode(additional)) visit(additional, `${path}.*`, context, problems);
  if (isNode(node["items"])) visit(node["items"], `${path}[]`, context, problems);

  if ("default" in node) {
    if (node["nullable"] !== true && node["default"] === null)
      problems.push(`${path}: default null needs nullable`);
    // The API server validates a default against its own node, after pruning: unknown fields fail.
    const errors = crdValidator(node)(node["default"]);
    for (const error of errors) problems.push(`${path}: default is invalid: ${formatSchemaError(error)}`);
  }
}

function checkMetadata(metadata: unknown, problems: string[]): void {
  if (!isNode(metadata)) return;
  if (metadata["type"] !== "object") problems.push("metadata: type must be object");
  for (const key of Object.keys(metadata)) {
    if (key !== "type" && key !== "properties") problems.push(`metadata: ${key} is not allowed`);
  }
  const properties = metadata["properties"];
  if (properties === undefined) return;
  if (!isNode(properties)) return;
  for (const [name, field] of Object.entries(properties)) {
    if (!METADATA_FIELDS.has(name)) {
      problems.push(`metadata.${name}: only metadata.name and metadata.generateName may be specified`);
    } else if (isNode(field) && field["type"] !== "string") {
      problems.push(`metadata.${name}: must be of type string`);
    }
  }
}

/** Every rule the schema breaks, as `path: problem`; empty when the API server accepts it. */
export function structuralProblems(schema: IJSONSchemaProps): string[] {
  const root = schema as Node;
  const problems: string[] = [];
  if (root["type"] !== "object") problems.push("(root): type must be object");
  for (const key of ["default", "nullable", PRESERVE, INT_OR_STRING]) {
    if (key in root) problems.push(`(root): ${key} is not allowed at the root`);
  }
  inLogic(root, "(root)", problems);
  const properties = isNode(root["properties"]) ? root["properties"] : {};
  for (const [name, child] of Object.entries(properties)) {
    if (!isNode(child)) continue;
    if (name === "metadata") {
      checkMetadata(child, problems);
      continue;
    }
    if ((name === "apiVersion" || name === "kind") && "default" in child) {
      problems.push(`${name}: default is not allowed`);
    }
    visit(child, name, { describedFields: name === "spec" || name === "status" }, problems);
  }
  return problems;
}

/** The schema node at a simple JSON path (`.spec.worker.instances`), if the schema declares it. */
export function schemaAt(schema: IJSONSchemaProps, jsonPath: string): Node | undefined {
  if (!jsonPath.startsWith(".")) return undefined;
  let node: unknown = schema;
  for (const field of jsonPath.slice(1).split(".")) {
    if (!isNode(node)) return undefined;
    const properties = node["properties"];
    node = isNode(properties) ? properties[field] : undefined;
  }
  return isNode(node) ? node : undefined;
}

/**
 * Kubernetes' structural defaulting (apiextensions-apiserver structuraldefaulting.Default):
 * absent fields get their default, then defaulting continues inside every value, including
 * defaults just applied.
 */
export function applyDefaults(value: unknown, schema: unknown): unknown {
  if (!isNode(schema)) return value;
  if (Array.isArray(value)) return value.map((item) => applyDefaults(item, schema["items"]));
  if (!isNode(value)) return value;
  const out: Node = { ...value };
  const properties = isNode(schema["properties"]) ? schema["properties"] : {};
  for (const [name, property] of Object.entries(properties)) {
    if (isNode(property) && "default" in property && !(name in out)) {
      out[name] = structuredClone(property["default"]);
    }
  }
  for (const [name, field] of Object.entries(out)) {
    const property = isNode(properties[name]) ? properties[name] : schema["additionalProperties"];
    out[name] = applyDefaults(field, property);
  }
  return out;
}
