import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { crdValidator, formatSchemaError } from "./validate.js";

const schema: IJSONSchemaProps = {
  type: "object",
  properties: {
    metadata: { type: "object" },
    spec: {
      type: "object",
      required: ["mode"],
      properties: {
        mode: { type: "string", enum: ["a", "b"] },
        count: { "x-kubernetes-int-or-string": true },
        size: { "x-kubernetes-preserve-unknown-fields": true },
        extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        labels: { type: "object", additionalProperties: { type: "string" } },
        items: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string" } } },
        },
      },
    },
  },
};

const messages = (value: unknown, rejectUnknownFields?: boolean) =>
  crdValidator(
    schema,
    rejectUnknownFields === undefined ? {} : { rejectUnknownFields },
  )(value).map(formatSchemaError);

describe("crdValidator", () => {
  it("accepts integers and strings where int-or-string is marked, and nothing else", () => {
    expect(messages({ spec: { mode: "a", count: 2 } })).toEqual([]);
    expect(messages({ spec: { mode: "a", count: "2" } })).toEqual([]);
    for (const count of [1.5, true, [1], { n: 1 }, null]) {
      expect(messages({ spec: { mode: "a", count } })).toEqual(["spec.count: must be integer or string"]);
    }
  });

  it("lets preserved scalars and objects hold anything", () => {
    expect(messages({ spec: { mode: "a", size: { any: 1 }, extra: { deep: { x: [1] } } } })).toEqual([]);
  });

  it("names list items by index and map entries by key", () => {
    expect(
      messages({ spec: { mode: "a", items: [{ name: "x" }, { name: 2 }], labels: { "0": 1 } } }),
    ).toEqual(["spec.labels.0: must be string", "spec.items[1].name: must be string"]);
  });

  it("says which values an enum allows and which fields are required", () => {
    expect(messages({ spec: { mode: "c" } })).toEqual([
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
    ]);
    expect(messages({ spec: {} })).toEqual(["spec.mode: Required value"]);
  });

  it("rejects undeclared fields like kubectl's strict validation, unless asked not to", () => {
    expect(messages({ spec: { mode: "a", typo: 1 }, other: 1 })).toEqual([
      "other: field not declared in schema",
      "spec.typo: field not declared in schema",
    ]);
    expect(messages({ spec: { mode: "a", typo: 1 } }, false)).toEqual([]);
  });

  it("leaves metadata to the API server's ObjectMeta checks", () => {
    expect(messages({ metadata: { name: "x", labels: { a: "b" } }, spec: { mode: "a" } })).toEqual([]);
  });

  it("reports a problem with the object itself without a path", () => {
    expect(messages([])).toEqual(["must be object"]);
  });
});
