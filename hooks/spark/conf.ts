/**
 * Spark's configuration directory as a ConfigMap: spark-defaults.conf lines written the way
 * java.util.Properties reads them, plus any other files of the user's own ConfigMap
 * (log4j2.properties, …).
 */
import type { KubeObject } from "../metacontroller/protocol.js";
import { shortHash } from "../kube/names.js";

export const SPARK_CONF_DIR = "/opt/spark/conf";
export const SPARK_DEFAULTS_FILE = "spark-defaults.conf";
export const SPARK_DEFAULTS_PATH = `${SPARK_CONF_DIR}/${SPARK_DEFAULTS_FILE}`;

export interface UserConfigMap {
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
  readonly binaryData: Readonly<Record<string, string>>;
}

/** The user's ConfigMap if Metacontroller found it as a related object (see customize). */
export function findUserConfigMap(related: readonly KubeObject[], name: string): UserConfigMap | undefined {
  const found = related.find((object) => object.metadata.name === name);
  if (found === undefined) return undefined;
  const asStrings = (value: unknown): Record<string, string> =>
    typeof value === "object" && value !== null
      ? Object.fromEntries(
          Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
        )
      : {};
  return { name, data: asStrings(found.data), binaryData: asStrings(found.binaryData) };
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface ConfFiles {
  /** Sorted by file name, so the ConfigMap's bytes do not depend on the user's key order. */
  readonly data: Record<string, string>;
  readonly binaryData: Record<string, string>;
  /** Changes whenever any file changes: it names the ConfigMap, so new content is a new ConfigMap. */
  readonly hash: string;
}

/** Our spark-defaults.conf replaces the user's (it already includes its settings); their other files stay. */
export function confFiles(sparkDefaults: string, user: UserConfigMap | undefined): ConfFiles {
  const data = sortedRecord({ ...user?.data, [SPARK_DEFAULTS_FILE]: sparkDefaults });
  const binaryData = sortedRecord(user?.binaryData ?? {});
  return { data, binaryData, hash: shortHash(JSON.stringify([data, binaryData])) };
}
