/**
 * The kustomize base in deploy/: every object is a valid Kubernetes object, the hook server's
 * pods pass Pod Security "restricted", and the objects agree with each other and with the
 * server's configuration.
 */
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy, type INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import {
  PodDisruptionBudget,
  type IPodDisruptionBudget,
} from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service, type IService } from "kubernetes-models/v1/Service";
import { ServiceAccount, type IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IContainer } from "kubernetes-models/v1/Container";
import { describe, expect, it } from "vitest";
import { ConfigSchema, loadConfig } from "../../hooks/server/config.js";
import { restrictedViolations } from "../support/pod-security.js";
import { itIsAValidKubernetesObject, loadKustomization, objectsIn, repoPath, type Manifest } from "./load.js";

const NAMESPACE = "sparkhooks";

/** kubernetes-models classes by "apiVersion kind", used as the validation oracle. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1 Namespace": Namespace,
  "v1 ServiceAccount": ServiceAccount,
  "v1 Service": Service,
  "apps/v1 Deployment": Deployment,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1 NetworkPolicy": NetworkPolicy,
};

const CLUSTER_SCOPED = new Set(["Namespace"]);

const objects = objectsIn("deploy");

function only<T>(kind: string): T {
  const found = objects.filter(({ m }) => m.kind === kind);
  if (found.length !== 1) throw new Error(`deploy/ must hold exactly one ${kind}, found ${found.length}`);
  return found[0]!.m as unknown as T;
}

const deployment = only<IDeployment & Manifest>("Deployment");
const podSpec = deployment.spec!.template.spec!;
const podLabels = deployment.spec!.template.metadata?.labels ?? {};
const container: IContainer = podSpec.containers[0]!;
const service = only<IService & Manifest>("Service");
const serviceAccount = only<IServiceAccount & Manifest>("ServiceAccount");
const pdb = only<IPodDisruptionBudget & Manifest>("PodDisruptionBudget");
const networkPolicy = only<INetworkPolicy & Manifest>("NetworkPolicy");

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function env(name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

describe("deploy/", () => {
  itIsAValidKubernetesObject(objects, MODELS);

  it("puts every namespaced object into the sparkhooks namespace", () => {
    for (const { file, m } of objects) {
      expect(m.metadata.namespace, `${file}: ${m.kind}`).toBe(
        CLUSTER_SCOPED.has(m.kind) ? undefined : NAMESPACE,
      );
    }
  });

  it("creates the sparkhooks namespace with Pod Security 'restricted' enforced", () => {
    const ns = only<Manifest>("Namespace");
    expect(ns.metadata.name).toBe(NAMESPACE);
    expect(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("deploy/deployment.yaml: the hook server", () => {
  it("runs two replicas, rolling one at a time without losing capacity", () => {
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  it("selects its own pods, by labels that kustomize does not change", () => {
    expect(selects(deployment.spec?.selector.matchLabels, podLabels)).toBe(true);
  });

  it("would be admitted under Pod Security 'restricted'", () => {
    expect(restrictedViolations(podSpec, deployment.spec!.template.metadata ?? {})).toEqual([]);
  });

  it("runs as the image's non-root node user with a read-only root filesystem", () => {
    expect(podSpec.securityContext?.runAsNonRoot).toBe(true);
    expect(podSpec.securityContext?.runAsUser).toBe(1000);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    expect(container.securityContext?.capabilities?.add).toBeUndefined();
  });

  it("gets no service account token: the server never calls the API server", () => {
    expect(podSpec.serviceAccountName).toBe(serviceAccount.metadata?.name);
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it("serves HTTP on 8080 and probes /healthz and /readyz there", () => {
    const http = container.ports?.find((p) => p.name === "http");
    expect(http?.containerPort).toBe(8080);
    expect(Number(env("PORT"))).toBe(http?.containerPort);
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container.startupProbe?.httpGet?.path).toBe("/healthz");
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      expect(probe?.httpGet?.port).toBe("http");
    }
  });

  it("sets only environment variables the server understands, with valid values", () => {
    const known = new Set([...Object.keys(ConfigSchema.shape), "NODE_OPTIONS"]);
    for (const e of container.env ?? []) expect(known, e.name).toContain(e.name);
    const values = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(() => loadConfig(values)).not.toThrow();
  });

  it("gives in-flight hook calls time to finish before the kubelet kills the server", () => {
    const { shutdownTimeoutMs } = loadConfig(
      Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value])),
    );
    const preStopSeconds = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStopSeconds).toBeGreaterThan(0);
    expect(podSpec.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(
      preStopSeconds + shutdownTimeoutMs / 1000,
    );
  });

  it("requests CPU and memory and caps memory above the V8 heap limit", () => {
    expect(container.resources?.requests?.["cpu"]).toBeDefined();
    expect(container.resources?.requests?.["memory"]).toBeDefined();
    expect(container.resources?.limits?.["memory"]).toBe("1Gi");
    const heap = /--max-old-space-size=(\d+)/.exec(env("NODE_OPTIONS") ?? "");
    expect(heap).not.toBeNull();
    expect(Number(heap?.[1])).toBeLessThan(1024);
  });

  it("spreads replicas across nodes", () => {
    const spread = podSpec.topologySpreadConstraints?.find((t) => t.topologyKey === "kubernetes.io/hostname");
    const antiAffinity = podSpec.affinity?.podAntiAffinity;
    expect(spread !== undefined || antiAffinity !== undefined).toBe(true);
    if (spread !== undefined) expect(selects(spread.labelSelector?.matchLabels, podLabels)).toBe(true);
  });

  it("announces /metrics on the http port to Prometheus", () => {
    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    expect(annotations["prometheus.io/scrape"]).toBe("true");
    expect(annotations["prometheus.io/path"]).toBe("/metrics");
    expect(Number(annotations["prometheus.io/port"])).toBe(8080);
  });

  it("uses the image that kustomization.yaml's images: entry rewrites", () => {
    const k = loadKustomization(repoPath("deploy"));
    const [name, tag] = (container.image ?? "").split(/:(?=[^:/]+$)/);
    const entry = k.images?.find((i) => i.name === name);
    expect(entry).toBeDefined();
    expect(entry?.newTag).toBe(tag);
    expect(tag).not.toBe("latest");
  });
});

describe("deploy/: Service, PodDisruptionBudget, NetworkPolicy", () => {
  it("Service sparkhooks maps port 80 to the server's http port", () => {
    expect(service.metadata?.name).toBe("sparkhooks");
    expect(service.spec?.type ?? "ClusterIP").toBe("ClusterIP");
    expect(selects(service.spec?.selector, podLabels)).toBe(true);
    const port = service.spec?.ports?.find((p) => p.port === 80);
    expect(port?.targetPort).toBe("http");
  });

  it("PodDisruptionBudget keeps one replica of the hook server up", () => {
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(selects(pdb.spec?.selector?.matchLabels, podLabels)).toBe(true);
  });

  it("NetworkPolicy admits only Metacontroller's namespace, on the server port", () => {
    const spec = networkPolicy.spec!;
    expect(selects(spec.podSelector?.matchLabels, podLabels)).toBe(true);
    expect(spec.policyTypes).toContain("Ingress");
    expect(spec.ingress).toHaveLength(1);
    const rule = spec.ingress![0]!;
    expect(rule.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "metacontroller" } } },
    ]);
    expect(rule.ports).toEqual([{ port: 8080, protocol: "TCP" }]);
  });

  it("NetworkPolicy allows no outgoing traffic: the server opens no connections", () => {
    expect(networkPolicy.spec?.policyTypes).toContain("Egress");
    expect(networkPolicy.spec?.egress ?? []).toEqual([]);
  });
});
