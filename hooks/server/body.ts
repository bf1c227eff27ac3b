/**
 * Reads a request body as text without ever holding more than `limitBytes` of it.
 *
 * Not hono's `bodyLimit` middleware: it touches `request.body`, which makes
 * `@hono/node-server` wrap the socket in a web ReadableStream and gives up its fast path that
 * reads the Node stream straight into one Buffer. For an ~8 MB sync request that matters.
 */
import type { ReadableStreamReadResult } from "node:stream/web";

export type BodyText =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: "too_large" };

const TOO_LARGE = { ok: false, reason: "too_large" } as const;
const decoder = new TextDecoder();

export async function readBodyText(request: Request, limitBytes: number): Promise<BodyText> {
  const declared = declaredLength(request.headers);
  if (declared !== undefined) {
    // Node's HTTP parser never delivers more bytes than Content-Length (and rejects requests
    // that also send Transfer-Encoding), so checking the header bounds the read.
    if (declared > limitBytes) return TOO_LARGE;
    return { ok: true, text: await request.text() };
  }
  return readStreamed(request, limitBytes);
}

function declaredLength(headers: Headers): number | undefined {
  const value = headers.get("content-length");
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Chunked (or length-less) bodies: count while reading and stop at the limit. */
async function readStreamed(request: Request, limitBytes: number): Promise<BodyText> {
  const body = request.body;
  if (body === null) return { ok: true, text: "" };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    // Node's global types leave the chunk type open; request bodies are always bytes.
    const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0] !== undefined) {
    return { ok: true, text: decoder.decode(chunks[0]) };
  }
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, text: decoder.decode(joined) };
}
