/**
 * The optional Metacontroller install (deploy/metacontroller/, and deploy-with-metacontroller/
 * for both at once): pinned to v4.17.2, valid objects, a pod that passes Pod Security
 * "restricted", the tuned flags, and a ClusterRole that covers every CompositeController we ship.
 */
import { StatefulSet, type IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { ClusterRole, type IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import {
  ClusterRoleBinding,
  type IClusterRoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseYaml } from "../../hooks/cli/render.js";
import { controllers as registered } from "../../hooks/controllers.js";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import { restrictedViolations } from "../support/pod-security.js";
import {
  itIsAValidKubernetesObject,
  loadKustomization,
  loadManifests,
  objectsIn,
  repoPath,
  yamlFilesIn,
  type Manifest,
} from "./load.js";

const VERSION = "v4.17.2";
const CRD_URL = `https://raw.githubusercontent.com/metacontroller/metacontroller/${VERSION}/manifests/production/metacontroller-crds-v1.yaml`;
const IMAGE = "ghcr.io/metacontroller/metacontroller";
const NAMESPACE = "metacontroller";
/** The API group of every sparkhooks parent resource. */
const OWN_GROUP = "sparkhooks.dev";

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1 Namespace": Namespace,
  "v1 ServiceAccount": ServiceAccount,
  "rbac.authorization.k8s.io/v1 ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1 ClusterRoleBinding": ClusterRoleBinding,
  "apps/v1 StatefulSet": StatefulSet,
};

const objects = objectsIn("deploy", "metacontroller");
const kustomization = loadKustomization(repoPath("deploy", "metacontroller"));

function only<T>(kind: string): T & Manifest {
  const found = objects.filter(({ m }) => m.kind === kind);
  if (found.length !== 1)
    throw new Error(`deploy/metacontroller/ must hold one ${kind}, found ${found.length}`);
  return found[0]!.m as T & Manifest;
}

const statefulSet = only<IStatefulSet>("StatefulSet");
const podSpec = statefulSet.spec!.template.spec!;
const container = podSpec.containers.find((c) => c.name === "metacontroller")!;
const args = container.args ?? [];
const clusterRole = only<IClusterRole>("ClusterRole");
const binding = only<IClusterRoleBinding>("ClusterRoleBinding");

function flag(name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** Whether some rule grants `verb` on `resource` (optionally `resource/subresource`) in `group`. */
function allows(rules: readonly IPolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g) => g === group || g === "*") &&
      (r.resources ?? []).some((x) => x === resource || x === "*") &&
      r.verbs.some((v) => v === verb || v === "*"),
  );
}

interface ResourceRef {
  apiVersion: string;
  resource: string;
}
interface CompositeControllerView {
  spec: { parentResource: ResourceRef; childResources?: ResourceRef[] };
}
const groupOf = (apiVersion: string): string => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

/** Every YAML document under examples/, the parents a customize hook is asked about in practice. */
function exampleDocuments(dir = repoPath("examples")): unknown[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return exampleDocuments(path);
    if (!/\.ya?ml$/.test(entry.name)) return [];
    return parseYaml(readFileSync(path, "utf8"), path).documents;
  });
}

describe("deploy/metacontroller/kustomization.yaml", () => {
  it("lists every YAML file in deploy/metacontroller/ and Metacontroller's CRDs, nothing else", () => {
    expect([...(kustomization.resources ?? [])].sort()).toEqual(
      [...new Set(objects.map(({ file }) => file)), CRD_URL].sort(),
    );
  });

  it(`takes the CRDs from the ${VERSION} release tag, not from a branch or a copy`, () => {
    const remote = (kustomization.resources ?? []).filter((r) => r.includes("://"));
    expect(remote).toEqual([CRD_URL]);
    expect(objects.some(({ m }) => m.kind === "CustomResourceDefinition")).toBe(false);
  });

  it(`pins the image to ${VERSION} in the StatefulSet and in images:`, () => {
    expect(container.image).toBe(`${IMAGE}:${VERSION}`);
    expect(kustomization.images).toEqual([{ name: IMAGE, newTag: VERSION }]);
  });

  it("labels without touching the StatefulSet's selector", () => {
    expect(kustomization.commonLabels).toBeUndefined();
    for (const l of kustomization.labels ?? []) expect(l.includeSelectors ?? false).toBe(false);
  });
});

