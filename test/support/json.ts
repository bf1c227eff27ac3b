/**
 * fast-check arbitraries for JSON that observed objects may hold: what the API server would
 * send and what it would not, for readers that must answer whatever they are given.
 */
import fc from "fast-check";

/** JSON shaped like a pod status, wrong in every way a field can be: the keys the readers use, any values. */
export const statusLikeJson = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, 0, -1, 1e308, "", "Running", "Ready", "True", "CrashLoopBackOff"),
    fc.string(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom(
        ...["phase", "conditions", "containerStatuses", "state", "waiting", "reason", "message"],
        ...["type", "status", "toString", "valueOf", "__proto__", "constructor", "length"],
      ),
      tie("value"),
      { maxKeys: 5 },
    ),
  ),
})).value;
