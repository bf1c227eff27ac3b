/**
 * deploy/components/gateway-api: the opt-in that lets a SparkHistoryServer be exposed through
 * Gateway API. Its patches are applied here as kustomize applies JSON patches to their targets
 * (`kubectl kustomize` of an overlay with the component gives the same), and the
 * SparkHistoryServer hook, given the patched CompositeController as Metacontroller sends it,
 * renders the HTTPRoute it refuses without the component.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { syncSparkHistoryServer } from "./sync.js";
import { NOW } from "../../test/support/cluster.js";
import { serverParent, serverRequest } from "../../test/support/history-servers.js";
import { loadManifests, loadYamlDocuments, repoPath, type Manifest } from "../../test/manifests/load.js";

interface Patch {
  target: { group: string; kind: string; name: string };
  patch: string;
}
interface Operation {
  op: string;
  path: string;
  value: unknown;
}

const component = loadYamlDocuments(
  repoPath("deploy", "components", "gateway-api", "kustomization.yaml"),
)[0] as (Manifest & { patches: Patch[] }) | undefined;

function targetOf(patch: Patch): Manifest {
  const file =
    patch.target.kind === "CompositeController"
      ? repoPath("composite-controllers", "sparkhistoryserver.yaml")
      : repoPath("deploy", "metacontroller", "clusterrole.yaml");
  const found = loadManifests(file).find(
    (m) => m.kind === patch.target.kind && m.metadata.name === patch.target.name,
  );
  if (found === undefined) throw new Error(`no ${patch.target.kind} ${patch.target.name}`);
  expect(found.apiVersion.split("/")[0]).toBe(patch.target.group);
  return found;
}

/** Each operation is an `add` to the end of a list (`/a/b/-`), the only kind the component uses. */
function applied(patch: Patch): Manifest {
  const target = structuredClone(targetOf(patch)) as Record<string, unknown>;
  for (const operation of parse(patch.patch) as Operation[]) {
    expect(operation.op).toBe("add");
    const keys = operation.path.split("/").slice(1);
    expect(keys.at(-1)).toBe("-");
    const list = keys.slice(0, -1).reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], target);
    expect(Array.isArray(list), operation.path).toBe(true);
    (list as unknown[]).push(operation.value);
  }
  return target as Manifest;
}

describe("deploy/components/gateway-api", () => {
  it("is a kustomize Component patching the SparkHistoryServer CompositeController and Metacontroller's ClusterRole", () => {
    expect(component?.apiVersion).toBe("kustomize.config.k8s.io/v1alpha1");
    expect(component?.kind).toBe("Component");
    expect(component?.patches.map((p) => p.target.kind).sort()).toEqual([
      "ClusterRole",
      "CompositeController",
    ]);
  });

  it("lets Metacontroller manage HTTPRoutes", () => {
    const role = applied(component!.patches.find((p) => p.target.kind === "ClusterRole")!);
    const rules = role["rules"] as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const rule = rules.find((r) => r.apiGroups.includes("gateway.networking.k8s.io"));
    expect(rule?.resources).toEqual(["httproutes"]);
    expect(rule?.verbs).toEqual(["get", "list", "watch", "create", "update", "patch", "delete"]);
  });

  it("makes the hook render the HTTPRoute it refuses with the shipped CompositeController", () => {
    const patch = component!.patches.find((p) => p.target.kind === "CompositeController")!;
    const parent = serverParent({ expose: true, gateway: { name: "public" } });
    const shipped = syncSparkHistoryServer({ ...serverRequest(parent), controller: targetOf(patch) }, NOW);
    expect(shipped.outcome).toBe("invalid_spec");
    const patched = syncSparkHistoryServer({ ...serverRequest(parent), controller: applied(patch) }, NOW);
    expect(patched.outcome).toBe("ok");
    expect(patched.response.children.map((c) => c.kind)).toContain("HTTPRoute");
  });
});
