/**
 * The java.util.Properties text format, which Spark reads spark-defaults.conf with
 * (`Utils.getPropertiesFromFile` → `Properties.load`). Reading follows the JDK's LineReader and
 * load0: natural lines end at \n, \r or \r\n; blank lines and lines whose first non-blank
 * character is '#' or '!' are skipped; an odd number of trailing backslashes joins the next line
 * (its leading blanks dropped); the key ends at the first unescaped '=', ':' or blank, after
 * which blanks and at most one '=' or ':' are skipped; escapes are \t \n \r \f \uXXXX and \x → x.
 * Blanks are ' ', '\t' and '\f'. Spark trims values afterwards; keys are taken as they are.
 */

export interface Property {
  readonly name: string;
  readonly value: string;
  /** 1-based line the entry starts on, for messages. */
  readonly line: number;
}

export interface ParsedProperties {
  /** In file order, duplicates included: when loaded, the last one wins. */
  readonly entries: Property[];
  /** What would make `Properties.load` throw, so Spark would not start. */
  readonly problems: string[];
}

function isBlank(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\f";
}

const isLineEnd = (c: string | undefined): boolean => c === "\n" || c === "\r";

/**
 * The JDK's LineReader.readLine over a string, quirks included (a file ending in a lone
 * backslash line still yields an empty entry). Returns each logical line, escapes intact,
 * with the offset of its first character.
 */
function* logicalLines(text: string): Generator<{ raw: string; offset: number }> {
  let off = 0;
  while (off < text.length) {
    let raw = "";
    let start = off;
    let skipBlank = true;
    let appendedLineBegin = false;
    let precedingBackslash = false;
    const finish = () => (precedingBackslash ? raw.slice(0, -1) : raw);
    for (;;) {
      if (off >= text.length) {
        if (raw.length > 0) yield { raw: finish(), offset: start };
        return;
      }
      const c = text[off] ?? "";
      off += 1;
      if (skipBlank) {
        if (isBlank(c) || (!appendedLineBegin && isLineEnd(c))) continue;
        skipBlank = false;
        appendedLineBegin = false;
      }
      if (raw.length === 0 && (c === "#" || c === "!")) {
        while (off < text.length && !isLineEnd(text[off])) off += 1;
        off += 1;
        skipBlank = true;
        continue;
      }
      if (!isLineEnd(c)) {
        if (raw.length === 0) start = off - 1;
        raw += c;
        precedingBackslash = c === "\\" ? !precedingBackslash : false;
        continue;
      }
      if (raw.length === 0) {
        skipBlank = true;
        continue;
      }
      if (off >= text.length || !precedingBackslash) {
        yield { raw: finish(), offset: start };
        break;
      }
      // A backslash at the end of the line joins the next one, minus its leading blanks.
      raw = raw.slice(0, -1);
      skipBlank = true;
      appendedLineBegin = true;
      precedingBackslash = false;
      if (c === "\r" && text[off] === "\n") off += 1;
    }
  }
}

const ESCAPED: Readonly<Record<string, string>> = { t: "\t", n: "\n", r: "\r", f: "\f" };

/** Properties.loadConvert: undoes the escapes, or says why it cannot. */
function unescape(text: string): string | undefined {
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] ?? "";
    if (c !== "\\") {
      out += c;
      continue;
    }
    i += 1;
    const escaped = text[i] ?? "";
    if (escaped === "u") {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += ESCAPED[escaped] ?? escaped;
    }
  }
  return out;
}

/** Properties.load0: where the key of one logical line ends and its value starts. */
function splitLogicalLine(line: string): { key: string; value: string } {
  let keyEnd = 0;
  let valueStart = line.length;
  let hasSeparator = false;
  let precedingBackslash = false;
  for (; keyEnd < line.length; keyEnd += 1) {
    const c = line[keyEnd];
    if (!precedingBackslash && (c === "=" || c === ":")) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!precedingBackslash && isBlank(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    precedingBackslash = c === "\\" ? !precedingBackslash : false;
  }
  for (; valueStart < line.length; valueStart += 1) {
    const c = line[valueStart];
    if (isBlank(c)) continue;
    if (!hasSeparator && (c === "=" || c === ":")) hasSeparator = true;
    else break;
  }
  return { key: line.slice(0, keyEnd), value: line.slice(valueStart) };
}

export function parseProperties(text: string): ParsedProperties {
  const lineBreaks = [...text.matchAll(/\r\n|\r|\n/g)].map((match) => match.index);
  const lineOf = (offset: number) => 1 + lineBreaks.filter((at) => at < offset).length;
  const entries: Property[] = [];
  const problems: string[] = [];
  for (const { raw, offset } of logicalLines(text)) {
    const { key, value } = splitLogicalLine(raw);
    const name = unescape(key);
    const unescapedValue = unescape(value);
    if (name === undefined || unescapedValue === undefined) {
      problems.push(`line ${lineOf(offset)}: malformed \\uxxxx escape`);
      continue;
    }
    entries.push({ name, value: unescapedValue, line: lineOf(offset) });
  }
  return { entries, problems };
}

const CONTROL_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
  "\f": "\\f",
};

/**
 * One `name=value` line that `Properties.load` reads back as exactly (name, value): backslashes
 * and line breaks escaped everywhere, separators, blanks and a leading comment mark in the
 * name, a leading blank in the value (which load would drop).
 */
export function propertyLine(name: string, value: string): string {
  const escapedName = name
    .replace(/[\\\t\n\r\f=: ]/g, (c) => (c === " " ? "\\ " : (CONTROL_ESCAPES[c] ?? `\\${c}`)))
    .replace(/^[#!]/, (mark) => `\\${mark}`);
  const escapedValue = value.replace(/[\\\t\n\r\f]/g, (c) => CONTROL_ESCAPES[c] ?? c).replace(/^ /, "\\ ");
  return `${escapedName}=${escapedValue}`;
}
