// toResponse(stream, { format: "ag-ui" }) read by AG-UI's own client code: @ag-ui/client's HTTP
// and SSE parsing (runHttpRequest, transformHttpEventStream), every event checked by
// @ag-ui/core's schemas, and a whole run through HttpAgent (its enforcement, verification and
// default reducer), whose messages must equal our output. fromResponse reads the same bytes back.
import { HttpAgent, runHttpRequest, transformHttpEventStream, type BaseEvent, type Message, type RunFinishedEvent } from "@ag-ui/client";
import { EventSchemas } from "@ag-ui/core/schemas";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import {
  ChatModelStream,
  FormatEncoderStream,
  fromResponse,
  toResponse,
  type AIMessage,
} from "../src/index.ts";
import { eventSequence } from "./arbitraries.ts";
import { bodyOf, bytesOf } from "./bytes.ts";
import { pulled, scriptedSource, textMessage, type Event, type Failure } from "./helpers.ts";
import { openRecording, providerOf, recordedAdapters, recordedNames } from "./recorded.ts";

/** The events @ag-ui/client's own HTTP + SSE transport parses out of a response. */
function clientEvents(response: Response): Promise<BaseEvent[]> {
  const events: BaseEvent[] = [];
  return new Promise((resolve, reject) => {
    transformHttpEventStream(runHttpRequest(async () => response)).subscribe({
      next: (event) => events.push(event),
      error: reject,
      complete: () => resolve(events),
    });
  });
}

/** What a run through HttpAgent leaves: the agent's messages, its result, and how the run ended. */
interface Run {
  messages: Message[];
  result: unknown;
  finished: { outcome: string; event: RunFinishedEvent } | undefined;
  runError: { message: string; code?: string | undefined } | undefined;
}

/** One run of @ag-ui/client's HttpAgent against `response`: the whole client pipeline, reducer included. */
async function runAsAGUIClient(response: Response, onMessages: (messages: Message[]) => void = () => {}): Promise<Run> {
  const agent = new HttpAgent({ url: "https://agent.test/run", fetch: async () => response });
  const run: Run = { messages: [], result: undefined, finished: undefined, runError: undefined };
  const { result } = await agent.runAgent(
    {},
    {
      onRunFinishedEvent: ({ event, outcome }) => {
        run.finished = { outcome, event };
      },
      onRunErrorEvent: ({ event }) => {
        run.runError = { message: event.message, code: event.code };
      },
      onMessagesChanged: ({ messages }) => onMessages(structuredClone(messages) as Message[]),
    },
  );
  run.messages = structuredClone(agent.messages);
  run.result = result;
  return run;
}

/** The AG-UI assistant message our output should make: its text, and its tool calls with their arguments parsed. */
function assistantOf(message: AIMessage, text: string): unknown {
  // A message with no id gets a generated one.
  const expected: Record<string, unknown> = { id: message.id ?? expect.any(String), role: "assistant" };
  if (text !== "") expected["content"] = text;
  if (message.tool_calls.length > 0) {
    expected["toolCalls"] = message.tool_calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.args } }));
  }
  return expected;
}

/** An AG-UI assistant message with its tool calls' arguments parsed, to compare with `assistantOf`. */
function parsedArgs(message: Message | undefined): unknown {
  if (message === undefined || message.role !== "assistant" || message.toolCalls === undefined) return message;
  return { ...message, toolCalls: message.toolCalls.map((c) => ({ ...c, function: { ...c.function, arguments: JSON.parse(c.function.arguments) as unknown } })) };
}

const toolsAndReasoning: Event[] = [
  { event: "message-start", id: "msg_42", metadata: { model_provider: "anthropic", model_name: "claude-test" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Weather " } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "twice." } },
  { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Weather twice.", extras: { signature: "sig-abc" } } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Looking ú" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "p 🌦" } },
  { event: "content-block-start", index: 5, content: { type: "tool_call_chunk", id: "toolu_a", name: "weather", args: "" } },
  { event: "content-block-delta", index: 5, delta: { type: "tool_call_chunk", args: '{"city":' } },
  { event: "content-block-start", index: 7, content: { type: "tool_call_chunk", id: "toolu_b", name: "weather", args: "" } },
  { event: "content-block-delta", index: 7, delta: { type: "tool_call_chunk", args: '{"city":"Lima"}' } },
  { event: "content-block-delta", index: 5, delta: { type: "tool_call_chunk", args: '"Oslo"}' } },
  {
    event: "message-finish",
    reason: "tool_use",
    usage: { input_tokens: 20, output_tokens: 9, total_tokens: 29, input_token_details: { cache_read: 12 }, output_token_details: { reasoning: 4 } },
  },
];

let warn: MockInstance<(...args: unknown[]) => void>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn");
});
afterEach(() => {
  warn.mockRestore();
});

