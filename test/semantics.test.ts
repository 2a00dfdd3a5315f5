// API.md §3: how protocol events fold into deltas, final values and the assembled AIMessage.
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import {
  type Event,
  failure,
  feed,
  messageFinish,
  messageStart,
  pulled,
  pushAll,
  readAll,
  readUntilError,
  textMessage,
} from "./helpers.ts";

const u1 = { input_tokens: 5, output_tokens: 1, total_tokens: 6 };
const u2 = { input_tokens: 5, output_tokens: 3, total_tokens: 8 };
const u3 = { input_tokens: 5, output_tokens: 7, total_tokens: 12 };
const PARSE_ERROR = "Failed to parse tool call arguments as JSON";

// Text and reasoning follow the same rules; each case runs for both.
const kinds = [
  {
    kind: "text",
    block: (text: string) => ({ type: "text", text }),
    delta: (text: string) => ({ type: "text-delta", text }),
    of: (stream: ChatModelStream) => stream.text,
  },
  {
    kind: "reasoning",
    block: (reasoning: string) => ({ type: "reasoning", reasoning }),
    delta: (reasoning: string) => ({ type: "reasoning-delta", reasoning }),
    of: (stream: ChatModelStream) => stream.reasoning,
  },
];

describe.each(kinds)("$kind blocks", ({ block, delta, of }) => {
  it("give a reader each delta as its own chunk, in order", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hel") },
      { event: "content-block-delta", index: 0, delta: delta("lo") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["Hel", "lo"]);
  });

  it("await to the deltas joined", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hel") },
      { event: "content-block-delta", index: 0, delta: delta("lo") },
      messageFinish,
    ]);
    expect(await of(stream)).toBe("Hello");
  });

  it("drop empty deltas", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("") },
      { event: "content-block-delta", index: 0, delta: delta("Hel") },
      { event: "content-block-delta", index: 0, delta: delta("") },
      { event: "content-block-delta", index: 0, delta: delta("lo") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["Hel", "lo"]);
  });

  it("emit the whole finished text once when the block had no deltas", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-finish", index: 0, content: block("Hello") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["Hello"]);
  });

  it("emit only the missing tail when the finished text extends the deltas", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hel") },
      { event: "content-block-finish", index: 0, content: block("Hello") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["Hel", "lo"]);
  });

  it("emit nothing more when the finished text differs from the deltas", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hi") },
      { event: "content-block-finish", index: 0, content: block("Hello") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["Hi"]);
  });

  it("await to the finished text when it differs from the deltas", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hi") },
      { event: "content-block-finish", index: 0, content: block("Hello") },
      messageFinish,
    ]);
    expect(await of(stream)).toBe("Hello");
  });

  it("finish as the finished text when it differs from the deltas", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hi") },
      { event: "content-block-finish", index: 0, content: block("Hello") },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([{ ...block("Hello"), index: 0 }]);
  });

  it("keep the deltas' text when the finished text is empty", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hel") },
      { event: "content-block-delta", index: 0, delta: delta("lo") },
      { event: "content-block-finish", index: 0, content: block("") },
      messageFinish,
    ]);
    expect(await of(stream)).toBe("Hello");
  });

  it("finish as the deltas' text when the finished text is empty", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hel") },
      { event: "content-block-delta", index: 0, delta: delta("lo") },
      { event: "content-block-finish", index: 0, content: block("") },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([{ ...block("Hello"), index: 0 }]);
  });

  it("await to the blocks joined in index order", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 2, content: block("") },
      { event: "content-block-delta", index: 2, delta: delta("world") },
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hello ") },
      messageFinish,
    ]);
    expect(await of(stream)).toBe("Hello world");
  });

  it("reach a reader in arrival order", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 2, content: block("") },
      { event: "content-block-delta", index: 2, delta: delta("world") },
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: delta("Hello ") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["world", "Hello "]);
  });

  it("count a start's non-empty text as the first delta", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 0, content: block("Hel") },
      { event: "content-block-delta", index: 0, delta: delta("lo") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["Hel", "lo"]);
  });

  it("append an older-form delta (a partial block) like a delta", async () => {
    const stream = pulled([
      messageStart,
      { event: "content-block-start", index: 0, content: block("") },
      { event: "content-block-delta", index: 0, delta: block("Hel") },
      { event: "content-block-delta", index: 0, delta: block("lo") },
      messageFinish,
    ]);
    expect(await readAll(of(stream))).toEqual(["Hel", "lo"]);
  });
});

