/**
 * Runs a rendered Pod as a local process, as faithfully as one host allows.
 *
 * What the kubelet and the apache/spark image would do, and what this does instead:
 *
 * - Program: the container's `command` (which replaces the image's ENTRYPOINT) followed by
 *   `args`; without `command`, the image's /opt/entrypoint.sh, whose pass-through branch does
 *   `exec "$@"` for anything but `driver`/`executor`, so `args[0]` is the program. The
 *   pass-through branch changes no exported variable (it sets JAVA_HOME only when it is empty,
 *   and the image sets it), so its environment is the image's ENV plus the container's env.
 *   The `driver` and `executor` branches are reproduced from the pod's env and args as the
 *   script builds them (see {@link entrypointArgv}).
 * - Environment: `value`s with `$(VAR)` expanded against the variables defined before them,
 *   `fieldRef`s from the pod (status.podIP is a loopback address of its own per pod), and
 *   `configMapKeyRef`s from the ConfigMaps given; anything else throws.
 * - Arguments: `$(VAR)` expanded exactly as the kubelet does (only variables of the container's
 *   env; `$$` escapes; unknown references stay as they are). A launch step `/bin/bash -c
 *   SCRIPT NAME ARGS…` keeps SCRIPT and NAME as they are (see {@link localArgv}).
 * - Filesystem: every absolute path in the final argv, env values and working directory goes
 *   through a mount table: the pod's volumeMounts first (ConfigMap → a directory holding its
 *   files, emptyDir → a fresh directory, a PersistentVolumeClaim → the directory the test binds
 *   to that claim, the projected ServiceAccount volume → its token, CA
 *   and namespace files), then the image's own files (/opt/spark → the pyspark package, which
 *   has the same bin/, sbin/ and jars/; /opt/spark/examples → the examples built for the test;
 *   /opt/java/openjdk → a local JDK), then a few system directories that exist on every Linux
 *   host. A path no entry covers throws. `local://` URIs (a file in the image) are paths too.
 * - Network: see {@link Emulation}: the only places where the process sees something the
 *   pod did not ask for. Each is listed in `deviations`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { hostname } from "node:os";
import { dirname, join, relative } from "node:path";
import type {
  IConfigMap,
  IContainer,
  IEnvVar,
  IPod,
  IService,
  IVolume,
  IVolumeMount,
} from "kubernetes-models/v1";
import { parseProperties } from "../../../hooks/spark/properties.js";

/** apache/spark:<version> as built by apache/spark-docker (Dockerfile + entrypoint.sh). */
export const SPARK_IMAGE = {
  entrypoint: "/opt/entrypoint.sh",
  workingDir: "/opt/spark/work-dir",
  sparkHome: "/opt/spark",
  examples: "/opt/spark/examples",
  /** eclipse-temurin base images put the JRE here and on PATH. */
  javaHome: "/opt/java/openjdk",
  path: "/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
} as const;

/** Host directories that stand in for the image's own (Ubuntu's userland: bash, coreutils). */
const SYSTEM_DIRS = ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/dev"];

export interface LocalRuntime {
  /** Stands in for /opt/spark. */
  readonly sparkHome: string;
  /** Stands in for /opt/java/openjdk. */
  readonly javaHome: string;
  /**
   * Stands in for /opt/spark/examples (the pyspark package has no jars/spark-examples*.jar):
   * `jars/spark-examples.jar` and `src/main/python/pi.py`. Undefined: not in this image.
   */
  readonly examplesDir?: string;
  /**
   * A directory whose `python3` imports this Spark's pyspark, as the image's python3 does
   * (its PYTHONPATH comes from /opt/spark/python). Put first on PATH for the `driver` and
   * `executor` branches, whose Python workers run `python3`.
   */
  readonly pythonBin?: string;
}

export interface MountEntry {
  readonly containerPath: string;
  readonly localPath: string;
  /** `volume <name> (configMap <cm>)`, `volume <name> (emptyDir)`, `image`, `host`. */
  readonly source: string;
  readonly readOnly: boolean;
}

/** A name the pod would resolve through cluster DNS or its /etc/hosts, and the address it gets. */
export interface HostEntry {
  readonly ip: string;
  readonly names: readonly string[];
}

export interface AdaptOptions {
  readonly runtime: LocalRuntime;
  readonly podIP: string;
  readonly namespace: string;
  /** A fresh directory for this pod: volumes, hosts file. */
  readonly scratchDir: string;
  /** ConfigMaps the pod may mount or reference (the hook's ConfigMap child). */
  readonly configMaps: readonly IConfigMap[];
  /** Service names → pod IPs (see {@link serviceHosts}). */
  readonly hosts: readonly HostEntry[];
  /**
   * Run as this uid/gid, as a platform that assigns ids would (OpenShift), instead of the
   * test's own user; needs root. Undefined: the test's user.
   */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /**
   * The token the kubelet would put into a projected `serviceAccountToken` source (a
   * TokenRequest for the pod's ServiceAccount, bound to the pod). Needed only by pods with
   * such a volume, which the ServiceAccount admission plugin adds to every pod that does not
   * opt out.
   */
  readonly serviceAccountToken?: string;
  /**
   * Where the API server really listens, for a `driver`: `https://kubernetes.default.svc`
   * (Spark's in-cluster default) with this port. `hosts` must map kubernetes.default.svc.
   */
  readonly apiServerPort?: number;
  /**
   * PersistentVolumeClaims by claim name → the local directory that stands in for the volume
   * bound to it. Pods that mount the same claim (a history server and the applications writing
   * its event logs) see the same directory, as they would on a ReadWriteMany volume.
   */
  readonly persistentVolumes?: Readonly<Record<string, string>>;
}

