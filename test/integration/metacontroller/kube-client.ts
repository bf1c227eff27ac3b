/**
 * The API access the CompositeController runtime needs, and nothing more: JSON requests that
 * return the status instead of throwing, line-delimited watch streams, and API discovery.
 *
 * Authentication (token, client certificate, CA) comes from the kubeconfig through
 * `@kubernetes/client-node`'s KubeConfig; the requests themselves go through node:http(s) so the
 * runtime sees every status code and can count its own writes.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import type { JsonObject } from "./merge.js";

export type Verb = "create" | "update" | "delete" | "status";

export interface ApiResponse {
  readonly status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  readonly body: unknown;
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    const message = (body as { message?: unknown } | undefined)?.message;
    super(`${what}: ${status} ${typeof message === "string" ? message : JSON.stringify(body)}`);
  }

  get reason(): string | undefined {
    const reason = (this.body as { reason?: unknown } | undefined)?.reason;
    return typeof reason === "string" ? reason : undefined;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 409;
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof ApiError && err.status === 409 && err.reason === "AlreadyExists";
export const isGone = (err: unknown): boolean => err instanceof ApiError && err.status === 410;

export interface RequestOpts {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export interface WatchEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  readonly object: JsonObject;
}

/** Called for every mutating request the client sends (after the answer, with its status). */
export type WriteListener = (verb: Verb, method: string, path: string, status: number) => void;

export class KubeClient {
  private writeListeners: WriteListener[] = [];

  private constructor(
    readonly server: URL,
    private readonly options: RequestOptions,
  ) {}

  static async fromKubeconfig(kubeconfigPath: string): Promise<KubeClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error(`${kubeconfigPath}: no current cluster`);
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return new KubeClient(new URL(cluster.server), options);
  }

  onWrite(listener: WriteListener): void {
    this.writeListeners.push(listener);
  }

  private url(path: string, query: RequestOpts["query"]): URL {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  private open(method: string, url: URL, headers: OutgoingHttpHeaders): ReturnType<typeof httpsRequest> {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return request(url, {
      ...this.options,
      method,
      headers: { ...(this.options.headers ?? {}), accept: "application/json", ...headers },
    });
  }

  /** One request; resolves with any HTTP status, rejects only on transport errors. */
  async request(method: string, path: string, opts: RequestOpts = {}): Promise<ApiResponse> {
    const url = this.url(path, opts.query);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const response = await new Promise<ApiResponse>((resolve, reject) => {
      const req = this.open(
        method,
        url,
        payload === undefined
          ? {}
          : {
              "content-type": opts.contentType ?? "application/json",
              "content-length": Buffer.byteLength(payload),
            },
      );
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on("error", reject);
      req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
    const verb = verbOf(method, path);
    if (verb !== undefined)
      for (const listener of this.writeListeners) listener(verb, method, path, response.status);
    return response;
  }

  /** Like `request`, but a non-2xx status becomes an ApiError. */
  async call<T = JsonObject>(method: string, path: string, opts: RequestOpts = {}): Promise<T> {
    const response = await this.request(method, path, opts);
    if (response.status < 200 || response.status >= 300) {
      throw new ApiError(response.status, response.body, `${method} ${path}`);
    }
    return response.body as T;
  }

  /**
   * A watch stream: calls `onEvent` for every event line until the server ends the stream, the
   * signal aborts it, or the connection fails. Resolves with the HTTP status (200 when the stream
   * ran), rejects on transport errors.
   */
  watch(
    path: string,
    query: RequestOpts["query"],
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<number> {
    const url = this.url(path, { ...query, watch: "true" });
    return new Promise<number>((resolve, reject) => {
      if (signal.aborted) {
        resolve(0);
        return;
      }
      const req = this.open("GET", url, {});
      const abort = (): void => {
        req.destroy();
        resolve(0);
      };
      signal.addEventListener("abort", abort, { once: true });
      req.on("response", (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          return;
        }
        let buffered = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line.length > 0) onEvent(JSON.parse(line) as WatchEvent);
          }
        });
        const ended = (): void => {
          signal.removeEventListener("abort", abort);
          resolve(200);
        };
        res.on("end", ended);
        // A reset connection may close the response without "end".
        res.on("close", ended);
        res.on("error", (err) => {
          signal.removeEventListener("abort", abort);
          if (signal.aborted) resolve(0);
          else reject(err);
        });
      });
      req.on("error", (err) => {
        signal.removeEventListener("abort", abort);
        if (signal.aborted) resolve(0);
        else reject(err);
      });
      req.end();
    });
  }
}

function verbOf(method: string, path: string): Verb | undefined {
  const bare = path.split("?")[0] ?? path;
  switch (method) {
    case "POST":
      return "create";
    case "PUT":
    case "PATCH":
      return bare.endsWith("/status") ? "status" : "update";
    case "DELETE":
      return "delete";
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Discovery

export interface ApiResource {
  readonly group: string;
  readonly version: string;
  /** `v1` or `group/version`. */
  readonly apiVersion: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly subresources: ReadonlySet<string>;
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Discovery per group/version, cached; a miss refetches that group/version once. */
export class Discovery {
  private readonly cache = new Map<string, ApiResource[]>();

  constructor(private readonly client: KubeClient) {}

  private async load(apiVersion: string, refresh: boolean): Promise<ApiResource[]> {
    const cached = this.cache.get(apiVersion);
    if (cached !== undefined && !refresh) return cached;
    const { group, version } = splitApiVersion(apiVersion);
    const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
    const response = await this.client.request("GET", path);
    if (response.status === 404) {
      this.cache.set(apiVersion, []);
      return [];
    }
    if (response.status !== 200) throw new ApiError(response.status, response.body, `GET ${path}`);
    const list = response.body as ApiResourceList;
    const all = list.resources ?? [];
    const resources = all
      .filter((r) => !r.name.includes("/"))
      .map((r): ApiResource => ({
        group,
        version,
        apiVersion,
        plural: r.name,
        kind: r.kind,
        namespaced: r.namespaced,
        subresources: new Set(
          all.filter((s) => s.name.startsWith(`${r.name}/`)).map((s) => s.name.slice(r.name.length + 1)),
        ),
      }));
    this.cache.set(apiVersion, resources);
    return resources;
  }

  private async find(
    apiVersion: string,
    match: (r: ApiResource) => boolean,
  ): Promise<ApiResource | undefined> {
    const found = (await this.load(apiVersion, false)).find(match);
    return found ?? (await this.load(apiVersion, true)).find(match);
  }

  async byResource(apiVersion: string, plural: string): Promise<ApiResource> {
    const found = await this.find(apiVersion, (r) => r.plural === plural);
    if (found === undefined)
      throw new Error(`discovery: can't find resource ${plural} in apiVersion ${apiVersion}`);
    return found;
  }

  async byKind(apiVersion: string, kind: string): Promise<ApiResource> {
    const found = await this.find(apiVersion, (r) => r.kind === kind);
    if (found === undefined)
      throw new Error(`discovery: can't find kind ${kind} in apiVersion ${apiVersion}`);
    return found;
  }
}

/** `/api/v1/namespaces/ns/pods`, `/apis/g/v/plural`, or with a name appended. */
export function resourcePath(resource: ApiResource, namespace?: string, name?: string): string {
  const base =
    resource.group === "" ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const ns =
    resource.namespaced && namespace !== undefined && namespace !== "" ? `/namespaces/${namespace}` : "";
  const tail = name === undefined ? "" : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${resource.plural}${tail}`;
}
