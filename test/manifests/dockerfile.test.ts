/**
 * The Dockerfile, checked without a Docker engine: the properties that matter for a small,
 * non-root, production-only image whose CMD starts a file the build really produces.
 */
import { existsSync, readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { loadManifests, repoPath, repoRoot } from "./load.js";

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): { globals: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line.trimStart().startsWith("#")) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== "") logical.push(current.trim());
    current = "";
  }
  if (current.trim() !== "") logical.push(current.trim());

  const globals: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s*(.*)$/s.exec(line);
    const keyword = match?.[1]?.toUpperCase() ?? "";
    const args = (match?.[2] ?? "").replace(/\s+/g, " ").trim();
    if (keyword === "FROM") {
      const [image = "", as, name] = args.split(" ").filter((w) => !w.startsWith("--"));
      stages.push({
        from: image,
        name: as?.toUpperCase() === "AS" ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      globals.push({ keyword, args });
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return { globals, stages };
}

/** Expands `${NAME}` / `$NAME` with the defaults of global ARGs (what FROM may use). */
function expandArgs(value: string, globals: Instruction[]): string {
  const defaults = new Map<string, string>();
  for (const { keyword, args } of globals) {
    const m = /^(\w+)=(\S*)$/.exec(args);
    if (keyword === "ARG" && m !== null) defaults.set(m[1]!, m[2]!);
  }
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const key = a ?? b ?? "";
    return defaults.get(key) ?? "";
  });
}

function all(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** `KEY=value KEY2=value2` (or the legacy `KEY value`) of every ENV in the stage. */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of all(stage, "ENV")) {
    if (!args.includes("=")) {
      const [key = "", ...rest] = args.split(" ");
      env[key] = rest.join(" ");
      continue;
    }
    for (const pair of args.split(" ")) {
      const eq = pair.indexOf("=");
      env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

/** COPY without --from: [sources..., destination]. */
function contextCopies(stage: Stage): { sources: string[]; dest: string }[] {
  return all(stage, "COPY")
    .filter((args) => !/(^| )--from=/.test(args))
    .map((args) => {
      const words = args.split(" ").filter((w) => !w.startsWith("--"));
      return { sources: words.slice(0, -1), dest: words.at(-1) ?? "" };
    });
}

/** A small .dockerignore matcher: `*` within one path segment, `**` across segments. */
function dockerignored(path: string, patterns: string[]): boolean {
  let ignored = false;
  const clean = path.replace(/^\.\//, "").replace(/\/$/, "");
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\//, "").replace(/\/$/, "");
    const re = new RegExp(
      `^${pattern
        .split("**")
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, "[^/]*")
            .replace(/\?/g, "[^/]"),
        )
        .join(".*")}(/.*)?$`,
    );
    if (re.test(clean)) ignored = !negate;
  }
  return ignored;
}

/** Where `tsc -p tsconfig.build.json` writes the compiled `source` (a repository-relative path). */
function compiledPath(source: string): string {
  const configPath = repoPath("tsconfig.build.json");
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error !== undefined)
    throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot, undefined, configPath);
  const outputs = ts.getOutputFileNames(parsed, repoPath(source), false);
  const js = outputs.find((f) => f.endsWith(".js"));
  if (js === undefined) throw new Error(`tsconfig.build.json emits no JavaScript for ${source}`);
  return js
    .slice(repoRoot.length + 1)
    .split("\\")
    .join("/");
}

const SERVER_ENTRY = "hooks/server/main.ts";

