// fromOpenAIResponses on OpenAI Responses streams recorded from real traffic (test/fixtures/recorded/openai-responses/,
// each file's source in SOURCES), and the fixes those recordings called for.
import { describe, expect, it } from "vitest";
import { fromOpenAIResponses, OpenAIResponsesDecoderStream, type ProtocolEvent } from "../src/index.ts";
import { bodyOf, bytesOf, responseOf } from "./bytes.ts";
import { readAll } from "./helpers.ts";
import { itGivesTheRecordingsOutcomes, type Outcome } from "./rechunk.ts";

/** The Bedrock recording's reasoning item, as `response.output_item.done` carries it. */
const BEDROCK_ENCRYPTED =
  "rsn_5ZVrif4J0bXIqmWdledj7QIFeB83roAWNgm2GR1OVcTj7WjTMiXJp2YTWm4UERdloS6GAF8AAQAVYXdzLWNyeXB0by1wdWJsaWMta2V5AERBcVZ2aDVnOWRVY3VKT0sxdXg0MUdQNUZxeDdSVkJRdEhiWmlkazBLQmpERDFuNEdyaWhIdlZyZnFkNUxTMmhWMEE9PQABABFhd3Mta21zLWhpZXJhcmNoeQAKYmVybS1zdG9yZQBcj9IWX7UOl2l9AkbEgAMvuFhBr/dIqUHr82G+CFrKc+5ls0wRpnX+0wjWt1I7r14bp/HOzqSQoaHBKMdBEgZw3dNg3+Hl9vDweHdDB+aJBkc2SMdJito0vOUbtaoCAAAQAMwIkQ6tG8yyrMUKf2qnzUtRkVRzGEGdP6wBQpCbKqlev8gb+JgHLN8kXIRQkboq7v////8AAAABAAAAAAAAAAAAAAABAAAAeZbF+sxwGUVP8huw4MN/pdwnuInslHmdUpIJFWTAnThSSphUYyyjRlGRddT6BxuYjQ5sfB74EKi0AdypFKebFTx0t9FntEP3gLAY81C+/U1sJpfRUVI5xNEeyN3KdnJNf5P4BL7OPukZOs2LEjkzW3SwyvJF8BV1ag0yeNLZmnSMxpefbJZjX8IPAGcwZQIwLIiIlz+AqpSnUDdnBu/n9fZnBkvs2SNHAlT6R3tCnXjwsoZjcw+286v5zBTSHT+XAjEAzLoiRtPlowhFkHnA7TYRCUQQjvlQzJDwmVWU+gcuM1oUS71Jjz3ilUC6/NbDpMb1";

const meta = (model: string, finish?: string): Record<string, unknown> => ({
  model_provider: "openai",
  model_name: model,
  ...(finish !== undefined ? { finish_reason: finish } : {}),
  output_version: "v1",
});

/*
 * Each outcome was written from its recording and checked against an independent reading of the raw
 * bytes (output_text, reasoning and argument deltas joined per part, each function call's arguments
 * parsed from its output_item.done, usage from the terminal event, an unterminated last message dropped).
 */
const capital = { type: "tool_call" as const, id: "call_kL0PCQV7M2WMoVX8V8OtYSAL", name: "get_capital", args: { country: "France" } };
const secondTool = { type: "tool_call" as const, id: "call_1", name: "second_tool", args: {} };
const temperature = { type: "tool_call" as const, id: "call_00_xjY8Z2BvSlzgEmmw0DtH0464", name: "get_temperature", args: { city: "Tokyo" } };
const quota =
  "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.";