export interface LocalProcess {
  readonly podName: string;
  readonly podIP: string;
  readonly command: string;
  readonly args: string[];
  /** The uid/gid to run as (see {@link AdaptOptions.runAs}). */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly mounts: readonly MountEntry[];
  /** The JVM's hosts file: the pod's /etc/hosts plus cluster DNS for the Services. */
  readonly hostsFile: string;
  /** Local directory of each volume, by volume name. */
  readonly volumeDirs: Readonly<Record<string, string>>;
  /** Everything the process gets that the pod did not say, and why. */
  readonly deviations: readonly string[];
}

/**
 * The environment the adapter adds, each because one host is not a cluster:
 *
 * - SPARK_LOCAL_IP=<pod IP>. Spark binds its web UIs (master 8080, worker 8081, driver 4040)
 *   to 0.0.0.0 unless SPARK_LOCAL_IP is set (`WebUI.bind`; the master log says "Bound
 *   MasterWebUI to 0.0.0.0"). In a pod that is the pod's own network namespace; on one host the
 *   second worker's 8081 would be taken and Spark would quietly move it to 8082. With
 *   SPARK_LOCAL_IP the UIs bind to the pod IP, so the rendered `--webui-port` stays as it is
 *   for every worker. Spark's other use of it (the default local address) yields the same
 *   value as in the pod, where the hostname resolves to the pod IP through /etc/hosts.
 * - SPARK_DAEMON_JAVA_OPTS += -Djdk.net.hosts.file=<file>: the JVM resolves names from a file
 *   that holds what the pod would see: `localhost`, its hostname → its pod IP (the kubelet's
 *   /etc/hosts; the host's name stands in for the pod name, which is the container's hostname)
 *   and each Service name (short, `.<ns>.svc`, `.<ns>.svc.cluster.local`) → the IP of the one
 *   pod its selector picks, which is what a ClusterIP Service with port == targetPort forwards
 *   to. A name not in the file does not resolve, as in the cluster.
 * - SPARK_DAEMON_JAVA_OPTS += -Djava.io.tmpdir=<the /tmp volume>: the JVM's temporary files
 *   (and so Spark's default spark.local.dir) go to the pod's /tmp emptyDir, as in the pod.
 *   The `driver` branch's JVM is started by spark-submit, which reads SPARK_SUBMIT_OPTS
 *   instead; the `executor` branch's java command gets both options before its own.
 * - TMPDIR=<the /tmp volume>: a launch script's `mktemp` (whose paths are not mapped, see
 *   {@link localArgv}) writes to the pod's /tmp emptyDir, as in the pod, not the host's /tmp.
 * - JAVA_HOME, SPARK_HOME, PATH: the image's ENV, with the image's paths mapped like any other.
 */
export const EMULATED_ENV = [
  "SPARK_LOCAL_IP",
  "SPARK_DAEMON_JAVA_OPTS",
  "SPARK_SUBMIT_OPTS",
  "TMPDIR",
  "JAVA_HOME",
  "SPARK_HOME",
  "PATH",
];

// ---------------------------------------------------------------------------------------------
// $(VAR) expansion: a port of k8s.io/kubernetes third_party/forked/golang/expansion/expand.go.

/**
 * The kubelet's expansion: `$(NAME)` → mapping(NAME); `$$` → `$`; `$` before anything else,
 * or an unterminated `$(`, stays as written. A name the mapping does not know stays `$(NAME)`.
 */
