/**
 * The CompositeControllers in composite-controllers/ against Metacontroller's own CRD
 * (v4.17.2, from ../shared/upstream) and against the facts the hooks rely on.
 */
import { Ajv, type ErrorObject } from "ajv";
import { describe, expect, it } from "vitest";
import { loadManifests, loadYamlDocuments, repoPath, sharedDir, yamlFilesIn, type Manifest } from "./load.js";
import { join } from "node:path";

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  [keyword: string]: unknown;
};

/** Routes the hook server serves for Metacontroller (hooks/server/app.ts). */
const SERVED_HOOK_PATHS = new Set(["/sparkclusters/sync", "/sparkclusters/customize"]);

/** The hook server's Service, as deployed by deploy/service.yaml. */
const HOOK_SERVICE = { name: "sparkhooks", namespace: "sparkhooks" };

function compositeControllerSchema(): JsonSchema {
  const crds = loadYamlDocuments(join(sharedDir, "upstream/metacontroller-crds-v1.yaml")) as {
    metadata: { name: string };
    spec: { versions: { name: string; schema: { openAPIV3Schema: JsonSchema } }[] };
  }[];
  const crd = crds.find((c) => c.metadata.name === "compositecontrollers.metacontroller.k8s.io");
  const version = crd?.spec.versions.find((v) => v.name === "v1alpha1");
  if (version === undefined) throw new Error("CompositeController v1alpha1 schema not found");
  return version.schema.openAPIV3Schema;
}

/** Go's time.ParseDuration syntax ("10s", "1m30s", "500ms"), the CRD's `format: duration`. */
const GO_DURATION = /^[-+]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))*$/;

function validatorFor(schema: JsonSchema) {
  // strict: false lets ajv ignore the x-kubernetes-* vendor keywords.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat("duration", GO_DURATION);
  return ajv.compile(schema);
}

/**
 * Fields the API server would silently prune: a structural schema drops every field it does
 * not declare, so a misspelt key would be accepted and ignored.
 */
function undeclaredFields(schema: JsonSchema, value: unknown, path = ""): string[] {
  if (schema["x-kubernetes-preserve-unknown-fields"] === true) return [];
  if (Array.isArray(value)) {
    return schema.items === undefined
      ? []
      : value.flatMap((v, i) => undeclaredFields(schema.items!, v, `${path}[${i}]`));
  }
  if (value === null || typeof value !== "object") return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const sub = schema.properties?.[key];
    if (sub !== undefined) {
      out.push(...undeclaredFields(sub, child, `${path}.${key}`));
    } else if (typeof schema.additionalProperties === "object") {
      out.push(...undeclaredFields(schema.additionalProperties, child, `${path}.${key}`));
    } else if (schema.properties !== undefined && schema.additionalProperties !== true) {
      out.push(`${path}.${key}`);
    }
  }
  return out;
}

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

function hookPath(webhook: Webhook): string | undefined {
  if (webhook.url !== undefined) return new URL(webhook.url).pathname;
  return webhook.path;
}

describe("composite-controllers/", () => {
  it("holds the SparkCluster controller and nothing but CompositeControllers", () => {
    expect(files).toContain("sparkcluster.yaml");
    for (const file of files) {
      for (const m of loadManifests(repoPath("composite-controllers", file))) {
        expect(`${m.apiVersion} ${m.kind}`, file).toBe("metacontroller.k8s.io/v1alpha1 CompositeController");
      }
    }
  });

  const schema = compositeControllerSchema();
  const validate = validatorFor(schema);

  describe.each(controllers.map(({ file, cc }) => ({ name: `${file}: ${cc.metadata.name}`, cc })))(
    "$name",
    ({ cc }) => {
      it("validates against Metacontroller's CompositeController CRD schema", () => {
        const ok = validate(cc);
        const errors = (validate.errors ?? []).map(
          (e: ErrorObject) => `${e.instancePath} ${e.message ?? ""}`,
        );
        expect(errors).toEqual([]);
        expect(ok).toBe(true);
      });

      it("uses only fields the CRD declares (none would be pruned)", () => {
        expect(undeclaredFields(schema, cc)).toEqual([]);
      });

      it("is named sparkhooks-<resource kind> so it is easy to find among other controllers", () => {
        expect(cc.metadata.name).toMatch(/^sparkhooks-[a-z0-9-]+$/);
        expect(cc.metadata.namespace).toBeUndefined(); // cluster-scoped
      });

      it("manages a sparkhooks.dev parent with a generated selector", () => {
        expect(cc.spec.parentResource.apiVersion).toMatch(/^sparkhooks\.dev\/v\w+$/);
        expect(cc.spec.generateSelector).toBe(true);
      });

      it("lists children at exactly the core v1 apiVersion, each with a deliberate update strategy", () => {
        const children = cc.spec.childResources ?? [];
        expect(children.length).toBeGreaterThan(0);
        for (const child of children) {
          expect(child.apiVersion, child.resource).toBe("v1");
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

      it("has a sync hook and no finalize hook (children go by garbage collection)", () => {
        expect(cc.spec.hooks?.["sync"]).toBeDefined();
        expect(cc.spec.hooks?.["finalize"]).toBeUndefined();
      });

      it("calls the hook server with wire format v1, on paths it serves, with explicit timeouts", () => {
        const hooks = Object.entries(cc.spec.hooks ?? {});
        expect(hooks.length).toBeGreaterThan(0);
        for (const [name, hook] of hooks) {
          expect(hook.version, name).toBe("v1");
          const webhook = hook.webhook;
          expect(webhook, name).toBeDefined();
          if (webhook === undefined) continue;
          const path = hookPath(webhook);
          expect(SERVED_HOOK_PATHS.has(path ?? ""), `${name}: ${path}`).toBe(true);
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

describe("composite-controllers/sparkcluster.yaml", () => {
  const entry = controllers.find(({ cc }) => cc.metadata.name === "sparkhooks-sparkcluster");

  it("manages sparkclusters.sparkhooks.dev/v1alpha1", () => {
    expect(entry?.cc.spec.parentResource).toEqual({
      apiVersion: "sparkhooks.dev/v1alpha1",
      resource: "sparkclusters",
    });
  });

  it("owns pods (OnDelete), services (InPlace) and configmaps (InPlace)", () => {
    expect(entry?.cc.spec.childResources).toEqual([
      { apiVersion: "v1", resource: "pods", updateStrategy: { method: "OnDelete" } },
      { apiVersion: "v1", resource: "services", updateStrategy: { method: "InPlace" } },
      { apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "InPlace" } },
    ]);
  });

  it("has a customize hook, to read spec.sparkConfigurationMap as a related ConfigMap", () => {
    expect(hookPath(entry?.cc.spec.hooks?.["customize"]?.webhook ?? {})).toBe("/sparkclusters/customize");
  });
});
