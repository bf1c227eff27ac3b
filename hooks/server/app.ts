/**
 * The HTTP shell around the controllers: a hono app factory with no env reads, no ports and no
 * clock of its own. Per controller it serves
 *
 *   POST /<resource>/sync       controller.sync(request)
 *   POST /<resource>/finalize   controller.sync(request with finalizing: true)
 *   POST /<resource>/customize  controller.customize(request), only if the controller has one
 *
 * plus GET /healthz, /readyz and /metrics. Metacontroller accepts only a 200 with a JSON body;
 * anything else aborts that sync and leaves children and status untouched, which is why every
 * failure here is a non-200 and a 200 always carries a complete response.
 *
 * No request can take the server down: a body over `bodyLimitBytes` is refused with 413, and
 * the bodies of all calls in flight together stay within `bodyBytesInFlight`, a call that does
 * not fit being answered 429 with `Retry-After` (Metacontroller requeues the parent after that
 * many seconds instead of backing off).
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { z } from "zod";
import type { CompositeControllerHooks, SyncResult } from "../controller.js";
import { CustomizeRequest, SyncRequest } from "../metacontroller/protocol.js";
import { readBodyText, type BodyLimits } from "./body.js";
import { byteBudget } from "./budget.js";
import { createMetrics, type HookName, type HookOutcome, type Metrics } from "./metrics.js";

export interface AppOptions {
  readonly controllers: readonly CompositeControllerHooks[];
  /** Where hook and process metrics are registered and what /metrics serves. */
  readonly registry: Registry;
  readonly logger: Logger;
  /** Requests with a larger body get a 413 without being read further. */
  readonly bodyLimitBytes: number;
  /**
   * Bytes of request bodies being read, parsed or answered at once; a call that would exceed it
   * gets a 429. At least `bodyLimitBytes`, so a call at the limit fits when nothing else runs.
   */
  readonly bodyBytesInFlight: number;
  /** Wall-clock time handed to `sync` (condition timestamps). */
  readonly now: () => Date;
  /** True once the process is terminating: /readyz answers 503 so the Service drops this Pod. */
  readonly isShuttingDown: () => boolean;
  /** Monotonic milliseconds for measuring durations; `performance.now` unless a test fakes it. */
  readonly clock?: () => number;
}

/** What the instrumentation middleware learns about one hook call while it runs. */
interface HookCall {
  readonly controller: string;
  readonly hook: HookName;
  namespace: string | undefined;
  name: string | undefined;
  /** Set by the handler only when it answers 200. */
  outcome: HookOutcome | undefined;
  /** Bytes of the budget this call holds, given back once it is answered. */
  reservedBytes: number;
}

type AppEnv = { Variables: { call: HookCall | undefined } };
type AppContext = Context<AppEnv>;

