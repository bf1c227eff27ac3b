/**
 * Reads a request body as text without ever holding more than `limitBytes` of it, and only
 * while its bytes fit in the server's budget of bytes in flight (see budget.ts).
 *
 * Not hono's `bodyLimit` middleware: it touches `request.body`, which makes
 * `@hono/node-server` wrap the socket in a web ReadableStream and gives up its fast path that
 * reads the Node stream straight into one Buffer. For an ~11 MB sync request that matters.
 */
import type { ReadableStreamReadResult } from "node:stream/web";
import type { ByteBudget } from "./budget.js";

export interface BodyLimits {
  /** Largest body accepted. */
  readonly limitBytes: number;
  /** Shared by every call in flight; the caller releases `reservedBytes` once it has answered. */
  readonly budget: ByteBudget;
}

export type BodyText =
  | { readonly ok: true; readonly text: string; readonly reservedBytes: number }
  | { readonly ok: false; readonly reason: "too_large" | "busy" };

const TOO_LARGE = { ok: false, reason: "too_large" } as const;
const BUSY = { ok: false, reason: "busy" } as const;
const decoder = new TextDecoder();

/**
 * On success the body's bytes stay reserved in the budget, to be released by the caller; on
 * failure nothing is left reserved.
 */
export async function readBodyText(request: Request, limits: BodyLimits): Promise<BodyText> {
  const declared = declaredLength(request.headers);
  if (declared === undefined) return readStreamed(request, limits);
  // Node's HTTP parser never delivers more bytes than Content-Length (and rejects requests
  // that also send Transfer-Encoding), so checking the header bounds the read.
  if (declared > limits.limitBytes) return TOO_LARGE;
  if (!limits.budget.tryReserve(declared)) return discardBody(request.body, BUSY);
  try {
    return { ok: true, text: await request.text(), reservedBytes: declared };
  } catch (err) {
    limits.budget.release(declared);
    throw err;
  }
}

function declaredLength(headers: Headers): number | undefined {
  const value = headers.get("content-length");
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Chunked (or length-less) bodies: count while reading and stop at the limit or the budget. */
async function readStreamed(request: Request, limits: BodyLimits): Promise<BodyText> {
  const body = request.body;
  if (body === null) return { ok: true, text: "", reservedBytes: 0 };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let read = 0; // bytes received
  let reserved = 0; // of those, the ones kept (and reserved in the budget)
  let refusal: "too_large" | "busy" | undefined;
  try {
    for (;;) {
      // Node's global types leave the chunk type open; request bodies are always bytes.
      const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
      if (done) break;
      read += value.byteLength;
      if (read > limits.limitBytes) refusal = "too_large";
      else if (!limits.budget.tryReserve(value.byteLength)) refusal = "busy";
      if (refusal !== undefined) break;
      reserved += value.byteLength;
      chunks.push(value);
    }
  } catch (err) {
    limits.budget.release(reserved);
    throw err;
  }
  if (refusal === undefined) return { ok: true, text: decode(chunks, reserved), reservedBytes: reserved };

  limits.budget.release(reserved);
  if (refusal === "too_large") {
    // Past the limit the sender may go on forever: stop reading.
    await reader.cancel().catch(() => undefined);
    return TOO_LARGE;
  }
  // Busy, the sender has at most the rest of the limit to send; reading it lets it read the 429.
  return discardBody(reader, BUSY, limits.limitBytes - read);
}

function decode(chunks: readonly Uint8Array[], size: number): string {
  if (chunks.length === 1 && chunks[0] !== undefined) return decoder.decode(chunks[0]);
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(joined);
}

/**
 * Reads what is left of a body we will not use, holding none of it, then gives `answer`.
 *
 * Answering while the client is still sending makes the server close the connection with
 * unread bytes in it, which resets it; a client that is still writing (Go's HTTP client,
 * Metacontroller's) may then see the reset before the 429 and lose its Retry-After. The bytes
 * cost no budget: each chunk is dropped as it arrives. `maxBytes` bounds the reading.
 */
async function discardBody(
  body: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array> | null,
  answer: BodyText,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<BodyText> {
  if (body === null) return answer;
  const reader = body instanceof ReadableStream ? body.getReader() : body;
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return answer;
      read += value.byteLength;
      if (read > maxBytes) break;
    }
  } catch {
    return answer; // the client went away: nobody will read the answer either
  }
  await reader.cancel().catch(() => undefined);
  return answer;
}