describe("text and reasoning", () => {
  const mixed = [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
    { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Think" } },
    { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
    { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Say" } },
    messageFinish,
  ];

  it("text holds only the text blocks", async () => {
    expect(await pushAll(mixed).text).toBe("Say");
  });

  it("reasoning holds only the reasoning blocks", async () => {
    expect(await pushAll(mixed).reasoning).toBe("Think");
  });
});

describe("tool-call chunks", () => {
  const toolCall = { type: "tool_call", id: "c1", name: "f", args: { a: 1 } };

  // Older delta form: each delta is a tool_call_chunk slice; id and name only on the first.
  const sliced = [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "tool_call_chunk" } },
    { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a":' } },
    { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: "1}" } },
    messageFinish,
  ];

  it("concatenate slices' args into a tool call", async () => {
    expect(await pushAll(sliced).toolCalls).toEqual([toolCall]);
  });

  it("put the swept tool call on output.tool_calls", async () => {
    expect((await pushAll(sliced).output).tool_calls).toEqual([toolCall]);
  });

  it("reach a toolCalls reader one slice per chunk, each a tool_call_chunk", async () => {
    const chunks = await readAll(pulled(sliced).toolCalls);
    // A start with no args may or may not surface as a chunk of its own; only the args-bearing slices are fixed.
    expect({
      types: [...new Set(chunks.map((chunk) => chunk.type))],
      args: chunks.map((chunk) => chunk.args).filter((args) => args),
    }).toEqual({ types: ["tool_call_chunk"], args: ['{"a":', "1}"] });
  });

  it("take id and name from the start as the first slice", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"a":' } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: "1}" } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([toolCall]);
  });

  it("count the start's args as the first slice", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a":' } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: "1}" } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([toolCall]);
  });

  it("keep the first non-empty id and name", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "", name: "", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a":' } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "c2", name: "g", args: "1}" } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([toolCall]);
  });

  it("concatenate LangChain.js tool-call-delta slices", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool-call-delta", args: '{"a":' } },
      { event: "content-block-delta", index: 0, delta: { type: "tool-call-delta", args: "1}" } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([toolCall]);
  });

  it("merge block-delta fields as snapshots: the last value wins", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "block-delta", fields: { args: '{"a":' } } },
      { event: "content-block-delta", index: 0, delta: { type: "block-delta", fields: { args: '{"a":1}' } } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([toolCall]);
  });

  it("keep a field that a later block-delta leaves undefined", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "block-delta", fields: { name: undefined, args: '{"a":1}' } } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([toolCall]);
  });

  describe("with args that are not valid JSON", () => {
    const invalid = [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"a":' } },
      messageFinish,
    ];

    it("become an invalid_tool_call carrying the raw args", async () => {
      expect((await pushAll(invalid).output).invalid_tool_calls).toEqual([
        { type: "invalid_tool_call", id: "c1", name: "f", args: '{"a":', error: PARSE_ERROR },
      ]);
    });

    it("are absent from the awaited tool calls", async () => {
      expect(await pushAll(invalid).toolCalls).toEqual([]);
    });

    it("are absent from output.tool_calls", async () => {
      expect((await pushAll(invalid).output).tool_calls).toEqual([]);
    });
  });

  it("with empty args become a tool call with args {}", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([{ type: "tool_call", id: "c1", name: "f", args: {} }]);
  });

  it("are not swept again once their tool_call block finished", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"a":1}' } },
      { event: "content-block-finish", index: 0, content: toolCall },
      messageFinish,
    ]);
    expect((await stream.output).tool_calls).toEqual([toolCall]);
  });

  it("are not swept again once their invalid_tool_call block finished", async () => {
    const finished = { type: "invalid_tool_call", id: "c1", name: "f", args: '{"a":', error: "truncated" };
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"a":' } },
      { event: "content-block-finish", index: 0, content: finished },
      messageFinish,
    ]);
    expect((await stream.output).invalid_tool_calls).toEqual([finished]);
  });

  describe("of a server tool call", () => {
    const server = [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "server_tool_call_chunk" } },
      {
        event: "content-block-delta",
        index: 0,
        delta: { type: "block-delta", fields: { id: "s1", name: "web_search", args: '{"q":"x"}' } },
      },
      messageFinish,
    ];

    it("are swept into a server_tool_call block", async () => {
      // Whether a swept server_tool_call gets `index` is not asserted: API.md and LangChain differ in wording.
      expect((await pushAll(server).output).content).toMatchObject([
        { type: "server_tool_call", id: "s1", name: "web_search", args: { q: "x" } },
      ]);
    });

    it("stay out of tool_calls", async () => {
      expect((await pushAll(server).output).tool_calls).toEqual([]);
    });
  });
});

