/**
 * Validate objects against a CRD's `openAPIV3Schema` the way the API server would, with ajv:
 * the same answer `kubectl apply` gets, before anything reaches a cluster.
 *
 * Kubernetes semantics ajv does not know are added here: `x-kubernetes-int-or-string` accepts
 * exactly integers and strings, and (like kubectl's default `--validate=strict`) fields the
 * schema does not declare are errors unless a node preserves unknown fields.
 */
import { Ajv, type ErrorObject, type SchemaValidateFunction } from "ajv";
import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { ANY_SCALAR, INT_OR_STRING } from "./fields.js";

export interface SchemaError {
  /** Field path as Kubernetes prints it: `spec.env[0].name`; empty for the object itself. */
  readonly path: string;
  readonly message: string;
}

export interface ValidatorOptions {
  /** Report fields the schema does not declare (default true, as `kubectl --validate=strict`). */
  readonly rejectUnknownFields?: boolean;
}

export type Validator = (value: unknown) => SchemaError[];

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A copy of the schema with unknown fields closed off where Kubernetes would prune them. */
function closeUnknownFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeUnknownFields);
  if (!isNode(schema)) return schema;
  const out: Node = {};
  for (const [key, value] of Object.entries(schema)) {
    // Defaults and examples are data, not schemas.
    out[key] = key === "default" || key === "example" || key === "enum" ? value : closeUnknownFields(value);
  }
  // Only nodes that declare properties: `metadata: {type: object}` is ObjectMeta, checked apart.
  if (isNode(out["properties"]) && out[ANY_SCALAR] !== true && out["additionalProperties"] === undefined) {
    out["additionalProperties"] = false;
  }
  return out;
}

export function crdValidator(schema: IJSONSchemaProps, options: ValidatorOptions = {}): Validator {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const intOrString: SchemaValidateFunction = (enabled: boolean, data: unknown) => {
    if (!enabled || typeof data === "string" || Number.isInteger(data)) return true;
    intOrString.errors = [{ keyword: INT_OR_STRING, message: "must be integer or string", params: {} }];
    return false;
  };
  ajv.addKeyword({ keyword: INT_OR_STRING, schemaType: "boolean", errors: true, validate: intOrString });
  const effective = options.rejectUnknownFields === false ? schema : closeUnknownFields(schema);
  const validate = ajv.compile(effective as object);
  return (value) => {
    if (validate(value)) return [];
    const seen = new Set<string>();
    const errors: SchemaError[] = [];
    for (const error of validate.errors ?? []) {
      const formatted = formatError(error, value);
      if (formatted === undefined) continue;
      const key = `${formatted.path}\u0000${formatted.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(formatted);
    }
    return errors;
  };
}

/** `spec.worker.instances: must be integer or string`; just the message at the root. */
export function formatSchemaError(error: SchemaError): string {
  return error.path === "" ? error.message : `${error.path}: ${error.message}`;
}

function formatError(error: ErrorObject, value: unknown): SchemaError | undefined {
  const path = fieldPath(error.instancePath, value);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return {
        path: join(path, String(params["additionalProperty"])),
        message: "field not declared in schema",
      };
    case "required":
      return { path: join(path, String(params["missingProperty"])), message: "Required value" };
    case "enum": {
      const allowed = (params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ");
      const actual = valueAt(error.instancePath, value);
      return { path, message: `Unsupported value: ${JSON.stringify(actual)}: supported values: ${allowed}` };
    }
    case "if":
      return undefined; // its sub-errors say what is wrong
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

function join(path: string, field: string): string {
  return path === "" ? field : `${path}.${field}`;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** `/spec/env/0/name` → `spec.env[0].name`, using the data to tell list indexes from map keys. */
function fieldPath(pointer: string, value: unknown): string {
  let path = "";
  let current: unknown = value;
  for (const segment of pointerSegments(pointer)) {
    if (Array.isArray(current)) {
      path += `[${segment}]`;
      current = current[Number(segment)];
    } else {
      path = join(path, segment);
      current = isNode(current) ? current[segment] : undefined;
    }
  }
  return path;
}

function valueAt(pointer: string, value: unknown): unknown {
  let current: unknown = value;
  for (const segment of pointerSegments(pointer)) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else current = isNode(current) ? current[segment] : undefined;
  }
  return current;
}
