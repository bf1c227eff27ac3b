/**
 * Customize: ask Metacontroller to watch the user's configuration ConfigMap, so that sync
 * sees its files and a change to them rolls the cluster with the new configuration; and the
 * SparkHistoryServer that spec.historyServer names, so that sync writes event logs where it
 * reads them and a change of its directory rolls the cluster too.
 */
import type { CustomizeRequest, CustomizeResponse } from "../metacontroller/protocol.js";
import { HistoryServerReference, historyServerRelatedRules } from "../spark/event-log.js";
import { userConfigMapName } from "./sync.js";

/** spec.historyServer when it parses; an invalid one is reported by sync, not here. */
function historyServerReference(rawSpec: unknown): HistoryServerReference | undefined {
  if (typeof rawSpec !== "object" || rawSpec === null) return undefined;
  const parsed = HistoryServerReference.safeParse((rawSpec as { historyServer?: unknown }).historyServer);
  return parsed.success ? parsed.data : undefined;
}

export function customizeSparkCluster(request: CustomizeRequest): CustomizeResponse {
  const { parent } = request;
  const rawSpec = (parent as { spec?: unknown }).spec;
  const name = userConfigMapName(parent.metadata.name, rawSpec);
  return {
    relatedResources: [
      {
        apiVersion: "v1",
        resource: "configmaps",
        // Hook v1 only admits the parent's own namespace for a namespaced parent.
        ...(parent.metadata.namespace === undefined ? {} : { namespace: parent.metadata.namespace }),
        names: [name],
      },
      ...historyServerRelatedRules(historyServerReference(rawSpec), parent.metadata.namespace),
    ],
  };
}
