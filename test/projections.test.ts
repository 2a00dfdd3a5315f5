// API.md §4: projections are real ReadableStreams and thenables; the stream itself is not thenable;
// from() and the standalone TransformStreams agree with push.
import { describe, expect, it } from "vitest";
import {
  ChatModelStream,
  MessageStream,
  ReasoningDeltaStream,
  TextDeltaStream,
  ToolCallChunkStream,
} from "../src/index.ts";
import {
  type Event,
  eventSource,
  failure,
  feed,
  messageFinish,
  messageStart,
  pulled,
  pushAll,
  readAll,
  readableOf,
  textMessage,
  hello,
} from "./helpers.ts";

const usage = { input_tokens: 3, output_tokens: 5, total_tokens: 8 };

// Every projection has something to say: reasoning, text with a finish tail, a tool call, usage, metadata.
const full: Event[] = [
  { event: "message-start", id: "m1", metadata: { provider: "openai", model: "gpt-4o" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Think" } },
  { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Think" } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Hel" } },
  { event: "content-block-finish", index: 1, content: { type: "text", text: "Hello" } },
  { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '{"a":' } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: "1}" } },
  { event: "usage", usage },
  { event: "message-finish", reason: "tool_calls", metadata: { system_fingerprint: "fp_1" } },
];

const failing = [...textMessage("Hel").slice(0, -1), { event: "error", message: "boom" }];

const projections = ["text", "reasoning", "toolCalls", "usage", "output"] as const;