describe("deploy-with-metacontroller/kustomization.yaml", () => {
  it("installs sparkhooks and Metacontroller together", () => {
    const k = loadKustomization(repoPath("deploy-with-metacontroller"));
    expect(k.resources).toEqual(["../deploy", "../deploy/metacontroller"]);
    expect(yamlFilesIn(repoPath("deploy-with-metacontroller"))).toEqual(["kustomization.yaml"]);
  });
});

describe("deploy/metacontroller/ objects", () => {
  itIsAValidKubernetesObject(objects, MODELS);

  it("lives in namespace metacontroller, the one the hook server's NetworkPolicy admits", () => {
    expect(only<Manifest>("Namespace").metadata.name).toBe(NAMESPACE);
    for (const { m } of objects.filter(({ m }) => ["ServiceAccount", "StatefulSet"].includes(m.kind))) {
      expect(m.metadata.namespace, m.kind).toBe(NAMESPACE);
    }
    const [policy] = loadManifests(repoPath("deploy", "networkpolicy.yaml")) as (INetworkPolicy & Manifest)[];
    expect(policy?.spec?.ingress?.[0]?.from).toContainEqual({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACE } },
    });
  });

  it("binds the ClusterRole to the ServiceAccount the StatefulSet runs as", () => {
    const serviceAccount = only<Manifest>("ServiceAccount");
    expect(podSpec.serviceAccountName).toBe(serviceAccount.metadata.name);
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: clusterRole.metadata.name,
    });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: NAMESPACE },
    ]);
  });
});

describe("deploy/metacontroller/statefulset.yaml", () => {
  it("runs one replica without leader election, like upstream", () => {
    expect(statefulSet.spec?.replicas).toBe(1);
    expect(args.some((a) => a.startsWith("--leader-election"))).toBe(false);
  });

  it("selects its own pods", () => {
    const labels = statefulSet.spec?.template.metadata?.labels ?? {};
    const selector = Object.entries(statefulSet.spec?.selector.matchLabels ?? {});
    expect(selector.length).toBeGreaterThan(0);
    for (const [k, v] of selector) expect(labels[k]).toBe(v);
  });

  it("ships the tuned client rate limits and worker count", () => {
    expect(flag("client-go-qps")).toBe("200");
    expect(flag("client-go-burst")).toBe("400");
    expect(flag("workers")).toBe("20");
  });

  it("writes every flag as --name=value, the form the integration bed overrides", () => {
    for (const a of args) expect(a).toMatch(/^--[a-z-]+=\S+$/);
    expect(container.command).toEqual(["/usr/bin/metacontroller"]);
  });

  it("probes /healthz and /readyz on the health probe address", () => {
    const port = container.ports?.find((p) => p.name === "health");
    expect(flag("health-probe-bind-address")).toBe(`:${port?.containerPort}`);
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "health" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "health" });
    const metrics = container.ports?.find((p) => p.name === "metrics");
    expect(flag("metrics-address")).toBe(`:${metrics?.containerPort}`);
  });

  it("would be admitted under Pod Security 'restricted', read-only, as the image's non-root user", () => {
    expect(restrictedViolations(podSpec, statefulSet.spec!.template.metadata ?? {})).toEqual([]);
    expect(podSpec.securityContext?.runAsUser).toBe(65532);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  it("requests CPU and memory and caps memory", () => {
    expect(container.resources?.requests?.["cpu"]).toBeDefined();
    expect(container.resources?.requests?.["memory"]).toBeDefined();
    expect(container.resources?.limits?.["memory"]).toBeDefined();
  });
});

