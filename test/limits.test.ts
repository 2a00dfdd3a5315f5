// Issue 6: limits and timeouts as options. A stream that waits too long fails with a TimeoutError
// (DOMException) carrying `partial` and cancels its source; one that receives too many events or
// bytes fails closed with a RangeError. All are off by default, and no timer outlives the stream.
// Time is faked (vi.useFakeTimers), so the tests are exact and take no time.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChatModelStream, type ChatModelStreamOptions } from "../src/index.ts";
import { type Event, type Failure, feed, messageStart, pushAll, readOn, scriptedSource, textMessage } from "./helpers.ts";
import { partialOf } from "./reference.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const advance = (ms: number): Promise<unknown> => vi.advanceTimersByTimeAsync(ms);

/** A thenable's outcome, readable at any time without waiting (fake timers stop `settle()`). */
function track(thenable: PromiseLike<unknown>): { state: "pending" | "fulfilled" | "rejected"; error: Failure | undefined } {
  const tracked = { state: "pending" as "pending" | "fulfilled" | "rejected", error: undefined as Failure | undefined };
  thenable.then(
    () => void (tracked.state = "fulfilled"),
    (error: unknown) => {
      tracked.state = "rejected";
      tracked.error = error as Failure;
    },
  );
  return tracked;
}

const textDelta = (text: string, index = 0): Event => ({ event: "content-block-delta", index, delta: { type: "text-delta", text } });
const deltas = Array.from({ length: 30 }, (_, i) => `w${i} `);
const long = textMessage(...deltas);
const unfinished = long.slice(0, 6);


const isTimeout = (error: unknown): boolean => error instanceof DOMException && error.name === "TimeoutError";

describe("idleTimeoutMs", () => {
  const options: ChatModelStreamOptions = { idleTimeoutMs: 20 };

  it("fails every await with a TimeoutError DOMException when the source sends nothing for that long", async () => {
    const stream = ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options);
    const awaits = [track(stream.text), track(stream.output)];
    await advance(30);
    expect(awaits.map((a) => isTimeout(a.error))).toEqual([true, true]);
  });

  it("names the option and its value in the error's message", async () => {
    const output = track(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options).output);
    await advance(30);
    expect(output.error?.message).toMatch(/idleTimeoutMs.*20|20.*idleTimeoutMs/);
  });

  it("does not fire before idleTimeoutMs passed since the last event", async () => {
    const output = track(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options).output);
    await advance(19);
    expect(output.state).toBe("pending");
  });

  it("puts the message so far on the error as partial", async () => {
    const output = track(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options).output);
    await advance(30);
    expect(output.error?.partial).toEqual(partialOf(unfinished));
  });

  it("cancels the source once and aborts signal with the TimeoutError", async () => {
    const source = scriptedSource(unfinished, { end: "hang" });
    const stream = ChatModelStream.from(source.readable, options);
    const output = track(stream.output);
    await advance(30);
    expect({ cancels: source.cancels, reason: stream.signal.reason === output.error }).toEqual({ cancels: 1, reason: true });
  });

  it("gives a reader the chunks queued for it, then the TimeoutError", async () => {
    const reader = ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options).text.getReader();
    const first = await reader.read(); // the first delta; the next ones are read ahead and queued
    await advance(30);
    const { chunks, error } = await readOn(reader);
    expect({ text: [first.value, ...chunks].join(""), timeout: isTimeout(error) }).toEqual({ text: "w0 w1 w2 w3 ", timeout: true });
  });

  it("does not fire while events keep arriving, however long the message takes", async () => {
    const output = track(ChatModelStream.from(scriptedSource(long, { gapMs: 10 }).readable, options).output);
    await advance(10 * (long.length + 1));
    expect(output.state).toBe("fulfilled");
  });

  it("does not count the time a reader that stopped reading holds the source back", async () => {
    const stream = ChatModelStream.from(long, { ...options, highWaterMark: 1 });
    const reader = stream.text.getReader();
    const first = await reader.read();
    await advance(1000);
    const { chunks, error } = await readOn(reader);
    expect({ text: [first.value, ...chunks].join(""), error }).toEqual({ text: deltas.join(""), error: undefined });
  });

  it("does not fire while a push producer is not asked for events", async () => {
    const stream = feed(new ChatModelStream(options), unfinished); // nothing reads or awaits
    await advance(1000);
    expect(stream.signal.aborted).toBe(false);
  });

  it("fires for a push producer that is asked for events and sends none", async () => {
    const stream = feed(new ChatModelStream(options), unfinished);
    const output = track(stream.output);
    await advance(30);
    expect(isTimeout(output.error)).toBe(true);
  });
});

