/**
 * zod building blocks for CRD-facing schemas. Each one parses what users write (including the
 * quoted numbers radanalytics examples use) into a normalised value, and carries the OpenAPI
 * hints `generate.ts` turns into a structural CRD schema.
 */
import { z } from "zod";
import { isLabelValue, isQualifiedName } from "../kube/names.js";
import { parseQuantity, type Quantity } from "../kube/quantity.js";

/** Marks a node the API server should accept as integer or string (`"2"` or `2`). */
export const INT_OR_STRING = "x-kubernetes-int-or-string";
/** Marks a scalar of any JSON type, validated by the hook instead of the API server. */
export const ANY_SCALAR = "x-kubernetes-preserve-unknown-fields";

/** A whole number written as a number or a quoted number, at least `min`. */
export function count(description: string, options: { min: number; default?: number }) {
  const input = z.union([z.int32(), z.string()]);
  const withDefault = options.default === undefined ? input : input.prefault(options.default);
  return withDefault
    .transform((value, ctx) => {
      const parsed = typeof value === "number" ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(parsed) || parsed < options.min) {
        ctx.addIssue({
          code: "custom",
          message: `must be a whole number of at least ${options.min}, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return parsed;
    })
    .meta({ [INT_OR_STRING]: true, description });
}

/** A Kubernetes quantity ("500m", 0.5, "2Gi"); numbers are accepted as YAML writes them. */
export function quantity(description: string) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx): Quantity => {
      const parsed = parseQuantity(value);
      if (parsed === undefined || parsed.value <= 0) {
        ctx.addIssue({
          code: "custom",
          message: `must be a positive Kubernetes quantity such as "500m", "2" or "4Gi", got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return parsed;
    })
    .meta({ [ANY_SCALAR]: true, description });
}

/**
 * A string value that users may also write as a bare YAML number or boolean (env values, Spark
 * settings such as `0.6` or `true`). Typed loosely for the API server; the hook rejects
 * anything that is not a scalar.
 */
export function stringish(description: string) {
  return z
    .union([z.string(), z.number(), z.boolean()])
    .transform((value) => String(value))
    .meta({ [ANY_SCALAR]: true, description });
}

/** Label map with Kubernetes' key and value rules checked by the hook. */
export function labelMap(description: string) {
  return z
    .record(z.string(), z.string())
    .superRefine((labels, ctx) => {
      for (const [key, value] of Object.entries(labels)) {
        if (!isQualifiedName(key)) {
          ctx.addIssue({ code: "custom", path: [key], message: "is not a valid label key" });
        } else if (!isLabelValue(value)) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `value ${JSON.stringify(value)} is not a valid label value (63 characters at most: alphanumerics, '-', '_', '.')`,
          });
        }
      }
    })
    .describe(description);
}
