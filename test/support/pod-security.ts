/**
 * A test-side checker for the Pod Security Standards "restricted" profile (which includes
 * "baseline"), following the checks of k8s.io/pod-security-admission for the latest policy
 * version. Use it to assert that generated pods would be admitted into a namespace labelled
 * `pod-security.kubernetes.io/enforce: restricted`.
 *
 * Where admission has a version- or feature-dependent exception (pods with user namespaces,
 * sysctls or volume types allowed only by newer Kubernetes releases), this checker takes the
 * stricter reading: a pod it accepts is admitted by every Kubernetes release still supported.
 */
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";

/** The parts of the pod's metadata the profile looks at (the AppArmor annotations). */
export interface PodMetadataForSecurity {
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Volume sources the restricted profile allows (`restrictedVolumes` check). */
const ALLOWED_VOLUME_SOURCES: ReadonlySet<string> = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/** "Safe" sysctls (baseline `sysctls` check; the later additions are for 1.27+ and 1.29+). */
const ALLOWED_SYSCTLS: ReadonlySet<string> = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);

const ALLOWED_SELINUX_TYPES: ReadonlySet<string> = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
]);

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

interface NamedContainer {
  /** e.g. `containers "spark"` or `initContainers "setup"`, used in messages. */
  readonly where: string;
  readonly container: Pick<
    IContainer,
    "name" | "securityContext" | "ports" | "livenessProbe" | "readinessProbe" | "startupProbe" | "lifecycle"
  >;
}

function allContainers(spec: IPodSpec): NamedContainer[] {
  const out: NamedContainer[] = [];
  for (const c of spec.initContainers ?? []) out.push({ where: `initContainers "${c.name}"`, container: c });
  for (const c of spec.containers) out.push({ where: `containers "${c.name}"`, container: c });
  for (const c of spec.ephemeralContainers ?? []) {
    out.push({ where: `ephemeralContainers "${c.name}"`, container: c });
  }
  return out;
}

/** Host fields in probes and lifecycle handlers (baseline since 1.34). */
function hostFields(c: NamedContainer["container"]): string[] {
  const found: string[] = [];
  for (const [name, probe] of [
    ["livenessProbe", c.livenessProbe],
    ["readinessProbe", c.readinessProbe],
    ["startupProbe", c.startupProbe],
  ] as const) {
    if (probe?.httpGet?.host) found.push(`${name}.httpGet.host`);
    if (probe?.tcpSocket?.host) found.push(`${name}.tcpSocket.host`);
  }
  for (const [name, handler] of [
    ["lifecycle.postStart", c.lifecycle?.postStart],
    ["lifecycle.preStop", c.lifecycle?.preStop],
  ] as const) {
    if (handler?.httpGet?.host) found.push(`${name}.httpGet.host`);
    if (handler?.tcpSocket?.host) found.push(`${name}.tcpSocket.host`);
  }
  return found;
}

/**
 * Every way `podSpec` (plus, optionally, the pod's annotations) breaks the restricted profile,
 * as readable messages naming the field; `[]` means the pod would be admitted.
 */
