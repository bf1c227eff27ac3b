/**
 * Spark's own value syntax for sizes, booleans and fractions, so that what sparkhooks computes
 * from a setting is what the JVM will use.
 */

/** The units Spark sizes are written in; each setting has a default one (`spark.executor.memory`: m). */
export type ByteUnit = "b" | "k" | "m" | "g" | "t" | "p";

const UNIT_POWER: Readonly<Record<ByteUnit, bigint>> = { b: 0n, k: 10n, m: 20n, g: 30n, t: 40n, p: 50n };

/** Spark 4.3's suffixes (JavaUtils.byteSuffixes): b, and k/ki/kb/kib through p/pi/pb/pib. */
function suffixUnit(suffix: string): ByteUnit | undefined {
  if (suffix === "b") return "b";
  const match = /^([kmgtp])(i|b|ib)?$/.exec(suffix);
  return match === null ? undefined : (match[1] as ByteUnit);
}

const LONG_MAX = 2n ** 63n - 1n;

/** Java's String.trim: drops every character up to U+0020 at both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start += 1;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end -= 1;
  return text.slice(start, end);
}

export type SizeResult =
  { readonly ok: true; readonly value: bigint } | { readonly ok: false; readonly problem: string };

/**
 * JavaUtils.byteStringAs: whole numbers with an optional case-insensitive suffix, the value in
 * `unit`, rounded down when converting to a larger unit. Like Spark, no fractions, no sign,
 * no space between number and suffix, and nothing beyond a Java long.
 */
export function byteStringAs(text: string, unit: ByteUnit): SizeResult {
  const lower = javaTrim(text.toLowerCase());
  const whole = /^([0-9]+)([a-z]+)?$/.exec(lower);
  if (whole === null) {
    return /^[0-9]+\.[0-9]+([a-z]+)?$/.test(lower)
      ? { ok: false, problem: `${JSON.stringify(text)}: fractional values are not supported` }
      : {
          ok: false,
          problem: `${JSON.stringify(text)} is not a size such as 512m, 2g or 1024 (b, k, m, g, t, p)`,
        };
  }
  const [, digits = "", suffix] = whole;
  const from = suffix === undefined ? unit : suffixUnit(suffix);
  if (from === undefined) {
    return {
      ok: false,
      problem: `${JSON.stringify(text)} is not a size such as 512m, 2g or 1024 (b, k, m, g, t, p)`,
    };
  }
  const number = BigInt(digits);
  const shift = UNIT_POWER[from] - UNIT_POWER[unit];
  const value = shift >= 0n ? number << shift : number >> -shift;
  if (number > LONG_MAX || value > LONG_MAX) {
    return { ok: false, problem: `${JSON.stringify(text)} is too large for Spark` };
  }
  return { ok: true, value };
}

/** Spark's boolean settings: `true` or `false` in any case, surrounding blanks ignored. */
export function parseSparkBoolean(text: string): boolean | undefined {
  const lower = javaTrim(text).toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : undefined;
}

/**
 * Spark's double settings (Java's Double.parseDouble after trim), limited to finite decimal
 * numbers: NaN, Infinity and hexadecimal floats make no sense for a size factor.
 */
export function parseSparkDouble(text: string): number | undefined {
  const trimmed = javaTrim(text);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/.test(trimmed)) return undefined;
  const value = Number(trimmed.replace(/[fFdD]$/, ""));
  return Number.isFinite(value) ? value : undefined;
}
