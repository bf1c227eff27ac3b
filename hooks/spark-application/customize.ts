/**
 * Customize: the objects a SparkApplication's sync needs besides its own children.
 *
 * - Its executors. Spark's driver creates them and makes the driver pod their owner, so they
 *   are not the application's children (Metacontroller would delete them otherwise); they are
 *   related Pods, found by the labels our executor template gives them. The rule names the
 *   application, not the run, because Metacontroller caches this answer per generation while
 *   runs change without one; sync keeps the current run's by spark-app-selector.
 * - spec.sparkConfigMap, whose files become part of the driver's configuration.
 * - spec.historyServer's SparkHistoryServer, which says where a new run writes its event logs.
 */
import type { CustomizeRequest, CustomizeResponse, RelatedResourceRule } from "../metacontroller/protocol.js";
import { HistoryServerReference, historyServerRelatedRules } from "../spark/event-log.js";
import { selectorLabels } from "../spark/labels.js";
import { EXECUTOR_COMPONENT } from "./executor-template.js";

function sparkConfigMapOf(rawSpec: unknown): string | undefined {
  if (typeof rawSpec !== "object" || rawSpec === null) return undefined;
  const name = (rawSpec as { sparkConfigMap?: unknown }).sparkConfigMap;
  return typeof name === "string" && name.length > 0 ? name : undefined;
}

/** The history server reference, if the raw spec has a usable one (sync reports the rest). */
function historyServerOf(rawSpec: unknown): HistoryServerReference | undefined {
  if (typeof rawSpec !== "object" || rawSpec === null) return undefined;
  const parsed = HistoryServerReference.safeParse((rawSpec as { historyServer?: unknown }).historyServer);
  return parsed.success ? parsed.data : undefined;
}

export function customizeSparkApplication(request: CustomizeRequest): CustomizeResponse {
  const { parent } = request;
  // Hook v1 only admits the parent's own namespace for a namespaced parent.
  const namespace = parent.metadata.namespace === undefined ? {} : { namespace: parent.metadata.namespace };
  const executors: RelatedResourceRule = {
    apiVersion: "v1",
    resource: "pods",
    ...namespace,
    labelSelector: { matchLabels: selectorLabels(parent.metadata.name, EXECUTOR_COMPONENT) },
  };
  const rawSpec = (parent as { spec?: unknown }).spec;
  const configMap = sparkConfigMapOf(rawSpec);
  return {
    relatedResources: [
      executors,
      ...(configMap === undefined
        ? []
        : [{ apiVersion: "v1", resource: "configmaps", ...namespace, names: [configMap] }]),
      ...historyServerRelatedRules(historyServerOf(rawSpec), parent.metadata.namespace),
    ],
  };
}
