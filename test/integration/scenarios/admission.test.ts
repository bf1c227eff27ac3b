/**
 * The real API server accepts every manifest we ship: our generated CRDs, Metacontroller's own
 * CRDs and our CompositeControllers (validated against those CRDs' schemas by the server).
 */
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { Kube } from "./kube.js";
import { readManifestDir, readManifests, serverSideApply, waitEstablished } from "./manifests.js";
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
});
