// Hostile and foreign input, the same for each provider adapter: an absurd block index, another
// provider's stream, a 200 response that is not a stream, and bad bytes through the decoder stream.
import { expect, it } from "vitest";
import type { ChatModelStream, DecoderOptions, ProtocolEvent, ResponseInput } from "../src/index.ts";
import { bytesOf, chunkedBody, endlessLine, responseOf } from "./bytes.ts";
import * as anthropic from "./fixtures/anthropic.ts";
import * as bedrock from "./fixtures/bedrock.ts";
import * as gemini from "./fixtures/gemini.ts";
import * as ollama from "./fixtures/ollama.ts";
import * as openaiChat from "./fixtures/openai-chat.ts";
import * as openaiResponses from "./fixtures/openai-responses.ts";
import * as workersAI from "./fixtures/workers-ai.ts";
import { failure, readUntilError, settle } from "./helpers.ts";

/** The three providers' streams, by the name the adapters' errors give them. */
export const providers = {
  "an OpenAI Chat Completions stream": openaiChat as Record<string, string>,
  "an OpenAI Responses stream": openaiResponses as Record<string, string>,
  "an Ollama chat stream": ollama as Record<string, string>,
  "a Workers AI stream": workersAI as Record<string, string>,
  "an Anthropic Messages stream": anthropic as Record<string, string>,
  "an AWS Bedrock ConverseStream": bedrock as Record<string, string>,
  "a Google Gemini stream": gemini as Record<string, string>,
};

export type Provider = keyof typeof providers;

export interface Adapter {
  /** What the adapter reads, as its errors name it. */
  kind: Provider;
  from: (input: ResponseInput, options?: DecoderOptions) => ChatModelStream;
  decoder: () => TransformStream<Uint8Array, ProtocolEvent>;
  /** A small body whose block index is 4294967294 (2^32 − 2, the largest array index), with text "hi". */
  hugeIndex: string;
}

/** Call inside a describe block. */
export function itRefusesHostileInput(adapter: Adapter): void {
  it("a block index of 4294967294 is finished in well under a second", async () => {
    const started = performance.now();
    const text = await adapter.from(responseOf(adapter.hugeIndex)).text;
    const elapsed = performance.now() - started;
    expect({ text, bytes: bytesOf(adapter.hugeIndex).length <= 200, fast: elapsed < 1000 }).toEqual({ text: "hi", bytes: true, fast: true });
  }, 10_000);

  for (const [other, fixtures] of Object.entries(providers)) {
    if (other === adapter.kind) continue;
    for (const [name, fixture] of Object.entries(fixtures)) {
      it(`fed ${other} (${name}), fails with a TypeError that says so`, async () => {
        const error = await failure(adapter.from(responseOf(fixture)).output);
        expect([error.name, error.message.startsWith(`Expected ${adapter.kind}, got ${other}`)]).toEqual(["TypeError", true]);
      });
    }
  }

  it("a body that never ends its line fails once it passes maxLineBytes, and is cancelled", async () => {
    const source = endlessLine("data: ", 50 * 1024 * 1024);
    const error = await failure(adapter.from(source.body, { maxLineBytes: 1024 * 1024 }).output);
    await settle();
    expect([error.name, error.message, source.pulled <= 2 * 1024 * 1024, source.cancelled !== undefined]).toEqual([
      "RangeError",
      "maxLineBytes exceeded: the stream has a line longer than maxLineBytes (1048576 bytes)",
      true,
      true,
    ]);
  }, 30_000);

  it("a line longer than maxBytes fails as maxBytes", async () => {
    const source = endlessLine("data: ", 50 * 1024 * 1024);
    const error = await failure(adapter.from(source.body, { maxBytes: 100_000 }).output);
    expect([error.name, error.message.includes("maxBytes (100000)")]).toEqual(["RangeError", true]);
  }, 30_000);

  it.each([
    ["an HTML page", "text/html; charset=utf-8", "<!doctype html><title>502</title>", "got text/html"],
    ["a JSON body", "application/json", '{"id":"x"}', "got application/json"],
    ["plain text", "text/plain", "upstream connect error", "got text/plain"],
  ])("a 200 response that is not a stream (%s) fails with a TypeError naming its content type", async (_what, contentType, body, named) => {
    const error = await failure(adapter.from(responseOf(body, { contentType })).output);
    expect([error.name, error.message.includes(named)]).toEqual(["TypeError", true]);
  });

  it("the decoder stream errors its output on data that is not JSON, with no unhandled rejection", async () => {
    const source = chunkedBody([bytesOf("data: {nope\n\n")], true);
    const { error } = await readUntilError(source.body.pipeThrough(adapter.decoder()));
    await settle();
    expect([(error as Error | undefined)?.name, source.cancelled !== undefined]).toEqual(["TypeError", true]);
  });

  it("the decoder stream errors its output when fed another provider's stream", async () => {
    const other = Object.keys(providers).find((k) => k !== adapter.kind) as Provider;
    const fixture = Object.values(providers[other])[0]!;
    const { error } = await readUntilError(chunkedBody([bytesOf(fixture)]).body.pipeThrough(adapter.decoder()));
    expect((error as Error | undefined)?.message.startsWith(`Expected ${adapter.kind}, got ${other}`)).toBe(true);
  });
}
