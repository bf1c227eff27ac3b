/**
 * The bed's instruments on the real Metacontroller, with a toy controller whose hook the test
 * steers: the write count that `expectSteady` relies on sees exactly the writes Metacontroller
 * makes (were it blind, every "zero writes" check would pass vacuously), and an HTTP 500 from a
 * hook changes nothing until the hook answers again. Metacontroller runs with admin credentials
 * here: the shipped ClusterRole covers sparkhooks' resources, not the toy's.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eventually } from "../eventually.js";
import { Kube } from "../scenarios/kube.js";
import { serverSideApply, waitEstablished, type Manifest } from "../scenarios/manifests.js";
import { startMetacontroller, type Counters, type Metacontroller } from "./metacontroller.js";

const GROUP = "toys.sparkhooks.dev";
const CRD: Manifest & Record<string, unknown> = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { size: { type: "integer" }, keep: { type: "boolean" } } },
              // Metacontroller adds observedGeneration to the status the hook returns.
              status: {
                type: "object",
                properties: { size: { type: "integer" }, observedGeneration: { type: "integer" } },
              },
            },
          },
        },
      },
    ],
  },
};

const CONTROLLER = {
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: { name: "toy-widgets" },
  spec: {
    parentResource: { apiVersion: `${GROUP}/v1`, resource: "widgets" },
    childResources: [{ apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace" } }],
    generateSelector: true,
    hooks: { sync: { webhook: { url: "http://toy.invalid/sync" } } },
  },
};

interface SyncRequest {
  parent: { metadata: { name: string }; spec: { size: number; keep?: boolean } };
}

/** A Widget of size n wants ConfigMap <name>-data with size=n while spec.keep is not false. */
function sync(request: SyncRequest): unknown {
  const { metadata, spec } = request.parent;
  const child = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${metadata.name}-data` },
    data: { size: String(spec.size) },
  };
  return { status: { size: spec.size }, children: spec.keep === false ? [] : [child] };
}

describe("the bed's instruments on the real Metacontroller", () => {
  const { kubeconfigPath, logDir, metacontroller } = inject("bed");
  const kube = new Kube(kubeconfigPath);
  const namespace = `toys-${Date.now().toString(36)}`;
  const widget = `/apis/${GROUP}/v1/namespaces/${namespace}/widgets/w`;
  const configMap = `/api/v1/namespaces/${namespace}/configmaps/w-data`;
  let failWith: number | undefined;
  let hook: Server;
  let runtime: Metacontroller;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (failWith !== undefined) {
          res.writeHead(failWith).end("steered to fail");
          return;
        }
        const request = JSON.parse(Buffer.concat(chunks).toString()) as SyncRequest;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(sync(request)));
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    const address = hook.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    await serverSideApply(kube, CRD);
    await waitEstablished(kube, CRD.metadata.name);
    await kube.create("/api/v1/namespaces", { metadata: { name: namespace } });
    runtime = await startMetacontroller({
      binary: metacontroller.binary,
      kubeconfigPath,
      controllers: [CONTROLLER],
      hookBaseUrl: () => `http://127.0.0.1:${port}/sync`,
      namespace,
      logDir,
    });
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
    await kube.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    await kube.delete(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD.metadata.name}`);
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  });

  const dataSize = async (): Promise<string | undefined> => {
    const found = await kube.send<{ data?: { size?: string } }>("GET", configMap);
    return found.status === 200 ? found.body.data?.size : undefined;
  };
  const delta = (before: Counters): Record<string, number> => {
    const after = runtime.counters().writesByVerb;
    return Object.fromEntries(
      Object.entries(after).map(([verb, n]) => [verb, n - before.writesByVerb[verb as keyof typeof after]]),
    );
  };

  it("counts each child create, in-place update and delete and each status write, and nothing else", async () => {
    let before = runtime.counters();
    await kube.create(`/apis/${GROUP}/v1/namespaces/${namespace}/widgets`, {
      apiVersion: `${GROUP}/v1`,
      kind: "Widget",
      metadata: { name: "w" },
      spec: { size: 1 },
    });
    await eventually("the ConfigMap of size 1", async () => ((await dataSize()) === "1" ? true : undefined));
    await runtime.idle();
    expect(delta(before)).toEqual({ create: 1, update: 0, delete: 0, status: 1 });

    before = runtime.counters();
    await kube.mergePatch(widget, { spec: { size: 2 } });
    await eventually("the ConfigMap of size 2", async () => ((await dataSize()) === "2" ? true : undefined));
    await runtime.idle();
    expect(delta(before)).toEqual({ create: 0, update: 1, delete: 0, status: 1 });

    before = runtime.counters();
    await kube.mergePatch(widget, { spec: { keep: false } });
    await eventually("the ConfigMap deleted", async () =>
      (await dataSize()) === undefined ? true : undefined,
    );
    await runtime.idle();
    expect(delta(before)).toEqual({ create: 0, update: 0, delete: 1, status: 1 });

    before = runtime.counters();
    await runtime.resyncAll();
    await runtime.idle();
    expect(delta(before)).toEqual({ create: 0, update: 0, delete: 0, status: 0 });
  });

  it("changes nothing while the hook answers 500, and catches up once it answers again", async () => {
    await kube.mergePatch(widget, { spec: { keep: true } });
    await eventually("the ConfigMap back", async () => ((await dataSize()) === "2" ? true : undefined));
    await runtime.idle();
    const before = runtime.counters();
    failWith = 500;
    try {
      await kube.mergePatch(widget, { spec: { size: 3 } });
      await eventually("two failed syncs", () =>
        runtime.counters().hookFailures >= before.hookFailures + 2 ? true : undefined,
      );
      expect(await dataSize()).toBe("2");
      expect(runtime.counters().writes).toBe(before.writes);
    } finally {
      failWith = undefined;
    }
    await eventually("the ConfigMap of size 3", async () => ((await dataSize()) === "3" ? true : undefined), {
      timeoutMs: 120_000,
    });
  });
});
