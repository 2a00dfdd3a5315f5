// API.md §5: aclose(), its triggers (the signal option, `await using`), reference-counted cancel,
// and that no failure leaks as an unhandled rejection or leaves an await pending.
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import { partialOf } from "./reference.ts";
import {
  type ScriptedSource,
  scriptedSource,
  type Event,
  failure,
  feed,
  messageStart,
  promiseState,
  readAll,
  readUntilError,
  settle,
  textDelta,
  textMessage,
  hello,
  long,
  longDeltas,
} from "./helpers.ts";



// A message cut short: a text block that never finished and a tool-call chunk still open.
const unfinished: Event[] = [
  { event: "message-start", id: "m1" },
  { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
  textDelta(0, "Let me check."),
  { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "c1", name: "weather", args: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "tool_call_chunk", args: '{"city":"Paris"}' } },
];

/** A from() stream over a counting source whose text reader took its first chunk. */
async function reading(options?: { keepAlive?: boolean }): Promise<{
  stream: ChatModelStream;
  source: ScriptedSource;
  reader: ReadableStreamDefaultReader<string>;
}> {
  const source = scriptedSource(long);
  const stream = ChatModelStream.from(source.readable, options);
  const reader = stream.text.getReader();
  await reader.read();
  return { stream, source, reader };
}

const isAbortError = (error: unknown): boolean =>
  error instanceof DOMException && error.name === "AbortError";

describe("aclose() before the message finished", () => {
  it("aborts signal", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    await stream.aclose();
    expect(stream.signal.aborted).toBe(true);
  });

  it("cancels a from() source that is being read, once", async () => {
    const { stream, source } = await reading();
    await stream.aclose();
    await settle();
    expect(source.cancels).toBe(1);
  });

  it("cancels a from() source that was never read, once", async () => {
    const source = scriptedSource(long);
    await ChatModelStream.from(source.readable).aclose();
    await settle();
    expect(source.cancels).toBe(1);
  });

  it("aborts the signal a pump in flight was handed", async () => {
    const stream = new ChatModelStream();
    let pumpSawAbort = false;
    stream.setRequestMore(() => {
      const signal = stream.signal;
      return new Promise<void>((_, reject) => {
        signal.addEventListener("abort", () => {
          pumpSawAbort = true;
          reject(signal.reason);
        });
      });
    });
    const read = stream.text.getReader().read().catch(() => {});
    await stream.ready; // the pump is in flight
    await stream.aclose();
    await read;
    expect(pumpSawAbort).toBe(true);
  });

  it("rejects a pending await with an AbortError DOMException", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    const pending = failure(stream.output);
    await stream.aclose();
    expect(isAbortError(await pending)).toBe(true);
  });

  it("rejects a later await with an AbortError DOMException", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    await stream.aclose();
    expect(isAbortError(await failure(stream.text))).toBe(true);
  });

  it("puts the message so far on the error as partial, every open block finished", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    await stream.aclose();
    expect((await failure(stream.output)).partial).toEqual(partialOf(unfinished));
  });

  it("sweeps open tool-call chunks into the partial message's tool calls", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    await stream.aclose();
    expect((await failure(stream.output)).partial?.tool_calls).toEqual([
      { type: "tool_call", id: "c1", name: "weather", args: { city: "Paris" } },
    ]);
  });

  it("errors a reader at once, without the chunks still queued for it", async () => {
    const stream = new ChatModelStream();
    const reader = stream.text.getReader();
    const first = reader.read();
    await stream.ready;
    feed(stream, unfinished);
    await first;
    feed(stream, [textDelta(0, " One"), textDelta(0, " moment.")]); // queued: the reader is not reading
    await stream.aclose();
    expect(isAbortError(await failure(reader.read()))).toBe(true);
  });

  it("errors a reader that attaches later at once, with nothing read", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    await stream.aclose();
    const { chunks, error } = await readUntilError(stream.text);
    expect({ chunks, abort: isAbortError(error) }).toEqual({ chunks: [], abort: true });
  });
});

