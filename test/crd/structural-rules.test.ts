/**
 * The structural checker itself: it must catch what the API server rejects, or the CRD test
 * that relies on it proves nothing.
 */
import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { applyDefaults, schemaAt, structuralProblems } from "./structural-rules.js";

function withSpec(spec: Record<string, unknown>): IJSONSchemaProps {
  return { type: "object", properties: { metadata: { type: "object" }, spec } };
}

const described = (schema: Record<string, unknown>) => ({ description: "d", ...schema });

describe("structuralProblems", () => {
  it("accepts a small valid schema", () => {
    const spec = described({
      type: "object",
      default: {},
      properties: {
        count: described({ "x-kubernetes-int-or-string": true, default: 1 }),
        size: described({ "x-kubernetes-preserve-unknown-fields": true }),
        labels: described({ type: "object", additionalProperties: { type: "string" } }),
        extra: described({ type: "object", "x-kubernetes-preserve-unknown-fields": true }),
        tags: described({ type: "array", items: { type: "string" } }),
      },
    });
    expect(structuralProblems(withSpec(spec))).toEqual([]);
  });

  it.each([
    ["a node without a type", { a: described({ description: "x" }) }, "spec.a: type is missing"],
    [
      "additionalProperties: false",
      { a: described({ type: "object", additionalProperties: false }) },
      "spec.a: additionalProperties: false is not allowed",
    ],
    [
      "properties with additionalProperties",
      {
        a: described({
          type: "object",
          properties: { b: described({ type: "string" }) },
          additionalProperties: { type: "string" },
        }),
      },
      "spec.a: additionalProperties cannot be combined with properties",
    ],
    [
      "a type on an int-or-string node",
      { a: described({ type: "string", "x-kubernetes-int-or-string": true }) },
      "spec.a: x-kubernetes-int-or-string nodes must not have a type",
    ],
    ["a $ref", { a: described({ $ref: "#/definitions/x" }) }, "spec.a: $ref is not allowed"],
    ["a missing description", { a: { type: "string" } }, "spec.a: description is missing"],
    [
      "a type inside anyOf",
      { a: described({ type: "string", anyOf: [{ type: "string", pattern: "x" }, { pattern: "y" }] }) },
      "spec.a.anyOf[0]: type is not allowed inside anyOf",
    ],
    [
      "an array without items",
      { a: described({ type: "array" }) },
      "spec.a: an array needs items (one schema)",
    ],
    [
      "a default that fails its schema",
      { a: described({ type: "integer", default: "one" }) },
      "spec.a: default is invalid: must be integer",
    ],
    [
      "a default with pruned fields",
      {
        a: described({ type: "object", properties: { b: described({ type: "string" }) }, default: { c: 1 } }),
      },
      "spec.a: default is invalid: c: field not declared in schema",
    ],
  ])("reports %s", (_case, properties, problem) => {
    expect(structuralProblems(withSpec({ type: "object", description: "spec", properties }))).toContain(
      problem,
    );
  });

  it("allows the int-or-string anyOf pattern", () => {
    const a = described({
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }],
    });
    expect(structuralProblems(withSpec({ type: "object", description: "s", properties: { a } }))).toEqual([]);
  });

  it("allows metadata to constrain only name and generateName", () => {
    const schema = {
      type: "object",
      properties: {
        metadata: { type: "object", properties: { name: { type: "string" }, labels: { type: "object" } } },
      },
    } as IJSONSchemaProps;
    expect(structuralProblems(schema)).toEqual([
      "metadata.labels: only metadata.name and metadata.generateName may be specified",
    ]);
  });
});

describe("schemaAt", () => {
  it("follows properties and stops at undeclared fields", () => {
    const schema = withSpec({ type: "object", properties: { a: { type: "string" } } });
    expect(schemaAt(schema, ".spec.a")).toEqual({ type: "string" });
    expect(schemaAt(schema, ".spec.b")).toBeUndefined();
    expect(schemaAt(schema, "spec.a")).toBeUndefined();
  });
});

describe("applyDefaults", () => {
  it("defaults inside defaults and inside list items, never over a set value", () => {
    const schema = {
      type: "object",
      properties: {
        a: { type: "object", default: {}, properties: { b: { type: "integer", default: 1 } } },
        list: {
          type: "array",
          items: { type: "object", properties: { c: { type: "string", default: "x" } } },
        },
      },
    };
    expect(applyDefaults({ list: [{}, { c: "y" }] }, schema)).toEqual({
      a: { b: 1 },
      list: [{ c: "x" }, { c: "y" }],
    });
  });
});