/** What @ag-ui/client warned about: material it stripped, events it dropped or could not place. */
function warnings(): string[] {
  return warn.mock.calls.map((args) => String(args[0]));
}

describe("toResponse ag-ui: every event is one @ag-ui/core validates", () => {
  it("is an SSE response", () => {
    const response = toResponse(pulled(textMessage("hi")), { format: "ag-ui" });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
  });

  it("@ag-ui/client's transport parses our bytes into events its schemas accept, unchanged", async () => {
    const events = await clientEvents(toResponse(pulled(toolsAndReasoning), { format: "ag-ui" }));
    expect(events.map((e) => e.type)).toEqual([
      "RUN_STARTED",
      "REASONING_START",
      "REASONING_MESSAGE_START",
      "REASONING_MESSAGE_CONTENT",
      "REASONING_MESSAGE_CONTENT",
      "REASONING_ENCRYPTED_VALUE",
      "REASONING_MESSAGE_END",
      "REASONING_END",
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_CONTENT",
      "TOOL_CALL_START",
      "TOOL_CALL_ARGS",
      "TOOL_CALL_START",
      "TOOL_CALL_ARGS",
      "TOOL_CALL_ARGS",
      "TEXT_MESSAGE_END",
      "TOOL_CALL_END",
      "TOOL_CALL_END",
      "RUN_FINISHED",
    ]);
    // Parsing with the union of every event schema gives the event back as it was: nothing
    // unknown, nothing coerced.
    for (const event of events) expect(EventSchemas.parse(event)).toEqual(event);
  });

  it("RUN_STARTED and RUN_FINISHED name the run by the message id, declare protocol 1.0, and carry the finish reason and usage", async () => {
    const events = await clientEvents(toResponse(pulled(toolsAndReasoning), { format: "ag-ui" }));
    expect(events[0]).toEqual({ type: "RUN_STARTED", threadId: "msg_42", runId: "msg_42", protocolVersion: "1.0" });
    expect(events.at(-1)).toEqual({
      type: "RUN_FINISHED",
      threadId: "msg_42",
      runId: "msg_42",
      result: { finishReason: "tool_use" },
      usage: [{ provider: "anthropic", model: "claude-test", inputTokens: 20, outputTokens: 9, totalTokens: 29, reasoningTokens: 4, cachedInputTokens: 12 }],
    });
  });

  it("a thread_id and run_id in the start metadata name the run", async () => {
    const events: Event[] = [{ event: "message-start", id: "m1", metadata: { thread_id: "thread-9", run_id: "run-3" } }, ...textMessage("x").slice(1)];
    const all = await clientEvents(toResponse(pulled(events), { format: "ag-ui" }));
    expect([all[0], all.at(-1)]).toMatchObject([
      { type: "RUN_STARTED", threadId: "thread-9", runId: "run-3" },
      { type: "RUN_FINISHED", threadId: "thread-9", runId: "run-3" },
    ]);
  });

  it("a stream with no message id names its run with a generated one", async () => {
    const stream = new ChatModelStream();
    for (const e of textMessage("x")) stream.dispatch(e);
    stream.close();
    const [started] = await clientEvents(toResponse(stream, { format: "ag-ui" }));
    expect(started).toMatchObject({ type: "RUN_STARTED", runId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });
});

describe("toResponse ag-ui, run by @ag-ui/client's HttpAgent", () => {
  it("text: the assistant message is our output, the run result our finish reason", async () => {
    const stream = pulled(textMessage("Hel", "lo ", "wörld 👋"));
    const run = await runAsAGUIClient(toResponse(stream, { format: "ag-ui" }));
    const output = await stream.output;
    expect(run.messages).toEqual([assistantOf(output, await stream.text)]);
    expect(run.finished?.outcome).toBe("success");
    expect(warnings()).toEqual([]);
  });

  it("reasoning, text and two interleaved tool calls: one assistant message with our text and tool calls, a reasoning message with our reasoning and signature", async () => {
    const stream = pulled(toolsAndReasoning);
    const run = await runAsAGUIClient(toResponse(stream, { format: "ag-ui" }));
    const output = await stream.output;
    expect(run.messages).toHaveLength(2);
    expect(run.messages[0]).toEqual({ id: "msg_42-reasoning-0", role: "reasoning", content: await stream.reasoning, encryptedValue: "sig-abc" });
    expect(parsedArgs(run.messages[1])).toEqual(assistantOf(output, await stream.text));
    expect(run.result).toEqual({ finishReason: "tool_use" });
    expect(run.finished?.event.usage).toEqual([
      { provider: "anthropic", model: "claude-test", inputTokens: 20, outputTokens: 9, totalTokens: 29, reasoningTokens: 4, cachedInputTokens: 12 },
    ]);
    expect(warnings()).toEqual([]);
  });

  it("tool calls before any text and a call that arrived whole: all on the one assistant message", async () => {
    const events: Event[] = [
      { event: "message-start", id: "m7" },
      { event: "content-block-finish", index: 0, content: { type: "tool_call", id: "call_1", name: "lookup", args: { q: "ag-ui" } } },
      { event: "content-block-start", index: 1, content: { type: "text", text: "Done" } },
      { event: "content-block-finish", index: 1, content: { type: "text", text: "Done." } },
      { event: "message-finish", reason: "tool_calls" },
    ];
    const stream = pulled(events);
    const run = await runAsAGUIClient(toResponse(stream, { format: "ag-ui" }));
    const output = await stream.output;
    expect(run.messages.map(parsedArgs)).toEqual([assistantOf(output, "Done.")]);
    expect(await stream.text).toBe("Done.");
  });

  it("text blocks whose deltas interleave reach the client as the text our output has", async () => {
    const events: Event[] = [
      { event: "message-start", id: "m8" },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "one " } },
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "two " } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "three " } },
      { event: "message-finish" },
    ];
    const stream = pulled(events);
    const run = await runAsAGUIClient(toResponse(stream, { format: "ag-ui" }));
    expect(run.messages).toEqual([{ id: "m8", role: "assistant", content: "one two three " }]);
    expect(warnings()).toEqual([]);
  });

  it("a tool call that never finished ends at the message's finish with the arguments that streamed", async () => {
    const events: Event[] = [
      { event: "message-start", id: "m9" },
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "call_x", name: "lookup", args: '{"q": ' } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '"x"}' } },
      { event: "message-finish" },
    ];
    const stream = pulled(events);
    const run = await runAsAGUIClient(toResponse(stream, { format: "ag-ui" }));
    expect(run.messages.map(parsedArgs)).toEqual([assistantOf(await stream.output, "")]);
  });

  it("arguments that are not JSON reach the client as they came, and come back as an invalid tool call", async () => {
    const events: Event[] = [
      { event: "message-start", id: "m11" },
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "call_y", name: "lookup", args: '{"q": ' } },
      { event: "message-finish", reason: "tool_calls" },
    ];
    const run = await runAsAGUIClient(toResponse(pulled(events), { format: "ag-ui" }));
    expect(run.messages).toEqual([{ id: "m11", role: "assistant", toolCalls: [{ id: "call_y", type: "function", function: { name: "lookup", arguments: '{"q": ' } }] }]);
    const again = await fromResponse(toResponse(pulled(events), { format: "ag-ui" })).output;
    expect(again.invalid_tool_calls).toMatchObject([{ id: "call_y", name: "lookup", args: '{"q": ' }]);
    expect(again.tool_calls).toEqual([]);
  });

  it("a server that names the run with the client's thread and run ids (through the start metadata) answers the HttpAgent's request", async () => {
    const agent = new HttpAgent({
      url: "https://agent.test/run",
      threadId: "thread-from-client",
      fetch: async (_url, init) => {
        // The server side: the request is AG-UI's RunAgentInput.
        const input = JSON.parse(String(init.body)) as { threadId: string; runId: string };
        const named = ChatModelStream.from(
          pulled(textMessage("hi")).events.pipeThrough(
            new TransformStream<Event, Event>({
              transform(event, controller) {
                const metadata = { thread_id: input.threadId, run_id: input.runId };
                controller.enqueue(event.event === "message-start" ? { ...event, metadata: { ...event.metadata, ...metadata } } : event);
              },
            }),
          ),
        );
        return toResponse(named, { format: "ag-ui" });
      },
    });
    let started: unknown;
    await agent.runAgent({ runId: "run-from-client" }, { onRunStartedEvent: ({ event }) => void (started = event) });
    expect(started).toMatchObject({ threadId: "thread-from-client", runId: "run-from-client" });
    expect(agent.messages).toMatchObject([{ role: "assistant", content: "hi" }]);
  });

  it("a server that passes the client's thread and run ids as toResponse's threadId / runId answers the HttpAgent's request under them", async () => {
    const agent = new HttpAgent({
      url: "https://agent.test/run",
      threadId: "thread-from-client",
      fetch: async (_url, init) => {
        const input = JSON.parse(String(init.body)) as { threadId: string; runId: string };
        return toResponse(pulled(textMessage("hi")), { format: "ag-ui", threadId: input.threadId, runId: input.runId });
      },
    });
    const seen: { started?: unknown; finished?: unknown } = {};
    await agent.runAgent(
      { runId: "run-from-client" },
      { onRunStartedEvent: ({ event }) => void (seen.started = event), onRunFinishedEvent: ({ event }) => void (seen.finished = event) },
    );
    expect(seen.started).toMatchObject({ threadId: "thread-from-client", runId: "run-from-client" });
    expect(seen.finished).toMatchObject({ threadId: "thread-from-client", runId: "run-from-client" });
    expect(agent.messages).toMatchObject([{ role: "assistant", content: "hi" }]);
  });

  it("FormatEncoderStream's threadId / runId win over the start metadata's; either one alone leaves the other as it was", async () => {
    const events: Event[] = [{ event: "message-start", id: "m1", metadata: { thread_id: "t-meta", run_id: "r-meta" } }, ...textMessage("x").slice(1)];
    const ids = async (options: { threadId?: string; runId?: string }) => {
      const body = pulled(events).events.pipeThrough(new FormatEncoderStream("ag-ui", options));
      const all = await clientEvents(new Response(body, { headers: { "content-type": "text/event-stream" } }));
      const runs = all.filter((e) => e.type === "RUN_STARTED" || e.type === "RUN_FINISHED") as unknown as { threadId: string; runId: string }[];
      return runs.map((e) => [e.threadId, e.runId]);
    };
    expect(await ids({ threadId: "t-opt", runId: "r-opt" })).toEqual([["t-opt", "r-opt"], ["t-opt", "r-opt"]]);
    expect(await ids({ runId: "r-opt" })).toEqual([["t-meta", "r-opt"], ["t-meta", "r-opt"]]);
    expect(await ids({})).toEqual([["t-meta", "r-meta"], ["t-meta", "r-meta"]]);
  });

  it("two tool calls under one id: the second goes out renamed, so the client keeps both instead of failing the run", async () => {
    const call = (index: number, city: string): Event => ({ event: "content-block-finish", index, content: { type: "tool_call", id: "dup", name: "weather", args: { city } } });
    const run = await runAsAGUIClient(toResponse(pulled([{ event: "message-start", id: "m12" }, call(0, "Oslo"), call(1, "Lima"), { event: "message-finish" }]), { format: "ag-ui" }));
    const calls = run.messages[0]?.role === "assistant" ? run.messages[0].toolCalls : undefined;
    expect(calls?.map((c) => [c.id, c.function.arguments])).toEqual([
      ["dup", '{"city":"Oslo"}'],
      ["dup-1", '{"city":"Lima"}'],
    ]);
  });

  it("an error mid-stream is a RUN_ERROR with its message and code, after the text so far", async () => {
    const events: Event[] = [...textMessage("partial ", "answer").slice(0, -1), { event: "error", message: "Overloaded", code: "overloaded_error" }];
    const run = await runAsAGUIClient(toResponse(pulled(events), { format: "ag-ui" }));
    expect(run.runError).toEqual({ message: "Overloaded", code: "overloaded_error" });
    expect(run.finished).toBeUndefined();
    expect(run.messages).toMatchObject([{ role: "assistant", content: "partial answer" }]);
  });

  it("a failure the stream itself reports (a throwing source) is a RUN_ERROR too", async () => {
    async function* failing(): AsyncGenerator<Event> {
      yield { event: "message-start", id: "m10" };
      throw new Error("model crashed");
    }
    const run = await runAsAGUIClient(toResponse(ChatModelStream.from(failing()), { format: "ag-ui" }));
    expect(run.runError).toEqual({ message: "model crashed", code: "source_error" });
  });

  it("Stop: the run finishes cancelled after the text the client saw, with no tool call left to answer", async () => {
    const source = scriptedSource(textMessage("one ", "two ", "three"), { holdAt: 4 });
    const stream = ChatModelStream.from(source.readable);
    const response = toResponse(stream, { format: "ag-ui" });
    // The user presses Stop once the client shows "one ".
    const stop = (messages: Message[]) => {
      if (messages.some((m) => m.role === "assistant" && typeof m.content === "string" && m.content.startsWith("one "))) void stream.cancel();
    };
    const run = await runAsAGUIClient(response, stop);
    expect(run.finished?.outcome).toBe("cancelled");
    expect(run.runError).toBeUndefined();
    expect(run.messages).toMatchObject([{ role: "assistant", content: expect.stringMatching(/^one (two )?$/) }]);
    expect(source.cancels).toBe(1);
    expect(warnings()).toEqual([]);
  });
});

