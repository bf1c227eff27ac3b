/**
 * deploy/spark-application-namespace/: the base users apply to every namespace that runs
 * SparkApplications. Valid objects without a namespace of their own (`kubectl apply -n`
 * chooses it), a RoleBinding that really binds the Role to the ServiceAccount, and a Role that
 * grants exactly what Spark's driver does with the API: each verb below is one Spark reason.
 */
import { Role, type IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding, type IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import { ServiceAccount, type IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { itIsAValidKubernetesObject, loadKustomization, objectsIn, repoPath, type Manifest } from "./load.js";

const DIR = ["deploy", "spark-application-namespace"] as const;

/** The account examples/sparkapplication/ names in driver.serviceAccount. */
const DRIVER_ACCOUNT = "spark-driver";

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1 ServiceAccount": ServiceAccount,
  "rbac.authorization.k8s.io/v1 Role": Role,
  "rbac.authorization.k8s.io/v1 RoleBinding": RoleBinding,
};

/**
 * What the driver of Spark 3.5 and 4.x does with the API in its own namespace
 * (resource-managers/kubernetes/core, org.apache.spark.scheduler.cluster.k8s), one row per
 * core-group resource and verb. fabric8's `withLabel(...).delete()` is a DELETE on the
 * collection, which RBAC checks as deletecollection.
 */
const DRIVER_NEEDS: readonly { resource: string; verb: string; reason: string }[] = [
  {
    resource: "pods",
    verb: "get",
    reason: "ExecutorPodsAllocator reads its own driver pod to own executors",
  },
  { resource: "pods", verb: "list", reason: "waitUntilReady on the driver pod; the polling snapshot source" },
  { resource: "pods", verb: "watch", reason: "waitUntilReady on the driver pod; the watch snapshot source" },
  { resource: "pods", verb: "create", reason: "ExecutorPodsAllocator creates the executors" },
  { resource: "pods", verb: "patch", reason: "spark-exec-inactive and decommission labels on executors" },
  { resource: "pods", verb: "delete", reason: "ExecutorPodsLifecycleManager deletes a finished executor" },
  {
    resource: "pods",
    verb: "deletecollection",
    reason: "excess, timed-out and, at stop, all executors by label",
  },
  { resource: "configmaps", verb: "create", reason: "setUpExecutorConfigMap: spark-exec-<id>-conf-map" },
  { resource: "configmaps", verb: "deletecollection", reason: "stop() deletes the executor ConfigMap" },
  { resource: "persistentvolumeclaims", verb: "create", reason: "OnDemand claims, one per executor" },
  {
    resource: "persistentvolumeclaims",
    verb: "list",
    reason: "reusePersistentVolumeClaim finds the driver's",
  },
  {
    resource: "persistentvolumeclaims",
    verb: "deletecollection",
    reason: "stop() deletes the claims the driver owns",
  },
];

const objects = objectsIn(...DIR);
const kustomization = loadKustomization(repoPath(...DIR));

function only<T>(kind: string): T & Manifest {
  const found = objects.filter(({ m }) => m.kind === kind);
  if (found.length !== 1) throw new Error(`${DIR.join("/")}/ must hold one ${kind}, found ${found.length}`);
  return found[0]!.m as T & Manifest;
}

const serviceAccount = only<IServiceAccount>("ServiceAccount");
const role = only<IRole>("Role");
const binding = only<IRoleBinding>("RoleBinding");
const rules: readonly IPolicyRule[] = role.rules ?? [];

/** Every (group, resource, verb) the rules grant, as `group resource verb` strings. */
function granted(rules: readonly IPolicyRule[]): string[] {
  return rules.flatMap((rule) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => `${group} ${resource} ${verb}`)),
    ),
  );
}

describe("deploy/spark-application-namespace/kustomization.yaml", () => {
  it("lists every YAML file beside it, and only those", () => {
    expect([...(kustomization.resources ?? [])].sort()).toEqual(
      [...new Set(objects.map(({ file }) => file))].sort(),
    );
  });

  it("sets no namespace, so `kubectl apply -k … -n <namespace>` or an overlay decides it", () => {
    expect(kustomization.namespace).toBeUndefined();
    for (const { file, m } of objects) expect(m.metadata.namespace, file).toBeUndefined();
  });

  it("labels without touching selectors", () => {
    expect(kustomization.commonLabels).toBeUndefined();
    for (const l of kustomization.labels ?? []) expect(l.includeSelectors ?? false).toBe(false);
  });
});

describe("deploy/spark-application-namespace/ objects", () => {
  itIsAValidKubernetesObject(objects, MODELS);

  it(`creates the ServiceAccount ${DRIVER_ACCOUNT}, whose token the driver mounts to call the API`, () => {
    expect(serviceAccount.metadata.name).toBe(DRIVER_ACCOUNT);
    expect(serviceAccount.automountServiceAccountToken).not.toBe(false);
  });

  it("binds the Role to that ServiceAccount in the binding's own namespace", () => {
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: role.metadata.name,
    });
    // No namespace on the subject: RBAC then reads it as the RoleBinding's namespace.
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: DRIVER_ACCOUNT }]);
  });
});

describe("deploy/spark-application-namespace/role.yaml", () => {
  for (const { resource, verb, reason } of DRIVER_NEEDS) {
    it(`lets the driver ${verb} ${resource}: ${reason}`, () => {
      expect(granted(rules)).toContain(` ${resource} ${verb}`);
    });
  }

  it("grants nothing a driver does not use: no other verb, resource or API group, no wildcard", () => {
    const needed = DRIVER_NEEDS.map(({ resource, verb }) => ` ${resource} ${verb}`);
    expect([...granted(rules)].sort()).toEqual([...needed].sort());
    for (const rule of rules) {
      expect(rule.resourceNames, "resourceNames").toBeUndefined();
      expect(rule.nonResourceURLs, "nonResourceURLs").toBeUndefined();
    }
  });
});
