import { describe, expect, it } from "vitest";
import {
  CompositeControllerSchema,
  HookError,
  decodeCustomizeResponse,
  decodeSyncResponse,
  parseGoDuration,
  retryAfterSeconds,
  webhookTimeoutMs,
  webhookUrl,
} from "./hooks.js";
import { compileSelector } from "./selector.js";
import { WorkQueue } from "./workqueue.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../paths.js";

describe("hook URL and timeout", () => {
  it("builds <protocol>://<name>.<namespace>:<port><path> from a service, with defaults", () => {
    expect(webhookUrl({ service: { name: "sparkhooks", namespace: "sparkhooks" }, path: "/sync" })).toBe(
      "http://sparkhooks.sparkhooks:80/sync",
    );
    expect(
      webhookUrl({ service: { name: "h", namespace: "n", port: 8443, protocol: "https" }, path: "/a/b" }),
    ).toBe("https://h.n:8443/a/b");
  });

  it("prefers url over service and path", () => {
    expect(webhookUrl({ url: "http://x/y", service: { name: "a", namespace: "b" }, path: "/p" })).toBe(
      "http://x/y",
    );
  });

  it("rejects a service without a path", () => {
    expect(() => webhookUrl({ service: { name: "a", namespace: "b" } })).toThrow(/both 'service' and 'path'/);
  });

  it.each<[string, number | undefined]>([
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1.5s", 1_500],
    ["2h", 7_200_000],
    ["0", 0],
    ["-1s", -1_000],
    ["10", undefined],
    ["soon", undefined],
  ])("parses the Go duration %s", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it("defaults the timeout to 10 s, also for zero, negative and unparsable values", () => {
    expect(webhookTimeoutMs({})).toBe(10_000);
    expect(webhookTimeoutMs({ timeout: "5s" })).toBe(5_000);
    expect(webhookTimeoutMs({ timeout: "0s" })).toBe(10_000);
    expect(webhookTimeoutMs({ timeout: "-3s" })).toBe(10_000);
    expect(webhookTimeoutMs({ timeout: "x" })).toBe(10_000);
  });
});

describe("Retry-After on a 429", () => {
  const now = new Date("2026-11-22T10:00:00Z");
  it.each<[string | null, number]>([
    ["3", 3],
    ["0", 0],
    [null, 0],
    ["", 0],
    ["1.5", 0],
    ["Sun, 22 Nov 2026 10:00:05 GMT", 5],
    ["Sun, 22 Nov 2026 09:59:00 GMT", -60],
  ])("%j gives %d s", (header, seconds) => {
    expect(retryAfterSeconds(header, now)).toBe(seconds);
  });
});

describe("decodeSyncResponse", () => {
  it("reads status, children, resyncAfterSeconds and finalized", () => {
    const child = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
    expect(
      decodeSyncResponse(
        JSON.stringify({ status: { a: 1 }, children: [child], resyncAfterSeconds: 1.5, finalized: true }),
        false,
      ),
    ).toEqual({ status: { a: 1 }, children: [child], resyncAfterSeconds: 1.5, finalized: true });
  });

  it("treats missing keys and a null body as an empty response, which wipes status and children", () => {
    const empty = { status: null, children: [], resyncAfterSeconds: 0, finalized: false };
    expect(decodeSyncResponse("{}", false)).toEqual(empty);
    expect(decodeSyncResponse("null", false)).toEqual(empty);
  });

  it("ignores unknown and differently cased keys in loose mode and rejects them in strict mode", () => {
    expect(decodeSyncResponse('{"Status":{"a":1},"extra":1}', false).status).toBeNull();
    expect(() => decodeSyncResponse('{"status":{},"extra":1}', true)).toThrow(/unknown field/);
  });

  it.each([
    ["", /can't unmarshal/],
    ["not json", /can't unmarshal/],
    ["[]", /want object/],
    ['{"status":"ok"}', /status is string/],
    ['{"children":{}}', /children is object/],
    ['{"children":[1]}', /child is number/],
    ['{"children":[{"apiVersion":"v1","metadata":{"name":"x"}}]}', /Kind' is missing/],
    ['{"resyncAfterSeconds":"5"}', /resyncAfterSeconds is string/],
    ['{"finalized":"yes"}', /finalized is string/],
  ])("fails on %s", (text, error) => {
    expect(() => decodeSyncResponse(text, false)).toThrow(HookError);
    expect(() => decodeSyncResponse(text, false)).toThrow(error);
  });
});

describe("decodeCustomizeResponse", () => {
  it("reads the rules, dropping empty optional fields", () => {
    expect(
      decodeCustomizeResponse(
        JSON.stringify({
          relatedResources: [
            { apiVersion: "v1", resource: "configmaps", namespace: "ns", names: ["a"] },
            { apiVersion: "v1", resource: "secrets", labelSelector: { matchLabels: { x: "y" } }, names: [] },
          ],
        }),
      ),
    ).toEqual([
      { apiVersion: "v1", resource: "configmaps", namespace: "ns", names: ["a"] },
      { apiVersion: "v1", resource: "secrets", labelSelector: { matchLabels: { x: "y" } } },
    ]);
  });

  it("accepts no rules and rejects a malformed rule", () => {
    expect(decodeCustomizeResponse("{}")).toEqual([]);
    expect(() => decodeCustomizeResponse('{"relatedResources":[{"resource":"x"}]}')).toThrow(HookError);
  });
});

describe("CompositeController parsing", () => {
  it("accepts every CompositeController in composite-controllers/", () => {
    const dir = join(repoRoot, "composite-controllers");
    const docs = parseAllDocuments(readFileSync(join(dir, "sparkcluster.yaml"), "utf8")).map(
      (d) => d.toJS() as unknown,
    );
    for (const doc of docs) expect(CompositeControllerSchema.safeParse(doc).success).toBe(true);
  });
});

describe("label selectors", () => {
  it.each<[Parameters<typeof compileSelector>[0], Record<string, string> | undefined, boolean]>([
    [{ matchLabels: { a: "1" } }, { a: "1", b: "2" }, true],
    [{ matchLabels: { a: "1" } }, { a: "2" }, false],
    [{ matchLabels: { a: "1" } }, undefined, false],
    [{ matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] }, { a: "2" }, true],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, {}, true],
    [{ matchExpressions: [{ key: "a", operator: "Exists" }] }, { a: "" }, true],
    [{ matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, { a: "" }, false],
    [{}, { any: "thing" }, true],
    [undefined, undefined, true],
  ])("%j matches %j: %s", (selector, labels, expected) => {
    expect(compileSelector(selector).matches(labels)).toBe(expected);
  });

  it("knows an empty selector and rejects invalid requirements", () => {
    expect(compileSelector({}).empty).toBe(true);
    expect(compileSelector({ matchLabels: { a: "b" } }).toString()).toBe("a=b");
    expect(() => compileSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).toThrow();
  });
});

describe("WorkQueue", () => {
  it("hands a key out once, and once more after done if it was added meanwhile", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("a");
    expect(await q.get()).toBe("a");
    q.add("a"); // while processing: marked dirty
    q.add("b");
    expect(await q.get()).toBe("b");
    q.done("b");
    expect(q.isIdle()).toBe(false);
    q.done("a");
    expect(await q.get()).toBe("a");
    q.done("a");
    expect(q.isIdle()).toBe(true);
  });

  it("backs off exponentially per key up to the cap, and forget resets it", () => {
    const q = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 300 });
    expect([
      q.addRateLimited("k"),
      q.addRateLimited("k"),
      q.addRateLimited("k"),
      q.addRateLimited("k"),
    ]).toEqual([50, 100, 200, 300]);
    expect(q.isIdle()).toBe(false); // a retry is pending
    q.forget("k");
    expect(q.addRateLimited("k")).toBe(50);
    q.shutdown();
  });

  it("does not count a requested resync as pending work, and keeps the earliest time", async () => {
    const q = new WorkQueue();
    q.addAfter("k", 60_000, "resync");
    expect(q.isIdle()).toBe(true);
    q.addAfter("k", 20, "resync");
    expect(await q.get()).toBe("k");
    q.done("k");
    q.shutdown();
    expect(await q.get()).toBeUndefined();
  });
});
