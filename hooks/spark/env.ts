/**
 * Container environment: the variables Spark needs from Kubernetes, and the user's `env`
 * field turned into Kubernetes EnvVars.
 */
import type { IEnvVar } from "kubernetes-models/v1";
import type { EnvVarSpec } from "./schemas.js";

const POD_IP_FIELD = { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } };

/** The pod's IP, for probes that dial the pod itself (and for users' own scripts). */
export const POD_IP_ENV: IEnvVar = { name: "POD_IP", valueFrom: POD_IP_FIELD };

/**
 * The address a Spark daemon binds its RPC port to and advertises: the pod IP. Set this way,
 * not with `--host`, because `--host` rejects an IPv6 address without brackets ("Expected
 * hostname or IPv6 IP enclosed in []") and status.podIP has none; from SPARK_LOCAL_HOSTNAME
 * Spark brackets it itself. On a dual-stack cluster status.podIP is the primary family, the
 * one a Service gets by default. The web UIs still bind the wildcard address of both families.
 * Straight from the pod field rather than `$(POD_IP)`: a user variable named POD_IP must not
 * change where Spark binds.
 */
export const LOCAL_HOSTNAME_ENV: IEnvVar = { name: "SPARK_LOCAL_HOSTNAME", valueFrom: POD_IP_FIELD };

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