/** The message as compared after a round trip: what AG-UI carries of it. */
async function carried(stream: ChatModelStream): Promise<unknown> {
  const [text, reasoning] = [stream.text, stream.reasoning];
  try {
    const output = await stream.output;
    return {
      text: await text,
      reasoning: await reasoning,
      tool_calls: output.tool_calls,
      invalid_tool_calls: output.invalid_tool_calls.map(({ id, name, args }) => ({ id, name, args })),
      finish_reason: output.response_metadata["finish_reason"],
      usage: output.usage_metadata && [output.usage_metadata.input_tokens, output.usage_metadata.output_tokens, output.usage_metadata.total_tokens],
    };
  } catch (caught) {
    const error = caught as Failure & { code?: unknown };
    const partial = error.partial;
    return { error: error.message, code: error.code, partial: partial && { text: textOf(partial), tool_calls: partial.tool_calls } };
  }
}

/** The text of a message's content. */
function textOf(message: AIMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
}

describe("round trip: toResponse ag-ui → fromResponse", () => {
  it("gives back text, reasoning, tool calls, finish reason and usage", async () => {
    const direct = await carried(pulled(toolsAndReasoning));
    const again = await carried(fromResponse(toResponse(pulled(toolsAndReasoning), { format: "ag-ui" })));
    expect(again).toEqual(direct);
  });

  it("keeps the message id, the model, the usage details and the reasoning signature", async () => {
    const output = await fromResponse(toResponse(pulled(toolsAndReasoning), { format: "ag-ui" })).output;
    expect(output.id).toBe("msg_42");
    expect(output.response_metadata).toMatchObject({ model_provider: "anthropic", model_name: "claude-test", finish_reason: "tool_use" });
    expect(output.usage_metadata).toEqual({
      input_tokens: 20,
      output_tokens: 9,
      total_tokens: 29,
      input_token_details: { cache_read: 12 },
      output_token_details: { reasoning: 4 },
    });
    expect(output.content).toContainEqual({ type: "reasoning", reasoning: "Weather twice.", extras: { signature: "sig-abc" }, index: 0 });
  });

  it("an encrypted reasoning (OpenAI's) is the reasoning message's encrypted value, and comes back as the encrypted content", async () => {
    const events: Event[] = [
      { event: "message-start", id: "resp_1" },
      { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "", extras: { encrypted_content: "gAAAA-opaque" } } },
      ...textMessage("ok").slice(1),
    ];
    const run = await runAsAGUIClient(toResponse(pulled(events), { format: "ag-ui" }));
    expect(run.messages[0]).toEqual({ id: "resp_1-reasoning-0", role: "reasoning", content: "", encryptedValue: "gAAAA-opaque" });
    const again = await fromResponse(toResponse(pulled(events), { format: "ag-ui" })).output;
    expect(again.content).toContainEqual({ type: "reasoning", reasoning: "", extras: { encrypted_content: "gAAAA-opaque" }, index: 0 });
  });

  it("an error comes back as the error, with its code", async () => {
    const events: Event[] = [...textMessage("partial").slice(0, -1), { event: "error", message: "Overloaded", code: "overloaded_error" }];
    const stream = fromResponse(toResponse(pulled(events), { format: "ag-ui" }));
    await expect(stream.output).rejects.toMatchObject({ message: "Overloaded", code: "overloaded_error" });
  });

  it("a Stop comes back as a Stop (code aborted), after the text so far", async () => {
    const source = scriptedSource(textMessage("one ", "two"), { holdAt: 3 });
    const stream = ChatModelStream.from(source.readable);
    const body = toResponse(stream, { format: "ag-ui" });
    const again = fromResponse(body);
    // Stop once the client has read "one ".
    expect((await again.text.getReader().read()).value).toBe("one ");
    await stream.cancel();
    const failure = await again.output.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: "aborted", partial: { content: [{ type: "text", text: "one " }] } });
  });

  it("has recordings of every provider to run", () => {
    expect(new Set(recordedNames.map(providerOf))).toEqual(new Set(Object.keys(recordedAdapters)));
  });

  for (const name of recordedNames) {
    it(`${name}: the same text, reasoning, tool calls, finish reason and usage`, async () => {
      const from = () => openRecording(name);
      const direct = await carried(from());
      const again = await carried(fromResponse(toResponse(from(), { format: "ag-ui" })));
      expect(again).toEqual(direct);
    });
  }
});

