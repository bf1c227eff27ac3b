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
  readonly metadata: { readonly name: string };
}

/** Cluster-scoped kinds the bed applies; anything else is a mistake in the caller. */
const COLLECTIONS: Readonly<Record<string, string>> = {
  "apiextensions.k8s.io/v1/CustomResourceDefinition":
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
  "metacontroller.k8s.io/v1alpha1/CompositeController":
    "/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers",
  "metacontroller.k8s.io/v1alpha1/DecoratorController":
    "/apis/metacontroller.k8s.io/v1alpha1/decoratorcontrollers",
};

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
  const collection = COLLECTIONS[`${object.apiVersion}/${object.kind}`];
  if (collection === undefined)
    throw new Error(`no collection known for ${object.apiVersion} ${object.kind}`);
  const query = `fieldManager=sparkhooks-integration&force=true${options.dryRun ? "&dryRun=All" : ""}`;
  return kube.call<Manifest>(
    "PATCH",
    `${collection}/${object.metadata.name}?${query}`,
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
