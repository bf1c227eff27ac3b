/**
 * Starting and stopping the real Node HTTP server around `createApp`. Kept apart from `main.ts`
 * (env, signals, process exit) so tests can run it on 127.0.0.1:0.
 */
import { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { CompositeControllerHooks } from "../controller.js";
import { createApp } from "./app.js";
import type { Config } from "./config.js";

/**
 * Longer than the idle timeout of Go's default HTTP transport (90 s), so Metacontroller closes an
 * idle keep-alive connection before we do and never sends a hook call into a socket we are
 * closing (a POST is not retried, so that race would cost a failed sync).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 95_000;
/** A client gets this long to send the request headers. */
export const HEADERS_TIMEOUT_MS = 30_000;
/**
 * And this long for the whole request. Metacontroller gives up after its hook timeout (10 s by
 * default) anyway; this only bounds what a stuck client can hold.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

export interface ServerDeps {
  readonly controllers: readonly CompositeControllerHooks[];
  readonly logger: Logger;
  /** A fresh registry unless given; /metrics serves it. */
  readonly registry?: Registry;
  /** Wall clock for the controllers; `new Date()` unless given. */
  readonly now?: () => Date;
}

export interface RunningServer {
  readonly server: Server;
  readonly registry: Registry;
  /** The bound address, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  readonly isShuttingDown: () => boolean;
  /**
   * Marks the server as terminating (/readyz → 503, responses say `Connection: close`), stops
   * accepting connections and waits for in-flight requests. Resolves `true` when everything
   * finished within `timeoutMs`, `false` when the remaining connections had to be cut.
   * Calling it again returns the same promise.
   */
  readonly shutdown: (timeoutMs: number) => Promise<boolean>;
}

export async function startServer(
  config: Pick<Config, "port" | "host" | "bodyLimitBytes" | "bodyBytesInFlight">,
  deps: ServerDeps,
): Promise<RunningServer> {
  const registry = deps.registry ?? new Registry();
  let shuttingDown = false;
  const isShuttingDown = () => shuttingDown;

  const app = createApp({
    controllers: deps.controllers,
    registry,
    logger: deps.logger,
    bodyLimitBytes: config.bodyLimitBytes,
    bodyBytesInFlight: config.bodyBytesInFlight,
    now: deps.now ?? (() => new Date()),
    isShuttingDown,
  });

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  if (!(server instanceof Server)) throw new Error("expected a plain HTTP server");
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.once("listening", () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (err) => deps.logger.error({ err }, "server error"));

  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no TCP address");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<boolean> | undefined;
  const shutdown = (timeoutMs: number): Promise<boolean> => {
    closing ??= new Promise<boolean>((resolve) => {
      shuttingDown = true;
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve(false);
      }, timeoutMs);
      timer.unref();
      // Stops listening at once and closes idle keep-alive sockets; the callback runs when the
      // last in-flight request has been answered and its socket closed.
      server.close(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    return closing;
  };

  return {
    server,
    registry,
    url: `http://${host}:${address.port}`,
    port: address.port,
    isShuttingDown,
    shutdown,
  };
}