const JSON_HEADERS = { "content-type": "application/json" } as const;
const MAX_ISSUES_REPORTED = 20;
/**
 * Retry-After of a 429. Calls finish in well under a second (an 11 MB, 1,000-worker sync takes
 * ~150 ms), so the budget has room again by then; Metacontroller requeues after exactly this.
 */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export function createApp(options: AppOptions) {
  const { controllers, registry, logger, bodyLimitBytes, bodyBytesInFlight, now, isShuttingDown } = options;
  const clock = options.clock ?? (() => performance.now());
  if (bodyBytesInFlight < bodyLimitBytes) {
    throw new Error(
      `bodyBytesInFlight (${bodyBytesInFlight}) must be at least bodyLimitBytes (${bodyLimitBytes}), ` +
        "or a call at the body limit could never be answered",
    );
  }
  const limits: BodyLimits = { limitBytes: bodyLimitBytes, budget: byteBudget(bodyBytesInFlight) };
  const metrics = createMetrics(registry);
  metrics.reportBudget(limits.budget);
  checkResources(controllers);

  const app = new Hono<AppEnv>();

  // A terminating replica tells keep-alive clients not to reuse the connection, so server.close()
  // does not wait on idle sockets and Metacontroller reconnects to a live replica.
  app.use(async (c, next) => {
    await next();
    if (isShuttingDown()) c.header("connection", "close");
  });

  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", (c) => (isShuttingDown() ? c.text("shutting down", 503) : c.text("ok")));
  app.get("/metrics", async (c) =>
    c.body(await registry.metrics(), 200, { "content-type": registry.contentType }),
  );

  for (const controller of controllers) {
    const base = `/${controller.resource}`;
    const instrument = (hook: HookName) =>
      instrumentHook(controller.resource, hook, { metrics, logger, clock, limits });

    for (const hook of ["sync", "finalize"] as const) {
      app.post(`${base}/${hook}`, instrument(hook), async (c) => {
        const call = callOf(c);
        const body = await readBodyText(c.req.raw, limits);
        if (!body.ok) return refuseBody(c, body.reason, limits, c.req.header("content-length"));
        call.reservedBytes = body.reservedBytes;
        const parsed = parseRequest(body.text, SyncRequest, hook);
        if (!parsed.ok) return c.json(parsed.error, 400);
        // The route names the hook: a finalize call is a sync call that is finalizing.
        const request = hook === "finalize" ? { ...parsed.value, finalizing: true } : parsed.value;
        call.namespace = request.parent.metadata.namespace;
        call.name = request.parent.metadata.name;

        const result = controller.sync(request, now());
        assertSyncResult(result, controller.resource);
        call.outcome = result.outcome;
        return c.body(JSON.stringify(result.response), 200, JSON_HEADERS);
      });
    }

    const customize = controller.customize;
    if (customize) {
      app.post(`${base}/customize`, instrument("customize"), async (c) => {
        const call = callOf(c);
        const body = await readBodyText(c.req.raw, limits);
        if (!body.ok) return refuseBody(c, body.reason, limits, c.req.header("content-length"));
        call.reservedBytes = body.reservedBytes;
        const parsed = parseRequest(body.text, CustomizeRequest, "customize");
        if (!parsed.ok) return c.json(parsed.error, 400);
        call.namespace = parsed.value.parent.metadata.namespace;
        call.name = parsed.value.parent.metadata.name;

        const response = customize(parsed.value);
        if (!isRecord(response) || !Array.isArray(response.relatedResources)) {
          throw new Error(
            `controller ${controller.resource} returned a customize response without a relatedResources array`,
          );
        }
        call.outcome = "ok";
        return c.body(JSON.stringify(response), 200, JSON_HEADERS);
      });
    }
  }

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

  // The one place exceptions become responses. Hook calls are logged (with the stack) by their
  // instrumentation, once; anything else is logged here.
  app.onError((err, c) => {
    const call = c.get("call");
    if (call === undefined) {
      logger.error({ err, method: c.req.method, path: c.req.path }, "request failed");
    }
    const where = call ? `${call.controller} ${call.hook} hook` : "request";
    return c.json({ error: `${where} failed: ${err.message}` }, 500);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;

/**
 * Wraps one hook route: metrics and a single log line per call, whatever the outcome, and the
 * call's bytes given back to the budget once it is answered.
 */
function instrumentHook(
  controller: string,
  hook: HookName,
  deps: { metrics: Metrics; logger: Logger; clock: () => number; limits: BodyLimits },
): MiddlewareHandler<AppEnv> {
  const { metrics, logger, clock, limits } = deps;
  return async (c, next) => {
    const started = clock();
    const call: HookCall = {
      controller,
      hook,
      namespace: undefined,
      name: undefined,
      outcome: undefined,
      reservedBytes: 0,
    };
    c.set("call", call);
    // hono catches handler errors at the inner layer and routes them through app.onError, so
    // c.res is the final response here even when the controller threw.
    try {
      await next();
    } finally {
      limits.budget.release(call.reservedBytes);
    }

    const elapsedMs = clock() - started;
    const status = c.res.status;
    const outcome = call.outcome ?? outcomeOfStatus(status);
    metrics.observeHook({ controller, hook, outcome }, elapsedMs / 1000);

    const fields: Record<string, unknown> = { controller, hook };
    if (call.namespace !== undefined) fields["namespace"] = call.namespace;
    if (call.name !== undefined) fields["name"] = call.name;
    fields["outcome"] = outcome;
    fields["status"] = status;
    fields["durationMs"] = Math.round(elapsedMs * 100) / 100;
    if (c.error) fields["err"] = c.error;
    logger[levelOf(outcome)](fields, "hook call");
  };
}

function outcomeOfStatus(status: number): HookOutcome {
  if (status === 400) return "bad_request";
  if (status === 413) return "too_large";
  if (status === 429) return "busy";
  // A 200 without an outcome cannot happen (handlers set it); count it as a fault if it does.
  return "error";
}

function levelOf(outcome: HookOutcome): "info" | "warn" | "error" {
  switch (outcome) {
    case "ok":
      return "info";
    case "invalid_spec":
    case "bad_request":
    case "too_large":
    case "busy":
      return "warn";
    case "error":
      return "error";
  }
}

function callOf(c: AppContext): HookCall {
  const call = c.get("call");
  if (call === undefined) throw new Error("hook route without instrumentation");
  return call;
}

function refuseBody(
  c: AppContext,
  reason: "too_large" | "busy",
  limits: BodyLimits,
  declaredLength: string | undefined,
): Response {
  if (reason === "too_large") {
    return c.json({ error: `request body is larger than the limit of ${limits.limitBytes} bytes` }, 413);
  }
  const { budget } = limits;
  const wanted = declaredLength === undefined ? "" : `, no room for ${declaredLength} more`;
  return c.json(
    {
      error:
        `busy: ${budget.inUse()} of ${budget.limit} bytes of requests in flight${wanted}; ` +
        `retry in ${BUSY_RETRY_AFTER_SECONDS} s`,
    },
    429,
    { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) },
  );
}

interface BadRequest {
  readonly error: string;
  readonly details?: readonly { readonly path: string; readonly message: string }[];
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; error: BadRequest };

/** JSON.parse once, then one zod pass; every failure names what is wrong. */
function parseRequest<S extends z.ZodType>(text: string, schema: S, hook: HookName): Parsed<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, error: { error: `request body is not valid JSON: ${reason}` } };
  }
  if (!isRecord(json)) {
    const got = json === null ? "null" : Array.isArray(json) ? "an array" : `a ${typeof json}`;
    return { ok: false, error: { error: `request body must be a JSON object, got ${got}` } };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const details = result.error.issues.slice(0, MAX_ISSUES_REPORTED).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  return {
    ok: false,
    error: { error: `not a valid ${hook} hook request: ${summary}`, details },
  };
}

