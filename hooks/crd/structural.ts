/**
 * zod schema → Kubernetes structural OpenAPI schema (apiextensions.k8s.io/v1).
 *
 * `z.toJSONSchema(…, { target: "openapi-3.0", io: "input" })` gets most of the way; this walk
 * turns the constructs Kubernetes does not accept into their Kubernetes spelling and refuses,
 * naming the field, whatever it cannot translate faithfully. It never invents content: a
 * missing description is an error for the schema's author to fix, not something to fill in.
 *
 * Rules: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */
import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { z } from "zod";
import { ANY_SCALAR, INT_OR_STRING } from "./fields.js";

/** A schema node while it is being rewritten: plain JSON. */
type Node = Record<string, unknown>;

/** Raised with the field path, so `npm run gen:crds` tells the author exactly what to fix. */
export class CrdSchemaError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = "CrdSchemaError";
  }
}

/** Keys zod may emit that Kubernetes does not want and that carry no meaning for it. */
const DROPPED_KEYS = new Set(["$schema", "id", "$id"]);

/** Keys that cannot appear in a structural schema at all, with what to do instead. */
const FORBIDDEN_KEYS: Readonly<Record<string, string>> = {
  $ref: "references are not allowed; the schema must be inlined (do not give sub-schemas a meta id)",
  $defs: "definitions are not allowed; the schema must be inlined (do not give sub-schemas a meta id)",
  definitions: "definitions are not allowed; the schema must be inlined",
  patternProperties: "patternProperties is not supported by Kubernetes; validate keys in the hook",
  dependencies: "dependencies is not supported by Kubernetes",
  additionalItems: "additionalItems (tuples) is not supported by Kubernetes",
  uniqueItems: "uniqueItems is forbidden in CRDs; use x-kubernetes-list-type: set",
  allOf: "allOf is not translated; express the constraint in one schema or validate it in the hook",
  oneOf: "oneOf is not translated; express the constraint in one schema or validate it in the hook",
  anyOf:
    "unions are not structural; use count()/stringish() (int-or-string) or quantity() (any scalar) from hooks/crd/fields.ts",
  not: "not is not translated",
};

/** Every key a v1 JSONSchemaProps has; anything else fails the CRD's strict decoding. */
const KNOWN_KEYS = new Set([
  "description",
  "type",
  "format",
  "title",
  "default",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "multipleOf",
  "enum",
  "maxProperties",
  "minProperties",
  "required",
  "items",
  "properties",
  "additionalProperties",
  "externalDocs",
  "example",
  "nullable",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);

/**
 * Output key order: what a reader looks for first, then constraints, then children, then the
 * Kubernetes extensions. Keys not listed follow alphabetically. Properties keep the order the
 * zod schema declares them in.
 */
const KEY_ORDER = [
  "description",
  "type",
  "format",
  "title",
  "nullable",
  "enum",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "default",
  "example",
  "externalDocs",
  "required",
  "items",
  "properties",
  "additionalProperties",
];

/**
 * Bounds zod adds by itself: `z.int32()` gets the int32 range and `z.int()` the safe-integer
 * range. Kubernetes stores integers as int64, and the hook enforces the zod bounds anyway, so
 * they are noise in the CRD (and in `kubectl explain`).
 */
const IMPLICIT_MINIMUMS = new Set([-2147483648, Number.MIN_SAFE_INTEGER]);
const IMPLICIT_MAXIMUMS = new Set([2147483647, Number.MAX_SAFE_INTEGER]);

export interface StructuralOptions {
  /** Field path of the schema's root, used in error messages (`spec`, `status`). */
  readonly path: string;
  /** A `default` for the root node itself (the zod schema's own default is emitted already). */
  readonly default?: unknown;
}

/** The structural CRD schema of a zod schema, as the API server will read user input. */
export function structuralSchema(schema: z.ZodType, options: StructuralOptions): IJSONSchemaProps {
  const json = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    reused: "inline",
    cycles: "throw",
    unrepresentable: "throw",
  }) as Node;
  if (options.default !== undefined) json["default"] = options.default;
  return rewrite(json, options.path);
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptyNode(value: unknown): boolean {
  return isNode(value) && Object.keys(value).length === 0;
}

