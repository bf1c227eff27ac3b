/**
 * The TypeScript CompositeController runtime against a real control plane (the integration bed:
 * kube-apiserver, kube-controller-manager with the garbage collector, etcd), with two toy
 * controllers whose hooks run on loopback (toy-hooks.ts).
 *
 * Uses the bed of the integration run when one is provided (global setup), else starts its own.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startBed, type Bed } from "../bed/bed.js";
import { startHarness, type Harness } from "./controller.js";
import { KubeClient } from "./kube-client.js";
import { LAST_APPLIED_ANNOTATION } from "./merge.js";
import { startToyHooks, type ToyHooks } from "./toy-hooks.js";
import { eventually } from "../eventually.js";

// Loosely typed JSON, navigated freely by the toy hooks and assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the API server and hooks
type Obj = Record<string, any>;

const GROUP = "test.sparkhooks.dev";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function crd(plural: string, kind: string, withStatus: boolean): Obj {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          ...(withStatus ? { subresources: { status: {} } } : {}),
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  };
}

function widgetsController(): Obj {
  return {
    apiVersion: "metacontroller.k8s.io/v1alpha1",
    kind: "CompositeController",
    metadata: { name: "widgets" },
    spec: {
      parentResource: { apiVersion: `${GROUP}/v1`, resource: "widgets" },
      childResources: [{ apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace" } }],
      generateSelector: true,
      hooks: {
        // The in-cluster form, rewritten to the loopback server by hookBaseUrl.
        sync: {
          webhook: {
            service: { name: "toy-hooks", namespace: "toys", port: 80 },
            path: "/widgets/sync",
            timeout: "5s",
          },
        },
      },
    },
  };
}

function sprocketsController(): Obj {
  const hook = (path: string): Obj => ({ webhook: { url: `http://toy-hooks.toys${path}` } });
  return {
    apiVersion: "metacontroller.k8s.io/v1alpha1",
    kind: "CompositeController",
    metadata: { name: "sprockets" },
    spec: {
      parentResource: { apiVersion: `${GROUP}/v1`, resource: "sprockets" },
      childResources: [
        { apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace" } },
        { apiVersion: "v1", resource: "services", updateStrategy: { method: "InPlace" } },
      ],
      hooks: {
        sync: hook("/sprockets/sync"),
        finalize: hook("/sprockets/finalize"),
        customize: hook("/sprockets/customize"),
      },
    },
  };
}

describe("CompositeController runtime (TypeScript, dynamic apply)", () => {
  let bed: Bed | undefined;
  let kubeconfigPath: string;
  let kube: KubeClient;
  let hooks: ToyHooks;
  let harness: Harness;
  const ns = `mc-${Date.now().toString(36)}`;
  const lines: string[] = [];
  const rewrite = (url: string): string => `${hooks.url}${new URL(url).pathname}`;

  const widgets = `/apis/${GROUP}/v1/namespaces/${ns}/widgets`;
  const sprockets = `/apis/${GROUP}/v1/namespaces/${ns}/sprockets`;
  const configmaps = `/api/v1/namespaces/${ns}/configmaps`;
  const services = `/api/v1/namespaces/${ns}/services`;
  const get = (path: string): Promise<Obj> => kube.call<Obj>("GET", path);
  const exists = async (path: string): Promise<boolean> => (await kube.request("GET", path)).status === 200;
  const mergePatch = (path: string, body: Obj): Promise<Obj> =>
    kube.call<Obj>("PATCH", path, { body, contentType: "application/merge-patch+json" });

  beforeAll(async () => {
    const provided = (inject as (key: string) => { kubeconfigPath: string } | undefined)("bed");
    if (provided === undefined) {
      bed = await startBed();
      kubeconfigPath = bed.kubeconfigPath;
    } else {
      kubeconfigPath = provided.kubeconfigPath;
    }
    kube = await KubeClient.fromKubeconfig(kubeconfigPath);
    for (const def of [
      crd("widgets", "Widget", true),
      crd("sprockets", "Sprocket", true),
      crd("gadgets", "Gadget", false),
    ]) {
      const response = await kube.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        body: def,
      });
      if (response.status !== 201 && response.status !== 409)
        throw new Error(`CRD: ${response.status} ${JSON.stringify(response.body)}`);
    }
    await kube.call("POST", "/api/v1/namespaces", {
      body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    });
    hooks = await startToyHooks();
    harness = await startHarness({
      kubeconfigPath,
      controllers: [widgetsController(), sprocketsController()],
      hookBaseUrl: rewrite,
      log: (line) => lines.push(line),
    });
  });

  afterAll(async () => {
    await harness?.stop();
    await hooks?.stop();
    if (kube !== undefined) await kube.request("DELETE", `/api/v1/namespaces/${ns}`).catch(() => undefined);
    await bed?.stop();
    if (process.env["HARNESS_LOG"] !== undefined) process.stderr.write(`${lines.join("\n")}\n`);
  });

  describe("widgets (generateSelector, InPlace ConfigMap)", () => {
    let uid: string;
    let cmUid: string;

    it("creates the child with a controller ownerReference, the controller-uid label and the last-applied annotation", async () => {
      const created = await kube.call<Obj>("POST", widgets, {
        body: { apiVersion: `${GROUP}/v1`, kind: "Widget", metadata: { name: "w1" }, spec: { size: 3 } },
      });
      uid = created["metadata"]["uid"] as string;
      await harness.idle();
      const cm = await get(`${configmaps}/w1-cm`);
      cmUid = cm["metadata"]["uid"] as string;
      expect(cm["data"]).toEqual({ size: "3" });
      expect(cm["metadata"]["ownerReferences"]).toEqual([
        {
          apiVersion: `${GROUP}/v1`,
          kind: "Widget",
          name: "w1",
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(cm["metadata"]["labels"]).toEqual({ "controller-uid": uid });
      expect(JSON.parse(cm["metadata"]["annotations"][LAST_APPLIED_ANNOTATION] as string)).toEqual({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "w1-cm", namespace: ns, labels: { "controller-uid": uid } },
        data: { size: "3" },
      });
    });

    it("sent the v1 request: one map per child type, keyed by name, no finalizer without a finalize hook", async () => {
      const last = hooks.callsFor("/widgets/sync", "w1").at(-1);
      expect(last?.body).toMatchObject({
        finalizing: false,
        related: {},
        children: { "ConfigMap.v1": { "w1-cm": { kind: "ConfigMap" } } },
      });
      expect(last?.body).not.toHaveProperty("apiVersion");
      expect((last?.body["controller"] as Obj)["status"]).toEqual({});
      const widget = await get(`${widgets}/w1`);
      expect(widget["metadata"]["finalizers"]).toBeUndefined();
    });

    it("replaces the parent's status with the hook's, plus observedGeneration", async () => {
      const widget = await get(`${widgets}/w1`);
      expect(widget["status"]).toEqual({ size: 3, configMaps: 1, observedGeneration: 1 });
    });

    it("makes zero writes when everything is resynced at steady state", async () => {
      await harness.idle();
      const before = harness.counters();
      await harness.resyncAll();
      await harness.idle();
      const after = harness.counters();
      expect(after.hookCalls).toBeGreaterThan(before.hookCalls);
      expect(after.writesByVerb).toEqual(before.writesByVerb);
      expect(after.writes).toBe(before.writes);
    });

    it("updates the child in place on a spec change, keeping fields others added", async () => {
      await mergePatch(`${configmaps}/w1-cm`, {
        metadata: { labels: { team: "spark" } },
        data: { extra: "kept" },
      });
      await mergePatch(`${widgets}/w1`, { spec: { size: 5 } });
      await harness.idle();
      const cm = await get(`${configmaps}/w1-cm`);
      expect(cm["metadata"]["uid"]).toBe(cmUid);
      expect(cm["data"]).toEqual({ size: "5", extra: "kept" });
      expect(cm["metadata"]["labels"]).toEqual({ "controller-uid": uid, team: "spark" });
      expect((await get(`${widgets}/w1`))["status"]).toEqual({
        size: 5,
        configMaps: 1,
        observedGeneration: 2,
      });
    });

    it("changes nothing while the hook answers 500, retries with backoff, and recovers when it heals", async () => {
      const failuresBefore = harness.counters().hookFailures;
      const writesBefore = harness.counters().writes;
      hooks.behaviour.failWith = 500;
      await mergePatch(`${widgets}/w1`, { spec: { size: 7 } });
      await eventually("four failed sync calls", () =>
        Promise.resolve(harness.counters().hookFailures - failuresBefore >= 4 ? true : undefined),
      );
      const failed = hooks.callsFor("/widgets/sync", "w1").filter((c) => c.status === 500);
      // Backoff: the gaps between retries grow.
      const gaps = failed.slice(1).map((c, i) => c.at - (failed[i] as { at: number }).at);
      expect(gaps.at(-1)).toBeGreaterThan(gaps[0] ?? 0); // ~200 ms after ~50 ms
      expect(harness.counters().writes).toBe(writesBefore);
      expect((await get(`${configmaps}/w1-cm`))["data"]["size"]).toBe("5");
      expect((await get(`${widgets}/w1`))["status"]["observedGeneration"]).toBe(2);
      const events = await get(`/api/v1/namespaces/${ns}/events`);
      expect(
        (events["items"] as Obj[]).some(
          (e) => e["reason"] === "SyncError" && e["involvedObject"]["name"] === "w1",
        ),
      ).toBe(true);

      delete hooks.behaviour.failWith;
      await eventually(
        "recovery",
        async () => ((await get(`${configmaps}/w1-cm`))["data"]["size"] === "7" ? true : undefined),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      await harness.idle();
      expect((await get(`${widgets}/w1`))["status"]).toEqual({
        size: 7,
        configMaps: 1,
        observedGeneration: 3,
      });
    });

    it("waits as long as a 429's Retry-After says before calling again", async () => {
      hooks.behaviour.tooManyOnce = "1";
      const start = hooks.calls.length;
      await mergePatch(`${widgets}/w1`, { spec: { size: 8 } });
      await eventually("the retried call", () =>
        Promise.resolve(
          hooks.calls.slice(start).filter((c) => c.path === "/widgets/sync").length >= 2 ? true : undefined,
        ),
      );
      const [limited, next] = hooks.calls.slice(start).filter((c) => c.path === "/widgets/sync");
      expect(limited?.status).toBe(429);
      expect((next?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
      await harness.idle();
      expect((await get(`${configmaps}/w1-cm`))["data"]["size"]).toBe("8");
    });

    it("syncs again after resyncAfterSeconds without any event", async () => {
      await mergePatch(`${widgets}/w1`, { spec: { resyncAfterSeconds: 0.5 } });
      await harness.idle();
      const before = hooks.callsFor("/widgets/sync", "w1").length;
      await sleep(1_800);
      expect(hooks.callsFor("/widgets/sync", "w1").length - before).toBeGreaterThanOrEqual(2);
      await mergePatch(`${widgets}/w1`, { spec: { resyncAfterSeconds: null } });
      await harness.idle();
    });

    it("adopts a matching orphan and deletes it because the hook does not want it", async () => {
      await kube.call("POST", configmaps, {
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "stray", labels: { "controller-uid": uid } },
          data: {},
        },
      });
      await eventually("the orphan deleted", async () =>
        (await exists(`${configmaps}/stray`)) ? undefined : true,
      );
      expect(lines.some((l) => l.includes("adopting ConfigMap") && l.includes("stray"))).toBe(true);
    });

    it("releases a child whose labels no longer match, and recreates it once the released one is gone", async () => {
      await mergePatch(`${configmaps}/w1-cm`, { metadata: { labels: { "controller-uid": "someone-else" } } });
      const released = await eventually("the release", async () => {
        const cm = await get(`${configmaps}/w1-cm`);
        return (cm["metadata"]["ownerReferences"] ?? []).length === 0 ? cm : undefined;
      });
      expect(released["metadata"]["labels"]["controller-uid"]).toBe("someone-else");
      await harness.idle();
      // The desired child now clashes with the released one: AlreadyExists is swallowed, no write loop.
      const before = harness.counters();
      await harness.resyncAll();
      await harness.idle();
      expect(harness.counters().writesByVerb.update).toBe(before.writesByVerb.update);
      await kube.call("DELETE", `${configmaps}/w1-cm`);
      await harness.resyncAll();
      await harness.idle();
      const recreated = await get(`${configmaps}/w1-cm`);
      expect(recreated["metadata"]["labels"]["controller-uid"]).toBe(uid);
      expect(recreated["metadata"]["ownerReferences"][0]["uid"]).toBe(uid);
    });

    it("leaves the children to the garbage collector when the parent is deleted", async () => {
      await kube.call("DELETE", `${widgets}/w1`);
      await eventually(
        "the child garbage-collected",
        async () => ((await exists(`${configmaps}/w1-cm`)) ? undefined : true),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    });
  });

  describe("sprockets (spec.selector, customize, finalize, Service child)", () => {
    it("adds its finalizer, creates both children and reads the related ConfigMap", async () => {
      await kube.call("POST", configmaps, {
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { value: "a" } },
      });
      await kube.call("POST", sprockets, {
        body: {
          apiVersion: `${GROUP}/v1`,
          kind: "Sprocket",
          metadata: { name: "s1" },
          spec: { selector: { matchLabels: { app: "s1" } }, configFrom: "settings" },
        },
      });
      await harness.idle();
      const sprocket = await get(`${sprockets}/s1`);
      expect(sprocket["metadata"]["finalizers"]).toEqual(["metacontroller.io/compositecontroller-sprockets"]);
      expect(sprocket["status"]).toEqual({ children: 2, configValue: "a", observedGeneration: 1 });
      const svc = await get(`${services}/s1-svc`);
      expect(svc["spec"]["clusterIP"]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(await exists(`${configmaps}/s1-cm`)).toBe(true);
      const customize = hooks.callsFor("/sprockets/customize", "s1");
      expect(customize.length).toBe(1);
      expect(Object.keys(customize[0]?.body ?? {}).sort()).toEqual(["controller", "parent"]);
    });

    it("keeps the Service's server-set fields: a resync makes zero writes", async () => {
      await harness.idle();
      const before = harness.counters().writes;
      await harness.resyncAll();
      await harness.idle();
      expect(harness.counters().writes).toBe(before);
      expect(hooks.callsFor("/sprockets/customize", "s1").length).toBe(1); // cached per generation
    });

    it("syncs the parent again when its related object changes", async () => {
      await mergePatch(`${configmaps}/settings`, { data: { value: "b" } });
      await eventually("status from the changed related object", async () =>
        (await get(`${sprockets}/s1`))["status"]["configValue"] === "b" ? true : undefined,
      );
    });

    it("fails the whole sync, writing nothing, when a desired child misses the selector", async () => {
      await harness.idle();
      const before = harness.counters();
      await mergePatch(`${sprockets}/s1`, { spec: { badLabels: true } });
      await eventually("a sync error", () =>
        Promise.resolve(lines.some((l) => l.includes("don't match parent selector")) ? true : undefined),
      );
      expect(harness.counters().writes).toBe(before.writes);
      expect((await get(`${sprockets}/s1`))["status"]["observedGeneration"]).toBe(1);
      await mergePatch(`${sprockets}/s1`, { spec: { badLabels: null } });
      await harness.idle();
      expect((await get(`${sprockets}/s1`))["status"]["observedGeneration"]).toBe(3);
    });

    it("calls finalize on deletion, deletes the children itself, and removes its finalizer once finalized", async () => {
      await kube.call("DELETE", `${sprockets}/s1`);
      await eventually(
        "the parent gone",
        async () => ((await exists(`${sprockets}/s1`)) ? undefined : true),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      const finalize = hooks.callsFor("/sprockets/finalize", "s1");
      expect(finalize.length).toBeGreaterThanOrEqual(1);
      expect(finalize.every((c) => c.body["finalizing"] === true)).toBe(true);
      expect(await exists(`${configmaps}/s1-cm`)).toBe(false);
      expect(await exists(`${services}/s1-svc`)).toBe(false);
    });
  });

  describe("refusals", () => {
    it("refuses a parent whose CRD has no status subresource, like Metacontroller", async () => {
      const cc = widgetsController();
      cc["metadata"]["name"] = "gadgets";
      cc["spec"]["parentResource"]["resource"] = "gadgets";
      await expect(startHarness({ kubeconfigPath, controllers: [cc], hookBaseUrl: rewrite })).rejects.toThrow(
        /subresource 'Status' not enabled/,
      );
    });

    it("refuses the Rolling update methods it does not implement", async () => {
      const cc = widgetsController();
      cc["spec"]["childResources"][0]["updateStrategy"]["method"] = "RollingInPlace";
      await expect(startHarness({ kubeconfigPath, controllers: [cc], hookBaseUrl: rewrite })).rejects.toThrow(
        /RollingInPlace/,
      );
    });
  });
});