const { globals, stages } = parseDockerfile(readFileSync(repoPath("Dockerfile"), "utf8"));
const final = stages.at(-1)!;
const build = stages.slice(0, -1).find((s) => all(s, "RUN").some((r) => /\bnpm run build\b/.test(r)));
const ignorePatterns = readFileSync(repoPath(".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));
const deployment = loadManifests(repoPath("deploy", "deployment.yaml"))[0] as unknown as {
  spec: {
    template: {
      spec: {
        securityContext?: { runAsUser?: number };
        containers: { ports?: { containerPort: number }[] }[];
      };
    };
  };
};

describe("Dockerfile", () => {
  it("is multi-stage: a named build stage and a separate runtime stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build).toBeDefined();
    expect(build?.name).toBeDefined();
    expect(final).not.toBe(build);
  });

  it("builds and runs on one Node.js LTS line (even major, 24 or newer), slim variant", () => {
    const images = new Set(stages.map((s) => expandArgs(s.from, globals)));
    expect(images.size).toBe(1);
    const [image = ""] = images;
    const m = /^node:(\d+)[-.\w]*-slim(@sha256:[0-9a-f]{64})?$/.exec(image);
    expect(m, image).not.toBeNull();
    const major = Number(m?.[1]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
  });

  it("installs locked dependencies and compiles in the build stage", () => {
    const runs = build === undefined ? [] : all(build, "RUN");
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    const copied = build === undefined ? [] : contextCopies(build).flatMap((c) => c.sources);
    expect(copied).toContain("package-lock.json");
    // The build stage has the sources the server is compiled from.
    expect(copied.some((src) => SERVER_ENTRY.startsWith(`${src.replace(/\/$/, "")}/`))).toBe(true);
  });

  it("installs only production dependencies, without install scripts, in the runtime stage", () => {
    const installs = all(final, "RUN").filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) {
      expect(run).toMatch(/\bnpm ci\b/);
      expect(run).toMatch(/--omit=dev\b/);
      expect(run).toMatch(/--ignore-scripts\b/);
    }
  });

  it("copies the compiled output from the build stage, and package.json for ESM loading", () => {
    const fromBuild = all(final, "COPY").filter((c) => c.includes(`--from=${build?.name ?? "?"}`));
    expect(fromBuild.some((c) => /\/dist\b/.test(c))).toBe(true);
    const copied = contextCopies(final).flatMap((c) => c.sources);
    expect(copied).toContain("package.json");
    expect(copied).toEqual(expect.arrayContaining(["bin", "crds"]));
  });

  it("runs as a non-root user, the uid the Deployment runs as", () => {
    const users = all(final, "USER");
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    const uid = user.split(":")[0]!;
    expect(["root", "0"]).not.toContain(uid);
    const expectedUid = deployment.spec.template.spec.securityContext?.runAsUser;
    expect(uid === "node" ? 1000 : Number(uid)).toBe(expectedUid);
  });

  it("starts node on the file tsconfig.build.json compiles hooks/server/main.ts to, in exec form", () => {
    expect(all(final, "ENTRYPOINT")).toEqual([]);
    const cmds = all(final, "CMD");
    expect(cmds).toHaveLength(1);
    const cmd: unknown = JSON.parse(cmds[0]!);
    const expected = compiledPath(SERVER_ENTRY);
    expect(expected).toBe("dist/hooks/server/main.js");
    expect(cmd).toEqual(["node", expected]);
  });

  it("starts the same file as `npm start`", () => {
    const pkg = JSON.parse(readFileSync(repoPath("package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts["start"]).toBe(`node ${compiledPath(SERVER_ENTRY)}`);
  });

  it("has the server's entry point source in the build", () => {
    expect(existsSync(repoPath(SERVER_ENTRY))).toBe(true);
  });

  it("sets production mode, listens on the port the Deployment expects, and stops with SIGTERM", () => {
    const env = envOf(final);
    expect(env["NODE_ENV"]).toBe("production");
    expect(env["PORT"]).toBe("8080");
    const containerPort = deployment.spec.template.spec.containers[0]?.ports?.[0]?.containerPort;
    expect(all(final, "EXPOSE")).toEqual([String(containerPort)]);
    expect(all(final, "STOPSIGNAL")).toEqual(["SIGTERM"]);
  });

  it("uses exec form for CMD and ENTRYPOINT, so node gets the signals itself", () => {
    for (const stage of stages) {
      for (const keyword of ["CMD", "ENTRYPOINT"]) {
        for (const args of all(stage, keyword)) expect(args.startsWith("["), `${keyword} ${args}`).toBe(true);
      }
    }
  });

  it("copies only files that exist and that .dockerignore does not exclude", () => {
    for (const stage of stages) {
      for (const { sources } of contextCopies(stage)) {
        for (const src of sources) {
          expect(existsSync(repoPath(src)), `COPY ${src}: missing`).toBe(true);
          expect(dockerignored(src, ignorePatterns), `COPY ${src}: excluded by .dockerignore`).toBe(false);
        }
      }
    }
  });
});

describe(".dockerignore", () => {
  it.each(["node_modules", "dist", ".git", ".testbed", "coverage"])(
    "keeps %s out of the build context",
    (path) => {
      expect(dockerignored(path, ignorePatterns)).toBe(true);
    },
  );
});
