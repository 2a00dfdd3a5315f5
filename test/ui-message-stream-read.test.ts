// fromResponse reading the AI SDK's UI Message Stream. The judge is the real producer: the `ai`
// package's streamText over a mock model, sent with toUIMessageStreamResponse(); what we read must
// equal what the AI SDK's own result says. Then a round trip through our own ui-message-stream writer.
import {
  createUIMessageStream,
  DefaultChatTransport,
  JsonToSseTransformStream,
  jsonSchema,
  readUIMessageStream,
  stepCountIs,
  streamText,
  tool,
  UI_MESSAGE_STREAM_HEADERS,
  type LanguageModelUsage,
  type UIMessage,
  type UIMessageChunk,
  type UIMessageStreamWriter,
} from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/chat-model-stream.ts";
import { fromResponse } from "../src/decoders/from-response.ts";
import { toResponse } from "../src/encoders/to-response.ts";
import type { AIMessage, ProtocolEvent } from "../src/protocol.ts";
import { failure, pulled, reasoningAndTools, scriptedSource, textMessage, type Event } from "./helpers.ts";

type Part = Record<string, unknown>;

/** A pull stream over the model's parts, one per read, like a provider over the network. */
function partsStream(parts: readonly Part[]): ReadableStream<never> {
  let i = 0;
  return new ReadableStream<never>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++] as never);
      else controller.close();
    },
  });
}

/** A mock model whose n-th call streams the n-th list of parts. */
function model(...calls: Part[][]): MockLanguageModelV3 {
  let call = 0;
  return new MockLanguageModelV3({ doStream: async () => ({ stream: partsStream(calls[call++] ?? []) }) });
}

const usage = (input: number, output: number): Part => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

/** Reasoning, text, and two tool calls whose inputs stream in slices, ending in tool-calls. */
const reasoningTextTools: Part[] = [
  { type: "stream-start", warnings: [] },
  { type: "response-metadata", id: "resp-1", modelId: "mock-model" },
  { type: "reasoning-start", id: "r1" },
  { type: "reasoning-delta", id: "r1", delta: "Two cities, " },
  { type: "reasoning-delta", id: "r1", delta: "two calls." },
  { type: "reasoning-end", id: "r1" },
  { type: "text-start", id: "t1" },
  { type: "text-delta", id: "t1", delta: "Checking " },
  { type: "text-delta", id: "t1", delta: "both 👋." },
  { type: "text-end", id: "t1" },
  { type: "tool-input-start", id: "call_a", toolName: "weather" },
  { type: "tool-input-delta", id: "call_a", delta: '{"city":' },
  { type: "tool-input-delta", id: "call_a", delta: '"Oslo"}' },
  { type: "tool-input-end", id: "call_a" },
  { type: "tool-call", toolCallId: "call_a", toolName: "weather", input: '{"city":"Oslo"}' },
  { type: "tool-call", toolCallId: "call_b", toolName: "weather", input: '{"city":"Lima"}' },
  { type: "finish", finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage: usage(12, 30) },
];

const weatherSchema = jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] });

/** LangChain's name for an AI SDK finish reason. */
function langchainReason(reason: string): string {
  return reason === "tool-calls" ? "tool_calls" : reason === "content-filter" ? "content_filter" : reason;
}

/** The AI SDK's tool calls as LangChain's. */
function asToolCalls(calls: readonly { toolCallId: string; toolName: string; input: unknown }[]): unknown[] {
  return calls.map((c) => ({ type: "tool_call", id: c.toolCallId, name: c.toolName, args: c.input }));
}

/** All raw events of a stream read with fromResponse. */
async function eventsOf(response: Response): Promise<ProtocolEvent[]> {
  const out: ProtocolEvent[] = [];
  for await (const event of fromResponse(response).events) out.push(event);
  return out;
}

