/**
 * What an observed driver pod says about its run, as kubeflow's operator reads it
 * (driverStateToApplicationState) plus the one distinction kubeflow does not make: whether a
 * failed run failed because of the application (its JVM exited non-zero) or because of the
 * infrastructure under it (eviction, preemption, node loss, a pod that never started). Only the
 * first kind is the application's to fix; the second is retried under its own limit.
 *
 * Total over any JSON: a field of the wrong type reads as absent.
 */
import type { KubeObject } from "../metacontroller/protocol.js";
import { isTerminating, podStuckReason } from "../kube/observed.js";
import { DRIVER_CONTAINER } from "./driver-pod.js";

export type FailureCause = "application" | "infrastructure";

export type DriverState =
  /** Created, not yet running: scheduling, pulling the image, init containers. */
  | { readonly kind: "pending"; readonly stuck?: string }
  | { readonly kind: "running"; readonly ready: boolean }
  /**
   * The Spark container has ended. `podEnded` is false while other containers (sidecars) keep
   * the pod running; `finishedAt` is when the Spark container or the pod ended, if known.
   */
  | {
      readonly kind: "succeeded";
      readonly podEnded: boolean;
      readonly finishedAt?: string;
    }
  | {
      readonly kind: "failed";
      readonly cause: FailureCause;
      readonly reason: string;
      readonly podEnded: boolean;
      readonly finishedAt?: string;
    }
  /** Being deleted before its run ended (by a drain, an eviction or a user). */
  | { readonly kind: "terminating" }
  /** phase Unknown: the node stopped reporting. */
  | { readonly kind: "unknown" };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(record: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as unknown[]).filter(isRecord) : [];
}

/**
 * Pod-level reasons the kubelet or the control plane gives a pod it stopped or never ran:
 * none of them is the application's doing.
 */
const INFRASTRUCTURE_POD_REASONS = new Set([
  "Evicted",
  "Preempting",
  "NodeLost",
  "NodeShutdown",
  "Shutdown",
  "Terminated",
  "UnexpectedAdmissionError",
  "NodeAffinity",
  "OutOfcpu",
  "OutOfmemory",
  "OutOfpods",
]);

/** The Spark container's status: by Spark's container name, else the first one (a template may rename it). */
function sparkContainerStatus(status: Record<string, unknown>): Record<string, unknown> | undefined {
  const containers = records(status.containerStatuses);
  return containers.find((container) => container.name === DRIVER_CONTAINER) ?? containers[0];
}

function terminatedOf(container: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const state = container?.state;
  return isRecord(state) && isRecord(state.terminated) ? state.terminated : undefined;
}

/**
 * DisruptionTarget=True: the control plane is about to stop or has stopped the pod
 * (preemption, eviction, node deletion, taint manager). Its container then exits with
 * SIGTERM's 143, which must not count against the application.
 */
function disruption(status: Record<string, unknown>): string | undefined {
  const condition = records(status.conditions).find(
    (c) => c.type === "DisruptionTarget" && c.status === "True",
  );
  if (condition === undefined) return undefined;
  const reason = text(condition, "reason") ?? "DisruptionTarget";
  const message = text(condition, "message");
  return message === undefined ? reason : `${reason}: ${message}`;
}

function exitFailure(terminated: Record<string, unknown>): string {
  const code = typeof terminated.exitCode === "number" ? terminated.exitCode : undefined;
  const reason = text(terminated, "reason");
  const message = text(terminated, "message");
  const head = `driver container exited with code ${code ?? "unknown"}${reason === undefined ? "" : ` (${reason})`}`;
  return message === undefined ? head : `${head}: ${message.trim().slice(0, 500)}`;
}

export function driverState(pod: KubeObject): DriverState {
  const status = isRecord(pod.status) ? pod.status : {};
  const phase = status.phase;
  const terminated = terminatedOf(sparkContainerStatus(status));
  const podEnded = phase === "Succeeded" || phase === "Failed";
  const disrupted = disruption(status);

  if (terminated !== undefined || podEnded) {
    const finishedAt = text(terminated, "finishedAt");
    const at = finishedAt === undefined ? {} : { finishedAt };
    const exitCode = terminated?.exitCode;
    // kubeflow: a pod Failed whose driver exited 0 still counts as a success.
    if (exitCode === 0 || (terminated === undefined && phase === "Succeeded")) {
      return { kind: "succeeded", podEnded, ...at };
    }
    if (disrupted !== undefined) {
      return { kind: "failed", cause: "infrastructure", reason: disrupted, podEnded, ...at };
    }
    if (terminated !== undefined) {
      return { kind: "failed", cause: "application", reason: exitFailure(terminated), podEnded, ...at };
    }
    const podReason = text(status, "reason");
    const podMessage = text(status, "message");
    const described = [podReason, podMessage].filter((part) => part !== undefined).join(": ");
    return {
      kind: "failed",
      // A Failed pod without a terminated Spark container never ran the application.
      cause:
        podReason === undefined || INFRASTRUCTURE_POD_REASONS.has(podReason)
          ? "infrastructure"
          : "application",
      reason: described.length > 0 ? `driver pod failed: ${described}` : "driver pod failed",
      podEnded,
    };
  }
  if (isTerminating(pod)) return { kind: "terminating" };
  if (phase === "Running") {
    const ready = records(status.conditions).some((c) => c.type === "Ready" && c.status === "True");
    return { kind: "running", ready };
  }
  if (phase === "Unknown") return { kind: "unknown" };
  const stuck = podStuckReason(pod);
  return stuck === undefined ? { kind: "pending" } : { kind: "pending", stuck };
}