describe("aclose() called twice", () => {
  it("cancels the source no more", async () => {
    const { stream, source } = await reading();
    await stream.aclose();
    await stream.aclose();
    await settle();
    expect(source.cancels).toBe(1);
  });

  it("leaves the error of the first", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    await stream.aclose("first");
    const first = await failure(stream.output);
    await stream.aclose("second");
    expect(await failure(stream.text)).toBe(first);
  });
});

describe("aclose() after the message finished", () => {
  async function finished(): Promise<{ stream: ChatModelStream; source: ScriptedSource }> {
    const source = scriptedSource(hello);
    const stream = ChatModelStream.from(source.readable);
    await stream.output;
    await settle(); // the source reaches its own end
    await stream.aclose();
    return { stream, source };
  }

  it("cancels nothing of a source that ended", async () => {
    const { source } = await finished();
    await settle();
    expect(source.cancels).toBe(0);
  });

  it("leaves signal un-aborted", async () => {
    const { stream } = await finished();
    expect(stream.signal.aborted).toBe(false);
  });

  it("leaves the awaits resolving to the message", async () => {
    const { stream } = await finished();
    expect(await stream.text).toBe("Hello");
  });

  it("leaves readers reading the message", async () => {
    const { stream } = await finished();
    expect((await readAll(stream.text)).join("")).toBe("Hello");
  });
});

describe("aclose() is also triggered by", () => {
  it("await using, at the end of the scope", async () => {
    const stream = feed(new ChatModelStream(), unfinished);
    {
      await using scoped = stream;
      void scoped;
    }
    expect(stream.signal.aborted).toBe(true);
  });

  it("aborting the constructor's signal", async () => {
    const controller = new AbortController();
    const stream = feed(new ChatModelStream({ signal: controller.signal }), unfinished);
    const pending = failure(stream.output);
    controller.abort();
    expect(isAbortError(await pending)).toBe(true);
  });

  it("a constructor signal aborted before construction", async () => {
    const stream = new ChatModelStream({ signal: AbortSignal.abort() });
    expect(isAbortError(await failure(stream.output))).toBe(true);
  });

  it("aborting the signal given to from(): the source is cancelled", async () => {
    const controller = new AbortController();
    const source = scriptedSource(long);
    const stream = ChatModelStream.from(source.readable, { signal: controller.signal });
    await stream.text.getReader().read();
    controller.abort();
    await settle();
    expect(source.cancels).toBe(1);
  });

  it("a signal given to from() aborted before: the source is cancelled", async () => {
    const source = scriptedSource(long);
    ChatModelStream.from(source.readable, { signal: AbortSignal.abort() });
    await settle();
    expect(source.cancels).toBe(1);
  });
});

describe("when every reader cancelled and nothing awaits", () => {
  it("reader.cancel() of the only reader cancels the source", async () => {
    const { source, reader } = await reading();
    await reader.cancel();
    await settle();
    expect(source.cancels).toBe(1);
  });

  it("reader.cancel() of the only reader aborts signal", async () => {
    const { stream, reader } = await reading();
    await reader.cancel();
    expect(stream.signal.aborted).toBe(true);
  });

  it("breaking out of for await over a projection aborts signal", async () => {
    const stream = ChatModelStream.from(scriptedSource(long).readable);
    for await (const _ of stream.text) break;
    await settle();
    expect(stream.signal.aborted).toBe(true);
  });

  it("breaking out of for await over the stream's events aborts signal", async () => {
    const stream = ChatModelStream.from(scriptedSource(long).readable);
    for await (const _ of stream) break;
    await settle();
    expect(stream.signal.aborted).toBe(true);
  });

  it("with keepAlive: true, the source is not cancelled", async () => {
    const { source, reader } = await reading({ keepAlive: true });
    await reader.cancel();
    await settle();
    expect(source.cancels).toBe(0);
  });

  it("with keepAlive: true, a later await still gets the whole message", async () => {
    const { stream, reader } = await reading({ keepAlive: true });
    await reader.cancel();
    expect(await stream.text).toBe(longDeltas.join(""));
  });
});

