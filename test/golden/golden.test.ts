/**
 * Whole hook exchanges through the HTTP app: for every registered controller, each
 * `test/golden/<resource>/<case>/request.json` is POSTed to /<resource>/sync and the answer
 * must equal the committed `response.json`. Review a changed response like code; rewrite them
 * with UPDATE_GOLDEN=1.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { controllers } from "../../hooks/controllers.js";
import { LATER } from "../support/cluster.js";
import { expectedResponse, goldenCases, goldenText, REQUEST_FILE, RESPONSE_FILE } from "./golden.js";
import { defaultApp } from "../support/app.js";

const here = dirname(fileURLToPath(import.meta.url));
const update = process.env["UPDATE_GOLDEN"] === "1";
const app = defaultApp({ now: () => LATER });

for (const controller of controllers) {
  const root = join(here, controller.resource);
  describe(`golden ${controller.kind} sync exchanges`, () => {
    for (const name of goldenCases(root)) {
      it(`answers ${name} as recorded`, async () => {
        const body = readFileSync(join(root, name, REQUEST_FILE), "utf8");
        const res = await app.request(`/${controller.resource}/sync`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        expect(res.status).toBe(200);
        const actual = goldenText(await res.json());
        expect(actual).toBe(expectedResponse(join(root, name), actual, update));
      });
    }
  });
}

describe("golden files", () => {
  it("are kept only for registered controllers, in folders named after their resource", () => {
    const folders = readdirSync(here, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    const resources = new Set(controllers.map((controller) => controller.resource));
    for (const folder of folders) expect(resources.has(folder), `test/golden/${folder}`).toBe(true);
  });

  describe("a case without a committed response", () => {
    const caseDir = mkdtempSync(join(tmpdir(), "sparkhooks-golden-"));
    writeFileSync(join(caseDir, REQUEST_FILE), "{}\n");
    afterAll(() => rmSync(caseDir, { recursive: true, force: true }));

    it("fails instead of recording the answer under test", () => {
      expect(() => expectedResponse(caseDir, goldenText({ children: [] }), false)).toThrow(
        /response\.json is missing: record it with UPDATE_GOLDEN=1/,
      );
      expect(existsSync(join(caseDir, RESPONSE_FILE))).toBe(false);
    });

    it("is recorded only when UPDATE_GOLDEN=1 asks for it, and then compares equal", () => {
      const actual = goldenText({ children: [] });
      expect(expectedResponse(caseDir, actual, true)).toBe(actual);
      expect(readFileSync(join(caseDir, RESPONSE_FILE), "utf8")).toBe(actual);
      expect(expectedResponse(caseDir, goldenText({ children: [1] }), false)).not.toBe(
        goldenText({ children: [1] }),
      );
    });
  });
});
