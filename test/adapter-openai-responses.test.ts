// fromOpenAIResponses / OpenAIResponsesDecoderStream: OpenAI Responses streams as protocol events.
import { describe, expect, it } from "vitest";
import { fromOpenAIResponses, HTTPError, OpenAIResponsesDecoderStream } from "../src/index.ts";
import { bodyOf, bytesOf, responseOf } from "./bytes.ts";
import * as fixtures from "./fixtures/openai-responses.ts";
import { failure, readAll } from "./helpers.ts";
import { itRefusesHostileInput } from "./hostile.ts";
import { itGivesTheFixturesOutcomes, type Outcome } from "./rechunk.ts";

/** A provider event: its `type` and whatever else it carries. */
type Payload = { type: string; [field: string]: unknown };

/** One message per event object, with `event:` set to its type. */
function sse(events: readonly Payload[]): string {
  return events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join("");
}

const created = { type: "response.created", response: { id: "resp_1", model: "gpt-x", status: "in_progress", output: [] } };
const message = (delta: string) => [
  { type: "response.output_item.added", output_index: 0, item: { id: "msg_1", type: "message", role: "assistant", content: [] } },
  { type: "response.content_part.added", item_id: "msg_1", output_index: 0, content_index: 0, part: { type: "output_text", text: "" } },
  { type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta },
];
const completed = (status = "completed", extra: object = {}) => ({
  type: status === "completed" ? "response.completed" : `response.${status}`,
  response: { id: "resp_1", model: "gpt-x", status, ...extra },
});

const meta = (model: string) => ({ model_provider: "openai", model_name: model });

const expected: Record<keyof typeof fixtures, Outcome> = {
  reasoningAndText: {
    output: {
      type: "ai",
      id: "resp_68a1f0c2d3e4b5a6978877665544332211",
      content: [
        {
          type: "reasoning",
          reasoning: "**Converting units**\n\nThe user wants 5 km in miles: 5 × 0.621 ≈ 3.1.",
          id: "rs_68a1f0c3aa11bb22cc33dd44ee55ff66",
          index: 0,
        },
        { type: "text", text: "5 km is about 3.1 miles.", id: "msg_68a1f0c5ff00ee11dd22cc33bb44aa55", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 24,
        output_tokens: 150,
        total_tokens: 174,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 128 },
      },
      response_metadata: { ...meta("o4-mini-2025-04-16"), finish_reason: "completed", output_version: "v1" },
    },
  },
  toolCalls: (() => {
    const calls = [
      { type: "tool_call", id: "call_Xk2mP9qR4sT7vW1yZ3bC5dE8", name: "get_weather", args: { location: "Paris, France" } },
      { type: "tool_call", id: "call_Lm4nO6pQ8rS0tU2vW4xY6zA9", name: "get_time", args: { timezone: "Europe/Paris" } },
    ];
    const items = ["fc_68a1f1d1aa00000000000000000000a1", "fc_68a1f1d1bb00000000000000000000b2"];
    return {
      output: {
        type: "ai",
        id: "resp_68a1f1d0c0ffee00112233445566778899",
        content: calls.map((call, i) => ({ ...call, extras: { item_id: items[i] } })),
        tool_calls: calls,
        invalid_tool_calls: [],
        usage_metadata: {
          input_tokens: 310,
          output_tokens: 41,
          total_tokens: 351,
          input_token_details: { cache_read: 256 },
          output_token_details: { reasoning: 0 },
        },
        response_metadata: { ...meta("gpt-4.1-2025-04-14"), finish_reason: "completed", output_version: "v1" },
      },
    } as Outcome;
  })(),
  failed: {
    error: {
      name: "Error",
      message: "The model failed to generate a response.",
      code: "server_error",
      partial: {
        type: "ai",
        id: "resp_68a1f2e0deadbeef00112233445566aa",
        content: [{ type: "text", id: "msg_68a1f2e1cafe0000000000000000000c", text: "Here is the", index: 0 }],
        tool_calls: [],
        invalid_tool_calls: [],
        response_metadata: { ...meta("gpt-4.1-mini-2025-04-14"), output_version: "v1" },
      },
    },
  },
  cutOff: {
    output: {
      type: "ai",
      id: "resp_68a1f3f0abcdef00112233445566bb77",
      content: [{ type: "text", text: "Step one: preheat", id: "msg_68a1f3f1beef0000000000000000000d", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      response_metadata: { ...meta("gpt-4.1-mini-2025-04-14"), output_version: "v1" },
    },
  },
};

describe("the fixtures", () => {
  itGivesTheFixturesOutcomes(fixtures, expected, fromOpenAIResponses);
});

describe("the events", () => {
  it("text parts, reasoning parts and function calls each get a block, numbered as they appear", async () => {
    const events = await readAll(bodyOf(bytesOf(fixtures.reasoningAndText)).pipeThrough(new OpenAIResponsesDecoderStream()));
    expect(events.filter((e) => e.event === "content-block-start")).toEqual([
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "", id: "rs_68a1f0c3aa11bb22cc33dd44ee55ff66" } },
      { event: "content-block-start", index: 1, content: { type: "text", text: "", id: "msg_68a1f0c5ff00ee11dd22cc33bb44aa55" } },
    ]);
  });

  it("a function call's block id is its call_id and its arguments stream as slices", async () => {
    const events = await readAll(bodyOf(bytesOf(fixtures.toolCalls)).pipeThrough(new OpenAIResponsesDecoderStream()));
    expect(events.filter((e) => e.event !== "message-finish" && "index" in e && e.index === 1)).toEqual([
      {
        event: "content-block-start",
        index: 1,
        content: { type: "tool_call_chunk", id: "call_Lm4nO6pQ8rS0tU2vW4xY6zA9", name: "get_time", extras: { item_id: "fc_68a1f1d1bb00000000000000000000b2" }, args: "" },
      },
      { event: "content-block-delta", index: 1, delta: { type: "tool_call_chunk", args: '{"timezone":"Europe/' } },
      { event: "content-block-delta", index: 1, delta: { type: "tool_call_chunk", args: 'Paris"}' } },
      {
        event: "content-block-finish",
        index: 1,
        content: {
          type: "tool_call",
          id: "call_Lm4nO6pQ8rS0tU2vW4xY6zA9",
          name: "get_time",
          args: { timezone: "Europe/Paris" },
          extras: { item_id: "fc_68a1f1d1bb00000000000000000000b2" },
        },
      },
    ]);
  });
});

