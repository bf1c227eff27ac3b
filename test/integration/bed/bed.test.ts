// The bed itself: builds (or reuses) the binaries, starts the control plane, and checks what the
// scenarios rely on — version, admission of namespaced objects, scheduling onto the kwok node, kwok
// running pods, ownerReference GC, namespace deletion and ending a pod with setPodPhase.
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
  type V1Pod,
} from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { KUBERNETES_VERSION } from "./build.js";
import { NODE_NAME, randomSuffix, startBed, type Bed } from "./bed.js";
import { setPodPhase } from "./pods.js";
import { waitFor } from "./processes.js";

function statusCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

describe("integration bed", () => {
  let bed: Bed;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const ns = `bed-${randomSuffix()}`;

  beforeAll(async () => {
    bed = await startBed();
    console.log(`[bed] timings (s): ${JSON.stringify(bed.timings)}`);
    kc = new KubeConfig();
    kc.loadFromFile(bed.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
  });

  afterAll(async () => {
    await bed?.stop();
  });

  it("serves /version as the pinned release", async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe(KUBERNETES_VERSION);
    expect(v.major).toBe("1");
    expect(v.minor).toBe("36");
  });

  it("has a Ready kwok node", async () => {
    const node = await core.readNode({ name: NODE_NAME });
    expect(node.metadata?.labels?.["type"]).toBe("kwok");
    expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("admits a pod, schedules it onto the kwok node, and kwok runs it", async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    // The ServiceAccount admission plugin rejects pods until the controller made `default`.
    await waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace: ns }), {
      timeoutMs: 30_000,
      what: `serviceaccount ${ns}/default`,
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: "p1", labels: { app: "bed" } },
        spec: { containers: [{ name: "main", image: "registry.invalid/none:1" }] },
      },
    });
    const pod = await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name: "p1", namespace: ns });
        const ready = p.status?.conditions?.find((c) => c.type === "Ready")?.status;
        if (p.status?.phase === "Running" && ready === "True") return p;
        throw new Error(
          `phase ${p.status?.phase ?? "?"} node ${p.spec?.nodeName ?? "-"} ready ${ready ?? "-"}`,
        );
      },
      { timeoutMs: 60_000, what: "pod p1 Running+Ready" },
    );
    expect(pod.spec?.nodeName).toBe(NODE_NAME);
    expect(pod.status?.podIP).toMatch(/^127\.128\./);
    expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
  });

  it("garbage-collects dependents of a deleted owner", async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "owner" }, data: { a: "1" } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: "dependent",
          ownerReferences: [
            { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata!.uid! },
          ],
        },
        data: { b: "2" },
      },
    });
    await core.deleteNamespacedConfigMap({ name: "owner", namespace: ns });
    await waitFor(
      async () => {
        try {
          await core.readNamespacedConfigMap({ name: "dependent", namespace: ns });
        } catch (e) {
          if (statusCode(e) === 404) return true;
          throw e;
        }
        throw new Error("dependent still exists");
      },
      { timeoutMs: 60_000, what: "dependent ConfigMap garbage-collected" },
    );
  });

  it("setPodPhase turns a Running pod Failed with an exit code, and it stays Failed", async () => {
    const updated: V1Pod = await setPodPhase(bed.kubeconfigPath, ns, "p1", "Failed", 3, "Error");
    expect(updated.status?.phase).toBe("Failed");
    await sleep(2_000); // give kwok a chance to (wrongly) touch it
    const p = await core.readNamespacedPod({ name: "p1", namespace: ns });
    expect(p.status?.phase).toBe("Failed");
    const terminated = p.status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated?.exitCode).toBe(3);
    expect(terminated?.reason).toBe("Error");
    expect(p.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
  });

  it("setPodPhase turns a Running pod Succeeded", async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: "p2" },
        spec: { containers: [{ name: "main", image: "registry.invalid/none:1" }] },
      },
    });
    await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name: "p2", namespace: ns });
        if (p.status?.phase === "Running") return true;
        throw new Error(`phase ${p.status?.phase ?? "?"}`);
      },
      { timeoutMs: 60_000, what: "pod p2 Running" },
    );
    await setPodPhase(kc, ns, "p2", "Succeeded", 0);
    const p = await core.readNamespacedPod({ name: "p2", namespace: ns });
    expect(p.status?.phase).toBe("Succeeded");
    expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(p.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe("Completed");
  });

  it("garbage-collects dependents of a custom resource once the controller manager was restarted", async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const group = "bed.sparkhooks.dev";
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: "Namespaced",
          names: { plural: "widgets", singular: "widget", kind: "Widget" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    await waitFor(
      async () => {
        const crd = await ext.readCustomResourceDefinition({ name: `widgets.${group}` });
        if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return true;
        throw new Error("not established");
      },
      { timeoutMs: 30_000, what: "CRD established" },
    );
    // Without this the garbage collector picks up the new type on its 30 s discovery resync only.
    const restartSeconds = await bed.restartControllerManager();
    expect(restartSeconds).toBeLessThan(30);

    const widget = (await custom.createNamespacedCustomObject({
      group,
      version: "v1",
      namespace: ns,
      plural: "widgets",
      body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "w" } },
    })) as { metadata: { uid: string } };
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: "widget-child",
          ownerReferences: [
            { apiVersion: `${group}/v1`, kind: "Widget", name: "w", uid: widget.metadata.uid },
          ],
        },
      },
    });
    await custom.deleteNamespacedCustomObject({
      group,
      version: "v1",
      namespace: ns,
      plural: "widgets",
      name: "w",
    });
    await waitFor(
      async () => {
        try {
          await core.readNamespacedConfigMap({ name: "widget-child", namespace: ns });
        } catch (e) {
          if (statusCode(e) === 404) return true;
          throw e;
        }
        throw new Error("dependent still exists");
      },
      { timeoutMs: 15_000, what: "dependent of the custom resource garbage-collected" },
    );
  });

  it("deletes a namespace with its contents", async () => {
    await core.deleteNamespace({ name: ns });
    await waitFor(
      async () => {
        try {
          await core.readNamespace({ name: ns });
        } catch (e) {
          if (statusCode(e) === 404) return true;
          throw e;
        }
        throw new Error(`namespace ${ns} still exists`);
      },
      { timeoutMs: 120_000, what: `namespace ${ns} deleted` },
    );
  });
});