/** `parent.metadata.name`, `children["Pod.v1"]["ns/w-0"].kind`: readable and unambiguous. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(body)";
  let out = "";
  for (const key of path) {
    if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) {
      out += out === "" ? key : `.${key}`;
    } else {
      out += `[${typeof key === "number" ? key : JSON.stringify(String(key))}]`;
    }
  }
  return out;
}

/**
 * Metacontroller reads a missing `children` as "delete every child" and a missing `status` as
 * "wipe the status", so a sync response without both is a bug here, never something to send.
 */
function assertSyncResult(result: SyncResult, controller: string): void {
  const fault = syncResultFault(result);
  if (fault !== undefined) {
    throw new Error(`controller ${controller} returned an invalid sync result: ${fault}`);
  }
}

function syncResultFault(result: unknown): string | undefined {
  if (!isRecord(result)) return "not an object";
  if (result.outcome !== "ok" && result.outcome !== "invalid_spec") {
    return `unknown outcome ${JSON.stringify(result.outcome)}`;
  }
  const response = result.response;
  if (!isRecord(response)) return "response is not an object";
  if (!Array.isArray(response.children)) return "response.children is not an array";
  if (!isRecord(response.status)) return "response.status is not an object";
  const resync = response.resyncAfterSeconds;
  if (resync !== undefined && (typeof resync !== "number" || !Number.isFinite(resync))) {
    return "response.resyncAfterSeconds is not a finite number";
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Route prefixes must be unique path segments, or one controller would shadow another. */
function checkResources(controllers: readonly CompositeControllerHooks[]): void {
  const seen = new Set<string>();
  for (const { resource } of controllers) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(resource)) {
      throw new Error(`controller resource ${JSON.stringify(resource)} is not a lower-case plural`);
    }
    if (seen.has(resource)) throw new Error(`two controllers serve the resource ${resource}`);
    seen.add(resource);
  }
}