describe("output.content", () => {
  it("is the text deltas joined in arrival order when no block finished", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "world" } },
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hello " } },
      messageFinish,
    ]);
    expect((await stream.output).content).toBe("worldHello ");
  });

  it("is the empty string when no block finished and no text arrived", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Think" } },
      messageFinish,
    ]);
    expect((await stream.output).content).toBe("");
  });

  it("lists the finished blocks in index order, not finish order", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 1, content: { type: "text", text: "world" } },
      { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Think" } },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([
      { type: "reasoning", reasoning: "Think", index: 0 },
      { type: "text", text: "world", index: 1 },
    ]);
  });

  it("leaves out a text block that never finished", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "A" } },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "A" } },
      { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "B" } },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([{ type: "text", text: "A", index: 0 }]);
  });

  it("keeps the unfinished text block in text", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "A" } },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "A" } },
      { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "B" } },
      messageFinish,
    ]);
    expect(await stream.text).toBe("AB");
  });

  it("counts a swept tool-call chunk as a finished block", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hi" } },
      { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 1, delta: { type: "tool_call_chunk", args: '{"a":1}' } },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });

  it("fills in a finished block's index from the event", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 2, content: { type: "image", url: "https://example.com/a.png" } },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([{ type: "image", url: "https://example.com/a.png", index: 2 }]);
  });

  it("keeps a finished text block's other fields", async () => {
    const annotations = [{ type: "citation", url: "https://example.com" }];
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 0, content: { type: "text", text: "Hi", annotations } },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([{ type: "text", text: "Hi", annotations, index: 0 }]);
  });

  it("removes index from a finished tool_call block", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 1, content: { type: "tool_call", id: "c1", name: "f", args: {}, index: 1 } },
      messageFinish,
    ]);
    const [block] = (await stream.output).content as object[];
    expect(Object.keys(block ?? {})).not.toContain("index");
  });

  it("removes index from a finished invalid_tool_call block", async () => {
    const stream = pushAll([
      messageStart,
      {
        event: "content-block-finish",
        index: 1,
        content: { type: "invalid_tool_call", id: "c1", name: "f", args: "{", error: "bad", index: 1 },
      },
      messageFinish,
    ]);
    const [block] = (await stream.output).content as object[];
    expect(Object.keys(block ?? {})).not.toContain("index");
  });

  it("gives a swept tool_call no index", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "{}" } },
      messageFinish,
    ]);
    const [block] = (await stream.output).content as object[];
    expect(Object.keys(block ?? {})).not.toContain("index");
  });

  it("gives a swept invalid_tool_call no index, and the parse error", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "{" } },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([
      { type: "invalid_tool_call", id: "c1", name: "f", args: "{", error: PARSE_ERROR },
    ]);
  });
});

