/**
 * The children of one SparkApplication run, built from the pure functions on main (driverPod,
 * driverSparkConf, sparkPropertiesFile, driverSize) plus minimal builders of our own for what
 * the controller's sync will render: the ConfigMap with spark.properties and the executor pod
 * template, and the driver's headless Service. Stand-ins until hooks/spark-application/sync.ts
 * lands; then the scenario takes the controller's children (or lets Metacontroller create them)
 * and these builders go.
 *
 * Also the namespace's Spark RBAC: ServiceAccount `spark-driver` and a Role with what the driver
 * does (create/watch/delete its executor pods, their ConfigMap and, when asked to, PVCs), as
 * kubeflow's chart grants it; to be replaced by deploy/spark-application-namespace/ once it lands.
 */
import type { IConfigMap, IPod, IService, IServiceAccount } from "kubernetes-models/v1";
import type { IRole, IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { stringify } from "yaml";
import { SPARK_APP_SELECTOR, SPARK_ROLE, selectorLabels } from "../../../hooks/spark/labels.js";
import {
  containerSecurityContext,
  podSecurityContext,
  WRITABLE_VOLUMES,
  writableMounts,
} from "../../../hooks/spark/security.js";
import { driverPod } from "../../../hooks/spark-application/driver-pod.js";
import { driverSize } from "../../../hooks/spark-application/driver-size.js";
import {
  driverConfigMapName,
  driverServiceName,
  sparkAppId,
  type ApplicationRun,
} from "../../../hooks/spark-application/names.js";
import type { SparkApplicationSpec } from "../../../hooks/spark-application/schema.js";
import {
  BLOCK_MANAGER_PORT,
  DRIVER_PORT,
  driverSparkConf,
  EXECUTOR_TEMPLATE_FILE,
  SPARK_PROPERTIES_FILE,
  sparkPropertiesFile,
  UI_PORT,
} from "../../../hooks/spark-application/spark-properties.js";

export const EXECUTOR_COMPONENT = "executor";
/** Spark's default executor container name (spark.kubernetes.executor.podTemplateContainerName). */
export const EXECUTOR_CONTAINER = "spark-kubernetes-executor";
export const DRIVER_SERVICE_ACCOUNT = "spark-driver";

/**
 * The executor pod template Spark's KubernetesExecutorBuilder starts every executor pod from: our labels (the
 * controller's customize hook selects executors by them), the same Pod Security "restricted"
 * contexts as the driver, and writable /tmp and work-dir with a read-only root filesystem.
 * Spark adds image, command, env, resources, its own labels and the owner reference.
 */
export function executorTemplate(run: ApplicationRun, spec: SparkApplicationSpec): IPod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { labels: selectorLabels(run.name, EXECUTOR_COMPONENT) },
    spec: {
      enableServiceLinks: false,
      securityContext: podSecurityContext(spec.executor.podSecurityContext, { fixedUserIds: true }),
      containers: [
        {
          name: EXECUTOR_CONTAINER,
          securityContext: containerSecurityContext(spec.executor.securityContext),
          volumeMounts: writableMounts(),
        },
      ],
      volumes: [...WRITABLE_VOLUMES],
    },
  };
}

export interface ApplicationChildren {
  readonly driver: IPod & { metadata: { name: string } };
  readonly configMap: IConfigMap & { metadata: { name: string } };
  readonly service: IService & { metadata: { name: string } };
  readonly properties: Readonly<Record<string, string>>;
  readonly executorTemplate: IPod;
}

/** `edit` changes the settings before they are written (negative controls). */
export function applicationChildren(
  run: ApplicationRun,
  spec: SparkApplicationSpec,
  edit: {
    properties?: (settings: Record<string, string>) => Record<string, string>;
    template?: (template: IPod) => IPod;
  } = {},
): ApplicationChildren {
  const sized = driverSize(spec);
  if (!sized.ok) throw new Error(sized.errors.join("; "));
  const settings = driverSparkConf(run, spec, sized.size);
  const properties = edit.properties === undefined ? settings : edit.properties({ ...settings });
  const template =
    edit.template === undefined ? executorTemplate(run, spec) : edit.template(executorTemplate(run, spec));
  const name = driverConfigMapName(run);
  return {
    driver: driverPod(run, spec, sized.size),
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, labels: selectorLabels(run.name, "driver") },
      data: {
        [SPARK_PROPERTIES_FILE]: sparkPropertiesFile(properties),
        [EXECUTOR_TEMPLATE_FILE]: stringify(template),
      },
    },
    service: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: driverServiceName(run), labels: selectorLabels(run.name, "driver") },
      spec: {
        // Headless, as Spark's DriverServiceFeatureStep makes it: the name resolves to the pod IP.
        clusterIP: "None",
        selector: { [SPARK_APP_SELECTOR]: sparkAppId(run), [SPARK_ROLE]: "driver" },
        ports: [
          { name: "driver-rpc-port", port: DRIVER_PORT, targetPort: DRIVER_PORT, protocol: "TCP" },
          { name: "blockmanager", port: BLOCK_MANAGER_PORT, targetPort: BLOCK_MANAGER_PORT, protocol: "TCP" },
          { name: "spark-ui", port: UI_PORT, targetPort: UI_PORT, protocol: "TCP" },
        ],
      },
    },
    properties,
    executorTemplate: template,
  };
}

/** ServiceAccount, Role and RoleBinding the driver runs with. */
export function driverRbac(namespace: string): [IServiceAccount, IRole, IRoleBinding] {
  const name = DRIVER_SERVICE_ACCOUNT;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name, namespace },
      rules: [
        {
          apiGroups: [""],
          resources: ["pods", "services", "configmaps", "persistentvolumeclaims"],
          verbs: ["create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  ];
}