const expected: Record<string, Outcome> = {
  "function-call.sse": {
    output: {
      type: "ai",
      id: "resp_67e554a155508191900ee113293c4c830794405d35281ae2",
      content: [{ ...capital, extras: { item_id: "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2" } }],
      tool_calls: [capital],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 255,
        output_tokens: 16,
        total_tokens: 271,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 0 },
      },
      response_metadata: meta("gpt-4o-2024-08-06", "completed"),
    },
  },
  "file-search.sse": {
    output: {
      type: "ai",
      id: "resp_006dcb10dc68b990006931d756c6fc819ba28a90e19a504ee0",
      content: [
        {
          type: "server_tool_call",
          id: "fs_006dcb10dc68b990006931d758d64c819b8936fb07f31c09d4",
          name: "file_search",
          args: { queries: ["What is the capital of France?"] },
          index: 0,
        },
        { type: "server_tool_result", tool_call_id: "fs_006dcb10dc68b990006931d758d64c819b8936fb07f31c09d4", status: "success", index: 1 },
        {
          type: "text",
          id: "msg_006dcb10dc68b990006931d75a58dc819bb156d745aff1ee2a",
          text: "The capital of France is Paris.",
          annotations: [{ type: "citation", title: "tmp8l5_2pzy.txt", extras: { file_id: "file-9RhPAs9YqVajpGXRfcgavJ", index: 30 } }],
          index: 2,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 1177,
        output_tokens: 37,
        total_tokens: 1214,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 0 },
      },
      response_metadata: meta("gpt-4o-2024-08-06", "completed"),
    },
  },
  "web-search-citation.sse": {
    output: {
      type: "ai",
      id: "resp_0b5cbf1ce3f8b01c00696d5e6d1bdc819c849e7ff3935fc167",
      content: [
        {
          type: "server_tool_call",
          id: "ws_0b5cbf1ce3f8b01c00696d5e6dd828819ca5c5eaf4bc746b6f",
          name: "web_search",
          args: { type: "search", queries: ["tallest mountain in Alberta"], query: "tallest mountain in Alberta" },
          index: 0,
        },
        { type: "server_tool_result", tool_call_id: "ws_0b5cbf1ce3f8b01c00696d5e6dd828819ca5c5eaf4bc746b6f", status: "success", index: 1 },
        {
          type: "text",
          id: "msg_0b5cbf1ce3f8b01c00696d5e6e9c00819c80af19e49f76161c",
          text: "Alberta’s tallest mountain (highest point) is **Mount Columbia**, at **3,747 m (12,294 ft)**. ([britannica.com](https://www.britannica.com/place/Mount-Columbia?utm_source=openai))",
          annotations: [
            {
              type: "citation",
              url: "https://www.britannica.com/place/Mount-Columbia?utm_source=openai",
              title: "Mount Columbia | mountain, Alberta, Canada | Britannica",
              start_index: 94,
              end_index: 179,
            },
          ],
          index: 2,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 8234,
        output_tokens: 79,
        total_tokens: 8313,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 34 },
      },
      response_metadata: meta("gpt-5.2-2025-12-11", "completed"),
    },
  },
  "web-search-twice.sse": {
    output: {
      type: "ai",
      id: "resp_0a4bc5e23769d65c00696d5e657050819db65effaff8424729",
      content: [
        {
          type: "server_tool_call",
          id: "ws_0a4bc5e23769d65c00696d5e682884819da7fe3195ef84421f",
          name: "web_search",
          args: {
            type: "search",
            queries: ["tallest mountain in Alberta highest peak Alberta Mount Columbia elevation"],
            query: "tallest mountain in Alberta highest peak Alberta Mount Columbia elevation",
          },
          index: 0,
        },
        { type: "server_tool_result", tool_call_id: "ws_0a4bc5e23769d65c00696d5e682884819da7fe3195ef84421f", status: "success", index: 1 },
        {
          type: "server_tool_call",
          id: "ws_0a4bc5e23769d65c00696d5e6a0588819d835082264406b94b",
          name: "web_search",
          args: {
            type: "search",
            queries: [
              "Mount Columbia highest point in Alberta 3747 m highest mountain in Alberta",
              "Mount Columbia tallest mountain in Alberta official source",
            ],
            query: "Mount Columbia highest point in Alberta 3747 m highest mountain in Alberta",
          },
          index: 2,
        },
        { type: "server_tool_result", tool_call_id: "ws_0a4bc5e23769d65c00696d5e6a0588819d835082264406b94b", status: "success", index: 3 },
        {
          type: "text",
          id: "msg_0a4bc5e23769d65c00696d5e6bade4819d9c681da9ecb436c6",
          text: "The tallest mountain in Alberta is **Mount Columbia** (3,747 m / 12,294 ft). ([britannica.com](https://www.britannica.com/place/Mount-Columbia?utm_source=openai))",
          annotations: [
            {
              type: "citation",
              url: "https://www.britannica.com/place/Mount-Columbia?utm_source=openai",
              title: "Mount Columbia | mountain, Alberta, Canada | Britannica",
              start_index: 77,
              end_index: 162,
            },
          ],
          index: 4,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 12243,
        output_tokens: 140,
        total_tokens: 12383,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 100 },
      },
      response_metadata: meta("gpt-5.2-2025-12-11", "completed"),
    },
  },
  "bedrock-encrypted-reasoning.sse": {
    output: {
      type: "ai",
      id: "resp_3irkem3mb4qjb6cw3bfrozqwtev62iuhg5ygpmhx2j775j2hft5q",
      content: [
        { type: "reasoning", id: "rs_4a4c74f82a535c8f8bda7d43b75d75f7", reasoning: "", extras: { encrypted_content: BEDROCK_ENCRYPTED }, index: 0 },
        { ...secondTool, extras: { item_id: "fc_90eeebebbc0858fb8cfcf850d451caf8" } },
      ],
      tool_calls: [secondTool],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 115,
        output_tokens: 30,
        total_tokens: 145,
        input_token_details: { cache_read: 0, cache_creation: 0 },
        output_token_details: { reasoning: 14 },
      },
      response_metadata: meta("openai.gpt-5.6-luna", "completed"),
    },
  },
  "deepseek-reasoning-text-tool.sse": {
    output: {
      type: "ai",
      id: "1235b7ba-fdc9-4a1c-bfe4-6137c207baf3",
      content: [
        { type: "reasoning", id: "fa6f3a83-5d25-46e8-9d03-1a89ce5cf2ba", reasoning: "The user asks about temperature in Tokyo. I'll call the tool.", index: 0 },
        { ...temperature, extras: { item_id: "62bf2bb7-56af-4e3a-883b-83d4aad54da1" } },
      ],
      tool_calls: [temperature],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 366,
        output_tokens: 59,
        total_tokens: 425,
        input_token_details: { cache_read: 256 },
        output_token_details: { reasoning: 14 },
      },
      response_metadata: meta("deepseek-v4-flash", "completed"),
    },
  },
  "openrouter-raw-reasoning.sse": {
    output: {
      type: "ai",
      id: "gen-1764265411-Fu1iEX7h5MRWiL79lb94",
      content: [
        {
          type: "reasoning",
          id: "rs_tmp_2kbe7x16sax",
          reasoning: 'The user asks: "What is 2+2?" They expect a straightforward answer: 4. Just answer 4.',
          index: 0,
        },
        { type: "text", id: "msg_tmp_8cjof4f6zpw", text: "4", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 78,
        output_tokens: 37,
        total_tokens: 115,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 22 },
      },
      response_metadata: meta("openai/gpt-oss-20b", "completed"),
    },
  },
  // The recording ends without the blank line that would dispatch response.completed: a cut-off stream.
  "reasoning-without-summary.sse": {
    output: {
      type: "ai",
      id: "resp_68d7eff889908196bde536de7b601b7d07152cb8c6ac9072",
      content: [
        { type: "reasoning", id: "rs_68d7eff985648196883d78673232885e07152cb8c6ac9072", reasoning: "", extras: { encrypted_content: "encrypted-2" }, index: 0 },
        { type: "text", id: "msg_68d7eff9c3b8819683eb04cbeb3775d507152cb8c6ac9072", text: "Hello, World!", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      response_metadata: meta("gpt-5-2025-08-07"),
    },
  },
  "error-insufficient-quota.sse": {
    error: {
      name: "Error",
      message: quota,
      code: "insufficient_quota",
      partial: {
        type: "ai",
        id: "resp_0265b28bea036ff60068df845920648196938b4f36acdcee37",
        content: "",
        tool_calls: [],
        invalid_tool_calls: [],
        response_metadata: meta("gpt-5-2025-08-07"),
      },
    },
  },
};

describe("the recordings", () => {
  itGivesTheRecordingsOutcomes("openai-responses", expected, (input) => fromOpenAIResponses(input));
});

/** A provider event: its `type` and whatever else it carries. */
type Payload = { type: string; [field: string]: unknown };

/** One message per event, `event:` set to its type, as the API sends them. */
function sse(events: readonly Payload[]): string {
  return events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join("");
}

const created = { type: "response.created", response: { id: "resp_1", model: "gpt-x", status: "in_progress", output: [] } };
const completed = { type: "response.completed", response: { id: "resp_1", model: "gpt-x", status: "completed" } };
const messageItem = { id: "msg_1", type: "message", role: "assistant", status: "in_progress", content: [] };
const part = (type: string, extra: object = {}) => ({ item_id: "msg_1", output_index: 0, content_index: 0, ...extra, type });

describe("refusals", () => {
  const refusal = [
    created,
    { type: "response.output_item.added", output_index: 0, item: messageItem },
    part("response.content_part.added", { part: { type: "refusal", refusal: "" } }),
    part("response.refusal.delta", { delta: "I'm sorry, I can't " }),
    part("response.refusal.delta", { delta: "help with that." }),
    part("response.refusal.done", { refusal: "I'm sorry, I can't help with that." }),
    part("response.content_part.done", { part: { type: "refusal", refusal: "I'm sorry, I can't help with that." } }),
    completed,
  ];

  it("a refusal part is a refusal block and response_metadata.refusal, not answer text", async () => {
    const stream = fromOpenAIResponses(responseOf(sse(refusal)));
    const [output, text] = await Promise.all([stream.output, stream.text]);
    expect([output.content, output.response_metadata["refusal"], text]).toEqual([
      [{ type: "non_standard", value: { type: "refusal", refusal: "I'm sorry, I can't help with that." }, index: 0 }],
      "I'm sorry, I can't help with that.",
      "",
    ]);
  });

  it("a refusal sent whole in response.refusal.done, without deltas, is kept", async () => {
    const whole = refusal.filter((e) => e.type !== "response.refusal.delta");
    const output = await fromOpenAIResponses(responseOf(sse(whole))).output;
    expect(output.response_metadata["refusal"]).toBe("I'm sorry, I can't help with that.");
  });
});

describe("reasoning items", () => {
  const item = (encrypted: string, summary: unknown[] = []) => ({ id: "rs_1", type: "reasoning", summary, encrypted_content: encrypted });
  const summaryPart = (index: number, type: string, extra: object) => ({ item_id: "rs_1", output_index: 0, summary_index: index, ...extra, type });
  const summarized = [
    created,
    { type: "response.output_item.added", output_index: 0, item: item("gAAAA-early") },
    summaryPart(0, "response.reasoning_summary_part.added", { part: { type: "summary_text", text: "" } }),
    summaryPart(0, "response.reasoning_summary_text.delta", { delta: "First." }),
    summaryPart(0, "response.reasoning_summary_part.done", { part: { type: "summary_text", text: "First." } }),
    summaryPart(1, "response.reasoning_summary_part.added", { part: { type: "summary_text", text: "" } }),
    summaryPart(1, "response.reasoning_summary_text.delta", { delta: "Second." }),
    summaryPart(1, "response.reasoning_summary_part.done", { part: { type: "summary_text", text: "Second." } }),
    { type: "response.output_item.done", output_index: 0, item: item("gAAAA-final", [{ type: "summary_text", text: "First." }]) },
    completed,
  ];

  it("the item's final encrypted_content rides on its first summary block, as extras", async () => {
    const output = await fromOpenAIResponses(responseOf(sse(summarized))).output;
    expect(output.content).toEqual([
      { type: "reasoning", id: "rs_1", reasoning: "First.", extras: { encrypted_content: "gAAAA-final" }, index: 0 },
      { type: "reasoning", id: "rs_1", reasoning: "Second.", index: 1 },
    ]);
  });

  it("the first summary block finishes when the item is done, the others when their part is", async () => {
    const events = await readAll(bodyOf(bytesOf(sse(summarized))).pipeThrough(new OpenAIResponsesDecoderStream()));
    const finishes = events.filter((e): e is Extract<ProtocolEvent, { event: "content-block-finish" }> => e.event === "content-block-finish");
    expect(finishes.map((e) => e.index)).toEqual([1, 0]);
  });

  it("a reasoning item with no summary and no encrypted content still leaves a block with its id", async () => {
    const bare = { id: "rs_2", type: "reasoning", summary: [] };
    const text = sse([
      created,
      { type: "response.output_item.added", output_index: 0, item: bare },
      { type: "response.output_item.done", output_index: 0, item: bare },
      completed,
    ]);
    expect((await fromOpenAIResponses(responseOf(text)).output).content).toEqual([{ type: "reasoning", id: "rs_2", reasoning: "", index: 0 }]);
  });
});

describe("built-in tools", () => {
  it("a code interpreter call is a server tool call with its code, and a result with its outputs", async () => {
    const call = { id: "ci_1", type: "code_interpreter_call", status: "in_progress", code: "", container_id: "cntr_1", outputs: null };
    const done = { ...call, status: "completed", code: "print(6 * 7)", outputs: [{ type: "logs", logs: "42\n" }] };
    const text = sse([
      created,
      { type: "response.output_item.added", output_index: 0, item: call },
      { type: "response.code_interpreter_call.interpreting", output_index: 0, item_id: "ci_1" },
      { type: "response.output_item.done", output_index: 0, item: done },
      completed,
    ]);
    expect((await fromOpenAIResponses(responseOf(text)).output).content).toEqual([
      { type: "server_tool_call", id: "ci_1", name: "code_interpreter", args: { code: "print(6 * 7)" }, extras: { container_id: "cntr_1" }, index: 0 },
      { type: "server_tool_result", tool_call_id: "ci_1", status: "success", output: [{ type: "logs", logs: "42\n" }], index: 1 },
    ]);
  });

  it("a web search call's block starts when the call is added, before its result", async () => {
    const call = { id: "ws_1", type: "web_search_call", status: "in_progress" };
    const text = sse([created, { type: "response.output_item.added", output_index: 0, item: call }]);
    const events = await readAll(bodyOf(bytesOf(text)).pipeThrough(new OpenAIResponsesDecoderStream()));
    expect(events.find((e) => e.event === "content-block-start")).toEqual({
      event: "content-block-start",
      index: 0,
      content: { type: "server_tool_call", id: "ws_1", name: "web_search", args: {} },
    });
  });
});

describe("incomplete responses", () => {
  it("response.incomplete finishes with incomplete_details in response_metadata", async () => {
    const incomplete = {
      type: "response.incomplete",
      response: { id: "resp_1", model: "gpt-x", status: "incomplete", incomplete_details: { reason: "content_filter" } },
    };
    const output = await fromOpenAIResponses(responseOf(sse([created, incomplete]))).output;
    expect(output.response_metadata).toEqual({
      model_provider: "openai",
      model_name: "gpt-x",
      finish_reason: "content_filter",
      incomplete_details: { reason: "content_filter" },
      output_version: "v1",
    });
  });
});
