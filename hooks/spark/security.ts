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

export function podSecurityContext(overrides: PodSecurityContextSpec | undefined): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: SPARK_UID,
    runAsGroup: SPARK_UID,
    fsGroup: SPARK_UID,
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
