import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  containerSecurityContext,
  podSecurityContext,
  SPARK_UID,
  WRITABLE_VOLUMES,
  writableMounts,
} from "./security.js";

const FIXED = { fixedUserIds: true };
const ASSIGNED = { fixedUserIds: false };

describe("security defaults", () => {
  it("run the pod as the image's spark user with seccomp RuntimeDefault", () => {
    expect(podSecurityContext(undefined, FIXED)).toEqual({
      runAsNonRoot: true,
      runAsUser: SPARK_UID,
      runAsGroup: SPARK_UID,
      fsGroup: SPARK_UID,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("set no uid, gid or fsGroup without fixed ids, so OpenShift's SCC can assign them", () => {
    expect(podSecurityContext(undefined, ASSIGNED)).toEqual({
      runAsNonRoot: true,
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
    expect(podSecurityContext({ runAsUser: 1000, fsGroup: 2000 }, FIXED)).toMatchObject({
      runAsUser: 1000,
      runAsGroup: SPARK_UID,
      fsGroup: 2000,
      runAsNonRoot: true,
    });
    expect(podSecurityContext({ runAsUser: 1000 }, ASSIGNED)).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(containerSecurityContext({ readOnlyRootFilesystem: false })).toMatchObject({
      readOnlyRootFilesystem: false,
      allowPrivilegeEscalation: false,
    });
  });

  it("never set an id the user did not give when ids are not fixed", () => {
    const ids = ["runAsUser", "runAsGroup", "fsGroup"] as const;
    fc.assert(
      fc.property(
        fc.record(
          {
            runAsNonRoot: fc.boolean(),
            supplementalGroups: fc.array(fc.nat()),
            fsGroupChangePolicy: fc.constantFrom("OnRootMismatch" as const, "Always" as const),
          },
          { requiredKeys: [] },
        ),
        (overrides) => {
          const context = podSecurityContext(overrides, ASSIGNED);
          for (const id of ids) expect(context[id], id).toBeUndefined();
        },
      ),
    );
  });

  it("mount a writable emptyDir for every writable path", () => {
    const volumes = new Set(WRITABLE_VOLUMES.map((v) => v.name));
    for (const mount of writableMounts()) expect(volumes.has(mount.name), mount.name).toBe(true);
    expect(writableMounts().map((m) => m.mountPath)).toEqual(["/tmp", "/opt/spark/work-dir"]);
  });
});
