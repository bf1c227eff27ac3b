/**
 * What master and worker pods share: the cluster's image, security, scheduling and labels,
 * put together from the Spark pod pieces in ../spark/.
 *
 * Pods are immutable children (updateStrategy OnDelete): the pod name ends in a hash of the
 * template rendered here, so any change to it (image, env, resources, configuration) shows up
 * as a pod whose hash is stale, and the hook decides when to replace it. The configuration
 * counts through the mounted ConfigMap's name, which is a hash of its content.
 */
import type {
  IContainer,
  IContainerPort,
  IEnvVar,
  IPod,
  IPodSpec,
  IProbe,
  IVolume,
  IVolumeMount,
} from "kubernetes-models/v1";
import { shortHash } from "../kube/names.js";
import { SPARK_CONF_DIR } from "../spark/conf.js";
import { mergeEnv, userEnv } from "../spark/env.js";
import { launchedWithPasswdEntry, mayRunWithoutPasswdEntry } from "../spark/identity.js";
import { sparkImage } from "../spark/image.js";
import { LABEL_TEMPLATE_HASH, LABEL_VERSION, selectorLabels } from "../spark/labels.js";
import type { ContainerResources } from "../spark/memory.js";
import {
  containerSecurityContext,
  podSecurityContext,
  WRITABLE_VOLUMES,
  writableMounts,
} from "../spark/security.js";
import type { Component } from "./names.js";
import type { PodAdditions } from "./pod-additions.js";
import type { SparkClusterSpec } from "./schema.js";

export type NamedPod = IPod & { metadata: { name: string; labels: Record<string, string> } };

export interface ClusterContext {
  readonly cluster: string;
  readonly spec: SparkClusterSpec;
  /** Each role's configuration ConfigMap; its name is a hash of its content. */
  readonly configMapNames: Readonly<Record<Component, string>>;
  /** Init containers, volumes and variables the optional fields add to every pod. */
  readonly additions: PodAdditions;
}

export interface RoleContainer {
  readonly component: Component;
  readonly args: readonly string[];
  readonly env: readonly IEnvVar[];
  readonly ports: readonly IContainerPort[];
  readonly resources: ContainerResources;
  readonly readinessProbe: IProbe;
  readonly livenessProbe: IProbe;
  readonly startupProbe: IProbe;
  readonly volumes: readonly IVolume[];
  readonly volumeMounts: readonly IVolumeMount[];
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PodTemplate {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: IPodSpec;
  readonly hash: string;
  /** Bytes of JSON the template renders to, about what each pod made from it adds to an answer. */
  readonly bytes: number;
}

export function podTemplate(context: ClusterContext, role: RoleContainer): PodTemplate {
  const { cluster, spec } = context;
  const roleSpec = spec[role.component];
  const podSecurity = podSecurityContext(spec.podSecurityContext, { fixedUserIds: spec.fixedUserIds });
  const containerSecurity = containerSecurityContext(spec.securityContext);
  const launch = mayRunWithoutPasswdEntry(podSecurity, containerSecurity)
    ? launchedWithPasswdEntry(role.args)
    : [...role.args];
  const { additions } = context;
  const image = sparkImage(spec);
  const pullPolicy = spec.imagePullPolicy === undefined ? {} : { imagePullPolicy: spec.imagePullPolicy };
  // Init containers run one after another before Spark, in the pod's security context and
  // with the Spark container's resources (a pod's request is the larger of the two, so this
  // costs nothing), from customInitContainerImage or else the Spark image.
  const initContainers: IContainer[] = additions.initSteps.map((step) => ({
    name: step.name,
    image: spec.customInitContainerImage ?? image,
    ...pullPolicy,
    command:
      step.runsSpark && mayRunWithoutPasswdEntry(podSecurity, containerSecurity)
        ? launchedWithPasswdEntry(step.command)
        : [...step.command],
    resources: role.resources,
    volumeMounts: [...step.volumeMounts],
    securityContext: containerSecurity,
  }));
  const container: IContainer = {
    name: `spark-${role.component}`,
    image,
    ...pullPolicy,
    ...(roleSpec.command === undefined ? {} : { command: roleSpec.command }),
    // Arguments go through the image's entrypoint, which execs them (as does the bash of the
    // passwd step, when there is one): the JVM becomes PID 1 and receives SIGTERM directly.
    args: roleSpec.commandArgs ?? launch,
    env: mergeEnv([...role.env, ...additions.env], userEnv(spec.env)),
    ports: [...role.ports],
    resources: role.resources,
    readinessProbe: role.readinessProbe,
    livenessProbe: role.livenessProbe,
    startupProbe: role.startupProbe,
    volumeMounts: [
      { name: "spark-conf", mountPath: SPARK_CONF_DIR, readOnly: true },
      ...writableMounts(),
      ...role.volumeMounts,
      ...additions.volumeMounts,
    ],
    securityContext: containerSecurity,
  };
  const podSpec: IPodSpec = {
    ...(initContainers.length === 0 ? {} : { initContainers }),
    containers: [container],
    restartPolicy: "Always",
    // Service links would inject SPARK_MASTER_PORT=tcp://… for a Service named spark-master,
    // which Spark parses as a number and crashes on.
    enableServiceLinks: false,
    ...(spec.serviceAccountName === undefined
      ? { automountServiceAccountToken: false }
      : { serviceAccountName: spec.serviceAccountName }),
    securityContext: podSecurity,
    ...(spec.imagePullSecrets === undefined
      ? {}
      : { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
    ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
    ...(spec.affinity === undefined ? {} : { affinity: spec.affinity }),
    ...(spec.nodeTolerations === undefined ? {} : { tolerations: spec.nodeTolerations }),
    volumes: [
      { name: "spark-conf", configMap: { name: context.configMapNames[role.component] } },
      ...WRITABLE_VOLUMES,
      ...role.volumes,
      ...additions.volumes,
    ],
  };
  const labels = {
    ...spec.labels,
    ...roleSpec.labels,
    ...selectorLabels(cluster, role.component),
    [LABEL_VERSION]: spec.sparkVersion,
  };
  const rendered = JSON.stringify([labels, role.annotations, podSpec]);
  return {
    labels,
    annotations: role.annotations,
    spec: podSpec,
    hash: shortHash(rendered),
    bytes: Buffer.byteLength(rendered),
  };
}

export function podFromTemplate(
  template: PodTemplate,
  name: string,
  extraLabels: Readonly<Record<string, string>> = {},
): NamedPod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      labels: { ...template.labels, ...extraLabels, [LABEL_TEMPLATE_HASH]: template.hash },
      // Only scrape annotations so far; an empty map would be dropped by the API server anyway.
      ...(Object.keys(template.annotations).length > 0 ? { annotations: { ...template.annotations } } : {}),
    },
    spec: template.spec,
  };
}
