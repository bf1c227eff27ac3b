/**
 * `<name>` (7077) and `<name>-ui` (8080), radanalytics' names. Both are plain ClusterIP
 * Services selecting the master: the name always resolves (a headless record only appears once
 * the pod is Ready) and a new master pod IP is absorbed by the virtual IP.
 *
 * Both carry the cluster's and the master's labels, as radanalytics' Services did, so label
 * queries and policies written for the master find its Services too; the selectors use only
 * our own labels, so a user label can never widen or narrow them.
 *
 * Their content depends on the cluster's name, labels and sparkWebUI only, never on pod state,
 * so they never flap. Fields the API server defaults are written out in their defaulted form,
 * so Metacontroller's merge never sees a difference to apply.
 */
import type { IService } from "kubernetes-models/v1";
import {
  APP_NAME,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGER,
  selectorLabels,
} from "../spark/labels.js";
import { MASTER_PORT, MASTER_UI_PORT, masterServiceName, uiServiceName } from "./names.js";
import type { SparkClusterSpec } from "./schema.js";

type NamedService = IService & { metadata: { name: string } };

function service(
  cluster: string,
  spec: SparkClusterSpec,
  name: string,
  portName: string,
  port: number,
): NamedService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      labels: {
        ...spec.labels,
        ...spec.master.labels,
        [LABEL_NAME]: APP_NAME,
        [LABEL_INSTANCE]: cluster,
        [LABEL_MANAGED_BY]: MANAGER,
      },
    },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(cluster, "master"),
      ports: [{ name: portName, port, targetPort: port, protocol: "TCP" }],
    },
  };
}

export function clusterServices(cluster: string, spec: SparkClusterSpec): NamedService[] {
  const master = service(cluster, spec, masterServiceName(cluster), "spark", MASTER_PORT);
  if (!spec.sparkWebUI) return [master];
  return [master, service(cluster, spec, uiServiceName(cluster), "http", MASTER_UI_PORT)];
}
