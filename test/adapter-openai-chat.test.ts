// fromOpenAIChat / OpenAIChatDecoderStream: OpenAI Chat Completions streams as protocol events.
import { describe, expect, it } from "vitest";
import { fromOpenAIChat, HTTPError, OpenAIChatDecoderStream } from "../src/index.ts";
import { bodyOf, bytesOf, chunkedBody, responseOf } from "./bytes.ts";
import * as fixtures from "./fixtures/openai-chat.ts";
import { failure, readAll, settle, type Message } from "./helpers.ts";
import { itRefusesHostileInput } from "./hostile.ts";
import { itGivesTheFixturesOutcomes, outcome, type Outcome } from "./rechunk.ts";

/** One `data:` message per chunk object, then `[DONE]` unless `done` is false. */
function sse(chunks: readonly object[], done = true): string {
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + (done ? "data: [DONE]\n\n" : "");
}

/** A chunk of choice 0 with this delta (and finish reason). */
function chunk(delta: object, finish_reason: string | null = null, index = 0): object {
  return { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index, delta, finish_reason }] };
}

const metadata = (model: string, extra: object = {}) => ({ model_provider: "openai", model_name: model, ...extra });

const expected: Record<keyof typeof fixtures, Outcome> = {
  text: {
    output: {
      type: "ai",
      id: "chatcmpl-BxT7e2Jq0Hq1s8WnS3aK5LmZ9pQrX",
      content: [{ type: "text", text: "Grüße aus Köln 👋! How can I help?", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 19,
        output_tokens: 11,
        total_tokens: 30,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 0 },
      },
      response_metadata: {
        ...metadata("gpt-4.1-mini-2025-04-14"),
        finish_reason: "stop",
        system_fingerprint: "fp_6f2eabb9a5",
        service_tier: "default",
        output_version: "v1",
      },
    },
  },
  reasoning: {
    output: {
      type: "ai",
      id: "9f1c2a7e-4b1d-4e0a-9a51-3c0d2b1e8f47",
      content: [
        { type: "reasoning", reasoning: "The user asks for 17 × 3. 17 × 3 = 51.", index: 0 },
        { type: "text", text: "17 × 3 = **51**", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 14,
        output_tokens: 30,
        total_tokens: 44,
        input_token_details: { cache_read: 12 },
        output_token_details: { reasoning: 21 },
      },
      response_metadata: {
        ...metadata("deepseek-reasoner"),
        finish_reason: "stop",
        system_fingerprint: "fp_7e0991cad4_prod0820_fp8_kvcache",
        output_version: "v1",
      },
    },
  },
  toolCalls: (() => {
    const calls = [
      { type: "tool_call", id: "call_5kQ2xVbN8mR1tY7wZ3aP0cLd", name: "get_weather", args: { location: "Paris, France" } },
      { type: "tool_call", id: "call_Wm3nB7vC1xZ9qR4tY6uI2oPe", name: "get_weather", args: { location: "Bogotá, Colombia" } },
    ];
    return {
      output: {
        type: "ai",
        id: "chatcmpl-BxT9kQ4v2mWcR7yL1nE8sJ0aTuVbZ",
        content: calls,
        tool_calls: calls,
        invalid_tool_calls: [],
        usage_metadata: {
          input_tokens: 82,
          output_tokens: 38,
          total_tokens: 120,
          input_token_details: { audio: 0, cache_read: 64 },
          output_token_details: { audio: 0, reasoning: 0 },
        },
        response_metadata: {
          ...metadata("gpt-4.1-2025-04-14"),
          finish_reason: "tool_calls",
          system_fingerprint: "fp_b3f1157249",
          service_tier: "default",
          output_version: "v1",
        },
      },
    } as Outcome;
  })(),
  midStreamError: {
    error: {
      name: "Error",
      message: "The server had an error while processing your request. Sorry about that!",
      code: "server_error",
      partial: {
        type: "ai",
        id: "chatcmpl-BxTAa1b2c3d4e5f6g7h8i9j0kLmNo",
        content: [{ type: "text", text: "Once upon", index: 0 }],
        tool_calls: [],
        invalid_tool_calls: [],
        response_metadata: { ...metadata("gpt-4.1-mini-2025-04-14"), output_version: "v1" },
      },
    },
  },
  cutOff: {
    output: {
      type: "ai",
      id: "chatcmpl-BxTBz9y8x7w6v5u4t3s2r1q0pOnMl",
      content: [{ type: "text", text: "The first three", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      response_metadata: { ...metadata("gpt-4.1-mini-2025-04-14"), system_fingerprint: "fp_6f2eabb9a5", output_version: "v1" },
    },
  },
};

describe("the fixtures", () => {
  itGivesTheFixturesOutcomes(fixtures, expected, fromOpenAIChat);

  it("CRLF line ends give the same outcome", async () => {
    expect(await outcome(fromOpenAIChat(responseOf(fixtures.toolCalls.replaceAll("\n", "\r\n"))))).toEqual(expected.toolCalls);
  });
});

describe("the events", () => {
  it("a text stream maps to start, block start, deltas, block finish and message finish", async () => {
    const text = sse([chunk({ role: "assistant", content: "" }), chunk({ content: "Hi" }), chunk({ content: "!" }), chunk({}, "stop")]);
    expect(await readAll(bodyOf(bytesOf(text)).pipeThrough(new OpenAIChatDecoderStream()))).toEqual([
      { event: "message-start", role: "ai", id: "chatcmpl-1", metadata: { model_provider: "openai", model_name: "m" } },
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hi" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "!" } },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "Hi!" } },
      { event: "message-finish", reason: "stop" },
    ]);
  });

  it("a tool call opens a tool_call_chunk block with its id and name, and its arguments are slices", async () => {
    const text = sse([
      chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }),
    ]);
    const events = await readAll(bodyOf(bytesOf(text)).pipeThrough(new OpenAIChatDecoderStream()));
    expect(events.slice(1, 4)).toEqual([
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "call_1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"a":1}' } },
      { event: "content-block-finish", index: 0, content: { type: "tool_call", id: "call_1", name: "f", args: { a: 1 } } },
    ]);
  });

  it("the decoder stream ends at [DONE] and cancels the rest of its input", async () => {
    const source = chunkedBody([bytesOf(sse([chunk({ content: "x" })])), bytesOf(sse([chunk({ content: "late" })]))], true);
    const events = await readAll(source.body.pipeThrough(new OpenAIChatDecoderStream()));
    await settle();
    expect({ last: events.at(-1)?.event, cancelled: source.cancelled !== undefined }).toEqual({ last: "message-finish", cancelled: true });
  });
});

describe("content", () => {
  it("reasoning in a `reasoning` field (OpenRouter, vLLM) is reasoning", async () => {
    const text = sse([chunk({ reasoning: "Think." }), chunk({ content: "Done." }, "stop")]);
    expect(await fromOpenAIChat(responseOf(text)).reasoning).toBe("Think.");
  });

  it("interleaved parallel tool calls are told apart by their index", async () => {
    const call = (index: number, fields: object) => chunk({ tool_calls: [{ index, ...fields }] });
    const text = sse([
      call(0, { id: "a", function: { name: "f", arguments: '{"x":' } }),
      call(1, { id: "b", function: { name: "g", arguments: '{"y":' } }),
      call(0, { function: { arguments: "1}" } }),
      call(1, { function: { arguments: "2}" } }),
      chunk({}, "tool_calls"),
    ]);
    expect(await fromOpenAIChat(responseOf(text)).toolCalls).toEqual([
      { type: "tool_call", id: "a", name: "f", args: { x: 1 } },
      { type: "tool_call", id: "b", name: "g", args: { y: 2 } },
    ]);
  });

  it("tool-call readers get chunks that carry the block index", async () => {
    const chunks = await readAll(fromOpenAIChat(responseOf(fixtures.toolCalls), { highWaterMark: 0 }).toolCalls);
    expect(chunks.map((c) => [c.index, c.name ?? c.args])).toEqual([
      [0, "get_weather"],
      [0, '{"lo'],
      [0, 'cation": "Paris, France"}'],
      [1, "get_weather"],
      [1, '{"location": '],
      [1, '"Bogotá, Colombia"}'],
    ]);
  });

  it("arguments that are not a JSON object make an invalid tool call", async () => {
    const text = sse([chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: '{"x":' } }] }, "length")]);
    const message: Message = await fromOpenAIChat(responseOf(text)).output;
    expect(message.invalid_tool_calls).toEqual([
      { type: "invalid_tool_call", id: "a", name: "f", args: '{"x":', error: "Failed to parse tool call arguments as JSON" },
    ]);
  });

  it("only choice 0 is this message (n > 1)", async () => {
    const text = sse([chunk({ content: "zero" }), chunk({ content: "one" }, null, 1), chunk({}, "stop")]);
    expect(await fromOpenAIChat(responseOf(text)).text).toBe("zero");
  });
});

