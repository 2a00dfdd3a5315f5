// Review of issue 15's memory changes: behaviour that changed and should not have, and stays as
// it was before them.
import { describe, expect, it } from "vitest";
import { AnthropicDecoderStream, fromAnthropic, fromOpenAIChat, type ProtocolEvent } from "../src/index.ts";
import { bodyOf, bytesOf } from "./bytes.ts";
import { readAll } from "./helpers.ts";

const frame = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Two text blocks that share index 0 (the first stopped before the second starts). */
const reusedIndex = [
  frame("message_start", { message: { id: "m", type: "message", role: "assistant", model: "c", content: [], usage: { input_tokens: 1, output_tokens: 0 } } }),
  frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  frame("content_block_delta", { index: 0, delta: { type: "text_delta", text: "first" } }),
  frame("content_block_stop", { index: 0 }),
  frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  frame("content_block_delta", { index: 0, delta: { type: "text_delta", text: "second" } }),
  frame("content_block_stop", { index: 0 }),
  frame("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }),
  frame("message_stop", {}),
].join("");

const finishes = (events: ProtocolEvent[]): unknown[] => events.filter((e) => e.event === "content-block-finish").map((e) => (e as { content: unknown }).content);

describe("a finish whose text the fold fills (715c2a4)", () => {
  // The block writer leaves a text finish's text to the stream's fold, which keys blocks by index:
  // a block that reuses a finished block's index gets both blocks' text in its finish, where the
  // decoder stream (and this adapter before 715c2a4) gives the second block's text alone.
  it("a text block that reuses a finished block's index finishes with its own text only, as the decoder stream's does", async () => {
    const decoded = await readAll(bodyOf(bytesOf(reusedIndex)).pipeThrough(new AnthropicDecoderStream()));
    const read = await readAll(fromAnthropic(bodyOf(bytesOf(reusedIndex))).events);
    expect(finishes(decoded)).toEqual([
      { type: "text", text: "first" },
      { type: "text", text: "second" },
    ]);
    expect(finishes(read)).toEqual(finishes(decoded));
  });
});

describe("a provider body's chunks as other views of bytes (2860454)", () => {
  // One decoder serves every stream and keeps a cut character's bytes for the next chunk; a body
  // typed as bytes that yields an ArrayBuffer or a DataView is read as those bytes, as a streaming
  // TextDecoder would read it.
  const text = "Grüße 👋 und 你好";
  const body = new TextEncoder().encode(
    `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: text } }] })}\n\n` +
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`,
  );
  const views = {
    ArrayBuffer: (bytes: Uint8Array): unknown => bytes.slice().buffer,
    DataView: (bytes: Uint8Array): unknown => new DataView(bytes.slice().buffer),
  };
  for (const [kind, view] of Object.entries(views)) {
    it(`${kind} chunks cut inside every character read as the whole text`, async () => {
      const start = body.indexOf(0xc3); // the first byte of "ü"
      for (let at = start; at < start + 30; at++) {
        const chunks = [body.subarray(0, at), body.subarray(at)].map(view);
        const stream = new ReadableStream({
          pull(controller) {
            const next = chunks.shift();
            if (next === undefined) controller.close();
            else controller.enqueue(next);
          },
        });
        expect(await fromOpenAIChat(stream as ReadableStream<Uint8Array>).text, `cut at ${at}`).toBe(text);
      }
    });
  }
});
