/**
 * The children of a new SparkApplication as our controller renders them: the answer of
 * `syncSparkApplication` to Metacontroller's first sync, over the wire format (the driver pod,
 * its ConfigMap with spark.properties and the executor pod template, its Services). The
 * scenario creates them in the bed itself, so that it runs without Metacontroller; what
 * Metacontroller adds (owner references to the parent, the controller-uid label) does not
 * change what Spark does.
 *
 * The namespace's Spark RBAC comes from deploy/spark-application-namespace/, as users apply it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IConfigMap, IPod, IService } from "kubernetes-models/v1";
import { parse as parseYaml, stringify } from "yaml";
import {
  SyncRequest,
  typeKey,
  type DesiredObject,
  type KubeObject,
} from "../../../hooks/metacontroller/protocol.js";
import { API_VERSION } from "../../../hooks/spark/api.js";
import { parseProperties } from "../../../hooks/spark/properties.js";
import { syncSparkApplication } from "../../../hooks/spark-application/sync.js";
import {
  EXECUTOR_TEMPLATE_FILE,
  SPARK_PROPERTIES_FILE,
  sparkPropertiesFile,
} from "../../../hooks/spark-application/spark-properties.js";
import type { ApplicationRun } from "../../../hooks/spark-application/names.js";
import { eventually } from "../eventually.js";
import { repoRoot } from "../paths.js";
import type { Kube } from "../scenarios/kube.js";
import { readManifests, serverSideApply, type Manifest } from "../scenarios/manifests.js";

export type Named<T> = T & { metadata: { name: string } };

export interface ApplicationChildren {
  readonly run: ApplicationRun;
  readonly driver: Named<IPod>;
  /** The ConfigMap with spark.properties and the executor template. */
  readonly configMap: Named<IConfigMap>;
  readonly services: Named<IService>[];
  readonly properties: Readonly<Record<string, string>>;
  readonly executorTemplate: IPod;
}

/** Edits of what the controller rendered, for negative controls. */
export interface ChildrenEdits {
  readonly properties?: (settings: Record<string, string>) => Record<string, string>;
  readonly template?: (template: IPod) => IPod;
}

/**
 * The controller's children for a new application `name` with this (kubeflow-style) spec, given
 * the related objects Metacontroller would send (the customize hook's: a SparkHistoryServer
 * spec.historyServer names, a spec.sparkConfigMap).
 */
export function applicationChildren(
  parent: { name: string; namespace: string; uid: string },
  spec: unknown,
  edits: ChildrenEdits = {},
  related: readonly KubeObject[] = [],
): ApplicationChildren {
  const byType: Record<string, Record<string, KubeObject>> = {};
  for (const object of related) {
    const key = typeKey(object.apiVersion, object.kind);
    byType[key] = { ...byType[key], [object.metadata.name]: object };
  }
  const body = {
    parent: {
      apiVersion: API_VERSION,
      kind: "SparkApplication",
      metadata: { ...parent, generation: 1 },
      spec,
    },
    children: {},
    related: byType,
  };
  const request = SyncRequest.parse(JSON.parse(JSON.stringify(body)));
  const result = syncSparkApplication(request, new Date());
  if (result.outcome !== "ok") {
    throw new Error(`the controller answered ${result.outcome}: ${JSON.stringify(result.response.status)}`);
  }
  const children = JSON.parse(JSON.stringify(result.response.children)) as DesiredObject[];
  const pods = children.filter((child) => child.kind === "Pod") as Named<IPod>[];
  const configMaps = children.filter((child) => child.kind === "ConfigMap") as Named<IConfigMap>[];
  const services = children.filter((child) => child.kind === "Service") as Named<IService>[];
  const configMap = configMaps.find((cm) => cm.data?.[SPARK_PROPERTIES_FILE] !== undefined);
  if (pods.length !== 1 || configMap === undefined) {
    throw new Error(
      `expected one driver pod and its ConfigMap, got ${children.map((c) => c.kind).join(", ")}`,
    );
  }
  const data = configMap.data ?? {};
  let properties = Object.fromEntries(
    parseProperties(data[SPARK_PROPERTIES_FILE] ?? "").entries.map((entry) => [entry.name, entry.value]),
  );
  let template = parseYaml(data[EXECUTOR_TEMPLATE_FILE] ?? "") as IPod;
  if (edits.properties !== undefined) properties = edits.properties({ ...properties });
  if (edits.template !== undefined) template = edits.template(template);
  const edited: Named<IConfigMap> = {
    ...configMap,
    data: {
      ...data,
      [SPARK_PROPERTIES_FILE]:
        edits.properties === undefined
          ? (data[SPARK_PROPERTIES_FILE] ?? "")
          : sparkPropertiesFile(properties),
      [EXECUTOR_TEMPLATE_FILE]:
        edits.template === undefined ? (data[EXECUTOR_TEMPLATE_FILE] ?? "") : stringify(template),
    },
  };
  return {
    run: { ...parent, attempt: 1 },
    driver: pods[0]!,
    configMap: edited,
    services,
    properties,
    executorTemplate: template,
  };
}

const RBAC_DIR = join(repoRoot, "deploy", "spark-application-namespace");

/** ServiceAccount spark-driver, its Role and RoleBinding, as `kubectl apply -k … -n <namespace>`. */
export function driverRbac(namespace: string): Manifest[] {
  const kustomization = parseYaml(readFileSync(join(RBAC_DIR, "kustomization.yaml"), "utf8")) as {
    resources: string[];
  };
  return kustomization.resources.flatMap((file) =>
    readManifests(join(RBAC_DIR, file)).map((object) => ({
      ...object,
      metadata: { ...object.metadata, namespace },
    })),
  );
}

/**
 * What a namespace needs before a driver pod can run in it: the driver's RBAC, and the
 * ConfigMap kube-root-ca.crt that the projected ServiceAccount volume of every pod names (the
 * controller-manager publishes it shortly after the namespace exists).
 */
export async function prepareDriverNamespace(kube: Kube, namespace: string): Promise<void> {
  for (const object of driverRbac(namespace)) await serverSideApply(kube, object);
  await eventually("ConfigMap kube-root-ca.crt", async () =>
    (await kube.send("GET", `/api/v1/namespaces/${namespace}/configmaps/kube-root-ca.crt`)).status === 200
      ? true
      : undefined,
  );
}
