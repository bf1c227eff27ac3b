/**
 * `sparkhooks render`, the pure part: SparkCluster documents (+ optionally the children that
 * exist now) → the objects the hook would ask Metacontroller to create, and the status it
 * would write. No files, no clock, no process: main.ts does the I/O.
 *
 * Each SparkCluster goes through what the cluster would do to it: the CRD's schema (the same
 * one `npm run gen:crds` writes, built in memory), then the sync hook the server runs, with a
 * request shaped like Metacontroller's (hook v1: children grouped by `<Kind>.<version>`, keyed
 * by name).
 */
import { parseAllDocuments, stringify, type Tags } from "yaml";
import { openApiSchemaFor } from "../crd/crd.js";
import { sparkClusterCrd } from "../crd/definitions.js";
import { KUBE_YAML } from "../crd/kube-yaml.js";
import { crdValidator, formatSchemaError, type Validator } from "../crd/validate.js";
import {
  KubeObject,
  SyncRequest,
  typeKey,
  type DesiredObject,
  type ObjectsByType,
} from "../metacontroller/protocol.js";
import { customizeSparkCluster } from "../spark-cluster/customize.js";
import { LABEL_INSTANCE } from "../spark/labels.js";
import { API_VERSION, KIND } from "../spark-cluster/schema.js";
import { CHILD_TYPES, syncSparkCluster } from "../spark-cluster/sync.js";

export interface RenderOptions {
  /** The time the hook sees: condition timestamps. Fixed, it makes the output reproducible. */
  readonly now: Date;
  /** Objects that exist now (Pods, Services, ConfigMaps), as `kubectl get -o yaml` prints them. */
  readonly observed?: readonly unknown[];
}

export type RenderResult =
  | { readonly ok: true; readonly output: string; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[]; readonly warnings: readonly string[] };

