/**
 * Start-up configuration: one zod schema over the environment, parsed once by `main.ts` and
 * passed down as a typed object. Every setting has a default, so an empty environment works.
 */
import { z } from "zod";

/** Unset and empty variables both mean "use the default" (`FOO=` in a manifest is common). */
function fromEnv<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === "" ? undefined : value), schema);
}

const MiB = 1024 * 1024;

export const ConfigSchema = z
  .object({
    /** TCP port the hook server listens on. */
    PORT: fromEnv(z.coerce.number().int().min(0).max(65535).default(8080)),
    /** Address to bind: all IPv4 interfaces by default; set "::" for dual-stack where IPv6 is enabled. */
    HOST: fromEnv(z.string().min(1).default("0.0.0.0")),
    /**
     * Largest request body accepted (413 above). The largest valid request, a SparkCluster sync
     * at the 1,000-worker maximum, is ~11 MiB, ~20 MiB with the largest pods the hook renders.
     */
    BODY_LIMIT_BYTES: fromEnv(
      z.coerce
        .number()
        .int()
        .min(1024)
        .max(1024 * MiB)
        .default(32 * MiB),
    ),
    /**
     * Request bytes being read, parsed or answered at once (429 with Retry-After above); at least
     * BODY_LIMIT_BYTES. A call holds about five times its body while it runs (bytes, text, parsed
     * objects ~3×); the default admits five 1,000-worker syncs (Metacontroller's workers) side by
     * side, and `npm run bench` measured a peak RSS of 450 MiB with it full, of the 1 GiB limit.
     */
    BODY_BYTES_IN_FLIGHT: fromEnv(
      z.coerce
        .number()
        .int()
        .min(1024)
        .max(4096 * MiB)
        .default(64 * MiB),
    ),
    /** pino log level; "silent" turns logging off. */
    LOG_LEVEL: fromEnv(
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
    /** Grace for in-flight calls after SIGTERM before exiting non-zero; keep below terminationGracePeriodSeconds. */
    SHUTDOWN_TIMEOUT_MS: fromEnv(z.coerce.number().int().min(0).max(600_000).default(25_000)),
  })
  .superRefine((env, ctx) => {
    if (env.BODY_BYTES_IN_FLIGHT < env.BODY_LIMIT_BYTES) {
      ctx.addIssue({
        code: "custom",
        path: ["BODY_BYTES_IN_FLIGHT"],
        message:
          `must be at least BODY_LIMIT_BYTES (${env.BODY_LIMIT_BYTES}), or a request at the body ` +
          "limit could never be answered",
      });
    }
  });

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly bodyLimitBytes: number;
  readonly bodyBytesInFlight: number;
  readonly logLevel: z.infer<typeof ConfigSchema>["LOG_LEVEL"];
  readonly shutdownTimeoutMs: number;
}

/** Parses the environment; throws one error naming every bad variable and the value it had. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "?");
      return `${key}=${JSON.stringify(env[key] ?? null)}: ${issue.message}`;
    });
    throw new Error(`invalid configuration: ${problems.join("; ")}`);
  }
  const parsed = result.data;
  return {
    port: parsed.PORT,
    host: parsed.HOST,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    bodyBytesInFlight: parsed.BODY_BYTES_IN_FLIGHT,
    logLevel: parsed.LOG_LEVEL,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
  };
}
