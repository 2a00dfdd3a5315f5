// toResponse(stream, { format: "anthropic" }): our stream as an Anthropic Messages stream, read by
// the official `@anthropic-ai/sdk` client (its MessageStream and final message), and round-tripped
// through fromAnthropic on real recorded Anthropic streams.
import Anthropic from "@anthropic-ai/sdk";
import recordings from "virtual:recordings";
import { describe, expect, it } from "vitest";
import { fromAnthropic, fromOpenAIChat, toResponse } from "../src/index.ts";
import { bodyOf } from "./bytes.ts";
import { pulled, textMessage, type Event } from "./helpers.ts";
import { outcome } from "./rechunk.ts";

/** The Anthropic client, whose every request gets `respond()`'s response (in a browser too: the key is fake). */
function client(respond: () => Response): Anthropic {
  return new Anthropic({ apiKey: "sk-ant-test", baseURL: "https://api.test", fetch: async () => respond(), maxRetries: 0, dangerouslyAllowBrowser: true });
}

const request = { model: "claude-test", max_tokens: 1024, messages: [{ role: "user" as const, content: "hi" }] };

const fromOpenAI: Event[] = [
  { event: "message-start", id: "chatcmpl-9", metadata: { model_provider: "openai", model_name: "gpt-test" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Two " } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "calls." } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Sure — " } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "checking 🌧" } },
  { event: "content-block-start", index: 4, content: { type: "tool_call_chunk", id: "call_1", name: "weather", args: "" } },
  { event: "content-block-delta", index: 4, delta: { type: "tool_call_chunk", args: '{"city":"Oslo"}' } },
  { event: "content-block-start", index: 9, content: { type: "tool_call_chunk", id: "call_2", name: "weather", args: "" } },
  { event: "content-block-delta", index: 9, delta: { type: "tool_call_chunk", args: '{"city":' } },
  { event: "content-block-delta", index: 9, delta: { type: "tool_call_chunk", args: '"Lima"}' } },
  { event: "message-finish", reason: "tool_calls", usage: { input_tokens: 30, output_tokens: 12, total_tokens: 42, input_token_details: { cache_read: 20 } } },
];

describe("toResponse anthropic, read by the @anthropic-ai/sdk client", () => {
  it("the final message holds our text, thinking, tool calls, stop reason, usage, id and model", async () => {
    const stream = pulled(fromOpenAI);
    const messages = client(() => toResponse(stream, { format: "anthropic" })).messages.stream(request);
    let text = "";
    messages.on("text", (delta) => (text += delta));
    const message = await messages.finalMessage();
    const output = await stream.output;
    expect(message.id).toBe("chatcmpl-9");
    expect(message.model).toBe("gpt-test");
    expect(text).toBe(await stream.text);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      { type: "thinking", thinking: await stream.reasoning, signature: "" },
      { type: "text", text: await stream.text },
      ...output.tool_calls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: c.args })),
    ]);
    expect(message.usage).toMatchObject({ input_tokens: 10, cache_read_input_tokens: 20, output_tokens: 12 });
  });

  it("an error mid-stream makes the client throw the provider's message", async () => {
    const events: Event[] = [...textMessage("partial").slice(0, -1), { event: "error", message: "Overloaded", code: "overloaded_error" }];
    const messages = client(() => toResponse(pulled(events), { format: "anthropic" })).messages.stream(request);
    await expect(messages.finalMessage()).rejects.toThrow(/Overloaded/);
  });
});

describe("round trip: recorded Anthropic bytes → fromAnthropic → toResponse anthropic → fromAnthropic", () => {
  const names = Object.keys(recordings).filter((key) => key.startsWith("anthropic/"));

  it("has recordings to run", () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name}: the same message`, async () => {
      const from = () => fromAnthropic(new Response(bodyOf(recordings[name]! as Uint8Array<ArrayBuffer>), { headers: { "content-type": "text/event-stream" } }));
      const direct = await outcome(from());
      const again = await outcome(fromAnthropic(toResponse(from(), { format: "anthropic" })));
      expect(again).toEqual(direct);
    });
  }
});

describe("an Anthropic-compatible Worker in front of OpenAI-compatible providers: recorded bytes → fromOpenAIChat → toResponse anthropic, read by the @anthropic-ai/sdk client", () => {
  const names = Object.keys(recordings).filter((key) => key.startsWith("openai-chat/"));

  it("has recordings to run", () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name}: the client's final message has the text, reasoning and tool calls fromOpenAIChat read; a failure is the client's error`, async () => {
      const from = () => fromOpenAIChat(new Response(bodyOf(recordings[name]! as Uint8Array<ArrayBuffer>), { headers: { "content-type": "text/event-stream" } }));
      const direct = await outcome(from());
      const stream = client(() => toResponse(from(), { format: "anthropic" })).messages.stream(request);
      if ("error" in direct) {
        await expect(stream.finalMessage()).rejects.toThrow(direct.error.message);
        return;
      }
      const message = await stream.finalMessage();
      const output = direct.output;
      const blocks = typeof output.content === "string" ? [{ type: "text", text: output.content }] : output.content;
      const join = (type: string, key: string) => blocks.flatMap((b) => (b.type === type ? [String((b as Record<string, unknown>)[key] ?? "")] : [])).join("");
      expect(message.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")).toBe(join("text", "text"));
      expect(message.content.flatMap((b) => (b.type === "thinking" ? [b.thinking] : [])).join("")).toBe(join("reasoning", "reasoning"));
      expect(message.content.flatMap((b) => (b.type === "tool_use" ? [{ id: b.id, name: b.name, args: b.input }] : []))).toEqual(
        output.tool_calls.map((c) => ({ id: c.id, name: c.name, args: c.args })),
      );
    });
  }
});

it("a standard citation goes out as Anthropic's web search result location", async () => {
  const events: Event[] = [
    { event: "message-start", id: "m" },
    { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
    { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "See docs." } },
    { event: "content-block-finish", index: 0, content: { type: "text", text: "See docs.", annotations: [{ type: "citation", url: "https://x.test/d", title: "Docs", cited_text: "docs" }] } },
    { event: "message-finish", reason: "stop" },
  ];
  const message = await client(() => toResponse(pulled(events), { format: "anthropic" })).messages.stream(request).finalMessage();
  expect(message.content).toEqual([
    { type: "text", text: "See docs.", citations: [{ type: "web_search_result_location", url: "https://x.test/d", title: "Docs", cited_text: "docs" }] },
  ]);
});