describe("each projection", () => {
  it.each(projections)("%s is a ReadableStream", (name) => {
    expect(pushAll(full)[name]).toBeInstanceOf(ReadableStream);
  });

  it.each(projections)("%s is a thenable", (name) => {
    expect(typeof pushAll(full)[name].then).toBe("function");
  });

  it.each([
    ["text", "Hello"],
    ["reasoning", "Think"],
    ["toolCalls", [{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]],
    ["usage", usage],
  ] as const)("%s awaits to its final value", async (name, expected) => {
    expect(await pushAll(full)[name]).toEqual(expected);
  });
});

describe("reading a projection", () => {
  it("works with getReader", async () => {
    expect((await readAll(pushAll(hello).text)).join("")).toBe("Hello");
  });

  it("works with for await", async () => {
    const chunks: string[] = [];
    for await (const chunk of pushAll(hello).text) chunks.push(chunk);
    expect(chunks.join("")).toBe("Hello");
  });

  it("works with pipeTo a WritableStream", async () => {
    const chunks: string[] = [];
    await pushAll(hello).text.pipeTo(new WritableStream({ write: (chunk) => void chunks.push(chunk) }));
    expect(chunks.join("")).toBe("Hello");
  });

  it("works with pipeThrough a TransformStream", async () => {
    const upper = new TransformStream<string, string>({
      transform: (chunk, controller) => controller.enqueue(chunk.toUpperCase()),
    });
    expect((await readAll(pushAll(hello).text.pipeThrough(upper))).join("")).toBe("HELLO");
  });

  it("output yields exactly the one message that await output gives", async () => {
    const stream = pushAll(full);
    const read = await readAll(stream.output);
    expect(read).toEqual([await stream.output]);
  });

  it("a late reader (after the message finished) still reads everything", async () => {
    const stream = pushAll(hello);
    await stream.output;
    expect((await readAll(stream.text)).join("")).toBe("Hello");
  });
});

describe("awaiting a projection", () => {
  it("works with await", async () => {
    expect(await pushAll(hello).text).toBe("Hello");
  });

  it("works with .then", async () => {
    expect(await pushAll(hello).text.then((text) => text.length)).toBe(5);
  });

  it("works with .catch on a failed stream", async () => {
    const stream = feed(new ChatModelStream(), failing);
    expect(await stream.text.catch((error: unknown) => (error as Error).message)).toBe("boom");
  });

  it("works with .finally, passing the value through", async () => {
    let ran = false;
    const text = await pushAll(hello).text.finally(() => {
      ran = true;
    });
    expect({ text, ran }).toEqual({ text: "Hello", ran: true });
  });
});

describe("raw events", () => {
  it("events is a ReadableStream", () => {
    expect(pushAll(hello).events).toBeInstanceOf(ReadableStream);
  });

  it("events gives the raw events in order", async () => {
    expect(await readAll(pulled(full).events)).toEqual(full);
  });

  it("for await over the stream gives the raw events in order", async () => {
    const events: Event[] = [];
    for await (const event of pulled(full)) events.push(event);
    expect(events).toEqual(full);
  });
});

describe("cursors", () => {
  it("each getter access is a new projection", () => {
    const stream = pushAll(hello);
    expect(stream.text).not.toBe(stream.text);
  });

  it("two text readers each get every delta", async () => {
    const stream = pulled(hello);
    const [first, second] = await Promise.all([readAll(stream.text), readAll(stream.text)]);
    expect([first.join(""), second.join("")]).toEqual(["Hello", "Hello"]);
  });
});

describe("ChatModelStream.from", () => {
  it("a ReadableStream source gives the same output as push", async () => {
    const fromReadable = await ChatModelStream.from(readableOf(full)).output;
    expect(fromReadable).toEqual(await pushAll(full).output);
  });

  it("an async generator source gives the same output as push", async () => {
    const fromGenerator = await ChatModelStream.from(eventSource(full)).output;
    expect(fromGenerator).toEqual(await pushAll(full).output);
  });

  it("passes options through (messageId)", async () => {
    const stream = ChatModelStream.from(eventSource([messageStart, messageFinish]), { messageId: "run-1" });
    expect((await stream.output).id).toBe("run-1");
  });
});

describe("standalone transforms", () => {
  it.each([
    ["TextDeltaStream", () => new TextDeltaStream()],
    ["ReasoningDeltaStream", () => new ReasoningDeltaStream()],
    ["ToolCallChunkStream", () => new ToolCallChunkStream()],
    ["MessageStream", () => new MessageStream()],
  ] as const)("%s is a TransformStream", (_name, create) => {
    expect(create()).toBeInstanceOf(TransformStream);
  });

  it("TextDeltaStream turns events into text deltas, finish tail included", async () => {
    const events = [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "Hello" } },
      messageFinish,
    ];
    expect(await readAll(readableOf(events).pipeThrough(new TextDeltaStream()))).toEqual(["Hel", "lo"]);
  });

  it("ReasoningDeltaStream turns events into reasoning deltas", async () => {
    const events = [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Thi" } },
      { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "nk" } },
      messageFinish,
    ];
    expect(await readAll(readableOf(events).pipeThrough(new ReasoningDeltaStream()))).toEqual(["Thi", "nk"]);
  });

  it("ToolCallChunkStream turns events into tool_call_chunk chunks, one per slice", async () => {
    const chunks = await readAll(readableOf(full).pipeThrough(new ToolCallChunkStream()));
    // The start (args "") may or may not surface as a chunk of its own; only the args-bearing slices are fixed.
    expect({
      types: [...new Set(chunks.map((chunk) => chunk.type))],
      args: chunks.map((chunk) => chunk.args).filter((args) => args),
    }).toEqual({ types: ["tool_call_chunk"], args: ['{"a":', "1}"] });
  });

  it("MessageStream turns events into exactly the one AIMessage that output gives", async () => {
    const messages = await readAll(readableOf(full).pipeThrough(new MessageStream()));
    expect(messages).toEqual([await pushAll(full).output]);
  });

  it("composes with the raw events: stream.events.pipeThrough(new TextDeltaStream())", async () => {
    const deltas = await readAll(pulled(hello).events.pipeThrough(new TextDeltaStream()));
    expect(deltas).toEqual(["Hel", "lo"]);
  });
});

describe("the stream itself", () => {
  it("is not thenable", () => {
    expect("then" in pushAll(hello)).toBe(false);
  });

  it("comes back unchanged from an async function", async () => {
    const stream = pushAll(hello);
    const returned = await (async () => stream)();
    expect(returned).toBe(stream);
  });

  it("a failed stream rejects every projection's await", async () => {
    const stream = feed(new ChatModelStream(), failing);
    const errors = await Promise.all(projections.map((name) => failure(stream[name])));
    expect(errors.map((error) => error.message)).toEqual(["boom", "boom", "boom", "boom", "boom"]);
  });
});
