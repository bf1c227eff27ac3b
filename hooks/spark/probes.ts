/**
 * Probes on Spark's web UIs: every Spark daemon serves one, and it answers only once the JVM
 * has started and bound its ports.
 */
import type { IProbe } from "kubernetes-models/v1";
import { POD_IP_ENV } from "./env.js";

/** How often the kubelet asks and how many failures in a row it tolerates. */
export interface ProbeTiming {
  readonly periodSeconds: number;
  readonly failureThreshold: number;
}

function timing(options: ProbeTiming): Omit<IProbe, "httpGet" | "exec"> {
  return {
    periodSeconds: options.periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: options.failureThreshold,
    successThreshold: 1,
  };
}

/** The UI answers: the daemon is up. Says nothing about what it is doing. */
export function httpProbe(port: number, options: ProbeTiming): IProbe {
  return { httpGet: { path: "/", port, scheme: "HTTP" }, ...timing(options) };
}

/**
 * Passes when the daemon's JSON status (`GET /json/` on its UI; `/json` answers 301) matches
 * `pattern`, a grep basic regular expression: for a state the UI's mere answer cannot show.
 *
 * An exec probe running bash, because the apache/spark image has bash and grep but no HTTP
 * client; bash's own /dev/tcp opens the connection. It dials the pod IP, where the UI listens
 * in the pod and in the bed's emulation alike; exec probes run with the container's
 * environment, so `$POD_IP` is set, and /dev/tcp takes an IPv6 address without brackets.
 * HTTP/1.0 makes the server close the connection after its answer, so grep sees the end.
 */
export function uiJsonProbe(port: number, pattern: string, options: ProbeTiming): IProbe {
  if (pattern.includes("'")) throw new Error(`probe pattern ${pattern} contains a single quote`);
  const script = [
    `exec 3<>/dev/tcp/$${POD_IP_ENV.name}/${port}`,
    `printf 'GET /json/ HTTP/1.0\\r\\n\\r\\n' >&3`,
    `grep -q '${pattern}' <&3`,
  ].join(" && ");
  return { exec: { command: ["/bin/bash", "-c", script] }, ...timing(options) };
}
