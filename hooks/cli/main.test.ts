import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, main, parseArgs, type Io } from "./main.js";

const dir = mkdtempSync(join(tmpdir(), "sparkhooks-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const CLUSTER = `apiVersion: sparkhooks.dev/v1alpha1
kind: SparkCluster
metadata:
  name: my-spark-cluster
  namespace: spark-clusters
spec:
  worker:
    instances: "2"
`;

/** Runs the command in-process with captured output and a fixed clock. */
function run(argv: string[], stdin = ""): { code: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readFile: (path) => (path === "-" ? stdin : readFileSync(path, "utf8")),
    now: () => new Date("2030-06-01T00:00:00Z"),
  };
  const code = main(argv, io);
  return { code, stdout, stderr };
}

describe("sparkhooks render", () => {
  it("prints the children and the status of a valid file and exits 0", () => {
    const { code, stdout, stderr } = run([
      "render",
      "-f",
      file("ok.yaml", CLUSTER),
      "--now",
      "2026-01-01T00:00:00Z",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(EXIT_OK);
    expect(stdout.match(/^kind: Pod$/gm)).toHaveLength(3);
    expect(stdout).toContain('lastTransitionTime: "2026-01-01T00:00:00Z"');
  });

  it("reads standard input with -f -, and uses the current time without --now", () => {
    const { code, stdout } = run(["render", "--filename=-"], CLUSTER);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain('lastTransitionTime: "2030-06-01T00:00:00Z"');
  });

  it("exits 1 with the field path on a schema error, printing nothing to stdout", () => {
    const bad = file("bad.yaml", CLUSTER.replace('instances: "2"', "instances: [2]"));
    const { code, stdout, stderr } = run(["render", "-f", bad]);
    expect(code).toBe(EXIT_INVALID);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "sparkhooks: SparkCluster spark-clusters/my-spark-cluster: spec.worker.instances: must be integer or string\n",
    );
  });

  it("exits 1 with the hook's message when it rejects the spec", () => {
    const twoMasters = file("masters.yaml", `${CLUSTER}  master:\n    instances: 2\n`);
    const { code, stdout, stderr } = run(["render", "-f", twoMasters]);
    expect(code).toBe(EXIT_INVALID);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/InvalidSpec: spec\.master\.instances: only 1 master is supported/);
  });

  it("takes the current children from --observed", () => {
    const observed = file(
      "observed.yaml",
      `apiVersion: v1
kind: Pod
metadata:
  name: my-spark-cluster-worker-0-stale00000
  namespace: spark-clusters
  labels:
    app.kubernetes.io/instance: my-spark-cluster
    app.kubernetes.io/component: worker
    sparkhooks.dev/worker-ordinal: "0"
    sparkhooks.dev/template-hash: stale00000
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
`,
    );
    const { code, stdout } = run(["render", "-f", file("c.yaml", CLUSTER), "--observed", observed]);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain("#   replicas: 1");
  });

  it("exits 1 when a file cannot be read or parsed", () => {
    expect(run(["render", "-f", join(dir, "missing.yaml")])).toMatchObject({
      code: EXIT_INVALID,
      stdout: "",
    });
    const broken = run(["render", "-f", file("broken.yaml", "spec: [\n")]);
    expect(broken.code).toBe(EXIT_INVALID);
    expect(broken.stderr).toContain("broken.yaml: YAML document 1:");
  });
});

describe("sparkhooks command line", () => {
  it.each([
    [[]],
    [["apply"]],
    [["render"]],
    [["render", "-f"]],
    [["render", "-f", "x.yaml", "--output", "json"]],
    [["render", "-f", "x.yaml", "extra"]],
    [["render", "-f", "x.yaml", "--now", "yesterday"]],
    [["render", "-f", "-", "--observed", "-"]],
  ])("exits 2 with the usage on %j", (argv) => {
    const { code, stdout, stderr } = run(argv);
    expect(code).toBe(EXIT_USAGE);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^sparkhooks: .+\n\nUsage: sparkhooks render/);
  });

  it("prints help (which explains the output) and the version", () => {
    const help = run(["render", "--help"]);
    expect(help.code).toBe(EXIT_OK);
    expect(help.stdout).toContain("kubectl apply --dry-run=client -f -");
    expect(help.stdout).toContain("status as a YAML comment block");
    const version = run(["--version"]);
    expect(version.code).toBe(EXIT_OK);
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(version.stdout).toBe(`sparkhooks ${pkg.version}\n`);
  });

  it("accepts flags in both spellings and repeated files", () => {
    expect(
      parseArgs([
        "render",
        "-f",
        "a.yaml",
        "--filename",
        "b.yaml",
        "--observed=c.yaml",
        "--now=2026-01-01T00:00:00+02:00",
      ]),
    ).toEqual({
      kind: "render",
      command: {
        filenames: ["a.yaml", "b.yaml"],
        observed: ["c.yaml"],
        now: new Date("2025-12-31T22:00:00Z"),
      },
    });
  });
});