export function expandKubeVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor += 1) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === "$") {
      out += "$";
    } else if (rest[0] === "(") {
      const close = rest.indexOf(")", 1);
      if (close === -1) {
        out += "$(";
      } else {
        const name = rest.slice(1, close);
        out += lookup(name) ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

// ---------------------------------------------------------------------------------------------
// Mount table.

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

export class MountTable {
  constructor(readonly entries: readonly MountEntry[]) {}

  /** The entry covering a container path: the longest matching mount wins, as in a container. */
  entryFor(containerPath: string): MountEntry | undefined {
    let best: MountEntry | undefined;
    for (const entry of this.entries) {
      if (!isUnder(containerPath, entry.containerPath)) continue;
      // Strictly longer: at equal paths the earlier entry (a volume, not the image) wins.
      if (best === undefined || entry.containerPath.length > best.containerPath.length) best = entry;
    }
    return best;
  }

  /** The local path of an absolute container path; throws when nothing covers it. */
  resolve(containerPath: string): string {
    const entry = this.entryFor(containerPath);
    if (entry === undefined) {
      throw new Error(`container path ${containerPath} is on no volume and not in the image's known files`);
    }
    const rest = relative(entry.containerPath, containerPath);
    return rest === "" ? entry.localPath : join(entry.localPath, rest);
  }

  /**
   * Rewrites each absolute path in a string: a whole value, or one that follows `=`, `:`, `,`
   * or whitespace (`-Dx=/p`, `a:/p`). `//` (URLs such as spark://host:7077) is left alone.
   */
  rewrite(value: string): string {
    // `local:///opt/x` is the file /opt/x in the container (Spark's scheme for "already in the image").
    const uris = value.replace(/(^|[=,\s])local:\/\/(\/[^\s:,=]*)/g, (_match, lead: string, path: string) => {
      return `${lead}local://${this.resolve(path)}`;
    });
    return uris.replace(/(^|[=:,\s])(\/(?!\/)[^\s:,=]*)/g, (_match, lead: string, path: string) => {
      return `${lead}${this.resolve(path)}`;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Services → hosts.

function matchesSelector(pod: IPod, selector: Readonly<Record<string, string>>): boolean {
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * What each Service name resolves to, emulated by name resolution alone: the IP of the single
 * pod its selector picks. Only ClusterIP Services whose ports forward to the same port number
 * on the pod can be emulated this way; anything else throws.
 */
export function serviceHosts(
  services: readonly IService[],
  pods: readonly { readonly pod: IPod; readonly ip: string }[],
  namespace: string,
): HostEntry[] {
  return services.map((service) => {
    const name = service.metadata?.name;
    if (name === undefined) throw new Error("a Service without a name");
    const spec = service.spec ?? {};
    if ((spec.type ?? "ClusterIP") !== "ClusterIP") {
      throw new Error(`Service ${name}: type ${spec.type ?? ""} cannot be emulated`);
    }
    const selector = spec.selector ?? {};
    if (Object.keys(selector).length === 0) throw new Error(`Service ${name} has no selector`);
    const picked = pods.filter((entry) => matchesSelector(entry.pod, selector));
    if (picked.length !== 1) {
      throw new Error(
        `Service ${name} selects ${picked.length} pods (${picked.map((p) => p.pod.metadata?.name ?? "?").join(", ")}); ` +
          "one is needed to emulate it by name resolution",
      );
    }
    const [target] = picked as [(typeof picked)[0]];
    const container = target.pod.spec?.containers[0];
    for (const port of spec.ports ?? []) {
      const targetPort = port.targetPort ?? port.port;
      const resolved =
        typeof targetPort === "number"
          ? targetPort
          : container?.ports?.find((p) => p.name === targetPort)?.containerPort;
      if (resolved !== port.port) {
        throw new Error(
          `Service ${name}: port ${port.port} → targetPort ${String(targetPort)} cannot be emulated by name resolution`,
        );
      }
      if (!(container?.ports ?? []).some((p) => p.containerPort === resolved)) {
        throw new Error(`Service ${name}: port ${resolved} is not a container port of the selected pod`);
      }
    }
    return {
      ip: target.ip,
      names: [
        name,
        `${name}.${namespace}`,
        `${name}.${namespace}.svc`,
        `${name}.${namespace}.svc.cluster.local`,
      ],
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The pod.

/**
 * The file behind -Djdk.net.hosts.file: the pod's /etc/hosts as the kubelet writes it (the
 * host's name stands in for the pod's hostname) and the cluster's Service names. Rewriting it
 * is how a Service's endpoint change is emulated; the JVM reads it on each lookup that its
 * address cache (30 s by default) does not answer.
 */
export function writeHostsFile(
  path: string,
  podIP: string,
  podName: string,
  hosts: readonly HostEntry[],
): void {
  const lines = [
    "# The pod's /etc/hosts (kubelet) and the cluster's Service names, for -Djdk.net.hosts.file",
    "127.0.0.1 localhost",
    `${podIP} ${hostname()} ${podName}`,
    ...hosts.map((entry) => `${entry.ip} ${entry.names.join(" ")}`),
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
}

/** The pod's one container; its init containers are adapted separately ({@link adaptInitContainers}). */
function onlyContainer(pod: IPod): IContainer {
  const spec = pod.spec;
  if (spec === undefined) throw new Error("pod has no spec");
  if (spec.containers.length !== 1) {
    throw new Error(`expected one container, got ${spec.containers.length}`);
  }
  return spec.containers[0]!;
}

function writeConfigMapVolume(volume: IVolume, configMaps: readonly IConfigMap[], dir: string): void {
  const source = volume.configMap!;
  const configMap = configMaps.find((cm) => cm.metadata?.name === source.name);
  if (configMap === undefined) {
    if (source.optional === true) return;
    throw new Error(`volume ${volume.name}: ConfigMap ${source.name ?? ""} not found`);
  }
  const files: Record<string, Buffer> = {};
  for (const [key, text] of Object.entries(configMap.data ?? {})) files[key] = Buffer.from(text, "utf8");
  for (const [key, base64] of Object.entries(configMap.binaryData ?? {})) {
    files[key] = Buffer.from(base64, "base64");
  }
  const items = source.items;
  const placed =
    items === undefined
      ? Object.entries(files).map(([key, content]) => [key, content] as const)
      : items.map((item) => {
          const content = files[item.key];
          if (content === undefined)
            throw new Error(`volume ${volume.name}: ConfigMap has no key ${item.key}`);
          return [item.path, content] as const;
        });
  for (const [path, content] of placed) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

/**
 * The projected volume the ServiceAccount admission plugin adds (`kube-api-access-*`): the
 * kubelet writes the pod's token, the cluster CA from the kube-root-ca.crt ConfigMap and the
 * namespace. Other sources are not emulated.
 */
function writeProjectedVolume(volume: IVolume, pod: IPod, options: AdaptOptions, dir: string): void {
  for (const source of volume.projected?.sources ?? []) {
    if (source.serviceAccountToken !== undefined) {
      if (options.serviceAccountToken === undefined) {
        throw new Error(`volume ${volume.name}: a serviceAccountToken source and no token to put there`);
      }
      writeFileSync(join(dir, source.serviceAccountToken.path), options.serviceAccountToken);
    } else if (source.configMap !== undefined) {
      writeConfigMapVolume({ name: volume.name, configMap: source.configMap }, options.configMaps, dir);
    } else if (source.downwardAPI !== undefined) {
      for (const item of source.downwardAPI.items ?? []) {
        const field = item.fieldRef?.fieldPath;
        const value =
          field === "metadata.namespace"
            ? options.namespace
            : field === "metadata.name"
              ? (pod.metadata?.name ?? "")
              : undefined;
        if (value === undefined)
          throw new Error(`volume ${volume.name}: downwardAPI ${field ?? "?"} is not emulated`);
        writeFileSync(join(dir, item.path), value);
      }
    } else {
      throw new Error(`volume ${volume.name}: projected ${Object.keys(source).join(",")} is not emulated`);
    }
  }
}

function buildMounts(
  container: IContainer,
  pod: IPod,
  options: AdaptOptions,
): { mounts: MountEntry[]; volumeDirs: Record<string, string> } {
  const volumes = new Map((pod.spec?.volumes ?? []).map((volume) => [volume.name, volume]));
  const volumeDirs: Record<string, string> = {};
  for (const [name, volume] of volumes) {
    const claim = volume.persistentVolumeClaim;
    if (claim !== undefined) {
      const bound = options.persistentVolumes?.[claim.claimName];
      if (bound === undefined)
        throw new Error(`volume ${name}: claim ${claim.claimName} is bound to no local directory`);
      volumeDirs[name] = bound;
      continue;
    }
    const dir = join(options.scratchDir, "volumes", name);
    mkdirSync(dir, { recursive: true });
    if (volume.configMap !== undefined) writeConfigMapVolume(volume, options.configMaps, dir);
    else if (volume.projected !== undefined) writeProjectedVolume(volume, pod, options, dir);
    else if (volume.emptyDir === undefined) {
      const kind = Object.keys(volume).filter((key) => key !== "name");
      throw new Error(`volume ${name}: type ${kind.join(",")} is not emulated`);
    } else chmodSync(dir, 0o777); // the kubelet's emptyDir mode: writable by whatever uid runs

    volumeDirs[name] = dir;
  }
  const mounts: MountEntry[] = (container.volumeMounts ?? []).map((mount: IVolumeMount) => {
    const volume = volumes.get(mount.name);
    const dir = volumeDirs[mount.name];
    if (volume === undefined || dir === undefined) {
      throw new Error(`volumeMount ${mount.mountPath}: no volume named ${mount.name}`);
    }
    if (mount.subPath !== undefined || mount.subPathExpr !== undefined) {
      throw new Error(`volumeMount ${mount.mountPath}: subPath is not emulated`);
    }
    const kind =
      volume.configMap !== undefined
        ? `configMap ${volume.configMap.name ?? ""}`
        : volume.projected !== undefined
          ? "projected"
          : volume.persistentVolumeClaim !== undefined
            ? `persistentVolumeClaim ${volume.persistentVolumeClaim.claimName}`
            : "emptyDir";
    return {
      containerPath: mount.mountPath,
      localPath: dir,
      source: `volume ${mount.name} (${kind})`,
      readOnly: mount.readOnly === true,
    };
  });
  // The image's writable-looking directories (WORKDIR, /tmp) get scratch directories; with a
  // read-only root filesystem they are read-only, which adaptPod enforces for what Spark uses.
  const rootReadOnly = container.securityContext?.readOnlyRootFilesystem === true;
  const rootDir = (name: string): string => {
    const dir = join(options.scratchDir, "rootfs", name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const image: MountEntry[] = [
    {
      containerPath: SPARK_IMAGE.workingDir,
      localPath: rootDir("work-dir"),
      source: "image",
      readOnly: rootReadOnly,
    },
    { containerPath: "/tmp", localPath: rootDir("tmp"), source: "image", readOnly: rootReadOnly },
    {
      containerPath: SPARK_IMAGE.sparkHome,
      localPath: options.runtime.sparkHome,
      source: "image",
      readOnly: true,
    },
    {
      containerPath: SPARK_IMAGE.javaHome,
      localPath: options.runtime.javaHome,
      source: "image",
      readOnly: true,
    },
    ...(options.runtime.examplesDir === undefined
      ? []
      : [
          {
            containerPath: SPARK_IMAGE.examples,
            localPath: options.runtime.examplesDir,
            source: "image",
            readOnly: true,
          },
        ]),
    ...SYSTEM_DIRS.map((dir) => ({ containerPath: dir, localPath: dir, source: "host", readOnly: true })),
  ];
  // Volume mounts first: at equal paths the mount hides the image's directory.
  return { mounts: [...mounts, ...image], volumeDirs };
}

function resolveEnv(container: IContainer, pod: IPod, options: AdaptOptions): Map<string, string> {
  const env = new Map<string, string>();
  const podName = pod.metadata?.name ?? "";
  for (const entry of container.env ?? ([] as IEnvVar[])) {
    const from = entry.valueFrom;
    if (from === undefined) {
      env.set(
        entry.name,
        expandKubeVars(entry.value ?? "", (name) => env.get(name)),
      );
      continue;
    }
    if (from.fieldRef !== undefined) {
      const field = from.fieldRef.fieldPath;
      const value =
        field === "status.podIP" || field === "status.podIPs"
          ? options.podIP
          : field === "metadata.name"
            ? podName
            : field === "metadata.namespace"
              ? options.namespace
              : undefined;
      if (value === undefined) throw new Error(`env ${entry.name}: fieldRef ${field} is not emulated`);
      env.set(entry.name, value);
    } else if (from.configMapKeyRef !== undefined) {
      const ref = from.configMapKeyRef;
      const value = options.configMaps.find((cm) => cm.metadata?.name === ref.name)?.data?.[ref.key];
      if (value === undefined) {
        if (ref.optional === true) continue;
        throw new Error(`env ${entry.name}: ConfigMap ${ref.name ?? ""} has no key ${ref.key}`);
      }
      env.set(entry.name, value);
    } else {
      throw new Error(`env ${entry.name}: ${Object.keys(from).join(",")} is not emulated`);
    }
  }
  return env;
}

/** Maps a rendered Pod to a local process; writes its volumes and hosts file under scratchDir. */
export function adaptPod(pod: IPod, options: AdaptOptions): LocalProcess {
  const podName = pod.metadata?.name;
  if (podName === undefined) throw new Error("pod has no name");
  const container = onlyContainer(pod);
  const deviations: string[] = [];

  // The kubelet: env, then $(VAR) in command and args against the container's env only.
  const containerEnv = resolveEnv(container, pod, options);
  const expand = (value: string): string => expandKubeVars(value, (name) => containerEnv.get(name));
  const command = (container.command ?? []).map(expand);
  const args = (container.args ?? []).map(expand);

  // The image: ENTRYPOINT unless `command` replaces it.
  let argv: string[];
  let branch: EntrypointBranch | undefined;
  if (command.length > 0) {
    argv = [...command, ...args];
  } else {
    const first = args[0];
    if (first === undefined)
      throw new Error(`pod ${podName}: no command and no args: the entrypoint has nothing to exec`);
    if (first === "driver" || first === "executor") {
      branch = first;
      argv = args.slice(1);
    } else {
      argv = args; // entrypoint.sh: `exec "$@"`
    }
  }

  const { mounts, volumeDirs } = buildMounts(container, pod, options);
  const table = new MountTable(mounts);
  if (branch === undefined) {
    const program = argv[0]!;
    if (!program.startsWith("/")) {
      throw new Error(
        `pod ${podName}: program ${program} is not an absolute path; PATH lookup is not emulated`,
      );
    }
  }

  // Spark writes to /tmp (java.io.tmpdir, spark.local.dir) and its working directory.
  const workingDir = container.workingDir ?? SPARK_IMAGE.workingDir;
  for (const [path, why] of [
    ["/tmp", "the JVM's and Spark's temporary files"],
    [workingDir, "the working directory"],
  ] as const) {
    if (table.entryFor(path)?.readOnly === true) {
      throw new Error(`pod ${podName}: ${path} (${why}) is read-only in this pod: no writable volume there`);
    }
  }

  const hostsFile = join(options.scratchDir, "hosts");
  writeHostsFile(hostsFile, options.podIP, podName, options.hosts);

  // The image's ENV, then the container's env over it (a container variable wins, as in a pod).
  const env: Record<string, string> = {
    PATH: SPARK_IMAGE.path,
    JAVA_HOME: SPARK_IMAGE.javaHome,
    SPARK_HOME: SPARK_IMAGE.sparkHome,
  };
  for (const [name, value] of containerEnv) env[name] = value;
  for (const name of Object.keys(env)) env[name] = table.rewrite(env[name]!);

  // Emulation (see EMULATED_ENV).
  if (env.SPARK_LOCAL_IP !== undefined) {
    throw new Error(`pod ${podName}: sets SPARK_LOCAL_IP itself; the emulation relies on it`);
  }
  env.SPARK_LOCAL_IP = options.podIP;
  deviations.push(
    `SPARK_LOCAL_IP=${options.podIP}: web UIs bind to the pod IP instead of 0.0.0.0 (a pod has its own network namespace)`,
  );
  const jvmOptions = [`-Djdk.net.hosts.file=${hostsFile}`, `-Djava.io.tmpdir=${table.resolve("/tmp")}`];
  // Spark's launcher refuses SPARK_DAEMON_JAVA_OPTS that contain "Xmx" anywhere, paths included.
  if (jvmOptions.some((option) => option.includes("Xmx"))) {
    throw new Error(`scratch path ${options.scratchDir} contains "Xmx", which Spark's launcher rejects`);
  }
  // The variable the JVM's launcher reads: spark-submit's for the driver, spark-class's daemon
  // options otherwise; the executor branch's java command takes them as arguments instead.
  const optionsVariable = branch === "driver" ? "SPARK_SUBMIT_OPTS" : "SPARK_DAEMON_JAVA_OPTS";
  if (branch !== "executor") {
    env[optionsVariable] = [...jvmOptions, ...(env[optionsVariable] ?? "").split(" ")]
      .filter((option) => option !== "")
      .join(" ");
  }
  deviations.push(
    `${branch === "executor" ? "java arguments" : optionsVariable}: -Djdk.net.hosts.file (the pod's ` +
      "/etc/hosts and cluster DNS) and -Djava.io.tmpdir (the /tmp volume)",
  );
  if (env.TMPDIR !== undefined)
    throw new Error(`pod ${podName}: sets TMPDIR itself; the emulation relies on it`);
  env.TMPDIR = table.resolve("/tmp");
  deviations.push("TMPDIR: the /tmp volume, for mktemp in a launch script");
  deviations.push(
    `image Java ${SPARK_IMAGE.javaHome} → ${options.runtime.javaHome}; image /opt/spark → pyspark package ${options.runtime.sparkHome}`,
  );
  deviations.push(
    options.runAs === undefined
      ? `runs as the test's user (uid ${process.getuid?.() ?? "?"}), not the pod's runAsUser; ` +
          "the read-only /opt/spark is checked by a before/after listing instead"
      : `runs as uid ${options.runAs.uid} gid ${options.runAs.gid}, as a platform-assigned uid; ` +
          "the host's files (bash, getent, libnss_wrapper.so, /tmp for mktemp) stand in for the image's " +
          "in a launch script",
  );

  const cwd = table.resolve(workingDir);
  if (!existsSync(cwd))
    throw new Error(`pod ${podName}: working directory ${workingDir} (${cwd}) does not exist`);

  let local: string[];
  if (branch === undefined) {
    local = localArgv(argv, table);
  } else {
    if (options.runtime.pythonBin !== undefined) {
      env.PATH = `${options.runtime.pythonBin}:${env.PATH ?? ""}`;
      deviations.push(
        `PATH starts with ${options.runtime.pythonBin}: its python3 imports this Spark's pyspark, as the image's does`,
      );
    }
    local = entrypointArgv(
      branch,
      env,
      argv.map((arg) => table.rewrite(arg)),
      {
        cwd,
        jvmOptions,
        table,
        ...(options.apiServerPort === undefined ? {} : { apiServerPort: options.apiServerPort }),
      },
    );
    deviations.push(
      "no /usr/bin/tini: the process is started directly (tini only reaps and forwards signals)",
    );
    if (branch === "driver") {
      deviations.push(
        "spark-submit gets --conf for spark.properties values that name container paths (the local path), " +
          "and for the API server: its port and the ServiceAccount files' local paths",
      );
    }
  }
  return {
    podName,
    podIP: options.podIP,
    command: local[0]!,
    args: local.slice(1),
    ...(options.runAs === undefined ? {} : { runAs: options.runAs }),
    env,
    cwd,
    mounts,
    hostsFile,
    volumeDirs,
    deviations,
  };
}

/**
 * The pod's init containers as local processes, to run one after another to completion before
 * the pod's container, as the kubelet does. Each sees the pod's volumes through its own
 * volumeMounts (the same local directories the container gets, since volumes are per pod),
 * the image's files, and the image's ENV plus its own env. Each must give a `command`: the
 * image's entrypoint is not emulated for init containers. Emulation: TMPDIR and the JVM's
 * java.io.tmpdir (SPARK_SUBMIT_OPTS, read by spark-submit) point at the pod's /tmp volume, as
 * in the pod; the host's /bin, /usr/bin (sh, wget, dirname) stand in for the image's.
 */
export function adaptInitContainers(pod: IPod, options: AdaptOptions): LocalProcess[] {
  const podName = pod.metadata?.name;
  if (podName === undefined) throw new Error("pod has no name");
  return (pod.spec?.initContainers ?? []).map((container) => {
    const where = `pod ${podName} init container ${container.name}`;
    const containerEnv = resolveEnv(container, pod, options);
    const expand = (value: string): string => expandKubeVars(value, (name) => containerEnv.get(name));
    const argv = [...(container.command ?? []), ...(container.args ?? [])].map(expand);
    if ((container.command ?? []).length === 0) {
      throw new Error(`${where}: no command; the image entrypoint is not emulated for init containers`);
    }
    if (!argv[0]!.startsWith("/")) throw new Error(`${where}: program ${argv[0]!} is not an absolute path`);
    const { mounts, volumeDirs } = buildMounts(container, pod, options);
    const table = new MountTable(mounts);
    if (table.entryFor("/tmp")?.readOnly === true) throw new Error(`${where}: /tmp is read-only`);
    const env: Record<string, string> = {
      PATH: SPARK_IMAGE.path,
      JAVA_HOME: SPARK_IMAGE.javaHome,
      SPARK_HOME: SPARK_IMAGE.sparkHome,
    };
    for (const [name, value] of containerEnv) env[name] = value;
    for (const name of Object.keys(env)) env[name] = table.rewrite(env[name]!);
    for (const name of ["TMPDIR", "SPARK_SUBMIT_OPTS"]) {
      if (env[name] !== undefined)
        throw new Error(`${where}: sets ${name} itself; the emulation relies on it`);
    }
    env.TMPDIR = table.resolve("/tmp");
    env.SPARK_SUBMIT_OPTS = `-Djava.io.tmpdir=${table.resolve("/tmp")}`;
    const workingDir = container.workingDir ?? SPARK_IMAGE.workingDir;
    const cwd = table.resolve(workingDir);
    mkdirSync(cwd, { recursive: true });
    const local = localArgv(argv, table);
    return {
      podName: `${podName}/${container.name}`,
      podIP: options.podIP,
      command: local[0]!,
      args: local.slice(1),
      ...(options.runAs === undefined ? {} : { runAs: options.runAs }),
      env,
      cwd,
      mounts,
      hostsFile: "",
      volumeDirs,
      deviations: [
        "TMPDIR and SPARK_SUBMIT_OPTS=-Djava.io.tmpdir: the /tmp volume",
        `image Java ${SPARK_IMAGE.javaHome} → ${options.runtime.javaHome}; image /opt/spark → ${options.runtime.sparkHome}; ` +
          "the host's /bin and /usr/bin for the image's",
      ],
    };
  });
}

/**
 * spark-defaults.conf values that name container paths, again with their local paths, as
 * `--conf` arguments for a spark-submit run inside the pod (see {@link driverLocalConf}).
 */
export function localConfOverrides(propertiesFile: string, table: MountTable): string[] {
  if (!existsSync(propertiesFile)) return [];
  return parseProperties(readFileSync(propertiesFile, "utf8")).entries.flatMap(({ name, value }) => {
    const local = table.rewrite(value);
    return local === value ? [] : ["--conf", `${name}=${local}`];
  });
}

export type EntrypointBranch = "driver" | "executor";

/** Where the kubelet mounts the ServiceAccount's token, CA and namespace (fabric8 reads them there). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Spark's in-cluster default for spark.kubernetes.driver.master (Config.scala). */
const IN_CLUSTER_API = "https://kubernetes.default.svc";

/**
 * The image entrypoint's `driver` and `executor` branches (apache/spark-docker entrypoint.sh),
 * from the already mapped env and args, without tini.
 *
 * - driver: `$SPARK_HOME/bin/spark-submit --conf spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS
 *   --conf spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS --deploy-mode client "$@"`,
 *   with what one host needs inserted before "$@" (each a deviation): spark.properties values
 *   that name container paths again with the local path (--conf wins: SparkSubmitArguments
 *   reads the properties file only for keys not set otherwise);
 *   spark.kubernetes.driver.master with the bed's port; and the ServiceAccount token and CA
 *   by their local paths (spark.kubernetes.authenticate.driver.mounted.*), because
 *   KubernetesClusterManager looks for them only at fabric8's fixed in-pod paths.
 * - executor: `${JAVA_HOME}/bin/java "${SPARK_EXECUTOR_JAVA_OPTS[@]}" -Xms… -Xmx… -cp
 *   "$SPARK_CLASSPATH:$SPARK_DIST_CLASSPATH" KubernetesExecutorBackend …` where the options are
 *   the values of SPARK_JAVA_OPT_* in bash's (sorted) name order and the class path is built
 *   as the script builds it; the emulation's JVM options go first.
 */
export function entrypointArgv(
  branch: EntrypointBranch,
  env: Readonly<Record<string, string>>,
  args: readonly string[],
  context: { cwd: string; jvmOptions: readonly string[]; table: MountTable; apiServerPort?: number },
): string[] {
  const sparkHome = env.SPARK_HOME ?? "";
  if (branch === "driver") {
    const bind = env.SPARK_DRIVER_BIND_ADDRESS ?? "";
    return [
      `${sparkHome}/bin/spark-submit`,
      "--conf",
      `spark.driver.bindAddress=${bind}`,
      "--conf",
      `spark.executorEnv.SPARK_DRIVER_POD_IP=${bind}`,
      "--deploy-mode",
      "client",
      // Before "$@": spark-submit's options end at the primary resource.
      ...driverLocalConf(args, context),
      ...args,
    ];
  }
  const javaOptions = Object.keys(env)
    .filter((name) => name.startsWith("SPARK_JAVA_OPT_"))
    .sort()
    .map((name) => env[name]!);
  let classPath = `${env.SPARK_CLASSPATH ?? ""}:${sparkHome}/jars/*`;
  if ((env.SPARK_EXTRA_CLASSPATH ?? "") !== "") classPath = `${classPath}:${env.SPARK_EXTRA_CLASSPATH}`;
  if (env.HADOOP_CONF_DIR !== undefined) classPath = `${env.HADOOP_CONF_DIR}:${classPath}`;
  if (env.SPARK_CONF_DIR !== undefined) classPath = `${env.SPARK_CONF_DIR}:${classPath}`;
  else classPath = `${sparkHome}/conf:${classPath}`;
  classPath = `${classPath}:${context.cwd}`; // SPARK-43540: the working directory
  const memory = env.SPARK_EXECUTOR_MEMORY ?? "";
  return [
    `${env.JAVA_HOME ?? ""}/bin/java`,
    ...context.jvmOptions,
    ...javaOptions,
    `-Xms${memory}`,
    `-Xmx${memory}`,
    "-cp",
    `${classPath}:${env.SPARK_DIST_CLASSPATH ?? ""}`,
    "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend",
    "--driver-url",
    env.SPARK_DRIVER_URL ?? "",
    "--executor-id",
    env.SPARK_EXECUTOR_ID ?? "",
    "--cores",
    env.SPARK_EXECUTOR_CORES ?? "",
    "--app-id",
    env.SPARK_APPLICATION_ID ?? "",
    "--hostname",
    env.SPARK_EXECUTOR_POD_IP ?? "",
    "--resourceProfileId",
    env.SPARK_RESOURCE_PROFILE_ID ?? "",
    "--podName",
    env.SPARK_EXECUTOR_POD_NAME ?? "",
  ];
}

/** The driver's `--conf` additions (see {@link entrypointArgv}); args are already mapped. */
function driverLocalConf(
  args: readonly string[],
  context: { table: MountTable; apiServerPort?: number },
): string[] {
  const fileIndex = args.indexOf("--properties-file");
  const file = fileIndex === -1 ? undefined : args[fileIndex + 1];
  const properties =
    file === undefined || !existsSync(file) ? [] : parseProperties(readFileSync(file, "utf8")).entries;
  const conf: string[] = [];
  for (const { name, value } of properties) {
    const local = context.table.rewrite(value);
    if (local !== value) conf.push("--conf", `${name}=${local}`);
  }
  const master = properties.find((p) => p.name === "spark.kubernetes.driver.master")?.value ?? IN_CLUSTER_API;
  if (context.apiServerPort !== undefined) {
    if (master !== IN_CLUSTER_API)
      throw new Error(`spark.kubernetes.driver.master ${master} is not emulated`);
    conf.push("--conf", `spark.kubernetes.driver.master=${IN_CLUSTER_API}:${context.apiServerPort}`);
  }
  const account = context.table.entryFor(SERVICE_ACCOUNT_DIR);
  if (account !== undefined && account.containerPath === SERVICE_ACCOUNT_DIR) {
    const prefix = "spark.kubernetes.authenticate.driver.mounted";
    conf.push("--conf", `${prefix}.oauthTokenFile=${context.table.resolve(`${SERVICE_ACCOUNT_DIR}/token`)}`);
    conf.push("--conf", `${prefix}.caCertFile=${context.table.resolve(`${SERVICE_ACCOUNT_DIR}/ca.crt`)}`);
  }
  return conf;
}

/**
 * The argv with container paths mapped to local ones. A launch step `/bin/bash -c SCRIPT NAME
 * ARGS…` (a few lines of shell that end in `exec "$@"`, or `/bin/sh -c` the same way) keeps SCRIPT and NAME as they are:
 * a script's paths are not arguments, and its commands (getent, id, mktemp, a library under
 * /usr/lib) are the host's, standing in for the image's Ubuntu userland like /bin does. What
 * it execs, ARGS, is mapped like any other argument.
 */
function localArgv(argv: readonly string[], table: MountTable): string[] {
  const [program, flag, script, name, ...rest] = argv;
  const shell = program === "/bin/bash" || program === "/bin/sh";
  if (shell && flag === "-c" && script !== undefined && name !== undefined) {
    return [table.resolve(program), flag, script, name, ...rest.map((arg) => table.rewrite(arg))];
  }
  return argv.map((arg) => table.rewrite(arg));
}

export type ProbeKind = "startupProbe" | "readinessProbe" | "livenessProbe";

/** `host:port` as a URL authority: an IPv6 address goes in brackets, as the kubelet writes it. */
export function hostPort(ip: string, port: number): string {
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The URL the kubelet's httpGet probe of this kind would request, at the pod's IP. */
export function httpProbeUrl(pod: IPod, podIP: string, kind: ProbeKind): string {
  const container = onlyContainer(pod);
  const httpGet = container[kind]?.httpGet;
  if (httpGet === undefined) throw new Error(`pod ${pod.metadata?.name ?? "?"}: no httpGet ${kind}`);
  const port =
    typeof httpGet.port === "number"
      ? httpGet.port
      : container.ports?.find((p) => p.name === httpGet.port)?.containerPort;
  if (port === undefined) throw new Error(`${kind}: port ${String(httpGet.port)} is not a container port`);
  if (httpGet.host !== undefined) throw new Error(`${kind}: host is not emulated`);
  const scheme = (httpGet.scheme ?? "HTTP").toLowerCase();
  return `${scheme}://${hostPort(podIP, port)}${httpGet.path ?? "/"}`;
}

export interface ExecProbeProcess {
  readonly command: string;
  readonly args: string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
}

/**
 * What the kubelet runs for an exec probe of this kind, as a local process beside the pod's.
 *
 * - Command: `$(VAR)` expanded against the container's literal `value` env entries only, as
 *   the kubelet's ExpandContainerCommandOnlyStatic does (a fieldRef such as POD_IP is not
 *   among them; a shell script reads it as `$POD_IP` from the environment instead).
 * - Program: an absolute path, mapped through the pod's mount table like the pod's own.
 *   The arguments are passed as they are: what a script does with its own paths is the
 *   script's business (the probes here only use bash's built-in /dev/tcp).
 * - Environment and working directory: the pod process's, because the container runtime
 *   execs into the running container, whose environment includes the emulation's additions.
 * - Timeout: timeoutSeconds (default 1), after which the kubelet counts a failure.
 */
export function execProbeProcess(pod: IPod, local: LocalProcess, kind: ProbeKind): ExecProbeProcess {
  const container = onlyContainer(pod);
  const probe = container[kind];
  const exec = probe?.exec;
  if (exec === undefined) throw new Error(`pod ${pod.metadata?.name ?? "?"}: no exec ${kind}`);
  const literals = new Map(
    (container.env ?? []).flatMap((entry) =>
      entry.valueFrom === undefined ? [[entry.name, entry.value ?? ""] as const] : [],
    ),
  );
  const argv = (exec.command ?? []).map((part) => expandKubeVars(part, (name) => literals.get(name)));
  const program = argv[0];
  if (program === undefined || !program.startsWith("/")) {
    throw new Error(
      `${kind}: program ${String(program)} is not an absolute path; PATH lookup is not emulated`,
    );
  }
  return {
    command: new MountTable(local.mounts).resolve(program),
    args: argv.slice(1),
    env: local.env,
    cwd: local.cwd,
    timeoutMs: (probe?.timeoutSeconds ?? 1) * 1000,
  };
}
