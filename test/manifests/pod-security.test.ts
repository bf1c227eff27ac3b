/**
 * The restricted-profile checker in test/support/pod-security.ts, which the manifest and the
 * Spark pod tests rely on: a compliant pod passes, and each rule catches its violation.
 */
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { describe, expect, it } from "vitest";
import { restrictedViolations } from "../support/pod-security.js";

/** A minimal pod that satisfies the restricted profile. */
function compliant(): IPodSpec {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "main",
        image: "example",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      },
    ],
    volumes: [{ name: "scratch", emptyDir: {} }],
  };
}

function withContainer(patch: Partial<IPodSpec["containers"][number]>): IPodSpec {
  const spec = compliant();
  spec.containers[0] = { ...spec.containers[0]!, ...patch };
  return spec;
}

const mainSc = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

describe("restrictedViolations", () => {
  it("accepts a pod that follows every rule", () => {
    expect(restrictedViolations(compliant())).toEqual([]);
  });

  it("accepts container-level runAsNonRoot and seccomp instead of pod-level ones", () => {
    const spec = withContainer({
      securityContext: {
        ...mainSc,
        runAsNonRoot: true,
        seccompProfile: { type: "Localhost", localhostProfile: "p.json" },
      },
    });
    spec.securityContext = {};
    expect(restrictedViolations(spec)).toEqual([]);
  });

  it("accepts NET_BIND_SERVICE as the one added capability", () => {
    const spec = withContainer({
      securityContext: { ...mainSc, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } },
    });
    expect(restrictedViolations(spec)).toEqual([]);
  });

  const cases: [string, (spec: IPodSpec) => void, RegExp][] = [
    ["hostNetwork", (s) => (s.hostNetwork = true), /hostNetwork/],
    ["hostPID", (s) => (s.hostPID = true), /hostPID/],
    ["hostIPC", (s) => (s.hostIPC = true), /hostIPC/],
    ["hostPath volume", (s) => s.volumes!.push({ name: "h", hostPath: { path: "/" } }), /"h": type hostPath/],
    [
      "image volume (not allowed by every release)",
      (s) => s.volumes!.push({ name: "i", image: { reference: "x" } }),
      /"i"/,
    ],
    [
      "pod runAsNonRoot missing",
      (s) => (s.securityContext = { seccompProfile: { type: "RuntimeDefault" } }),
      /runAsNonRoot must be true/,
    ],
    ["pod runAsUser 0", (s) => (s.securityContext!.runAsUser = 0), /runAsUser must not be 0/],
    [
      "container runAsNonRoot false",
      (s) => (s.containers[0]!.securityContext!.runAsNonRoot = false),
      /runAsNonRoot must not be false/,
    ],
    ["privileged", (s) => (s.containers[0]!.securityContext!.privileged = true), /privileged/],
    [
      "allowPrivilegeEscalation unset",
      (s) => delete s.containers[0]!.securityContext!.allowPrivilegeEscalation,
      /allowPrivilegeEscalation/,
    ],
    [
      "capabilities not dropped",
      (s) => (s.containers[0]!.securityContext!.capabilities = {}),
      /drop must include ALL/,
    ],
    [
      "SYS_ADMIN added",
      (s) => (s.containers[0]!.securityContext!.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] }),
      /SYS_ADMIN/,
    ],
    ["seccomp missing", (s) => (s.securityContext = { runAsNonRoot: true }), /seccompProfile/],
    [
      "seccomp Unconfined",
      (s) => (s.containers[0]!.securityContext!.seccompProfile = { type: "Unconfined" }),
      /seccompProfile/,
    ],
    ["hostPort", (s) => (s.containers[0]!.ports = [{ containerPort: 80, hostPort: 80 }]), /hostPort/],
    [
      "unsafe sysctl",
      (s) => (s.securityContext!.sysctls = [{ name: "kernel.msgmax", value: "1" }]),
      /kernel\.msgmax/,
    ],
    [
      "SELinux user",
      (s) => (s.securityContext!.seLinuxOptions = { user: "system_u" }),
      /seLinuxOptions\.user/,
    ],
    ["procMount Unmasked", (s) => (s.containers[0]!.securityContext!.procMount = "Unmasked"), /procMount/],
    [
      "probe host",
      (s) => (s.containers[0]!.livenessProbe = { httpGet: { port: 80, host: "10.0.0.1" } }),
      /livenessProbe\.httpGet\.host/,
    ],
    [
      "init container without securityContext",
      (s) => (s.initContainers = [{ name: "init", image: "example" }]),
      /initContainers "init": securityContext\.allowPrivilegeEscalation/,
    ],
  ];

  it.each(cases)("reports %s", (_, mutate, message) => {
    const spec = compliant();
    mutate(spec);
    const violations = restrictedViolations(spec);
    expect(
      violations.some((v) => message.test(v)),
      violations.join("\n"),
    ).toBe(true);
  });

  it("reports a non-default AppArmor annotation", () => {
    const violations = restrictedViolations(compliant(), {
      annotations: { "container.apparmor.security.beta.kubernetes.io/main": "unconfined" },
    });
    expect(violations).toHaveLength(1);
  });

  it("skips the Linux-only rules for Windows pods", () => {
    const spec = withContainer({ securityContext: {} });
    spec.os = { name: "windows" };
    spec.securityContext = { runAsNonRoot: true };
    expect(restrictedViolations(spec)).toEqual([]);
  });
});
