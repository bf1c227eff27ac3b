/**
 * Reading observed children: pod health as the kubelet reports it, and how to keep an
 * observed child exactly as it is when the hook must not change it. Every reader is total:
 * whatever JSON an observed object holds, it answers.
 */
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { nestsDeeperThan } from "./json-depth.js";

/** Metacontroller stores the desired object it last applied here (dynamic-apply mode). */
export const LAST_APPLIED_ANNOTATION = "metacontroller.k8s.io/last-applied-configuration";

/**
 * Deeper than anything a hook renders (a pod with a preserved affinity at its limit is under 50
 * levels). The annotation is only a string to the API server, so anyone who may edit the child
 * can nest it as deep as 256 KiB allows; sending that back would overflow JSON.stringify.
 */
const MAX_LAST_APPLIED_DEPTH = 100;

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
        !nestsDeeperThan(parsed, MAX_LAST_APPLIED_DEPTH) &&
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

/**
 * The parts of a pod's status the hooks read. Observed objects come from the API server, but
 * nothing here trusts their shape: a field of the wrong type reads as absent, so any JSON in a
 * status gives an answer instead of an exception (and a failed sync).
 */
interface PodStatusView {
  readonly phase: string | undefined;
  readonly conditions: readonly ConditionView[];
  /** `state.waiting` of each container status that has one. */
  readonly waiting: readonly ConditionView[];
}

interface ConditionView {
  readonly type: string | undefined;
  readonly status: string | undefined;
  readonly reason: string | undefined;
  readonly message: string | undefined;
}

function text(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" ? value : undefined;
}

/** The object items of a list; anything else reads as an empty list. */
function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as unknown[]).filter(isRecord) : [];
}

function conditionView(record: Record<string, unknown>): ConditionView {
  return {
    type: text(record, "type"),
    status: text(record, "status"),
    reason: text(record, "reason"),
    message: text(record, "message"),
  };
}

function podStatus(pod: KubeObject): PodStatusView {
  const status = isRecord(pod.status) ? pod.status : {};
  const waiting = records(status.containerStatuses).flatMap((container) => {
    const state = container.state;
    return isRecord(state) && isRecord(state.waiting) ? [conditionView(state.waiting)] : [];
  });
  return { phase: text(status, "phase"), conditions: records(status.conditions).map(conditionView), waiting };
}

export function isPodReady(pod: KubeObject): boolean {
  const status = podStatus(pod);
  if (status.phase !== "Running") return false;
  return status.conditions.some((c) => c.type === "Ready" && c.status === "True");
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
  for (const waiting of status.waiting) {
    if (waiting.reason !== undefined && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason;
    }
  }
  const scheduled = status.conditions.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return scheduled.message ? `Unschedulable: ${scheduled.message}` : "Unschedulable";
  }
  return undefined;
}
