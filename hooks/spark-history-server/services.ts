/**
 * The Service `<name>` (port web-ui, radanalytics' name) in front of the history server pod, and
 * the Ingress `<name>` when `expose` asks for one.
 *
 * Their content depends on the spec only, never on pod state, so they never flap. Fields the
 * API server defaults are written in their defaulted form, so Metacontroller's merge never sees
 * a difference to apply.
 */
import type { IService } from "kubernetes-models/v1";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1";
import type { KubeObject } from "../metacontroller/protocol.js";
import {
  APP_NAME,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGER,
  selectorLabels,
} from "../spark/labels.js";
import { COMPONENT, ingressName, routeName, serviceName, UI_PORT_NAME } from "./names.js";
import type { SparkHistoryServerSpec } from "./schema.js";

function labels(server: string, spec: SparkHistoryServerSpec): Record<string, string> {
  return { ...spec.labels, [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: server, [LABEL_MANAGED_BY]: MANAGER };
}

export type ServiceChild = IService & { metadata: { name: string } };

export function historyService(server: string, spec: SparkHistoryServerSpec): ServiceChild {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: serviceName(server), labels: labels(server, spec) },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(server, COMPONENT),
      ports: [
        { name: UI_PORT_NAME, port: spec.internalPort, targetPort: spec.internalPort, protocol: "TCP" },
      ],
    },
  };
}

export type IngressChild = IIngress & { metadata: { name: string } };

/** The host of the Ingress rule; radanalytics' default "" means every host. */
export function ingressHost(spec: SparkHistoryServerSpec): string | undefined {
  return spec.host === undefined || spec.host === "" ? undefined : spec.host;
}

export function historyIngress(server: string, spec: SparkHistoryServerSpec): IngressChild {
  const host = ingressHost(spec);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: ingressName(server), labels: labels(server, spec) },
    spec: {
      ...(spec.ingressClassName === undefined ? {} : { ingressClassName: spec.ingressClassName }),
      rules: [
        {
          ...(host === undefined ? {} : { host }),
          http: {
            // The UI's links are absolute from "/" (no spark.ui.proxyBase), so it is served at the root.
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: serviceName(server), port: { name: UI_PORT_NAME } } },
              },
            ],
          },
        },
      ],
    },
  };
}

export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";

/** The parts of Gateway API's HTTPRoute (v1) the history server uses. */
export interface HTTPRouteChild {
  readonly apiVersion: typeof GATEWAY_API_VERSION;
  readonly kind: "HTTPRoute";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly parentRefs: readonly {
      readonly group: "gateway.networking.k8s.io";
      readonly kind: "Gateway";
      readonly name: string;
      readonly namespace?: string;
      readonly sectionName?: string;
    }[];
    readonly hostnames?: readonly string[];
    readonly rules: readonly {
      readonly matches: readonly { readonly path: { readonly type: "PathPrefix"; readonly value: string } }[];
      readonly backendRefs: readonly {
        readonly group: "";
        readonly kind: "Service";
        readonly name: string;
        readonly port: number;
        readonly weight: number;
      }[];
    }[];
  };
}

/**
 * The HTTPRoute of `expose` with `gateway`: `/` to the Service's UI port, for host when set.
 * Written in the form the API server defaults it to (group, kind, weight, the path match), so
 * Metacontroller's merge never sees a difference to apply.
 */
export function historyRoute(
  server: string,
  spec: SparkHistoryServerSpec & { gateway: NonNullable<SparkHistoryServerSpec["gateway"]> },
): HTTPRouteChild {
  const host = ingressHost(spec);
  const { gateway } = spec;
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: "HTTPRoute",
    metadata: { name: routeName(server), labels: labels(server, spec) },
    spec: {
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: gateway.name,
          ...(gateway.namespace === undefined ? {} : { namespace: gateway.namespace }),
          ...(gateway.sectionName === undefined ? {} : { sectionName: gateway.sectionName }),
        },
      ],
      ...(host === undefined ? {} : { hostnames: [host] }),
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [
            { group: "", kind: "Service", name: serviceName(server), port: spec.internalPort, weight: 1 },
          ],
        },
      ],
    },
  };
}

/** Where users reach the UI through the HTTPRoute: its host; the Gateway's address is not observed. */
export function routeURL(spec: SparkHistoryServerSpec): string | undefined {
  const host = ingressHost(spec);
  return host === undefined ? undefined : `http://${host}/`;
}

/**
 * Where users reach the UI through the Ingress: its host when set, else the first address the
 * Ingress controller reports in status, else unknown yet.
 */
export function ingressURL(
  spec: SparkHistoryServerSpec,
  observed: KubeObject | undefined,
): string | undefined {
  const host = ingressHost(spec);
  if (host !== undefined) return `http://${host}/`;
  const status = observed?.["status"] as { loadBalancer?: { ingress?: unknown } } | undefined;
  const entries = status?.loadBalancer?.ingress;
  if (!Array.isArray(entries)) return undefined;
  for (const entry of entries as unknown[]) {
    if (typeof entry !== "object" || entry === null) continue;
    const { hostname, ip } = entry as { hostname?: unknown; ip?: unknown };
    const address =
      typeof hostname === "string" && hostname !== "" ? hostname : typeof ip === "string" ? ip : undefined;
    if (address !== undefined && address !== "")
      return `http://${address.includes(":") ? `[${address}]` : address}/`;
  }
  return undefined;
}
