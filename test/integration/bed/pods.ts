// Pod helpers for scenarios. kwok turns scheduled pods Running+Ready (stage pod-ready) and leaves
// them there unless they are owned by a Job; a scenario ends a pod with setPodPhase, the way a
// kubelet would report it: phase Failed/Succeeded, every container terminated with an exit code,
// Ready/ContainersReady False. No kwok stage matches a terminal phase, so nothing undoes it.
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";

export type TerminalPhase = "Failed" | "Succeeded";

function loadKubeConfig(kubeconfig: string | KubeConfig): KubeConfig {
  if (typeof kubeconfig !== "string") return kubeconfig;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

/**
 * PATCHes pods/<name>/status (JSON merge patch) so the pod is `phase` with a terminated state on
 * every container: `exitCode`, and `reason` (default "Completed" for exit code 0, else "Error").
 * Returns the updated pod.
 */
export async function setPodPhase(
  kubeconfig: string | KubeConfig,
  namespace: string,
  name: string,
  phase: TerminalPhase,
  exitCode: number,
  reason?: string,
): Promise<V1Pod> {
  const api = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  const pod = await api.readNamespacedPodStatus({ name, namespace });
  const now = new Date().toISOString();
  const why = reason ?? (exitCode === 0 ? "Completed" : "Error");
  const previous = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));

  const terminated = (container: { name: string; image?: string }) => {
    const prev = previous.get(container.name);
    const startedAt = prev?.state?.running?.startedAt;
    return {
      name: container.name,
      image: prev?.image ?? container.image ?? "",
      imageID: prev?.imageID ?? "",
      ...(prev?.containerID !== undefined ? { containerID: prev.containerID } : {}),
      ready: false,
      started: false,
      restartCount: prev?.restartCount ?? 0,
      state: {
        terminated: {
          exitCode,
          reason: why,
          startedAt: startedAt instanceof Date ? startedAt.toISOString() : (startedAt ?? now),
          finishedAt: now,
          ...(prev?.containerID !== undefined ? { containerID: prev.containerID } : {}),
        },
      },
    };
  };

  // Merge patch replaces lists wholesale, so send complete conditions and container statuses.
  const conditions = (pod.status?.conditions ?? []).map((c) =>
    c.type === "Ready" || c.type === "ContainersReady"
      ? { type: c.type, status: "False", reason: "PodCompleted", lastTransitionTime: now }
      : {
          ...c,
          lastTransitionTime:
            c.lastTransitionTime instanceof Date ? c.lastTransitionTime.toISOString() : c.lastTransitionTime,
          lastProbeTime: c.lastProbeTime instanceof Date ? c.lastProbeTime.toISOString() : c.lastProbeTime,
        },
  );
  const patch = {
    status: {
      phase,
      ...(phase === "Failed" ? { reason: why, message: `container exited with code ${exitCode}` } : {}),
      conditions,
      containerStatuses: (pod.spec?.containers ?? []).map(terminated),
    },
  };
  return api.patchNamespacedPodStatus(
    { name, namespace, body: patch },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}
