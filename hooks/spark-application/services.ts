/**
 * The Services of one run: the headless driver Service Spark's submission client would create
 * (DriverServiceFeatureStep), where the Spark version needs it, and the UI Service kubeflow
 * creates for every application (`<app>-ui-svc`, honouring sparkUIOptions).
 *
 * Both select the current attempt's driver by the two labels Spark itself puts on it,
 * `spark-app-selector` (the attempt's app id) and `spark-role=driver`: a finished driver kept for
 * its logs carries another app id, so neither Service ever routes to it. Labels the user asks
 * for go on the Services' metadata, never into a selector, and ours win over theirs.
 *
 * Their content depends on the spec and the attempt only, never on pod state, so they never flap.
 */
import type { IService, IServicePort } from "kubernetes-models/v1";
import { isDns1123Label, isQualifiedName } from "../kube/names.js";
import { SPARK_APP_SELECTOR, SPARK_ROLE, selectorLabels } from "../spark/labels.js";
import { driverServiceName, sparkAppId, uiServiceName, type ApplicationRun } from "./names.js";
import { driverServiceConf } from "./driver-conf-keys.js";
import type { SparkApplicationSpec } from "./schema.js";
import { BLOCK_MANAGER_PORT, DRIVER_PORT, reachesDriverByPodIp, UI_PORT } from "./spark-properties.js";

export type NamedService = IService & { metadata: { name: string } };

/** kubeflow's defaults for the UI Service port (pkg/common: DefaultSparkWebUIPort, …PortName). */
export const DEFAULT_UI_SERVICE_PORT = UI_PORT;
export const DEFAULT_UI_SERVICE_PORT_NAME = "spark-driver-ui-port";

/** Spark's names for the driver's ports (Constants.scala); the driver pod declares the same. */
const DRIVER_PORT_NAME = "driver-rpc-port";
const BLOCK_MANAGER_PORT_NAME = "blockmanager";
const UI_PORT_NAME = "spark-ui";

/** The driver pod of this attempt and no other: what Spark's own Services select on, too. */
function currentDriver(run: ApplicationRun): Record<string, string> {
  return { [SPARK_APP_SELECTOR]: sparkAppId(run), [SPARK_ROLE]: "driver" };
}

function serviceLabels(run: ApplicationRun, userLabels: Readonly<Record<string, string>> | undefined) {
  return {
    ...userLabels,
    ...selectorLabels(run.name, "driver"),
    // Spark labels its driver Service with the app id (DriverServiceFeatureStep).
    [SPARK_APP_SELECTOR]: sparkAppId(run),
  };
}

function tcp(name: string, port: number, targetPort = port): IServicePort {
  return { name, port, targetPort, protocol: "TCP" };
}

/**
 * Whether this run has a driver Service. Before Spark 4.1 executors reach the driver only
 * through it: spark.driver.host is `<svc>.<ns>.svc`, since a pod's own hostname resolves nowhere
 * else. From 4.1 spark.kubernetes.executor.useDriverPodIP (SPARK-53944) makes SparkContext
 * advertise spark.driver.bindAddress, the pod IP, and BasicExecutorFeatureStep builds the
 * executors' SPARK_DRIVER_URL from it, so nothing dials the Service. It is still rendered when
 * the user gave it annotations or labels (fields or sparkConf keys): kubeflow's examples scrape
 * Prometheus through annotations on exactly this Service.
 */
export function hasDriverService(spec: SparkApplicationSpec): boolean {
  const { annotations, labels } = driverServiceConf(spec);
  return !reachesDriverByPodIp(spec.sparkVersion) || annotations !== undefined || labels !== undefined;
}

/**
 * The headless driver Service as DriverServiceFeatureStep builds it: `clusterIP: None`, so its
 * DNS name resolves straight to the driver pod's IP, with Spark's three driver ports.
 *
 * Two differences from Spark, both deliberate:
 * - Spark 3.4+ writes `ipFamilyPolicy: SingleStack` and `ipFamilies: [IPv4]` by default
 *   (spark.kubernetes.driver.service.ipFamil*), which an IPv6-only cluster refuses; left out
 *   unless sparkConf sets them, the API server picks the cluster's own family.
 * - `publishNotReadyAddresses` stays unset, Spark's default (SPARK-58113 adds it in 4.3 as an
 *   option, default false, for drivers with a readiness probe). A headless Service publishes a
 *   pod only once it is Ready; Spark copes by waiting for its own pod to be Ready before it
 *   creates executors (SPARK-32975, spark.kubernetes.allocation.driver.readinessTimeout).
 */
