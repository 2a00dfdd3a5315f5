// Issue 15, memory per stream in flight from provider bytes: what a stream read by `fromOpenAIChat`
// holds while its client is slow. The text is kept once (by the stream's fold, not again by the
// adapter), the unread events of a network chunk are kept as their pieces, and nothing of this
// changes what readers get: finish events carry the whole block, and `maxBytes` counts them as before.
import { describe, expect, it } from "vitest";
import { ChatModelStream, fromOpenAIChat, OpenAIChatDecoderStream, toResponse, type ProtocolEvent } from "../src/index.ts";
import { bodyOf, bytesOf, chunkedBody, type Bytes } from "./bytes.ts";
import { failure, readAll } from "./helpers.ts";

/** An OpenAI Chat stream of these reasoning then text pieces, as SSE text; without its end when `end` is false. */
function chatSSE(reasoning: readonly string[], text: readonly string[], end = true): string {
  const frame = (delta: unknown, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return [
    ...reasoning.map((piece) => frame({ reasoning_content: piece })),
    ...text.map((piece) => frame({ content: piece })),
    ...(end ? [frame({}, "stop"), "data: [DONE]\n\n"] : []),
  ].join("");
}

const pieces = (n: number, seed: number): string[] => Array.from({ length: n }, (_, i) => `w${(i * 7919 + seed) % 100000} `);

describe("a stream read from OpenAI bytes", () => {
  const sse = chatSSE(pieces(300, 1), pieces(3000, 2));

  it("gives the events the decoder stream gives, its finishes carrying the whole blocks", async () => {
    const bytes = bytesOf(sse);
    const chunks = [bytes.subarray(0, 5000), bytes.subarray(5000, 90000), bytes.subarray(90000)];
    const decoded = await readAll(bodyOf(...chunks).pipeThrough(new OpenAIChatDecoderStream()));
    const read = await readAll(fromOpenAIChat(bodyOf(...chunks)).events);
    const finishes = read.filter((e) => e.event === "content-block-finish");
    expect(read).toEqual(decoded);
    expect(finishes.map((e) => (e as { content: Record<string, unknown> }).content)).toEqual([
      { type: "reasoning", reasoning: pieces(300, 1).join("") },
      { type: "text", text: pieces(3000, 2).join("") },
    ]);
  });

  it("gives the same SSE body as the decoder's events do", async () => {
    const bytes = bytesOf(sse);
    const fromBytes = await new Response(toResponse(fromOpenAIChat(bodyOf(bytes)), { format: "sse" }).body).text();
    const fromEvents = await new Response(
      toResponse(ChatModelStream.from(bodyOf(bytes).pipeThrough(new OpenAIChatDecoderStream())), { format: "sse" }).body,
    ).text();
    expect(fromBytes).toBe(fromEvents);
  });

  it("goes out in about as many body chunks as network chunks came in, though parsed events wait in the adapter until asked for", async () => {
    const bytes = bytesOf(sse);
    const chunks: Bytes[] = [];
    for (let at = 0; at < bytes.length; at += 16384) chunks.push(bytes.subarray(at, at + 16384));
    const reader = toResponse(fromOpenAIChat(bodyOf(...chunks)), { format: "sse" }).body!.getReader();
    let written = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) written++;
    expect({ inputChunks: chunks.length, fewOutputChunks: written <= 2 * chunks.length + 2 }).toEqual({ inputChunks: 33, fewOutputChunks: true });
  });

  it("a body beside a reader that lags behind waits for that reader, then gets every event", async () => {
    const bytes = bytesOf(sse);
    const chunks: Bytes[] = [];
    for (let at = 0; at < bytes.length; at += 16384) chunks.push(bytes.subarray(at, at + 16384));
    const stream = fromOpenAIChat(bodyOf(...chunks));
    const slow = stream.events.getReader();
    await slow.read(); // then it stops reading for a while: the source may not run ahead of it
    const body = toResponse(stream, { format: "sse" }).body!;
    const written = new Response(body).text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    let events = 1;
    for (let r = await slow.read(); !r.done; r = await slow.read()) events++;
    const text = await written;
    const frames = text.split("\n\n").filter((frame) => frame !== "");
    expect({ events, frames: frames.length }).toEqual({ events: 3306, frames: 3306 });
  });

  it("counts a finish's text toward maxBytes as the decoder's events count it", async () => {
    // The deltas come to 3,000 bytes; the finish repeats them, so 4,000 is passed at the finish.
    const sse = chatSSE([], Array.from({ length: 300 }, () => "0123456789"));
    const limits = { maxBytes: 4000 };
    const viaEvents = await failure(ChatModelStream.from(bodyOf(bytesOf(sse)).pipeThrough(new OpenAIChatDecoderStream()), limits).output);
    const viaBytes = await failure(fromOpenAIChat(bodyOf(bytesOf(sse)), limits).output);
    expect(viaBytes.message).toBe(viaEvents.message);
    expect(viaBytes.message).toMatch(/maxBytes \(4000\).*the event at position 302 was refused/);
    expect(viaBytes.partial).toEqual(viaEvents.partial);
    expect(JSON.stringify(viaBytes.partial)).toContain("0123456789".repeat(300));
  });
});

const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage;

/** Heap retained per stream by `make`'s streams, `count` of them held at once, after full collections. */
async function retainedPerStream(count: number, make: () => Promise<unknown>): Promise<number> {
  const collect = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      gc!();
    }
    return heapUsed!().heapUsed;
  };
  await make(); // code and tables warmed up outside the measure
  const before = await collect();
  const held: unknown[] = [];
  for (let i = 0; i < count; i++) held.push(await make());
  const after = await collect();
  expect(held).toHaveLength(count); // held until here
  return (after - before) / count;
}

describe.skipIf(gc === undefined || heapUsed === undefined)("heap per stream in flight (Node, with gc)", () => {
  it("keeps a stream's text once: with all of its 137,768 characters of text read, a stream holds under 1.5 times that", async () => {
    const text = pieces(20_000, 3);
    const chunks: Bytes[] = [];
    const sse = bytesOf(chatSSE([], text, false)); // the finish has not come: the blocks are open
    for (let at = 0; at < sse.length; at += 4096) chunks.push(sse.subarray(at, at + 4096));
    const textLength = text.join("").length;
    const perStream = await retainedPerStream(20, async () => {
      const stream = fromOpenAIChat(chunkedBody(chunks, true).body);
      const reader = stream.text.getReader();
      let read = 0;
      while (read < textLength) read += ((await reader.read()).value ?? "").length;
      return reader;
    });
    expect(perStream).toBeLessThan(1.5 * textLength);
  }, 60_000);

  it("keeps a network chunk's unread deltas as their pieces: 4,000 unread deltas hold under 40 bytes each", async () => {
    // One network chunk of 4,000 deltas, the same piece each (so the pieces themselves are shared).
    const sse = bytesOf(chatSSE([], Array.from({ length: 4000 }, () => "piece ")));
    const perStream = await retainedPerStream(50, async () => {
      const reader = fromOpenAIChat(bodyOf(sse)).events.getReader();
      const first: ProtocolEvent[] = [];
      for (let i = 0; i < 3; i++) first.push((await reader.read()).value!);
      expect(first.map((e) => e.event)).toEqual(["message-start", "content-block-start", "content-block-delta"]);
      return reader;
    });
    expect(perStream).toBeLessThan(4000 * 40);
  }, 60_000);
});
