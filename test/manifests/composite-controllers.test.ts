/**
 * The CompositeControllers in composite-controllers/ against the registered controllers and
 * the facts the hooks rely on: one per controller, on exactly its parent and child types, v1
 * hooks on routes the server serves. Validation against Metacontroller's own CRD needs its
 * schema, which is not part of this repository: the integration bed's admission scenario
 * applies these files to a real API server that has Metacontroller's CRDs installed.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { controllers as registered } from "../../hooks/controllers.js";
import { loadManifests, repoPath, yamlFilesIn, type Manifest } from "./load.js";
import { defaultApp } from "../support/app.js";

/** The hook server's Service, as deployed by deploy/service.yaml. */
const HOOK_SERVICE = { name: "sparkhooks", namespace: "sparkhooks" };

/** Go's time.ParseDuration syntax ("10s", "1m30s", "500ms"), the CRD's `format: duration`. */
const GO_DURATION = /^[-+]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))*$/;

interface Webhook {
  url?: string;
  path?: string;
  service?: { name: string; namespace: string; port?: number; protocol?: string };
  timeout?: string;
}
interface Hook {
  version?: string;
  webhook?: Webhook;
}
interface CompositeControllerSpec {
  parentResource: { apiVersion: string; resource: string; revisionHistory?: unknown };
  childResources?: { apiVersion: string; resource: string; updateStrategy?: { method?: string } }[];
  hooks?: Record<string, Hook>;
  generateSelector?: boolean;
  resyncPeriodSeconds?: number;
}

const files = yamlFilesIn(repoPath("composite-controllers")).filter((f) => f !== "kustomization.yaml");
const controllers: { file: string; cc: Manifest & { spec: CompositeControllerSpec } }[] = files.flatMap(
  (file) =>
    loadManifests(repoPath("composite-controllers", file))
      .filter((m) => m.kind === "CompositeController")
      .map((cc) => ({ file, cc: cc as Manifest & { spec: CompositeControllerSpec } })),
);

/** The production app, to ask whether a hook path is served. */
const app = defaultApp({ now: () => new Date(0) });

/** A served hook route answers an empty body with 400 (not a hook request), an unknown one 404. */
async function isServed(path: string): Promise<boolean> {
  const res = await app.request(path, { method: "POST", body: "{}" });
  return res.status !== 404;
}

function hookPath(webhook: Webhook): string | undefined {
  if (webhook.url !== undefined) return new URL(webhook.url).pathname;
  return webhook.path;
}

