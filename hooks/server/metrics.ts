/**
 * Prometheus metrics, registered on an injected registry so tests (and several apps in one
 * process) never share state through prom-client's global registry.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from "prom-client";
import type { ByteBudget } from "./budget.js";

export const METRIC_PREFIX = "sparkhooks_";

export type HookName = "sync" | "finalize" | "customize";

/**
 * `ok` and `invalid_spec` are 200 answers; the others match the HTTP status sent (400, 413,
 * 429, 500).
 */
export type HookOutcome = "ok" | "invalid_spec" | "bad_request" | "too_large" | "busy" | "error";

type HookLabels = "controller" | "hook" | "outcome";

export interface Metrics {
  readonly hookRequests: Counter<HookLabels>;
  readonly hookDuration: Histogram<HookLabels>;
  readonly invalidSpec: Counter<"controller">;
  /** Makes the in-flight gauges report this budget (the app's; the last one on a shared registry). */
  readonly reportBudget: (budget: ByteBudget) => void;
  /** Counts one finished hook call and observes its duration. */
  readonly observeHook: (
    labels: { controller: string; hook: HookName; outcome: HookOutcome },
    seconds: number,
  ) => void;
}

/**
 * 1-2-5 steps from 1 ms (a small sync) to 2 s (far past anything healthy, though still inside
 * Metacontroller's default 10 s hook timeout; slower calls land in +Inf).
 */
export const HOOK_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2,
];

// prom-client throws when a name is registered twice on one registry; creating the metrics again
// for the same registry (e.g. two apps sharing it) returns the first set instead.
const byRegistry = new WeakMap<Registry, Metrics>();

export function createMetrics(registry: Registry): Metrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;

  // Process metrics (CPU, RSS, heap, event-loop lag, GC) go on the same registry.
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  const hookRequests = new Counter<HookLabels>({
    name: `${METRIC_PREFIX}hook_requests_total`,
    help: "Metacontroller hook calls answered, by controller, hook and outcome.",
    labelNames: ["controller", "hook", "outcome"],
    registers: [registry],
  });
  const hookDuration = new Histogram<HookLabels>({
    name: `${METRIC_PREFIX}hook_duration_seconds`,
    help: "Time from receiving a hook call to having its response ready, body read included.",
    labelNames: ["controller", "hook", "outcome"],
    buckets: [...HOOK_DURATION_BUCKETS],
    registers: [registry],
  });
  const invalidSpec = new Counter<"controller">({
    name: `${METRIC_PREFIX}invalid_spec_total`,
    help: "Syncs answered with an InvalidSpec condition: user errors in a parent's spec.",
    labelNames: ["controller"],
    registers: [registry],
  });

  let budget: ByteBudget | undefined;
  new Gauge({
    name: `${METRIC_PREFIX}request_bytes_in_flight`,
    help: "Bytes of hook request bodies being read, parsed or answered now.",
    registers: [registry],
    collect() {
      this.set(budget?.inUse() ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}request_bytes_in_flight_limit`,
    help: "BODY_BYTES_IN_FLIGHT: above it, hook calls are answered 429 with Retry-After.",
    registers: [registry],
    collect() {
      this.set(budget?.limit ?? 0);
    },
  });

  const metrics: Metrics = {
    hookRequests,
    hookDuration,
    invalidSpec,
    reportBudget(watched) {
      budget = watched;
    },
    observeHook(labels, seconds) {
      hookRequests.inc(labels);
      hookDuration.observe(labels, seconds);
      if (labels.outcome === "invalid_spec") invalidSpec.inc({ controller: labels.controller });
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
