// Regressions found in the review of the direct iterator, the response source and the limits.
import { describe, expect, it } from "vitest";
import { ChatModelStream, fromResponse, MessageStream, type ErrorWithPartial } from "../src/index.ts";
import { messageStart, promiseState, readAll, settle, textMessage, type Event } from "./helpers.ts";

describe("for await on a view cancelled before its first read", () => {
  it("ends at once", async () => {
    const text = ChatModelStream.from(textMessage("Hel", "lo")).text;
    await text.cancel();
    expect(await promiseState(text[Symbol.asyncIterator]().next())).toBe("fulfilled");
  });
});

describe("a constructor signal that aborts before anything consumed", () => {
  it("is seen by a producer reading the stream's signal", async () => {
    const outside = new AbortController();
    const stream = new ChatModelStream({ signal: outside.signal });
    outside.abort();
    expect(stream.signal.aborted).toBe(true);
  });

  it("releases a producer waiting on ready", async () => {
    const outside = new AbortController();
    const stream = new ChatModelStream({ signal: outside.signal });
    const ready = stream.ready;
    outside.abort();
    expect(await promiseState(ready)).toBe("fulfilled");
  });
});

describe("aclose() while a non-OK response's error body is read", () => {
  it("cancels the body", async () => {
    let cancels = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"error":'));
      },
      pull: () => new Promise<void>(() => {}),
      cancel() {
        cancels++;
      },
    });
    const stream = fromResponse(new Response(body, { status: 500 }));
    stream.output.then(undefined, () => {});
    await settle();
    await stream.aclose();
    await settle();
    expect(cancels).toBe(1);
  });
});

describe("maxBytes", () => {
  it("counts the arguments a finished tool call carries", async () => {
    const events: Event[] = [
      messageStart,
      { event: "content-block-finish", index: 0, content: { type: "tool_call", id: "c", name: "f", args: { a: "x".repeat(1000) } } },
      { event: "message-finish" },
    ];
    const error = await ChatModelStream.from(events, { maxBytes: 100 }).output.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RangeError);
  });
});

describe("a text finish at an index whose deltas were tool-call arguments", () => {
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

describe("a late events reader after text blocks interleaved", () => {
  it("gets a replay that folds to the same arrival-order content", async () => {
    const events: Event[] = [
      messageStart,
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "a" } },
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "b" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "c" } },
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "d" } },
      { event: "message-finish" },
    ];
    const stream = ChatModelStream.from(events);
    const message = await stream.output;
    const [folded] = await readAll(stream.events.pipeThrough(new MessageStream()));
    expect([message.content, folded?.content]).toEqual(["abcd", "abcd"]);
  });
});
