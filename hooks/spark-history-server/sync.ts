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
import { isDns1123Label } from "../kube/names.js";
import { planClaim } from "./claim.js";
import { claimName, ingressName, serverNameProblem } from "./names.js";
import { historySizing, historyTemplate, OWN_VOLUMES, planPod } from "./pod.js";
import { parseSpec, type SparkHistoryServerSpec } from "./schema.js";
import {
  GATEWAY_API_VERSION,
  historyIngress,
  historyRoute,
  historyService,
  ingressURL,
  routeURL,
} from "./services.js";
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

/**
 * Children only a CompositeController patched by deploy/components/gateway-api lists: Gateway
 * API is not installed on most clusters, and Metacontroller does not start a controller one of
 * whose child resources is not served.
 */
export const OPT_IN_CHILD_TYPES = [
  { apiVersion: GATEWAY_API_VERSION, kind: "HTTPRoute", resource: "httproutes" },
] as const satisfies readonly ChildType[];

/**
 * Whether the CompositeController in the request lists a child resource. Metacontroller always
 * sends it; without one (sparkhooks render) nothing is known, and the child is rendered.
 */
function controllerLists(controller: unknown, child: ChildType): boolean {
  if (typeof controller !== "object" || controller === null) return true;
  const resources = (controller as { spec?: { childResources?: unknown } }).spec?.childResources;
  if (!Array.isArray(resources)) return true;
  return (resources as unknown[]).some((entry) => {
    const { apiVersion, resource } = (entry ?? {}) as { apiVersion?: unknown; resource?: unknown };
    return apiVersion === child.apiVersion && resource === child.resource;
  });
}

function specErrors(spec: SparkHistoryServerSpec, controller: unknown): string[] {
  const errors: string[] = [];
  const [route] = OPT_IN_CHILD_TYPES;
  if (spec.expose && spec.gateway !== undefined && !controllerLists(controller, route)) {
    errors.push(
      `spec.gateway: the CompositeController does not list ${route.resource} (${route.apiVersion}); ` +
        "install it with the kustomize component deploy/components/gateway-api, or remove spec.gateway to get an Ingress",
    );
  }
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
  // Volumes are preserved objects in the CRD, so the API server admits any shape for them; the
  // pod would then be refused on every sync with nothing in the status. The name is what every
  // volume needs and what the mounts refer to.
  const ours = new Set<string>(OWN_VOLUMES);
  const volumeNames = new Set<unknown>();
  (spec.volumes ?? []).forEach((volume, index) => {
    const name = volume["name"];
    if (typeof name !== "string" || !isDns1123Label(name)) {
      errors.push(`spec.volumes[${index}].name: needs a name (a DNS label)`);
    } else if (ours.has(name) || volumeNames.has(name)) {
      errors.push(`spec.volumes[${index}].name: ${JSON.stringify(name)} is already used by the pod`);
    }
    volumeNames.add(name);
  });
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
  if (spec !== undefined) errors.push(...specErrors(spec, request.controller));
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
    ...exposure(server, spec),
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
    ingressURL: !spec.expose
      ? undefined
      : spec.gateway === undefined
        ? ingressURL(spec, ingress)
        : routeURL(spec),
  });
  return { response: { status, children }, outcome: "ok" };
}

/** `expose`: the Ingress, or the HTTPRoute when a Gateway is named. */
function exposure(server: string, spec: SparkHistoryServerSpec): DesiredObject[] {
  if (!spec.expose) return [];
  const { gateway } = spec;
  return [gateway === undefined ? historyIngress(server, spec) : historyRoute(server, { ...spec, gateway })];
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
  const children = [...CHILD_TYPES, ...OPT_IN_CHILD_TYPES].flatMap(({ apiVersion, kind }) =>
    observedOfType(request.children, apiVersion, kind).map(keepObserved),
  );
  const status = invalidStatus(context, {
    errors,
    ready: pods.some((pod) => !isTerminating(pod) && isPodReady(pod)),
    claim: claims.find((claim) => claim.metadata.name === claimName(context.server)),
  });
  return { response: { status, children }, outcome: "invalid_spec" };
}
