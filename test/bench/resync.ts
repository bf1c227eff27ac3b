/**
 * Syncing a benchmark body once more, for the tests that check it is a steady state: what the
 * hook asks for now, in the form Metacontroller applies it, next to what Metacontroller applied
 * last time (each observed child's last-applied annotation). Equal means the resync writes no
 * child.
 */
import type { ControllerModule, SyncResult } from "../../hooks/controller.js";
import { SyncRequest, type KubeObject } from "../../hooks/metacontroller/protocol.js";
import { LAST_APPLIED_ANNOTATION, lastAppliedConfiguration } from "../support/observe.js";
import { BENCH_NOW } from "./bodies.js";

export interface Resync {
  readonly result: SyncResult;
  /** `kind/name` → JSON of the desired child as Metacontroller would apply it. */
  readonly desired: ReadonlyMap<string, string>;
  /** `kind/name` → JSON Metacontroller applied to the observed child. */
  readonly applied: ReadonlyMap<string, string>;
  /** The status the body's parent carries (the previous sync's, with observedGeneration). */
  readonly parentStatus: unknown;
}

export function resync(controller: ControllerModule, body: string, now = BENCH_NOW): Resync {
  const request = SyncRequest.parse(JSON.parse(body));
  const { parent } = request;
  const result = controller.sync(request, now);
  const observed: KubeObject[] = Object.values(request.children).flatMap((byName) => Object.values(byName));
  const key = (object: { kind: string; metadata: { name: string } }) =>
    `${object.kind}/${object.metadata.name}`;
  return {
    result,
    desired: new Map(
      result.response.children.map((child) => [
        key(child),
        JSON.stringify(lastAppliedConfiguration(child, parent)),
      ]),
    ),
    applied: new Map(
      observed.map((child) => [key(child), child.metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? ""]),
    ),
    parentStatus: (parent as { status?: unknown }).status,
  };
}