export interface ParsedYaml {
  readonly documents: unknown[];
  readonly errors: string[];
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * YAML as kubectl reads it (Go YAML, 1.1 rules): `yes`/`on` are booleans, `012` is octal; but
 * timestamps stay strings, as they do for Kubernetes. Empty documents are skipped and
 * `kind: List` documents (`kubectl get -o yaml`) are replaced by their items.
 */
export function parseYaml(text: string, source: string): ParsedYaml {
  const documents: unknown[] = [];
  const errors: string[] = [];
  const customTags = (tags: Tags): Tags =>
    tags.filter((tag) =>
      typeof tag === "string"
        ? !["timestamp", "intTime", "floatTime"].includes(tag)
        : tag.tag !== "tag:yaml.org,2002:timestamp" && tag.format !== "TIME",
    );
  parseAllDocuments(text, { version: "1.1", customTags }).forEach((document, index) => {
    if (document.errors.length > 0) {
      for (const error of document.errors)
        errors.push(`${source}: YAML document ${index + 1}: ${error.message}`);
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    if (
      isNode(value) &&
      typeof value["kind"] === "string" &&
      value["kind"].endsWith("List") &&
      Array.isArray(value["items"])
    ) {
      documents.push(...(value["items"] as unknown[]));
    } else {
      documents.push(value);
    }
  });
  return { documents, errors };
}

/** `SparkCluster spark-clusters/my-spark-cluster`, or the document's position without a name. */
function describe(document: unknown, index: number, defaultKind = "document"): string {
  if (!isNode(document)) return `document ${index + 1}`;
  const kind = typeof document["kind"] === "string" ? document["kind"] : defaultKind;
  const metadata = isNode(document["metadata"]) ? document["metadata"] : {};
  const name = metadata["name"];
  if (typeof name !== "string" || name === "") return `${kind} (document ${index + 1})`;
  const namespace = metadata["namespace"];
  return typeof namespace === "string" ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

let cachedValidator: Validator | undefined;
/** The CRD's schema as the API server enforces it, built from the zod source, not read from disk. */
function sparkClusterValidator(): Validator {
  cachedValidator ??= crdValidator(openApiSchemaFor(sparkClusterCrd));
  return cachedValidator;
}

/** A SparkCluster the API server would accept, with the namespace it would get; or why not. */
function admit(document: unknown, index: number): { cluster?: KubeObject; errors: string[] } {
  const label = describe(document, index);
  if (!isNode(document)) return { errors: [`${label}: not a Kubernetes object`] };
  if (document["kind"] !== KIND) {
    const kind = typeof document["kind"] === "string" ? `kind ${document["kind"]}` : "no kind";
    return { errors: [`${label}: ${kind}: render takes ${KIND} objects only`] };
  }
  const errors: string[] = [];
  if (document["apiVersion"] !== API_VERSION) {
    const hint =
      typeof document["apiVersion"] === "string" && document["apiVersion"].startsWith("radanalytics.io/")
        ? " (radanalytics manifests work after changing only apiVersion)"
        : "";
    errors.push(
      `${label}: apiVersion: must be ${API_VERSION}, got ${JSON.stringify(document["apiVersion"])}${hint}`,
    );
  }
  for (const error of sparkClusterValidator()(document)) errors.push(`${label}: ${formatSchemaError(error)}`);
  const metadata = isNode(document["metadata"]) ? document["metadata"] : undefined;
  const name = metadata?.["name"];
  if (typeof name !== "string" || name === "") errors.push(`${label}: metadata.name: Required value`);
  if (errors.length > 0 || metadata === undefined) return { errors };
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "default";
  const parsed = KubeObject.safeParse({ ...document, metadata: { ...metadata, namespace } });
  if (!parsed.success)
    return { errors: parsed.error.issues.map((i) => `${label}: ${i.path.join(".")}: ${i.message}`) };
  return { cluster: parsed.data, errors: [] };
}

interface Observed {
  readonly object: KubeObject;
  readonly label: string;
  claimed: boolean;
}

function parseObserved(documents: readonly unknown[], errors: string[], warnings: string[]): Observed[] {
  const observed: Observed[] = [];
  documents.forEach((document, index) => {
    const label = `--observed ${describe(document, index)}`;
    const parsed = KubeObject.safeParse(document);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push(`${label}: ${issue.path.join(".") || "object"}: ${issue.message}`);
      return;
    }
    const { apiVersion, kind } = parsed.data;
    if (!CHILD_TYPES.some((type) => type.apiVersion === apiVersion && type.kind === kind)) {
      const types = CHILD_TYPES.map((type) => type.kind).join(", ");
      warnings.push(`${label}: ignored: a ${KIND} has children of kinds ${types} only`);
      return;
    }
    observed.push({ object: parsed.data, label, claimed: false });
  });
  return observed;
}

/** Who owns an observed object: its controller reference, or else the instance label. */
function belongsTo(object: KubeObject, cluster: KubeObject): boolean {
  if ((object.metadata.namespace ?? cluster.metadata.namespace) !== cluster.metadata.namespace) return false;
  const references = (object.metadata as { ownerReferences?: unknown }).ownerReferences;
  const owner = Array.isArray(references)
    ? (references as unknown[]).find(
        (ref) => isNode(ref) && ref["kind"] === KIND && ref["controller"] === true,
      )
    : undefined;
  if (isNode(owner)) return owner["name"] === cluster.metadata.name;
  return object.metadata.labels?.[LABEL_INSTANCE] === cluster.metadata.name;
}

function add(objects: ObjectsByType, object: KubeObject): void {
  const key = typeKey(object.apiVersion, object.kind);
  objects[key] = { ...objects[key], [object.metadata.name]: object };
}

/** The request Metacontroller would send: owned children, and the ConfigMaps customize asks for. */
function syncRequestFor(cluster: KubeObject, observed: readonly Observed[]): SyncRequest {
  const relatedNames = new Set(
    customizeSparkCluster({ parent: cluster })
      .relatedResources.filter((rule) => rule.apiVersion === "v1" && rule.resource === "configmaps")
      .flatMap((rule) => rule.names ?? []),
  );
  const children: ObjectsByType = {};
  const related: ObjectsByType = {};
  for (const entry of observed) {
    const { object } = entry;
    const sameNamespace =
      (object.metadata.namespace ?? cluster.metadata.namespace) === cluster.metadata.namespace;
    if (object.kind === "ConfigMap" && sameNamespace && relatedNames.has(object.metadata.name)) {
      add(related, object);
      entry.claimed = true;
    } else if (belongsTo(object, cluster)) {
      add(children, object);
      entry.claimed = true;
    }
  }
  return SyncRequest.parse({ parent: cluster, children, related, finalizing: false });
}

/** Metacontroller creates children in the parent's namespace; say so, for `kubectl apply`. */
function inNamespace(child: DesiredObject, namespace: string): Node {
  const { name, ...metadata } = child.metadata as { name: string } & Node;
  return { ...child, metadata: { name, namespace, ...metadata } };
}

function commented(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => (line === "" ? "#" : `#   ${line}`))
    .join("\n");
}

function readyMessage(status: Readonly<Record<string, unknown>>): string {
  const conditions = Array.isArray(status["conditions"]) ? (status["conditions"] as unknown[]) : [];
  const ready = conditions.find((c) => isNode(c) && c["type"] === "Ready");
  return isNode(ready) && typeof ready["message"] === "string"
    ? ready["message"]
    : "the hook rejected the spec";
}

export function render(documents: readonly unknown[], options: RenderOptions): RenderResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const clusters: KubeObject[] = [];
  documents.forEach((document, index) => {
    const admitted = admit(document, index);
    errors.push(...admitted.errors);
    if (admitted.cluster !== undefined) clusters.push(admitted.cluster);
  });
  if (documents.length === 0) errors.push(`no ${KIND} in the input`);
  const observed = parseObserved(options.observed ?? [], errors, warnings);
  if (errors.length > 0) return { ok: false, errors, warnings };

  const blocks: string[] = [];
  for (const cluster of clusters) {
    const namespace = cluster.metadata.namespace ?? "default";
    const label = `${KIND} ${namespace}/${cluster.metadata.name}`;
    const { response, outcome } = syncSparkCluster(syncRequestFor(cluster, observed), options.now);
    if (outcome === "invalid_spec") {
      errors.push(`${label}: InvalidSpec: ${readyMessage(response.status)}`);
      continue;
    }
    for (const child of response.children) {
      blocks.push(`---\n${stringify(inNamespace(child, namespace), KUBE_YAML)}`);
    }
    blocks.push(
      `---\n# Status of ${label}, as the hook would write it (a comment, not an object to apply):\n` +
        `${commented(stringify(response.status, KUBE_YAML))}\n`,
    );
  }
  for (const entry of observed) {
    if (!entry.claimed) warnings.push(`${entry.label}: ignored: it belongs to no ${KIND} in the input`);
  }
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, output: blocks.join(""), warnings };
}
