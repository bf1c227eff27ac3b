/**
 * The benchmark's server, run as a child process so the load generator does not share its
 * event loop. It serves the production app (real controllers, default body limit, silent
 * logger, its clock at BENCH_NOW) plus a bare `POST /echo` (JSON.parse + JSON.stringify) as the baseline, and talks to
 * the parent over IPC: `{ type: "listening", port }` once bound, `{ type: "stats", ... }` on
 * request.
 */
import { serve } from "@hono/node-server";
import { KEEP_ALIVE_TIMEOUT_MS } from "../../hooks/server/serve.js";
import { defaultApp } from "../support/app.js";
import { BENCH_NOW } from "./bodies.js";

export type ParentMessage = { readonly type: "stats" };
export type ChildMessage =
  | { readonly type: "listening"; readonly port: number }
  | { readonly type: "stats"; readonly maxRssBytes: number; readonly rssBytes: number };

const send = (message: ChildMessage) => process.send?.(message);

// The bodies are steady states at BENCH_NOW, so the server's clock stands there too: at the wall
// clock a schedule's body would be days past its next firing, and its sync a catch-up that
// starts a run instead of the resync the body stands for.
const app = defaultApp({ now: () => BENCH_NOW });

app.post("/echo", async (c) =>
  c.body(JSON.stringify(JSON.parse(await c.req.text())), 200, { "content-type": "application/json" }),
);

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
  send({ type: "listening", port: info.port }),
);
if ("keepAliveTimeout" in server) server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

process.on("message", (message: ParentMessage) => {
  if (message.type === "stats") {
    // resourceUsage().maxRSS is in KiB: the peak resident set since the process started.
    send({
      type: "stats",
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      rssBytes: process.memoryUsage.rss(),
    });
  }
});
// The parent went away (finished, crashed or killed): never outlive it.
process.on("disconnect", () => process.exit(0));
