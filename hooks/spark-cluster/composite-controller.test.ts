/**
 * What composite-controllers/sparkcluster.yaml must say for this controller's hooks to work;
 * test/manifests checks what every CompositeController must satisfy.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

interface CompositeController {
  metadata: { name: string };
  spec: {
    parentResource: { apiVersion: string; resource: string };
    childResources: { apiVersion: string; resource: string; updateStrategy?: { method?: string } }[];
    hooks: Record<string, { webhook?: { path?: string } }>;
  };
}

const cc = parse(
  readFileSync(
    fileURLToPath(new URL("../../composite-controllers/sparkcluster.yaml", import.meta.url)),
    "utf8",
  ),
) as CompositeController;

describe("composite-controllers/sparkcluster.yaml", () => {
  it("is sparkhooks-sparkcluster and manages sparkclusters.sparkhooks.dev/v1alpha1", () => {
    expect(cc.metadata.name).toBe("sparkhooks-sparkcluster");
    expect(cc.spec.parentResource).toEqual({
      apiVersion: "sparkhooks.dev/v1alpha1",
      resource: "sparkclusters",
    });
  });

  it("owns pods (OnDelete), services (InPlace) and configmaps (InPlace)", () => {
    expect(cc.spec.childResources).toEqual([
      { apiVersion: "v1", resource: "pods", updateStrategy: { method: "OnDelete" } },
      { apiVersion: "v1", resource: "services", updateStrategy: { method: "InPlace" } },
      { apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace" } },
    ]);
  });

  it("has a customize hook, to read spec.sparkConfigurationMap as a related ConfigMap", () => {
    expect(cc.spec.hooks["customize"]?.webhook?.path).toBe("/sparkclusters/customize");
  });
});
