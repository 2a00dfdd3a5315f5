// toResponse(stream, { format: "ui-message-stream" }) read by the AI SDK's own client code: the
// transport useChat runs (DefaultChatTransport, which parses and validates the chunks) and
// readUIMessageStream, which assembles the message parts. Its parts must equal our output.
import { AbstractChat, DefaultChatTransport, readUIMessageStream, type ChatState, type ChatStatus, type UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { ChatModelStream, toResponse, type AIMessage } from "../src/index.ts";
import { pulled, reasoningAndTools, scriptedSource, textMessage, type Event } from "./helpers.ts";

/** The last UIMessage the AI SDK assembles from our response, and the error it reported, if any. */
async function readAsUseChat(
  response: Response,
  onMessage: (message: UIMessage) => void = () => {},
): Promise<{ message: UIMessage | undefined; error: string | undefined }> {
  const transport = new DefaultChatTransport<UIMessage>({ api: "https://chat.test/api", fetch: async () => response });
  const chunks = await transport.sendMessages({
    chatId: "c1",
    messageId: undefined,
    messages: [{ id: "u1", role: "user", parts: [{ type: "text", text: "hi" }] }],
    abortSignal: undefined,
    trigger: "submit-message",
  });
  let error: string | undefined;
  let message: UIMessage | undefined;
  try {
    for await (const m of readUIMessageStream<UIMessage>({ stream: chunks, terminateOnError: true })) {
      message = structuredClone(m);
      onMessage(message);
    }
  } catch (caught) {
    error = (caught as Error).message;
  }
  return { message, error };
}

/** The parts a UIMessage should have for our message, block by block, as useChat shows them. */
function partsOf(output: AIMessage): unknown[] {
  const parts: unknown[] = [{ type: "step-start" }];
  const blocks = typeof output.content === "string" ? [{ type: "text", text: output.content }] : output.content;
  for (const block of blocks) {
    const b = block as Record<string, unknown>;
    if (b["type"] === "text") parts.push({ type: "text", text: b["text"], state: "done" });
    else if (b["type"] === "reasoning") parts.push({ type: "reasoning", id: `reasoning-${String(b["index"])}`, text: b["reasoning"], state: "done" });
    else if (b["type"] === "tool_call") parts.push({ type: `tool-${String(b["name"])}`, toolCallId: b["id"], state: "input-available", input: b["args"] });
  }
  return parts;
}


describe("toResponse ui-message-stream, read by the AI SDK's client", () => {
  it("sets the headers the AI SDK's transport expects", () => {
    const response = toResponse(pulled(textMessage("hi")), { format: "ui-message-stream" });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
  });

  it("text: the assembled parts equal our output", async () => {
    const stream = pulled(textMessage("Hel", "lo ", "wörld 👋"));
    const { message, error } = await readAsUseChat(toResponse(stream, { format: "ui-message-stream" }));
    expect(error).toBeUndefined();
    expect(message?.parts).toEqual(partsOf(await stream.output));
    expect(message?.parts.some((p) => p.type === "text" && p.text === "Hello wörld 👋")).toBe(true);
  });

  it("reasoning, text and two interleaved tool calls: the parts, the id, the finish reason and usage", async () => {
    const stream = pulled(reasoningAndTools);
    const { message, error } = await readAsUseChat(toResponse(stream, { format: "ui-message-stream" }));
    const output = await stream.output;
    expect(error).toBeUndefined();
    expect(message?.id).toBe("msg_1");
    expect(message?.parts).toEqual(partsOf(output));
    expect(message?.metadata).toEqual({ finishReason: "tool_calls", usage: output.usage_metadata, model: "gpt-test" });
  });

  it("arguments that are not JSON arrive as a tool input error", async () => {
    const events: Event[] = [
      { event: "message-start" },
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "call_x", name: "lookup", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"q": ' } },
      { event: "message-finish", reason: "tool_calls" },
    ];
    const { message } = await readAsUseChat(toResponse(pulled(events), { format: "ui-message-stream" }));
    expect(message?.parts.at(-1)).toMatchObject({ type: "tool-lookup", toolCallId: "call_x", state: "output-error", rawInput: '{"q": ' });
  });

  it("a result of a tool call that did not go out (a provider-run tool's) is not written: the client would fail on its id", async () => {
    const events: Event[] = [
      { event: "message-start" },
      { event: "content-block-finish", index: 0, content: { type: "server_tool_call", id: "ws_1", name: "web_search", args: { q: "oslo" } } },
      { event: "content-block-finish", index: 1, content: { type: "server_tool_result", tool_call_id: "ws_1", status: "success", output: [] } },
      { event: "content-block-finish", index: 2, content: { type: "tool_call", id: "c1", name: "lookup", args: { q: 1 } } },
      { event: "content-block-finish", index: 3, content: { type: "server_tool_result", tool_call_id: "c1", status: "error", output: { reason: "503" } } },
      { event: "message-finish", reason: "stop" },
    ];
    const { message, error } = await readAsUseChat(toResponse(pulled(events), { format: "ui-message-stream" }));
    expect(error).toBeUndefined();
    expect(message?.parts).toEqual([
      { type: "step-start" },
      { type: "tool-lookup", toolCallId: "c1", state: "output-error", input: { q: 1 }, errorText: '{"reason":"503"}' },
    ]);
  });

  it("an error mid-stream reaches the client as an error, after the text so far", async () => {
    const events: Event[] = [...textMessage("partial ", "answer").slice(0, -1), { event: "error", message: "overloaded", code: "overloaded_error" }];
    const stream = pulled(events);
    const { message, error } = await readAsUseChat(toResponse(stream, { format: "ui-message-stream" }));
    expect(error).toBe("overloaded");
    expect(message?.parts).toEqual([{ type: "step-start" }, { type: "text", text: "partial answer", state: "done" }]);
  });

  it("Stop: cancelling the stream ends the body with an abort the client reads as one", async () => {
    const source = scriptedSource(textMessage("one ", "two ", "three"), { holdAt: 4 });
    const stream = ChatModelStream.from(source.readable);
    const response = toResponse(stream, { format: "ui-message-stream" });
    // The user presses Stop once the client shows "one ".
    const stop = (m: UIMessage) => {
      if (m.parts.some((p) => p.type === "text" && p.text.startsWith("one "))) void stream.cancel();
    };
    const { message, error } = await readAsUseChat(response, stop);
    // An abort is not an error to the client; what was in flight when Stop came is dropped.
    expect(error).toBeUndefined();
    expect(message?.parts.length).toBe(2);
    expect(message?.parts[1]).toMatchObject({ type: "text", state: "done", text: expect.stringMatching(/^one (two )?$/) });
    expect(source.cancels).toBe(1); // the model call was cancelled
  });

  it("Stop writes an abort chunk, then [DONE]", async () => {
    const source = scriptedSource(textMessage("one ", "two"), { holdAt: 3 });
    const stream = ChatModelStream.from(source.readable);
    const text = toResponse(stream, { format: "ui-message-stream" }).text();
    await source.held;
    await stream.cancel();
    expect(await text).toMatch(/data: \{"type":"text-end","id":"text-0"\}\n\ndata: \{"type":"abort"\}\n\ndata: \[DONE\]\n\n$/);
  });

  it("the bytes end with the data: [DONE] line", async () => {
    const text = await toResponse(pulled(textMessage("a")), { format: "ui-message-stream" }).text();
    expect(text.endsWith('data: {"type":"finish"}\n\ndata: [DONE]\n\n')).toBe(true);
    expect(text.startsWith('data: {"type":"start"}\n\ndata: {"type":"start-step"}\n\n')).toBe(true);
  });
});

const inWorkerd = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";

/** The chat's state in plain arrays, as the demo's /ui page keeps it. */
class PlainState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];
  /** Runs after every change of the messages. */
  onChange = (): void => {};
  pushMessage = (message: UIMessage): void => this.#set([...this.messages, message]);
  popMessage = (): void => this.#set(this.messages.slice(0, -1));
  replaceMessage = (index: number, message: UIMessage): void => this.#set(this.messages.map((m, i) => (i === index ? message : m)));
  snapshot = <T>(thing: T): T => structuredClone(thing);
  #set(messages: UIMessage[]): void {
    this.messages = messages;
    this.onChange();
  }
}