export function driverService(run: ApplicationRun, spec: SparkApplicationSpec): NamedService | undefined {
  if (!hasDriverService(spec)) return undefined;
  const { annotations, labels, ipFamilyPolicy, ipFamilies } = driverServiceConf(spec);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: driverServiceName(run),
      labels: serviceLabels(run, labels),
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: {
      type: "ClusterIP",
      clusterIP: "None",
      ...(ipFamilyPolicy === undefined ? {} : { ipFamilyPolicy }),
      ...(ipFamilies === undefined ? {} : { ipFamilies }),
      selector: currentDriver(run),
      ports: [
        tcp(DRIVER_PORT_NAME, DRIVER_PORT),
        tcp(BLOCK_MANAGER_PORT_NAME, BLOCK_MANAGER_PORT),
        tcp(UI_PORT_NAME, UI_PORT),
      ],
    },
  };
}

/** The UI Service's port, kubeflow's status.driverInfo.webUIPort. */
export function uiServicePort(spec: SparkApplicationSpec): number {
  return spec.sparkUIOptions?.servicePort ?? DEFAULT_UI_SERVICE_PORT;
}

/**
 * `<app>-ui-svc`, kubeflow's UI Service (createWebUIService): servicePort (default 4040) and
 * servicePortName (default spark-driver-ui-port) in front of the driver's spark.ui.port, which the
 * hook fixes at 4040, of type serviceType (default ClusterIP).
 */
export function uiService(run: ApplicationRun, spec: SparkApplicationSpec): NamedService {
  const options = spec.sparkUIOptions;
  const annotations = options?.serviceAnnotations;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: uiServiceName(run),
      labels: serviceLabels(run, options?.serviceLabels),
      ...(annotations === undefined ? {} : { annotations: { ...annotations } }),
    },
    spec: {
      type: options?.serviceType ?? "ClusterIP",
      selector: currentDriver(run),
      ports: [tcp(options?.servicePortName ?? DEFAULT_UI_SERVICE_PORT_NAME, uiServicePort(spec), UI_PORT)],
    },
  };
}

function annotationProblems(
  field: string,
  annotations: Readonly<Record<string, string>> | undefined,
): string[] {
  return Object.keys(annotations ?? {})
    .filter((key) => !isQualifiedName(key))
    .map((key) => `${field}: ${JSON.stringify(key)} is not a valid annotation key`);
}

/**
 * What in the spec would make the API server refuse a Service, by rules the v1beta2 schema does
 * not state: a port name is a DNS-1123 label (lower case, digits, '-', at most 63), an annotation
 * key a qualified name such as example.com/key. Refused, the Service would fail every sync.
 */
export function serviceProblems(spec: SparkApplicationSpec): string[] {
  const portName = spec.sparkUIOptions?.servicePortName;
  return [
    ...(portName === undefined || isDns1123Label(portName)
      ? []
      : [
          `spec.sparkUIOptions.servicePortName: ${JSON.stringify(portName)} is not a valid port name ` +
            "(lower-case letters, digits and '-', at most 63 characters)",
        ]),
    ...(hasDriverService(spec)
      ? annotationProblems("spec.driver.serviceAnnotations", spec.driver.serviceAnnotations)
      : []),
    ...annotationProblems("spec.sparkUIOptions.serviceAnnotations", spec.sparkUIOptions?.serviceAnnotations),
  ];
}

/** Every Service of the run, in a stable order. */
export function applicationServices(run: ApplicationRun, spec: SparkApplicationSpec): NamedService[] {
  const driver = driverService(run, spec);
  return [...(driver === undefined ? [] : [driver]), uiService(run, spec)];
}
