/**
 * Invariants of the SparkHistoryServer sync over specs the API server admits (generated from the
 * generated CRD schema itself, so every field is covered) and children in the states Kubernetes
 * leaves them in:
 *
 * - deterministic: the same request gives the same bytes;
 * - an event log claim, once observed, is in every answer, unchanged, whatever the spec;
 * - every child it renders is valid per kubernetes-models (for specs without the preserved
 *   objects volumes and affinity, whose inner shape the API server checks when the pod is made);
 * - an invalid spec keeps every observed child exactly as Metacontroller last applied it;
 * - it always answers 200 through the HTTP app;
 * - it reads the event logs exactly where writers linked to it by name write them
 *   (../spark/event-log.ts): same directory, same claim, mounted at the same path.
 */
import fc from "fast-check";
import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { ConfigMap, PersistentVolumeClaim, Pod, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { crdFor } from "../crd/crd.js";
import { crdValidator } from "../crd/validate.js";
import type { IPodSpec } from "kubernetes-models/v1";
import { keepObserved } from "../kube/observed.js";
import { resolveEventLogTarget } from "../spark/event-log.js";
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { applyDefaults } from "../../test/crd/structural-rules.js";
import { defaultApp } from "../../test/support/app.js";
import { evicted, imagePullBackOff, notReady, terminating } from "../../test/support/cluster.js";
import {
  convergeServer,
  serverParent,
  serverRequest,
  syncServer,
} from "../../test/support/history-servers.js";
import { arbitraryFor, jsonText } from "../../test/support/schema-arbitrary.js";
import { controller } from "./controller.js";

const schema = crdFor(controller.crd).spec.versions[0]?.schema?.openAPIV3Schema ?? {};
const specSchema: IJSONSchemaProps = schema.properties?.["spec"] ?? {};
const admitted = crdValidator(schema);

/** A spec the API server admits, after its defaulting. */
const admittedSpec = arbitraryFor(specSchema)
  .map((spec) => applyDefaults(spec, specSchema))
  .filter(
    (spec) =>
      admitted({ apiVersion: controller.apiVersion, kind: controller.kind, metadata: {}, spec }).length === 0,
  );

/** Specs that mostly pass the hook too, to reach the rendering paths often. */
const usualSpec = fc.record(
  {
    type: fc.constantFrom("sharedVolume", "remoteStorage"),
    remoteURI: fc.constantFrom("s3a://logs/events", "gs://logs/events"),
    expose: fc.boolean(),
    host: fc.constantFrom("", "history.example.com"),
    retainedApplications: fc.integer({ min: 1, max: 200 }),
    updateInterval: fc.integer({ min: 1, max: 60 }),
    sharedVolume: fc.record({ size: fc.constantFrom("0.3Gi", "1Gi", "5Gi") }),
    cleaner: fc.record({ enabled: fc.boolean(), maxAge: fc.integer({ min: 1, max: 90 }) }),
    persistentPath: fc.constant("/var/cache/history"),
    internalPort: fc.constantFrom(18080, 19090, 80),
  },
  { requiredKeys: ["type", "remoteURI"] },
);

const anySpec = fc.oneof(admittedSpec, usualSpec);

/** What may have happened to one observed child since it was created. */
const childState = fc.constantFrom(
  (child: KubeObject) => child,
  (child: KubeObject) => (child.kind === "Pod" ? notReady(child) : child),
  (child: KubeObject) => (child.kind === "Pod" ? evicted(child) : child),
  (child: KubeObject) => (child.kind === "Pod" ? imagePullBackOff(child) : child),
  (child: KubeObject) => terminating(child),
  (child: KubeObject) =>
    child.kind === "PersistentVolumeClaim" ? { ...child, status: { phase: "Pending" } } : child,
);

/** A world a history server with spec `before` reached, then changed by the kubelet or users. */
const world = fc
  .record({
    before: usualSpec,
    states: fc.array(childState, { minLength: 6, maxLength: 6 }),
    drop: fc.nat(6),
  })
  .map(({ before, states, drop }) => {
    const converged = convergeServer(serverParent({ ...before, internalPort: 18080 }));
    return converged
      .filter((_, index) => index !== drop)
      .map((child, index) => (states[index % states.length] ?? ((c: KubeObject) => c))(child));
  });

const MODELS: Record<string, new (data: unknown) => { validate(): void }> = {
  Pod: Pod as never,
  Service: Service as never,
  ConfigMap: ConfigMap as never,
  PersistentVolumeClaim: PersistentVolumeClaim as never,
  Ingress: Ingress as never,
};

const claimsOf = (objects: readonly (KubeObject | DesiredObject)[]) =>
  objects.filter((object) => object.kind === "PersistentVolumeClaim");

describe("SparkHistoryServer sync, for any admitted spec and observed children", () => {
  it("answers the same request with the same bytes", () => {
    fc.assert(
      fc.property(anySpec, world, (spec, observed) => {
        const parent = serverParent(spec, { generation: 2 });
        expect(JSON.stringify(syncServer(parent, observed).response)).toBe(
          JSON.stringify(syncServer(parent, observed).response),
        );
      }),
      { numRuns: 150 },
    );
  });

  it("keeps an observed event log claim, unchanged, whatever the spec says", () => {
    fc.assert(
      fc.property(anySpec, world, (spec, observed) => {
        const answer = syncServer(serverParent(spec, { generation: 2 }), observed).response.children;
        const observedClaims = claimsOf(observed) as KubeObject[];
        const answered = claimsOf(answer);
        expect(answered).toEqual(expect.arrayContaining(observedClaims.map(keepObserved)));
        // At most one claim more: <name>-claim, and only when it is not there yet.
        const added = answered.length - observedClaims.length;
        expect([0, 1]).toContain(added);
        if (added === 1) expect(observedClaims.some((c) => c.metadata.name === "history-claim")).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("renders only children kubernetes-models accepts", () => {
    const withoutPreserved = anySpec.map((spec) => {
      const {
        volumes: _volumes,
        volumeMounts: _mounts,
        affinity: _affinity,
        ...rest
      } = spec as Record<string, unknown>;
      return rest;
    });
    fc.assert(
      fc.property(withoutPreserved, world, (spec, observed) => {
        const result = syncServer(serverParent(spec, { generation: 2 }), observed);
        const kept = new Set((observed as DesiredObject[]).map((o) => `${o.kind}/${o.metadata.name}`));
        for (const child of result.response.children) {
          if (kept.has(`${child.kind}/${child.metadata.name}`)) continue;
          // kubernetes-models has no Gateway API types; sync.test.ts checks the HTTPRoute's shape.
          if (child.kind === "HTTPRoute") continue;
          const Model = MODELS[child.kind];
          expect(Model, child.kind).toBeDefined();
          expect(() =>
            new (Model as new (data: unknown) => { validate(): void })(child).validate(),
          ).not.toThrow();
        }
      }),
      { numRuns: 150 },
    );
  });

  it("keeps every observed child as last applied when the spec is invalid", () => {
    fc.assert(
      fc.property(anySpec, world, (spec, observed) => {
        const result = syncServer(serverParent(spec, { generation: 2 }), observed);
        fc.pre(result.outcome === "invalid_spec");
        const byName = (objects: readonly DesiredObject[]) =>
          [...objects].sort((a, b) =>
            `${a.kind}/${a.metadata.name}` < `${b.kind}/${b.metadata.name}` ? -1 : 1,
          );
        expect(byName(result.response.children)).toEqual(byName(observed.map(keepObserved)));
      }),
      { numRuns: 300 },
    );
  });

  it("reads the event logs where a writer linked to it by name writes them", () => {
    fc.assert(
      fc.property(anySpec, (spec) => {
        const parent = serverParent(spec);
        const result = syncServer(parent);
        fc.pre(result.outcome === "ok");
        const resolved = resolveEventLogTarget({ name: parent.metadata.name }, parent as { spec?: unknown });
        if (!resolved.ok) throw new Error(resolved.message);
        const { target } = resolved;
        expect(result.response.status["logDirectory"]).toBe(target.directory);
        const pod = result.response.children.find((child) => child.kind === "Pod") as unknown as {
          spec: IPodSpec;
        };
        const claimVolume = pod.spec.volumes?.find((v) => v.name === "event-logs");
        expect(claimVolume?.persistentVolumeClaim?.claimName).toBe(target.volume?.claimName);
        const mount = pod.spec.containers[0]?.volumeMounts?.find((m) => m.name === claimVolume?.name);
        expect(mount?.mountPath).toBe(target.volume?.mountPath);
      }),
      { numRuns: 200 },
    );
  });

  it("always answers 200 through the HTTP app", async () => {
    const app = defaultApp({ now: () => new Date("2026-11-22T10:00:00Z"), controllers: [controller] });
    await fc.assert(
      fc.asyncProperty(anySpec, world, async (spec, observed) => {
        const request = serverRequest(serverParent(spec, { generation: 2 }), observed);
        const res = await app.request(`/${controller.resource}/sync`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: jsonText(request),
        });
        expect(res.status).toBe(200);
      }),
      { numRuns: 60 },
    );
  });
});
