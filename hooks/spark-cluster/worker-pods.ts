/**
 * Worker pods: one per slot 0…instances−1, named `<cluster>-worker-<slot>-<template hash>`.
 *
 * - Scale up fills empty slots; scale down leaves out the slots ≥ instances, so the highest
 *   slots go first.
 * - A failed or evicted worker is replaced by a fresh pod in the same slot.
 * - A template change first replaces every old worker that is not Ready, all at once: it serves
 *   nothing, and it may be broken in a way only the new template fixes. Then it replaces Ready
 *   old workers one at a time, highest slot first, and only while every other slot has a
 *   Ready worker: running applications keep their executors on the rest.
 */
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { isPodFinished, isPodReady, isTerminating, keepObserved, podStuckReason } from "../kube/observed.js";
import { SPARK_CONF_DIR, SPARK_DEFAULTS_PATH } from "../spark/conf.js";
import { LOCAL_HOSTNAME_ENV, POD_IP_ENV } from "../spark/env.js";
import { SPARK_CLASS } from "../spark/image.js";
import { LABEL_TEMPLATE_HASH } from "../spark/labels.js";
import { PROMETHEUS_PATH, scrapeAnnotations } from "../spark/metrics.js";
import { httpProbe, uiJsonProbe } from "../spark/probes.js";
import {
  LABEL_WORKER_ORDINAL,
  masterServiceName,
  MASTER_PORT,
  WORKER_UI_PORT,
  workerPodName,
} from "./names.js";
import { podFromTemplate, podTemplate, type ClusterContext, type PodTemplate } from "./pod-template.js";
import { WORKER_DAEMON_HEAP_MIB, type WorkerSizing } from "./resources.js";

/** Executor directories and logs; an emptyDir, so it goes with the pod. */
const WORKER_DIR = "/opt/spark/work";

/**
 * The most worker-pod JSON one sync answer may carry: three times what 1,000 default workers
 * need (~2 KiB a pod). Every pod rendered comes back in each later request about three times
 * as large (the object, Metacontroller's last-applied copy of it, managedFields naming its
 * fields) plus its status, and the hook server's default body limit (32 MiB) has to hold all
 * of them: at this bound a 1,000-worker request is ~20 MiB. Unbounded, a large affinity or env
 * list times 1,000 workers would be gigabytes of answer and exhaust the server's memory.
 */
export const MAX_WORKER_PODS_BYTES = 6 * 1024 * 1024;

/** Why `instances` pods of `template` are too much for one answer, or undefined when they fit. */
export function workerPodsTooLarge(instances: number, template: PodTemplate): string | undefined {
  const total = instances * template.bytes;
  if (total <= MAX_WORKER_PODS_BYTES) return undefined;
  const kib = (bytes: number) => Math.ceil(bytes / 1024);
  return (
    `spec.worker.instances: ${instances} worker pods of ${kib(template.bytes)} KiB each are ` +
    `${Math.ceil(total / 2 ** 20)} MiB, more than the ${MAX_WORKER_PODS_BYTES / 2 ** 20} MiB of pods one ` +
    `sync may render; use fewer workers or a smaller pod spec (affinity, env, labels, tolerations)`
  );
}

/**
 * Ready means registered. The worker's UI answers as soon as the daemon is up, with or without
 * a master, so a probe on the UI alone would call a worker Ready that never joined, and a
 * rolling replacement (which waits for Ready) could swap every worker for one that never
 * does. The worker's `/json/` shows `"masterurl" : ""` until its first registration and the
 * master's URL from then on.
 *
 * Registered once, that is: the URL stays after the master goes away, so a worker whose
 * master restarted stays Ready while it registers again. That is wanted: the master is what
 * is down, and taking every worker out of Ready would make a master restart look like a
 * cluster-wide update and hold up a roll that is already under way.
 */
const REGISTERED_WITH_MASTER = '"masterurl" *: *"spark://';

export function workerTemplate(context: ClusterContext, sizing: WorkerSizing): PodTemplate {
  return podTemplate(context, {
    component: "worker",
    args: [
      SPARK_CLASS,
      "org.apache.spark.deploy.worker.Worker",
      `spark://${masterServiceName(context.cluster)}:${MASTER_PORT}`,
      // Explicit: Spark's defaults come from the node's CPUs and memory, not the container's.
      "--cores",
      String(sizing.cores),
      "--memory",
      `${sizing.executorMemoryMiB}m`,
      "--webui-port",
      String(WORKER_UI_PORT),
      "--work-dir",
      WORKER_DIR,
      "--properties-file",
      SPARK_DEFAULTS_PATH,
    ],
    env: [
      POD_IP_ENV,
      // Executors advertise the worker's host: it must be an address other pods can reach.
      LOCAL_HOSTNAME_ENV,
      { name: "SPARK_CONF_DIR", value: SPARK_CONF_DIR },
      { name: "SPARK_DAEMON_MEMORY", value: `${WORKER_DAEMON_HEAP_MIB}m` },
    ],
    ports: [{ name: "http", containerPort: WORKER_UI_PORT, protocol: "TCP" }],
    resources: sizing.resources,
    readinessProbe: uiJsonProbe(WORKER_UI_PORT, REGISTERED_WITH_MASTER, {
      periodSeconds: 10,
      failureThreshold: 3,
    }),
    // Up but not registered is waiting, not dead: a restart would not find the master sooner.
    livenessProbe: httpProbe(WORKER_UI_PORT, { periodSeconds: 20, failureThreshold: 3 }),
    startupProbe: httpProbe(WORKER_UI_PORT, { periodSeconds: 5, failureThreshold: 60 }),
    volumes: [{ name: "spark-work", emptyDir: {} }],
    volumeMounts: [{ name: "spark-work", mountPath: WORKER_DIR }],
    annotations: scrapeAnnotations(context.spec.metrics, WORKER_UI_PORT, PROMETHEUS_PATH),
  });
}

