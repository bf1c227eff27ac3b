/**
 * A small REST client for scenarios: the exact verbs and patch types a user's kubectl sends,
 * with the API server's own errors surfaced unchanged.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { parse as parseYaml } from "yaml";
import { kubeRequest, type Connection, type KubeResponse } from "../bed/kube.js";

export type { KubeResponse };

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    const message = (body as { message?: string } | undefined)?.message ?? JSON.stringify(body);
    super(`${what}: ${status} ${message}`);
  }
}

interface KubeconfigFile {
  clusters: {
    name: string;
    cluster: { server: string; "certificate-authority-data"?: string };
  }[];
  users: { name: string; user: { token?: string } }[];
}

/** The bed's JSON client (bed/kube.ts) bound to a kubeconfig, with throwing helpers. */
export class Kube {
  private readonly connection: Connection;

  constructor(kubeconfigPath: string) {
    const config = parseYaml(readFileSync(kubeconfigPath, "utf8")) as KubeconfigFile;
    const cluster = config.clusters[0]?.cluster;
    const token = config.users[0]?.user.token;
    if (cluster === undefined || token === undefined)
      throw new Error(`${kubeconfigPath}: no cluster or token`);
    const caData = cluster["certificate-authority-data"];
    this.connection = {
      server: cluster.server,
      token,
      caPem: caData === undefined ? undefined : Buffer.from(caData, "base64").toString("utf8"),
    };
  }

  get server(): string {
    return this.connection.server;
  }

  send<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<KubeResponse<T>> {
    return kubeRequest<T>(this.connection, method, path, body, contentType);
  }

  credentials(): { token: string; ca: string | undefined } {
    return { token: this.connection.token, ca: this.connection.caPem };
  }

  /** Like `send`, but any status ≥ 300 throws with the API server's message. */
  async call<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.send<T>(method, path, body, contentType);
    if (res.status >= 300) throw new KubeError(res.status, res.body, `${method} ${path}`);
    return res.body;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  create<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>("POST", path, body);
  }

  mergePatch<T = unknown>(path: string, patch: unknown): Promise<T> {
    return this.call<T>("PATCH", path, patch, "application/merge-patch+json");
  }

  delete(path: string): Promise<unknown> {
    return this.call("DELETE", path, { propagationPolicy: "Background" });
  }
}

export interface ObjectList<T> {
  readonly items: T[];
}

export interface PodView {
  readonly metadata: {
    name: string;
    uid: string;
    creationTimestamp: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  readonly spec: { nodeName?: string; containers: { image: string; args?: string[] }[] };
  readonly status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  };
}

export function isReady(pod: PodView): boolean {
  return (
    pod.status?.phase === "Running" &&
    (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

export interface WatchEvent<T> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  readonly object: T;
}

/**
 * Streams watch events of a collection until the returned stop function is called. `onEnd` is
 * called once if the stream ends by itself (the API server closes watches after a timeout) or
 * fails; not after stop().
 */
export function watch<T>(
  kube: Kube,
  path: string,
  onEvent: (event: WatchEvent<T>) => void,
  onEnd?: (error?: Error) => void,
): () => void {
  const url = new URL(path, kube.server);
  url.searchParams.set("watch", "1");
  const { token, ca } = kube.credentials();
  let buffered = "";
  let done = false;
  const end = (error?: Error): void => {
    if (done) return;
    done = true;
    onEnd?.(error);
  };
  const req = request(
    url,
    {
      method: "GET",
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      ...(ca === undefined ? { rejectUnauthorized: false } : { ca }),
    },
    (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        end(new Error(`watch ${path}: HTTP ${res.statusCode ?? 0}`));
        return;
      }
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf("\n");
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line.length > 0 && !done) onEvent(JSON.parse(line) as WatchEvent<T>);
          newline = buffered.indexOf("\n");
        }
      });
      res.on("end", () => end());
      res.on("error", (error) => end(error));
    },
  );
  req.on("error", (error) => end(error));
  req.end();
  return () => {
    done = true;
    req.destroy();
  };
}