/**
 * The smallest AbstractChat (what useChat runs, without React) over DefaultChatTransport, whose
 * fetch answers with `respond()`. Aborting the request cancels the body, as a browser's fetch does.
 */
class Chat extends AbstractChat<UIMessage> {
  readonly plain: PlainState;
  constructor(respond: () => Response) {
    const state = new PlainState();
    const fetch = async (_url: RequestInfo | URL, init?: RequestInit) => {
      const response = respond();
      const body = response.body!.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(), init?.signal ? { signal: init.signal } : {});
      return new Response(body, { headers: response.headers });
    };
    super({ state, transport: new DefaultChatTransport<UIMessage>({ api: "https://chat.test/api", fetch }) });
    this.plain = state;
  }

  /** Resolves once the messages satisfy `test` (checked after every change). */
  until(test: (messages: UIMessage[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.plain.onChange = () => {
        if (test(this.plain.messages)) resolve();
      };
    });
  }
}

describe("toResponse ui-message-stream, run by the AI SDK's AbstractChat with DefaultChatTransport (what useChat runs)", () => {
  it("reasoning, text and two interleaved tool calls: the assistant message's parts equal our output", async () => {
    const stream = pulled(reasoningAndTools);
    const chat = new Chat(() => toResponse(stream, { format: "ui-message-stream" }));
    await chat.sendMessage({ text: "weather in Oslo and Lima?" });
    expect(chat.status).toBe("ready");
    expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(chat.messages[1]!.id).toBe("msg_1");
    expect(chat.messages[1]!.parts).toEqual(partsOf(await stream.output));
    expect(chat.messages[1]!.parts.filter((p) => p.type === "tool-weather")).toHaveLength(2);
  });

  // In workerd the AI SDK's own TransformStream throws on the error chunk, which workerd reports as an
  // unhandled rejection (a workerd quirk: see /work/shared/EDGE.md); the error path is checked there
  // through readUIMessageStream above, and this test runs in Node (and Deno, Bun, Chromium: npm run test:runtimes).
  it.skipIf(inWorkerd)("an error mid-stream: the chat's status is error with our message, the assistant message keeps the text so far", async () => {
    const events: Event[] = [...textMessage("partial ", "answer").slice(0, -1), { event: "error", message: "overloaded", code: "overloaded_error" }];
    const chat = new Chat(() => toResponse(pulled(events), { format: "ui-message-stream" }));
    await chat.sendMessage({ text: "hi" });
    expect({ status: chat.status, error: chat.error?.message }).toEqual({ status: "error", error: "overloaded" });
    expect(chat.messages[1]!.parts).toEqual([{ type: "step-start" }, { type: "text", text: "partial answer", state: "done" }]);
  });

  it("Stop: chat.stop() cancels the body and the model call; the chat is ready again, with the text it had", async () => {
    const source = scriptedSource(textMessage("one ", "two ", "three"), { holdAt: 3 });
    const stream = ChatModelStream.from(source.readable);
    const chat = new Chat(() => toResponse(stream, { format: "ui-message-stream" }));
    const shown = chat.until((messages) => messages[1]?.parts.some((p) => p.type === "text" && p.text === "one ") === true);
    const sent = chat.sendMessage({ text: "count" });
    // The model is held after "one "; the user presses Stop once the chat shows it.
    await shown;
    await chat.stop();
    await sent;
    expect({ status: chat.status, error: chat.error, cancels: source.cancels }).toEqual({ status: "ready", error: undefined, cancels: 1 });
    expect(chat.messages[1]!.parts).toEqual([{ type: "step-start" }, { type: "text", text: "one ", state: "streaming" }]);
  });
});
