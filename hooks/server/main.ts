/**
 * Process entry point: the only place that reads `process.env`, opens a port and handles
 * signals. Everything else is wired through `startServer`.
 */
import { pino } from "pino";
import { controllers } from "../controllers.js";
import { loadConfig, type Config } from "./config.js";
import { startServer } from "./serve.js";

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  process.stderr.write(`sparkhooks: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}

// Synchronous writes: a line logged just before process.exit() is never lost.
const logger = pino({ level: config.logLevel }, pino.destination({ dest: 1, sync: true }));

process.on("uncaughtException", (err) => {
  logger.fatal({ err }, "uncaught exception");
  process.exit(1);
});
process.on("unhandledRejection", (reason) => {
  logger.fatal({ err: reason }, "unhandled promise rejection");
  process.exit(1);
});

const running = await startServer(config, { controllers, logger });
logger.info(
  {
    address: running.url,
    controllers: controllers.map((c) => c.resource),
    bodyLimitBytes: config.bodyLimitBytes,
    bodyBytesInFlight: config.bodyBytesInFlight,
  },
  "listening",
);

function onSignal(signal: NodeJS.Signals): void {
  logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, "shutting down");
  // Backstop in case closing itself hangs; shutdown() already cuts connections at the timeout.
  setTimeout(() => {
    logger.error("shutdown did not complete, exiting");
    process.exit(1);
  }, config.shutdownTimeoutMs + 2_000).unref();

  running.shutdown(config.shutdownTimeoutMs).then(
    (graceful) => {
      if (graceful) logger.info("all requests finished, exiting");
      else logger.error({ timeoutMs: config.shutdownTimeoutMs }, "in-flight requests cut off");
      process.exit(graceful ? 0 : 1);
    },
    (err: unknown) => {
      logger.error({ err }, "shutdown failed");
      process.exit(1);
    },
  );
}

// `once`: a second signal gets Node's default handling, i.e. exits immediately.
process.once("SIGTERM", onSignal);
process.once("SIGINT", onSignal);
