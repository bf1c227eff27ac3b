/**
 * Linking a Spark resource to a SparkHistoryServer by name: the resource's event logs go where
 * that history server reads them, so a user writes `historyServer: {name: hs}` instead of
 * copying a path into every application.
 *
 * The history server is read from the observed object (the controllers ask Metacontroller for it
 * through their customize hooks). Until it exists, the reference's own radanalytics fields
 * (`type`, `sharedVolume`, `remoteURI`) say where to write, with the same defaults the history
 * server applies, so both sides agree before either is created: radanalytics' SparkCluster wrote
 * its event logs from these fields alone.
 */
import type { IVolume, IVolumeMount } from "kubernetes-models/v1";
import { z } from "zod";
import { labelMap } from "../crd/fields.js";
import {
  type KubeObject,
  type ObjectsByType,
  observedOfType,
  type RelatedResourceRule,
} from "../metacontroller/protocol.js";
import { GROUP, VERSION } from "./api.js";

export const HISTORY_SERVER_API_VERSION = `${GROUP}/${VERSION}`;
export const HISTORY_SERVER_KIND = "SparkHistoryServer";
export const HISTORY_SERVER_RESOURCE = "sparkhistoryservers";

/** radanalytics' default for `sharedVolume.mountPath` and the directory under it. */
export const DEFAULT_EVENT_LOG_MOUNT_PATH = "/history/spark-events";

/** The PVC a `sharedVolume` history server owns: radanalytics' name, `<name>-claim`. */
export function historyServerClaimName(historyServer: string): string {
  return `${historyServer}-claim`;
}

/** The volume name linked pods mount the history server's claim under. */
export const EVENT_LOG_VOLUME = "spark-events";

/**
 * Where a history server's claim is mounted, in it and in every writer. Not `/`: a volume over
 * the root would hide the image, and writers mount it at the same path.
 */
export const EventLogMountPath = z
  .string()
  .regex(/^\/./, "must be an absolute path other than /")
  .describe(
    `Where the volume is mounted and the event logs written (default ${DEFAULT_EVENT_LOG_MOUNT_PATH}).`,
  );

/** `sharedVolume` as radanalytics spells it, for both the history server and a reference to it. */
export function sharedVolumeSchema(what: string) {
  return z
    .object({
      size: z.string().optional().describe("Requested size of the PersistentVolumeClaim (default 0.3Gi)."),
      mountPath: EventLogMountPath.optional(),
      matchLabels: labelMap("Labels that select the PersistentVolume to bind the claim to.").optional(),
    })
    .describe(what);
}

export const HistoryServerReference = z
  .object({
    name: z
      .string()
      .min(1)
      .describe(
        "Name of a SparkHistoryServer in this namespace. Event logging is turned on and goes to its log " +
          "directory; a sharedVolume history server's claim <name>-claim is mounted where it is mounted there.",
      ),
    type: z
      .enum(["sharedVolume", "remoteStorage"])
      .optional()
      .describe(
        "Used only while the named SparkHistoryServer does not exist (radanalytics' fields): sharedVolume " +
          "writes to the claim <name>-claim, remoteStorage to remoteURI. Default sharedVolume.",
      ),
    sharedVolume: sharedVolumeSchema(
      "Used only while the named SparkHistoryServer does not exist: where its claim is mounted.",
    ).optional(),
    remoteURI: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Used only while the named SparkHistoryServer does not exist: the event log directory for remoteStorage.",
      ),
  })
  .describe("The SparkHistoryServer this resource's Spark applications write their event logs for.");

export type HistoryServerReference = z.output<typeof HistoryServerReference>;

/** The fields of an observed SparkHistoryServer the link reads; the rest is the history server's business. */
const ObservedHistoryServerSpec = z.object({
  type: z.enum(["sharedVolume", "remoteStorage"]).default("sharedVolume"),
  sharedVolume: z.object({ mountPath: EventLogMountPath.optional() }).optional(),
  logDirectory: z.string().min(1).optional(),
  remoteURI: z.string().min(1).optional(),
});

