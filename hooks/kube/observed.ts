/**
 * Reading observed children: pod health as the kubelet reports it, and how to keep an
 * observed child exactly as it is when the hook must not change it.
 */
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";

/** Metacontroller stores the desired object it last applied here (dynamic-apply mode). */
export const LAST_APPLIED_ANNOTATION = "metacontroller.k8s.io/last-applied-configuration";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The desired form of an observed child that must stay untouched. Returning what Metacontroller
 * last applied makes its three-way merge a no-op: echoing the observed object instead would
 * claim server-set fields (a Service's clusterIP) as ours, and a later sync that drops them
 * would ask the API server to remove them. Without the annotation (server-side apply) we
 * return the user-facing parts of the observed object.
 */
export function keepObserved(observed: KubeObject): DesiredObject {
  const lastApplied = observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (lastApplied !== undefined) {
    try {
      const parsed: unknown = JSON.parse(lastApplied);
      if (
        isRecord(parsed) &&
        parsed.kind === observed.kind &&
        parsed.apiVersion === observed.apiVersion &&
        isRecord(parsed.metadata) &&
        parsed.metadata.name === observed.metadata.name
      ) {
        return parsed as unknown as DesiredObject;
      }
    } catch {
      // A damaged annotation falls through to the observed copy.
    }
  }
  const { name, namespace, labels, annotations } = observed.metadata;
  const keptAnnotations = Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([key]) => key !== LAST_APPLIED_ANNOTATION),
  );
  const body = Object.fromEntries(
    Object.entries(observed).filter(([key]) => key !== "metadata" && key !== "status"),
  );
  return {
    ...body,
    apiVersion: observed.apiVersion,
    kind: observed.kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(labels === undefined ? {} : { labels }),
      ...(Object.keys(keptAnnotations).length > 0 ? { annotations: keptAnnotations } : {}),
    },
  };
}

export function isTerminating(object: KubeObject): boolean {
  const stamp = object.metadata.deletionTimestamp;
  return typeof stamp === "string" && stamp.length > 0;
}

interface PodStatusView {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  containerStatuses?: {
    name?: string;
    state?: { waiting?: { reason?: string; message?: string } };
  }[];
}

function podStatus(pod: KubeObject): PodStatusView {
  const status = pod.status;
  return isRecord(status) ? status : {};
}

export function isPodReady(pod: KubeObject): boolean {
  const status = podStatus(pod);
  if (status.phase !== "Running") return false;
  return (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/**
 * A pod that will never run again: Failed (including evicted pods) or Succeeded. With
 * restartPolicy Always the kubelet restarts crashed containers in place, so reaching either
 * phase means the pod itself is gone for good and must be replaced by a new one.
 */
export function isPodFinished(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  return phase === "Failed" || phase === "Succeeded";
}

/** A pod whose containers may still start or restart, and so read their volumes again. */
export function isPodLive(pod: KubeObject): boolean {
  return !isTerminating(pod) && !isPodFinished(pod);
}

interface VolumeView {
  configMap?: { name?: string };
  projected?: { sources?: { configMap?: { name?: string } }[] };
}

/** Names of the ConfigMaps a pod mounts as volumes, directly or through a projected volume. */
export function mountedConfigMaps(pod: KubeObject): string[] {
  const spec = pod.spec;
  const volumes = isRecord(spec) && Array.isArray(spec.volumes) ? (spec.volumes as VolumeView[]) : [];
  return volumes.flatMap((volume) => [
    ...(volume.configMap?.name === undefined ? [] : [volume.configMap.name]),
    ...(volume.projected?.sources ?? []).flatMap((source) => source.configMap?.name ?? []),
  ]);
}

/** Waiting reasons that do not resolve without someone changing something. */
const STUCK_WAITING_REASONS = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

/** Why a pod is not making progress, or undefined when it is fine or just starting. */
export function podStuckReason(pod: KubeObject): string | undefined {
  const status = podStatus(pod);
  for (const container of status.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    if (waiting?.reason !== undefined && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason;
    }
  }
  const scheduled = (status.conditions ?? []).find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return scheduled.message ? `Unschedulable: ${scheduled.message}` : "Unschedulable";
  }
  return undefined;
}
