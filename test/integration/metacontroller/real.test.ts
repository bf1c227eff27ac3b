/**
 * The plumbing of real.ts, exercised without Metacontroller (no binary can be built here): a
 * stand-in executable records its flags and serves /readyz, while the test drives the hook proxy
 * and the write watch directly.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { startBed, type Bed } from "../bed/bed.js";
import { repoRoot } from "../paths.js";
import type { Harness } from "./controller.js";
import { KubeClient } from "./kube-client.js";
import { ensureMetacontroller, startRealMetacontroller } from "./real.js";
import { startToyHooks, type ToyHooks } from "./toy-hooks.js";

// Loosely typed JSON from the API server.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the API server
type Obj = Record<string, any>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sparkClusterController(): Record<string, unknown> {
  const docs = parseAllDocuments(
    readFileSync(join(repoRoot, "composite-controllers", "sparkcluster.yaml"), "utf8"),
  );
  return docs
    .map((d) => d.toJS() as Record<string, unknown>)
    .find((d) => d["kind"] === "CompositeController")!;
}

function toyController(): Record<string, unknown> {
  return {
    apiVersion: "metacontroller.k8s.io/v1alpha1",
    kind: "CompositeController",
    metadata: { name: "real-plumbing-widgets" },
    spec: {
      parentResource: { apiVersion: "test.sparkhooks.dev/v1", resource: "widgets" },
      childResources: [{ apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace" } }],
      generateSelector: true,
      hooks: { sync: { webhook: { url: "http://toy-hooks.toys/widgets/sync", timeout: "7s" } } },
    },
  };
}

describe("real Metacontroller runner (with a stand-in binary)", () => {
  let bed: Bed | undefined;
  let kubeconfigPath: string;
  let kube: KubeClient;
  let hooks: ToyHooks;
  let harness: Harness;
  let dir: string;
  let argsFile: string;
  const ns = `mcreal-${Date.now().toString(36)}`;

  beforeAll(async () => {
    const provided = (inject as (key: string) => { kubeconfigPath: string } | undefined)("bed");
    if (provided === undefined) {
      bed = await startBed();
      kubeconfigPath = bed.kubeconfigPath;
    } else {
      kubeconfigPath = provided.kubeconfigPath;
    }
    kube = await KubeClient.fromKubeconfig(kubeconfigPath);
    await kube.call("POST", "/api/v1/namespaces", {
      body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    });
    hooks = await startToyHooks();
    dir = mkdtempSync(join(tmpdir(), "fake-metacontroller-"));
    argsFile = join(dir, "args");
    const binary = join(dir, "metacontroller");
    writeFileSync(
      binary,
      [
        "#!/bin/sh",
        "# Stand-in for metacontroller: records its flags, serves the readiness probe.",
        `echo "$@" >> '${argsFile}'`,
        'for a in "$@"; do case "$a" in --health-probe-bind-address=*) addr="${a#*=}";; esac; done',
        `exec node -e "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')" "\${addr##*:}"`,
        "",
      ].join("\n"),
    );
    chmodSync(binary, 0o755);
    harness = await startRealMetacontroller({
      binary,
      kubeconfigPath,
      controllers: [sparkClusterController(), toyController()],
      hookBaseUrl: (url) => `${hooks.url}${new URL(url).pathname}`,
      idleSettleMs: 300,
    });
  });

  afterAll(async () => {
    await harness?.stop();
    await hooks?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    if (kube !== undefined) await kube.request("DELETE", `/api/v1/namespaces/${ns}`).catch(() => undefined);
    await bed?.stop();
  });

  it("explains why there is no binary unless METACONTROLLER_BIN names one", () => {
    if (process.env["METACONTROLLER_BIN"] === undefined) {
      expect(() => ensureMetacontroller()).toThrow(/403 'This module version is not available'/);
    }
  });

  it("runs the binary with the kubeconfig, fast discovery and loopback probe and metrics addresses", () => {
    const args = readFileSync(argsFile, "utf8").trim().split(" ");
    expect(args).toContain(`--kubeconfig=${kubeconfigPath}`);
    expect(args).toContain("--discovery-interval=2s");
    expect(args).toContain("--zap-log-level=4");
    expect(args.some((a) => /^--metrics-address=127\.0\.0\.1:\d+$/.test(a))).toBe(true);
    expect(args.some((a) => /^--health-probe-bind-address=127\.0\.0\.1:\d+$/.test(a))).toBe(true);
  });

  it("installs Metacontroller's CRDs and our CompositeController, its hooks pointed at the proxy", async () => {
    const cc = await kube.call<Obj>(
      "GET",
      "/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers/sparkhooks-sparkcluster",
    );
    for (const name of ["sync", "customize"]) {
      const webhook = cc["spec"]["hooks"][name]["webhook"] as Obj;
      expect(webhook["url"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hook\/\d+$/);
      expect(webhook).not.toHaveProperty("service");
      expect(webhook).not.toHaveProperty("path");
    }
    expect(cc["spec"]["hooks"]["sync"]["webhook"]["timeout"]).toBe("10s");
    expect(cc["spec"]["hooks"]["customize"]["webhook"]["timeout"]).toBe("5s");
  });

  it("forwards hook calls unchanged, counting calls and failures, and passes Retry-After through", async () => {
    const cc = await kube.call<Obj>(
      "GET",
      "/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers/real-plumbing-widgets",
    );
    const url = cc["spec"]["hooks"]["sync"]["webhook"]["url"] as string;
    const request = {
      controller: {},
      parent: {
        apiVersion: "test.sparkhooks.dev/v1",
        kind: "Widget",
        metadata: { name: "w" },
        spec: { size: 2 },
      },
      children: { "ConfigMap.v1": {} },
      related: {},
      finalizing: false,
    };
    const post = (): Promise<Response> =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(request),
      });
    const before = harness.counters();

    const ok = await post();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Obj)["children"][0]["data"]).toEqual({ size: "2" });
    expect(hooks.callsFor("/widgets/sync", "w").at(-1)?.body).toEqual(request);

    hooks.behaviour.tooManyOnce = "3";
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");

    hooks.behaviour.failWith = 500;
    expect((await post()).status).toBe(500);
    delete hooks.behaviour.failWith;

    const after = harness.counters();
    expect(after.hookCalls - before.hookCalls).toBe(3);
    expect(after.hookFailures - before.hookFailures).toBe(2);
  });

  it("counts writes from watch events: a ConfigMap created, updated, status-free, and deleted", async () => {
    await harness.idle(10_000);
    const before = harness.counters();
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await kube.call("POST", path, {
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } },
    });
    await kube.call("PATCH", `${path}/c`, {
      body: { data: { a: "2" } },
      contentType: "application/merge-patch+json",
    });
    await kube.call("DELETE", `${path}/c`);
    await harness.idle(10_000);
    const after = harness.counters();
    expect(after.writes - before.writes).toBe(3);
    expect(after.writesByVerb.create - before.writesByVerb.create).toBe(1);
    expect(after.writesByVerb.update - before.writesByVerb.update).toBe(1);
    expect(after.writesByVerb.delete - before.writesByVerb.delete).toBe(1);
  });

  it("resyncs by restarting the process", async () => {
    await harness.resyncAll();
    await sleep(100);
    expect(readFileSync(argsFile, "utf8").trim().split("\n")).toHaveLength(2);
  });
});
