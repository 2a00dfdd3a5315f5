// API.md §6: malformed events fail the stream with a TypeError naming the field and the position;
// null is absent; unknown events pass through; deltas and finishes open blocks implicitly.
import { describe, expect, it } from "vitest";
import { ChatModelStream, type ErrorWithPartial } from "../src/index.ts";
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
} from "./helpers.ts";

// Positions 0..2; the bad value under test is dispatched at position 3.
const before = [
  messageStart,
  { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
];

/** A stream fed `before` then `bad` (position 3). Dispatching bad input does not throw (the implementer's decision). */
function failedWith(bad: unknown): ChatModelStream {
  return feed(new ChatModelStream(), [...before, bad]);
}

const textDelta = { type: "text-delta", text: "lo" };

describe("a value that is not a protocol event", () => {
  it.each([
    ["a string", "hello"],
    ["null", null],
    ["an array", [{ event: "message-finish" }]],
  ])("(%s) fails the stream with a TypeError naming its position", async (_what, bad) => {
    const error = await failure(failedWith(bad).output);
    expect({ isTypeError: error instanceof TypeError, position: /\b3\b/.test(error.message) }).toEqual({
      isTypeError: true,
      position: true,
    });
  });

  it.each([
    ["content-block-delta without index", { event: "content-block-delta", delta: textDelta }, "index"],
    ["content-block-delta with index as a string", { event: "content-block-delta", index: "0", delta: textDelta }, "index"],
    ["content-block-delta with a negative index", { event: "content-block-delta", index: -1, delta: textDelta }, "index"],
    ["content-block-delta with a non-integer index", { event: "content-block-delta", index: 0.5, delta: textDelta }, "index"],
    ["content-block-finish without index", { event: "content-block-finish", content: { type: "text", text: "Hello" } }, "index"],
    ["content-block-start without content", { event: "content-block-start", index: 1 }, "content"],
    ["content-block-delta without delta", { event: "content-block-delta", index: 0 }, "delta"],
    ["usage with usage as a string", { event: "usage", usage: "lots" }, "usage"],
  ])("(%s) fails the stream with a TypeError naming the field and the position", async (_what, bad, field) => {
    const error = await failure(failedWith(bad).output);
    expect({
      isTypeError: error instanceof TypeError,
      field: error.message.includes(field),
      position: /\b3\b/.test(error.message),
    }).toEqual({ isTypeError: true, field: true, position: true });
  });

  it("counts positions from 0", async () => {
    const error = await failure(feed(new ChatModelStream(), [{ event: "content-block-delta", index: "7", delta: textDelta }]).output);
    expect(error.message).toMatch(/\b0\b/);
  });

  it("does not throw from dispatch", () => {
    const stream = feed(new ChatModelStream(), before);
    expect(() => stream.dispatch({ event: "content-block-delta", index: -1, delta: textDelta } as unknown as Event)).not.toThrow();
  });

  it("makes the next dispatch throw a TypeError, because the stream ended", () => {
    const stream = failedWith({ event: "content-block-delta", index: -1, delta: textDelta });
    expect(() => stream.dispatch(messageFinish)).toThrow(TypeError);
  });

  it("errors a reader with the TypeError after what came before", async () => {
    const stream = new ChatModelStream();
    const text = stream.text;
    feed(stream, [...before, { event: "content-block-delta", index: -1, delta: textDelta }]);
    const { chunks, error } = await readUntilError(text);
    expect({ chunks, isTypeError: error instanceof TypeError }).toEqual({ chunks: ["Hel"], isTypeError: true });
  });

  it("rejects every await with the same TypeError", async () => {
    const stream = failedWith({ event: "content-block-delta", index: -1, delta: textDelta });
    const [fromText, fromOutput] = await Promise.all([failure(stream.text), failure(stream.output)]);
    expect(fromText).toBe(fromOutput);
  });

  it("carries the message received so far as error.partial", async () => {
    const error = await failure(failedWith({ event: "content-block-delta", index: -1, delta: textDelta }).output);
    // No block finished; the partial finishes the open text block with what arrived (§5, revision 2).
    expect(error.partial).toMatchObject({ type: "ai", content: [{ type: "text", text: "Hel", index: 0 }] });
  });

  it("sweeps open tool-call chunks into error.partial, as at a finish", async () => {
    const stream = feed(new ChatModelStream(), [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a":1}' } },
      { event: "content-block-delta", index: -1, delta: textDelta },
    ]);
    const error = await failure(stream.output);
    expect(error.partial?.tool_calls).toEqual([{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });
});

describe("null in an optional field", () => {
  it("leaves a tool-call slice's args, id and name as absent", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '{"a":' } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: null, name: null, args: null } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: "1}" } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });

  it("leaves a start's id, name and args as absent, so later slices supply them", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: null, name: null, args: null } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a":1}' } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });

  it("does not overwrite earlier block-delta fields", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "block-delta", fields: { id: null, name: null, args: '{"a":1}' } } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });

  it("on message-start id falls back to the constructor's messageId", async () => {
    const stream = pushAll([{ event: "message-start", id: null }, messageFinish], { messageId: "run-1" });
    expect((await stream.output).id).toBe("run-1");
  });

  it("on message-finish usage falls back to the latest snapshot", async () => {
    const usage = { input_tokens: 1, output_tokens: 2, total_tokens: 3 };
    const stream = pushAll([messageStart, { event: "usage", usage }, { event: "message-finish", usage: null }]);
    expect((await stream.output).usage_metadata).toEqual(usage);
  });

  it("on message-finish reason and metadata leaves only output_version", async () => {
    const stream = pushAll([messageStart, { event: "message-finish", reason: null, metadata: null }]);
    expect((await stream.output).response_metadata).toEqual({ output_version: "v1" });
  });
});

