// fromAnthropic / AnthropicDecoderStream: Anthropic Messages streams as protocol events.
import { describe, expect, it } from "vitest";
import { AnthropicDecoderStream, fromAnthropic, HTTPError } from "../src/index.ts";
import { bodyOf, bytesOf, responseOf } from "./bytes.ts";
import * as fixtures from "./fixtures/anthropic.ts";
import { failure, readAll } from "./helpers.ts";
import { itRefusesHostileInput } from "./hostile.ts";
import { itGivesTheFixturesOutcomes, type Outcome } from "./rechunk.ts";

/** A provider event: its `type` and whatever else it carries. */
type Payload = { type: string; [field: string]: unknown };

/** One message per event object, with `event:` set to its type. */
function sse(events: readonly Payload[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

const start = {
  type: "message_start",
  message: { id: "msg_1", type: "message", role: "assistant", content: [], model: "claude-x", usage: { input_tokens: 3, output_tokens: 1 } },
};
const stop = (stop_reason = "end_turn", stop_sequence: string | null = null) => [
  { type: "message_delta", delta: { stop_reason, stop_sequence }, usage: { output_tokens: 7 } },
  { type: "message_stop" },
];

const meta = (model: string) => ({ model_provider: "anthropic", model_name: model });
const sonnet = "claude-sonnet-4-5-20250929";
const haiku = "claude-haiku-4-5-20251001";
const noCache = { cache_read: 0, cache_creation: 0 };

const expected: Record<keyof typeof fixtures, Outcome> = {
  text: {
    output: {
      type: "ai",
      id: "msg_01XFDUDYJgAACzvnptvVoYEL",
      content: [{ type: "text", text: "¡Hola! ¿Qué tal? 😊", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 25, output_tokens: 12, total_tokens: 37, input_token_details: noCache },
      response_metadata: { ...meta(sonnet), finish_reason: "end_turn", output_version: "v1" },
    },
  },
  thinking: {
    output: {
      type: "ai",
      id: "msg_01Q8Faay6S7QPTvEUUQARt7h",
      content: [
        {
          type: "reasoning",
          reasoning: "I need to find the GCD of 1071 and 462.\n\n1071 = 2 × 462 + 147, 462 = 3 × 147 + 21, 147 = 7 × 21. So the GCD is 21.",
          extras: { signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds3dq4iR8Qv1Qn9w7JqgMnYQmV2k=" },
          index: 0,
        },
        { type: "text", text: "The greatest common divisor of 1071 and 462 is **21**.", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      // Anthropic's input_tokens (12) exclude the cache; LangChain's include reads and writes.
      usage_metadata: {
        input_tokens: 2160,
        output_tokens: 96,
        total_tokens: 2256,
        input_token_details: { cache_read: 2048, cache_creation: 100 },
      },
      response_metadata: { ...meta(sonnet), finish_reason: "end_turn", output_version: "v1" },
    },
  },
  toolUse: (() => {
    const calls = [
      { type: "tool_call", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", args: { location: "San Francisco, CA", unit: "fahrenheit" } },
      { type: "tool_call", id: "toolu_01VvCz7a3Ue8Qm4kW5jHbR2n", name: "get_weather", args: { location: "Zürich, CH", unit: "celsius" } },
    ];
    return {
      output: {
        type: "ai",
        id: "msg_014p7gG3wDgGV9EUtLvnow3U",
        content: [{ type: "text", text: "I'll check the weather in both cities.", index: 0 }, ...calls],
        tool_calls: calls,
        invalid_tool_calls: [],
        usage_metadata: { input_tokens: 472, output_tokens: 129, total_tokens: 601, input_token_details: noCache },
        response_metadata: { ...meta(sonnet), finish_reason: "tool_use", output_version: "v1" },
      },
    } as Outcome;
  })(),
  webSearch: {
    output: {
      type: "ai",
      id: "msg_01G8hLkCqnXw2Ra7bYcT5uVe",
      content: [
        { type: "server_tool_call", id: "srvtoolu_014hJH82Qum7Td6UV8gDXThB", name: "web_search", args: { query: "weather NYC today" }, index: 0 },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_014hJH82Qum7Td6UV8gDXThB",
          status: "success",
          output: [
            {
              type: "web_search_result",
              title: "Weather in New York City",
              url: "https://weather.example/nyc",
              encrypted_content: "Ev0DCioIAxgCIiQ3NmU4ZmI4OC1k",
              page_age: null,
            },
          ],
          index: 1,
        },
        {
          type: "text",
          text: "It is sunny in New York today, with a high of 75°F.",
          annotations: [
            {
              type: "non_standard_annotation",
              value: {
                type: "web_search_result_location",
                cited_text: "Sunny, high of 75°F",
                url: "https://weather.example/nyc",
                title: "Weather in New York City",
                encrypted_index: "Eo8BCioIAhgBIiQyYjQ0OWJmZi1l",
              },
            },
          ],
          index: 2,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 2101, output_tokens: 58, total_tokens: 2159, input_token_details: noCache },
      // The billed web searches, from the usage of message_delta.
      response_metadata: { ...meta(sonnet), finish_reason: "end_turn", server_tool_use: { web_search_requests: 1 }, output_version: "v1" },
    },
  },
  overloaded: {
    error: {
      name: "Error",
      message: "Overloaded",
      code: "overloaded_error",
      partial: {
        type: "ai",
        id: "msg_01Abv3TQz9BkDrYw6m5HnJ2s",
        content: [{ type: "text", text: "Let me explain", index: 0 }],
        tool_calls: [],
        invalid_tool_calls: [],
        // The snapshot sent after message_start: what the prompt cost, even though the answer failed.
        usage_metadata: { input_tokens: 18, output_tokens: 1, total_tokens: 19, input_token_details: noCache },
        response_metadata: { ...meta(haiku), output_version: "v1" },
      },
    },
  },
  cutOff: {
    output: {
      type: "ai",
      id: "msg_01Hc8ZrN4xPq7Lm2Kd9WsT3v",
      content: [{ type: "text", text: "First, gather the ingredients", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 31, output_tokens: 1, total_tokens: 32, input_token_details: noCache },
      response_metadata: { ...meta(haiku), output_version: "v1" },
    },
  },
};

describe("the fixtures", () => {
  itGivesTheFixturesOutcomes(fixtures, expected, fromAnthropic);
});

describe("the events", () => {
  it("message_start gives the message id, provider and model, then a usage snapshot", async () => {
    const events = await readAll(bodyOf(bytesOf(sse([start, ...stop()]))).pipeThrough(new AnthropicDecoderStream()));
    expect(events).toEqual([
      { event: "message-start", role: "ai", id: "msg_1", metadata: { model_provider: "anthropic", model_name: "claude-x" } },
      { event: "usage", usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } },
      { event: "message-finish", reason: "end_turn", usage: { input_tokens: 3, output_tokens: 7, total_tokens: 10 } },
    ]);
  });

  it("blocks keep Anthropic's indices", async () => {
    const events = await readAll(bodyOf(bytesOf(fixtures.toolUse)).pipeThrough(new AnthropicDecoderStream()));
    expect(events.filter((e) => e.event === "content-block-start").map((e) => [e.index, e.content.type])).toEqual([
      [0, "text"],
      [1, "tool_call_chunk"],
      [2, "tool_call_chunk"],
    ]);
  });
});

describe("content", () => {
  it("a stop sequence goes to the finish metadata", async () => {
    const text = sse([start, ...stop("stop_sequence", "\n\nHuman:")]);
    const output = await fromAnthropic(responseOf(text)).output;
    expect(output.response_metadata).toEqual({
      model_provider: "anthropic",
      model_name: "claude-x",
      finish_reason: "stop_sequence",
      stop_sequence: "\n\nHuman:",
      output_version: "v1",
    });
  });

  it("a redacted thinking block is a non_standard block holding it", async () => {
    const block = { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP" };
    const text = sse([
      start,
      { type: "content_block_start", index: 0, content_block: block },
      { type: "content_block_stop", index: 0 },
      ...stop(),
    ]);
    expect((await fromAnthropic(responseOf(text)).output).content).toEqual([{ type: "non_standard", value: block, index: 0 }]);
  });

  it("tool input that is not JSON makes an invalid tool call", async () => {
    const text = sse([
      start,
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"x": tru' } },
      { type: "content_block_stop", index: 0 },
      ...stop("max_tokens"),
    ]);
    expect((await fromAnthropic(responseOf(text)).output).invalid_tool_calls).toEqual([
      { type: "invalid_tool_call", id: "toolu_1", name: "f", args: '{"x": tru', error: "Failed to parse tool call arguments as JSON" },
    ]);
  });

  it("a tool call without input is a call with empty args", async () => {
    const text = sse([
      start,
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "now", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "" } },
      { type: "content_block_stop", index: 0 },
      ...stop("tool_use"),
    ]);
    expect(await fromAnthropic(responseOf(text)).toolCalls).toEqual([{ type: "tool_call", id: "toolu_1", name: "now", args: {} }]);
  });
});

describe("failures", () => {
  it("a non-OK response fails with an HTTPError carrying the error type as code", async () => {
    const body = { type: "error", error: { type: "rate_limit_error", message: "Number of request tokens has exceeded your rate limit" } };
    const response = new Response(JSON.stringify(body), { status: 429, headers: { "retry-after": "30" } });
    const error = (await failure(fromAnthropic(response).output)) as HTTPError;
    expect([error.status, error.providerCode, error.headers.get("retry-after")]).toEqual([429, "rate_limit_error", "30"]);
  });
});

describe("hostile and foreign input", () => {
  itRefusesHostileInput({
    kind: "an Anthropic Messages stream",
    from: fromAnthropic,
    decoder: () => new AnthropicDecoderStream(),
    // The 180 bytes that froze an isolate for 92 s: finishing the blocks walked every index up to this one.
    hugeIndex:
      'data: {"type":"content_block_start","index":4294967294,"content_block":{"type":"text","text":"hi"}}\n\ndata: {"type":"message_stop"}\n\n',
  });
});
