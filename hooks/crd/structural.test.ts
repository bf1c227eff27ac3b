import { z } from "zod";
import { describe, expect, it } from "vitest";
import { count, labelMap, quantity, stringish } from "./fields.js";
import { CrdSchemaError, structuralSchema } from "./structural.js";

function convert(schema: z.ZodType) {
  return structuralSchema(schema, { path: "spec" });
}

function problem(schema: z.ZodType): string {
  try {
    convert(schema);
  } catch (err) {
    if (err instanceof CrdSchemaError) return err.message;
    throw err;
  }
  return "no error";
}

describe("structuralSchema", () => {
  it("turns count() into a bare int-or-string node with its default, stringish() into a typeless scalar", () => {
    const schema = convert(
      z
        .object({
          instances: count("How many.", { min: 0, default: 1 }),
          value: stringish("A value."),
        })
        .describe("Spec."),
    );
    expect(schema.properties?.["instances"]).toEqual({
      description: "How many.",
      default: 1,
      "x-kubernetes-int-or-string": true,
    });
    expect(schema.properties?.["value"]).toEqual({
      description: "A value.",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  it("turns quantity() into a typeless scalar the API server keeps as written", () => {
    const schema = convert(z.object({ memory: quantity("Memory.") }).describe("Spec."));
    expect(schema.properties?.["memory"]).toEqual({
      description: "Memory.",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  it("turns a marked loose object into a preserved object without properties", () => {
    const schema = convert(
      z
        .object({
          affinity: z
            .looseObject({})
            .meta({ "x-kubernetes-preserve-unknown-fields": true })
            .describe("Affinity."),
        })
        .describe("Spec."),
    );
    expect(schema.properties?.["affinity"]).toEqual({
      description: "Affinity.",
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  it("keeps maps, enums, patterns, real bounds and defaults; drops zod's implicit integer range", () => {
    const schema = convert(
      z
        .object({
          labels: labelMap("Labels."),
          policy: z.enum(["A", "B"]).default("A").describe("Policy."),
          version: z.string().regex(/^\d+$/).describe("Version."),
          port: z.int32().min(1).describe("Port."),
          big: z.int().describe("Big."),
        })
        .describe("Spec."),
    );
    expect(schema.properties).toEqual({
      labels: { description: "Labels.", type: "object", additionalProperties: { type: "string" } },
      policy: { description: "Policy.", type: "string", enum: ["A", "B"], default: "A" },
      version: { description: "Version.", type: "string", pattern: "^\\d+$" },
      port: { description: "Port.", type: "integer", minimum: 1 },
      big: { description: "Big.", type: "integer" },
    });
  });

  it("drops additionalProperties: false from strict objects", () => {
    const schema = convert(z.strictObject({ a: z.string().describe("A.") }).describe("Spec."));
    expect(schema).toEqual({
      description: "Spec.",
      type: "object",
      required: ["a"],
      properties: { a: { description: "A.", type: "string" } },
    });
  });

  it("keeps nullable and turns examples into example", () => {
    const schema = convert(
      z
        .object({
          a: z
            .string()
            .nullable()
            .meta({ examples: ["x"] })
            .describe("A."),
        })
        .describe("Spec."),
    );
    expect(schema.properties?.["a"]).toEqual({
      description: "A.",
      type: "string",
      nullable: true,
      example: "x",
    });
  });

  it("puts a root default given by the caller", () => {
    expect(structuralSchema(z.object({}).describe("S."), { path: "spec", default: {} })).toEqual({
      description: "S.",
      type: "object",
      default: {},
      properties: {},
    });
  });

  it.each([
    [
      "a field without a description",
      z.object({ a: z.object({ b: z.string() }).describe("A.") }),
      'spec.a.b: has no description: add .describe("…") to its zod schema',
    ],
    [
      "a union",
      z.object({ a: z.union([z.string(), z.boolean()]).describe("A.") }),
      "spec.a: unions are not structural",
    ],
    ["an untyped value", z.object({ a: z.unknown().describe("A.") }), "spec.a: has no type"],
    [
      "a loose object without the marker",
      z.object({ a: z.looseObject({}).describe("A.") }),
      "spec.a: an object with arbitrary fields needs",
    ],
    [
      "a schema with an id (a $ref)",
      z.object({ a: z.object({}).meta({ id: "A" }).describe("A.") }),
      "spec: definitions are not allowed",
    ],
    ["a tuple", z.object({ a: z.tuple([z.string()]).describe("A.") }), "spec.a[]: unions are not structural"],
  ])("refuses %s, naming the field", (_case, schema, message) => {
    expect(problem(schema.describe("Spec."))).toContain(message);
  });

  it("refuses an int-or-string marker on something else than integer | string", () => {
    const schema = z
      .object({
        a: z.union([z.boolean(), z.string()]).meta({ "x-kubernetes-int-or-string": true }).describe("A."),
      })
      .describe("Spec.");
    expect(problem(schema)).toBe(
      "spec.a: x-kubernetes-int-or-string must mark a union of an integer and a string",
    );
  });

  it("refuses what zod cannot represent", () => {
    expect(() => convert(z.object({ a: z.date().describe("A.") }).describe("Spec."))).toThrow();
  });
});
