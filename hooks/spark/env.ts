/**
 * Container environment: the variables Spark needs from Kubernetes, and the user's `env`
 * field turned into Kubernetes EnvVars.
 */
import type { IEnvVar } from "kubernetes-models/v1";
import type { EnvVarSpec } from "./schemas.js";

/** The pod's IP, for `--host`: Spark must bind to and advertise an address it owns. */
export const POD_IP_ENV: IEnvVar = {
  name: "POD_IP",
  valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } },
};

/** The `env` field as Kubernetes EnvVars; refs carry only the keys the user set. */
export function userEnv(entries: readonly EnvVarSpec[] | undefined): IEnvVar[] {
  return (entries ?? []).map((entry) => {
    const from = entry.valueFrom;
    if (from === undefined) return { name: entry.name, value: entry.value ?? "" };
    const valueFrom = {
      ...(from.secretKeyRef === undefined ? {} : { secretKeyRef: from.secretKeyRef }),
      ...(from.configMapKeyRef === undefined ? {} : { configMapKeyRef: from.configMapKeyRef }),
      ...(from.fieldRef === undefined
        ? {}
        : { fieldRef: { apiVersion: "v1", fieldPath: from.fieldRef.fieldPath } }),
    };
    return { name: entry.name, valueFrom };
  });
}

/** Our variables first; a user variable of the same name replaces ours rather than duplicating it. */
export function mergeEnv(ours: readonly IEnvVar[], theirs: readonly IEnvVar[]): IEnvVar[] {
  const overridden = new Set(theirs.map((entry) => entry.name));
  return [...ours.filter((entry) => !overridden.has(entry.name)), ...theirs];
}
