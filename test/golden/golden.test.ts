/**
 * Whole hook exchanges through the HTTP app: each `request.json` is POSTed to
 * /sparkclusters/sync and the answer must equal the committed `response.json`.
 * Review a changed response like code; rewrite them with UPDATE_GOLDEN=1.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { controllers } from "../../hooks/controllers.js";
import { createApp } from "../../hooks/server/app.js";
import { LATER } from "../support/cluster.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "sparkcluster");
const update = process.env["UPDATE_GOLDEN"] === "1";
const app = createApp({
  controllers,
  registry: new Registry(),
  logger: pino({ level: "silent" }),
  bodyLimitBytes: 64 * 2 ** 20,
  now: () => LATER,
  isShuttingDown: () => false,
});

describe("golden SparkCluster sync exchanges", () => {
  for (const name of readdirSync(root).sort()) {
    it(`answers ${name} as recorded`, async () => {
      const body = readFileSync(join(root, name, "request.json"), "utf8");
      const res = await app.request("/sparkclusters/sync", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status).toBe(200);
      const actual = `${JSON.stringify(await res.json(), null, 2)}\n`;
      const file = join(root, name, "response.json");
      if (update || !existsSync(file)) writeFileSync(file, actual);
      expect(actual).toBe(readFileSync(file, "utf8"));
    });
  }
});
