/**
 * Metacontroller's command line in the bed: the args of the StatefulSet we ship
 * (deploy/metacontroller/statefulset.yaml), with only what a loopback run needs replaced. The
 * tuned flags thus have one source, and every scenario runs with them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../paths.js";

export const SHIPPED_STATEFULSET = join(repoRoot, "deploy", "metacontroller", "statefulset.yaml");

/** client-go's and Metacontroller's own defaults for the flags we tune. */
export const UPSTREAM_DEFAULT_FLAGS: Readonly<Record<string, string>> = {
  "client-go-qps": "5",
  "client-go-burst": "10",
  workers: "5",
};

interface StatefulSetView {
  kind?: string;
  spec?: { template?: { spec?: { containers?: { name: string; args?: string[] }[] } } };
}

/** The args of container `metacontroller` in a StatefulSet manifest (YAML text). */
export function containerArgs(statefulSetYaml: string): string[] {
  const statefulSet = parseAllDocuments(statefulSetYaml)
    .map((doc) => doc.toJS() as StatefulSetView | null)
    .find((object) => object?.kind === "StatefulSet");
  const container = statefulSet?.spec?.template?.spec?.containers?.find((c) => c.name === "metacontroller");
  if (container?.args === undefined)
    throw new Error("no StatefulSet with a metacontroller container and args");
  return [...container.args];
}

/** The flags Metacontroller runs with in production, from SHIPPED_STATEFULSET. */
export function shippedFlags(): string[] {
  return containerArgs(readFileSync(SHIPPED_STATEFULSET, "utf8"));
}

/**
 * `args` with each `--name=value` in `overrides` replacing the flag of that name, in place, or
 * appended when `args` does not have it. Only the `--name=value` form is understood (the one the
 * StatefulSet uses); a bare `--name value` pair would be ambiguous without Go's flag table.
 */
export function withFlags(args: readonly string[], overrides: Readonly<Record<string, string>>): string[] {
  const nameOf = (arg: string): string => /^--?([^=]+)=/.exec(arg)?.[1] ?? "";
  for (const arg of args) {
    if (!/^--?[^=]+=/.test(arg)) throw new Error(`flag ${arg} is not in --name=value form`);
  }
  const replaced = args.map((arg) => {
    const value = overrides[nameOf(arg)];
    return value === undefined ? arg : `--${nameOf(arg)}=${value}`;
  });
  const present = new Set(args.map(nameOf));
  const added = Object.entries(overrides)
    .filter(([name]) => !present.has(name))
    .map(([name, value]) => `--${name}=${value}`);
  return [...replaced, ...added];
}

/**
 * What a loopback bed must change: the kubeconfig (no in-cluster config), the bind addresses
 * (free loopback ports instead of :8081/:9999), discovery every 2 s instead of 20 s (tests
 * install CRDs and expect them picked up at once), and the debug log level.
 */
export function bedOverrides(options: {
  kubeconfigPath: string;
  healthPort: number;
  metricsPort: number;
}): Record<string, string> {
  return {
    kubeconfig: options.kubeconfigPath,
    "discovery-interval": "2s",
    "zap-log-level": "4",
    "health-probe-bind-address": `127.0.0.1:${options.healthPort}`,
    "metrics-address": `127.0.0.1:${options.metricsPort}`,
  };
}