describe("output.tool_calls", () => {
  it("lists the finished ones in finish order, then the swept ones in index order", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 3, content: { type: "tool_call", id: "d", name: "f", args: {} } },
      { event: "content-block-finish", index: 2, content: { type: "tool_call", id: "c", name: "f", args: {} } },
      { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "b", name: "f", args: "{}" } },
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "a", name: "f", args: "{}" } },
      messageFinish,
    ]);
    expect((await stream.output).tool_calls.map((call) => call.id)).toEqual(["d", "c", "a", "b"]);
  });

  it("awaits through toolCalls in the same order", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 3, content: { type: "tool_call", id: "d", name: "f", args: {} } },
      { event: "content-block-finish", index: 2, content: { type: "tool_call", id: "c", name: "f", args: {} } },
      { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "b", name: "f", args: "{}" } },
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "a", name: "f", args: "{}" } },
      messageFinish,
    ]);
    expect((await stream.toolCalls).map((call) => call.id)).toEqual(["d", "c", "a", "b"]);
  });

  it("lists invalid tool calls the same way: finished ones first, then swept ones in index order", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "z", name: "f", args: "{" } },
      { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "y", name: "f", args: "{" } },
      { event: "content-block-finish", index: 0, content: { type: "invalid_tool_call", id: "x", name: "f", args: "{", error: "bad" } },
      messageFinish,
    ]);
    expect((await stream.output).invalid_tool_calls.map((call) => call.id)).toEqual(["x", "y", "z"]);
  });
});

describe("output.response_metadata", () => {
  const start = { event: "message-start", metadata: { provider: "openai", model: "gpt-4o" } };

  it("orders its keys: provider, model, finish reason, finish metadata, output_version", async () => {
    const stream = pushAll([
      start,
      { event: "message-finish", reason: "stop", metadata: { system_fingerprint: "fp_1", service_tier: "default" } },
    ]);
    expect(Object.keys((await stream.output).response_metadata)).toEqual([
      "model_provider",
      "model_name",
      "finish_reason",
      "system_fingerprint",
      "service_tier",
      "output_version",
    ]);
  });

  it("maps start metadata provider/model and the finish reason", async () => {
    const stream = pushAll([
      start,
      { event: "message-finish", reason: "stop", metadata: { system_fingerprint: "fp_1" } },
    ]);
    expect((await stream.output).response_metadata).toEqual({
      model_provider: "openai",
      model_name: "gpt-4o",
      finish_reason: "stop",
      system_fingerprint: "fp_1",
      output_version: "v1",
    });
  });

  it("prefers start metadata's model_provider/model_name over provider/model", async () => {
    const stream = pushAll([
      {
        event: "message-start",
        metadata: { provider: "x", model: "y", model_provider: "anthropic", model_name: "claude" },
      },
      messageFinish,
    ]);
    expect((await stream.output).response_metadata).toMatchObject({ model_provider: "anthropic", model_name: "claude" });
  });

  it("keeps a repeated key in its first place with the later value", async () => {
    const stream = pushAll([
      start,
      { event: "message-finish", reason: "stop", metadata: { model_name: "gpt-4o-2024-08-06" } },
    ]);
    const metadata = (await stream.output).response_metadata;
    expect(Object.entries(metadata)).toEqual([
      ["model_provider", "openai"],
      ["model_name", "gpt-4o-2024-08-06"],
      ["finish_reason", "stop"],
      ["output_version", "v1"],
    ]);
  });

  it("pins output_version to v1, last, over the finish metadata's", async () => {
    const stream = pushAll([
      start,
      { event: "message-finish", metadata: { output_version: "responses/v1", service_tier: "default" } },
    ]);
    expect(Object.entries((await stream.output).response_metadata).at(-1)).toEqual(["output_version", "v1"]);
  });

  it("takes LangChain.js responseMetadata on message-finish", async () => {
    const stream = pushAll([
      start,
      { event: "message-finish", reason: "stop", responseMetadata: { system_fingerprint: "fp_1" } },
    ]);
    expect((await stream.output).response_metadata).toEqual({
      model_provider: "openai",
      model_name: "gpt-4o",
      finish_reason: "stop",
      system_fingerprint: "fp_1",
      output_version: "v1",
    });
  });

  it("is only output_version without metadata or reason", async () => {
    expect((await pushAll(textMessage("Hi")).output).response_metadata).toEqual({ output_version: "v1" });
  });
});

