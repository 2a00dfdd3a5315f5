// toResponse(stream, { format: "openai-chat" }): our stream as an OpenAI Chat Completions stream,
// read by the official `openai` client (its stream helper and final-completion accumulator), and
// round-tripped through fromOpenAIChat on real recorded provider streams.
import OpenAI from "openai";
import recordings from "virtual:recordings";
import { describe, expect, it } from "vitest";
import { ChatModelStream, FormatEncoderStream, fromAnthropic, fromOpenAIChat, toResponse } from "../src/index.ts";
import { bodyOf } from "./bytes.ts";
import { pulled, readableOf, textMessage, type Event } from "./helpers.ts";
import { outcome } from "./rechunk.ts";

/** The `openai` client, whose every request gets `respond()`'s response (in a browser too: the key is fake). */
function client(respond: () => Response): OpenAI {
  return new OpenAI({ apiKey: "sk-test", baseURL: "https://api.test/v1", fetch: async () => respond(), maxRetries: 0, dangerouslyAllowBrowser: true });
}

const request = { model: "gpt-test", messages: [{ role: "user" as const, content: "hi" }], stream_options: { include_usage: true } };

const toolsAndReasoning: Event[] = [
  { event: "message-start", id: "chatcmpl-42", metadata: { model_provider: "anthropic", model_name: "claude-test" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Weather " } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "twice." } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Looking ú" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "p 🌦" } },
  { event: "content-block-start", index: 5, content: { type: "tool_call_chunk", id: "toolu_a", name: "weather", args: "" } },
  { event: "content-block-delta", index: 5, delta: { type: "tool_call_chunk", args: '{"city":' } },
  { event: "content-block-start", index: 7, content: { type: "tool_call_chunk", id: "toolu_b", name: "weather", args: "" } },
  { event: "content-block-delta", index: 7, delta: { type: "tool_call_chunk", args: '{"city":"Lima"}' } },
  { event: "content-block-delta", index: 5, delta: { type: "tool_call_chunk", args: '"Oslo"}' } },
  { event: "message-finish", reason: "tool_use", usage: { input_tokens: 20, output_tokens: 9, total_tokens: 29, input_token_details: { cache_read: 12 }, output_token_details: { reasoning: 4 } } },
];

describe("toResponse openai-chat, read by the openai client", () => {
  it("the final completion holds our text, tool calls, finish reason, usage, id and model; the chunks our reasoning", async () => {
    const stream = pulled(toolsAndReasoning);
    const runner = client(() => toResponse(stream, { format: "openai-chat" })).chat.completions.stream(request);
    let reasoning = "";
    runner.on("chunk", (chunk) => {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? "";
    });
    const completion = await runner.finalChatCompletion();
    const output = await stream.output;
    expect(completion.id).toBe("chatcmpl-42");
    expect(completion.model).toBe("claude-test");
    expect(completion.choices[0]?.message.content).toBe(await stream.text);
    expect(reasoning).toBe(await stream.reasoning);
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(
      completion.choices[0]?.message.tool_calls?.map((c) => (c.type === "function" ? { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) } : c)),
    ).toEqual(output.tool_calls.map((c) => ({ id: c.id, name: c.name, args: c.args })));
    expect(completion.usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 9,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 12 },
      completion_tokens_details: { reasoning_tokens: 4 },
    });
  });

  it("plain text through the client's iteration of chunks", async () => {
    const stream = pulled(textMessage("Hel", "lo"));
    const chunks = await client(() => toResponse(stream, { format: "openai-chat" })).chat.completions.create({ ...request, stream: true });
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of chunks) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect({ text, finish }).toEqual({ text: "Hello", finish: "stop" });
  });

  it("an error mid-stream makes the client throw the provider's message", async () => {
    const events: Event[] = [...textMessage("partial").slice(0, -1), { event: "error", message: "Overloaded", code: "overloaded_error" }];
    const chunks = await client(() => toResponse(pulled(events), { format: "openai-chat" })).chat.completions.create({ ...request, stream: true });
    let text = "";
    let caught: unknown;
    try {
      for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? "";
    } catch (error) {
      caught = error;
    }
    expect(text).toBe("partial");
    expect((caught as Error).message).toMatch(/Overloaded/);
  });
});

