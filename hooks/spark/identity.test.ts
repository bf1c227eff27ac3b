import { describe, expect, it } from "vitest";
import { PASSWD_ENTRY_SCRIPT, launchedWithPasswdEntry, mayRunWithoutPasswdEntry } from "./identity.js";
import { containerSecurityContext, podSecurityContext, SPARK_UID } from "./security.js";

describe("mayRunWithoutPasswdEntry", () => {
  it.each([
    ["fixed ids", { fixedUserIds: true }, undefined, undefined, false],
    ["ids left to the platform (OpenShift)", { fixedUserIds: false }, undefined, undefined, true],
    ["another pod uid", { fixedUserIds: true }, { runAsUser: 1001 }, undefined, true],
    ["another container uid", { fixedUserIds: true }, undefined, { runAsUser: 1001 }, true],
    ["uid 185 given by the user", { fixedUserIds: false }, { runAsUser: SPARK_UID }, undefined, false],
  ])("with %s: %s", (_case, identity, pod, container, expected) => {
    expect(
      mayRunWithoutPasswdEntry(podSecurityContext(pod, identity), containerSecurityContext(container)),
    ).toBe(expected);
  });
});

describe("launchedWithPasswdEntry", () => {
  const args = ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.master.Master", "--port", "7077"];

  it("puts bash in front, which execs the same arguments", () => {
    expect(launchedWithPasswdEntry(args)).toEqual(["/bin/bash", "-c", PASSWD_ENTRY_SCRIPT, "spark", ...args]);
    expect(PASSWD_ENTRY_SCRIPT.trimEnd().endsWith('exec "$@"')).toBe(true);
  });

  it("fakes an entry only for a uid without one, through the image's nss_wrapper", () => {
    expect(PASSWD_ENTRY_SCRIPT).toContain('if ! getent passwd "$(id -u)"');
    expect(PASSWD_ENTRY_SCRIPT).toContain("libnss_wrapper.so");
    expect(PASSWD_ENTRY_SCRIPT).toContain("LD_PRELOAD");
    // Only /tmp (an emptyDir) is writable: the files go there through mktemp.
    expect(PASSWD_ENTRY_SCRIPT).toContain('NSS_WRAPPER_PASSWD="$(mktemp)"');
  });
});
