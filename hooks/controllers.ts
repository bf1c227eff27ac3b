/**
 * The registry: every `hooks/<folder>/controller.ts` (`controller.js` once compiled) that
 * exports `controller`, in folder-name order. Nothing here names a controller, so a new one is
 * served, rendered, generated and tested as soon as its folder exists.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ControllerModule } from "./controller.js";

function isControllerModule(value: unknown): value is ControllerModule {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<keyof ControllerModule, unknown>>;
  return (
    typeof candidate.kind === "string" &&
    typeof candidate.apiVersion === "string" &&
    typeof candidate.resource === "string" &&
    Array.isArray(candidate.childTypes) &&
    typeof candidate.crd === "object" &&
    candidate.crd !== null &&
    typeof candidate.sync === "function" &&
    (candidate.customize === undefined || typeof candidate.customize === "function")
  );
}

/**
 * Imports `<dir>/*\/controller<extension>`. A folder with that file but no valid `controller`
 * export is an error, never skipped: a controller that silently vanished would leave its
 * parents unreconciled.
 */
export async function discoverControllers(dir: string, extension: string): Promise<ControllerModule[]> {
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const found: ControllerModule[] = [];
  for (const folder of folders) {
    const file = join(dir, folder, `controller${extension}`);
    if (!existsSync(file)) continue;
    const loaded = (await import(pathToFileURL(file).href)) as { controller?: unknown };
    if (!isControllerModule(loaded.controller)) {
      throw new Error(`${file} must export a ControllerModule named controller (see hooks/controller.ts)`);
    }
    found.push(loaded.controller);
  }
  for (const key of ["kind", "resource"] as const) {
    const seen = new Set<string>();
    for (const module of found) {
      if (seen.has(module[key])) throw new Error(`two controllers have the ${key} ${module[key]}`);
      seen.add(module[key]);
    }
  }
  return found;
}

// hooks/controllers.ts under tsx and vitest, dist/hooks/controllers.js once built: the
// controllers beside it have the same extension.
const self = fileURLToPath(import.meta.url);
export const controllers: readonly ControllerModule[] = await discoverControllers(
  dirname(self),
  extname(self),
);