export type WorkerActivity = "Creating" | "Starting" | "ReplacingFailed" | "RollingUpdate" | "ScalingDown";

export interface WorkerPlan {
  readonly children: DesiredObject[];
  /** Ready workers in the desired slots. */
  readonly ready: number;
  /** Workers in the desired slots on the current template. */
  readonly upToDate: number;
  /** Worker pods that exist and are not being deleted (the scale subresource's replicas). */
  readonly replicas: number;
  readonly activities: ReadonlySet<WorkerActivity>;
  readonly stuck: string[];
}

function slotOf(pod: KubeObject): number | undefined {
  const text = pod.metadata.labels?.[LABEL_WORKER_ORDINAL];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

export function planWorkers(
  cluster: string,
  instances: number,
  template: PodTemplate,
  observed: readonly KubeObject[],
): WorkerPlan {
  const render = (slot: number): DesiredObject =>
    podFromTemplate(template, workerPodName(cluster, slot, template.hash), {
      [LABEL_WORKER_ORDINAL]: String(slot),
    });
  const live = observed.filter((pod) => !isTerminating(pod));
  const podsBySlot = new Map<number, KubeObject[]>();
  for (const pod of live) {
    const slot = slotOf(pod);
    if (slot === undefined) continue; // not a pod of ours: left out, so it is deleted
    podsBySlot.set(slot, [...(podsBySlot.get(slot) ?? []), pod]);
  }

  const activities = new Set<WorkerActivity>();
  const chosen: (DesiredObject | undefined)[] = [];
  const standing: (KubeObject | undefined)[] = [];
  const outdated: { readonly slot: number; readonly pod: KubeObject }[] = [];
  let ready = 0;
  let upToDate = 0;
  for (let slot = 0; slot < instances; slot += 1) {
    const pods = podsBySlot.get(slot) ?? [];
    const usable = pods.filter((pod) => !isPodFinished(pod));
    const current = usable.find((pod) => pod.metadata.labels?.[LABEL_TEMPLATE_HASH] === template.hash);
    const stale = usable.find((pod) => pod !== current);
    const pod = current ?? stale;
    standing.push(pod);
    if (pod !== undefined) {
      if (isPodReady(pod)) ready += 1;
      else activities.add("Starting");
    }
    if (current !== undefined) {
      upToDate += 1;
      chosen.push(render(slot));
    } else if (stale !== undefined) {
      outdated.push({ slot, pod: stale });
      chosen.push(keepObserved(stale));
    } else {
      activities.add(pods.length > 0 ? "ReplacingFailed" : "Creating");
      // A finished pod holding the new name must be gone before the name can be reused.
      const name = workerPodName(cluster, slot, template.hash);
      chosen.push(pods.some((p) => p.metadata.name === name) ? undefined : render(slot));
    }
  }

  if (outdated.length > 0) {
    activities.add("RollingUpdate");
    // An old worker that is not Ready (crash loop, image pull, unschedulable, still starting)
    // serves no executors, so replacing it loses nothing; waiting for it could wait forever
    // when only the new template can fix it.
    const broken = outdated.filter(({ pod }) => !isPodReady(pod));
    for (const { slot } of broken) chosen[slot] = render(slot);
    // A Ready one goes only while every other slot has a Ready worker, so applications lose at
    // most one worker's executors at a time.
    const slot = outdated.filter(({ pod }) => isPodReady(pod)).at(-1)?.slot;
    const othersReady = standing.every(
      (pod, other) => other === slot || (pod !== undefined && isPodReady(pod)),
    );
    if (slot !== undefined && othersReady) chosen[slot] = render(slot);
  }
  if (live.some((pod) => (slotOf(pod) ?? instances) >= instances)) activities.add("ScalingDown");

  const stuck = standing.flatMap((pod) => {
    const reason = pod === undefined ? undefined : podStuckReason(pod);
    return reason === undefined || pod === undefined ? [] : [`pod ${pod.metadata.name}: ${reason}`];
  });
  return {
    children: chosen.filter((child): child is DesiredObject => child !== undefined),
    ready,
    upToDate,
    replicas: live.length,
    activities,
    stuck,
  };
}
