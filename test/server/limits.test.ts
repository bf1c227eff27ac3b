/**
 * The production app with its default limits against the largest requests a controller lets
 * through: the largest valid cluster is served, anything bigger is refused without harm.
 */
import { describe, expect, it } from "vitest";
import { BENCH_CONTROLLER, sparkCluster, steadyStateSync, SYNC_PATH } from "../bench/bodies.js";
import { clusterParent, converge, namesOf, syncRequest } from "../support/cluster.js";
import { loadConfig } from "../../hooks/server/config.js";
import { defaultApp } from "../support/app.js";

const defaults = loadConfig({});
const app = defaultApp({ now: () => new Date("2026-11-22T10:00:00Z") });

const post = (body: string) =>
  app.request(SYNC_PATH, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
  });

/** Status and the Ready condition of a sync answer. */
async function answer(res: Response) {
  const body = (await res.json()) as {
    children: unknown[];
    status: { conditions?: { type: string; reason: string; message: string }[] };
  };
  return { ...body, ready: body.status.conditions?.find((c) => c.type === "Ready") };
}

describe("the largest requests, with the default limits", () => {
  it("serves a steady 1,000-worker cluster, the maximum, well inside the body limit", async () => {
    const steady = steadyStateSync(BENCH_CONTROLLER, 1000);
    const bytes = Buffer.byteLength(steady.body);
    expect(bytes).toBeLessThan(defaults.bodyLimitBytes / 2.5);

    const res = await post(steady.body);
    expect(res.status).toBe(200);
    const { children } = await answer(res);
    expect(children).toHaveLength(steady.response.children.length);
  }, 60_000);

  it.each([1001, "1001", 2147483647, "2147483648", "99999999999999999999"])(
    "answers %j workers at once with InvalidSpec, changing nothing",
    async (instances) => {
      const started = performance.now();
      const parent = { ...sparkCluster(0), spec: { worker: { instances } } };
      const res = await post(JSON.stringify({ parent, children: {} }));
      expect(res.status).toBe(200);
      const { children, ready } = await answer(res);
      expect(children).toEqual([]);
      expect(ready).toMatchObject({ reason: "InvalidSpec" });
      expect(ready?.message).toContain("spec.worker.instances: must be a whole number from 0 to 1000");
      expect(performance.now() - started).toBeLessThan(1000);
    },
  );

  it("answers a spec that would render gigabytes of pods with InvalidSpec, not an exhausted server", async () => {
    // ~770 KiB of node affinity, under the API server's object size limit, times 1,000 workers.
    const values = Array.from({ length: 20_000 }, (_, i) => `zone-${i}-abcdefghijklmnopqrstuvwxyz`);
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values }] }],
        },
      },
    };
    const parent = { ...sparkCluster(0), spec: { worker: { instances: 1000 }, affinity } };
    const started = performance.now();
    const res = await post(JSON.stringify({ parent, children: {} }));
    expect(res.status).toBe(200);
    const { children, ready } = await answer(res);
    expect(children).toEqual([]);
    expect(ready?.message).toMatch(/^spec\.worker\.instances: 1000 worker pods of \d+ KiB each/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("refuses a body over the limit from its Content-Length, before reading it", async () => {
    const res = await app.request(SYNC_PATH, {
      method: "POST",
      body: "{}",
      headers: { "content-length": String(defaults.bodyLimitBytes + 1) },
    });
    expect(res.status).toBe(413);
  });
});

describe("deeply nested input", () => {
  const world = converge(clusterParent({ worker: { instances: 2 } }));

  /** A sync request for `spec`, with `nested` (JSON text) spliced in where the spec says "NESTED". */
  function requestWith(spec: unknown, nested: string): string {
    const text = JSON.stringify(syncRequest(clusterParent(spec), world));
    expect(text).toContain('"NESTED"');
    return text.replace('"NESTED"', nested);
  }

  // The API server accepts objects nested up to 10,000 levels; Metacontroller passes them on.
  const tenThousandLevels = '{"a":'.repeat(10_000) + "{}" + "}".repeat(10_000);

  it.each([
    ["spec.affinity", { worker: { instances: 2 }, affinity: { nodeAffinity: "NESTED" } }],
    ["spec.historyServer.name", { worker: { instances: 2 }, historyServer: { name: "NESTED" } }],
  ])(
    "answers 10,000 levels under %s with InvalidSpec naming it and every child kept",
    async (field, spec) => {
      const res = await post(requestWith(spec, tenThousandLevels));
      expect(res.status).toBe(200);
      const { children, ready } = await answer(res);
      expect(ready).toMatchObject({ reason: "InvalidSpec" });
      expect(ready?.message).toMatch(new RegExp(`^${field.replace(".", "\\.")}: `));
      expect(namesOf(children as { metadata: { name: string } }[]).sort()).toEqual(namesOf(world).sort());
    },
  );
});