describe("firstTokenTimeoutMs", () => {
  const options: ChatModelStreamOptions = { firstTokenTimeoutMs: 50 };
  const preamble: Event[] = [messageStart, { event: "content-block-start", index: 0, content: { type: "text", text: "" } }];

  it("fails with a TimeoutError when no text, reasoning or tool-call delta arrived in time", async () => {
    const output = track(ChatModelStream.from(scriptedSource(preamble, { end: "hang" }).readable, options).output);
    await advance(50);
    expect({ timeout: isTimeout(output.error), message: output.error?.message }).toEqual({
      timeout: true,
      message: expect.stringMatching(/firstTokenTimeoutMs/),
    });
  });

  it("does not fire before firstTokenTimeoutMs passed since the first read", async () => {
    const output = track(ChatModelStream.from(scriptedSource(preamble, { end: "hang" }).readable, options).output);
    await advance(49);
    expect(output.state).toBe("pending");
  });

  it("does not fire once a token arrived, however long the rest takes", async () => {
    const output = track(ChatModelStream.from(scriptedSource(long, { gapMs: 10 }).readable, options).output);
    await advance(10 * (long.length + 1));
    expect(output.state).toBe("fulfilled");
  });

  it("counts a tool-call chunk as a token", async () => {
    const call: Event[] = [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
    ];
    const output = track(ChatModelStream.from(scriptedSource(call, { end: "hang" }).readable, options).output);
    await advance(60);
    expect(output.state).toBe("pending");
  });
});

describe("totalTimeoutMs", () => {
  const options: ChatModelStreamOptions = { totalTimeoutMs: 100 };

  it("fails with a TimeoutError when the message takes longer, even while events keep arriving", async () => {
    const output = track(ChatModelStream.from(scriptedSource(long, { gapMs: 10 }).readable, options).output);
    await advance(110);
    expect({ timeout: isTimeout(output.error), message: output.error?.message }).toEqual({
      timeout: true,
      message: expect.stringMatching(/totalTimeoutMs/),
    });
  });

  it("cancels the source", async () => {
    const source = scriptedSource(long, { gapMs: 10 });
    const output = track(ChatModelStream.from(source.readable, options).output);
    await advance(110);
    expect({ failed: output.state, cancels: source.cancels }).toEqual({ failed: "rejected", cancels: 1 });
  });

  it("starts counting at the first read or await, not at construction", async () => {
    const stream = ChatModelStream.from(scriptedSource(textMessage("Hel", "lo"), { gapMs: 10 }).readable, options);
    await advance(1000);
    const output = track(stream.output);
    await advance(100);
    expect(output.state).toBe("fulfilled");
  });
});

describe("maxEvents", () => {
  it("fails with a RangeError naming maxEvents when one event too many arrives", async () => {
    const error = track(ChatModelStream.from(textMessage("a", "b", "c"), { maxEvents: 3 }).output);
    await advance(0);
    expect({ range: error.error instanceof RangeError, message: error.error?.message }).toEqual({
      range: true,
      message: expect.stringMatching(/maxEvents \(3\)/),
    });
  });

  it("puts the message of the events before it on the error as partial", async () => {
    const events = textMessage("a", "b", "c");
    const error = track(ChatModelStream.from(events, { maxEvents: 3 }).output);
    await advance(0);
    expect(error.error?.partial).toEqual(partialOf(events.slice(0, 3)));
  });

  it("lets a message of exactly maxEvents events finish", async () => {
    const events = textMessage("a", "b");
    expect(await pushAll(events, { maxEvents: events.length }).text).toBe("ab");
  });

  it("does not count the finish that close() adds", async () => {
    const events = textMessage("a", "b").slice(0, -1);
    expect(await pushAll(events, { maxEvents: events.length }).text).toBe("ab");
  });

  it("cancels a from() source", async () => {
    const source = scriptedSource(long, { end: "hang" });
    const output = track(ChatModelStream.from(source.readable, { maxEvents: 5 }).output);
    await advance(0);
    expect({ failed: output.state, cancels: source.cancels }).toEqual({ failed: "rejected", cancels: 1 });
  });
});

