/**
 * SparkHistoryServer sync: parent + observed children + now → desired children + status.
 * Pure: no I/O, no clock, no environment.
 */
import type { ChildType, SyncResult } from "../controller.js";
import { isPodLive, isPodReady, isTerminating, keepObserved, mountedConfigMaps } from "../kube/observed.js";
import {
  observedOfType,
  type DesiredObject,
  type KubeObject,
  type SyncRequest,
} from "../metacontroller/protocol.js";
import { planClaim } from "./claim.js";
import { claimName, ingressName, serverNameProblem } from "./names.js";
import { historySizing, historyTemplate, planPod } from "./pod.js";
import { parseSpec, type SparkHistoryServerSpec } from "./schema.js";
import { historyIngress, historyService, ingressURL } from "./services.js";
import { historyConfigMap, historySettings, logDirectory } from "./spark-conf.js";
import { historyStatus, invalidStatus, type StatusContext } from "./status.js";

/** The child types this controller owns; composite-controllers/sparkhistoryserver.yaml lists the same. */
export const CHILD_TYPES = [
  { apiVersion: "v1", kind: "Pod", resource: "pods" },
  { apiVersion: "v1", kind: "Service", resource: "services" },
  { apiVersion: "v1", kind: "ConfigMap", resource: "configmaps" },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", resource: "persistentvolumeclaims" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress", resource: "ingresses" },
] as const satisfies readonly ChildType[];

function specErrors(spec: SparkHistoryServerSpec): string[] {
  const errors: string[] = [];
  if (spec.type === "remoteStorage" && spec.remoteURI === undefined && spec.logDirectory === undefined) {
    errors.push(
      "spec.remoteURI: required for type remoteStorage (the event log directory), or set spec.logDirectory",
    );
  }
  const mounted = new Set(["/tmp", "/opt/spark/work-dir", "/opt/spark/conf"]);
  if (spec.type === "sharedVolume" && mounted.has(spec.sharedVolume.mountPath)) {
    errors.push(
      `spec.sharedVolume.mountPath: ${spec.sharedVolume.mountPath} is already used by the history server pod`,
    );
  }
  const volumeNames = new Set((spec.volumes ?? []).map((volume) => volume["name"]));
  (spec.volumeMounts ?? []).forEach((mount, index) => {
    if (!volumeNames.has(mount.name)) {
      errors.push(
        `spec.volumeMounts[${index}].name: no volume ${JSON.stringify(mount.name)} in spec.volumes`,
      );
    }
  });
  return errors;
}

export function syncSparkHistoryServer(request: SyncRequest, now: Date): SyncResult {
  const { parent } = request;
  const server = parent.metadata.name;
  const context: StatusContext = {
    server,
    namespace: parent.metadata.namespace ?? "default",
    generation: parent.metadata.generation,
    previousStatus: (parent as { status?: unknown }).status,
    now,
  };
  const pods = observedOfType(request.children, "v1", "Pod");
  const claims = observedOfType(request.children, "v1", "PersistentVolumeClaim");

  const errors: string[] = [];
  const nameProblem = serverNameProblem(server);
  if (nameProblem !== undefined) errors.push(nameProblem);
  const parsed = parseSpec((parent as { spec?: unknown }).spec);
  if (!parsed.ok) errors.push(...parsed.errors);
  const spec = parsed.ok ? parsed.spec : undefined;
  if (spec !== undefined) errors.push(...specErrors(spec));
  const sizing = spec === undefined ? undefined : historySizing(spec, errors);
  const directory = spec === undefined ? undefined : logDirectory(spec);
  if (errors.length > 0 || spec === undefined || sizing === undefined || directory === undefined) {
    return rejectSpec(request, context, errors, pods, claims);
  }

  const configMap = historyConfigMap(server, spec, historySettings(spec, directory));
  const mountsClaim = spec.type === "sharedVolume";
  const template = historyTemplate({
    server,
    spec,
    configMapName: configMap.metadata.name,
    sizing,
    mountsClaim,
  });
  const pod = planPod(server, template, pods);
  const claim = planClaim(server, spec, claims);
  const ingress = observedOfType(request.children, "networking.k8s.io/v1", "Ingress").find(
    (object) => object.metadata.name === ingressName(server),
  );

  const children: DesiredObject[] = [
    configMap,
    ...configMapsStillMounted(request, pods, configMap.metadata.name),
    ...claim.children,
    historyService(server, spec),
    ...(spec.expose ? [historyIngress(server, spec)] : []),
    ...pod.children,
  ];
  const status = historyStatus(context, {
    port: spec.internalPort,
    logDirectory: directory,
    pod,
    claim: {
      observed: claim.observed,
      retained: claim.retained,
      mountPath: mountsClaim ? spec.sharedVolume.mountPath : undefined,
    },
    ingressURL: spec.expose ? ingressURL(spec, ingress) : undefined,
  });
  return { response: { status, children }, outcome: "ok" };
}

/**
 * Older configurations that pods still mount: the kubelet needs a pod's ConfigMap volume to
 * (re)start its container, so each stays while a live pod mounts it.
 */
function configMapsStillMounted(
  request: SyncRequest,
  pods: readonly KubeObject[],
  current: string,
): DesiredObject[] {
  const mounted = new Set(pods.filter(isPodLive).flatMap(mountedConfigMaps));
  return observedOfType(request.children, "v1", "ConfigMap")
    .filter(({ metadata: { name } }) => mounted.has(name) && name !== current)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map(keepObserved);
}

/**
 * Metacontroller deletes every observed child a 200 answer leaves out, so a spec we cannot act
 * on keeps every child exactly as it is (the event log claim above all) and explains itself in
 * the status.
 */
function rejectSpec(
  request: SyncRequest,
  context: StatusContext,
  errors: readonly string[],
  pods: readonly KubeObject[],
  claims: readonly KubeObject[],
): SyncResult {
  const children = CHILD_TYPES.flatMap(({ apiVersion, kind }) =>
    observedOfType(request.children, apiVersion, kind).map(keepObserved),
  );
  const status = invalidStatus(context, {
    errors,
    ready: pods.some((pod) => !isTerminating(pod) && isPodReady(pod)),
    claim: claims.find((claim) => claim.metadata.name === claimName(context.server)),
  });
  return { response: { status, children }, outcome: "invalid_spec" };
}
