/**
 * The API every sparkhooks resource is served under: one group and version for all controllers,
 * so `kubectl get spark` lists them together and one RBAC rule (deploy/metacontroller) covers them.
 */
export const GROUP = "sparkhooks.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
