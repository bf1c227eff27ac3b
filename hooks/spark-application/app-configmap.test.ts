/**
 * The run's ConfigMap holds exactly the files the driver pod mounts, is immutable and labelled
 * for the run, renders the same bytes every time, and is refused before the API server would.
 */
import { NO_POD_ADDITIONS } from "./pod-parts.js";
import fc from "fast-check";
import { ConfigMap } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { SCALA_PI } from "../../test/support/spark-applications.js";
import { applicationConfigMap, MAX_CONFIGMAP_BYTES, type ApplicationConfigMap } from "./app-configmap.js";
import { CONF_VOLUME, driverPod, TEMPLATE_VOLUME } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import { driverConfigMapName, sparkAppId, type ApplicationRun } from "./names.js";

const RUN: ApplicationRun = { name: "spark-pi", namespace: "spark-jobs", uid: "0a1b2c3d", attempt: 3 };
const FILES = {
  "spark.properties": "spark.app.name=spark-pi\n",
  "pod-spec-template.yml": "apiVersion: v1\nkind: Pod\n",
};

function accepted(result: ReturnType<typeof applicationConfigMap>): ApplicationConfigMap {
  if (!result.ok) throw new Error(result.problem);
  return result.configMap;
}

describe("the application ConfigMap", () => {
  const configMap = accepted(
    applicationConfigMap(RUN, { ...FILES, "log4j2.properties": "rootLogger.level = warn\n" }),
  );

  it("is the attempt's driverConfigMapName, immutable, labelled for the run's driver", () => {
    expect(configMap.metadata.name).toBe(driverConfigMapName(RUN));
    expect(configMap.metadata.name).toBe("spark-pi-conf-3");
    expect(configMap.immutable).toBe(true);
    expect(configMap.metadata.labels).toMatchObject({
      "app.kubernetes.io/instance": "spark-pi",
      "app.kubernetes.io/component": "driver",
      "app.kubernetes.io/managed-by": "sparkhooks",
      "spark-app-selector": sparkAppId(RUN),
    });
  });

  it("holds every file, sorted by name so the bytes do not depend on the caller's order", () => {
    expect(Object.keys(configMap.data)).toEqual([
      "log4j2.properties",
      "pod-spec-template.yml",
      "spark.properties",
    ]);
    const reversed = accepted(
      applicationConfigMap(RUN, {
        "log4j2.properties": "rootLogger.level = warn\n",
        ...FILES,
      }),
    );
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(configMap));
    expect(configMap.binaryData).toBeUndefined();
  });

  it("holds every key the driver pod mounts from it", () => {
    const size = driverSize(SCALA_PI);
    if (!size.ok) throw new Error(size.errors.join("; "));
    const pod = driverPod(RUN, SCALA_PI, size.size, NO_POD_ADDITIONS);
    const mounted = (pod.spec?.volumes ?? [])
      .filter((volume) => volume.name === CONF_VOLUME || volume.name === TEMPLATE_VOLUME)
      .flatMap((volume) => {
        expect(volume.configMap?.name).toBe(configMap.metadata.name);
        return (volume.configMap?.items ?? []).map((item) => item.key);
      });
    expect(mounted.length).toBeGreaterThan(0);
    for (const key of mounted) expect(Object.keys(configMap.data)).toContain(key);
  });

  it("keeps binary files apart, and the text file where a name is in both", () => {
    const withBinary = accepted(
      applicationConfigMap(RUN, FILES, { "truststore.jks": "AAEC", "spark.properties": "AAAA" }),
    );
    expect(withBinary.binaryData).toEqual({ "truststore.jks": "AAEC" });
    expect(withBinary.data["spark.properties"]).toBe(FILES["spark.properties"]);
    expect(() => new ConfigMap(withBinary).validate()).not.toThrow();
  });

  it("is a valid ConfigMap", () => {
    expect(() => new ConfigMap(configMap).validate()).not.toThrow();
  });
});

describe("the 1 MiB limit", () => {
  /** A file of `bytes` bytes of UTF-8, padding the two required files to an exact total. */
  const padded = (total: number, char = "x") => {
    const fixed = Object.entries(FILES).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    const name = "big.conf";
    const room = total - fixed - name.length;
    return { ...FILES, [name]: char.repeat(room / Buffer.byteLength(char)) };
  };

  it.each([
    [MAX_CONFIGMAP_BYTES, true],
    [MAX_CONFIGMAP_BYTES + 1, false],
  ])("a total of %i bytes is accepted: %s", (total, ok) => {
    expect(applicationConfigMap(RUN, padded(total)).ok).toBe(ok);
  });

  it("counts bytes, not characters", () => {
    // 'é' is two bytes in UTF-8: half a MiB of them plus the other files is over the limit.
    const files = { ...FILES, "notes.txt": "é".repeat(MAX_CONFIGMAP_BYTES / 2) };
    expect(applicationConfigMap(RUN, files).ok).toBe(false);
  });

  it("counts binary files by their decoded size", () => {
    const base64 = Buffer.alloc(MAX_CONFIGMAP_BYTES).toString("base64");
    const result = applicationConfigMap(RUN, FILES, { "blob.bin": base64 });
    expect(result.ok).toBe(false);
  });

  it("says how large the configuration is and which files are largest", () => {
    const result = applicationConfigMap(RUN, padded(MAX_CONFIGMAP_BYTES + 10));
    if (result.ok) throw new Error("expected a problem");
    expect(result.problem).toContain(`${MAX_CONFIGMAP_BYTES + 10} bytes`);
    expect(result.problem).toContain("big.conf");
  });
});

describe("for any files", () => {
  const fileName = fc
    .stringMatching(/^[-._a-zA-Z0-9]{1,40}$/)
    .filter((name) => name !== "." && name !== "..");
  it("renders the same ConfigMap twice, and a valid one", () => {
    fc.assert(
      fc.property(fc.dictionary(fileName, fc.string({ maxLength: 200 })), (extra) => {
        const files = { ...extra, ...FILES };
        const first = accepted(applicationConfigMap(RUN, files));
        expect(accepted(applicationConfigMap(RUN, files))).toEqual(first);
        expect(() => new ConfigMap(first).validate()).not.toThrow();
      }),
    );
  });
});