describe("output.usage_metadata", () => {
  it("is message-finish's usage over any snapshot", async () => {
    const stream = pushAll([messageStart, { event: "usage", usage: u1 }, { event: "message-finish", usage: u3 }]);
    expect((await stream.output).usage_metadata).toEqual(u3);
  });

  it("is the latest usage snapshot without finish usage; snapshots replace, never add", async () => {
    const stream = pushAll([messageStart, { event: "usage", usage: u1 }, { event: "usage", usage: u2 }, messageFinish]);
    expect((await stream.output).usage_metadata).toEqual(u2);
  });

  it("is LangChain.js usage on message-start when nothing later", async () => {
    const stream = pushAll([{ event: "message-start", usage: u1 }, messageFinish]);
    expect((await stream.output).usage_metadata).toEqual(u1);
  });

  it("replaces message-start usage with a later usage event", async () => {
    const stream = pushAll([{ event: "message-start", usage: u1 }, { event: "usage", usage: u2 }, messageFinish]);
    expect((await stream.output).usage_metadata).toEqual(u2);
  });

  it("is absent without any usage", async () => {
    expect((await pushAll(textMessage("Hi")).output).usage_metadata).toBeUndefined();
  });
});

describe("the usage projection", () => {
  it("gives a reader each usage snapshot", async () => {
    const stream = pulled([messageStart, { event: "usage", usage: u1 }, { event: "usage", usage: u2 }, messageFinish]);
    expect(await readAll(stream.usage)).toEqual([u1, u2]);
  });

  it("awaits to the final usage", async () => {
    const stream = pushAll([messageStart, { event: "usage", usage: u1 }, { event: "message-finish", usage: u3 }]);
    expect(await stream.usage).toEqual(u3);
  });

  it("awaits to undefined without usage", async () => {
    expect(await pushAll(textMessage("Hi")).usage).toBeUndefined();
  });
});

describe("output identity", () => {
  it("is an ai message", async () => {
    expect((await pushAll(textMessage("Hi")).output).type).toBe("ai");
  });

  it("takes its id from message-start", async () => {
    const stream = pushAll([{ event: "message-start", id: "m1" }, messageFinish], { messageId: "run-1" });
    expect((await stream.output).id).toBe("m1");
  });

  it("falls back to the constructor's messageId", async () => {
    const stream = pushAll([messageStart, messageFinish], { messageId: "run-1" });
    expect((await stream.output).id).toBe("run-1");
  });
});

describe("an error event", () => {
  const failing = [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
    { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
    { event: "error", message: "boom" },
  ];

  it("gives a reader what was already queued for it, then the error", async () => {
    const stream = new ChatModelStream();
    const text = stream.text; // attached before any event, so "Hel" is queued for it
    feed(stream, failing);
    const { chunks, error } = await readUntilError(text);
    expect({ chunks, message: (error as Error | undefined)?.message }).toEqual({ chunks: ["Hel"], message: "boom" });
  });

  it("rejects await text with an error carrying the event's message", async () => {
    expect((await failure(feed(new ChatModelStream(), failing).text)).message).toBe("boom");
  });

  it("rejects await text and await output with the same error", async () => {
    const stream = feed(new ChatModelStream(), failing);
    const [fromText, fromOutput] = await Promise.all([failure(stream.text), failure(stream.output)]);
    expect(fromOutput).toBe(fromText);
  });

  it("rejects an await started after the failure was seen", async () => {
    const stream = feed(new ChatModelStream(), failing);
    const first = await failure(stream.text);
    expect(await failure(stream.output)).toBe(first);
  });

  it("errors a reader attached after the failure", async () => {
    const stream = feed(new ChatModelStream(), failing);
    await failure(stream.output);
    const { error } = await readUntilError(stream.text);
    expect((error as Error | undefined)?.message).toBe("boom");
  });

  it("makes a later dispatch throw a TypeError", () => {
    const stream = feed(new ChatModelStream(), failing);
    expect(() => stream.dispatch(messageFinish)).toThrow(TypeError);
  });
});

describe("fail(error)", () => {
  it("rejects awaits with the producer's own error, unchanged", async () => {
    const stream = feed(new ChatModelStream(), textMessage("Hel").slice(0, -1));
    const cause = new RangeError("upstream went away");
    stream.fail(cause);
    expect(await failure(stream.output)).toBe(cause);
  });
});

describe("after message-finish", () => {
  it("dispatch throws a TypeError", () => {
    const stream = pushAll(textMessage("Hello"));
    expect(() => stream.dispatch({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "!" } })).toThrow(
      TypeError,
    );
  });

  it("a rejected event changes nothing", async () => {
    const stream = pushAll(textMessage("Hello"));
    try {
      stream.dispatch({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "!" } });
    } catch {
      // the TypeError is the previous test's subject
    }
    expect(await stream.text).toBe("Hello");
  });
});

