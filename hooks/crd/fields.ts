/**
 * zod building blocks for CRD-facing schemas. Each one parses what users write (including the
 * quoted numbers radanalytics examples use) into a normalised value, and carries the OpenAPI
 * hints `generate.ts` turns into a structural CRD schema.
 */
import { z } from "zod";
import { nestsDeeperThan } from "../kube/json-depth.js";
import { isLabelValue, isQualifiedName } from "../kube/names.js";
import { parseQuantity, type Quantity } from "../kube/quantity.js";

/** Marks a node the API server should accept as integer or string (`"2"` or `2`). */
export const INT_OR_STRING = "x-kubernetes-int-or-string";
/** Marks a scalar of any JSON type, validated by the hook instead of the API server. */
export const ANY_SCALAR = "x-kubernetes-preserve-unknown-fields";

export interface CountBounds {
  readonly min: number;
  /**
   * The largest count accepted. The CRD carries it too: as `maximum` for the integer form
   * (what the scale subresource writes, validated against the schema like any other write) and
   * as a `pattern` for the quoted form, so the API server refuses what the hook would.
   */
  readonly max?: number;
  readonly default?: number;
}

/** A whole number written as a number or a quoted number, within `bounds`. */
export function count(description: string, bounds: CountBounds) {
  const { min, max } = bounds;
  // Any safe integer gets through to the range check below, so a count out of range is told
  // its range rather than zod's int32 bounds.
  const input = z.union([z.int(), z.string()]);
  const withDefault = bounds.default === undefined ? input : input.prefault(bounds.default);
  const expected =
    max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return withDefault
    .transform((value, ctx) => {
      const parsed = typeof value === "number" ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(parsed) || parsed < min || (max !== undefined && parsed > max)) {
        ctx.addIssue({ code: "custom", message: `must be ${expected}, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return parsed;
    })
    .meta({
      [INT_OR_STRING]: true,
      description,
      ...(max === undefined ? {} : { maximum: max, pattern: quotedCountPattern(max) }),
    });
}

/**
 * A pattern (RE2 and JavaScript alike) for the quoted counts whose magnitude is at most `max`,
 * with the blanks and sign the hook accepts. The sign is left to the hook, which explains a
 * negative count better than a pattern can; the pattern is there so a huge quoted count never
 * gets past the API server.
 */
export function quotedCountPattern(max: number): string {
  if (!Number.isSafeInteger(max) || max < 0)
    throw new Error(`a count's maximum must be a whole number, got ${max}`);
  const digits = String(max);
  // Shorter numbers, then for each position: the same prefix, a smaller digit, anything after.
  const alternatives = digits.length > 1 ? [`[0-9]{1,${digits.length - 1}}`] : [];
  for (let i = 0; i < digits.length; i += 1) {
    const digit = Number(digits[i]);
    const lowest = i === 0 && digits.length > 1 ? 1 : 0;
    if (digit <= lowest) continue;
    const rest = digits.length - i - 1;
    const smaller = digit - 1 === lowest ? `${lowest}` : `[${lowest}-${digit - 1}]`;
    alternatives.push(`${digits.slice(0, i)}${smaller}${rest > 0 ? `[0-9]{${rest}}` : ""}`);
  }
  alternatives.push(digits);
  return `^\\s*-?0*(${alternatives.join("|")})\\s*$`;
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

/**
 * How deep a preserved object may nest. The deepest Kubernetes type we pass on, Affinity, is 10
 * levels of objects and lists; the API server would store 10,000, which no JSON.stringify (the
 * pod template hash, the hook's answer) survives.
 */
export const MAX_PRESERVED_DEPTH = 32;

/**
 * An object whose fields the API server keeps as written (a Kubernetes type we do not model,
 * such as Affinity): any fields, nested at most MAX_PRESERVED_DEPTH levels.
 */
export function preservedObject(description: string) {
  return z
    .looseObject({})
    .superRefine((value, ctx) => {
      if (nestsDeeperThan(value, MAX_PRESERVED_DEPTH)) {
        ctx.addIssue({
          code: "custom",
          message: `nests objects and lists more than ${MAX_PRESERVED_DEPTH} levels deep`,
        });
      }
    })
    .meta({ [ANY_SCALAR]: true })
    .describe(description);
}

const Condition = z
  .object({
    type: z.string().describe("Ready, Reconciling, Stalled or UnsupportedFields."),
    status: z.enum(["True", "False", "Unknown"]).describe("Condition status."),
    reason: z.string().describe("CamelCase reason."),
    message: z.string().describe("Human-readable detail."),
    lastTransitionTime: z.string().describe("When status last changed (RFC 3339)."),
    observedGeneration: z.int().optional().describe("The metadata.generation this condition describes."),
  })
  .describe("A Kubernetes-style condition (metav1.Condition).");

/**
 * status.conditions as kstatus tools and `kubectl wait` read them (hooks/kube/conditions.ts
 * settles their timestamps): a list keyed by type, so a server-side apply merges per condition.
 */
export function conditionList(description: string) {
  return z
    .array(Condition)
    .optional()
    .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
    .describe(description);
}
