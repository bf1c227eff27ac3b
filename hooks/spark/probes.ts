/**
 * Probes on Spark's web UIs: every Spark daemon serves one, and it answers only once the JVM
 * has started and bound its ports.
 */
import type { IProbe } from "kubernetes-models/v1";

export function httpProbe(
  port: number,
  options: { periodSeconds: number; failureThreshold: number },
): IProbe {
  return {
    httpGet: { path: "/", port, scheme: "HTTP" },
    periodSeconds: options.periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: options.failureThreshold,
    successThreshold: 1,
  };
}
