/**
 * Kubernetes-style status conditions (metav1.Condition). A condition's lastTransitionTime is
 * carried over from the previous status unless its status changed, so a sync that sees the
 * same world writes the same status and Metacontroller does not loop.
 */

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export type ConditionDraft = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/** metav1.Time serialises with second precision. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function previousConditions(previousStatus: unknown): ReadonlyMap<string, Record<string, unknown>> {
  const byType = new Map<string, Record<string, unknown>>();
  if (typeof previousStatus !== "object" || previousStatus === null) return byType;
  const list = (previousStatus as { conditions?: unknown }).conditions;
  if (!Array.isArray(list)) return byType;
  for (const item of list as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const condition = item as Record<string, unknown>;
    if (typeof condition.type === "string") byType.set(condition.type, condition);
  }
  return byType;
}

export function settleConditions(
  drafts: readonly ConditionDraft[],
  previousStatus: unknown,
  now: Date,
  observedGeneration: number | undefined,
): Condition[] {
  const previous = previousConditions(previousStatus);
  const stamp = formatTime(now);
  return drafts.map((draft) => {
    const before = previous.get(draft.type);
    const carried =
      before?.status === draft.status && typeof before.lastTransitionTime === "string"
        ? before.lastTransitionTime
        : stamp;
    return {
      ...draft,
      lastTransitionTime: carried,
      ...(observedGeneration === undefined ? {} : { observedGeneration }),
    };
  });
}
