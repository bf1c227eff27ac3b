/**
 * Invariants of SparkApplication sync over every spec the CRD admits (generated from its
 * structural schema, defaults applied as the API server would) and over whatever the observed
 * driver pod reports: a new application, one created from the generated spec and observed some
 * time later, and a running application edited to the generated spec.
 */
import fc from "fast-check";
import { ConfigMap, Pod, Service } from "kubernetes-models/v1";
import type { IPod } from "kubernetes-models/v1/Pod";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { isDns1035Label, isDns1123Label } from "../kube/names.js";
import { keepObserved } from "../kube/observed.js";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { structuralSchema } from "../crd/structural.js";
import { applyDefaults } from "../../test/crd/structural-rules.js";
import { statusLikeJson } from "../../test/support/json.js";
import { restrictedViolations } from "../../test/support/pod-security.js";
import { arbitraryFor } from "../../test/support/schema-arbitrary.js";
import {
  applicationParent,
  applicationRequest,
  apply,
  driverEvicted,
  driverFailed,
  driverPending,
  driverSucceeded,
  exampleApplication,
  executorPod,
  secondsAfter,
  stepDirect,
  T0,
  type SyncAnswer,
  type World,
} from "../../test/support/applications.js";
import { customizeSparkApplication } from "./customize.js";
import { CONTROLLER_UID_LABEL } from "./executor-template.js";
import { SparkApplicationSpec } from "./schema.js";
import { EXECUTOR_TEMPLATE_FILE } from "./spark-properties.js";
import { syncSparkApplication } from "./sync.js";

const schema = structuralSchema(SparkApplicationSpec, { path: "spec" });
const specs = arbitraryFor(schema).map((raw) => applyDefaults(raw, schema) as Record<string, unknown>);

const appName = fc.oneof(
  { arbitrary: fc.constantFrom("spark-pi", "etl", "a", "nightly.report", "0-daily"), weight: 3 },
  { arbitrary: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/), weight: 2 },
  { arbitrary: fc.constant("x".repeat(64)), weight: 1 },
);

/** What the kubelet (or anyone with access to the pod's status) may report about a driver. */
type DriverChange = (pod: KubeObject, at: Date) => KubeObject;
const driverChanges: fc.Arbitrary<DriverChange> = fc.oneof(
  fc.constant<DriverChange>((pod) => pod),
  fc.constant<DriverChange>((pod) => driverPending(pod)),
  fc.constant<DriverChange>((pod) => driverPending(pod, "ImagePullBackOff")),
  fc.constant<DriverChange>((pod, at) => driverSucceeded(pod, at)),
  fc.integer({ min: 1, max: 255 }).map<DriverChange>((code) => (pod, at) => driverFailed(pod, at, code)),
  fc.constant<DriverChange>((pod, at) => driverEvicted(pod, at)),
  fc.constant<DriverChange>((pod) => ({ ...pod, status: { phase: "Unknown" } })),
  fc.constant<DriverChange>((pod, at) => ({
    ...pod,
    metadata: { ...pod.metadata, deletionTimestamp: at.toISOString() },
  })),
  statusLikeJson.map<DriverChange>((status) => (pod) => ({ ...pod, status })),
);

/** How the application got to the request the property looks at. */
const histories = fc.constantFrom("new", "created", "edited");

interface Scenario {
  readonly world: World;
  readonly now: Date;
}

function changeDrivers(world: World, change: DriverChange, at: Date, executors: number): World {
  const children = world.children.map((child) => (child.kind === "Pod" ? change(child, at) : child));
  const driver = children.find((child) => child.kind === "Pod");
  const related =
    driver?.metadata.labels?.["spark-app-selector"] === undefined
      ? []
      : Array.from({ length: executors }, (_, id) => executorPod(world.parent.metadata.name, driver, id + 1));
  return { ...world, children, related };
}

/**
 * Core/v1 objects a spec hands through to the pods as the user wrote them (the CRD keeps them
 * as they are): the API server, not the hook, judges those.
 */