describe("a source that ends without message-finish", () => {
  it("gets a message-finish added when any event arrived", async () => {
    const stream = pushAll(textMessage("Hel", "lo").slice(0, -1));
    expect((await stream.output).content).toBe("Hello");
  });

  it("has its open tool-call chunks swept at the added finish", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a":1}' } },
    ]);
    expect(await stream.toolCalls).toEqual([{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });

  it("fails with 'No generation chunks were returned' when no event arrived", async () => {
    const error = await failure(pushAll([]).output);
    expect({ isError: error instanceof Error, message: error.message }).toEqual({
      isError: true,
      message: "No generation chunks were returned",
    });
  });

  it("fails the same way when a from() source yields nothing", async () => {
    const stream = ChatModelStream.from(new ReadableStream<Event>({ start: (controller) => controller.close() }));
    expect((await failure(stream.text)).message).toBe("No generation chunks were returned");
  });
});

describe("older and alternative keys", () => {
  it("accepts content_block on content-block-start", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content_block: { type: "text", text: "Hel" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "lo" } },
      messageFinish,
    ]);
    expect(await stream.text).toBe("Hello");
  });

  it("accepts content_block (an older-form partial block) on content-block-delta", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, content_block: { type: "text", text: "Hel" } },
      { event: "content-block-delta", index: 0, content_block: { type: "text", text: "lo" } },
      messageFinish,
    ]);
    expect(await stream.text).toBe("Hello");
  });

  it("accepts content_block on content-block-finish", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 0, content_block: { type: "text", text: "Hello" } },
      messageFinish,
    ]);
    expect((await stream.output).content).toEqual([{ type: "text", text: "Hello", index: 0 }]);
  });

  it("accepts content instead of delta on content-block-delta", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, content: { type: "text-delta", text: "Hel" } },
      { event: "content-block-delta", index: 0, content: { type: "text-delta", text: "lo" } },
      messageFinish,
    ]);
    expect(await stream.text).toBe("Hello");
  });
});

describe("a data-delta", () => {
  it("appends to an image block's data", async () => {
    // The block never finishes, so its state shows only in a late events reader's replay (API.md §5):
    // one start and one delta per block carrying what has accumulated. Fold that replay's data.
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "image", mime_type: "image/png", data: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "data-delta", data: "iVBO" } },
      { event: "content-block-delta", index: 0, delta: { type: "data-delta", data: "Rw0K" } },
    ]);
    expect(replayedData(await readAll(stream.events), 0)).toBe("iVBORw0K");
  });

  it("appends to a file block's data", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "file", mime_type: "application/pdf" } },
      { event: "content-block-delta", index: 0, delta: { type: "data-delta", data: "JVBE" } },
      { event: "content-block-delta", index: 0, delta: { type: "data-delta", data: "Ri0x" } },
    ]);
    expect(replayedData(await readAll(stream.events), 0)).toBe("JVBERi0x");
  });
});

/**
 * The data of block `index` after folding replayed events by §1/§3: a start sets it, a data-delta or
 * an older-form partial block appends, a block-delta's `fields.data` replaces it.
 */