describe("fromResponse reads the AI SDK's UI message stream (the ai package as producer)", () => {
  it("reasoning, text, streamed and whole tool calls, and the finish reason equal streamText's result", async () => {
    const result = streamText({ model: model(reasoningTextTools), prompt: "weather?", tools: { weather: tool({ inputSchema: weatherSchema }) } });
    const response = result.toUIMessageStreamResponse();
    expect(response.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    const stream = fromResponse(response);
    const [text, reasoning, output] = await Promise.all([stream.text, stream.reasoning, stream.output]);

    expect(text).toBe(await result.text);
    expect(reasoning).toBe(await result.reasoningText);
    expect(output.tool_calls).toEqual(asToolCalls(await result.toolCalls));
    expect(output.response_metadata["finish_reason"]).toBe(langchainReason(await result.finishReason));
    expect(output.content).toEqual([
      { type: "reasoning", reasoning: "Two cities, two calls.", index: 0 },
      { type: "text", text: "Checking both 👋.", index: 1 },
      { type: "tool_call", id: "call_a", name: "weather", args: { city: "Oslo" } },
      { type: "tool_call", id: "call_b", name: "weather", args: { city: "Lima" } },
    ]);
  });

  it("the tool-call projection streams the slices of a call before it is whole", async () => {
    const result = streamText({ model: model(reasoningTextTools), prompt: "weather?", tools: { weather: tool({ inputSchema: weatherSchema }) } });
    const chunks: unknown[] = [];
    for await (const chunk of fromResponse(result.toUIMessageStreamResponse()).toolCalls) chunks.push(chunk);
    expect(chunks.slice(0, 3)).toEqual([
      expect.objectContaining({ id: "call_a", name: "weather" }),
      expect.objectContaining({ args: '{"city":' }),
      expect.objectContaining({ args: '"Oslo"}' }),
    ]);
  });

  it("usage sent as message metadata (the AI SDK's totalUsage) equals the result's", async () => {
    const result = streamText({ model: model(reasoningTextTools), prompt: "weather?", tools: { weather: tool({ inputSchema: weatherSchema }) } });
    const response = result.toUIMessageStreamResponse({
      messageMetadata: ({ part }) => (part.type === "finish" ? { totalUsage: part.totalUsage, tenant: "t1" } : undefined),
    });
    const output = await fromResponse(response).output;
    const total: LanguageModelUsage = await result.totalUsage;
    expect(output.usage_metadata).toEqual({
      input_tokens: total.inputTokens,
      output_tokens: total.outputTokens,
      total_tokens: total.totalTokens,
    });
    expect(output.response_metadata["tenant"]).toBe("t1");
  });

  it("a message id from generateMessageId is the message's id", async () => {
    const result = streamText({ model: model(reasoningTextTools.slice(0, 10).concat([reasoningTextTools.at(-1)!])), prompt: "hi" });
    const output = await fromResponse(result.toUIMessageStreamResponse({ generateMessageId: () => "msg-42" })).output;
    expect(output.id).toBe("msg-42");
  });

  it("two steps (a tool the endpoint runs, then the answer): both steps' text, the call, its result, the last finish reason", async () => {
    const step1: Part[] = [
      { type: "stream-start", warnings: [] },
      { type: "text-start", id: "0" },
      { type: "text-delta", id: "0", delta: "Let me look. " },
      { type: "text-end", id: "0" },
      { type: "tool-call", toolCallId: "call_1", toolName: "weather", input: '{"city":"Oslo"}' },
      { type: "finish", finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage: usage(10, 5) },
    ];
    const step2: Part[] = [
      { type: "stream-start", warnings: [] },
      // The same part id as step 1's: ids are per step.
      { type: "text-start", id: "0" },
      { type: "text-delta", id: "0", delta: "Oslo: 4°C." },
      { type: "text-end", id: "0" },
      { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: usage(20, 6) },
    ];
    const result = streamText({
      model: model(step1, step2),
      prompt: "weather in Oslo?",
      tools: { weather: tool({ inputSchema: weatherSchema, execute: async ({ city }) => ({ city, celsius: 4 }) }) },
      stopWhen: stepCountIs(2),
    });
    const events = await eventsOf(result.toUIMessageStreamResponse());
    const stream = ChatModelStream.from(events);
    const output = await stream.output;
    const steps = await result.steps;

    expect(steps.length).toBe(2);
    expect(await stream.text).toBe(steps.map((s) => s.text).join(""));
    expect(output.tool_calls).toEqual(asToolCalls(steps.flatMap((s) => s.toolCalls)));
    expect(output.response_metadata["finish_reason"]).toBe(langchainReason(await result.finishReason));
    // The endpoint ran the tool: its output is a server tool result after the call, as the step's.
    const toolResults = steps.flatMap((s) => s.toolResults);
    expect(output.content).toEqual([
      { type: "text", text: "Let me look. ", index: 0 },
      { type: "tool_call", id: "call_1", name: "weather", args: { city: "Oslo" } },
      { type: "server_tool_result", tool_call_id: toolResults[0]!.toolCallId, status: "success", output: toolResults[0]!.output, index: 2 },
      { type: "text", text: "Oslo: 4°C.", index: 3 },
    ]);
    // The step markers reach raw-event readers only.
    const passed = events.filter((e): e is Extract<ProtocolEvent, { event: "provider" }> => e.event === "provider");
    expect(passed.map((e) => e.name)).toEqual(["start-step", "finish-step", "start-step", "finish-step"]);
  });

  it("sources the model cites (sendSources) are citations of the text block they came with, equal to streamText's sources", async () => {
    const parts: Part[] = [
      { type: "stream-start", warnings: [] },
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "Oslo is cold [1][2]." },
      { type: "source", sourceType: "url", id: "s1", url: "https://yr.no/oslo", title: "Yr" },
      { type: "source", sourceType: "document", id: "s2", mediaType: "application/pdf", title: "Climate report", filename: "climate.pdf" },
      { type: "text-end", id: "t1" },
      { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: usage(3, 5) },
    ];
    const result = streamText({ model: model(parts), prompt: "weather?" });
    const output = await fromResponse(result.toUIMessageStreamResponse({ sendSources: true })).output;
    const sources = await result.sources;
    expect(sources).toHaveLength(2);
    expect(output.content).toEqual([
      {
        type: "text",
        text: "Oslo is cold [1][2].",
        index: 0,
        annotations: sources.map((s) =>
          s.sourceType === "url"
            ? { type: "citation", id: s.id, url: s.url, title: s.title }
            : { type: "citation", id: s.id, title: s.title, extras: { mediaType: s.mediaType, filename: s.filename } },
        ),
      },
    ]);
  });

  it("an error the model stream reports fails the stream with the endpoint's error text, after the text so far", async () => {
    const parts: Part[] = [
      { type: "stream-start", warnings: [] },
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: "partial" },
      { type: "error", error: new Error("overloaded") },
    ];
    const result = streamText({ model: model(parts), prompt: "hi", onError: () => {} });
    const stream = fromResponse(result.toUIMessageStreamResponse({ onError: (e) => `upstream: ${(e as Error).message}` }));
    const error = await failure(stream.output);
    expect(error.message).toBe("upstream: overloaded");
    expect(error.partial?.content).toEqual([{ type: "text", text: "partial", index: 0 }]);
  });

  it("sendStart and sendFinish off (a stream merged into another): read by its header, finished with what arrived", async () => {
    const result = streamText({ model: model(reasoningTextTools), prompt: "weather?", tools: { weather: tool({ inputSchema: weatherSchema }) } });
    const stream = fromResponse(result.toUIMessageStreamResponse({ sendStart: false, sendFinish: false }));
    const [text, output] = await Promise.all([stream.text, stream.output]);
    expect(text).toBe(await result.text);
    expect(output.tool_calls).toEqual(asToolCalls(await result.toolCalls));
    expect(output.response_metadata["finish_reason"]).toBeUndefined();
  });

  it("without the header, a first message of type start is enough (a proxy dropped the header; a bare body)", async () => {
    const make = () => streamText({ model: model(reasoningTextTools), prompt: "weather?", tools: { weather: tool({ inputSchema: weatherSchema }) } });
    const first = make();
    const bare = new Response(first.toUIMessageStreamResponse().body, { headers: { "content-type": "text/event-stream" } });
    expect(bare.headers.get("x-vercel-ai-ui-message-stream")).toBeNull();
    expect(await fromResponse(bare).text).toBe(await first.text);
    const second = make();
    const body = second.toUIMessageStreamResponse().body!;
    expect((await fromResponse(body).output).tool_calls).toEqual(asToolCalls(await second.toolCalls));
  });
});


