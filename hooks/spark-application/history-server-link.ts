/**
 * spec.historyServer: the run's event logs go where the named SparkHistoryServer reads them
 * (hooks/spark/event-log.ts resolves the name against the observed history server, or the
 * reference's own fields while none exists). kubeflow has no such field; radanalytics'
 * SparkApplication had one.
 *
 * Only the driver writes event logs: SparkContext creates the EventLoggingListener, and
 * executors have no SparkContext. So spark.properties gets spark.eventLog.enabled and
 * spark.eventLog.dir, and only the driver pod mounts a sharedVolume history server's claim.
 *
 * The link is resolved when a run starts and lands in the run's immutable ConfigMap and driver
 * pod: a history server created, changed or deleted later does not touch a run that has started.
 *
 * sparkConf may not point the event logs elsewhere: spark.eventLog.enabled other than true or a
 * spark.eventLog.dir other than the history server's directory, next to spec.historyServer, is
 * InvalidSpec. Equal values are accepted, so a manifest that spelt the directory out keeps
 * working once it adds the link. spark-defaults.conf from spec.sparkConfigMap holds defaults and
 * loses to the link, as it loses to sparkConf. The other spark.eventLog.* keys (compress,
 * rolling…) are the user's.
 */
import type { IVolume, IVolumeMount } from "kubernetes-models/v1";
import type { ObjectsByType } from "../metacontroller/protocol.js";
import { SPARK_CONF_DIR } from "../spark/conf.js";
import {
  EVENT_LOG_VOLUME,
  eventLogProperties,
  eventLogVolumeMounts,
  eventLogVolumes,
  observedHistoryServer,
  resolveEventLogTarget,
  type EventLogTarget,
} from "../spark/event-log.js";
import { parseSparkBoolean } from "../spark/sizes.js";
import { hadoopConfigMap, withDriverConf } from "./driver-conf-keys.js";
import { HADOOP_CONF_DIR } from "./pod-parts.js";
import type { SparkApplicationSpec } from "./schema.js";
import { EXECUTOR_TEMPLATE_DIR } from "./spark-properties.js";

export const EVENT_LOG_ENABLED_KEY = "spark.eventLog.enabled";
export const EVENT_LOG_DIR_KEY = "spark.eventLog.dir";

export interface LinkedEventLog {
  /** Settings for spark.properties, over sparkConf and spark-defaults.conf. */
  readonly settings: Readonly<Record<string, string>>;
  /** The history server's claim in the driver pod (none for remote storage or without a link). */
  readonly volumes: readonly IVolume[];
  readonly mounts: readonly IVolumeMount[];
}

export type EventLogLink =
  ({ readonly ok: true } & LinkedEventLog) | { readonly ok: false; readonly problems: string[] };

const UNLINKED: LinkedEventLog = { settings: {}, volumes: [], mounts: [] };

/**
 * A local directory as Spark resolves it (Utils.resolveURI): a bare absolute path is `file:`, and
 * `file:///p` is `file:/p`; a trailing slash changes nothing.
 */
function resolvedDirectory(directory: string): string {
  const trimmed = directory.trim().replace(/(.)\/+$/, "$1");
  if (trimmed.startsWith("/")) return `file:${trimmed}`;
  return trimmed.replace(/^file:\/\/\//, "file:/");
}

/** sparkConf's event log keys that disagree with the target. */
function confConflicts(spec: SparkApplicationSpec, name: string, target: EventLogTarget): string[] {
  const conf = spec.sparkConf ?? {};
  const enabled = conf[EVENT_LOG_ENABLED_KEY];
  const directory = conf[EVENT_LOG_DIR_KEY];
  const conflict = (key: string, value: string) =>
    `spec.sparkConf[${key}]: ${JSON.stringify(value)} disagrees with spec.historyServer ` +
    `(SparkHistoryServer ${name} reads ${target.directory}); remove the key or the link`;
  return [
    ...(enabled !== undefined && parseSparkBoolean(enabled) !== true
      ? [conflict(EVENT_LOG_ENABLED_KEY, enabled)]
      : []),
    ...(directory !== undefined && resolvedDirectory(directory) !== resolvedDirectory(target.directory)
      ? [conflict(EVENT_LOG_DIR_KEY, directory)]
      : []),
  ];
}

/**
 * The claim's volume name or mount path already taken in the driver pod would make the Pod
 * invalid on every sync; said here with the field to change.
 */
function podClashes(spec: SparkApplicationSpec, target: EventLogTarget): string[] {
  if (target.volume === undefined) return [];
  // Only the volumes and mounts of the folded spec are read, not the labels the app id goes into.
  const { volumes = [], driver } = withDriverConf(spec, "");
  const names = volumes.map((volume) => (volume as { name?: unknown }).name);
  const paths = [
    SPARK_CONF_DIR,
    EXECUTOR_TEMPLATE_DIR,
    ...(hadoopConfigMap(spec) === undefined ? [] : [HADOOP_CONF_DIR]),
    ...(driver.volumeMounts ?? []).map((mount) => (mount as { mountPath?: unknown }).mountPath),
    ...(driver.configMaps ?? []).map((configMap) => configMap.path),
    ...(driver.secrets ?? []).map((secret) => secret.path),
  ];
  const { mountPath } = target.volume;
  return [
    ...(names.includes(EVENT_LOG_VOLUME)
      ? [
          `spec.volumes: the volume name ${EVENT_LOG_VOLUME} is where spec.historyServer mounts the ` +
            "history server's claim; rename the volume",
        ]
      : []),
    ...(paths.includes(mountPath)
      ? [
          `spec.historyServer: the driver already mounts something at ${mountPath}, where the history ` +
            "server's claim goes; move that mount",
        ]
      : []),
  ];
}

/**
 * What spec.historyServer adds to a run that starts now, given the request's related objects
 * (the customize hook asks for the named SparkHistoryServer); nothing without the field.
 */
export function linkedEventLog(spec: SparkApplicationSpec, related: ObjectsByType): EventLogLink {
  const reference = spec.historyServer;
  if (reference === undefined) return { ok: true, ...UNLINKED };
  const observed = observedHistoryServer(reference, related);
  const resolved = resolveEventLogTarget(reference, observed && { spec: observed["spec"] });
  if (!resolved.ok) return { ok: false, problems: [`spec.historyServer: ${resolved.message}`] };
  const { target } = resolved;
  const problems = [...confConflicts(spec, reference.name, target), ...podClashes(spec, target)];
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    settings: eventLogProperties(target),
    volumes: eventLogVolumes(target),
    mounts: eventLogVolumeMounts(target),
  };
}
