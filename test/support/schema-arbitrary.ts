/**
 * fast-check values for a CRD's structural schema: whatever the API server would admit, from
 * the generated schema itself, so a property over it covers every field a controller declares
 * (and every field added later) without listing them. Most values are plausible, so that most
 * generated objects get past the hook's own validation; the rest lean towards the edges:
 * bounds, empty and odd strings, numbers written as strings, quantities near overflow.
 */
import fc from "fast-check";
import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { ANY_SCALAR, INT_OR_STRING } from "../../hooks/crd/fields.js";

/** Strings a field without a pattern may hold: plausible values first, then anything. */
const text = fc.oneof(
  {
    arbitrary: fc.constantFrom("a", "spark", "x-1", "registry.example.com/spark:4.3.0", "4.3.0", "0"),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom("", " ", "toString", "__proto__", "a\nb", "é", "\u2028", "$(POD_IP)"),
    weight: 1,
  },
  { arbitrary: fc.string({ maxLength: 24 }), weight: 1 },
);

/** Scalars for a field the hook validates itself (quantities, env values, Spark settings). */
const anyScalar = fc.oneof(
  {
    arbitrary: fc.constantFrom("2Gi", "4Gi", "3Gi", "1408Mi", "500m", "2", "1", "1.5Gi", 2, 4096 * 2 ** 20),
    weight: 8,
  },
  { arbitrary: fc.constantFrom("0.5", "1e3", "4e9", "-1", "0", "1e308", "9Ei", "0.001m", "1e-9"), weight: 1 },
  { arbitrary: fc.constantFrom(0, 0.5, -1, 2 ** 31, 2 ** 53, 1e308, 5e-324, true, false), weight: 1 },
  { arbitrary: text, weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);

/** Where a stand-in for a deeply nested object keeps its depth (see `deepObject`). */
const DEPTH = Symbol("depth");

/**
 * A stand-in for `levels` objects nested in one another (`{"a":{"a":…}}`), as deep as the API
 * server lets a user go, until `jsonText` writes it out: fast-check, JSON.stringify and most
 * test helpers recurse and would overflow the stack on the real thing. An empty object to
 * everything else (a symbol key), and copied along by object spreads.
 */
export function deepObject(levels: number): Record<string, never> {
  return { [DEPTH]: levels };
}

function depthOf(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const levels = (value as { [DEPTH]?: unknown })[DEPTH];
  return typeof levels === "number" ? levels : undefined;
}

/** JSON text of `value` with every deepObject written out in full. */
export function jsonText(value: unknown): string {
  const deep: number[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    const levels = depthOf(item);
    return levels === undefined ? item : `\u0000deep:${deep.push(levels) - 1}\u0000`;
  });
  return text.replace(/"\\u0000deep:(\d+)\\u0000"/g, (_match, index: string) => {
    const levels = deep[Number(index)] ?? 1;
    return '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
  });
}

/**
 * Any JSON object, for fields that keep whatever they are given: small ones mostly, sometimes
 * nested up to the API server's 10,000 levels or ~600 KiB large (under its object size limit).
 */
const preserved = fc.oneof(
  {
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
    weight: 18,
  },
  { arbitrary: fc.integer({ min: 2, max: 10_000 }).map(deepObject), weight: 1 },
  {
    arbitrary: fc
      .integer({ min: 1, max: 20_000 })
      .map((n) => ({ values: Array.from({ length: n }, (_, i) => `value-${i}-abcdefghijklmnopqrstuvw`) })),
    weight: 1,
  },
);

/**
 * Mostly small counts (1 above all: the one master), sometimes the bounds, sometimes anything.
 * A field whose bounds exclude small counts (a port from 1024) gets only the last two.
 */
function integer(schema: IJSONSchemaProps): fc.Arbitrary<number> {
  const min = schema.minimum ?? -(2 ** 31);
  const max = schema.maximum ?? 2 ** 31 - 1;
  const between = (low: number, high: number, weight: number) =>
    Math.max(min, low) <= Math.min(max, high)
      ? [{ arbitrary: fc.integer({ min: Math.max(min, low), max: Math.min(max, high) }), weight }]
      : [];
  return fc.oneof(
    ...between(1, 1, 12),
    ...between(0, 12, 6),
    { arbitrary: fc.constantFrom(min, max), weight: 1 },
    { arbitrary: fc.integer({ min, max }), weight: 1 },
  );
}

function string(schema: IJSONSchemaProps): fc.Arbitrary<string> {
  if (schema.enum !== undefined) return fc.constantFrom(...(schema.enum as string[]));
  const matching = schema.pattern === undefined ? text : fc.stringMatching(new RegExp(schema.pattern));
  const { minLength = 0, maxLength = Number.POSITIVE_INFINITY } = schema;
  return matching.filter((value) => value.length >= minLength && value.length <= maxLength);
}

/** A field left out, as most are in a real manifest. */
const ABSENT = Symbol("absent");

/** An object with each optional property present one time in four, so most objects stay usable. */
function object(schema: IJSONSchemaProps): fc.Arbitrary<Record<string, unknown>> {
  const required = new Set(schema.required ?? []);
  const properties = Object.entries(schema.properties ?? {}).map(([name, child]) => {
    const value = arbitraryFor(child);
    const sometimes = fc.oneof(
      { arbitrary: fc.constant(ABSENT), weight: 3 },
      { arbitrary: value, weight: 1 },
    );
    return [name, required.has(name) ? value : sometimes] as const;
  });
  return fc
    .record(Object.fromEntries(properties))
    .map((record) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== ABSENT)));
}

/** Values of `schema`, and of every node under it. */
export function arbitraryFor(schema: IJSONSchemaProps): fc.Arbitrary<unknown> {
  const extensions = schema as Record<string, unknown>;
  if (extensions[INT_OR_STRING] === true) {
    return fc.oneof(integer(schema), integer(schema).map(String), string(schema));
  }
  if (extensions[ANY_SCALAR] === true && schema.type === undefined) return anyScalar;
  if (extensions[ANY_SCALAR] === true && schema.type === "object" && schema.properties === undefined) {
    return preserved;
  }
  switch (schema.type) {
    case "string":
      return string(schema);
    case "integer":
      return integer(schema);
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "array":
      if (schema.items === undefined) throw new Error("an array schema without items");
      return fc.array(arbitraryFor(schema.items), { maxLength: schema.maxItems ?? 4 });
    case "object": {
      const additional = schema.additionalProperties;
      if (typeof additional === "object") {
        return fc.dictionary(string({}), arbitraryFor(additional), { maxKeys: 4 });
      }
      return object(schema);
    }
    default:
      throw new Error(`no arbitrary for a schema of type ${String(schema.type)}`);
  }
}
