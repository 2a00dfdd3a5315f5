// PartialJSON: the value of JSON text cut anywhere, built once as slices arrive, against a reference
// that repairs the cut text and hands it to JSON.parse.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PartialJSON } from "../src/partial-json.ts";

const TOKEN = /\s*("(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null|[{}[\]:,])/y;

/**
 * The reference: the value a prefix of valid JSON text will at least have, by repairing the text
 * (finish or drop the cut token, drop a dangling key, comma or colon, close what is open) and
 * parsing it with JSON.parse. Whole tokens come from a regular expression; the cut one is what
 * remains after them.
 */
function reference(prefix: string): unknown {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  for (let m = TOKEN.exec(prefix); m !== null; m = TOKEN.exec(prefix)) {
    tokens.push(m[1]!);
    at = TOKEN.lastIndex;
  }
  const rest = prefix.slice(at).trimStart();
  // A number at the very end may be cut, like any token there.
  let cut = rest;
  if (cut === "" && tokens.length > 0 && /^[-\d]/.test(tokens[tokens.length - 1]!) && at === prefix.length) cut = tokens.pop()!;
  if (cut.startsWith('"')) {
    tokens.push(cut.replace(/\\u[0-9a-fA-F]{0,3}$/, "").replace(/(^|[^\\])((?:\\\\)*)\\$/, "$1$2") + '"');
  } else if (/^[tfn]/.test(cut)) {
    tokens.push({ t: "true", f: "false", n: "null" }[cut[0] as "t" | "f" | "n"]);
  } else if (cut !== "") {
    const digits = cut.replace(/[.eE+-]+$/, "");
    if (digits !== "") tokens.push(digits);
  }
  // Which open containers are objects, and whether a string is in key position.
  const open = (list: string[]) => {
    const stack: string[] = [];
    for (const t of list) {
      if (t === "{" || t === "[") stack.push(t);
      else if (t === "}" || t === "]") stack.pop();
    }
    return stack;
  };
  for (;;) {
    const last = tokens[tokens.length - 1];
    if (last === "," || last === ":") tokens.pop();
    else if (last?.startsWith('"') && open(tokens).at(-1) === "{" && ["{", ","].includes(tokens[tokens.length - 2]!)) tokens.pop();
    else break;
  }
  if (tokens.length === 0) return undefined;
  const closers = open(tokens)
    .reverse()
    .map((t) => (t === "{" ? "}" : "]"));
  return JSON.parse(tokens.join("") + closers.join(""));
}

/** The values after each slice of `text` cut at `cuts` (sorted positions). */
function sliced(text: string, cuts: number[]): { prefix: string; value: unknown }[] {
  const parser = new PartialJSON();
  const out: { prefix: string; value: unknown }[] = [];
  let from = 0;
  for (const to of [...cuts, text.length]) {
    if (to < from) continue;
    const value = parser.push(text.slice(from, to));
    out.push({ prefix: text.slice(0, to), value: structuredClone(value) });
    from = to;
  }
  return out;
}

const json = fc.jsonValue({ maxDepth: 6, stringUnit: "binary" });
const numbers = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constant(-0));
// Rows of objects whose keys come from a few (the parser guesses each key from the object before
// at its depth): same keys, keys in another order, a key that is a prefix of another, escaped keys.
const keyPool = fc.constantFrom("id", "i", "idx", "", "na\"me", "\u00e9\u{1f600}", "__proto__", "\n");
const cell = fc.oneof(numbers, fc.string({ unit: "binary", maxLength: 4 }), fc.constantFrom(true, false, null), fc.dictionary(keyPool, numbers, { maxKeys: 3 }));
const rows = fc.array(fc.dictionary(keyPool, cell, { maxKeys: 4 }), { maxLength: 4 });
const texts = fc.oneof(
  json.map((v) => JSON.stringify(v)),
  rows.map((v) => JSON.stringify(v)),
  json.map((v) => JSON.stringify(v, null, 2)),
  fc.array(numbers, { maxLength: 6 }).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.string({ unit: "binary" }), numbers, { maxKeys: 4 }).map((v) => JSON.stringify(v)),
);

