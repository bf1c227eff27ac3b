import { describe, expect, it } from "vitest";
import type { KubeObject } from "../metacontroller/protocol.js";
import { confFiles, findUserConfigMap, SPARK_DEFAULTS_FILE } from "./conf.js";

describe("findUserConfigMap", () => {
  const related: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "mine" },
      data: { "log4j2.properties": "x", ignored: 1 },
      binaryData: { "k.bin": "AAE=" },
    },
  ];

  it("finds the ConfigMap by name and keeps only string entries", () => {
    expect(findUserConfigMap(related, "mine")).toEqual({
      name: "mine",
      data: { "log4j2.properties": "x" },
      binaryData: { "k.bin": "AAE=" },
    });
  });

  it("is undefined when Metacontroller found none", () => {
    expect(findUserConfigMap(related, "other")).toBeUndefined();
  });
});

describe("confFiles", () => {
  const user = {
    name: "mine",
    data: { [SPARK_DEFAULTS_FILE]: "theirs", "b.conf": "b", "a.conf": "a" },
    binaryData: {},
  };

  it("replaces the user's spark-defaults.conf with ours and sorts the files", () => {
    const files = confFiles("ours", user);
    expect(Object.keys(files.data)).toEqual(["a.conf", "b.conf", SPARK_DEFAULTS_FILE]);
    expect(files.data[SPARK_DEFAULTS_FILE]).toBe("ours");
  });

  it("hashes the content, so any file change rolls the pods and key order does not", () => {
    const base = confFiles("ours", user).hash;
    expect(
      confFiles("ours", { ...user, data: { "a.conf": "a", "b.conf": "b", [SPARK_DEFAULTS_FILE]: "x" } }).hash,
    ).toBe(base);
    expect(confFiles("ours2", user).hash).not.toBe(base);
    expect(confFiles("ours", { ...user, binaryData: { "k.bin": "AAE=" } }).hash).not.toBe(base);
  });
});