/**
 * What a client of the stream sees, as AG-UI can say it: text and reasoning as their readers get
 * them (deltas in arrival order: AG-UI has no block indices), the tool calls, and how it ended.
 */
async function seen(stream: ChatModelStream): Promise<unknown> {
  const joined = async (projection: ReadableStream<string>): Promise<string> => {
    let all = "";
    try {
      for await (const piece of projection) all += piece;
    } catch {
      // the end is compared below
    }
    return all;
  };
  const ending = async (): Promise<unknown> => {
    try {
      const output = await stream.output;
      return {
        tool_calls: output.tool_calls,
        // AG-UI names every call: a call with no name has the name "".
        invalid_tool_calls: output.invalid_tool_calls.map(({ id, name, args }) => ({ id, name: name ?? "", args })),
        finish_reason: output.response_metadata["finish_reason"],
        usage: output.usage_metadata && [output.usage_metadata.input_tokens, output.usage_metadata.output_tokens, output.usage_metadata.total_tokens],
      };
    } catch (caught) {
      const error = caught as Failure & { code?: unknown };
      return { error: error.message, code: error.code };
    }
  };
  const [text, reasoning, end] = await Promise.all([joined(stream.text), joined(stream.reasoning), ending()]);
  return { text, reasoning, end };
}

