/**
 * Customize: ask Metacontroller to watch the user's configuration ConfigMap, so that sync
 * sees its files and a change to them rolls the cluster with the new configuration.
 */
import type { CustomizeRequest, CustomizeResponse } from "../metacontroller/protocol.js";
import { userConfigMapName } from "./sync.js";

export function customizeSparkCluster(request: CustomizeRequest): CustomizeResponse {
  const { parent } = request;
  const name = userConfigMapName(parent.metadata.name, (parent as { spec?: unknown }).spec);
  return {
    relatedResources: [
      {
        apiVersion: "v1",
        resource: "configmaps",
        // Hook v1 only admits the parent's own namespace for a namespaced parent.
        ...(parent.metadata.namespace === undefined ? {} : { namespace: parent.metadata.namespace }),
        names: [name],
      },
    ],
  };
}