export function restrictedViolations(podSpec: IPodSpec, metadata: PodMetadataForSecurity = {}): string[] {
  const v: string[] = [];
  const pod = podSpec.securityContext;
  // Linux-only checks (allowPrivilegeEscalation, seccomp, capabilities) do not apply to pods
  // that declare spec.os.name: windows.
  const linux = podSpec.os?.name !== "windows";
  const containers = allContainers(podSpec);

  // --- baseline ---
  if (podSpec.hostNetwork === true) v.push("spec.hostNetwork must not be true");
  if (podSpec.hostPID === true) v.push("spec.hostPID must not be true");
  if (podSpec.hostIPC === true) v.push("spec.hostIPC must not be true");
  if (pod?.windowsOptions?.hostProcess === true) {
    v.push("spec.securityContext.windowsOptions.hostProcess must not be true");
  }
  for (const sysctl of pod?.sysctls ?? []) {
    if (!ALLOWED_SYSCTLS.has(sysctl.name))
      v.push(`spec.securityContext.sysctls: "${sysctl.name}" is not allowed`);
  }
  v.push(...seLinuxViolations("spec.securityContext", pod));
  if (
    pod?.appArmorProfile !== undefined &&
    !["RuntimeDefault", "Localhost"].includes(pod.appArmorProfile.type)
  ) {
    v.push(`spec.securityContext.appArmorProfile.type must be RuntimeDefault or Localhost`);
  }
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    if (
      key.startsWith(APPARMOR_ANNOTATION_PREFIX) &&
      value !== "" &&
      value !== "runtime/default" &&
      !value.startsWith("localhost/")
    ) {
      v.push(`annotation ${key} must be runtime/default or localhost/*`);
    }
  }

  for (const { where, container } of containers) {
    const sc = container.securityContext;
    if (sc?.privileged === true) v.push(`${where}: securityContext.privileged must not be true`);
    if (sc?.windowsOptions?.hostProcess === true) {
      v.push(`${where}: securityContext.windowsOptions.hostProcess must not be true`);
    }
    if (sc?.procMount !== undefined && sc.procMount !== "Default") {
      v.push(`${where}: securityContext.procMount must be Default`);
    }
    v.push(...seLinuxViolations(`${where}: securityContext`, sc));
    if (
      sc?.appArmorProfile !== undefined &&
      !["RuntimeDefault", "Localhost"].includes(sc.appArmorProfile.type)
    ) {
      v.push(`${where}: securityContext.appArmorProfile.type must be RuntimeDefault or Localhost`);
    }
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined && port.hostPort !== 0) {
        v.push(`${where}: ports "${port.name ?? port.containerPort}" must not set hostPort`);
      }
    }
    for (const field of hostFields(container)) v.push(`${where}: ${field} must not be set`);
  }

  // --- restricted ---
  for (const volume of podSpec.volumes ?? []) {
    const sources = Object.keys(volume).filter((k) => k !== "name");
    const bad = sources.filter((k) => !ALLOWED_VOLUME_SOURCES.has(k));
    if (bad.length > 0 || sources.length === 0) {
      v.push(`spec.volumes "${volume.name}": type ${bad.join(", ") || "(none)"} is not allowed`);
    }
  }

  // runAsNonRoot: the pod sets true (and no container overrides it with false), or every
  // container sets true.
  const podNonRoot = pod?.runAsNonRoot;
  if (podNonRoot === false) v.push("spec.securityContext.runAsNonRoot must not be false");
  if (pod?.runAsUser === 0) v.push("spec.securityContext.runAsUser must not be 0");
  for (const { where, container } of containers) {
    const sc = container.securityContext;
    if (sc?.runAsNonRoot === false) {
      v.push(`${where}: securityContext.runAsNonRoot must not be false`);
    } else if (sc?.runAsNonRoot === undefined && podNonRoot !== true) {
      v.push(`${where}: runAsNonRoot must be true (in the pod or the container securityContext)`);
    }
    if (sc?.runAsUser === 0) v.push(`${where}: securityContext.runAsUser must not be 0`);
  }

  if (linux) {
    const podSeccomp = pod?.seccompProfile?.type;
    if (podSeccomp !== undefined && podSeccomp !== "RuntimeDefault" && podSeccomp !== "Localhost") {
      v.push("spec.securityContext.seccompProfile.type must be RuntimeDefault or Localhost");
    }
    for (const { where, container } of containers) {
      const sc: ISecurityContext | undefined = container.securityContext;
      if (sc?.allowPrivilegeEscalation !== false) {
        v.push(`${where}: securityContext.allowPrivilegeEscalation must be false`);
      }
      const seccomp = sc?.seccompProfile?.type;
      if (seccomp === undefined) {
        if (podSeccomp === undefined) {
          v.push(
            `${where}: seccompProfile.type must be RuntimeDefault or Localhost (in the pod or the container)`,
          );
        }
      } else if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
        v.push(`${where}: securityContext.seccompProfile.type must be RuntimeDefault or Localhost`);
      }
      if (!(sc?.capabilities?.drop ?? []).includes("ALL")) {
        v.push(`${where}: securityContext.capabilities.drop must include ALL`);
      }
      for (const cap of sc?.capabilities?.add ?? []) {
        if (cap !== "NET_BIND_SERVICE") {
          v.push(`${where}: securityContext.capabilities.add may only contain NET_BIND_SERVICE, not ${cap}`);
        }
      }
    }
  }
  return v;
}

function seLinuxViolations(
  where: string,
  sc: Pick<ISecurityContext, "seLinuxOptions"> | undefined,
): string[] {
  const opts = sc?.seLinuxOptions;
  if (opts === undefined) return [];
  const v: string[] = [];
  if (!ALLOWED_SELINUX_TYPES.has(opts.type ?? ""))
    v.push(`${where}.seLinuxOptions.type "${opts.type}" is not allowed`);
  if (opts.user) v.push(`${where}.seLinuxOptions.user must not be set`);
  if (opts.role) v.push(`${where}.seLinuxOptions.role must not be set`);
  return v;
}