describe("when a reader cancels", () => {
  it("while an await is pending, the await still resolves with the whole message", async () => {
    // The source holds its fifth delta (index 6) until released, so the cancel lands mid-message.
    const source = scriptedSource(long, { holdAt: 6 });
    const stream = ChatModelStream.from(source.readable);
    const reader = stream.text.getReader();
    await reader.read();
    const whole = stream.text.then((text) => text); // then() registers the await now
    await reader.cancel();
    source.release();
    expect(await whole).toBe(longDeltas.join(""));
  });

  it("while an await is pending, the source is not cancelled", async () => {
    const source = scriptedSource(long, { holdAt: 6 });
    const stream = ChatModelStream.from(source.readable);
    const reader = stream.text.getReader();
    await reader.read();
    const whole = stream.text.then((text) => text);
    await reader.cancel();
    source.release();
    await whole;
    expect(source.cancels).toBe(0);
  });

  it("while another reader reads, that reader still gets the whole text", async () => {
    const stream = ChatModelStream.from(scriptedSource(long).readable);
    const leaving = stream.text.getReader();
    const staying = stream.text;
    const reader = staying.getReader();
    const [first] = await Promise.all([reader.read(), leaving.read()]);
    await leaving.cancel();
    reader.releaseLock();
    expect(first.value + (await readAll(staying)).join("")).toBe(longDeltas.join(""));
  });
});

describe("no stray rejections", () => {
  // The test setup fails a test on any unhandled rejection; `settle()` lets one surface in the test.
  it("a failure with every projection made but none awaited or read leaks nothing", async () => {
    const stream = new ChatModelStream();
    const projections = [stream.text, stream.reasoning, stream.toolCalls, stream.usage, stream.output, stream.events];
    feed(stream, [messageStart, { event: "error", message: "boom" }]);
    await settle();
    void projections;
    expect(stream.signal.aborted).toBe(true); // it did fail; the setup checks that nothing leaked
  });

  it("an abort with a reader that stopped reading and one mid-read leaks nothing", async () => {
    const { stream } = await reading(); // its text reader took one chunk and stopped
    const midRead = stream.reasoning.getReader().read().catch((error: unknown) => error);
    await stream.aclose();
    await settle();
    expect(isAbortError(await midRead)).toBe(true);
  });

  const projections = ["text", "reasoning", "toolCalls", "usage", "output"] as const;
  const ends: [string, (stream: ChatModelStream) => void, "fulfilled" | "rejected"][] = [
    ["finished", (stream) => feed(stream, hello), "fulfilled"],
    ["closed after events", (stream) => (feed(stream, hello.slice(0, -1)), stream.close()), "fulfilled"],
    ["closed with no events", (stream) => stream.close(), "rejected"],
    ["failed by an error event", (stream) => feed(stream, [messageStart, { event: "error", message: "boom" }]), "rejected"],
    ["failed by fail()", (stream) => stream.fail(new Error("boom")), "rejected"],
    ["closed by aclose()", (stream) => void stream.aclose(), "rejected"],
  ];

  it.each(ends)("every await pending when the stream %s settles", async (_, end, settled) => {
    const stream = new ChatModelStream();
    const states = Promise.all(projections.map((name) => promiseState(stream[name])));
    end(stream);
    expect(await states).toEqual(projections.map(() => settled));
  });

  it.each(ends)("every await made after the stream %s settles", async (_, end, settled) => {
    const stream = new ChatModelStream();
    end(stream);
    const states = await Promise.all(projections.map((name) => promiseState(stream[name])));
    expect(states).toEqual(projections.map(() => settled));
  });

  it.each(ends)("ready pending when the stream %s resolves", async (_, end) => {
    const stream = new ChatModelStream();
    const ready = stream.ready;
    end(stream);
    expect(await promiseState(ready)).toBe("fulfilled");
  });

  it.each(ends)("ready asked for after the stream %s resolves", async (_, end) => {
    const stream = new ChatModelStream();
    end(stream);
    expect(await promiseState(stream.ready)).toBe("fulfilled");
  });
});

