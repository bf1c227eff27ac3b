/**
 * A CustomResourceDefinition from a small per-controller definition whose spec and status are
 * zod schemas: the same schemas the hook parses with, so the API server and the hook agree.
 */
import type {
  ICustomResourceColumnDefinition,
  ICustomResourceDefinition,
  IJSONSchemaProps,
} from "kubernetes-models/apiextensions.k8s.io/v1";
import type { z } from "zod";
import { structuralSchema } from "./structural.js";

export interface PrinterColumn {
  /** Column header in `kubectl get`. */
  readonly name: string;
  readonly type: "integer" | "number" | "string" | "boolean" | "date";
  /** Simple JSON path into the object, e.g. `.status.phase`. */
  readonly jsonPath: string;
  /** 0 = always shown; greater = only with `-o wide`. */
  readonly priority?: number;
  readonly description?: string;
}

export interface CrdDefinition {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  /** Checked by test/crd against the built-in short names: a collision shadows a core resource. */
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** The object's description, shown by `kubectl explain <kind>`. */
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  /** Paths of the scale subresource; omitted = no scale subresource. */
  readonly scale?: {
    readonly specReplicasPath: string;
    readonly statusReplicasPath: string;
    readonly labelSelectorPath?: string;
  };
  readonly printerColumns: readonly PrinterColumn[];
  /** The file holding the zod schemas, named in the generated file's header. */
  readonly source: string;
}

/** The standard descriptions of the fields every Kubernetes object has. */
const API_VERSION_DESCRIPTION =
  "APIVersion defines the versioned schema of this representation of an object. Servers should " +
  "convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: " +
  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION =
  "Kind is a string value representing the REST resource this object represents. Servers may infer " +
  "this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: " +
  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

export function crdName(definition: Pick<CrdDefinition, "plural" | "group">): string {
  return `${definition.plural}.${definition.group}`;
}

/**
 * The root `openAPIV3Schema`. `spec` defaults to `{}` when an empty spec is valid, so the API
 * server applies the nested defaults to an object created without a spec too.
 */
export function openApiSchemaFor(definition: CrdDefinition): IJSONSchemaProps {
  const emptySpecIsValid = definition.spec.safeParse({}).success;
  const spec = structuralSchema(definition.spec, {
    path: "spec",
    ...(emptySpecIsValid ? { default: {} } : {}),
  });
  return {
    description: definition.description,
    type: "object",
    properties: {
      apiVersion: { description: API_VERSION_DESCRIPTION, type: "string" },
      kind: { description: KIND_DESCRIPTION, type: "string" },
      metadata: { type: "object" },
      spec,
      status: structuralSchema(definition.status, { path: "status" }),
    },
  };
}

export function crdFor(definition: CrdDefinition): ICustomResourceDefinition {
  const columns: ICustomResourceColumnDefinition[] = definition.printerColumns.map((column) => ({
    name: column.name,
    type: column.type,
    jsonPath: column.jsonPath,
    ...(column.priority === undefined ? {} : { priority: column.priority }),
    ...(column.description === undefined ? {} : { description: column.description }),
  }));
  const scale = definition.scale;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(definition) },
    spec: {
      group: definition.group,
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular: definition.singular,
        shortNames: [...definition.shortNames],
        categories: [...definition.categories],
      },
      scope: "Namespaced",
      versions: [
        {
          name: definition.version,
          served: true,
          storage: true,
          // Metacontroller only reconciles parents that have a status subresource.
          subresources: {
            status: {},
            ...(scale === undefined
              ? {}
              : {
                  scale: {
                    specReplicasPath: scale.specReplicasPath,
                    statusReplicasPath: scale.statusReplicasPath,
                    ...(scale.labelSelectorPath === undefined
                      ? {}
                      : { labelSelectorPath: scale.labelSelectorPath }),
                  },
                }),
          },
          additionalPrinterColumns: columns,
          schema: { openAPIV3Schema: openApiSchemaFor(definition) },
        },
      ],
    },
  };
}
