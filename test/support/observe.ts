/**
 * What a desired child looks like by the time Metacontroller sends it back in a sync request:
 * created by Metacontroller (dynamic apply), defaulted by the API server and admission, and,
 * for pods, scheduled and reported Running and Ready by a healthy kubelet.
 *
 * Deterministic: the same (desired, parent, index) always gives the same object. Shapes follow
 * /work/shared/reference/sync-request-example.json and what a kind cluster returns.
 */
import { createHash } from "node:crypto";
import type { DesiredObject, KubeObject } from "../../hooks/metacontroller/protocol.js";

export const LAST_APPLIED_ANNOTATION = "metacontroller.k8s.io/last-applied-configuration";
/** Added to every desired child by Metacontroller when the controller has `generateSelector`. */
export const CONTROLLER_UID_LABEL = "controller-uid";

const CREATED_AT = "2026-09-01T09:14:03Z";
const SCHEDULED_AT = "2026-09-01T09:14:04Z";
const STARTED_AT = "2026-09-01T09:14:20Z";
const READY_AT = "2026-09-01T09:14:21Z";
const SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function hex(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The desired object as Metacontroller applies it, which is also what it stores in the
 * last-applied annotation: namespace defaulted to the parent's, `controller-uid` label added.
 */
export function lastAppliedConfiguration(desired: DesiredObject, parent: KubeObject): Json {
  const metadata = desired.metadata as Json & { name: string };
  const labels = isRecord(metadata["labels"]) ? metadata["labels"] : {};
  const parentUid = parent.metadata.uid ?? "";
  return {
    ...desired,
    metadata: {
      ...metadata,
      namespace:
        typeof metadata["namespace"] === "string" ? metadata["namespace"] : parent.metadata.namespace,
      labels: { ...labels, [CONTROLLER_UID_LABEL]: parentUid },
    },
  };
}

/** The observed child: desired + system metadata + server defaults (+ a Running, Ready status for pods). */
export function observe(desired: DesiredObject, parent: KubeObject, index: number): KubeObject {
  const applied = lastAppliedConfiguration(desired, parent);
  const appliedMeta = applied["metadata"] as Json & { name: string };
  const body = structuredClone(applied);
  delete body["metadata"];
  const seed = `${parent.metadata.uid ?? parent.metadata.name}/${desired.kind}/${desired.metadata.name}`;

  let spec = isRecord(body["spec"]) ? body["spec"] : undefined;
  let status: Json | undefined;
  if (desired.apiVersion === "v1" && desired.kind === "Pod" && spec) {
    spec = defaultPodSpec(spec, index, seed);
    status = runningPodStatus(spec, index, seed);
  } else if (desired.apiVersion === "v1" && desired.kind === "Service" && spec) {
    spec = defaultServiceSpec(spec, index);
    status = { loadBalancer: {} };
  }

  const annotations = isRecord(appliedMeta["annotations"]) ? appliedMeta["annotations"] : {};
  const { name, namespace, labels, ...otherMeta } = appliedMeta;
  const metadata: Json = {
    name,
    namespace,
    uid: uuid(seed),
    resourceVersion: String(100_000 + index),
    creationTimestamp: CREATED_AT,
    ...otherMeta,
    labels,
    annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied) },
    ownerReferences: [
      {
        apiVersion: parent.apiVersion,
        kind: parent.kind,
        name: parent.metadata.name,
        uid: parent.metadata.uid ?? "",
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  metadata["managedFields"] = [
    {
      manager: "metacontroller",
      operation: "Update",
      apiVersion: desired.apiVersion,
      time: CREATED_AT,
      fieldsType: "FieldsV1",
      fieldsV1: fieldsV1({
        metadata: {
          annotations: metadata["annotations"],
          labels,
          ownerReferences: metadata["ownerReferences"],
        },
        ...(applied["spec"] === undefined ? {} : { spec: applied["spec"] }),
        ...(applied["data"] === undefined ? {} : { data: applied["data"] }),
      }),
    },
    ...(status && desired.kind === "Pod"
      ? [
          {
            manager: "kubelet",
            operation: "Update",
            apiVersion: "v1",
            time: READY_AT,
            fieldsType: "FieldsV1",
            fieldsV1: fieldsV1({ status }),
            subresource: "status",
          },
        ]
      : []),
  ];

  const observed: Json = { ...body, apiVersion: desired.apiVersion, kind: desired.kind, metadata };
  if (spec) observed["spec"] = spec;
  if (status) observed["status"] = status;
  return observed as KubeObject;
}

// --- Pods -------------------------------------------------------------------------------------

function defaultPodSpec(spec: Json, index: number, seed: string): Json {
  // The ServiceAccount admission plugin mounts a token unless the pod opts out.
  const tokenVolume =
    spec["automountServiceAccountToken"] === false ? undefined : `kube-api-access-${hex(seed, 5)}`;
  const container = (c: Json): Json => defaultContainer(c, tokenVolume);
  const serviceAccount =
    typeof spec["serviceAccountName"] === "string" ? spec["serviceAccountName"] : "default";
  const volumes = records(spec["volumes"]).map(defaultVolume);
  if (tokenVolume !== undefined) volumes.push(kubeApiAccessVolume(tokenVolume));
  return {
    ...spec,
    ...(spec["initContainers"] === undefined
      ? {}
      : { initContainers: records(spec["initContainers"]).map(container) }),
    containers: records(spec["containers"]).map(container),
    restartPolicy: spec["restartPolicy"] ?? "Always",
    terminationGracePeriodSeconds: spec["terminationGracePeriodSeconds"] ?? 30,
    dnsPolicy: spec["dnsPolicy"] ?? "ClusterFirst",
    serviceAccountName: serviceAccount,
    serviceAccount,
    nodeName: `worker-${index % 20}`,
    securityContext: spec["securityContext"] ?? {},
    schedulerName: spec["schedulerName"] ?? "default-scheduler",
    tolerations: [
      ...records(spec["tolerations"]),
      {
        key: "node.kubernetes.io/not-ready",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      },
      {
        key: "node.kubernetes.io/unreachable",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      },
    ],
    priority: spec["priority"] ?? 0,
    enableServiceLinks: spec["enableServiceLinks"] ?? true,
    preemptionPolicy: spec["preemptionPolicy"] ?? "PreemptLowerPriority",
    ...(volumes.length === 0 ? {} : { volumes }),
  };
}

function defaultContainer(c: Json, tokenVolume: string | undefined): Json {
  const image = typeof c["image"] === "string" ? c["image"] : "";
  const tag = image.includes("@") ? "digest" : (image.split("/").pop() ?? "").split(":")[1];
  const mounts = records(c["volumeMounts"]);
  if (tokenVolume !== undefined)
    mounts.push({ name: tokenVolume, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT });
  const out: Json = { ...c };
  if (c["ports"] !== undefined)
    out["ports"] = records(c["ports"]).map((p) => ({ ...p, protocol: p["protocol"] ?? "TCP" }));
  if (c["env"] !== undefined) out["env"] = records(c["env"]).map(defaultEnvVar);
  out["resources"] = c["resources"] ?? {};
  for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    if (isRecord(c[probe])) out[probe] = defaultProbe(c[probe]);
  }
  if (mounts.length > 0) out["volumeMounts"] = mounts;
  out["terminationMessagePath"] = c["terminationMessagePath"] ?? "/dev/termination-log";
  out["terminationMessagePolicy"] = c["terminationMessagePolicy"] ?? "File";
  out["imagePullPolicy"] =
    c["imagePullPolicy"] ?? (tag === undefined || tag === "latest" ? "Always" : "IfNotPresent");
  return out;
}

function defaultEnvVar(env: Json): Json {
  const from = env["valueFrom"];
  if (!isRecord(from) || !isRecord(from["fieldRef"])) return env;
  return { ...env, valueFrom: { ...from, fieldRef: { apiVersion: "v1", ...from["fieldRef"] } } };
}

function defaultProbe(probe: Json): Json {
  const out: Json = { ...probe };
  if (isRecord(probe["httpGet"])) out["httpGet"] = { scheme: "HTTP", ...probe["httpGet"] };
  out["timeoutSeconds"] = probe["timeoutSeconds"] ?? 1;
  out["periodSeconds"] = probe["periodSeconds"] ?? 10;
  out["successThreshold"] = probe["successThreshold"] ?? 1;
  out["failureThreshold"] = probe["failureThreshold"] ?? 3;
  return out;
}

function defaultVolume(volume: Json): Json {
  for (const source of ["configMap", "secret"] as const) {
    const s = volume[source];
    if (isRecord(s)) return { ...volume, [source]: { ...s, defaultMode: s["defaultMode"] ?? 420 } };
  }
  return volume;
}

function kubeApiAccessVolume(name: string): Json {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        {
          downwardAPI: {
            items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
          },
        },
      ],
      defaultMode: 420,
    },
  };
}

