/**
 * Which spec a run was started from. kubeflow reruns an application whose spec changed, except
 * for fields that do not change what a run does: suspend and timeToLiveSeconds (kubeflow), and
 * here also restartPolicy and driver.startTimeoutSeconds, which only decide what happens after
 * or around a run. Raising the retries of a failed application should not rerun it by itself.
 */
import { shortHash } from "../kube/names.js";
import type { SparkApplicationSpec } from "./schema.js";

/** JSON with object keys sorted, so the hash does not depend on the order fields were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function runSpecHash(spec: SparkApplicationSpec): string {
  const {
    suspend: _suspend,
    timeToLiveSeconds: _ttl,
    restartPolicy: _restartPolicy,
    driver: { startTimeoutSeconds: _startTimeout, ...driver },
    ...rest
  } = spec;
  return shortHash(canonical({ ...rest, driver }), 16);
}
