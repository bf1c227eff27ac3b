/**
 * What radanalytics' optional fields add to every master and worker pod: init containers that
 * prepare the pod before Spark starts (downloadData, mavenDependencies), the volumes they share
 * with the Spark container, the history server's claim (historyServer), and the Spark settings
 * and variables that make Spark use all of it.
 *
 * Every addition goes to master and workers alike, as in radanalytics: a driver runs wherever
 * spark-submit runs (client mode, `kubectl exec` into any pod) or on a worker (standalone
 * cluster mode), and executors run on the workers, so each of them may read the data, load the
 * jars and write event logs.
 */
import type { IEnvVar, IVolume, IVolumeMount } from "kubernetes-models/v1";
import { SPARK_CONF_DIR } from "../spark/conf.js";
import {
  eventLogProperties,
  eventLogVolumeMounts,
  eventLogVolumes,
  type EventLogTarget,
} from "../spark/event-log.js";
import { WORK_DIR } from "../spark/security.js";
import type { SparkClusterSpec } from "./schema.js";

/** Spark's home in the image; nothing may be mounted over it or in it but our own volumes. */
const SPARK_HOME = "/opt/spark";
/** The pod's writable scratch volumes (../spark/security.ts): downloads may land on them. */
const SCRATCH_DIRS = ["/tmp", WORK_DIR] as const;

/**
 * Spark's Ivy home for mavenDependencies (`spark.jars.ivy`): `cache/` holds what Ivy fetched,
 * `jars/` the resolved jars that Spark copies out of it. An emptyDir, writable in the Spark
 * container too, because spark-submit run in a pod resolves spark.jars.packages there again (a
 * read-only root filesystem leaves Ivy's default, ~/.ivy2.5.2, unwritable).
 */
export const MAVEN_DIR = `${SPARK_HOME}/maven`;
export const MAVEN_JARS = `${MAVEN_DIR}/jars`;
const MAVEN_VOLUME = "maven-dependencies";

/** An init container before the image, security context and resources of its pod are applied. */
export interface InitStep {
  readonly name: string;
  readonly command: readonly string[];
  /** Whether it starts a JVM, which needs a passwd entry for its uid (see ../spark/identity.ts). */
  readonly runsSpark: boolean;
  readonly volumeMounts: readonly IVolumeMount[];
}

/** A Spark property that a spec field sets, with the field's name for the rendered file. */
export interface FieldSetting {
  readonly name: string;
  readonly value: string;
  readonly origin: string;
  readonly why?: string;
}

export interface PodAdditions {
  readonly initSteps: readonly InitStep[];
  readonly volumes: readonly IVolume[];
  /** Mounted in the Spark container. */
  readonly volumeMounts: readonly IVolumeMount[];
  readonly env: readonly IEnvVar[];
  /** spark-defaults.conf sections, each headed by the field that asks for it. */
  readonly settings: readonly { readonly heading: string; readonly settings: readonly FieldSetting[] }[];
}

export const NO_ADDITIONS: PodAdditions = {
  initSteps: [],
  volumes: [],
  volumeMounts: [],
  env: [],
  settings: [],
};

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** `/a/b/` → `/a/b`; the root stays `/`. */
function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** Why a volume mounted at `path` would break the pod, or undefined when it would not. */
function mountProblem(path: string, others: readonly { path: string; what: string }[]): string | undefined {
  if (isUnder(SPARK_HOME, path)) return `it would hide Spark (${SPARK_HOME})`;
  if (isUnder(path, SPARK_HOME)) return `it is inside Spark's home ${SPARK_HOME}`;
  for (const scratch of SCRATCH_DIRS) {
    if (isUnder(scratch, path)) return `it would hide the pod's writable ${scratch}`;
  }
  for (const other of others) {
    if (isUnder(path, other.path) || isUnder(other.path, path))
      return `it overlaps ${other.what} at ${other.path}`;
  }
  return undefined;
}

/** The file a downloadData entry writes: `to` itself, or the URL's file name in the directory `to`. */
function downloadTarget(url: string, to: string): string | undefined {
  if (!to.endsWith("/")) return to;
  let name: string;
  try {
    name = decodeURIComponent(new URL(url).pathname.split("/").at(-1) ?? "");
  } catch {
    return undefined;
  }
  const usable = name !== "" && name !== "." && name !== ".." && !name.includes("/");
  return usable ? `${to}${name}` : undefined;
}

/**
 * Each entry as `url` → an absolute file path. `to` must be a plain absolute path: `.`, `..`
 * and empty segments would let two spellings name one file, or climb out of the volume.
 */
