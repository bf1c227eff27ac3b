/**
 * The Spark image: which one a resource runs, and where Spark lives inside it.
 */

/** The newest Apache Spark release on 2026-11-22; the default image is `apache/spark:<this>`. */
export const DEFAULT_SPARK_VERSION = "4.3.0";
export const DEFAULT_IMAGE_REPOSITORY = "apache/spark";

/** Launches any Spark JVM (master, worker, history server) in the foreground. */
export const SPARK_CLASS = "/opt/spark/bin/spark-class";

export interface ImageFields {
  readonly customImage?: string;
  readonly sparkVersion: string;
}

/** `customImage` when set, else the official image of the requested Spark version. */
export function sparkImage(fields: ImageFields): string {
  return fields.customImage ?? `${DEFAULT_IMAGE_REPOSITORY}:${fields.sparkVersion}`;
}