describe("maxBytes", () => {
  it("fails with a RangeError naming maxBytes once the content exceeds it", async () => {
    const error = track(ChatModelStream.from(textMessage("abcd", "😀😀"), { maxBytes: 10 }).output);
    await advance(0);
    expect({ range: error.error instanceof RangeError, message: error.error?.message }).toEqual({
      range: true,
      message: expect.stringMatching(/maxBytes \(10\)/),
    });
  });

  it("puts the content before the event that exceeded it on the error as partial", async () => {
    const error = track(ChatModelStream.from(textMessage("abcd", "😀😀"), { maxBytes: 10 }).output);
    await advance(0);
    expect(error.error?.partial?.content).toEqual([{ type: "text", text: "abcd", index: 0 }]);
  });

  it("counts UTF-8 bytes: five 'é' are 10 bytes", async () => {
    const fits = track(ChatModelStream.from(textMessage("ééééé"), { maxBytes: 10 }).output);
    const over = track(ChatModelStream.from(textMessage("ééééé"), { maxBytes: 9 }).output);
    await advance(0);
    expect([fits.state, over.state]).toEqual(["fulfilled", "rejected"]);
  });

  it("counts tool-call arguments", async () => {
    const events: Event[] = [
      messageStart,
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"city":"Paris"}' } },
      { event: "message-finish" },
    ];
    const error = track(ChatModelStream.from(events, { maxBytes: 10 }).output);
    await advance(0);
    expect(error.error instanceof RangeError).toBe(true);
  });

  it("lets a message with exactly maxBytes of content finish", async () => {
    expect(await pushAll(textMessage("abcd", "😀"), { maxBytes: 8 }).text).toBe("abcd😀");
  });
});

describe("limits and timeouts", () => {
  const all: ChatModelStreamOptions = { idleTimeoutMs: 20, firstTokenTimeoutMs: 50, totalTimeoutMs: 100, maxEvents: 1000, maxBytes: 1e6 };

  it("are off by default: a stream that waits an hour does not fail", async () => {
    const output = track(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable).output);
    await advance(3_600_000);
    expect(output.state).toBe("pending");
  });

  it("set no timer before the stream is consumed", async () => {
    ChatModelStream.from(long, all);
    await advance(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leave no timer once the message finished", async () => {
    await ChatModelStream.from(long, all).output;
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leave no timer once the stream was closed with aclose()", async () => {
    const stream = ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, all);
    await stream.text.getReader().read();
    await stream.aclose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leave no timer once a timeout fired", async () => {
    const output = track(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, all).output);
    await advance(30);
    expect({ failed: output.state, timers: vi.getTimerCount() }).toEqual({ failed: "rejected", timers: 0 });
  });

  it.each([
    ["idleTimeoutMs", -1],
    ["idleTimeoutMs", 0],
    ["firstTokenTimeoutMs", Number.NaN],
    ["totalTimeoutMs", "100"],
    ["maxEvents", 0],
    ["maxEvents", 1.5],
    ["maxBytes", -10],
  ])("reject %s: %s with a RangeError at construction", (name, value) => {
    expect(() => new ChatModelStream({ [name]: value } as ChatModelStreamOptions)).toThrow(RangeError);
  });

  it("accept Infinity as no limit", async () => {
    expect(await pushAll(textMessage("ok"), { idleTimeoutMs: Infinity, maxEvents: Infinity }).text).toBe("ok");
  });
});

describe("producer misuse", () => {
  it("setStart() after the stream started throws a TypeError", async () => {
    const stream = new ChatModelStream();
    stream.setStart(() => {});
    void stream.output.catch(() => {});
    expect(() => stream.setStart(() => {})).toThrow(TypeError);
  });

  it("setStart() after the stream started leaves the first callback's stream running", async () => {
    const stream = new ChatModelStream();
    const output = track(stream.output);
    try {
      stream.setStart(() => {});
    } catch {
      // expected
    }
    feed(stream, textMessage("still", " here"));
    await advance(0);
    expect(output.state).toBe("fulfilled");
  });

  it("setRequestMore() on a stream made by from() throws a TypeError", () => {
    expect(() => ChatModelStream.from(long).setRequestMore(() => {})).toThrow(TypeError);
  });

  it("setRequestMore() after the stream started replaces the pump for the next request", async () => {
    const stream = new ChatModelStream();
    const calls: string[] = [];
    stream.setRequestMore(() => void calls.push("first"));
    const output = track(stream.output);
    await advance(0); // the first pump was asked and dispatched nothing
    let i = 0;
    const events = textMessage("a");
    stream.setRequestMore(() => {
      calls.push("second");
      stream.dispatch(events[i++]!);
    });
    await advance(0);
    expect({ calls: [...new Set(calls)], output: output.state }).toEqual({ calls: ["first", "second"], output: "fulfilled" });
  });

  it("dispatch() after the stream failed throws a TypeError and leaves the error unchanged", async () => {
    const stream = feed(new ChatModelStream(), [messageStart, { event: "error", message: "boom" }]);
    const before = track(stream.output);
    await advance(0);
    expect(() => stream.dispatch(textDelta("late"))).toThrow(TypeError);
    const after = track(stream.output);
    await advance(0);
    expect(after.error).toBe(before.error);
  });
});

describe("maxBytes and finished tool calls", () => {
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