describe("content", () => {
  it("response.incomplete finishes with its reason and usage", async () => {
    const usage = { input_tokens: 5, output_tokens: 16, total_tokens: 21 };
    const text = sse([created, ...message("Once"), completed("incomplete", { incomplete_details: { reason: "max_output_tokens" }, usage })]);
    const output = await fromOpenAIResponses(responseOf(text)).output;
    expect([output.response_metadata["finish_reason"], output.usage_metadata]).toEqual(["max_output_tokens", usage]);
  });

  it("annotations added to a text part are on its block", async () => {
    const annotation = { type: "url_citation", url: "https://example.com", title: "Example", start_index: 0, end_index: 4 };
    const text = sse([
      created,
      ...message("Once"),
      { type: "response.output_text.annotation.added", item_id: "msg_1", output_index: 0, content_index: 0, annotation_index: 0, annotation },
      { type: "response.content_part.done", item_id: "msg_1", output_index: 0, content_index: 0, part: { type: "output_text", text: "Once" } },
      completed(),
    ]);
    const output = await fromOpenAIResponses(responseOf(text)).output;
    expect(output.content).toEqual([
      {
        type: "text",
        text: "Once",
        id: "msg_1",
        annotations: [{ type: "citation", url: "https://example.com", title: "Example", start_index: 0, end_index: 4 }],
        index: 0,
      },
    ]);
  });

  it("raw reasoning text (response.reasoning_text.delta) is reasoning", async () => {
    const text = sse([
      created,
      { type: "response.reasoning_text.delta", item_id: "rs_1", output_index: 0, content_index: 0, delta: "Hmm." },
      completed(),
    ]);
    expect(await fromOpenAIResponses(responseOf(text)).reasoning).toBe("Hmm.");
  });

  it("an output item of another type becomes a non_standard block holding it", async () => {
    const item = { id: "lsh_1", type: "local_shell_call", call_id: "call_1", status: "completed", action: { type: "exec", command: ["ls"] } };
    const text = sse([created, { type: "response.output_item.done", output_index: 0, item }, completed()]);
    expect((await fromOpenAIResponses(responseOf(text)).output).content).toEqual([{ type: "non_standard", value: item, index: 0 }]);
  });
});

describe("failures", () => {
  it("an error event fails the stream with its message and code", async () => {
    const text = sse([created, { type: "error", code: "rate_limit_exceeded", message: "Slow down", param: null }]);
    const error = (await failure(fromOpenAIResponses(responseOf(text)).output)) as Error & { code?: string };
    expect([error.message, error.code]).toEqual(["Slow down", "rate_limit_exceeded"]);
  });

  it("a non-OK response fails with an HTTPError", async () => {
    const body = { error: { message: "The model `o9` does not exist", type: "invalid_request_error", code: "model_not_found" } };
    const error = (await failure(fromOpenAIResponses(new Response(JSON.stringify(body), { status: 404 })).output)) as HTTPError;
    expect([error.status, error.providerCode]).toEqual([404, "model_not_found"]);
  });
});

describe("hostile and foreign input", () => {
  itRefusesHostileInput({
    kind: "an OpenAI Responses stream",
    from: fromOpenAIResponses,
    decoder: () => new OpenAIResponsesDecoderStream(),
    hugeIndex:
      'data: {"type":"response.output_text.delta","output_index":4294967294,"content_index":4294967294,"delta":"hi"}\n\ndata: {"type":"response.completed","response":{}}\n\n',
  });
});
