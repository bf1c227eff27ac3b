/**
 * Golden files: the expected answer is a committed file, reviewed like code. A missing file is
 * a failure, never something to fill in from the answer under test (that would compare the
 * answer with itself); only UPDATE_GOLDEN=1 writes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

export const REQUEST_FILE = "request.json";
export const RESPONSE_FILE = "response.json";

/** Case folders (each with a request.json) of one golden root, sorted; none if it does not exist. */
export function goldenCases(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Deterministic serialization: two-space JSON and a final newline, as committed. */
export function goldenText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The committed expectation of one case. With `update` it first writes `actual` as the new
 * expectation; without, a missing file throws, naming the command that records it.
 */
export function expectedResponse(caseDir: string, actual: string, update: boolean): string {
  const file = join(caseDir, RESPONSE_FILE);
  if (update) writeFileSync(file, actual);
  if (!existsSync(file)) {
    throw new Error(
      `${relative(process.cwd(), file)} is missing: record it with UPDATE_GOLDEN=1 npx vitest run test/golden and review it`,
    );
  }
  return readFileSync(file, "utf8");
}
