/**
 * How deep a JSON value nests, found without recursion. Values from a request can be as deep as
 * their sender liked (JSON.parse takes any depth, the API server stores up to 10,000 levels),
 * and every recursive walk over one (JSON.stringify, hashing, a recursive check) overflows the
 * call stack long before that. So anything that keeps user-supplied JSON checks it with this
 * first, and only then hands it to code that recurses.
 */

/** Whether `value` has objects or arrays nested more than `maxDepth` levels deep (`{}` is 1). */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  // An explicit stack of (value, depth of the container holding it).
  const stack: { readonly value: unknown; readonly depth: number }[] = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const current = next.value;
    if (typeof current !== "object" || current === null) continue;
    const depth = next.depth + 1;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(current) ? (current as unknown[]) : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth });
    }
  }
  return false;
}
