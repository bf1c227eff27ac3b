/**
 * Metacontroller's dynamic-apply update of an existing child, in TypeScript.
 *
 * A port of `pkg/dynamic/apply/apply.go` (`Merge`, `SetLastApplied`, `GetLastApplied`) and of
 * `ApplyUpdate` + `revertObjectMetaSystemFields` in `pkg/controller/common/manage_children.go`
 * (Metacontroller v4.17.2), including its quirks, so the test harness makes exactly the writes the
 * real Metacontroller would:
 * - a field present in last-applied but missing from desired is removed; a field nobody ever
 *   applied (set by the API server or another controller) is kept;
 * - a list whose items (in observed, last-applied and desired together) are all objects sharing
 *   one of the keys `containerPort`, `port`, `mountPath`, `name`, `uid`, `ip`, `path` (first match
 *   wins) is merged item by item; any other list is replaced by the desired one;
 * - where observed holds an object (or list map) and desired holds something else, desired counts
 *   as "no fields" (Go's failed type assertion gives a nil map): only last-applied keys are removed;
 * - observed items sharing a merge key value collapse into one (metacontroller#371);
 * - `metadata.{selfLink,uid,resourceVersion,generation,creationTimestamp,deletionTimestamp,
 *   deletionGracePeriodSeconds}` and `.status` are reverted to observed (managedFields and
 *   ownerReferences are not special: desired never sets them, so the merge keeps observed's);
 * - the last-applied annotation is written as Go's `json.Marshal` would: keys sorted, `<>&` and
 *   U+2028/U+2029 escaped, so an unchanged desired object gives a byte-identical annotation.
 * Pure: inputs are never mutated.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export const LAST_APPLIED_ANNOTATION = "metacontroller.k8s.io/last-applied-configuration";

/** Conventional list-map keys, highest precedence first (`knownMergeKeys` in apply.go). */
export const MERGE_KEYS = ["containerPort", "port", "mountPath", "name", "uid", "ip", "path"] as const;

/** `objectMetaSystemFields` in manage_children.go. */
export const OBJECT_META_SYSTEM_FIELDS = [
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
] as const;

export class MergeError extends Error {
  override name = "MergeError";
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** Deep equality of JSON values; object key order is irrelevant, a missing key differs from null. */
export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}

/**
 * JSON text as Go's `encoding/json.Marshal` writes a `map[string]interface{}`: object keys sorted
 * (by UTF-8 bytes, which equals UTF-16 order for the ASCII keys Kubernetes uses) and HTML-sensitive
 * characters escaped.
 */
export function goJson(value: Json): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] as Json);
  return out;
}

/** `GetLastApplied`: the parsed annotation, or null if absent or empty. Throws on bad JSON. */
export function getLastApplied(obj: JsonObject): JsonObject | null {
  const text = annotationsOf(obj)?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== "string" || text === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MergeError(`can't unmarshal "${LAST_APPLIED_ANNOTATION}" annotation: ${String(err)}`);
  }
  if (!isObject(parsed)) {
    throw new MergeError(`can't unmarshal "${LAST_APPLIED_ANNOTATION}" annotation: not an object`);
  }
  return parsed;
}

/**
 * `SetLastApplied(obj, obj)`, as done before creating a child: a copy of `desired` whose
 * last-applied annotation holds the JSON of `desired` itself.
 */
export function withLastApplied(desired: JsonObject): JsonObject {
  return setLastApplied(clone(desired), desired);
}

function setLastApplied(target: JsonObject, lastApplied: JsonObject): JsonObject {
  const text = goJson(lastApplied);
  const metadata = isObject(target["metadata"]) ? target["metadata"] : (target["metadata"] = {});
  const annotations = isObject(metadata["annotations"])
    ? metadata["annotations"]
    : (metadata["annotations"] = {});
  annotations[LAST_APPLIED_ANNOTATION] = text;
  return target;
}

function annotationsOf(obj: JsonObject): JsonObject | undefined {
  const metadata = obj["metadata"];
  if (!isObject(metadata)) return undefined;
  const annotations = metadata["annotations"];
  return isObject(annotations) ? annotations : undefined;
}

/** `apply.Merge`: apply the change from lastApplied to desired onto a copy of observed. */
export function threeWayMerge(
  observed: JsonObject,
  lastApplied: JsonObject | null,
  desired: JsonObject,
): JsonObject {
  const destination = clone(observed);
  mergeObject(destination, lastApplied, desired);
  return destination;
}

function mergeValue(destination: Json | undefined, lastApplied: Json | undefined, desired: Json): Json {
  if (isObject(destination)) {
    // Go: a failed type assertion yields a nil map, so a non-object is treated as "no fields".
    mergeObject(destination, isObject(lastApplied) ? lastApplied : null, isObject(desired) ? desired : null);
    return destination;
  }
  if (Array.isArray(destination)) {
    return mergeArray(
      destination,
      Array.isArray(lastApplied) ? lastApplied : null,
      Array.isArray(desired) ? desired : null,
    );
  }
  // A scalar, null or missing destination just takes the desired value.
  return clone(desired);
}

