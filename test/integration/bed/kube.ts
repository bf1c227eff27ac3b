// A minimal JSON client for the bed's API server (node:https, token auth, pinned CA), for the bed
// itself and for tests that want a raw request without @kubernetes/client-node.
import https from "node:https";

export interface Connection {
  /** https://127.0.0.1:<port> */
  server: string;
  token: string;
  /** CA of the serving certificate; without it TLS is not verified. */
  caPem?: string | undefined;
}

export interface KubeResponse<T = unknown> {
  status: number;
  /** Parsed JSON when the response was JSON, else the raw text. */
  body: T;
}

/**
 * One request. `body` objects are sent as JSON with `contentType` (default application/json; use
 * application/merge-patch+json etc. for PATCH). Never rejects on HTTP errors: check `status`.
 */
export async function kubeRequest<T = unknown>(
  conn: Connection,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  timeoutMs = 30_000,
): Promise<KubeResponse<T>> {
  const url = new URL(path, conn.server);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    Accept: "application/json",
    Authorization: `Bearer ${conn.token}`,
  };
  if (payload !== undefined) {
    headers["Content-Type"] = contentType;
    headers["Content-Length"] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        headers,
        timeout: timeoutMs,
        ...(conn.caPem !== undefined ? { ca: conn.caPem } : { rejectUnauthorized: false }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          if ((res.headers["content-type"] ?? "").includes("json") && text.length > 0) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like kubeRequest, but rejects unless the status is 2xx. */
export async function kubeOk<T = unknown>(
  conn: Connection,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<T> {
  const r = await kubeRequest<T>(conn, method, path, body, contentType);
  if (r.status < 200 || r.status >= 300) {
    throw new Error(`${method} ${path}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
  }
  return r.body;
}