describe("PartialJSON", () => {
  it("the value after any prefix is the reference completion of that prefix", () => {
    fc.assert(
      fc.property(texts, (text) => {
        for (let at = 0; at <= text.length; at++) {
          const parser = new PartialJSON();
          expect(structuredClone(parser.push(text.slice(0, at)))).toEqual(reference(text.slice(0, at)));
        }
      }),
      { numRuns: 300 },
    );
    // Every prefix of every text: quadratic in a text's length, and slower in Bun than in Node.
  }, 20_000);

  it("slices in any sizes give, after each, the reference completion of the text so far, and the whole value at the end", () => {
    fc.assert(
      fc.property(
        texts.chain((text) => fc.tuple(fc.constant(text), fc.uniqueArray(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }))),
        ([text, cuts]) => {
          for (const { prefix, value } of sliced(text, cuts.sort((a, b) => a - b))) expect(value).toEqual(reference(prefix));
          const parser = new PartialJSON();
          for (const ch of text) parser.push(ch);
          expect(parser.end()).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("write() reads slices without making the value; value then is what push() would have given", () => {
    fc.assert(
      fc.property(
        texts.chain((text) => fc.tuple(fc.constant(text), fc.uniqueArray(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }))),
        ([text, cuts]) => {
          const writer = new PartialJSON();
          let from = 0;
          for (const to of [...cuts.sort((a, b) => a - b), text.length]) {
            writer.write(text.slice(from, to));
            from = to;
          }
          expect(structuredClone(writer.value)).toEqual(reference(text));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a number is the value JSON.parse gives it, to the last bit (short ones are summed, not handed to Number)", () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
    const numberText = fc
      .tuple(
        fc.constantFrom("", "-"),
        fc.oneof(fc.constant("0"), fc.tuple(fc.constantFrom(..."123456789"), digits(0, 20)).map(([a, b]) => a + b)),
        fc.option(digits(1, 20), { nil: undefined }),
        fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 3)), { nil: undefined }),
      )
      .map(([sign, int, fraction, exponent]) => sign + int + (fraction === undefined ? "" : "." + fraction) + (exponent?.join("") ?? ""));
    fc.assert(
      fc.property(fc.oneof(numberText, fc.double({ noNaN: true, noDefaultInfinity: true }).map(String)), (text) => {
        const whole = new PartialJSON();
        whole.write(text);
        const inArray = new PartialJSON();
        for (const ch of `[${text}]`) inArray.write(ch);
        const expected = JSON.parse(text) as number;
        expect(Object.is(whole.end(), expected), `${text}: ${whole.value} is not ${expected}`).toBe(true);
        expect(Object.is((inArray.end() as number[])[0], expected), `[${text}]`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("text that stops being JSON keeps the value read before it", () => {
    const parser = new PartialJSON();
    parser.write('{"a": "abc');
    expect(() => parser.write("\u0001")).toThrow(SyntaxError);
    expect(parser.value).toEqual({ a: "abc" });
  });

  it("a cut number with a long run of exponent letters is read back as its digits (the strip is a loop, not a backtracking RegExp)", () => {
    const parser = new PartialJSON();
    parser.write("[1" + "e".repeat(40_000));
    expect(parser.value).toEqual([1]);
  });

  it("nesting 100 deep, cut at every position", () => {
    const deep = '{"a":'.repeat(50) + "[".repeat(50) + '"x\\u00e9",1.5e-3' + "]".repeat(50) + "}".repeat(50);
    for (let at = 0; at <= deep.length; at++) {
      expect(new PartialJSON().push(deep.slice(0, at))).toEqual(reference(deep.slice(0, at)));
    }
    expect(new PartialJSON().push(deep)).toEqual(JSON.parse(deep));
  });

  it("shows a value's growth as it arrives", () => {
    const parser = new PartialJSON();
    const seen = ['{"city": "Par', 'is", "days": 1', '2, "units": "c', '", "alerts": [tr', "ue, n", "ull]}"].map((slice) =>
      JSON.stringify(parser.push(slice)),
    );
    expect(seen).toEqual([
      '{"city":"Par"}',
      '{"city":"Paris","days":1}',
      '{"city":"Paris","days":12,"units":"c"}',
      '{"city":"Paris","days":12,"units":"c","alerts":[true]}',
      '{"city":"Paris","days":12,"units":"c","alerts":[true,null]}',
      '{"city":"Paris","days":12,"units":"c","alerts":[true,null]}',
    ]);
    expect(parser.complete).toBe(true);
  });

  it("a key named __proto__ is a member, as JSON.parse makes it, not the value's prototype", () => {
    const value = new PartialJSON().push('{"__proto__": {"polluted": true}, "b": 1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__", "b"]);
    expect(value).toEqual(JSON.parse('{"__proto__": {"polluted": true}, "b": 1}'));
  });

  it("text that is not JSON fails with a SyntaxError naming the position, and the parser stays failed", () => {
    for (const [text, at] of [
      ['{"a" 1}', 5],
      ["[1,,2]", 3],
      ['{"a":tru}', 8],
      ['"\\x"', 2],
      ["[1] 2", 4],
      ['"a\nb"', 2],
      ["[01]", 1],
      ["{,}", 1],
      ["]", 0],
    ] as const) {
      const parser = new PartialJSON();
      let caught: unknown;
      try {
        for (const ch of text) parser.push(ch);
        parser.end();
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toBeInstanceOf(SyntaxError);
      expect((caught as Error).message, text).toContain(`position ${at}`);
      expect((caught as { code?: string }).code).toBe("bad_input");
      expect(() => parser.push("1")).toThrow(SyntaxError);
    }
  });

  it("end() fails on text that stopped before its value did, and gives a top-level number", () => {
    for (const text of ["", "  ", "[1", '{"a"', '"ab', "tru", "[-"]) {
      const parser = new PartialJSON();
      parser.push(text);
      expect(() => parser.end(), text).toThrow(/ended before the value did/);
    }
    const parser = new PartialJSON();
    parser.push("-12.5e");
    expect(parser.value).toBe(-12.5);
    parser.push("1");
    expect(parser.end()).toBe(-12.5e1);
  });

  it("builds one value in place over 100 KB in 3-character slices, equal to JSON.parse at the end (its cost is in npm run bench)", () => {
    const big = JSON.stringify({ rows: Array.from({ length: 2000 }, (_, i) => ({ i, name: `row ${i} "quoted" \u00e9`, ok: i % 2 === 0 })) });
    const parser = new PartialJSON();
    let root: unknown;
    let same = true;
    for (let i = 0; i < big.length; i += 3) {
      const value = parser.push(big.slice(i, i + 3));
      if (root === undefined) root = value;
      else same &&= value === root;
    }
    expect(same).toBe(true);
    expect(parser.end()).toEqual(JSON.parse(big));
  });
});