function replayedData(events: readonly Event[], index: number): string {
  let data = "";
  for (const raw of events as readonly Record<string, unknown>[]) {
    if (raw["index"] !== index) continue;
    const payload = (raw["delta"] ?? raw["content"] ?? raw["content_block"]) as Record<string, unknown> | undefined;
    const fields = payload?.["type"] === "block-delta" ? (payload["fields"] as Record<string, unknown>) : undefined;
    const piece = fields?.["data"] ?? payload?.["data"];
    if (typeof piece !== "string") continue;
    if (raw["event"] === "content-block-start" || fields) data = piece;
    else if (raw["event"] === "content-block-delta") data += piece;
  }
  return data;
}

describe("a thinking block (LangChain.js's bridge, API.md §1 revision 2)", () => {
  const thinking = (...deltas: Event[]): Event[] => [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "thinking", thinking: "" } } as Event,
    ...deltas,
    { event: "content-block-finish", index: 0, content: { type: "thinking", thinking: "Let me think.", signature: "sig-1" } } as Event,
    { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
    { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Yes." } },
    messageFinish,
  ];

  it("is reasoning: its deltas reach the reasoning readers", async () => {
    const stream = pushAll(thinking({ event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Let me" } }));
    expect({ deltas: await readAll(stream.reasoning), final: await stream.reasoning }).toEqual({
      deltas: ["Let me think."], // a late reader's catch-up: everything so far in one chunk
      final: "Let me think.",
    });
  });

  it("takes deltas in its own older form", async () => {
    const stream = pushAll(thinking({ event: "content-block-delta", index: 0, delta: { type: "thinking", thinking: "Let me" } } as Event));
    expect(await stream.reasoning).toBe("Let me think.");
  });

  it("finishes as a reasoning block that keeps its signature", async () => {
    const message = await pushAll(thinking()).output;
    expect(message.content).toEqual([{ type: "reasoning", reasoning: "Let me think.", signature: "sig-1", index: 0 }]);
  });
});

describe("a delta of a type the protocol does not know yet", () => {
  // It carries a `text` field: read as an older partial block it would replace the block's text.
  const citation = {
    event: "content-block-delta",
    index: 0,
    delta: { type: "citation-delta", text: "[1]", citation: { url: "https://example.com" } },
  } as unknown as Event;
  const events: Event[] = [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
    { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Cited." } },
    citation,
    messageFinish,
  ];

  it("changes nothing in the fold", async () => {
    const stream = pushAll(events);
    expect({ text: await stream.text, output: await stream.output }).toMatchObject({ text: "Cited.", output: { content: "Cited." } });
  });

  it("reaches raw-event readers", async () => {
    expect(await readAll(pulled(events).events)).toContainEqual(citation);
  });
});

describe("a usage snapshot with a count missing", () => {
  it("gets 0 for the missing count", async () => {
    const stream = pushAll([messageStart, { event: "usage", usage: { input_tokens: 5 } } as unknown as Event, messageFinish]);
    expect(await stream.usage).toEqual({ input_tokens: 5, output_tokens: 0, total_tokens: 5 });
  });

  it("gets total_tokens = input + output when the total is missing", async () => {
    const usage = { input_tokens: 5, output_tokens: 2, input_token_details: { cache_read: 1 } };
    const stream = pushAll([messageStart, { event: "message-finish", usage } as unknown as Event]);
    expect((await stream.output).usage_metadata).toEqual({ ...usage, total_tokens: 7 });
  });
});

describe("a __proto__ key in the provider's JSON", () => {
  it("stays a key of response_metadata, whose prototype is unchanged", async () => {
    const metadata = JSON.parse('{"__proto__": {"polluted": true}, "system_fingerprint": "fp"}') as Record<string, unknown>;
    const message = await pushAll([messageStart, { event: "message-finish", metadata }]).output;
    const meta = message.response_metadata;
    expect({
      prototype: Object.getPrototypeOf(meta) === Object.prototype,
      polluted: (meta as { polluted?: unknown }).polluted,
      own: Object.getOwnPropertyDescriptor(meta, "__proto__")?.value,
    }).toEqual({ prototype: true, polluted: undefined, own: { polluted: true } });
  });
});