function downloads(spec: SparkClusterSpec, errors: string[]): { url: string; file: string; index: number }[] {
  const files = new Map<string, number>();
  return (spec.downloadData ?? []).flatMap(({ url, to }, index) => {
    const field = `spec.downloadData[${index}]`;
    if (to === "/") {
      errors.push(`${field}.to: / cannot hold downloads; name a directory such as /data/`);
      return [];
    }
    const segments = withoutTrailingSlash(to).split("/").slice(1);
    if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
      errors.push(`${field}.to: ${to} must be a plain absolute path (no '.', '..' or '//')`);
      return [];
    }
    const file = downloadTarget(url, to);
    if (file === undefined) {
      errors.push(`${field}.to: ${url} ends in no file name; give to a file name, such as ${to}data.csv`);
      return [];
    }
    const earlier = files.get(file);
    if (earlier !== undefined) {
      errors.push(`${field}.to: ${file} is also written by spec.downloadData[${earlier}]`);
      return [];
    }
    files.set(file, index);
    return [{ url, file, index }];
  });
}

/**
 * Fetches each (url, file) pair in order; `set -e` makes the first failed download the init
 * container's exit status, so the pod stays in Init:Error and the kubelet retries with backoff
 * instead of starting Spark without its data. URLs and paths are arguments, never shell text.
 * `wget -O` is understood by GNU wget (apache/spark's image has it) and BusyBox's alike.
 */
export const DOWNLOAD_SCRIPT = [
  "set -e",
  'while [ "$#" -gt 0 ]; do',
  '  mkdir -p "$(dirname "$2")"',
  '  echo "downloading $1 to $2"',
  '  wget -O "$2" "$1"',
  "  shift 2",
  "done",
].join("\n");

function downloadAdditions(
  spec: SparkClusterSpec,
  reserved: readonly { path: string; what: string }[],
  errors: string[],
): PodAdditions {
  const entries = downloads(spec, errors);
  if (entries.length === 0) return NO_ADDITIONS;
  // One emptyDir per outermost directory that is not on a scratch volume already; a directory
  // inside another one shares its volume.
  const directories = [...new Set(entries.map(({ file }) => parentOf(file)))]
    .filter((dir) => !SCRATCH_DIRS.some((scratch) => isUnder(dir, scratch)))
    .sort();
  const roots = directories.filter(
    (dir) => !directories.some((other) => other !== dir && isUnder(dir, other)),
  );
  const hidden = entries.flatMap(({ file, index }) => {
    const under = reserved.find(({ path }) => isUnder(parentOf(file), path));
    return under === undefined
      ? []
      : [`spec.downloadData[${index}].to: ${file} is inside ${under.what} at ${under.path}`];
  });
  const problems =
    hidden.length > 0
      ? hidden
      : roots.flatMap((root) => {
          const problem = mountProblem(root, reserved);
          if (problem === undefined) return [];
          const index = (spec.downloadData ?? []).findIndex(({ to }) =>
            isUnder(withoutTrailingSlash(to), root),
          );
          return [`spec.downloadData[${index}].to: cannot mount a volume at ${root}: ${problem}`];
        });
  if (problems.length > 0) {
    errors.push(...problems);
    return NO_ADDITIONS;
  }
  const volumes: IVolume[] = roots.map((_root, index) => ({ name: `download-${index}`, emptyDir: {} }));
  const mounts: IVolumeMount[] = roots.map((root, index) => ({ name: `download-${index}`, mountPath: root }));
  const scratchMounts: IVolumeMount[] = [
    { name: "tmp", mountPath: "/tmp" },
    { name: "work-dir", mountPath: WORK_DIR },
  ];
  return {
    ...NO_ADDITIONS,
    initSteps: [
      {
        name: "download-data",
        command: [
          "/bin/sh",
          "-c",
          DOWNLOAD_SCRIPT,
          "download-data",
          ...entries.flatMap(({ url, file }) => [url, file]),
        ],
        runsSpark: false,
        volumeMounts: [...scratchMounts, ...mounts],
      },
    ],
    volumes,
    volumeMounts: mounts,
  };
}

/**
 * Resolves the packages once per pod with Spark's own `--packages` machinery (spark-submit's
 * Ivy resolution: the same transitive dependencies, exclusions of Spark's own artifacts and
 * repository order as an application gets), which retrieves the jars into MAVEN_JARS. The main
 * class only has to exist and return: scala.util.Properties prints the Scala version. A package
 * that cannot be resolved fails spark-submit, so the pod stays in Init:Error.
 */
