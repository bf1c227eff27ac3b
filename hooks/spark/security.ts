/**
 * Security defaults of every Spark pod: Pod Security Standards "restricted" as the apache/spark
 * image runs under it, with the user's overrides merged field by field on top.
 */
import type { IPodSecurityContext, ISecurityContext, IVolume, IVolumeMount } from "kubernetes-models/v1";
import type { PodSecurityContextSpec, SecurityContextSpec } from "./schemas.js";

/** uid/gid of the `spark` user in the apache/spark image. */
export const SPARK_UID = 185;
/** The image's working directory; its entrypoint writes there before exec-ing our command. */
export const WORK_DIR = "/opt/spark/work-dir";

export interface IdentityOptions {
  /**
   * Run as the image's spark user by number (uid, gid and fsGroup 185). Off, the pod names no
   * ids and leaves them to the platform: OpenShift's restricted-v2 SCC assigns a uid from the
   * namespace's range and rejects pods that ask for another one.
   */
  readonly fixedUserIds: boolean;
}

const SPARK_IDS = { runAsUser: SPARK_UID, runAsGroup: SPARK_UID, fsGroup: SPARK_UID } as const;

/**
 * runAsNonRoot stays on either way: with fixed ids the kubelet checks uid 185; without them
 * it checks the uid the platform assigns, or, if none is assigned, refuses an image whose USER
 * is a name rather than a number (it cannot tell that a name is not root).
 */
export function podSecurityContext(
  overrides: PodSecurityContextSpec | undefined,
  identity: IdentityOptions,
): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    ...(identity.fixedUserIds ? SPARK_IDS : {}),
    seccompProfile: { type: "RuntimeDefault" },
    ...overrides,
  };
}

export function containerSecurityContext(overrides: SecurityContextSpec | undefined): ISecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    ...overrides,
  };
}

/** Writable paths Spark needs with a read-only root filesystem. */
export const WRITABLE_VOLUMES: readonly IVolume[] = [
  { name: "tmp", emptyDir: {} },
  { name: "work-dir", emptyDir: {} },
];

export function writableMounts(): IVolumeMount[] {
  return [
    { name: "tmp", mountPath: "/tmp" },
    { name: "work-dir", mountPath: WORK_DIR },
  ];
}
