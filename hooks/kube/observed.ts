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
 * A pod's status, read without trusting its shape: observed objects come from the API server,
 * but a field of the wrong type here reads as absent, so any JSON in a status gives an answer
 * instead of an exception (and a failed sync). Comparisons with `===` are safe on any value;
 * only text that ends up in a message is checked to be a string.
 */
function statusOf(pod: KubeObject): Record<string, unknown> {
  return isRecord(pod.status) ? pod.status : {};
}

/** The first object in `list` that passes `test`; a `list` that is not a list has none. */
function findRecord(
  list: unknown,
  test: (item: Record<string, unknown>) => boolean,
): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const item of list as unknown[]) if (isRecord(item) && test(item)) return item;
  return undefined;
}

function text(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" ? value : undefined;
}

export function isPodReady(pod: KubeObject): boolean {
  const status = statusOf(pod);
  if (status.phase !== "Running") return false;
  return findRecord(status.conditions, (c) => c.type === "Ready" && c.status === "True") !== undefined;
}

/**
 * A pod that will never run again: Failed (including evicted pods) or Succeeded. With
 * restartPolicy Always the kubelet restarts crashed containers in place, so reaching either
 * phase means the pod itself is gone for good and must be replaced by a new one.
 */
export function isPodFinished(pod: KubeObject): boolean {
  const phase = statusOf(pod).phase;
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
  const status = statusOf(pod);
  const init = initContainerFailure(status);
  if (init !== undefined) return init;
  const stuck = findRecord(status.containerStatuses, (container) => {
    const reason = waitingOf(container)?.reason;
    return typeof reason === "string" && STUCK_WAITING_REASONS.has(reason);
  });
  const waiting = stuck === undefined ? undefined : waitingOf(stuck);
  if (waiting !== undefined) return withMessage(text(waiting, "reason") ?? "", waiting);
  const scheduled = findRecord(status.conditions, (c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return withMessage("Unschedulable", scheduled);
  }
  return undefined;
}

/**
 * An init container that failed (`kubectl get pod` shows Init:Error, then
 * Init:CrashLoopBackOff while the kubelet retries it) or cannot start: the pod's containers
 * wait for it, so nothing changes until its cause is fixed (a download that fails, a Maven
 * package that does not resolve, an image that cannot be pulled).
 */
function initContainerFailure(status: Record<string, unknown>): string | undefined {
  const failed = findRecord(status.initContainerStatuses, (container) => {
    const exitCode = terminatedOf(container, "state")?.exitCode;
    const waiting = text(waitingOf(container) ?? {}, "reason");
    return (
      (typeof exitCode === "number" && exitCode !== 0) ||
      (waiting !== undefined && STUCK_WAITING_REASONS.has(waiting))
    );
  });
  if (failed === undefined) return undefined;
  const name = text(failed, "name") ?? "?";
  const terminated = terminatedOf(failed, "state");
  if (terminated !== undefined) {
    return `init container ${name}: ${text(terminated, "reason") ?? "Error"} (exit code ${String(terminated.exitCode)})`;
  }
  const waiting = waitingOf(failed) ?? {};
  const last = terminatedOf(failed, "lastState")?.exitCode;
  const lastExit = typeof last === "number" ? ` (last exit code ${last})` : "";
  return `init container ${name}: ${withMessage(text(waiting, "reason") ?? "", waiting)}${lastExit}`;
}

function terminatedOf(
  container: Record<string, unknown>,
  key: "state" | "lastState",
): Record<string, unknown> | undefined {
  const state = container[key];
  return isRecord(state) && isRecord(state.terminated) ? state.terminated : undefined;
}

function waitingOf(container: Record<string, unknown>): Record<string, unknown> | undefined {
  const state = container.state;
  return isRecord(state) && isRecord(state.waiting) ? state.waiting : undefined;
}

/** `reason: message` when the record has a message, else just the reason. */
function withMessage(reason: string, record: Record<string, unknown>): string {
  const message = text(record, "message");
  return message ? `${reason}: ${message}` : reason;
}
