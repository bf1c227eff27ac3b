import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseProperties, propertyLine } from "./properties.js";

const entries = (text: string) => parseProperties(text).entries.map(({ name, value }) => [name, value]);

describe("parseProperties reads spark-defaults.conf as java.util.Properties does", () => {
  it.each([
    ["key=value", "a.b=1", [["a.b", "1"]]],
    ["key:value", "a.b:1", [["a.b", "1"]]],
    ["key value", "a.b 1", [["a.b", "1"]]],
    ["whitespace around the separator", "a.b  =  1", [["a.b", "1"]]],
    ["whitespace then ':'", "a.b \t: 1", [["a.b", "1"]]],
    ["a second separator, which belongs to the value", "a.b = = 1", [["a.b", "= 1"]]],
    ["tabs and form feeds as whitespace", "\t\fa.b\t1", [["a.b", "1"]]],
    ["trailing whitespace, kept (Spark trims it later)", "a.b=1  ", [["a.b", "1  "]]],
    ["a key with no value", "a.b", [["a.b", ""]]],
    ["'#' and '!' comments, also indented", "# c\n! c\n   # c\na=1", [["a", "1"]]],
    ["blank lines", "\n\n  \t\na=1\n\n", [["a", "1"]]],
    ["'#' inside a value", "a=x # not a comment", [["a", "x # not a comment"]]],
    [
      "CRLF and CR line ends",
      "a=1\r\nb=2\rc=3",
      [
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
      ],
    ],
    ["a continuation, leading whitespace of the next line dropped", "a=x,\\\n    y", [["a", "x,y"]]],
    ["a continued comment-looking line", "a=x\\\n#y", [["a", "x#y"]]],
    ["a comment ending in a backslash, which does not continue", "# c\\\na=1", [["a", "1"]]],
    [
      "an even number of backslashes, which does not continue",
      "a=x\\\\\nb=1",
      [
        ["a", "x\\"],
        ["b", "1"],
      ],
    ],
    ["a backslash at the end of the file, dropped", "a=x\\", [["a", "x"]]],
    [
      "a lone backslash line at the very end, which the JDK keeps as an empty entry",
      "a=1\n\\\n",
      [
        ["a", "1"],
        ["", ""],
      ],
    ],
    ["a lone backslash line followed by more text, which joins nothing", "\\\r\n", []],
    ["a comment right after an empty continuation", "\\\n#a=1", []],
    ["escapes", "a=\\t\\n\\r\\f\\u0041\\q\\\\", [["a", "\t\n\r\fAq\\"]]],
    ["escaped separators and spaces in the key", "a\\=b\\:c\\ d=1", [["a=b:c d", "1"]]],
    [
      "duplicates in file order (the last one wins when loaded)",
      "a=1\na=2",
      [
        ["a", "1"],
        ["a", "2"],
      ],
    ],
  ])("%s", (_, text, expected) => {
    expect(entries(text)).toEqual(expected);
    expect(parseProperties(text).problems).toEqual([]);
  });

  it("reports a malformed \\u escape with its line, as Properties.load would fail on it", () => {
    expect(parseProperties("a=1\nb=\\u00zz").problems).toEqual(["line 2: malformed \\uxxxx escape"]);
  });

  it("numbers each entry with the line it starts on", () => {
    expect(parseProperties("# c\na=1\\\n 2\nb=3").entries.map((e) => e.line)).toEqual([2, 4]);
  });
});

describe("propertyLine", () => {
  it.each([
    ["plain", "a.b", "1", "a.b=1"],
    ["a backslash, which Properties would read as an escape", "p", "C:\\tmp", "p=C:\\\\tmp"],
    ["a leading space, which Properties would drop", "p", " x", "p=\\ x"],
    ["inner spaces, kept as they are", "p", "-Da=1 -Db=2", "p=-Da=1 -Db=2"],
    ["line breaks, which would end the line", "p", "a\nb\rc", "p=a\\nb\\rc"],
    ["a key with separators and spaces", "a=b:c d", "1", "a\\=b\\:c\\ d=1"],
    ["a key starting like a comment", "#a", "1", "\\#a=1"],
  ])("writes %s", (_case, name, value, line) => {
    expect(propertyLine(name, value)).toBe(line);
  });

  it("writes what parseProperties reads back", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (name, value) => {
        expect(entries(propertyLine(name, value))).toEqual([[name, value]]);
      }),
      { numRuns: 300 },
    );
  });
});
