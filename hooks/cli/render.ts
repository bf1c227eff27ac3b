/**
 * `sparkhooks render`, the pure part: custom resources of any registered controller (+
 * optionally the children that exist now) → the objects its hook would ask Metacontroller to
 * create, and the status it would write. No files, no clock, no process: main.ts does the I/O.
 *
 * Each resource goes through what the cluster would do to it: its CRD's schema (the same one
 * `npm run gen:crds` writes, built in memory), then the sync hook the server runs, with a
 * request shaped like Metacontroller's (hook v1: children grouped by `<Kind>.<version>`, keyed
 * by name, and the related objects its customize hook asks for).
 */
import { parseAllDocuments, stringify, type Tags } from "yaml";
import type { ControllerModule } from "../controller.js";
import { controllers as registered } from "../controllers.js";
import { openApiSchemaFor } from "../crd/crd.js";
import { KUBE_YAML } from "../crd/kube-yaml.js";
import { crdValidator, formatSchemaError, type Validator } from "../crd/validate.js";
import {
  KubeObject,
  SyncRequest,
  typeKey,
  type DesiredObject,
  type ObjectsByType,
} from "../metacontroller/protocol.js";
import { LABEL_INSTANCE } from "../spark/labels.js";

export interface RenderOptions {
  /** The time the hook sees: condition timestamps. Fixed, it makes the output reproducible. */
  readonly now: Date;
  /** Objects that exist now (children, related objects), as `kubectl get -o yaml` prints them. */
  readonly observed?: readonly unknown[];
  /** The controllers whose resources can be rendered; every registered one unless a test says otherwise. */
  readonly controllers?: readonly ControllerModule[];
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

/** "A", "A or B", "A, B or C". */
function oneOf(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
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

const validators = new WeakMap<ControllerModule, Validator>();
/** The CRD's schema as the API server enforces it, built from the zod source, not read from disk. */
function validatorOf(controller: ControllerModule): Validator {
  let validator = validators.get(controller);
  if (validator === undefined) {
    validator = crdValidator(openApiSchemaFor(controller.crd));
    validators.set(controller, validator);
  }
  return validator;
}

interface Parent {
  readonly object: KubeObject;
  readonly controller: ControllerModule;
}

/**
 * A resource the API server would accept, with the controller of its kind and the namespace
 * it would get; or why not.
 */
function admit(
  document: unknown,
  index: number,
  controllers: readonly ControllerModule[],
): { parent?: Parent; errors: string[] } {
  const label = describe(document, index);
  if (!isNode(document)) return { errors: [`${label}: not a Kubernetes object`] };
  const controller = controllers.find((candidate) => candidate.kind === document["kind"]);
  if (controller === undefined) {
    const kind = typeof document["kind"] === "string" ? `kind ${document["kind"]}` : "no kind";
    const kinds = oneOf(controllers.map((candidate) => candidate.kind));
    return { errors: [`${label}: ${kind}: render takes ${kinds} objects only`] };
  }
  const errors: string[] = [];
  if (document["apiVersion"] !== controller.apiVersion) {
    const hint =
      typeof document["apiVersion"] === "string" && document["apiVersion"].startsWith("radanalytics.io/")
        ? " (radanalytics manifests work after changing only apiVersion)"
        : "";
    errors.push(
      `${label}: apiVersion: must be ${controller.apiVersion}, got ${JSON.stringify(document["apiVersion"])}${hint}`,
    );
  }
  for (const error of validatorOf(controller)(document)) errors.push(`${label}: ${formatSchemaError(error)}`);
  const metadata = isNode(document["metadata"]) ? document["metadata"] : undefined;
  const name = metadata?.["name"];
  if (typeof name !== "string" || name === "") errors.push(`${label}: metadata.name: Required value`);
  if (errors.length > 0 || metadata === undefined) return { errors };
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "default";
  const parsed = KubeObject.safeParse({ ...document, metadata: { ...metadata, namespace } });
  if (!parsed.success)
    return { errors: parsed.error.issues.map((i) => `${label}: ${i.path.join(".")}: ${i.message}`) };
  return { parent: { object: parsed.data, controller }, errors: [] };
}

interface Observed {
  readonly object: KubeObject;
  readonly label: string;
  claimed: boolean;
  /**
   * From --observed, where every object is meant as a child or related object; an object in
   * the -f input that no parent uses (a ConfigMap the driver mounts) is simply applied with it.
   */
  readonly mustBeClaimed: boolean;
}

function isChildOf(controller: ControllerModule, object: KubeObject): boolean {
  return controller.childTypes.some(
    (type) => type.apiVersion === object.apiVersion && type.kind === object.kind,
  );
}

function parseObserved(
  documents: readonly unknown[],
  controllers: readonly ControllerModule[],
  errors: string[],
  warnings: string[],
  source: string,
): Observed[] {
  const observed: Observed[] = [];
  documents.forEach((document, index) => {
    const label = `${source} ${describe(document, index)}`;
    const parsed = KubeObject.safeParse(document);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push(`${label}: ${issue.path.join(".") || "object"}: ${issue.message}`);
      return;
    }
    if (!controllers.some((controller) => isChildOf(controller, parsed.data))) {
      const owners = controllers.map(
        (controller) =>
          `a ${controller.kind} has children of kinds ${controller.childTypes.map((type) => type.kind).join(", ")} only`,
      );
      warnings.push(`${label}: ignored: ${owners.join("; ")}`);
      return;
    }
    observed.push({ object: parsed.data, label, claimed: false, mustBeClaimed: source === "--observed" });
  });
  return observed;
}

/** Who owns an observed object: its controller reference, or else the instance label. */
function belongsTo(object: KubeObject, parent: Parent): boolean {
  const cluster = parent.object;
  if (!isChildOf(parent.controller, object)) return false;
  if ((object.metadata.namespace ?? cluster.metadata.namespace) !== cluster.metadata.namespace) return false;
  const references = (object.metadata as { ownerReferences?: unknown }).ownerReferences;
  const owner = Array.isArray(references)
    ? (references as unknown[]).find(
        (ref) => isNode(ref) && ref["kind"] === parent.controller.kind && ref["controller"] === true,
      )
    : undefined;
  if (isNode(owner)) return owner["name"] === cluster.metadata.name;
  return object.metadata.labels?.[LABEL_INSTANCE] === cluster.metadata.name;
}

function add(objects: ObjectsByType, object: KubeObject): void {
  const key = typeKey(object.apiVersion, object.kind);
  objects[key] = { ...objects[key], [object.metadata.name]: object };
}

/**
 * The objects the controller's customize hook asks for, as `<apiVersion> <kind> <name>`. Rules
 * name a resource; render knows the kinds of the controller's child types only, which is
 * every type `--observed` accepts.
 */
function relatedKeys(parent: Parent): Set<string> {
  const customize = parent.controller.customize;
  if (customize === undefined) return new Set();
  return new Set(
    customize({ parent: parent.object }).relatedResources.flatMap((rule) => {
      const type = parent.controller.childTypes.find(
        (candidate) => candidate.apiVersion === rule.apiVersion && candidate.resource === rule.resource,
      );
      if (type === undefined) return [];
      return (rule.names ?? []).map((name) => `${type.apiVersion} ${type.kind} ${name}`);
    }),
  );
}

/** The request Metacontroller would send: owned children, and the objects customize asks for. */
function syncRequestFor(parent: Parent, observed: readonly Observed[]): SyncRequest {
  const cluster = parent.object;
  const wanted = relatedKeys(parent);
  const children: ObjectsByType = {};
  const related: ObjectsByType = {};
  for (const entry of observed) {
    const { object } = entry;
    const sameNamespace =
      (object.metadata.namespace ?? cluster.metadata.namespace) === cluster.metadata.namespace;
    const key = `${object.apiVersion} ${object.kind} ${object.metadata.name}`;
    if (sameNamespace && wanted.has(key)) {
      add(related, object);
      entry.claimed = true;
    } else if (belongsTo(object, parent)) {
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
  const controllers = options.controllers ?? registered;
  const kinds = oneOf(controllers.map((controller) => controller.kind));
  const errors: string[] = [];
  const warnings: string[] = [];
  const parents: Parent[] = [];
  // Objects of a child type in the same input (the ConfigMap a cluster's sparkConfigurationMap
  // names) are taken as existing, the way `kubectl apply -f` of the same file creates them.
  // A kind that is a parent of its own controller (a SparkApplication, also a run of a
  // ScheduledSparkApplication) is rendered as a parent.
  const isAlongside = (document: unknown): boolean =>
    KubeObject.safeParse(document).success &&
    controllers.some((controller) => isChildOf(controller, document as KubeObject)) &&
    !controllers.some(
      (controller) =>
        controller.kind === (document as KubeObject).kind &&
        controller.apiVersion === (document as KubeObject).apiVersion,
    );
  documents.forEach((document, index) => {
    if (isAlongside(document)) return;
    const admitted = admit(document, index, controllers);
    errors.push(...admitted.errors);
    if (admitted.parent !== undefined) parents.push(admitted.parent);
  });
  if (parents.length === 0 && errors.length === 0) errors.push(`no ${kinds} in the input`);
  const observed = [
    ...parseObserved(documents.filter(isAlongside), controllers, errors, warnings, "-f"),
    ...parseObserved(options.observed ?? [], controllers, errors, warnings, "--observed"),
  ];
  if (errors.length > 0) return { ok: false, errors, warnings };

  const blocks: string[] = [];
  for (const parent of parents) {
    const cluster = parent.object;
    const namespace = cluster.metadata.namespace ?? "default";
    const label = `${parent.controller.kind} ${namespace}/${cluster.metadata.name}`;
    const { response, outcome } = parent.controller.sync(syncRequestFor(parent, observed), options.now);
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
    if (!entry.claimed && entry.mustBeClaimed)
      warnings.push(`${entry.label}: ignored: it belongs to no ${kinds} in the input`);
  }
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, output: blocks.join(""), warnings };
}