function mavenAdditions(spec: SparkClusterSpec): PodAdditions {
  const packages = spec.mavenDependencies ?? [];
  if (packages.length === 0) return NO_ADDITIONS;
  const repositories = spec.mavenRepositories ?? [];
  const mount: IVolumeMount = { name: MAVEN_VOLUME, mountPath: MAVEN_DIR };
  const origin = (field: string) => `spec.${field}`;
  return {
    ...NO_ADDITIONS,
    initSteps: [
      {
        name: "resolve-maven-dependencies",
        command: [
          `${SPARK_HOME}/bin/spark-submit`,
          // The resolver's JVM needs little heap; Spark's default 1g could exceed a small pod.
          "--driver-memory",
          "256m",
          "--conf",
          `spark.jars.ivy=${MAVEN_DIR}`,
          "--packages",
          packages.join(","),
          ...(repositories.length === 0 ? [] : ["--repositories", repositories.join(",")]),
          "--class",
          "scala.util.Properties",
          // spark-submit's name for "no application jar" (SparkLauncher.NO_RESOURCE).
          "spark-internal",
        ],
        runsSpark: true,
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, { name: "work-dir", mountPath: WORK_DIR }, mount],
      },
    ],
    volumes: [{ name: MAVEN_VOLUME, emptyDir: {} }],
    volumeMounts: [mount],
    // Spark's launcher puts SPARK_DIST_CLASSPATH on the class path of every JVM it builds: the
    // daemons, spark-submit's drivers, and the executors and cluster-mode drivers a worker
    // starts, whichever driver asked for them. So executors find the jars even when their
    // application was submitted from outside the cluster without --packages.
    env: [{ name: "SPARK_DIST_CLASSPATH", value: `${MAVEN_JARS}/*` }],
    settings: [
      {
        heading: "mavenDependencies",
        settings: [
          {
            name: "spark.jars.packages",
            value: packages.join(","),
            origin: origin("mavenDependencies"),
            why: "applications submitted from these pods ask for the same packages",
          },
          ...(repositories.length === 0
            ? []
            : [
                {
                  name: "spark.jars.repositories",
                  value: repositories.join(","),
                  origin: origin("mavenRepositories"),
                },
              ]),
          {
            name: "spark.jars.ivy",
            value: MAVEN_DIR,
            origin: origin("mavenDependencies"),
            why: "Ivy's cache, already filled by the init container, on a writable volume",
          },
        ],
      },
    ],
  };
}

function eventLogAdditions(target: EventLogTarget | undefined): PodAdditions {
  if (target === undefined) return NO_ADDITIONS;
  return {
    ...NO_ADDITIONS,
    volumes: eventLogVolumes(target),
    volumeMounts: eventLogVolumeMounts(target),
    settings: [
      {
        heading: "historyServer",
        settings: Object.entries(eventLogProperties(target)).map(([name, value]) => ({
          name,
          value,
          origin: "spec.historyServer",
        })),
      },
    ],
  };
}

function combine(parts: readonly PodAdditions[]): PodAdditions {
  return {
    initSteps: parts.flatMap((part) => part.initSteps),
    volumes: parts.flatMap((part) => part.volumes),
    volumeMounts: parts.flatMap((part) => part.volumeMounts),
    env: parts.flatMap((part) => part.env),
    settings: parts.flatMap((part) => part.settings),
  };
}

/**
 * Everything the optional fields add to the cluster's pods; problems go to `errors` (the spec
 * is then rejected and nothing changes). Order is fixed: downloads first (a resolver could one
 * day read a downloaded settings file), then Maven, then the history server's claim.
 */
export function podAdditions(
  spec: SparkClusterSpec,
  eventLog: EventLogTarget | undefined,
  errors: string[],
): PodAdditions {
  const reserved = [
    { path: SPARK_CONF_DIR, what: "Spark's configuration" },
    ...(eventLog?.volume === undefined
      ? []
      : [{ path: eventLog.volume.mountPath, what: "the history server's volume" }]),
  ];
  if (eventLog?.volume !== undefined) {
    const problem = mountProblem(eventLog.volume.mountPath, []);
    if (problem !== undefined) {
      errors.push(
        `spec.historyServer: cannot mount ${eventLog.volume.claimName} at ${eventLog.volume.mountPath}: ${problem}`,
      );
    }
  }
  return combine([
    downloadAdditions(spec, reserved, errors),
    mavenAdditions(spec),
    eventLogAdditions(eventLog),
  ]);
}
