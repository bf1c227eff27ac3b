/**
 * No SparkCluster the API server admits, with children as Metacontroller observes them, makes the
 * sync hook answer anything but 200: a 500 stalls the cluster (Metacontroller changes nothing and
 * retries forever). Parents are generated from the generated CRD schema itself, so every field,
 * including ones added later, is covered, then checked with the same validator `sparkhooks
 * render` uses; they go through the real HTTP app, as JSON text.
 */
import fc from "fast-check";
import type { IJSONSchemaProps } from "kubernetes-models/apiextensions.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { crdFor } from "../crd/crd.js";
import { crdValidator } from "../crd/validate.js";
import type { KubeObject } from "../metacontroller/protocol.js";
import { applyDefaults } from "../../test/crd/structural-rules.js";
import {
  clusterParent,
  evicted,
  imagePullBackOff,
  notReady,
  observeAll,
  sync,
  syncRequest,
  terminating,
  withPodStatus,
} from "../../test/support/cluster.js";
import { statusLikeJson } from "../../test/support/json.js";
import { arbitraryFor, jsonText } from "../../test/support/schema-arbitrary.js";
import { controller } from "./controller.js";
import { MAX_WORKER_PODS_BYTES } from "./worker-pods.js";
import { defaultApp } from "../../test/support/app.js";

const schema = crdFor(controller.crd).spec.versions[0]?.schema?.openAPIV3Schema ?? {};
const property = (name: string): IJSONSchemaProps => {
  const found = schema.properties?.[name];
  if (found === undefined) throw new Error(`the CRD schema has no ${name}`);
  return found;
};
const admitted = crdValidator(schema);

const app = defaultApp({ now: () => new Date("2026-11-22T10:00:00Z"), controllers: [controller] });

/** Names the API server accepts for an object: mostly usable cluster names, some the hook rejects. */
const objectName = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/), weight: 4 },
  { arbitrary: fc.constantFrom("spark-master", "0abc", "a".repeat(63), "a.b", "x"), weight: 1 },
);

/** A spec and status the API server admits (after its defaulting), or null to leave them out. */
const specAndStatus = fc
  .record({
    spec: arbitraryFor(property("spec")),
    status: fc.option(arbitraryFor(property("status")), { nil: undefined }),
  })
  .map(({ spec, status }) => ({
    spec: applyDefaults(spec, property("spec")),
    ...(status === undefined ? {} : { status }),
  }))
  .filter(
    (object) =>
      admitted({ apiVersion: controller.apiVersion, kind: controller.kind, metadata: {}, ...object })
        .length === 0,
  );

/** How the kubelet, the scheduler or a user left one observed pod. */
const podState = fc.oneof(
  fc.constant((pod: KubeObject) => pod),
  fc.constant(notReady),
  fc.constant(evicted),
  fc.constant(terminating),
  fc.constant(imagePullBackOff),
  statusLikeJson.map((status) => (pod: KubeObject) => ({ ...pod, status })),
  fc.constant((pod: KubeObject) => withPodStatus(pod, {})),
);

/** A ConfigMap the user may have named in sparkConfigurationMap, with whatever data. */
const userConfigMap = fc.record({
  data: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
  binaryData: fc.dictionary(fc.string({ maxLength: 12 }), fc.base64String({ maxLength: 12 }), { maxKeys: 2 }),
});

describe("SparkCluster sync hook over everything the API server admits", () => {
  it("answers 200 to any admitted parent with well-formed observed children", async () => {
    await fc.assert(
      fc.asyncProperty(
        objectName,
        fc.integer({ min: 1, max: 2 ** 31 }),
        specAndStatus,
        // The children were made for this spec or for another one (an edit since).
        fc.option(specAndStatus, { nil: undefined }),
        fc.array(podState, { minLength: 1, maxLength: 6 }),
        fc.option(userConfigMap, { nil: undefined }),
        fc.constantFrom("sync", "finalize"),
        async (name, generation, now, before, states, configMap, hook) => {
          const parent = clusterParent(now.spec, { name, generation, status: now.status });
          // JSON text and back, as the hook receives every parent (and DeepObjects written out).
          const earlier = JSON.parse(jsonText(clusterParent((before ?? now).spec, { name }))) as KubeObject;
          const world = observeAll(sync(earlier).response.children, earlier).map((object, index) =>
            object.kind === "Pod" ? (states[index % states.length] ?? ((pod) => pod))(object) : object,
          );
          const related =
            configMap === undefined
              ? []
              : [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-config` }, ...configMap }];

          const res = await app.request(`/${controller.resource}/${hook}`, {
            method: "POST",
            body: jsonText(syncRequest(parent, world, related)),
          });
          const text = await res.text();
          expect(res.status, text.slice(0, 500)).toBe(200);
          expect(JSON.parse(text)).toMatchObject({ children: expect.any(Array), status: expect.any(Object) });
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it("answers 200 with at most 6 MiB of worker pods, however many workers and however large the spec", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 900, max: 1000 })),
        // Up to ~850 KiB of affinity and ~40 KiB of env in every pod: the API server takes both.
        fc.nat({ max: 25_000 }),
        fc.nat({ max: 400 }),
        async (instances, zones, variables) => {
          const spec = {
            worker: { instances },
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        {
                          key: "zone",
                          operator: "In",
                          values: Array.from({ length: zones }, (_, i) => `zone-${i}-abcdefghijklmnopqrst`),
                        },
                      ],
                    },
                  ],
                },
              },
            },
            env: Array.from({ length: variables }, (_, i) => ({
              name: `VARIABLE_${i}`,
              value: "x".repeat(80),
            })),
          };
          const res = await app.request(`/${controller.resource}/sync`, {
            method: "POST",
            body: JSON.stringify(syncRequest(clusterParent(spec))),
          });
          expect(res.status).toBe(200);
          const { children } = (await res.json()) as {
            children: { kind: string; metadata: { labels?: Record<string, string> } }[];
          };
          const workerBytes = children
            .filter(
              (child) =>
                child.kind === "Pod" && child.metadata.labels?.["app.kubernetes.io/component"] === "worker",
            )
            .reduce((sum, pod) => sum + Buffer.byteLength(JSON.stringify(pod)), 0);
          // A pod is its template plus its name and slot labels.
          expect(workerBytes).toBeLessThanOrEqual(MAX_WORKER_PODS_BYTES + instances * 512);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