it("round trip, any event sequence: what readers see comes back the same", async () => {
  await fc.assert(
    // Tool call ids are unique, as providers make them (the writer renames a repeated one); the
    // provider's own tool calls are left out (AG-UI's are the client's to answer).
    // An invalid_tool_call whose arguments are JSON (invalid for another reason) comes back valid:
    // AG-UI has no invalid calls.
    fc.asyncProperty(eventSequence.filter((events) => uniqueToolIds(events) && !JSON.stringify(events).includes("server_tool") && !events.some(invalidJSONCall)), async (events) => {
      const direct = (await seen(pulled(events))) as Seen;
      const again = (await seen(fromResponse(toResponse(pulled(events), { format: "ag-ui" })))) as Seen;
      expect({ ...again, end: sortInvalid(again.end) }).toEqual({ ...direct, end: sortInvalid(asAGUICarries(direct.end)) });
    }),
    { numRuns: 200, seed: 20261204 },
  );
});

it("any event sequence: @ag-ui/client's HttpAgent accepts the run as it is and shows what readers saw", async () => {
  await fc.assert(
    fc.asyncProperty(eventSequence.filter((events) => !JSON.stringify(events).includes("server_tool")), async (events) => {
      const direct = (await seen(pulled(events))) as Seen & { end: { error?: string; code?: unknown } };
      // runAgent rejects on any event its verifier refuses; the enforcement stage warns on anything it strips.
      const run = await runAsAGUIClient(toResponse(pulled(events), { format: "ag-ui" }));
      expect(warnings()).toEqual([]);
      const assistant = run.messages.find((m) => m.role === "assistant");
      expect(assistant?.content ?? "").toBe(direct.text);
      // Each reasoning block is a reasoning message: the same UTF-16 units, grouped by block.
      const reasoning = run.messages.filter((m) => m.role === "reasoning").map((m) => String(m.content));
      expect(reasoning.join("").split("").sort()).toEqual(direct.reasoning.split("").sort());
      if (direct.end.error === undefined) {
        expect(run.finished?.outcome).toBe("success");
        const calls = assistant?.role === "assistant" ? (assistant.toolCalls ?? []) : [];
        expect(calls.length).toBe((direct.end.tool_calls?.length ?? 0) + (direct.end.invalid_tool_calls?.length ?? 0));
      } else if (direct.end.code === "aborted") expect(run.finished?.outcome).toBe("cancelled");
      else expect(run.runError?.message).toBe(direct.end.error);
    }),
    { numRuns: 100, seed: 20261204 },
  );
});