function podIp(index: number): string {
  return `10.244.${Math.floor(index / 250) % 256}.${(index % 250) + 2}`;
}

function qosClass(containers: readonly Json[]): string {
  const resources = containers.map((c) => (isRecord(c["resources"]) ? c["resources"] : {}));
  const requests = resources.map((r) => (isRecord(r["requests"]) ? r["requests"] : {}));
  const limits = resources.map((r) => (isRecord(r["limits"]) ? r["limits"] : {}));
  if (
    requests.every((r) => Object.keys(r).length === 0) &&
    limits.every((l) => Object.keys(l).length === 0)
  ) {
    return "BestEffort";
  }
  const guaranteed = limits.every(
    (l, i) =>
      l["cpu"] !== undefined &&
      l["memory"] !== undefined &&
      (requests[i]?.["cpu"] ?? l["cpu"]) === l["cpu"] &&
      (requests[i]?.["memory"] ?? l["memory"]) === l["memory"],
  );
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** How the kubelet reports an image: `apache/spark:4.3.0` → `docker.io/apache/spark:4.3.0`. */
function normalizeImage(image: string): string {
  const first = image.split("/")[0] ?? "";
  if (image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost"))
    return image;
  return `docker.io/${image.includes("/") ? "" : "library/"}${image}`;
}

function runningPodStatus(spec: Json, index: number, seed: string): Json {
  const containers = records(spec["containers"]);
  const hostIP = `172.18.0.${(index % 20) + 2}`;
  const ip = podIp(index);
  const condition = (type: string, at: string) => ({
    type,
    status: "True",
    lastProbeTime: null,
    lastTransitionTime: at,
  });
  return {
    phase: "Running",
    conditions: [
      condition("PodReadyToStartContainers", SCHEDULED_AT),
      condition("Initialized", CREATED_AT),
      condition("Ready", READY_AT),
      condition("ContainersReady", READY_AT),
      condition("PodScheduled", CREATED_AT),
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: CREATED_AT,
    containerStatuses: containers.map((c) => {
      const image = normalizeImage(typeof c["image"] === "string" ? c["image"] : "");
      const name = typeof c["name"] === "string" ? c["name"] : "";
      const repository = image.replace(/[:@].*$/, "");
      return {
        name,
        state: { running: { startedAt: STARTED_AT } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image,
        imageID: `${repository}@sha256:${hex(image, 64)}`,
        containerID: `containerd://${hex(`${seed}/${name}`, 64)}`,
        started: true,
        volumeMounts: records(c["volumeMounts"]).map((m) => ({
          name: m["name"],
          mountPath: m["mountPath"],
          ...(m["readOnly"] === true ? { readOnly: true, recursiveReadOnly: "Disabled" } : {}),
        })),
      };
    }),
    qosClass: qosClass(containers),
  };
}

// --- Services ---------------------------------------------------------------------------------

function defaultServiceSpec(spec: Json, index: number): Json {
  const clusterIP =
    typeof spec["clusterIP"] === "string"
      ? spec["clusterIP"]
      : `10.96.${Math.floor(index / 250) % 256}.${(index % 250) + 10}`;
  return {
    ...spec,
    ports: records(spec["ports"]).map((p) => ({
      ...p,
      protocol: p["protocol"] ?? "TCP",
      targetPort: p["targetPort"] ?? p["port"],
    })),
    clusterIP,
    clusterIPs: [clusterIP],
    type: spec["type"] ?? "ClusterIP",
    sessionAffinity: spec["sessionAffinity"] ?? "None",
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: spec["ipFamilyPolicy"] ?? "SingleStack",
    internalTrafficPolicy: spec["internalTrafficPolicy"] ?? "Cluster",
  };
}

// --- managedFields ----------------------------------------------------------------------------

/** Merge keys of the associative lists in pods and services, most specific first. */
/** Lists the API server replaces as a whole, so a manager owns them without per-item keys. */
const ATOMIC_LISTS = new Set(["containerStatuses", "initContainerStatuses", "tolerations"]);
const LIST_KEYS = ["uid", "containerPort", "port", "mountPath", "name", "type", "ip"] as const;

/** The FieldsV1 set a manager owns after writing `value` (associative lists keyed like the API server does). */
function fieldsV1(value: unknown): Json {
  if (!isRecord(value)) return {};
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    out[`f:${key}`] = ATOMIC_LISTS.has(key) ? {} : Array.isArray(child) ? listFields(child) : fieldsV1(child);
  }
  return out;
}

function listFields(list: readonly unknown[]): Json {
  const out: Json = {};
  for (const item of list) {
    if (!isRecord(item)) return {}; // atomic list of scalars
    const keyName = LIST_KEYS.find((k) => item[k] !== undefined);
    if (keyName === undefined) return {};
    const key =
      keyName === "containerPort" || keyName === "port"
        ? { [keyName]: item[keyName], protocol: item["protocol"] ?? "TCP" }
        : { [keyName]: item[keyName] };
    out[`k:${JSON.stringify(key)}`] = { ".": {}, ...fieldsV1(item) };
  }
  return out;
}