const PASS_THROUGH = [
  "template",
  "sidecars",
  "initContainers",
  "volumeMounts",
  "envFrom",
  "affinity",
  "dnsConfig",
  "lifecycle",
];

function withoutPassThrough(spec: Record<string, unknown>): Record<string, unknown> {
  const role = (value: unknown) =>
    typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value).filter(([key]) => !PASS_THROUGH.includes(key)))
      : value;
  const { volumes: _volumes, ...rest } = spec;
  return { ...rest, driver: role(spec["driver"]), executor: role(spec["executor"]) };
}

/** Removes the value at a path as the hook's messages write it (`spec.driver.labels.example.com/x`, `spec.volumes[1]`). */
function withoutPath(spec: Record<string, unknown>, path: string): Record<string, unknown> | undefined {
  const copy = structuredClone(spec);
  const segments = path
    .replace(/^spec\./, "")
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".");
  let node: unknown = copy;
  while (segments.length > 0 && typeof node === "object" && node !== null) {
    const record = node as Record<string, unknown>;
    // Keys may hold dots themselves (label keys): take the longest run of segments that is one.
    let taken = segments.length;
    while (taken > 0 && !(segments.slice(0, taken).join(".") in record)) taken -= 1;
    if (taken === 0) return undefined;
    const key = segments.splice(0, taken).join(".");
    if (segments.length === 0) {
      if (Array.isArray(record)) record.splice(Number(key), 1);
      else delete record[key];
      return copy;
    }
    node = record[key];
  }
  return undefined;
}

/**
 * The generated spec with every field the hook refuses taken out, one round of messages at a
 * time: specs that get past the hook's own checks and so are rendered, each still covering
 * whatever generated fields were valid. Undefined when a problem names no removable field.
 */
function repaired(spec: Record<string, unknown>): Record<string, unknown> | undefined {
  let current = spec;
  for (let round = 0; round < 12; round += 1) {
    const { status } = syncSparkApplication(applicationRequest(applicationParent(current)), T0).response;
    if (!isInvalidSpec(status)) return current;
    const ready = ((status as { conditions?: { type: string; message: string }[] }).conditions ?? []).find(
      (condition) => condition.type === "Ready",
    );
    const paths = [...(ready?.message ?? "").matchAll(/(?:^|; )(spec\.[^:; ]+):/g)].map(
      (match) => match[1] ?? "",
    );
    if (paths.length === 0) return undefined;
    for (const path of paths) {
      const next = withoutPath(current, path);
      if (next === undefined) return undefined;
      current = next;
    }
  }
  return undefined;
}

/** Specs the hook renders: generated, pass-through objects left out, refused fields removed. */
const renderedSpecs = specs
  .map((spec) => repaired(withoutPassThrough(spec)))
  .filter((spec): spec is Record<string, unknown> => spec !== undefined);

const scenarios = scenariosOver(fc.oneof(specs, renderedSpecs));

