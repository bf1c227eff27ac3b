/**
 * The hook app as `npm start` builds it — every registered controller, the default body limit
 * and byte budget — but silent and with a clock the caller chooses, for tests and the bench.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import type { ControllerModule } from "../../hooks/controller.js";
import { controllers as registered } from "../../hooks/controllers.js";
import { createApp, type App } from "../../hooks/server/app.js";
import { loadConfig } from "../../hooks/server/config.js";

export interface DefaultAppOptions {
  /** Wall-clock time handed to sync; fixed in tests so responses are byte-stable. */
  readonly now: () => Date;
  readonly controllers?: readonly ControllerModule[];
}

export function defaultApp(options: DefaultAppOptions): App {
  const limits = loadConfig({});
  return createApp({
    controllers: options.controllers ?? registered,
    registry: new Registry(),
    logger: pino({ level: "silent" }),
    bodyLimitBytes: limits.bodyLimitBytes,
    bodyBytesInFlight: limits.bodyBytesInFlight,
    now: options.now,
    isShuttingDown: () => false,
  });
}
