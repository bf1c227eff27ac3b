/**
 * What a controller folder is to the rest of sparkhooks. `hooks/<controller>/controller.ts`
 * exports one `controller: ControllerModule`, and everything that serves, renders, generates or
 * tests controllers reads it from there (through the registry in controllers.ts): the HTTP
 * routes, `sparkhooks render`, `npm run gen:crds`, the golden and manifest tests. Nothing
 * outside the folder names the controller, so adding one is adding its folder, its
 * CompositeController YAML and its generated CRD.
 */
import type { CrdDefinition } from "./crd/crd.js";
import type {
  CustomizeRequest,
  CustomizeResponse,
  SyncRequest,
  SyncResponse,
} from "./metacontroller/protocol.js";

/**
 * `invalid_spec` is still a 200 answer (children kept, a condition explains); the shell only
 * uses it to count and log user errors apart from healthy syncs.
 */
export type SyncOutcome = "ok" | "invalid_spec";

export interface SyncResult {
  readonly response: SyncResponse;
  readonly outcome: SyncOutcome;
}

/** What the HTTP shell needs: pure functions from a parsed hook request to the hook response. */
export interface CompositeControllerHooks {
  /** The parent resource's plural, used as the route prefix: `/sparkclusters/sync`. */
  readonly resource: string;
  /** Called for `sync` and, if the CompositeController declares one, `finalize`. */
  readonly sync: (request: SyncRequest, now: Date) => SyncResult;
  /** Present only when the controller needs related objects. */
  readonly customize?: (request: CustomizeRequest) => CustomizeResponse;
}

/**
 * One kind of child, written once: `kind` is what the hook returns and Metacontroller groups
 * observed children by (`Pod.v1`), `resource` what the CompositeController's childResources
 * list. The manifest tests hold composite-controllers/*.yaml to exactly these.
 */
export interface ChildType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly resource: string;
}

export interface ControllerModule extends CompositeControllerHooks {
  /** The parent's kind, `SparkCluster`. */
  readonly kind: string;
  /** The parent's `group/version`, `sparkhooks.dev/v1alpha1`. */
  readonly apiVersion: string;
  /** The parent's plural resource: route prefix, CRD name and golden folder. */
  readonly resource: string;
  /** Every child type, in the order the CompositeController lists them. */
  readonly childTypes: readonly ChildType[];
  /** The parent's CRD; `npm run gen:crds` writes `crds/<plural>.<group>.yaml` from it. */
  readonly crd: CrdDefinition;
  /**
   * Whether the CompositeController declares a finalize hook: deletion then waits until sync,
   * called with `finalizing: true`, answers `finalized`.
   */
  readonly finalizes: boolean;
}

export interface ControllerParts {
  readonly crd: CrdDefinition;
  readonly childTypes: readonly ChildType[];
  readonly sync: CompositeControllerHooks["sync"];
  readonly customize?: CompositeControllerHooks["customize"];
  readonly finalizes?: boolean;
}

/** A controller module whose kind, apiVersion and resource come from its CRD, so they cannot disagree. */
export function defineController(parts: ControllerParts): ControllerModule {
  const { crd } = parts;
  return {
    kind: crd.kind,
    apiVersion: `${crd.group}/${crd.version}`,
    resource: crd.plural,
    childTypes: parts.childTypes,
    crd,
    finalizes: parts.finalizes ?? false,
    sync: parts.sync,
    ...(parts.customize === undefined ? {} : { customize: parts.customize }),
  };
}