function scenariosOver(specs: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Scenario> {
  return fc
    .record({
      history: histories,
      name: appName,
      spec: specs,
      change: driverChanges,
      executors: fc.integer({ min: 0, max: 3 }),
      later: fc.integer({ min: 0, max: 200_000 }),
      staleStatus: fc.boolean(),
    })
    .map(({ history, name, spec, change, executors, later, staleStatus }) => {
      const now = secondsAfter(later);
      const at = secondsAfter(Math.floor(later / 2));
      if (history === "new")
        return { world: { parent: applicationParent(spec, { name }), children: [], related: [] }, now };
      const base =
        history === "created"
          ? applicationParent(spec, { name })
          : {
              ...exampleApplication("spark-pi-3.5.yaml"),
              metadata: { ...exampleApplication("spark-pi-3.5.yaml").metadata, name },
            };
      const submitted = stepDirect({ parent: base, children: [], related: [] }, T0).world;
      const changed = changeDrivers(submitted, change, at, executors);
      const parent: KubeObject =
        history === "edited"
          ? { ...changed.parent, metadata: { ...changed.parent.metadata, generation: 2 }, spec }
          : changed.parent;
      // Metacontroller may send a parent read before the last status write arrived.
      const { status: _status, ...withoutStatus } = parent as KubeObject & { status?: unknown };
      return { world: { ...changed, parent: staleStatus ? withoutStatus : parent }, now };
    });
}

function answer({ world, now }: Scenario): SyncAnswer {
  return syncSparkApplication(applicationRequest(world.parent, world.children, world.related), now).response;
}

function validate(child: DesiredObject): void {
  const data = child as never;
  if (child.kind === "Pod") new Pod(data).validate();
  else if (child.kind === "Service") new Service(data).validate();
  else if (child.kind === "ConfigMap") new ConfigMap(data).validate();
  else throw new Error(`unexpected child kind ${child.kind}`);
}

function isInvalidSpec(status: Record<string, unknown>): boolean {
  const conditions = (status["conditions"] ?? []) as { type: string; reason: string }[];
  return conditions.some((condition) => condition.type === "Ready" && condition.reason === "InvalidSpec");
}

function executorTemplate(children: readonly DesiredObject[]): IPod | undefined {
  const configMap = children.find((child) => child.kind === "ConfigMap") as
    { data?: Record<string, string> } | undefined;
  const file = configMap?.data?.[EXECUTOR_TEMPLATE_FILE];
  return file === undefined ? undefined : (parseYaml(file) as IPod);
}

/**
 * The fields with which a spec asks for more than Pod Security restricted allows (a security
 * context, host networking, a hostPath volume, a template or containers of its own): without
 * them, the driver and the executors must be admitted into a restricted namespace.
 */
const POD_SECURITY_FIELDS = [
  "securityContext",
  "podSecurityContext",
  "hostNetwork",
  "template",
  "sidecars",
  "initContainers",
];

function withoutPodSecurityFields(spec: Record<string, unknown>): Record<string, unknown> {
  const role = (value: unknown) =>
    typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value).filter(([key]) => !POD_SECURITY_FIELDS.includes(key)))
      : value;
  const { volumes: _volumes, ...rest } = spec;
  return { ...rest, driver: role(spec["driver"]), executor: role(spec["executor"]) };
}

const settings = { numRuns: 80 };

