/**
 * "Adding a controller is one folder" (plus its CompositeController YAML and generated CRD),
 * as far as a test can show it: the registry finds controller folders by itself, a second
 * controller registered beside SparkCluster gets routes, a CRD and `render` support without
 * any other change, and no shared code names a controller where it should iterate.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { render } from "../../hooks/cli/render.js";
import { defineController, type ControllerModule } from "../../hooks/controller.js";
import { controllers, discoverControllers } from "../../hooks/controllers.js";
import { count } from "../../hooks/crd/fields.js";
import { KUSTOMIZATION_FILE, renderCrdFiles } from "../../hooks/crd/generate.js";
import { observedOfType } from "../../hooks/metacontroller/protocol.js";
import { defaultApp } from "../support/app.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
const hooksDir = join(repoRoot, "hooks");
const NOW = new Date("2026-11-22T10:00:00Z");

/** A second controller: `Widget` parents, each with one ConfigMap per `spec.copies`. */
const widgets: ControllerModule = defineController({
  crd: {
    group: "example.sparkhooks.dev",
    version: "v1beta1",
    kind: "Widget",
    plural: "widgets",
    singular: "widget",
    shortNames: ["wdg"],
    categories: ["spark"],
    description: "A stand-in resource for the registry tests.",
    spec: z
      .object({ copies: count("How many ConfigMaps to make.", { min: 0, default: 1 }) })
      .describe("Spec."),
    status: z.object({ copies: z.int().optional().describe("ConfigMaps made.") }).describe("Status."),
    printerColumns: [],
    source: "test/controllers/one-folder.test.ts",
  },
  childTypes: [{ apiVersion: "v1", kind: "ConfigMap", resource: "configmaps" }],
  sync(request) {
    const copies = (request.parent as { spec?: { copies?: number } }).spec?.copies ?? 1;
    const seen = observedOfType(request.related, "v1", "ConfigMap").length;
    const children = Array.from({ length: copies }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${request.parent.metadata.name}-${i}` },
      data: { related: String(seen) },
    }));
    return { outcome: "ok", response: { status: { copies }, children } };
  },
  customize(request) {
    return {
      relatedResources: [
        { apiVersion: "v1", resource: "configmaps", names: [`${request.parent.metadata.name}-input`] },
      ],
    };
  },
});
const withWidgets = [...controllers, widgets];

describe("the registry", () => {
  it("holds exactly the hooks/ folders that have a controller.ts, in folder order", () => {
    const folders = readdirSync(hooksDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(hooksDir, entry.name, "controller.ts")))
      .map((entry) => entry.name)
      .sort();
    expect(folders.length).toBeGreaterThan(0);
    expect(controllers).toHaveLength(folders.length);
  });

  describe("discovering a directory of controller folders", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparkhooks-registry-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const controllerFile = (kind: string, resource: string) =>
      `export const controller = { kind: ${JSON.stringify(kind)}, apiVersion: "example.dev/v1", ` +
      `resource: ${JSON.stringify(resource)}, childTypes: [], crd: {}, sync: () => undefined };\n`;
    const write = (folder: string, text: string) => {
      mkdirSync(join(dir, folder), { recursive: true });
      writeFileSync(join(dir, folder, "controller.js"), text);
    };

    it("imports every folder's controller, sorted, and skips folders without one", async () => {
      write("zebras", controllerFile("Zebra", "zebras"));
      write("antelopes", controllerFile("Antelope", "antelopes"));
      mkdirSync(join(dir, "shared-helpers"));
      writeFileSync(join(dir, "shared-helpers", "index.js"), "export const x = 1;\n");
      const found = await discoverControllers(dir, ".js");
      expect(found.map((c) => c.kind)).toEqual(["Antelope", "Zebra"]);
    });

    it("refuses a controller folder whose module exports no controller", async () => {
      write("broken", "export const notAController = 1;\n");
      await expect(discoverControllers(dir, ".js")).rejects.toThrow(
        /broken\/controller\.js must export a ControllerModule/,
      );
      rmSync(join(dir, "broken"), { recursive: true });
    });

    it("refuses two controllers for the same resource", async () => {
      write("zebras-again", controllerFile("OtherZebra", "zebras"));
      await expect(discoverControllers(dir, ".js")).rejects.toThrow(
        /two controllers have the resource zebras/,
      );
      rmSync(join(dir, "zebras-again"), { recursive: true });
    });
  });
});

describe("a second registered controller", () => {
  const app = defaultApp({ now: () => NOW, controllers: withWidgets });
  const parent = {
    apiVersion: "example.sparkhooks.dev/v1beta1",
    kind: "Widget",
    metadata: { name: "w", namespace: "ns", uid: "u-1" },
    spec: { copies: 2 },
  };

  it("gets its sync and customize routes from the server, beside the existing ones", async () => {
    const sync = await app.request("/widgets/sync", {
      method: "POST",
      body: JSON.stringify({ parent, children: {} }),
    });
    expect(sync.status).toBe(200);
    expect(((await sync.json()) as { children: unknown[] }).children).toHaveLength(2);
    const customize = await app.request("/widgets/customize", {
      method: "POST",
      body: JSON.stringify({ parent }),
    });
    expect(await customize.json()).toEqual({
      relatedResources: [{ apiVersion: "v1", resource: "configmaps", names: ["w-input"] }],
    });
    for (const controller of controllers) {
      const res = await app.request(`/${controller.resource}/sync`, { method: "POST", body: "{}" });
      expect(res.status, controller.resource).toBe(400); // served: the body is not a hook request
    }
  });

  it("gets a CRD file, listed in crds/kustomization.yaml", () => {
    const files = renderCrdFiles(withWidgets.map((c) => c.crd));
    const crd = parse(files.get("widgets.example.sparkhooks.dev.yaml") ?? "") as {
      spec: { names: { kind: string }; versions: { name: string }[] };
    };
    expect(crd.spec.names.kind).toBe("Widget");
    expect(crd.spec.versions.map((v) => v.name)).toEqual(["v1beta1"]);
    const kustomization = parse(files.get(KUSTOMIZATION_FILE) ?? "") as { resources: string[] };
    expect(kustomization.resources).toContain("widgets.example.sparkhooks.dev.yaml");
    expect(kustomization.resources).toHaveLength(withWidgets.length);
  });

  it("is rendered by sparkhooks render, with its schema, its children and its related objects", () => {
    const input = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "w-input", namespace: "ns" },
      data: {},
    };
    const result = render([parent], { now: NOW, controllers: withWidgets, observed: [input] });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    const objects = parseAllDocuments(result.output)
      .map((d) => d.toJS() as { kind: string; data: { related: string } } | null)
      .filter((d) => d !== null);
    expect(objects.map((o) => o.kind)).toEqual(["ConfigMap", "ConfigMap"]);
    expect(objects[0]?.data.related).toBe("1");
    expect(result.warnings).toEqual([]);

    const invalid = render([{ ...parent, spec: { copies: [1] } }], { now: NOW, controllers: withWidgets });
    expect(invalid.ok ? [] : invalid.errors).toEqual(["Widget ns/w: spec.copies: must be integer or string"]);
  });

  it("is named among the kinds render takes", () => {
    const result = render([{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } }], {
      now: NOW,
      controllers: withWidgets,
    });
    const kinds = withWidgets.map((c) => c.kind);
    expect(result.ok ? [] : result.errors).toEqual([
      `Deployment d: kind Deployment: render takes ${kinds.slice(0, -1).join(", ")} or Widget objects only`,
    ]);
  });
});

describe("shared code", () => {
  /** Folders of the registered controllers: what shared code must reach only through the registry. */
  const controllerFolders = readdirSync(hooksDir).filter((name) =>
    existsSync(join(hooksDir, name, "controller.ts")),
  );
  /** The shell, the CLI, the CRD generator and the cross-cutting tests: they iterate over controllers. */
  const shared = [
    ...["server", "cli", "crd", "metacontroller", "kube", "spark"].flatMap((dir) =>
      readdirSync(join(hooksDir, dir))
        .filter((file) => file.endsWith(".ts") && !(dir === "cli" && file.endsWith(".test.ts")))
        .map((file) => join(hooksDir, dir, file)),
    ),
    join(hooksDir, "controller.ts"),
    join(hooksDir, "controllers.ts"),
    join(repoRoot, "test/golden/golden.test.ts"),
    join(repoRoot, "test/golden/golden.ts"),
    join(repoRoot, "test/crd/crd.test.ts"),
    join(repoRoot, "test/examples/examples.test.ts"),
    ...readdirSync(join(repoRoot, "test/manifests")).map((file) => join(repoRoot, "test/manifests", file)),
  ];
  const namesOfControllers = controllers.flatMap((c) => [c.kind, c.resource]);
  /**
   * Shared code that names one controller on purpose: linking a SparkCluster or SparkApplication
   * to a SparkHistoryServer by name means asking Metacontroller for that kind (a related-resource
   * rule) and reading its spec, so the kind and resource are its subject, not a shortcut past
   * the registry. It still imports no controller folder.
   */
  const namesOneControllerOnPurpose = new Map([
    ["hooks/spark/event-log.ts", "SparkHistoryServer"],
    ["hooks/spark/event-log.test.ts", "SparkHistoryServer"],
  ]);

  it.each(shared.map((file) => ({ file: relative(repoRoot, file), path: file })))(
    "$file imports no controller folder and names no controller",
    ({ path }) => {
      // Comments may use a controller as an example; code may not.
      const code = readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => !/^\s*(\*|\/\*|\/\/)/.test(line))
        .join("\n");
      for (const folder of controllerFolders) {
        expect(code, folder).not.toMatch(new RegExp(`from "[./]*(hooks/)?${folder}/`));
      }
      const linked = controllers.find(
        (c) => c.kind === namesOneControllerOnPurpose.get(relative(repoRoot, path)),
      );
      for (const name of namesOfControllers) {
        if (linked !== undefined && (name === linked.kind || name === linked.resource)) continue;
        expect(code, name).not.toMatch(new RegExp(`["'\`/]${name}["'\`/]`));
      }
    },
  );
});
