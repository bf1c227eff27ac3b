/**
 * Applying the project's manifests the way `kubectl apply --server-side` does, so the real API
 * server's validation (structural schemas, CEL, defaults, enums) judges them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Kube } from "./kube.js";

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/** The kinds the bed applies: API group path and resource (namespaced ones take the object's namespace). */
const RESOURCES: Readonly<Record<string, { api: string; resource: string; namespaced?: true }>> = {
  "apiextensions.k8s.io/v1/CustomResourceDefinition": {
    api: "/apis/apiextensions.k8s.io/v1",
    resource: "customresourcedefinitions",
  },
  "metacontroller.k8s.io/v1alpha1/CompositeController": {
    api: "/apis/metacontroller.k8s.io/v1alpha1",
    resource: "compositecontrollers",
  },
  "metacontroller.k8s.io/v1alpha1/DecoratorController": {
    api: "/apis/metacontroller.k8s.io/v1alpha1",
    resource: "decoratorcontrollers",
  },
  "v1/Namespace": { api: "/api/v1", resource: "namespaces" },
  "v1/ServiceAccount": { api: "/api/v1", resource: "serviceaccounts", namespaced: true },
  "rbac.authorization.k8s.io/v1/ClusterRole": {
    api: "/apis/rbac.authorization.k8s.io/v1",
    resource: "clusterroles",
  },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": {
    api: "/apis/rbac.authorization.k8s.io/v1",
    resource: "clusterrolebindings",
  },
  "rbac.authorization.k8s.io/v1/Role": {
    api: "/apis/rbac.authorization.k8s.io/v1",
    resource: "roles",
    namespaced: true,
  },
  "rbac.authorization.k8s.io/v1/RoleBinding": {
    api: "/apis/rbac.authorization.k8s.io/v1",
    resource: "rolebindings",
    namespaced: true,
  },
  "apps/v1/StatefulSet": { api: "/apis/apps/v1", resource: "statefulsets", namespaced: true },
};

/** The API path of an object of one of the RESOURCES kinds; any other kind is a mistake in the caller. */
export function objectPath(object: Manifest): string {
  const known = RESOURCES[`${object.apiVersion}/${object.kind}`];
  if (known === undefined) throw new Error(`no collection known for ${object.apiVersion} ${object.kind}`);
  if (known.namespaced !== true) return `${known.api}/${known.resource}/${object.metadata.name}`;
  const namespace = object.metadata.namespace;
  if (namespace === undefined) throw new Error(`${object.kind} ${object.metadata.name} has no namespace`);
  return `${known.api}/namespaces/${namespace}/${known.resource}/${object.metadata.name}`;
}

export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter(
      (object): object is Manifest => object !== null && typeof object === "object" && "kind" in object,
    );
}

export function readManifestDir(dir: string): Manifest[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
    .sort()
    .flatMap((file) => readManifests(join(dir, file)));
}

export async function serverSideApply(
  kube: Kube,
  object: Manifest,
  options: { dryRun?: boolean } = {},
): Promise<Manifest> {
  // Strict: a field the schema does not know (a typo, or one the API server would prune) is an
  // error, not a warning, so a misspelt manifest fails here instead of silently losing a setting.
  const query =
    `fieldManager=sparkhooks-integration&force=true&fieldValidation=Strict` +
    (options.dryRun ? "&dryRun=All" : "");
  return kube.call<Manifest>(
    "PATCH",
    `${objectPath(object)}?${query}`,
    object,
    "application/apply-patch+yaml",
  );
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Waits until the API server serves the CRD's resource. */
export async function waitEstablished(kube: Kube, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await kube.get<CrdStatus>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    if ((crd.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True")) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
