/**
 * The real API server accepts every manifest we ship: our generated CRDs, Metacontroller's own
 * CRDs and our CompositeControllers (validated against those CRDs' schemas by the server), and
 * the optional Metacontroller install (deploy/metacontroller/).
 */
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { Kube } from "./kube.js";
import {
  readManifestDir,
  readManifests,
  serverSideApply,
  waitEstablished,
  type Manifest,
} from "./manifests.js";
import { repoRoot, sharedDir } from "../paths.js";

const kube = () => new Kube(inject("bed").kubeconfigPath);

describe("the real API server admits our manifests", () => {
  it("accepts the generated CRDs and serves them", async () => {
    for (const crd of readManifestDir(join(repoRoot, "crds"))) {
      const applied = await serverSideApply(kube(), crd);
      expect(applied.metadata.name).toBe(crd.metadata.name);
      await waitEstablished(kube(), crd.metadata.name);
    }
  });

  it("accepts Metacontroller's own CRDs", async () => {
    for (const crd of readManifests(join(sharedDir, "upstream", "metacontroller-crds-v1.yaml"))) {
      await serverSideApply(kube(), crd);
      await waitEstablished(kube(), crd.metadata.name);
    }
  });

  it("accepts our CompositeControllers against Metacontroller's CRD schema", async () => {
    const controllers = readManifestDir(join(repoRoot, "composite-controllers"));
    expect(controllers.length).toBeGreaterThan(0);
    for (const controller of controllers) {
      const applied = await serverSideApply(kube(), controller, { dryRun: true });
      expect(applied.kind).toBe("CompositeController");
    }
  });

  it("rejects a CompositeController that breaks Metacontroller's schema (the check is real)", async () => {
    const [controller] = readManifestDir(join(repoRoot, "composite-controllers"));
    if (controller === undefined) throw new Error("no CompositeController");
    const broken = {
      ...controller,
      spec: {
        ...(controller as unknown as { spec: object }).spec,
        childResources: [{ apiVersion: "v1", resource: "pods", updateStrategy: { method: "Sometimes" } }],
      },
    };
    await expect(serverSideApply(kube(), broken, { dryRun: true })).rejects.toThrow(/Sometimes/);
  });

  it("rejects a CompositeController with a field Metacontroller's schema does not know", async () => {
    const [controller] = readManifestDir(join(repoRoot, "composite-controllers"));
    if (controller === undefined) throw new Error("no CompositeController");
    const misspelt = {
      ...controller,
      spec: { ...(controller as unknown as { spec: object }).spec, generateSelecter: true },
    };
    await expect(serverSideApply(kube(), misspelt, { dryRun: true })).rejects.toThrow(/generateSelecter/);
  });

  it("accepts Metacontroller's StatefulSet, and its pod under Pod Security 'restricted'", async () => {
    // global-setup applied the namespace (restricted enforced), ServiceAccount and RBAC.
    const [statefulSet] = readManifests(
      join(repoRoot, "deploy", "metacontroller", "statefulset.yaml"),
    ) as (Manifest & {
      spec: { template: { metadata: object; spec: object } };
    })[];
    if (statefulSet === undefined) throw new Error("no StatefulSet");
    await serverSideApply(kube(), statefulSet, { dryRun: true });
    // Pod Security admission enforces on pods only (workloads just get warnings): admit one.
    const pod = await kube().call<{ metadata: { namespace: string } }>(
      "POST",
      "/api/v1/namespaces/metacontroller/pods?dryRun=All",
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "metacontroller-0" },
        spec: statefulSet.spec.template.spec,
      },
    );
    expect(pod.metadata.namespace).toBe("metacontroller");
    const privileged = { ...statefulSet.spec.template.spec, hostNetwork: true };
    await expect(
      kube().call("POST", "/api/v1/namespaces/metacontroller/pods?dryRun=All", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "metacontroller-0" },
        spec: privileged,
      }),
    ).rejects.toThrow(/violates PodSecurity "restricted/);
  });
});
