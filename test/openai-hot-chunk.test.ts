// The OpenAI Chat hot-chunk reader (src/adapters/openai-hot-chunk.ts) against JSON.parse: for any
// sequence of chunk texts (hot ones, near-misses, other whitespace, escaped keys, duplicated keys,
// unicode and lone surrogates, invalid JSON), the converter with the reader gives the same events
// and the same errors as the converter that JSON.parses every chunk.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpenAIChatConverter } from "../src/adapters/openai-chat.ts";
import { HotChatChunks, hotChatChunk } from "../src/adapters/openai-hot-chunk.ts";
import { LineLimit } from "../src/decoders/response-events.ts";

const runs = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["FUZZ_RUNS"] ?? 300);

type Entry = [key: string, value: string];

/** A JSON string literal of `s`, its characters raw where JSON allows (lone surrogates too), or as JSON.stringify writes it. */
function literal(s: string, raw: boolean): string {
  if (!raw) return JSON.stringify(s);
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += ch === '"' ? '\\"' : ch === "\\" ? "\\\\" : c < 0x20 ? `\\u${c.toString(16).padStart(4, "0")}` : ch;
  }
  return out + '"';
}

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const piece = fc.string({
  unit: fc.oneof(fc.constantFrom("a", "b", " ", "é", "中", "😀", '"', "\\", "/", "\n", "\t", "\u0000", "\u007f", "\u2028"), lone),
  maxLength: 20,
});
const scalar = fc.oneof(
  { weight: 4, arbitrary: piece.map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.constant("null") },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 2_000_000_000 }).map(String) },
  fc.constantFrom("0", "-0", "1.5", "1e3", "true", "false", "01", "-", '""', "{}", "[]", '{"a":1}', "[null]"),
);
/** A key as written: plain, or with an escape that JSON.parse reads as the same key. */
const keyText = (key: string): fc.Arbitrary<string> =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(JSON.stringify(key)) }, { weight: 1, arbitrary: fc.constant(`"\\u00${key.charCodeAt(0).toString(16)}${key.slice(1)}"`) });
const objectText = (entries: Entry[], space: string[]): string => {
  const gap = (i: number): string => space[i % Math.max(space.length, 1)] ?? "";
  return `{${entries.map(([k, v], i) => `${gap(i)}${k}${gap(i + 1)}:${gap(i + 2)}${v}`).join(",")}}`;
};
const spaces = fc.oneof({ weight: 5, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.array(fc.constantFrom("", "", " ", "\t"), { maxLength: 4 }) });

/** Fields a delta may have, with values of every kind. */
const deltaEntry: fc.Arbitrary<Entry> = fc
  .tuple(fc.constantFrom("content", "content", "reasoning_content", "reasoning", "refusal", "role", "channel", "tool_calls", "reasoning_details", "annotations"), fc.boolean())
  .chain(([key, rawPiece]) =>
    fc.tuple(
      keyText(key),
      fc.oneof(
        { weight: 4, arbitrary: piece.map((s) => literal(s, rawPiece)) },
        { weight: 1, arbitrary: scalar },
        { weight: 1, arbitrary: fc.constantFrom('[{"index":0,"function":{"arguments":"x"}}]', '[{"type":"text","text":"t"}]', '[{"type":"url_citation"}]') },
      ),
    ),
  );
const deltaText = fc.tuple(fc.array(deltaEntry, { maxLength: 4 }), spaces).map(([e, s]) => objectText(e, s));
const choiceText = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constant<[string, fc.Arbitrary<string>]>(['"delta"', deltaText]) },
        { weight: 2, arbitrary: fc.constant<[string, fc.Arbitrary<string>]>(['"index"', fc.constantFrom("0", "0", "1", "null", "-0", '"0"')]) },
        { weight: 1, arbitrary: fc.constant<[string, fc.Arbitrary<string>]>(['"finish_reason"', fc.constantFrom("null", '"stop"', '""', "1")]) },
        { weight: 1, arbitrary: fc.constant<[string, fc.Arbitrary<string>]>(['"logprobs"', scalar]) },
        { weight: 1, arbitrary: fc.constant<[string, fc.Arbitrary<string>]>(['"content_filter_results"', fc.constant("{}")]) },
      ).chain(([k, v]) => v.map((value): Entry => [k, value])),
      { maxLength: 4 },
    ),
    spaces,
  )
  .map(([e, s]) => objectText(e, s));
const topEntry: fc.Arbitrary<Entry> = fc
  .constantFrom("id", "object", "created", "model", "system_fingerprint", "service_tier", "usage", "obfuscation", "provider", "choices", "error", "x_groq", "moderation", "__proto__")
  .chain((key) => {
    const value: fc.Arbitrary<string> =
      key === "choices"
        ? fc.oneof({ weight: 6, arbitrary: choiceText.map((c) => `[${c}]`) }, { weight: 1, arbitrary: fc.constantFrom("[]", "null", "[{},{}]") }, { weight: 1, arbitrary: fc.tuple(choiceText, choiceText).map(([a, b]) => `[${a},${b}]`) })
        : key === "object"
          ? fc.constantFrom('"chat.completion.chunk"', '"chat.completion.chunk"', '""', "null")
          : key === "usage"
            ? fc.constantFrom("null", "null", '{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}')
            : key === "error" || key === "x_groq" || key === "moderation"
              ? fc.constantFrom("null", '{"message":"m"}', '{"usage":{"prompt_tokens":1}}', '"boom"', "1")
              : scalar;
    return fc.tuple(keyText(key), value);
  });