type Call = { id?: string | undefined; name?: string | undefined; args?: unknown };
type Seen = { text: string; reasoning: string; end: { tool_calls?: Call[]; invalid_tool_calls?: Call[] } };

/**
 * A message's end as AG-UI carries it: a call with no id is named call-<index>; a call whose
 * arguments are JSON but no object (`null`, `3`) comes back invalid, as every reader of a
 * finished call (BlockWriter's) makes it.
 */
function asAGUICarries(end: Seen["end"]): Seen["end"] {
  if (end.tool_calls === undefined) return end;
  const named = (c: Call): Call => (c.id ? c : { ...c, id: expect.stringMatching(/^call-\d+$/) as unknown as string });
  const isObject = (args: unknown) => typeof args === "object" && args !== null && !Array.isArray(args);
  const moved = end.tool_calls.filter((c) => !isObject(c.args)).map((c): Call => ({ id: c.id, name: c.name ?? "", args: JSON.stringify(c.args) }));
  return { ...end, tool_calls: end.tool_calls.filter((c) => isObject(c.args)).map(named), invalid_tool_calls: [...(end.invalid_tool_calls ?? []), ...moved].map(named) };
}

/** Invalid calls in a fixed order (by arguments): which of them finished first is not what this compares. */
function sortInvalid(end: Seen["end"]): Seen["end"] {
  const key = (c: Call) => `${JSON.stringify(c.args)}|${c.name ?? ""}`;
  const sorted = end.invalid_tool_calls && [...end.invalid_tool_calls].sort((a, b) => key(a).localeCompare(key(b)));
  return sorted === undefined ? end : { ...end, invalid_tool_calls: sorted };
}