describe("an unknown event name", () => {
  const known = [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
    { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
    { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "lo" } },
    messageFinish,
  ];
  const withUnknown = [...known.slice(0, 2), { event: "checkpoint", at: 7 }, ...known.slice(2)];

  it("is passed through to raw-event readers", async () => {
    expect(await readAll(pulled(withUnknown).events)).toEqual(withUnknown);
  });

  it("is ignored by the projections", async () => {
    expect(await pushAll(withUnknown).output).toEqual(await pushAll(known).output);
  });

  it("does not fail the stream", async () => {
    expect(await pushAll(withUnknown).text).toBe("Hello");
  });
});

describe("a block without content-block-start", () => {
  it("is opened by a text delta", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "lo" } },
      messageFinish,
    ]);
    expect(await stream.text).toBe("Hello");
  });

  it("is opened by a finish", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-finish", index: 0, content: { type: "text", text: "Hello" } },
      messageFinish,
    ]);
    expect({ text: await stream.text, content: (await stream.output).content }).toEqual({
      text: "Hello",
      content: [{ type: "text", text: "Hello", index: 0 }],
    });
  });

  it("is opened by a tool-call slice, and swept at the finish", async () => {
    const stream = pushAll([
      messageStart,
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a":1}' } },
      messageFinish,
    ]);
    expect(await stream.toolCalls).toEqual([{ type: "tool_call", id: "c1", name: "f", args: { a: 1 } }]);
  });
});

describe("a tool-call finish for a text or reasoning block (API.md §6 revision 2)", () => {
  it.each([
    ["text", { type: "text", text: "" }, { type: "text-delta", text: "Hi" }],
    ["reasoning", { type: "reasoning", reasoning: "" }, { type: "reasoning-delta", reasoning: "Hm" }],
  ] as const)("fails the stream with a TypeError naming content.type, for a %s block", async (_kind, start, delta) => {
    const error = await failure(
      pushAll([
        messageStart,
        { event: "content-block-start", index: 0, content: start },
        { event: "content-block-delta", index: 0, delta },
        { event: "content-block-finish", index: 0, content: { type: "tool_call", id: "c1", name: "f", args: {} } },
      ] as Event[]).output,
    );
    expect({ type: error instanceof TypeError, message: error.message }).toEqual({
      type: true,
      message: expect.stringMatching(/position 3: content-block-finish\.content\.type/),
    });
  });

  it("fails for an invalid_tool_call finish too", async () => {
    const error = await failure(
      pushAll([
        messageStart,
        { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hi" } },
        { event: "content-block-finish", index: 0, content: { type: "invalid_tool_call", args: "{" } },
      ] as Event[]).output,
    );
    expect(error).toBeInstanceOf(TypeError);
  });
});

describe("a text messageFinish at an index whose deltas were tool-call arguments", () => {
  it("fails with a TypeError naming content.type", async () => {
    const events: Event[] = [
      messageStart,
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "a", name: "f", args: "{" } },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "{x" } },
      { event: "message-finish" },
    ];
    const error = (await ChatModelStream.from(events).output.then(
      () => undefined,
      (e: unknown) => e,
    )) as ErrorWithPartial;
    expect({ type: error instanceof TypeError, names: /content\.type/.test(error.message) }).toEqual({ type: true, names: true });
  });
});
