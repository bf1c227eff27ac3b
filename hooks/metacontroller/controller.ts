/**
 * What a controller folder gives the HTTP shell: pure functions from a parsed hook request
 * (and the current time, for condition timestamps) to the hook response.
 */
import type { CustomizeRequest, CustomizeResponse, SyncRequest, SyncResponse } from "./protocol.js";

/**
 * `invalid_spec` is still a 200 answer (children kept, a condition explains); the shell only
 * uses it to count and log user errors apart from healthy syncs.
 */
export type SyncOutcome = "ok" | "invalid_spec";

export interface SyncResult {
  readonly response: SyncResponse;
  readonly outcome: SyncOutcome;
}

export interface CompositeControllerHooks {
  /** The parent resource's plural, used as the route prefix: `/sparkclusters/sync`. */
  readonly resource: string;
  /** Called for `sync` and, if the CompositeController declares one, `finalize`. */
  readonly sync: (request: SyncRequest, now: Date) => SyncResult;
  /** Present only when the controller needs related objects. */
  readonly customize?: (request: CustomizeRequest) => CustomizeResponse;
}