/** Whether an event finishes an invalid tool call whose arguments are a JSON object, or empty. */
function invalidJSONCall(event: Record<string, unknown>): boolean {
  const block = (event["content"] ?? event["content_block"]) as { type?: unknown; args?: unknown } | undefined;
  if (event["event"] !== "content-block-finish" || block?.type !== "invalid_tool_call") return false;
  // Empty arguments are `{}` to every reader.
  if (typeof block.args === "string" && block.args.trim() === "") return true;
  try {
    const args: unknown = typeof block.args === "string" ? JSON.parse(block.args) : block.args;
    return typeof args === "object" && args !== null && !Array.isArray(args);
  } catch {
    return false;
  }
}

/** Whether no two tool-call blocks of a sequence name the same id. */
function uniqueToolIds(events: Record<string, unknown>[]): boolean {
  const owners = new Map<string, unknown>();
  for (const e of events) {
    const payloads = [e["content"], e["delta"], e["content_block"]] as ({ fields?: unknown } | undefined)[];
    for (const block of payloads.flatMap((p) => [p, p?.fields]) as ({ id?: unknown; type?: unknown } | undefined)[]) {
      if (typeof block?.id !== "string" || block.id === "" || typeof block.type !== "string" || !block.type.includes("tool")) continue;
      if ((owners.get(block.id) ?? e["index"]) !== e["index"]) return false;
      owners.set(block.id, e["index"]);
    }
  }
  return true;
}