function rewrite(input: Node, path: string): Node {
  const node: Node = {};
  for (const [key, value] of Object.entries(input)) {
    if (!DROPPED_KEYS.has(key)) node[key] = value;
  }

  // JSON Schema's `examples` list; Kubernetes has a single `example`.
  if (Array.isArray(node["examples"])) {
    if (node["examples"].length > 0 && node["example"] === undefined) node["example"] = node["examples"][0];
    delete node["examples"];
  }

  if (node[INT_OR_STRING] === true) intOrString(node, path);
  else if (node[ANY_SCALAR] === true && node["type"] !== "object" && node["type"] !== "array")
    anyScalar(node, path);
  else if (node[ANY_SCALAR] === true && node["type"] === "object") preservedObject(node, path);

  for (const key of Object.keys(node)) {
    const forbidden = FORBIDDEN_KEYS[key];
    if (forbidden !== undefined) throw new CrdSchemaError(path, forbidden);
    if (!KNOWN_KEYS.has(key))
      throw new CrdSchemaError(path, `"${key}" is not a Kubernetes JSONSchemaProps field`);
  }
  if (Array.isArray(node["type"])) throw new CrdSchemaError(path, "a node has exactly one type");

  if (node["type"] === "integer") {
    if (IMPLICIT_MINIMUMS.has(node["minimum"] as number)) delete node["minimum"];
    if (IMPLICIT_MAXIMUMS.has(node["maximum"] as number)) delete node["maximum"];
  }

  if (node["additionalProperties"] === false) delete node["additionalProperties"];
  if (isEmptyNode(node["properties"]) && node["additionalProperties"] !== undefined)
    delete node["properties"];
  const additional = node["additionalProperties"];
  if (additional !== undefined) {
    if (node["properties"] !== undefined) {
      throw new CrdSchemaError(
        path,
        "properties and additionalProperties are mutually exclusive in a structural schema",
      );
    }
    if (additional === true || isEmptyNode(additional)) {
      throw new CrdSchemaError(
        path,
        `an object with arbitrary fields needs .meta({ "${ANY_SCALAR}": true }) so the API server keeps them`,
      );
    }
    if (!isNode(additional)) throw new CrdSchemaError(path, "additionalProperties must be a schema");
    node["additionalProperties"] = rewrite(additional, `${path}.*`);
  }

  const properties = node["properties"];
  if (properties !== undefined) {
    if (!isNode(properties)) throw new CrdSchemaError(path, "properties must be an object");
    const rewritten: Node = {};
    for (const [name, child] of Object.entries(properties)) {
      const childPath = `${path}.${name}`;
      if (!isNode(child)) throw new CrdSchemaError(childPath, "must be a schema");
      const out = rewrite(child, childPath);
      if (typeof out["description"] !== "string" || out["description"].trim() === "") {
        throw new CrdSchemaError(childPath, 'has no description: add .describe("…") to its zod schema');
      }
      rewritten[name] = out;
    }
    node["properties"] = rewritten;
  }

  const items = node["items"];
  if (items !== undefined) {
    if (!isNode(items))
      throw new CrdSchemaError(path, "tuples (array-valued items) are not supported by Kubernetes");
    node["items"] = rewrite(items, `${path}[]`);
  }

  const typed = node["type"] !== undefined || node[INT_OR_STRING] === true || node[ANY_SCALAR] === true;
  if (!typed) throw new CrdSchemaError(path, "has no type (every node of a structural schema needs one)");

  return ordered(node);
}

/** `anyOf: [integer, string]` becomes the bare `x-kubernetes-int-or-string` marker. */
function intOrString(node: Node, path: string): void {
  const variants = node["anyOf"];
  if (variants !== undefined) {
    const types = Array.isArray(variants)
      ? variants.map((v) => (isNode(v) ? v["type"] : undefined)).sort()
      : [];
    if (types.join(",") !== "integer,string") {
      throw new CrdSchemaError(path, `${INT_OR_STRING} must mark a union of an integer and a string`);
    }
    delete node["anyOf"];
  }
  delete node["type"];
}

/** A scalar the hook validates: no type, so the API server takes any value and keeps it. */
function anyScalar(node: Node, path: string): void {
  const variants = node["anyOf"];
  if (Array.isArray(variants)) {
    for (const variant of variants) {
      const type = isNode(variant) ? variant["type"] : undefined;
      if (type === "object" || type === "array") {
        throw new CrdSchemaError(path, `${ANY_SCALAR} on a union marks scalars only, not ${String(type)}`);
      }
    }
  }
  delete node["anyOf"];
  delete node["type"];
}

/** `z.looseObject({})` + the marker: an object whose fields the API server keeps as they are. */
function preservedObject(node: Node, path: string): void {
  if (node["properties"] !== undefined && !isEmptyNode(node["properties"])) {
    throw new CrdSchemaError(
      path,
      "a preserved object with declared properties is not supported; declare none",
    );
  }
  delete node["properties"];
  const additional = node["additionalProperties"];
  if (additional !== undefined && additional !== true && !isEmptyNode(additional)) {
    throw new CrdSchemaError(path, "a preserved object cannot also constrain its values");
  }
  delete node["additionalProperties"];
}

function ordered(node: Node): Node {
  const out: Node = {};
  for (const key of KEY_ORDER) if (key in node) out[key] = node[key];
  for (const key of Object.keys(node).sort()) if (!(key in out)) out[key] = node[key];
  return out;
}
