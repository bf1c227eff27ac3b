/**
 * How many request-body bytes the server holds at once. A hook call costs memory in proportion
 * to its body (the raw bytes, the decoded text, then the parsed objects, several times the
 * text), so bounding the bytes of all calls being read, parsed or answered bounds the memory
 * they can take together, whatever the number of connections.
 */
export interface ByteBudget {
  /** The most bytes held at once. */
  readonly limit: number;
  /** Bytes reserved right now. */
  readonly inUse: () => number;
  /** Reserves `bytes` if they fit in what is left; false (and nothing reserved) if not. */
  readonly tryReserve: (bytes: number) => boolean;
  /** Gives back bytes reserved earlier. */
  readonly release: (bytes: number) => void;
}

export function byteBudget(limit: number): ByteBudget {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`a byte budget must be ≥ 0, got ${limit}`);
  let inUse = 0;
  return {
    limit,
    inUse: () => inUse,
    tryReserve(bytes) {
      if (bytes < 0 || inUse + bytes > limit) return false;
      inUse += bytes;
      return true;
    },
    release(bytes) {
      if (bytes < 0 || bytes > inUse) throw new Error(`released ${bytes} bytes with only ${inUse} reserved`);
      inUse -= bytes;
    },
  };
}