describe("fromResponse reads an AG-UI server's stream", () => {
  /** AG-UI events as an SSE body, as a server writes them. */
  function agUIResponse(events: unknown[]): Response {
    const body = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("");
    return new Response(bodyOf(bytesOf(body)), { headers: { "content-type": "text/event-stream" } });
  }

  it("text, reasoning and tool calls, by their ids, the chunk shorthands included", async () => {
    const stream = fromResponse(
      agUIResponse([
        { type: "RUN_STARTED", threadId: "t1", runId: "r1" },
        { type: "STEP_STARTED", stepName: "agent" },
        { type: "REASONING_MESSAGE_CHUNK", messageId: "think-1", delta: "Hmm, " },
        { type: "REASONING_MESSAGE_CHUNK", delta: "weather." },
        { type: "TEXT_MESSAGE_START", messageId: "msg-1", role: "assistant" },
        { type: "TEXT_MESSAGE_CONTENT", messageId: "msg-1", delta: "Let me " },
        { type: "TEXT_MESSAGE_CONTENT", messageId: "msg-1", delta: "check." },
        { type: "TEXT_MESSAGE_END", messageId: "msg-1" },
        { type: "TOOL_CALL_START", toolCallId: "tc-1", toolCallName: "weather", parentMessageId: "msg-1" },
        { type: "TOOL_CALL_ARGS", toolCallId: "tc-1", delta: '{"city":' },
        { type: "TOOL_CALL_ARGS", toolCallId: "tc-1", delta: '"Oslo"}' },
        { type: "TOOL_CALL_END", toolCallId: "tc-1" },
        { type: "TOOL_CALL_CHUNK", toolCallId: "tc-2", toolCallName: "time", delta: "{}" },
        { type: "STEP_FINISHED", stepName: "agent" },
        { type: "RUN_FINISHED", threadId: "t1", runId: "r1", result: { answer: 42 } },
      ]),
    );
    const [text, reasoning, calls] = [stream.text, stream.reasoning, stream.toolCalls];
    const output = await stream.output;
    expect({ text: await text, reasoning: await reasoning, calls: await calls }).toEqual({
      text: "Let me check.",
      reasoning: "Hmm, weather.",
      calls: [
        { type: "tool_call", id: "tc-1", name: "weather", args: { city: "Oslo" } },
        { type: "tool_call", id: "tc-2", name: "time", args: {} },
      ],
    });
    // The message id is the run's: reasoning came before the assistant message named one.
    expect(output.id).toBe("r1");
    expect(output.response_metadata["result"]).toEqual({ answer: 42 });
  });

  it("steps and other run events reach raw-event readers as provider events", async () => {
    const events: unknown[] = [];
    for await (const e of fromResponse(
      agUIResponse([
        { type: "RUN_STARTED", threadId: "t1", runId: "r1" },
        { type: "STATE_SNAPSHOT", snapshot: { n: 1 } },
        { type: "TEXT_MESSAGE_CHUNK", messageId: "m", delta: "hi" },
        { type: "RUN_FINISHED", threadId: "t1", runId: "r1" },
      ]),
    )) {
      events.push(e);
    }
    expect(events).toContainEqual({ event: "provider", provider: "ag-ui", name: "STATE_SNAPSHOT", payload: { type: "STATE_SNAPSHOT", snapshot: { n: 1 } } });
    expect(events).toContainEqual({ event: "message-start", role: "ai", id: "m" });
  });

  it("an older server's THINKING_* events are reasoning", async () => {
    const stream = fromResponse(
      agUIResponse([
        { type: "RUN_STARTED", threadId: "t1", runId: "r1" },
        { type: "THINKING_START" },
        { type: "THINKING_TEXT_MESSAGE_START" },
        { type: "THINKING_TEXT_MESSAGE_CONTENT", delta: "Thinking" },
        { type: "THINKING_TEXT_MESSAGE_END" },
        { type: "THINKING_END" },
        { type: "TEXT_MESSAGE_CHUNK", messageId: "m", delta: "Answer" },
        { type: "RUN_FINISHED", threadId: "t1", runId: "r1" },
      ]),
    );
    const reasoning = stream.reasoning;
    expect((await stream.output).content).toEqual([
      { type: "reasoning", reasoning: "Thinking", index: 0 },
      { type: "text", text: "Answer", index: 1 },
    ]);
    expect(await reasoning).toBe("Thinking");
  });

  it("RUN_ERROR fails the stream with its message and code", async () => {
    const stream = fromResponse(
      agUIResponse([
        { type: "RUN_STARTED", threadId: "t1", runId: "r1" },
        { type: "TEXT_MESSAGE_CHUNK", messageId: "m", delta: "so far" },
        { type: "RUN_ERROR", message: "Agent crashed", code: "AGENT_ERROR" },
      ]),
    );
    await expect(stream.output).rejects.toMatchObject({ message: "Agent crashed", code: "AGENT_ERROR", partial: { content: [{ type: "text", text: "so far" }] } });
  });

  it("a run cut off before RUN_FINISHED finishes with what arrived", async () => {
    const stream = fromResponse(
      agUIResponse([
        { type: "RUN_STARTED", threadId: "t1", runId: "r1" },
        { type: "TEXT_MESSAGE_START", messageId: "m" },
        { type: "TEXT_MESSAGE_CONTENT", messageId: "m", delta: "cut" },
      ]),
    );
    expect((await stream.output).content).toEqual([{ type: "text", text: "cut", index: 0 }]);
  });

  it("a body with no content type is sniffed as SSE, then read as AG-UI", async () => {
    const body = bytesOf(['{"type":"RUN_STARTED","threadId":"t","runId":"r"}', '{"type":"TEXT_MESSAGE_CHUNK","messageId":"m","delta":"bare"}', '{"type":"RUN_FINISHED","threadId":"t","runId":"r"}'].map((d) => `data: ${d}\n\n`).join(""));
    expect(await fromResponse(bodyOf(body)).text).toBe("bare");
  });

  it("data that is not JSON fails the stream with a TypeError naming its position, after the text before it", async () => {
    const body = bytesOf('data: {"type":"RUN_STARTED","threadId":"t","runId":"r"}\n\ndata: {"type":"TEXT_MESSAGE_CHUNK","messageId":"m","delta":"ok"}\n\ndata: {nope\n\n');
    const stream = fromResponse(new Response(bodyOf(body), { headers: { "content-type": "text/event-stream" } }));
    const reader = stream.text.getReader();
    expect(await reader.read()).toEqual({ done: false, value: "ok" });
    const error = await reader.read().then(
      () => undefined,
      (caught: unknown) => caught as Error & { code?: unknown },
    );
    expect(error).toBeInstanceOf(TypeError);
    expect([error?.message, error?.code]).toEqual(['Invalid AG-UI event data at position 2: not JSON: "{nope"', "bad_input"]);
  });

  it("a user message the server echoes is not the answer", async () => {
    const stream = fromResponse(
      agUIResponse([
        { type: "RUN_STARTED", threadId: "t1", runId: "r1" },
        { type: "TEXT_MESSAGE_START", messageId: "u", role: "user" },
        { type: "TEXT_MESSAGE_CONTENT", messageId: "u", delta: "question" },
        { type: "TEXT_MESSAGE_END", messageId: "u" },
        { type: "TEXT_MESSAGE_CHUNK", messageId: "a", delta: "answer" },
        { type: "RUN_FINISHED", threadId: "t1", runId: "r1" },
      ]),
    );
    expect(await stream.text).toBe("answer");
  });
});
