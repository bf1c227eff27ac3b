/**
 * Metacontroller runs in the bed as it runs in a cluster: as ServiceAccount
 * metacontroller/metacontroller, bound to the ClusterRole we ship (deploy/metacontroller/). If
 * that role lacks a permission the scenarios need, Metacontroller's requests are refused and the
 * scenarios fail, which is how the role is proven sufficient.
 */
import { join } from "node:path";
import { writeKubeconfig } from "../bed/pki.js";
import { repoRoot } from "../paths.js";
import type { Kube } from "../scenarios/kube.js";
import { readManifests, serverSideApply } from "../scenarios/manifests.js";

const DEPLOY_DIR = join(repoRoot, "deploy", "metacontroller");
const IDENTITY_FILES = [
  "namespace.yaml",
  "serviceaccount.yaml",
  "clusterrole.yaml",
  "clusterrolebinding.yaml",
];
const SERVICE_ACCOUNT = { namespace: "metacontroller", name: "metacontroller" };

/**
 * Applies the namespace, ServiceAccount and RBAC of deploy/metacontroller/, asks the API server
 * for a token of that ServiceAccount (TokenRequest, the kubelet's way of getting one for a pod)
 * and writes a kubeconfig that uses it.
 */
export async function writeMetacontrollerKubeconfig(
  kube: Kube,
  options: { path: string; caPem?: string | undefined },
): Promise<string> {
  for (const file of IDENTITY_FILES) {
    for (const object of readManifests(join(DEPLOY_DIR, file))) await serverSideApply(kube, object);
  }
  const { namespace, name } = SERVICE_ACCOUNT;
  const request = await kube.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 24 * 3600 },
    },
  );
  return writeKubeconfig({
    path: options.path,
    server: kube.server,
    token: request.status.token,
    ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
    name: "metacontroller",
  });
}