describe("deploy/metacontroller/clusterrole.yaml", () => {
  const rules = clusterRole.rules ?? [];
  const controllers = yamlFilesIn(repoPath("composite-controllers"))
    .filter((f) => f !== "kustomization.yaml")
    .flatMap((f) => loadManifests(repoPath("composite-controllers", f)))
    .filter((m) => m.kind === "CompositeController") as unknown as CompositeControllerView[];

  it("grants no wildcard but on the resources of our own API group", () => {
    for (const r of rules) {
      expect([...(r.apiGroups ?? []), ...r.verbs]).not.toContain("*");
      if ((r.resources ?? []).includes("*")) expect(r.apiGroups).toEqual([OWN_GROUP]);
    }
  });

  it("lets Metacontroller read its controllers and CRDs and write its revisions and events", () => {
    for (const verb of ["get", "list", "watch"]) {
      expect(allows(rules, "metacontroller.k8s.io", "compositecontrollers", verb)).toBe(true);
      expect(allows(rules, "metacontroller.k8s.io", "decoratorcontrollers", verb)).toBe(true);
      expect(allows(rules, "apiextensions.k8s.io", "customresourcedefinitions", verb)).toBe(true);
      expect(allows(rules, "", "namespaces", verb)).toBe(true);
    }
    for (const verb of ["get", "list", "watch", "create", "update", "delete"]) {
      expect(allows(rules, "metacontroller.k8s.io", "controllerrevisions", verb)).toBe(true);
    }
    expect(allows(rules, "", "events", "create")).toBe(true);
    expect(allows(rules, "", "events", "patch")).toBe(true);
  });

  // Metacontroller runs an informer (list + watch, cluster-wide) for every type a customize hook
  // names in relatedResources: the SparkCluster's ConfigMap, a SparkApplication's executor pods.
  it.each(
    registered
      .filter((c) => c.customize !== undefined)
      .map((controller) => ({ kind: controller.kind, controller })),
  )("lets Metacontroller watch what the $kind customize hook asks for", ({ controller }) => {
    const parents = exampleDocuments().filter(
      (d) =>
        (d as KubeObject).kind === controller.kind && (d as KubeObject).apiVersion === controller.apiVersion,
    ) as KubeObject[];
    expect(parents.length, `an example ${controller.kind} in examples/`).toBeGreaterThan(0);
    for (const parent of parents) {
      const withIdentity = {
        ...parent,
        metadata: { namespace: "default", uid: "0f0e0d0c", ...parent.metadata },
      };
      for (const rule of controller.customize!({ parent: withIdentity }).relatedResources) {
        for (const verb of ["list", "watch"]) {
          expect(
            allows(rules, groupOf(rule.apiVersion), rule.resource, verb),
            `${verb} ${rule.resource}`,
          ).toBe(true);
        }
      }
    }
  });

  it.each(controllers.map((c) => ({ parent: c.spec.parentResource.resource, c })))(
    "covers the parent and the children of the $parent controller",
    ({ c }) => {
      const parent = c.spec.parentResource;
      const group = groupOf(parent.apiVersion);
      for (const verb of ["get", "list", "watch", "update"]) {
        expect(allows(rules, group, parent.resource, verb), verb).toBe(true);
      }
      expect(allows(rules, group, `${parent.resource}/status`, "update")).toBe(true);
      expect(allows(rules, group, `${parent.resource}/finalizers`, "update")).toBe(true);
      for (const child of c.spec.childResources ?? []) {
        for (const verb of ["get", "list", "watch", "create", "update", "patch", "delete"]) {
          expect(
            allows(rules, groupOf(child.apiVersion), child.resource, verb),
            `${verb} ${child.resource}`,
          ).toBe(true);
        }
      }
    },
  );
});
