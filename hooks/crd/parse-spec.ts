/**
 * Parsing a custom resource's spec with its zod schema, the way every controller reports a bad
 * one: one message per problem, each starting with the field path users see in their manifest
 * (`spec.worker.instances: …`, `spec.driver.env[0].name: …`), ready for an InvalidSpec condition.
 */
import type { z } from "zod";
import { defined, type Defined } from "../kube/defined.js";

export type SpecParse<Spec> =
  { readonly ok: true; readonly spec: Spec } | { readonly ok: false; readonly errors: readonly string[] };

export function parseSpecWith<S extends z.ZodType>(schema: S, raw: unknown): SpecParse<Defined<z.output<S>>> {
  // An absent spec is an empty one: every field then takes its default.
  const result = schema.safeParse(raw ?? {});
  if (result.success) return { ok: true, spec: defined(result.data) };
  const errors = result.error.issues.map((issue) => {
    const path = issue.path.reduce<string>(
      (text, key) => (typeof key === "number" ? `${text}[${key}]` : `${text}.${String(key)}`),
      "spec",
    );
    return `${path}: ${issue.message}`;
  });
  return { ok: false, errors };
}