const chunkText = fc.tuple(fc.array(topEntry, { maxLength: 9 }), spaces).map(([e, s]) => objectText(e, s));

/** A hot chunk as providers send it, with its piece of text varying from chunk to chunk. */
const frame = fc.record({
  extra: fc.option(topEntry, { freq: 2 }),
  head: fc.constantFrom(
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1754300000,"model":"m","choices":[{"index":0,"delta":{"KEY":',
    '{"id":"c","object":"chat.completion.chunk","created":1,"model":"g","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":null,"KEY":',
    '{"id":"c","created":1,"object":"chat.completion.chunk","model":"g","choices":[{"index":0,"delta":{"role":"assistant","KEY":',
  ),
  key: fc.constantFrom("content", "reasoning_content", "reasoning"),
  tail: fc.constantFrom('},"finish_reason":null}]}', '},"logprobs":null,"finish_reason":null}],"usage":null}', ',"channel":"analysis"},"finish_reason":null}]}'),
});
/** A sequence of chunks from one frame, some bent (a character inserted, removed or changed anywhere). */
const hotSequence = fc
  .tuple(
    frame,
    fc.array(
      fc.record({ piece, raw: fc.boolean(), bend: fc.option(fc.tuple(fc.nat(), fc.constantFrom("", " ", '"', "\\", "}", ",", "x", "\n")), { freq: 4 }) }),
      { minLength: 1, maxLength: 8 },
    ),
  )
  .map(([f, chunks]) =>
    chunks.map(({ piece: p, raw, bend }) => {
      const head = f.extra === null ? f.head : `{${f.extra[0]}:${f.extra[1]},${f.head.slice(1)}`;
      const text = head.replace("KEY", f.key) + literal(p, raw) + f.tail;
      if (bend === null) return text;
      const at = bend[0] % (text.length + 1);
      return text.slice(0, at) + bend[1] + text.slice(at + (bend[1] === "" ? 1 : 0));
    }),
  );

/** Each chunk as one SSE message (a line break in it becomes another `data:` line, as the parser joins them). */
function sse(chunks: string[], done: boolean): string {
  return chunks.map((c) => c.split("\n").map((l) => `data: ${l.replaceAll("\r", "")}\n`).join("") + "\n").join("") + (done ? "data: [DONE]\n\n" : "");
}

/** The events a converter gives for `text`, written message by message, and the error it throws, if any. */
function convert(text: string, hot: boolean): { events: unknown[]; error?: string } {
  const converter = new OpenAIChatConverter(new LineLimit(undefined), hot);
  try {
    for (const message of text.split(/(?<=\n\n)/)) converter.write(message);
    converter.end();
    return { events: structuredClone(converter.out) };
  } catch (error) {
    return { events: structuredClone(converter.out), error: String(error) };
  }
}

function same(chunks: string[], done: boolean): void {
  const text = sse(chunks, done);
  expect(convert(text, true)).toEqual(convert(text, false));
}

describe("the OpenAI Chat hot-chunk reader", () => {
  it("reads the hot chunks of the recorded shapes without JSON.parse", () => {
    const reader = new HotChatChunks();
    const a = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"Paris"},"finish_reason":null}],"usage":null,"obfuscation":"EeX"}';
    expect(reader.read(a)).toEqual({ id: "c", model: "m", service_tier: "default", system_fingerprint: null, choices: [{ index: 0, delta: { content: "Paris" }, finish_reason: null }] });
    expect(reader.read(a.replace("Paris", "Lyon \\u00e9"))).toEqual({ id: "c", model: "m", service_tier: "default", system_fingerprint: null, choices: [{ index: 0, delta: { content: "Lyon é" }, finish_reason: null }] });
    expect(hotChatChunk('{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]}')).toBeUndefined();
    expect(hotChatChunk('{"choices":[{"index":0,"delta":{"content":"a","content":null}}]}')).toBeUndefined();
    expect(hotChatChunk('{"choices":[{"index":0,"delta":{"content":"a"}}], "id":"x"}')).toBeUndefined();
  });

  it("gives the events JSON.parse gives, for any chunk", () => {
    fc.assert(
      fc.property(fc.array(chunkText, { minLength: 1, maxLength: 6 }), fc.boolean(), (chunks, done) => same(chunks, done)),
      { numRuns: runs * 3 },
    );
  });

  it("gives the events JSON.parse gives, for hot chunks of one frame and their near-misses", () => {
    fc.assert(
      fc.property(hotSequence, fc.array(chunkText, { maxLength: 2 }), fc.nat(), fc.boolean(), (hot, other, at, done) => {
        const chunks = [...hot];
        chunks.splice(at % (chunks.length + 1), 0, ...other);
        same(chunks, done);
      }),
      { numRuns: runs * 3 },
    );
  });

  it("reads a piece longer than V8's shortest sliced string (copied through JSON.parse of its literal) as JSON.parse does", () => {
    const long = "x".repeat(40);
    same([`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${long}"}}]}`], true);
    expect(hotChatChunk(`{"choices":[{"index":0,"delta":{"content":"${long}"}}]}`)).toEqual({ choices: [{ index: 0, delta: { content: long } }] });
  });
});
