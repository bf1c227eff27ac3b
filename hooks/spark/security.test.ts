import { describe, expect, it } from "vitest";
import {
  containerSecurityContext,
  podSecurityContext,
  SPARK_UID,
  WRITABLE_VOLUMES,
  writableMounts,
} from "./security.js";

describe("security defaults", () => {
  it("run the pod as the image's spark user with seccomp RuntimeDefault", () => {
    expect(podSecurityContext(undefined)).toEqual({
      runAsNonRoot: true,
      runAsUser: SPARK_UID,
      runAsGroup: SPARK_UID,
      fsGroup: SPARK_UID,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("lock the container down as Pod Security 'restricted' requires", () => {
    expect(containerSecurityContext(undefined)).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("take the user's fields over ours one by one and keep the rest", () => {
    expect(podSecurityContext({ runAsUser: 1000, fsGroup: 2000 })).toMatchObject({
      runAsUser: 1000,
      runAsGroup: SPARK_UID,
      fsGroup: 2000,
      runAsNonRoot: true,
    });
    expect(containerSecurityContext({ readOnlyRootFilesystem: false })).toMatchObject({
      readOnlyRootFilesystem: false,
      allowPrivilegeEscalation: false,
    });
  });

  it("mount a writable emptyDir for every writable path", () => {
    const volumes = new Set(WRITABLE_VOLUMES.map((v) => v.name));
    for (const mount of writableMounts()) expect(volumes.has(mount.name), mount.name).toBe(true);
    expect(writableMounts().map((m) => m.mountPath)).toEqual(["/tmp", "/opt/spark/work-dir"]);
  });
});