describe("round trip: recorded OpenAI-compatible bytes → fromOpenAIChat → toResponse openai-chat → fromOpenAIChat", () => {
  const names = Object.keys(recordings).filter((key) => key.startsWith("openai-chat/"));

  it("has recordings to run", () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name}: the same message`, async () => {
      const from = () => fromOpenAIChat(new Response(bodyOf(recordings[name]! as Uint8Array<ArrayBuffer>), { headers: { "content-type": "text/event-stream" } }));
      const direct = await outcome(from());
      const again = await outcome(fromOpenAIChat(toResponse(from(), { format: "openai-chat" })));
      expect(again).toEqual(direct);
    });
  }
});

describe("the README's OpenAI-compatible Worker in front of Anthropic: recorded Anthropic bytes → fromAnthropic → toResponse openai-chat, read by the openai client", () => {
  const names = Object.keys(recordings).filter((key) => key.startsWith("anthropic/"));

  it("has recordings to run", () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name}: the client's final completion has the text and tool calls fromAnthropic read; a failure is the client's error`, async () => {
      const from = () => fromAnthropic(new Response(bodyOf(recordings[name]! as Uint8Array<ArrayBuffer>), { headers: { "content-type": "text/event-stream" } }));
      const direct = await outcome(from());
      const runner = client(() => toResponse(from(), { format: "openai-chat" })).chat.completions.stream(request);
      if ("error" in direct) {
        await expect(runner.finalChatCompletion()).rejects.toThrow(direct.error.message);
        return;
      }
      const completion = await runner.finalChatCompletion();
      const output = direct.output;
      const text = typeof output.content === "string" ? output.content : output.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
      expect(completion.choices[0]?.message.content ?? "").toBe(text);
      const calls = completion.choices[0]?.message.tool_calls ?? [];
      expect(calls.map((c) => (c.type === "function" ? { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) as unknown } : c))).toEqual(
        output.tool_calls.map((c) => ({ id: c.id, name: c.name, args: c.args })),
      );
      expect(completion.choices[0]?.finish_reason).toBe(output.tool_calls.length > 0 ? "tool_calls" : output.response_metadata["stop_reason"] === "max_tokens" ? "length" : "stop");
    });
  }
});

it("a call that streamed no argument text goes out with its finished arguments, {} for none (the client's JSON.parse of them works)", async () => {
  const events: Event[] = [
    { event: "message-start", id: "m1" },
    { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "call_a", name: "now", args: "" } },
    { event: "content-block-finish", index: 0, content: { type: "tool_call", id: "call_a", name: "now", args: {} } },
    { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "call_b", name: "lookup", args: "" } },
    { event: "content-block-finish", index: 1, content: { type: "tool_call", id: "call_b", name: "lookup", args: { q: 1 } } },
    { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "call_c", name: "later", args: "" } },
    { event: "message-finish", reason: "tool_calls" },
  ];
  const completion = await client(() => toResponse(pulled(events), { format: "openai-chat" })).chat.completions.stream(request).finalChatCompletion();
  const calls = completion.choices[0]?.message.tool_calls ?? [];
  expect(calls.map((c) => (c.type === "function" ? [c.id, c.function.arguments] : c))).toEqual([
    ["call_a", "{}"],
    ["call_b", '{"q":1}'],
    ["call_c", "{}"],
  ]);
});

it("a stream with no message-start id gets a chatcmpl id", async () => {
  const stream = new ChatModelStream();
  for (const e of textMessage("x")) stream.dispatch(e);
  stream.close();
  const text = await toResponse(stream, { format: "openai-chat" }).text();
  expect(text).toMatch(/^data: \{"id":"chatcmpl-[0-9a-f-]{36}","object":"chat.completion.chunk"/);
});

it("a standard citation goes out as OpenAI's url_citation", async () => {
  const events: Event[] = [
    { event: "message-start", id: "m" },
    { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
    { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "See docs." } },
    { event: "content-block-finish", index: 0, content: { type: "text", text: "See docs.", annotations: [{ type: "citation", url: "https://x.test/d", title: "Docs", start_index: 4, end_index: 8 }] } },
    { event: "message-finish", reason: "stop" },
  ];
  const completion = await client(() => toResponse(pulled(events), { format: "openai-chat" })).chat.completions.stream(request).finalChatCompletion();
  expect(completion.choices[0]?.message.annotations).toEqual([
    { type: "url_citation", url_citation: { url: "https://x.test/d", title: "Docs", start_index: 4, end_index: 8 } },
  ]);
});

describe("FormatEncoderStream: the same bytes from events, for pipeThrough", () => {
  it("writes what toResponse writes, for every format, and ends at the terminal event", async () => {
    for (const format of ["ui-message-stream", "openai-chat", "anthropic", "ag-ui"] as const) {
      const piped = await new Response(readableOf(toolsAndReasoning).pipeThrough(new FormatEncoderStream(format, { messageId: "chatcmpl-42" }))).text();
      const body = await toResponse(pulled(toolsAndReasoning), { format }).text();
      // Generated ids (AG-UI's run id, a created timestamp) aside, the bytes are the same.
      const stable = (text: string) => text.replace(/"created":\d+/g, "").replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>");
      expect(stable(piped), format).toBe(stable(body));
    }
  });

  it("the openai client reads the piped bytes", async () => {
    const completion = await client(
      () => new Response(readableOf(toolsAndReasoning).pipeThrough(new FormatEncoderStream("openai-chat")), { headers: { "content-type": "text/event-stream" } }),
    )
      .chat.completions.stream(request)
      .finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe("Looking úp 🌦");
  });

  it("an unknown format throws a TypeError at once", () => {
    expect(() => new FormatEncoderStream("xml" as never)).toThrow(/format must be one of "ui-message-stream"/);
  });
});