/** Our message written as a UI message stream, then read back. */
async function roundTrip(events: readonly Event[]): Promise<{ before: AIMessage; after: AIMessage; text: string; reasoning: string }> {
  const stream = pulled(events);
  const back = fromResponse(toResponse(stream, { format: "ui-message-stream" }));
  const [after, text, reasoning] = await Promise.all([back.output, back.text, back.reasoning]);
  return { before: await stream.output, after, text, reasoning };
}

describe("round trip: toResponse ui-message-stream, then fromResponse", () => {
  it("a text block's URL citations come back as its citations (with the source ids the writer gave them)", async () => {
    const events: Event[] = [
      { event: "message-start" },
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Cold [1]." } },
      {
        event: "content-block-finish",
        index: 0,
        content: { type: "text", text: "Cold [1].", annotations: [{ type: "citation", url: "https://yr.no", title: "Yr", start_index: 5, end_index: 8 }] },
      },
      { event: "message-finish", reason: "stop" },
    ];
    const { after } = await roundTrip(events);
    expect(after.content).toEqual([
      { type: "text", text: "Cold [1].", index: 0, annotations: [{ type: "citation", id: "source-0", url: "https://yr.no", title: "Yr" }] },
    ]);
  });

  it("gives the same text, reasoning, tool calls, content, id, finish reason, usage and model", async () => {
    const { before, after, text, reasoning } = await roundTrip(reasoningAndTools);
    expect(text).toBe("Checking both.");
    expect(reasoning).toBe("Two cities, two calls.");
    expect(after.tool_calls).toEqual(before.tool_calls);
    expect(after.content).toEqual(before.content);
    expect(after.id).toBe("msg_1");
    expect(after.usage_metadata).toEqual(before.usage_metadata);
    expect(after.response_metadata).toEqual({ finish_reason: "tool_calls", model_name: "gpt-test", output_version: "v1" });
  });

  it("arguments that are not JSON come back as the same invalid tool call", async () => {
    const events: Event[] = [
      { event: "message-start" },
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "call_x", name: "lookup", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"q": ' } },
      { event: "message-finish", reason: "tool_calls" },
    ];
    const { before, after } = await roundTrip(events);
    expect(after.invalid_tool_calls).toEqual(before.invalid_tool_calls);
    expect(after.invalid_tool_calls).toHaveLength(1);
    expect(after.tool_calls).toEqual([]);
  });

  it("a Stop (an abort chunk) fails the reader with code aborted, keeping the text so far", async () => {
    const source = scriptedSource(textMessage("one ", "two"), { holdAt: 3 });
    const stream = ChatModelStream.from(source.readable);
    const back = fromResponse(toResponse(stream, { format: "ui-message-stream" }));
    const output = failure(back.output);
    // The user presses Stop once the client shows "one ".
    const text = back.text.getReader();
    expect((await text.read()).value).toBe("one ");
    await stream.cancel();
    const error = await output;
    expect((error as Error & { code?: string }).code).toBe("aborted");
    expect(error.partial?.content).toEqual([{ type: "text", text: "one ", index: 0 }]);
  });
});