describe("failures", () => {
  it("a non-OK response fails with an HTTPError carrying the provider's message and code", async () => {
    const body = { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } };
    const response = new Response(JSON.stringify(body), { status: 401, statusText: "Unauthorized" });
    const error = (await failure(fromOpenAIChat(response).output)) as HTTPError;
    expect([error instanceof HTTPError, error.status, error.providerCode, error.message]).toEqual([
      true,
      401,
      "invalid_api_key",
      "HTTP 401 Unauthorized: Incorrect API key provided",
    ]);
  });

  it("a JSON response (a request without stream: true) fails with a TypeError that says so", async () => {
    const response = responseOf('{"id":"chatcmpl-1","object":"chat.completion","choices":[]}', { contentType: "application/json" });
    const error = await failure(fromOpenAIChat(response).output);
    expect([error.name, error.message]).toEqual([
      "TypeError",
      'Expected a text/event-stream response, got application/json: was the request sent with "stream": true?',
    ]);
  });

  it("data that is not JSON fails with a TypeError naming the message's position", async () => {
    const error = await failure(fromOpenAIChat(responseOf(`${sse([chunk({ content: "a" })], false)}data: {nope\n\n`)).output);
    expect(error.message).toBe('Invalid OpenAI chat event data at position 1: not JSON: "{nope"');
  });

  it("cancelling the stream cancels the response body", async () => {
    const source = chunkedBody([bytesOf(sse([chunk({ content: "a" })], false))], true);
    const stream = fromOpenAIChat(source.body);
    await stream.text.getReader().read();
    await stream.aclose();
    await settle();
    expect(source.cancelled).toBeDefined();
  });
});

describe("hostile and foreign input", () => {
  itRefusesHostileInput({
    kind: "an OpenAI Chat Completions stream",
    from: fromOpenAIChat,
    decoder: () => new OpenAIChatDecoderStream(),
    hugeIndex:
      'data: {"choices":[{"index":0,"delta":{"content":"hi","tool_calls":[{"index":4294967294,"id":"c","function":{"name":"f","arguments":"{}"}}]}}]}\n\ndata: [DONE]\n\n',
  });
});
