/**
 * The Kubernetes objects the spec passes on as written (containers, volumes, mounts) are
 * preserved objects in the CRD, so the API server admits any shape for them. The pod they end
 * up in would then be refused on every sync, with nothing in the status: the fields every such
 * object needs, and the ones the hook reads, are checked here and refused with their path.
 */
import type { SparkApplicationSpec } from "./schema.js";

type Role = "driver" | "executor";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function missing(object: unknown, keys: readonly string[]): string[] {
  if (!isRecord(object)) return [...keys];
  return keys.filter((key) => typeof object[key] !== "string" || object[key] === "");
}

function listProblems(
  path: string,
  items: readonly unknown[] | undefined,
  keys: readonly string[],
): string[] {
  return (items ?? []).flatMap((item, index) => {
    const absent = missing(item, keys);
    return absent.length === 0 ? [] : [`${path}[${index}]: needs ${absent.join(" and ")} (a string)`];
  });
}

/** Containers the pod carries as written: each needs a name and an image, as core/v1 requires. */
function containerProblems(spec: SparkApplicationSpec, role: Role): string[] {
  const fields = spec[role];
  return [
    ...listProblems(`spec.${role}.sidecars`, fields.sidecars, ["name", "image"]),
    ...listProblems(`spec.${role}.initContainers`, fields.initContainers, ["name", "image"]),
  ];
}

export function kubeObjectProblems(spec: SparkApplicationSpec): string[] {
  return [
    ...listProblems("spec.volumes", spec.volumes, ["name"]),
    ...(["driver", "executor"] as const).flatMap((role) => [
      ...listProblems(`spec.${role}.volumeMounts`, spec[role].volumeMounts, ["name", "mountPath"]),
      ...containerProblems(spec, role),
    ]),
  ];
}