describe("composite-controllers/", () => {
  it("holds nothing but CompositeControllers", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const m of loadManifests(repoPath("composite-controllers", file))) {
        expect(`${m.apiVersion} ${m.kind}`, file).toBe("metacontroller.k8s.io/v1alpha1 CompositeController");
      }
    }
  });

  it("holds exactly one CompositeController per registered controller, and none for anything else", () => {
    const parents = controllers.map(
      ({ cc }) => `${cc.spec.parentResource.apiVersion} ${cc.spec.parentResource.resource}`,
    );
    expect([...parents].sort()).toEqual(registered.map((c) => `${c.apiVersion} ${c.resource}`).sort());
  });

  describe.each(controllers.map(({ file, cc }) => ({ name: `${file}: ${cc.metadata.name}`, cc })))(
    "$name",
    ({ cc }) => {
      const controller = registered.find(
        (c) =>
          c.apiVersion === cc.spec.parentResource.apiVersion &&
          c.resource === cc.spec.parentResource.resource,
      );

      it("manages the parent of a registered controller, whose CRD is generated in crds/", () => {
        expect(
          controller,
          `${cc.spec.parentResource.apiVersion} ${cc.spec.parentResource.resource}`,
        ).toBeDefined();
        if (controller === undefined) return;
        expect(existsSync(repoPath("crds", `${controller.resource}.${controller.crd.group}.yaml`))).toBe(
          true,
        );
      });

      it("lists exactly the controller's child types, at the apiVersions its hook returns", () => {
        const listed = (cc.spec.childResources ?? []).map(({ apiVersion, resource }) => ({
          apiVersion,
          resource,
        }));
        expect(listed).toEqual(
          controller?.childTypes.map(({ apiVersion, resource }) => ({ apiVersion, resource })),
        );
      });

      it("declares a customize hook exactly when the controller has one", () => {
        expect(cc.spec.hooks?.["customize"] !== undefined).toBe(controller?.customize !== undefined);
      });

      it("is named sparkhooks-<resource kind> so it is easy to find among other controllers", () => {
        expect(cc.metadata.name).toMatch(/^sparkhooks-[a-z0-9-]+$/);
        expect(cc.metadata.namespace).toBeUndefined(); // cluster-scoped
      });

      it("manages a sparkhooks.dev parent with a generated selector", () => {
        expect(cc.spec.parentResource.apiVersion).toMatch(/^sparkhooks\.dev\/v\w+$/);
        expect(cc.spec.generateSelector).toBe(true);
      });

      it("lists children at a GA v1 apiVersion (core or a group's), each with a deliberate update strategy", () => {
        const children = cc.spec.childResources ?? [];
        expect(children.length).toBeGreaterThan(0);
        for (const child of children) {
          // v1 or networking.k8s.io/v1: served by every supported Kubernetes, so the informer
          // Metacontroller starts for each child type always finds its resource.
          expect(child.apiVersion, child.resource).toMatch(/^([a-z0-9-]+(\.[a-z0-9-]+)+\/)?v1$/);
          // Leaving updateStrategy out silently means OnDelete (pitfall 5): always say it.
          expect(child.updateStrategy?.method, child.resource).toMatch(/^(OnDelete|Recreate|InPlace)$/);
        }
      });

      it("never updates pods in place: pods are OnDelete and replaced by the hook", () => {
        const pods = (cc.spec.childResources ?? []).find((c) => c.resource === "pods");
        if (pods !== undefined) expect(pods.updateStrategy?.method).toBe("OnDelete");
      });

      it("has no rolling update methods, so needs no revisionHistory", () => {
        for (const child of cc.spec.childResources ?? []) {
          expect(child.updateStrategy?.method ?? "").not.toMatch(/^Rolling/);
        }
        expect(cc.spec.parentResource.revisionHistory).toBeUndefined();
      });

      it("has a sync hook, and a finalize hook exactly when its controller finalizes", () => {
        expect(cc.spec.hooks?.["sync"]).toBeDefined();
        // Otherwise children go by garbage collection; a finalizer would outlive an uninstalled controller.
        const module = registered.find(
          (controller) =>
            controller.apiVersion === cc.spec.parentResource.apiVersion &&
            controller.resource === cc.spec.parentResource.resource,
        );
        expect(cc.spec.hooks?.["finalize"] !== undefined).toBe(module?.finalizes ?? false);
      });

      it("calls the hook server with wire format v1, on paths it serves, with explicit timeouts", async () => {
        const hooks = Object.entries(cc.spec.hooks ?? {});
        expect(hooks.length).toBeGreaterThan(0);
        for (const [name, hook] of hooks) {
          expect(hook.version, name).toBe("v1");
          const webhook = hook.webhook;
          expect(webhook, name).toBeDefined();
          if (webhook === undefined) continue;
          const path = hookPath(webhook);
          expect(await isServed(path ?? ""), `${name}: ${path}`).toBe(true);
          expect(path, name).toBe(`/${cc.spec.parentResource.resource}/${name}`);
          expect(webhook.timeout, name).toMatch(GO_DURATION);
        }
      });

      it("points every hook at the sparkhooks Service, which exists on that port", () => {
        const services = loadManifests(repoPath("deploy", "service.yaml")).filter(
          (m) => m.kind === "Service",
        );
        for (const [name, hook] of Object.entries(cc.spec.hooks ?? {})) {
          const svcRef = hook.webhook?.service;
          const url = hook.webhook?.url !== undefined ? new URL(hook.webhook.url) : undefined;
          const target = svcRef
            ? { name: svcRef.name, namespace: svcRef.namespace, port: svcRef.port ?? 80 }
            : {
                name: url?.hostname.split(".")[0],
                namespace: url?.hostname.split(".")[1],
                port: url?.port ? Number(url.port) : 80,
              };
          expect({ name: target.name, namespace: target.namespace }, name).toEqual(HOOK_SERVICE);
          const svc = services.find(
            (s) => s.metadata.name === target.name && s.metadata.namespace === target.namespace,
          ) as { spec: { ports: { port: number }[] } } | undefined;
          expect(svc, name).toBeDefined();
          expect(
            svc?.spec.ports.map((p) => p.port),
            name,
          ).toContain(target.port);
        }
      });

      it("keeps the sync timeout at or below Metacontroller's 10 s default and customize shorter", () => {
        const seconds = (d: string | undefined) => {
          const m = /^(\d+)(ms|s)$/.exec(d ?? "");
          return m === null ? Number.NaN : Number(m[1]) / (m[2] === "ms" ? 1000 : 1);
        };
        const sync = seconds(cc.spec.hooks?.["sync"]?.webhook?.timeout);
        expect(sync).toBeGreaterThan(0);
        expect(sync).toBeLessThanOrEqual(10);
        const customize = cc.spec.hooks?.["customize"]?.webhook?.timeout;
        if (customize !== undefined) expect(seconds(customize)).toBeLessThanOrEqual(sync);
      });

      it("resyncs periodically, but not so often that large clusters flood the hook server", () => {
        expect(cc.spec.resyncPeriodSeconds).toBeGreaterThanOrEqual(30);
        expect(cc.spec.resyncPeriodSeconds).toBeLessThanOrEqual(600);
      });
    },
  );
});