export interface EventLogTarget {
  /** `spark.eventLog.dir`. */
  readonly directory: string;
  /** The history server's claim, for sharedVolume; mounted at `mountPath` in every writing pod. */
  readonly volume?: { readonly claimName: string; readonly mountPath: string };
  /** Whether the named SparkHistoryServer was observed (else the reference's own fields decided). */
  readonly historyServerFound: boolean;
}

export type EventLogResolution =
  { readonly ok: true; readonly target: EventLogTarget } | { readonly ok: false; readonly message: string };

/**
 * Where event logs go for `reference`, given the SparkHistoryServer observed under that name
 * (undefined: none). A history server that names no usable directory is an error the user must
 * fix, not a reason to run without event logs they asked for.
 */
export function resolveEventLogTarget(
  reference: HistoryServerReference,
  observed: { readonly spec?: unknown } | undefined,
): EventLogResolution {
  if (observed === undefined) return fromReference(reference);
  const parsed = ObservedHistoryServerSpec.safeParse(observed.spec ?? {});
  if (!parsed.success) {
    return { ok: false, message: `SparkHistoryServer ${reference.name} has an invalid spec` };
  }
  const spec = parsed.data;
  if (spec.type === "remoteStorage") {
    const directory = spec.remoteURI ?? spec.logDirectory;
    return directory === undefined
      ? { ok: false, message: `SparkHistoryServer ${reference.name} is remoteStorage without remoteURI` }
      : { ok: true, target: { directory, historyServerFound: true } };
  }
  const path = spec.sharedVolume?.mountPath ?? DEFAULT_EVENT_LOG_MOUNT_PATH;
  return {
    ok: true,
    target: {
      directory: spec.logDirectory ?? `file:${path}`,
      volume: { claimName: historyServerClaimName(reference.name), mountPath: path },
      historyServerFound: true,
    },
  };
}

function fromReference(reference: HistoryServerReference): EventLogResolution {
  if (reference.type === "remoteStorage") {
    return reference.remoteURI === undefined
      ? {
          ok: false,
          message: `SparkHistoryServer ${reference.name} not found, and historyServer.remoteURI is not set`,
        }
      : { ok: true, target: { directory: reference.remoteURI, historyServerFound: false } };
  }
  const path = reference.sharedVolume?.mountPath ?? DEFAULT_EVENT_LOG_MOUNT_PATH;
  return {
    ok: true,
    target: {
      directory: `file:${path}`,
      volume: { claimName: historyServerClaimName(reference.name), mountPath: path },
      historyServerFound: false,
    },
  };
}

/** The Spark properties that turn event logging on and point it at the target. */
export function eventLogProperties(target: EventLogTarget): Record<string, string> {
  return { "spark.eventLog.enabled": "true", "spark.eventLog.dir": target.directory };
}

/** The claim as a pod volume (none for remote storage). */
export function eventLogVolumes(target: EventLogTarget): IVolume[] {
  return target.volume === undefined
    ? []
    : [{ name: EVENT_LOG_VOLUME, persistentVolumeClaim: { claimName: target.volume.claimName } }];
}

/** The claim mounted where the history server mounts it, so `file:` paths mean the same on both sides. */
export function eventLogVolumeMounts(target: EventLogTarget): IVolumeMount[] {
  return target.volume === undefined ? [] : [{ name: EVENT_LOG_VOLUME, mountPath: target.volume.mountPath }];
}

/** The customize hook's related-resource rule for the named history server. */
export function historyServerRelatedRules(
  reference: HistoryServerReference | undefined,
  namespace: string | undefined,
): RelatedResourceRule[] {
  return reference === undefined
    ? []
    : [
        {
          apiVersion: HISTORY_SERVER_API_VERSION,
          resource: HISTORY_SERVER_RESOURCE,
          ...(namespace === undefined ? {} : { namespace }),
          names: [reference.name],
        },
      ];
}

/** The observed SparkHistoryServer named by `reference` among a sync request's related objects. */
export function observedHistoryServer(
  reference: HistoryServerReference,
  related: ObjectsByType,
): KubeObject | undefined {
  return observedOfType(related, HISTORY_SERVER_API_VERSION, HISTORY_SERVER_KIND).find(
    (object) => object.metadata.name === reference.name,
  );
}
