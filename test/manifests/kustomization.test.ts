/**
 * The kustomizations list exactly the files that exist, so `kubectl apply -k deploy/` installs
 * everything and nothing is forgotten. (kustomize itself is not needed for these checks.)
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { controllers } from "../../hooks/controllers.js";
import { loadKustomization, loadManifests, repoPath, yamlFilesIn } from "./load.js";

function ownYamlFiles(dir: string): string[] {
  return yamlFilesIn(repoPath(dir)).filter((f) => f !== "kustomization.yaml");
}

describe("deploy/kustomization.yaml", () => {
  const k = loadKustomization(repoPath("deploy"));
  const resources = k.resources ?? [];

  it("is a kustomize Kustomization", () => {
    expect(k.apiVersion).toBe("kustomize.config.k8s.io/v1beta1");
    expect(k.kind).toBe("Kustomization");
  });

  it("includes the CRDs and the CompositeControllers as kustomization directories", () => {
    expect(resources).toContain("../crds");
    expect(resources).toContain("../composite-controllers");
    for (const dir of ["crds", "composite-controllers"]) {
      expect(existsSync(repoPath(dir, "kustomization.yaml")), dir).toBe(true);
    }
  });

  it("lists every YAML file in deploy/, and only those", () => {
    const local = resources.filter((r) => !r.startsWith("../"));
    expect([...local].sort()).toEqual(ownYamlFiles("deploy"));
  });

  it("reaches outside deploy/ only through directories (kustomize's load restrictor)", () => {
    for (const r of resources.filter((r) => r.startsWith("../"))) {
      expect(r, r).not.toMatch(/\.ya?ml$/);
    }
  });

  it("adds the recommended labels without touching selectors", () => {
    expect(k.commonLabels).toBeUndefined(); // commonLabels rewrites selectors
    const pairs = Object.assign({}, ...(k.labels ?? []).map((l) => l.pairs)) as Record<string, string>;
    expect(pairs["app.kubernetes.io/name"]).toBe("sparkhooks");
    expect(pairs["app.kubernetes.io/part-of"]).toBe("sparkhooks");
    for (const l of k.labels ?? []) expect(l.includeSelectors ?? false).toBe(false);
  });

  it("does not set a namespace (it would be stamped on the cluster-scoped CompositeControllers)", () => {
    expect(k.namespace).toBeUndefined();
  });

  it("makes the hook server image overridable with images:", () => {
    const images = loadManifests(repoPath("deploy", "deployment.yaml")).flatMap((m) => {
      const spec = m["spec"] as { template: { spec: { containers: { image: string }[] } } };
      return spec.template.spec.containers.map((c) => c.image.replace(/:[^:/]+$/, ""));
    });
    expect(k.images?.map((i) => i.name)).toEqual([...new Set(images)]);
  });
});

describe("composite-controllers/kustomization.yaml", () => {
  it("lists every CompositeController file, and only those", () => {
    const k = loadKustomization(repoPath("composite-controllers"));
    expect([...(k.resources ?? [])].sort()).toEqual(ownYamlFiles("composite-controllers"));
  });
});

describe("crds/kustomization.yaml", () => {
  const listed = [...(loadKustomization(repoPath("crds")).resources ?? [])].sort();

  it("lists exactly the CRD files in crds/, one per registered controller", () => {
    expect(listed).toEqual(ownYamlFiles("crds"));
    expect(listed).toEqual(controllers.map((c) => `${c.resource}.${c.crd.group}.yaml`).sort());
  });

  describe.each(controllers.map((controller) => ({ kind: controller.kind, controller })))(
    "the committed $kind CRD",
    ({ controller }) => {
      it("serves the controller's version with the status subresource Metacontroller requires", () => {
        const file = `${controller.resource}.${controller.crd.group}.yaml`;
        expect(existsSync(repoPath("crds", file)), file).toBe(true);
        const [crd] = loadManifests(repoPath("crds", file));
        const spec = crd?.["spec"] as {
          names: { plural: string; kind: string };
          scope: string;
          versions: { name: string; served: boolean; subresources?: { status?: object } }[];
        };
        expect(crd?.kind).toBe("CustomResourceDefinition");
        expect(crd?.metadata.name).toBe(`${controller.resource}.${controller.crd.group}`);
        expect(spec.names).toMatchObject({ plural: controller.resource, kind: controller.kind });
        expect(spec.scope).toBe("Namespaced");
        const served = spec.versions.find((v) => v.name === controller.crd.version);
        expect(served?.served).toBe(true);
        // Without it Metacontroller ignores the CompositeController (pitfall 1).
        expect(served?.subresources?.status).toBeDefined();
      });
    },
  );
});
