import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root; CI clones it with shared/ beside it. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const sharedDir = join(repoRoot, "..", "shared");