describe("SparkApplication sync, for every spec the CRD admits and every observed driver", () => {
  it("never throws and always answers with a status and children", () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const response = answer(scenario);
        expect(typeof response.status).toBe("object");
        expect(Array.isArray(response.children)).toBe(true);
      }),
      settings,
    );
  }, 60_000);

  it("answers the same request with the same bytes", () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        expect(JSON.stringify(answer(scenario))).toBe(JSON.stringify(answer(scenario)));
      }),
      settings,
    );
  }, 60_000);

  it("asks only for children the API server accepts, with DNS names Kubernetes allows", () => {
    fc.assert(
      fc.property(scenariosOver(fc.oneof(specs.map(withoutPassThrough), renderedSpecs)), (scenario) => {
        const response = answer(scenario);
        const userPodName = (scenario.world.parent as { spec?: { driver?: { podName?: unknown } } }).spec
          ?.driver?.podName;
        for (const child of response.children) {
          expect(() => validate(child), `${child.kind}/${child.metadata.name}`).not.toThrow();
          const { name } = child.metadata;
          if (child.kind === "Service") expect(isDns1035Label(name), name).toBe(true);
          // spec.driver.podName is the user's, a DNS subdomain by the CRD's pattern.
          else if (name !== userPodName) expect(isDns1123Label(name), name).toBe(true);
        }
      }),
      settings,
    );
  }, 60_000);

  it("keeps every observed child exactly as it is whenever it reports InvalidSpec", () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const response = answer(scenario);
        fc.pre(isInvalidSpec(response.status));
        const key = (object: DesiredObject) => `${object.kind}/${object.metadata.name}`;
        const kept = new Map(response.children.map((child) => [key(child), JSON.stringify(child)]));
        expect(kept.size).toBe(scenario.world.children.length);
        for (const observed of scenario.world.children) {
          expect(kept.get(key(observed))).toBe(JSON.stringify(keepObserved(observed)));
        }
      }),
      settings,
    );
  }, 60_000);

  it("gives executors a template with the labels customize selects them by, never controller-uid", () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const response = answer(scenario);
        const template = executorTemplate(response.children);
        fc.pre(template !== undefined);
        const labels = template?.metadata?.labels ?? {};
        expect(labels[CONTROLLER_UID_LABEL]).toBeUndefined();
        const [rule] = customizeSparkApplication({ parent: scenario.world.parent }).relatedResources;
        for (const [key, value] of Object.entries(rule?.labelSelector?.matchLabels ?? {})) {
          expect(labels[key], key).toBe(value);
        }
      }),
      settings,
    );
  }, 60_000);

  it("links a rendered run to its history server: event logging on, the claim in the driver pod and nowhere else", () => {
    const mountPaths = fc.constantFrom(undefined, "/history/spark-events", "/data/events");
    fc.assert(
      fc.property(appName, renderedSpecs, mountPaths, (name, spec, mountPath) => {
        const hs = {
          apiVersion: "sparkhooks.dev/v1alpha1",
          kind: "SparkHistoryServer",
          metadata: { name: "hs", namespace: "default" },
          spec: mountPath === undefined ? {} : { sharedVolume: { mountPath } },
        };
        const parent = applicationParent({ ...spec, historyServer: { name: "hs" } }, { name });
        const { children } = syncSparkApplication(applicationRequest(parent, [], [hs]), T0).response;
        const driver = children.find((child) => child.kind === "Pod") as IPod | undefined;
        const template = executorTemplate(children);
        fc.pre(driver !== undefined && template !== undefined);
        const path = mountPath ?? "/history/spark-events";
        const configMap = children.find((child) => child.kind === "ConfigMap") as
          { data?: Record<string, string> } | undefined;
        const properties = configMap?.data?.["spark.properties"] ?? "";
        expect(properties).toContain("spark.eventLog.enabled=true\n");
        expect(properties).toContain(`spark.eventLog.dir=file:${path}\n`);
        const claims = (driver.spec?.volumes ?? []).filter((volume) => volume.persistentVolumeClaim);
        expect(claims).toContainEqual({
          name: "spark-events",
          persistentVolumeClaim: { claimName: "hs-claim" },
        });
        expect(driver.spec?.containers[0]?.volumeMounts).toContainEqual({
          name: "spark-events",
          mountPath: path,
        });
        expect(JSON.stringify(template)).not.toContain("hs-claim");
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it("renders a driver pod and executor template that Pod Security restricted admits unless the spec asks otherwise", () => {
    fc.assert(
      fc.property(appName, renderedSpecs, (name, spec) => {
        const parent = applicationParent(withoutPodSecurityFields(spec), { name });
        const { children } = syncSparkApplication(applicationRequest(parent), T0).response;
        const driver = children.find((child) => child.kind === "Pod") as IPod | undefined;
        const template = executorTemplate(children);
        fc.pre(driver !== undefined && template !== undefined);
        expect(restrictedViolations(driver.spec!, driver.metadata)).toEqual([]);
        expect(restrictedViolations(template.spec!, template.metadata)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe("SparkApplication sync, sync after sync", () => {
  it("keeps moving: after any observed driver state, feeding the answer back never throws", () => {
    fc.assert(
      fc.property(scenarios, fc.integer({ min: 1, max: 10_000 }), (scenario, wait) => {
        const first = answer(scenario);
        const next = apply(scenario.world, first, scenario.now);
        const later = new Date(scenario.now.getTime() + wait * 1000);
        const second = syncSparkApplication(
          applicationRequest(next.parent, next.children, next.related),
          later,
        ).response as SyncAnswer;
        expect(typeof second.status).toBe("object");
        // The run number never goes back.
        const attempt = (status: Record<string, unknown>) =>
          typeof status["attempt"] === "number" ? status["attempt"] : 0;
        expect(attempt(second.status)).toBeGreaterThanOrEqual(attempt(first.status));
      }),
      settings,
    );
  }, 60_000);
});
