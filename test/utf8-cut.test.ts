// Provider bodies are decoded through one TextDecoder shared by every stream (src/decoders/
// response-events.ts): each chunk is cut before a character it does not finish, and the cut-off
// bytes go with the next chunk. For any bytes (valid UTF-8, or not) cut into any chunks, the text
// is what a streaming TextDecoder gives, and what an adapter parses from it is the same.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromOpenAIChat } from "../src/index.ts";
import { cutCharacter } from "../src/decoders/response-events.ts";

const runs = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["FUZZ_RUNS"] ?? 300);

const shared = new TextDecoder("utf-8", { ignoreBOM: true });

/** The chunks decoded as the source does: cut, the rest carried, the last rest decoded at the end. */
function decodeCut(chunks: Uint8Array[]): string {
  let out = "";
  let tail = new Uint8Array(0);
  for (const chunk of chunks) {
    const bytes = new Uint8Array(tail.length + chunk.length);
    bytes.set(tail);
    bytes.set(chunk, tail.length);
    const cut = cutCharacter(bytes);
    out += shared.decode(bytes.subarray(0, cut));
    tail = bytes.slice(cut);
  }
  return out + shared.decode(tail);
}

function decodeStreaming(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let out = "";
  for (const chunk of chunks) out += decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
}

/** `bytes` cut at `cuts` (positions, any order, repeats allowed). */
function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, c));
    from = c;
  }
  return chunks;
}

const text = fc.string({ unit: fc.constantFrom("a", " ", "é", "ß", "中", "😀", "\u{10ffff}", "\ufeff", "\ud800", "\u0000"), maxLength: 30 });
/** Bytes near UTF-8's edges: leads, continuations, overlongs, surrogates, bytes never valid. */
const raw = fc.uint8Array({ maxLength: 30 }).map((a) => a.map((b) => [0x41, 0x80, 0x8f, 0x9f, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0][b % 16]!));
const bytes = fc.oneof(text.map((s) => new TextEncoder().encode(s)), raw, fc.tuple(text, raw, text).map(([a, b, c]) => new Uint8Array([...new TextEncoder().encode(a), ...b, ...new TextEncoder().encode(c)])));

describe("decoding chunks through one shared decoder", () => {
  it("gives what a streaming TextDecoder gives, for any bytes cut anywhere", () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(40), { maxLength: 6 }), (b, cuts) => {
        const chunks = cutAt(b, cuts);
        expect(decodeCut(chunks)).toBe(decodeStreaming(chunks));
      }),
      { numRuns: runs * 3, seed: 15 },
    );
  });

  it("cuts before a character the chunk does not finish, and nowhere else", () => {
    const e = new TextEncoder().encode("a😀");
    expect([1, 2, 3, 4].map((n) => cutCharacter(e.subarray(0, n + 1)))).toEqual([1, 1, 1, 5]);
    expect(cutCharacter(new Uint8Array([0x41, 0xe4, 0xb8, 0xad]))).toBe(4);
    expect(cutCharacter(new Uint8Array([0x41, 0xe4, 0xb8]))).toBe(1);
    expect(cutCharacter(new Uint8Array([0x80, 0x80, 0x80]))).toBe(3);
  });

  it("an OpenAI stream whose characters are cut between chunks reads as when whole", async () => {
    const content = "héllo 中文 😀 ok";
    const sse =
      [..."ab"].map(() => `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`).join("") +
      "data: [DONE]\n\n";
    const all = new TextEncoder().encode(sse);
    for (const size of [1, 2, 3, 5, 7]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < all.length; i += size) chunks.push(all.slice(i, i + size));
      let i = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (i < chunks.length) c.enqueue(chunks[i++]!);
          else c.close();
        },
      });
      expect(await fromOpenAIChat(new Response(body, { headers: { "content-type": "text/event-stream" } })).text).toBe(content + content);
    }
  });
});