/** A UI message stream written by hand, one chunk per data line. */
function uiBody(chunks: readonly unknown[], done = true, header = true): Response {
  const text = chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + (done ? "data: [DONE]\n\n" : "");
  const headers: Record<string, string> = { "content-type": "text/event-stream" };
  if (header) headers["x-vercel-ai-ui-message-stream"] = "v1";
  return new Response(text, { headers });
}

describe("UI message chunks that the ai package's mock does not make", () => {
  it("a stream cut off before finish ends with the text and the tool call so far", async () => {
    const chunks = [
      { type: "start" },
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: "so far" },
      { type: "tool-input-start", toolCallId: "c1", toolName: "f" },
      { type: "tool-input-delta", toolCallId: "c1", inputTextDelta: '{"a":1}' },
    ];
    const output = await fromResponse(uiBody(chunks, false)).output;
    expect(output.content).toEqual([{ type: "text", text: "so far", index: 0 }, { type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });

  it("a generated file (a base64 data: URL) is an image block with its data and media type", async () => {
    const chunks = [{ type: "start" }, { type: "file", mediaType: "image/png", url: "data:image/png;base64,iVBORw0K" }, { type: "finish", finishReason: "stop" }];
    const output = await fromResponse(uiBody(chunks)).output;
    expect(output.content).toEqual([{ type: "image", data: "iVBORw0K", mime_type: "image/png", index: 0 }]);
  });

  it("a provider-executed tool call and its result are a server tool call and a server tool result", async () => {
    const chunks = [
      { type: "start" },
      { type: "tool-input-start", toolCallId: "ws_1", toolName: "web_search", providerExecuted: true },
      { type: "tool-input-available", toolCallId: "ws_1", toolName: "web_search", input: { query: "oslo" }, providerExecuted: true },
      { type: "tool-output-available", toolCallId: "ws_1", output: [{ url: "https://x.test" }], providerExecuted: true },
      { type: "finish", finishReason: "stop" },
    ];
    const output = await fromResponse(uiBody(chunks)).output;
    expect(output.tool_calls).toEqual([]);
    expect(output.content).toEqual([
      { type: "server_tool_call", id: "ws_1", name: "web_search", args: { query: "oslo" }, index: 0 },
      { type: "server_tool_result", tool_call_id: "ws_1", status: "success", output: [{ url: "https://x.test" }], index: 1 },
    ]);
  });

  it("a tool input error is an invalid tool call carrying the endpoint's error text", async () => {
    const chunks = [
      { type: "start" },
      { type: "tool-input-error", toolCallId: "c1", toolName: "nope", input: { a: 1 }, errorText: "Model tried to call unavailable tool 'nope'." },
      { type: "finish", finishReason: "tool-calls" },
    ];
    const output = await fromResponse(uiBody(chunks)).output;
    expect(output.invalid_tool_calls).toEqual([
      { type: "invalid_tool_call", id: "c1", name: "nope", args: '{"a":1}', error: "Model tried to call unavailable tool 'nope'." },
    ]);
    expect(output.response_metadata["finish_reason"]).toBe("tool_calls");
  });

  it("a chunk with a field of the wrong type fails the stream naming the field and position", async () => {
    const chunks = [{ type: "start" }, { type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: 42 }];
    const error = await failure(fromResponse(uiBody(chunks)).output);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("Invalid UI message chunk at position 2: text-delta.delta must be a string, got number");
  });

  it("another kind of stream behind the header is named, not read as an empty message", async () => {
    const error = await failure(fromResponse(uiBody([{ choices: [{ delta: { content: "hi" } }], object: "chat.completion.chunk" }])).output);
    expect(error.message).toMatch(/^Expected an AI SDK UI message stream, got an OpenAI Chat Completions stream/);
  });

  it("our own SSE is still ours: a first message-start is not a UI start", async () => {
    const response = toResponse(pulled(textMessage("plain ", "SSE")));
    expect(await fromResponse(response).text).toBe("plain SSE");
  });
});

/**
 * A UI message stream written with the ai package's own writer (createUIMessageStream, its SSE
 * framing by JsonToSseTransformStream), read by us and by the ai package's readUIMessageStream.
 */
async function written(
  write: (writer: UIMessageStreamWriter) => void,
): Promise<{ events: ProtocolEvent[]; output: AIMessage; message: UIMessage }> {
  const [ours, theirs] = createUIMessageStream({ execute: ({ writer }) => write(writer) }).tee();
  const body = ours.pipeThrough(new JsonToSseTransformStream()).pipeThrough(new TextEncoderStream());
  const events = await eventsOf(new Response(body, { headers: UI_MESSAGE_STREAM_HEADERS }));
  let message: UIMessage | undefined;
  for await (const m of readUIMessageStream({ stream: theirs as ReadableStream<UIMessageChunk> })) message = m;
  return { events, output: await ChatModelStream.from(events).output, message: message! };
}

const blocksOf = (output: AIMessage, type: string) => (output.content as Record<string, unknown>[]).filter((b) => b["type"] === type);

describe("chunks written by the ai package's writer (createUIMessageStream + JsonToSseTransformStream)", () => {
  it("data parts: one with an id is replaced in place, as in readUIMessageStream's message; each without an id is its own; a transient one is no part", async () => {
    const { events, output, message } = await written((writer) => {
      writer.write({ type: "start", messageId: "m1" });
      writer.write({ type: "data-weather", id: "w1", data: { city: "Oslo", status: "loading" } });
      writer.write({ type: "text-start", id: "t" });
      writer.write({ type: "text-delta", id: "t", delta: "Looking it up." });
      writer.write({ type: "text-end", id: "t" });
      writer.write({ type: "data-log", data: { line: 1 } });
      writer.write({ type: "data-weather", id: "w1", data: { city: "Oslo", status: "done", celsius: 4 } });
      writer.write({ type: "data-notice", data: "typing…", transient: true });
      writer.write({ type: "data-log", data: { line: 2 } });
      writer.write({ type: "finish", finishReason: "stop" });
    });
    const theirs = message.parts.filter((p) => p.type.startsWith("data-"));
    expect(theirs).toHaveLength(3);
    expect(blocksOf(output, "non_standard").map((b) => b["value"])).toEqual(theirs);
    expect(output.content[1]).toEqual({ type: "text", text: "Looking it up.", index: 1 });
    const update = events.find((e) => e.event === "content-block-delta" && e.index === 0);
    expect(update).toEqual({
      event: "content-block-delta",
      index: 0,
      delta: { type: "block-delta", fields: { value: { type: "data-weather", id: "w1", data: { city: "Oslo", status: "done", celsius: 4 } } } },
    });
    const passed = events.filter((e): e is Extract<ProtocolEvent, { event: "provider" }> => e.event === "provider");
    expect(passed.map((e) => e.name)).toEqual(["data-notice"]);
  });

  it("tool outputs the endpoint wrote are server tool results with readUIMessageStream's outputs and error texts; a preliminary output is not one", async () => {
    const { events, output, message } = await written((writer) => {
      writer.write({ type: "start" });
      writer.write({ type: "tool-input-available", toolCallId: "c1", toolName: "search", input: { q: "oslo" } });
      writer.write({ type: "tool-output-available", toolCallId: "c1", output: { progress: 0.5 }, preliminary: true });
      writer.write({ type: "tool-output-available", toolCallId: "c1", output: { hits: ["yr.no"] } });
      writer.write({ type: "tool-input-available", toolCallId: "c2", toolName: "fetch", input: { url: "https://yr.no" } });
      writer.write({ type: "tool-output-error", toolCallId: "c2", errorText: "fetch failed: 503" });
      writer.write({ type: "finish", finishReason: "stop" });
    });
    const tools = message.parts.filter((p) => p.type.startsWith("tool-")) as { toolCallId: string; state: string; output?: unknown; errorText?: string }[];
    expect(tools.map((t) => t.state)).toEqual(["output-available", "output-error"]);
    expect(blocksOf(output, "server_tool_result")).toEqual(
      tools.map((t, i) => ({
        type: "server_tool_result",
        tool_call_id: t.toolCallId,
        status: t.state === "output-error" ? "error" : "success",
        output: t.state === "output-error" ? t.errorText : t.output,
        index: 1 + 2 * i,
      })),
    );
    expect(output.tool_calls.map((c) => c.id)).toEqual(["c1", "c2"]);
    const passed = events.filter((e): e is Extract<ProtocolEvent, { event: "provider" }> => e.event === "provider");
    expect(passed.map((e) => [e.name, (e.payload as { preliminary?: boolean }).preliminary])).toEqual([["tool-output-available", true]]);
  });

  it("sources: before any text, the next text block's; right after a text part's end, that block's; with no text after, a block of their own", async () => {
    const { output, message } = await written((writer) => {
      writer.write({ type: "start" });
      writer.write({ type: "source-url", sourceId: "s0", url: "https://yr.no", title: "Yr" });
      writer.write({ type: "text-start", id: "t" });
      writer.write({ type: "text-delta", id: "t", delta: "Cold [1][2]." });
      writer.write({ type: "text-end", id: "t" });
      writer.write({ type: "source-document", sourceId: "s1", mediaType: "application/pdf", title: "Report", filename: "r.pdf" });
      writer.write({ type: "tool-input-available", toolCallId: "c1", toolName: "more", input: {} });
      writer.write({ type: "source-url", sourceId: "s2", url: "https://met.no", providerMetadata: { search: { rank: 1 } } });
      writer.write({ type: "finish", finishReason: "tool-calls" });
    });
    expect(message.parts.filter((p) => p.type.startsWith("source-")).map((p) => (p as { sourceId: string }).sourceId)).toEqual(["s0", "s1", "s2"]);
    expect(output.content).toEqual([
      {
        type: "text",
        text: "Cold [1][2].",
        index: 0,
        annotations: [
          { type: "citation", id: "s0", url: "https://yr.no", title: "Yr" },
          { type: "citation", id: "s1", title: "Report", extras: { mediaType: "application/pdf", filename: "r.pdf" } },
        ],
      },
      { type: "tool_call", id: "c1", name: "more", args: {} },
      { type: "non_standard", value: { type: "source-url", sourceId: "s2", url: "https://met.no", providerMetadata: { search: { rank: 1 } } }, index: 2 },
    ]);
  });

  it("a Worker in front of the endpoint (fromResponse, then toResponse ui-message-stream) gives useChat the same message: tool outputs and data parts too", async () => {
    const script = (writer: UIMessageStreamWriter) => {
      writer.write({ type: "start", messageId: "m1" });
      writer.write({ type: "start-step" });
      writer.write({ type: "data-weather", id: "w1", data: { status: "loading" } });
      writer.write({ type: "text-start", id: "t" });
      writer.write({ type: "text-delta", id: "t", delta: "Checking." });
      writer.write({ type: "text-end", id: "t" });
      writer.write({ type: "tool-input-available", toolCallId: "c1", toolName: "search", input: { q: "oslo" } });
      writer.write({ type: "tool-output-available", toolCallId: "c1", output: { hits: 2 } });
      writer.write({ type: "tool-input-available", toolCallId: "c2", toolName: "fetch", input: { url: "https://yr.no" } });
      writer.write({ type: "tool-output-error", toolCallId: "c2", errorText: "fetch failed: 503" });
      writer.write({ type: "data-weather", id: "w1", data: { status: "done", celsius: 4 } });
      writer.write({ type: "data-log", data: { line: 1 } });
      writer.write({ type: "finish-step" });
      writer.write({ type: "finish", finishReason: "stop" });
    };
    const { events, message } = await written(script);
    // The Worker: the endpoint's events as our stream, served again as a UI message stream.
    const served = toResponse(ChatModelStream.from(events), { format: "ui-message-stream" });
    const transport = new DefaultChatTransport<UIMessage>({ api: "https://worker.test/chat", fetch: async () => served });
    const chunks = await transport.sendMessages({ chatId: "c", messageId: undefined, messages: [], abortSignal: undefined, trigger: "submit-message" });
    let proxied: UIMessage | undefined;
    for await (const m of readUIMessageStream<UIMessage>({ stream: chunks, terminateOnError: true })) proxied = m;
    expect(message.parts.map((p) => p.type)).toEqual(["step-start", "data-weather", "text", "tool-search", "tool-fetch", "data-log"]);
    expect(proxied?.parts).toEqual(message.parts);
    expect(proxied?.id).toBe(message.id);
  });

  it("a source while the text streams is its citation; the text block finishes before the message does", async () => {
    const { events, output } = await written((writer) => {
      writer.write({ type: "start" });
      writer.write({ type: "text-start", id: "t" });
      writer.write({ type: "text-delta", id: "t", delta: "Cold" });
      writer.write({ type: "source-url", sourceId: "s0", url: "https://yr.no" });
      writer.write({ type: "text-delta", id: "t", delta: " [1]." });
      writer.write({ type: "text-end", id: "t" });
      writer.write({ type: "finish" });
    });
    expect(output.content).toEqual([{ type: "text", text: "Cold [1].", index: 0, annotations: [{ type: "citation", id: "s0", url: "https://yr.no" }] }]);
    expect(events.map((e) => e.event)).toEqual([
      "message-start",
      "content-block-start",
      "content-block-delta",
      "content-block-delta",
      "content-block-finish",
      "message-finish",
    ]);
  });
});
