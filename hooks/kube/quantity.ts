/**
 * Kubernetes resource quantities ("500m", "1.5", "2Gi", "1e3"), parsed the way the API server
 * reads them so that what we compute from a quantity (worker cores, executor memory) matches
 * what the kubelet enforces.
 */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

const SUFFIX_FACTOR: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

export interface Quantity {
  /** The text to put in a manifest (numbers from YAML become their decimal string). */
  readonly text: string;
  /** The value in base units: cores for CPU, bytes for memory. */
  readonly value: number;
}

/** Parses a quantity, or returns undefined when the API server would reject it. */
export function parseQuantity(input: string | number): Quantity | undefined {
  const text = typeof input === "number" ? String(input) : input.trim();
  if (typeof input === "number" && !Number.isFinite(input)) return undefined;
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, number, suffix, exponent] = match;
  const base = Number(number);
  const factor = suffix ? (SUFFIX_FACTOR[suffix] ?? 1) : exponent ? 10 ** Number(exponent) : 1;
  const value = base * factor;
  if (!Number.isFinite(value)) return undefined;
  return { text, value };
}

export const MiB = 2 ** 20;

/** Whole mebibytes, rounded down: the unit Spark's `--memory` and `SPARK_DAEMON_MEMORY` take. */
export function toMebibytes(quantity: Quantity): number {
  return Math.floor(quantity.value / MiB);
}