describe("aclose() after the message finished, with a source that stays open (API.md §5 revision 2)", () => {
  it("resolves, and cancels the rest of the source once", async () => {
    const source = scriptedSource(hello, { end: "hang" });
    const stream = ChatModelStream.from(source.readable);
    const text = await stream.text;
    await stream.aclose();
    await stream.aclose();
    expect({ text, cancels: source.cancels }).toEqual({ text: "Hello", cancels: 1 });
  });

  it("ends an await using scope", async () => {
    const source = scriptedSource(hello, { end: "hang" });
    let text = "";
    {
      await using stream = ChatModelStream.from(source.readable);
      text = await stream.text;
    }
    expect({ text, cancels: source.cancels }).toEqual({ text: "Hello", cancels: 1 });
  });

  it("resolves for an async generator that never yields again", async () => {
    async function* events(): AsyncGenerator<Event> {
      yield* hello;
      await new Promise<void>(() => {});
    }
    const stream = ChatModelStream.from(events());
    await stream.output;
    expect(await promiseState(stream.aclose())).toBe("fulfilled");
  });
});

describe("an abort reason that cannot be turned into text", () => {
  const reasons: [string, () => unknown][] = [
    ["an object without a prototype", () => Object.create(null)],
    ["an object whose toString throws", () => ({ toString: () => { throw new Error("no"); } })],
    ["an error whose message getter throws", () => Object.defineProperty(new Error(), "message", { get: () => { throw new Error("no"); } })],
    ["a symbol", () => Symbol("stop")],
  ];

  it.each(reasons)("(%s) through aclose(): awaits reject with an AbortError", async (_name, reason) => {
    const stream = feed(new ChatModelStream(), unfinished);
    const pending = failure(stream.output);
    let threw: unknown;
    try {
      void stream.aclose(reason());
    } catch (error) {
      threw = error;
    }
    expect({ threw, abort: isAbortError(await pending) }).toEqual({ threw: undefined, abort: true });
  });

  // workerd's AbortController.abort() reads an Error reason's message itself, and throws before
  // aborting: that reason never reaches a signal there.
  const signalReasons = reasons.filter(([name]) => !name.includes("message getter"));

  it.each(signalReasons)("(%s) through the signal: the source is cancelled", async (_name, reason) => {
    const controller = new AbortController();
    const source = scriptedSource(long);
    const stream = ChatModelStream.from(source.readable, { signal: controller.signal });
    await stream.text.getReader().read();
    controller.abort(reason());
    await settle();
    expect({ cancels: source.cancels, abort: isAbortError(await failure(stream.output)) }).toEqual({ cancels: 1, abort: true });
  });

  it.each(reasons)("(%s) through a reader's cancel: the source is cancelled", async (_name, reason) => {
    const source = scriptedSource(long);
    const reader = ChatModelStream.from(source.readable).text.getReader();
    await reader.read();
    await reader.cancel(reason());
    await settle();
    expect(source.cancels).toBe(1);
  });
});

describe("aclose() after the finish", () => {
  it("waits for the work of setStart's callback", async () => {
    const stream = new ChatModelStream();
    let settled = false;
    stream.setStart(async () => {
      for (const event of textMessage("a")) stream.dispatch(event);
      await settle();
      settled = true;
    });
    await stream.text;
    await stream.aclose();
    expect(settled).toBe(true);
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

describe("a whole tool call that started and never finished, in the partial message", () => {
  it("is in content without index, and in tool_calls, as at its finish", async () => {
    const call = { type: "tool_call", id: "c1", name: "f", args: { a: 1 } } as const;
    const stream = feed(new ChatModelStream(), [messageStart, { event: "content-block-start", index: 0, content: call }]);
    const pending = failure(stream.output);
    await stream.cancel("stop");
    const { partial } = await pending;
    expect({ content: partial!.content, tool_calls: partial!.tool_calls }).toEqual({ content: [call], tool_calls: [call] });
  });
});
