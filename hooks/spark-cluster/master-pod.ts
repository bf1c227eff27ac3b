/**
 * The master pod: `spark-class …Master` bound to the pod IP (SPARK_LOCAL_HOSTNAME, either
 * family). Workers and drivers reach it through the `<name>` Service; Spark 4's RPC routes by
 * endpoint name, so the Service name need not match the address the master advertises.
 */
import type { DesiredObject, KubeObject } from "../metacontroller/protocol.js";
import { isPodFinished, isPodReady, isTerminating, podStuckReason } from "../kube/observed.js";
import { SPARK_CONF_DIR, SPARK_DEFAULTS_PATH } from "../spark/conf.js";
import { LOCAL_HOSTNAME_ENV, POD_IP_ENV } from "../spark/env.js";
import { SPARK_CLASS } from "../spark/image.js";
import { LABEL_TEMPLATE_HASH } from "../spark/labels.js";
import { MASTER_PROMETHEUS_PATH, scrapeAnnotations } from "../spark/metrics.js";
import { httpProbe } from "../spark/probes.js";
import { MASTER_PORT, MASTER_UI_PORT, masterPodName } from "./names.js";
import { podFromTemplate, podTemplate, type ClusterContext, type PodTemplate } from "./pod-template.js";
import type { MasterSizing } from "./resources.js";

export function masterTemplate(context: ClusterContext, sizing: MasterSizing): PodTemplate {
  return podTemplate(context, {
    component: "master",
    args: [
      SPARK_CLASS,
      "org.apache.spark.deploy.master.Master",
      "--port",
      String(MASTER_PORT),
      "--webui-port",
      String(MASTER_UI_PORT),
      "--properties-file",
      SPARK_DEFAULTS_PATH,
    ],
    env: [
      POD_IP_ENV,
      // The pod IP, never the Service name: that resolves to a virtual IP the master cannot bind.
      LOCAL_HOSTNAME_ENV,
      { name: "SPARK_CONF_DIR", value: SPARK_CONF_DIR },
      { name: "SPARK_DAEMON_MEMORY", value: `${sizing.heapMiB}m` },
    ],
    ports: [
      { name: "spark", containerPort: MASTER_PORT, protocol: "TCP" },
      { name: "http", containerPort: MASTER_UI_PORT, protocol: "TCP" },
    ],
    resources: sizing.resources,
    // Ready once the UI serves. A master without ZooKeeper elects itself leader right after
    // binding its UI, and only a STANDBY master (an HA setup's follower) turns workers and
    // applications away, so asking /json/ for "ALIVE" would tell nothing more here.
    readinessProbe: httpProbe(MASTER_UI_PORT, { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: httpProbe(MASTER_UI_PORT, { periodSeconds: 20, failureThreshold: 3 }),
    // The JVM needs a while to start on a small CPU; give it up to 5 minutes before liveness counts.
    startupProbe: httpProbe(MASTER_UI_PORT, { periodSeconds: 5, failureThreshold: 60 }),
    volumes: [],
    volumeMounts: [],
    annotations: scrapeAnnotations(context.spec.metrics, MASTER_UI_PORT, MASTER_PROMETHEUS_PATH),
  });
}

export interface MasterPlan {
  readonly children: DesiredObject[];
  readonly ready: boolean;
  /** Work in progress on the master, if any. */
  readonly activity: "Creating" | "Replacing" | "Starting" | undefined;
  readonly stuck: string[];
}

/**
 * One master, always on the current template: a stale master is replaced at once (workers
 * reconnect through the Service), a failed or evicted one is deleted and recreated.
 */
export function planMaster(
  cluster: string,
  template: PodTemplate,
  observed: readonly KubeObject[],
): MasterPlan {
  const name = masterPodName(cluster, template.hash);
  const live = observed.filter((pod) => !isTerminating(pod) && !isPodFinished(pod));
  const current = live.find((pod) => pod.metadata.labels?.[LABEL_TEMPLATE_HASH] === template.hash);
  // Status reports what runs: a stale master still serves until it is replaced.
  const ready = live.some(isPodReady);
  const stuck = live.flatMap((pod) => {
    const reason = podStuckReason(pod);
    return reason === undefined ? [] : [`pod ${pod.metadata.name}: ${reason}`];
  });
  if (current !== undefined) {
    const activity = observed.length > 1 ? "Replacing" : isPodReady(current) ? undefined : "Starting";
    return { children: [podFromTemplate(template, name)], ready, activity, stuck };
  }
  // A finished pod that holds the name must be deleted before its successor can be created.
  const nameTaken = observed.some((pod) => pod.metadata.name === name);
  const activity = observed.length > 0 ? "Replacing" : "Creating";
  return { children: nameTaken ? [] : [podFromTemplate(template, name)], ready, activity, stuck };
}
