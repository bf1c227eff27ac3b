/**
 * The `sparkhooks` command line: argument parsing and I/O around the pure render.ts.
 * `bin/sparkhooks.js` calls `main(process.argv.slice(2))`; tests call it with their own `Io`.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { controllers } from "../controllers.js";
import { parseYaml, render } from "./render.js";

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** `-` is standard input. */
  readonly readFile: (path: string) => string;
  readonly now: () => Date;
}

export const EXIT_OK = 0;
/** The input is invalid (schema or hook) or unreadable. */
export const EXIT_INVALID = 1;
/** The command line is wrong. */
export const EXIT_USAGE = 2;

/** The kinds `render` takes, from the registry: "SparkCluster", "SparkCluster or …". */
const KINDS = controllers.map((controller) => controller.kind).join(" or ");

export const USAGE = `Usage: sparkhooks render -f <file|-> [--observed <file>] [--now <RFC 3339 time>]

Render what the sparkhooks hooks would create for ${KINDS} objects, without a Kubernetes
cluster: each object is validated against its CRD schema (the errors the API server would
give), then passed to the same sync hook the server runs, in a request shaped like
Metacontroller's.

Options:
  -f, --filename <file>  ${KINDS} YAML (several documents or a List are fine); - reads
                         standard input. May be repeated.
      --observed <file>  Objects that exist now (e.g. saved from kubectl get pods,svc,cm
                         -o yaml), so the output shows what the hook would do next: replace
                         stale pods, scale, keep healthy ones. Objects belong to a resource
                         by controller reference, else by the app.kubernetes.io/instance
                         label. May be repeated.
      --now <time>       The time the hook sees (condition timestamps), e.g.
                         2026-01-01T00:00:00Z, for reproducible output. Default: now.
  -h, --help             Show this help.
      --version          Show the version.

Output: a YAML stream of the desired children, one document each, in the resource's
namespace (metadata.namespace, default "default") as Metacontroller would create them, but
without owner references (they need the live object's uid). After each resource's children
comes its status as a YAML comment block, so the stream can be piped straight into kubectl:

  sparkhooks render -f cluster.yaml | kubectl apply --dry-run=client -f -

Exit status: 0 rendered; 1 invalid input (schema errors, or the hook rejects the spec with
InvalidSpec), printed on standard error; 2 usage error.
`;

interface RenderCommand {
  readonly filenames: readonly string[];
  readonly observed: readonly string[];
  readonly now?: Date;
}

type Parsed =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "render"; readonly command: RenderCommand }
  | { readonly kind: "usage"; readonly error: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function parseArgs(argv: readonly string[]): Parsed {
  if (argv.includes("-h") || argv.includes("--help")) return { kind: "help" };
  if (argv.includes("--version")) return { kind: "version" };
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined) return { kind: "usage", error: "missing command (render)" };
  if (subcommand !== "render")
    return { kind: "usage", error: `unknown command ${JSON.stringify(subcommand)}` };

  const filenames: string[] = [];
  const observed: string[] = [];
  let now: Date | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const takeValue = (): string | undefined => {
      if (eq !== -1) return arg.slice(eq + 1);
      i += 1;
      return rest[i];
    };
    switch (flag) {
      case "-f":
      case "--filename": {
        const value = takeValue();
        if (value === undefined || value === "")
          return { kind: "usage", error: `${flag} needs a file name (or -)` };
        filenames.push(value);
        break;
      }
      case "--observed": {
        const value = takeValue();
        if (value === undefined || value === "")
          return { kind: "usage", error: "--observed needs a file name" };
        observed.push(value);
        break;
      }
      case "--now": {
        const value = takeValue();
        const date = value === undefined ? undefined : new Date(value);
        if (
          value === undefined ||
          !RFC3339.test(value) ||
          date === undefined ||
          Number.isNaN(date.getTime())
        ) {
          return { kind: "usage", error: `--now needs an RFC 3339 time such as 2026-01-01T00:00:00Z` };
        }
        now = date;
        break;
      }
      default:
        return {
          kind: "usage",
          error: arg.startsWith("-") ? `unknown flag ${arg}` : `unexpected argument ${JSON.stringify(arg)}`,
        };
    }
  }
  if (filenames.length === 0) return { kind: "usage", error: "render needs -f <file|->" };
  if (filenames.filter((f) => f === "-").length + observed.filter((f) => f === "-").length > 1) {
    return { kind: "usage", error: "standard input (-) can be read only once" };
  }
  return { kind: "render", command: { filenames, observed, ...(now === undefined ? {} : { now }) } };
}

/** The version in the package.json above this file (hooks/cli/ in the source, dist/hooks/cli/ built). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "sparkhooks" && typeof pkg.version === "string") return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readFile: (path) => readFileSync(path === "-" ? 0 : path, "utf8"),
  now: () => new Date(),
};

function readDocuments(io: Io, files: readonly string[], errors: string[]): unknown[] {
  const documents: unknown[] = [];
  for (const file of files) {
    const source = file === "-" ? "<stdin>" : file;
    let text: string;
    try {
      text = io.readFile(file);
    } catch (err) {
      errors.push(`${source}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const parsed = parseYaml(text, source);
    documents.push(...parsed.documents);
    errors.push(...parsed.errors);
  }
  return documents;
}

export function main(argv: readonly string[], io: Io = processIo): number {
  const parsed = parseArgs(argv);
  switch (parsed.kind) {
    case "help":
      io.stdout(USAGE);
      return EXIT_OK;
    case "version":
      io.stdout(`sparkhooks ${packageVersion()}\n`);
      return EXIT_OK;
    case "usage":
      io.stderr(`sparkhooks: ${parsed.error}\n\n${USAGE}`);
      return EXIT_USAGE;
    case "render":
      break;
  }
  const { command } = parsed;
  const readErrors: string[] = [];
  const clusters = readDocuments(io, command.filenames, readErrors);
  const observed = readDocuments(io, command.observed, readErrors);
  if (readErrors.length > 0) {
    for (const error of readErrors) io.stderr(`sparkhooks: ${error}\n`);
    return EXIT_INVALID;
  }
  const result = render(clusters, { now: command.now ?? io.now(), observed });
  for (const warning of result.warnings) io.stderr(`sparkhooks: warning: ${warning}\n`);
  if (!result.ok) {
    for (const error of result.errors) io.stderr(`sparkhooks: ${error}\n`);
    return EXIT_INVALID;
  }
  io.stdout(result.output);
  return EXIT_OK;
}