function mergeObject(
  destination: JsonObject,
  lastApplied: JsonObject | null,
  desired: JsonObject | null,
): void {
  // Remove fields that were present in lastApplied, but no longer in desired.
  for (const key of Object.keys(lastApplied ?? {})) {
    if (desired === null || !Object.hasOwn(desired, key)) delete destination[key];
  }
  // Add or update every field present in desired.
  for (const [key, desVal] of Object.entries(desired ?? {})) {
    const last = lastApplied !== null && Object.hasOwn(lastApplied, key) ? lastApplied[key] : undefined;
    const dest = Object.hasOwn(destination, key) ? destination[key] : undefined;
    destination[key] = mergeValue(dest, last, desVal);
  }
}

function mergeArray(destination: Json[], lastApplied: Json[] | null, desired: Json[] | null): Json {
  const mergeKey = detectListMapKey(destination, lastApplied ?? [], desired ?? []);
  if (mergeKey !== undefined) return mergeListMap(mergeKey, destination, lastApplied ?? [], desired ?? []);
  // A normal array is replaced wholesale. A non-array desired was a nil slice in Go: JSON null.
  return desired === null ? null : clone(desired);
}

function mergeListMap(mergeKey: string, destination: Json[], lastApplied: Json[], desired: Json[]): Json[] {
  const destMap = makeListMap(mergeKey, destination);
  mergeObject(destMap, makeListMap(mergeKey, lastApplied), makeListMap(mergeKey, desired));

  // Back to a list, keeping destination's order, then appending new desired items.
  const out: Json[] = [];
  const added = new Set<string>();
  for (const item of destination) {
    const key = stringMergeKey((item as JsonObject)[mergeKey]);
    if (Object.hasOwn(destMap, key)) {
      // Go does not check `added` here: observed duplicates of one key are emitted twice.
      out.push(destMap[key] as Json);
      added.add(key);
    }
  }
  for (const item of desired) {
    const key = stringMergeKey((item as JsonObject)[mergeKey]);
    if (!added.has(key)) {
      out.push(destMap[key] as Json);
      added.add(key);
    }
  }
  return out;
}

function makeListMap(mergeKey: string, list: readonly Json[]): JsonObject {
  const out: JsonObject = {};
  for (const item of list) out[stringMergeKey((item as JsonObject)[mergeKey])] = item;
  return out;
}

/** `stringMergeKey`: strings as they are, anything else as Go's `%v` would print it. */
function stringMergeKey(value: Json | undefined): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** `detectListMapKey`: the first known key that every item of every list has, if all are objects. */
export function detectListMapKey(...lists: readonly (readonly Json[])[]): string | undefined {
  let common: Set<string> | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) return undefined;
      if (common === undefined) {
        common = new Set(Object.keys(item));
        continue;
      }
      for (const key of common) if (!Object.hasOwn(item, key)) common.delete(key);
    }
  }
  return MERGE_KEYS.find((key) => common?.has(key) ?? false);
}

/** `revertField`: make `path` in `target` what it is in `source` (present or absent). */
function revertField(target: JsonObject, source: JsonObject, path: readonly string[]): void {
  let src: Json | undefined = source;
  for (const part of path) {
    src = isObject(src) && Object.hasOwn(src, part) ? src[part] : undefined;
    if (src === undefined) break;
  }
  const parents = path.slice(0, -1);
  const leaf = path[path.length - 1] as string;
  if (src !== undefined) {
    let cursor = target;
    for (const part of parents) {
      const next = cursor[part];
      if (!isObject(next)) cursor[part] = {};
      cursor = cursor[part] as JsonObject;
    }
    cursor[leaf] = clone(src);
  } else {
    let cursor: Json | undefined = target;
    for (const part of parents) cursor = isObject(cursor) ? cursor[part] : undefined;
    if (isObject(cursor)) delete cursor[leaf];
  }
}

export interface ApplyUpdateResult {
  /** The full object to PUT (observed + changes, resourceVersion of observed). */
  readonly merged: JsonObject;
  /** Whether `merged` differs from observed; Metacontroller writes only if it does. */
  readonly changed: boolean;
}

/**
 * `ApplyUpdate` + the DeepEqual check in `updateChildren`: the object Metacontroller would write
 * for an existing child `observed` when the hook now returns `desired`.
 */
export function applyUpdate(observed: JsonObject, desired: JsonObject): ApplyUpdateResult {
  const lastApplied = getLastApplied(observed);
  // nullifyLastAppliedAnnotation(update): a desired object cannot carry its own last-applied.
  const update = clone(desired);
  const updateAnnotations = annotationsOf(update);
  if (updateAnnotations !== undefined && Object.hasOwn(updateAnnotations, LAST_APPLIED_ANNOTATION)) {
    updateAnnotations[LAST_APPLIED_ANNOTATION] = "";
  }
  const merged = threeWayMerge(observed, lastApplied, update);
  for (const field of OBJECT_META_SYSTEM_FIELDS) revertField(merged, observed, ["metadata", field]);
  revertField(merged, observed, ["status"]);
  setLastApplied(merged, update);
  return { merged, changed: !deepEqual(merged, observed) };
}
