// API.md §5: when the source is read (lazy start, pull, backpressure), how chunks reach readers
// (late readers, coalescing), and how message-finish ends the message.
import { describe, expect, it } from "vitest";
import { ChatModelStream, MessageStream } from "../src/index.ts";
import {
  scriptedSource,
  type Event,
  eventSource,
  feed,
  messageFinish,
  messageStart,
  promiseState,
  pulled,
  pushAll,
  readAll,
  readUntilError,
  settle,
  textMessage,
  textStart,
  reasoningDelta,
  textDelta,
  hello,
  long,
  longDeltas,
} from "./helpers.ts";


const HWM = 4;
// message-start and content-block-start carry no text: they are read before a text reader's first chunk.
const STRUCTURAL = 2;

/** Every getter, touched and dropped. */
function touchAll(stream: ChatModelStream): void {
  void [stream.text, stream.reasoning, stream.toolCalls, stream.usage, stream.output, stream.events];
  void stream[Symbol.asyncIterator]();
}

describe("lazy start", () => {
  it("creating the stream and all its projections does not run setStart's callback", async () => {
    const stream = new ChatModelStream();
    let starts = 0;
    stream.setStart(() => void starts++);
    touchAll(stream);
    await settle();
    expect(starts).toBe(0);
  });

  it("creating a from() stream and all its projections reads nothing from a ReadableStream", async () => {
    const source = scriptedSource(hello);
    touchAll(ChatModelStream.from(source.readable));
    await settle();
    expect(source.pulled).toBe(0);
  });

  it("creating a from() stream and all its projections reads nothing from an async generator", async () => {
    let reads = 0;
    async function* counted(): AsyncGenerator<Event> {
      for (const event of hello) {
        reads++;
        yield event;
      }
    }
    touchAll(ChatModelStream.from(counted()));
    await settle();
    expect(reads).toBe(0);
  });

  it.each([
    ["a read", (stream: ChatModelStream) => stream.text.getReader().read()],
    ["an await", (stream: ChatModelStream) => stream.text],
    ["a pipeTo", (stream: ChatModelStream) => stream.text.pipeTo(new WritableStream())],
    ["iterating the events", async (stream: ChatModelStream) => { for await (const _ of stream); }],
  ])("%s runs setStart's callback exactly once", async (_, consume) => {
    const stream = new ChatModelStream();
    let starts = 0;
    stream.setStart(() => {
      starts++;
      feed(stream, hello);
    });
    await consume(stream);
    expect(starts).toBe(1);
  });

  it("several consumers run setStart's callback exactly once", async () => {
    const stream = new ChatModelStream();
    let starts = 0;
    stream.setStart(() => {
      starts++;
      feed(stream, hello);
    });
    await Promise.all([readAll(stream.text), stream.output, stream.reasoning.pipeTo(new WritableStream())]);
    expect(starts).toBe(1);
  });

  it("a first read served by events dispatched before it runs setStart's callback", async () => {
    const stream = feed(new ChatModelStream(), hello.slice(0, -1));
    let starts = 0;
    stream.setStart(() => void starts++);
    await stream.text.getReader().read();
    expect(starts).toBe(1);
  });

  it("the first read pulls from a from() source", async () => {
    const source = scriptedSource(hello);
    await ChatModelStream.from(source.readable).text.getReader().read();
    expect(source.pulled).toBeGreaterThan(0);
  });
});

describe("the pump set by setRequestMore", () => {
  it("is not called again while its promise is pending, however much is wanted", async () => {
    const stream = new ChatModelStream();
    let calls = 0;
    stream.setRequestMore(() => {
      calls++;
      return new Promise<void>(() => {});
    });
    void stream.text.getReader().read();
    void stream.reasoning.getReader().read();
    void stream.output.then(() => {});
    stream.dispatch(messageStart); // an event from elsewhere wakes the source loop
    await settle();
    expect(calls).toBe(1);
  });

  it("never has two calls in flight over a whole message read by several consumers", async () => {
    const stream = new ChatModelStream();
    let next = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    stream.setRequestMore(async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await Promise.resolve();
      stream.dispatch(long[next++]!);
      inFlight--;
    });
    await Promise.all([readAll(stream.text), readAll(stream.events), stream.output]);
    expect(maxInFlight).toBe(1);
  });

  it("that rejects fails the stream with its own error", async () => {
    const stream = new ChatModelStream();
    const boom = new Error("model down");
    stream.setRequestMore(() => Promise.reject(boom));
    await expect(stream.output).rejects.toBe(boom);
  });

  it("that throws fails the stream with its own error", async () => {
    const stream = new ChatModelStream();
    const boom = new Error("model down");
    stream.setRequestMore(() => {
      throw boom;
    });
    await expect(stream.output).rejects.toBe(boom);
  });

  it("resolving to false ends the source: events so far get a finish", async () => {
    const stream = new ChatModelStream();
    const unfinished = hello.slice(0, -1);
    let next = 0;
    stream.setRequestMore(async () => {
      if (next === unfinished.length) return false;
      stream.dispatch(unfinished[next++]!);
    });
    expect(await stream.text).toBe("Hello");
  });

  it("resolving to false before any event fails the stream: no generation chunks", async () => {
    const stream = new ChatModelStream();
    stream.setRequestMore(async () => false);
    await expect(stream.output).rejects.toThrow("No generation chunks were returned");
  });

  it("calling close() ends the source: events so far get a finish", async () => {
    const stream = new ChatModelStream();
    const unfinished = hello.slice(0, -1);
    let next = 0;
    stream.setRequestMore(() => {
      if (next === unfinished.length) stream.close();
      else stream.dispatch(unfinished[next++]!);
    });
    expect(await stream.text).toBe("Hello");
  });
});

describe("backpressure", () => {
  // What a text reader has taken, plus what the source may run ahead of it, plus the structural events
  // read before its first chunk: the most a source may have handed out.
  const bound = (consumed: number): number => STRUCTURAL + consumed + HWM;

  it("a slow reader: the source runs at most highWaterMark events ahead of it", async () => {
    const source = scriptedSource(long);
    const reader = ChatModelStream.from(source.readable, { highWaterMark: HWM }).text.getReader();
    await reader.read();
    await reader.read();
    await settle();
    expect(source.pulled).toBeLessThanOrEqual(bound(2));
  });

  it("a fast and a stopped reader: the source runs at most highWaterMark events ahead of the stopped one", async () => {
    const source = scriptedSource(long);
    const stream = ChatModelStream.from(source.readable, { highWaterMark: HWM });
    const slow = stream.text.getReader();
    const fast = stream.text.getReader();
    const slowRead = slow.read();
    void (async () => {
      while (!(await fast.read()).done);
    })();
    await slowRead;
    await settle();
    expect(source.pulled).toBeLessThanOrEqual(bound(1));
  });

  describe("for a push producer", () => {
    /** A reader that took its first delta and then let highWaterMark more queue up. */
    async function lagging(): Promise<{ stream: ChatModelStream; reader: ReadableStreamDefaultReader<string> }> {
      const stream = new ChatModelStream({ highWaterMark: HWM });
      const reader = stream.text.getReader();
      const first = reader.read();
      await stream.ready; // the reader waits: what is dispatched now reaches it live
      feed(stream, long.slice(0, STRUCTURAL + 1));
      await first;
      feed(stream, long.slice(STRUCTURAL + 1, STRUCTURAL + 1 + HWM));
      return { stream, reader };
    }

    it("desiredSize is 0 before anything consumes", () => {
      const stream = new ChatModelStream({ highWaterMark: HWM });
      touchAll(stream);
      expect(stream.desiredSize).toBe(0);
    });

    it("desiredSize is positive while a reader waits", async () => {
      const stream = new ChatModelStream({ highWaterMark: HWM });
      void stream.text.getReader().read();
      await settle();
      expect(stream.desiredSize).toBeGreaterThan(0);
    });

    it("desiredSize is at most 0 once a reader lags by highWaterMark", async () => {
      const { stream } = await lagging();
      expect(stream.desiredSize).toBeLessThanOrEqual(0);
    });

    it("ready stays pending while a reader lags by highWaterMark", async () => {
      const { stream } = await lagging();
      expect(await promiseState(stream.ready)).toBe("pending");
    });

    it("ready resolves when the lagging reader catches up", async () => {
      const { stream, reader } = await lagging();
      const ready = stream.ready;
      await reader.read();
      expect(await promiseState(ready)).toBe("fulfilled");
    });
  });
});

describe("a projection nobody reads", () => {
  it("holds no deltas: reading it late gives one catch-up chunk of everything so far, then live deltas", async () => {
    const stream = new ChatModelStream();
    const reasoning = stream.reasoning; // made, not read
    const text = stream.text.getReader();
    const firstText = text.read();
    await stream.ready; // the text reader waits
    feed(stream, [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
      ...["a", "b", "c", "d", "e"].map((r) => reasoningDelta(0, r)),
      { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
      textDelta(1, "Hi"),
    ]);
    await firstText;
    const late = reasoning.getReader();
    const chunks = [(await late.read()).value];
    const next = late.read();
    stream.dispatch(reasoningDelta(0, "f"));
    chunks.push((await next).value);
    expect(chunks).toEqual(["abcde", "f"]);
  });

  it("does not hold the source back for the readers of other projections", async () => {
    const events: Event[] = [
      messageStart,
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
      ...longDeltas.map((r) => reasoningDelta(0, r)),
      { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
      textDelta(1, "Done."),
      messageFinish,
    ];
    const stream = ChatModelStream.from(eventSource(events), { highWaterMark: 1 });
    void stream.reasoning; // made, never read
    expect(await readAll(stream.text)).toEqual(["Done."]);
  });
});

describe("awaiting never deadlocks", () => {
  /** A from() stream whose only reader took one chunk and stopped. */
  async function stalled(): Promise<{ stream: ChatModelStream; text: ReadableStream<string>; first: string }> {
    const stream = ChatModelStream.from(eventSource(long), { highWaterMark: 1 });
    const text = stream.text;
    const reader = text.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    return { stream, text, first: value! };
  }

  it("an await resolves with the whole message while an attached reader has stopped reading", async () => {
    const { stream } = await stalled();
    expect(await stream.text).toBe(longDeltas.join(""));
  });

  it("the stopped reader then still reads the rest", async () => {
    const { stream, text, first } = await stalled();
    await stream.output;
    expect(first + (await readAll(text)).join("")).toBe(longDeltas.join(""));
  });
});

describe("late readers", () => {
  it("a late text reader gets one catch-up chunk, then live deltas", async () => {
    const stream = feed(new ChatModelStream(), textMessage("Hel", "lo").slice(0, -1));
    const reader = stream.text.getReader();
    const chunks = [(await reader.read()).value];
    const next = reader.read();
    stream.dispatch(textDelta(0, " world"));
    chunks.push((await next).value);
    expect(chunks).toEqual(["Hello", " world"]);
  });

  it("what a late text reader reads joins to what the stream awaits to", async () => {
    const stream = feed(new ChatModelStream(), long.slice(0, 8));
    const text = stream.text;
    const reader = text.getReader();
    const first = (await reader.read()).value!;
    reader.releaseLock();
    feed(stream, long.slice(8));
    expect(first + (await readAll(text)).join("")).toBe(await stream.text);
  });

  describe("a late reader of the raw events", () => {
    const usage = { input_tokens: 3, output_tokens: 5, total_tokens: 8 };
    const before: Event[] = [
      { event: "message-start", id: "m1", metadata: { provider: "openai", model: "gpt-4o" } },
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
      reasoningDelta(0, "Think"),
      { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Think" } },
      { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
      textDelta(1, "Hel"),
      textDelta(1, "lo"),
      { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
      { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '{"a":' } },
      { event: "usage", usage },
    ];
    const live: Event[] = [
      textDelta(1, " there"),
      { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: "1}" } },
      { event: "message-finish", reason: "tool_calls" },
    ];

    /** Everything an events reader attached after `before` reads, and the stream. */
    async function lateEvents(
      earlier: readonly Event[] = before,
      later: readonly Event[] = live,
    ): Promise<{ stream: ChatModelStream; read: Event[] }> {
      const stream = feed(new ChatModelStream(), earlier);
      const events = stream.events;
      const reader = events.getReader();
      const first = (await reader.read()).value!; // attached now: the replay describes `earlier` only
      reader.releaseLock();
      feed(stream, later);
      return { stream, read: [first, ...(await readAll(events))] };
    }

    it("gets a replay that starts with a synthesized message-start", async () => {
      const { read } = await lateEvents();
      expect(read[0]).toMatchObject({ event: "message-start", id: "m1" });
    });

    it("gets the live events, as dispatched, after the replay", async () => {
      const { read } = await lateEvents();
      expect(read.slice(-live.length)).toEqual(live);
    });

    it("reads what folds, in a new stream, to the same message", async () => {
      const { stream, read } = await lateEvents();
      expect(await pushAll(read).output).toEqual(await stream.output);
    });

    it("gets one delta per block in the replay, however many deltas arrived", async () => {
      const { read } = await lateEvents(long.slice(0, -1), [messageFinish]);
      expect(read.map((event) => event.event)).toEqual([
        "message-start",
        "content-block-start",
        "content-block-delta",
        "message-finish",
      ]);
    });
  });
});

describe("chunks", () => {
  /** A from() stream's chunks for a reader that takes one chunk, lags while an await drives the source, then reads on. */
  async function laggingRead<T>(events: readonly Event[], of: (stream: ChatModelStream) => ReadableStream<T>): Promise<T[]> {
    const stream = ChatModelStream.from(eventSource(events), { highWaterMark: HWM });
    const readable = of(stream);
    const reader = readable.getReader();
    const first = (await reader.read()).value!;
    reader.releaseLock();
    await stream.output;
    return [first, ...(await readAll(readable))];
  }

  const toolSlices = ['{"ci', 'ty":', ' "Par', 'is"', ', "unit"', ': "C"', "}"];
  const toolMessage: Event[] = [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "c1", name: "weather", args: "" } },
    ...toolSlices.map((args): Event => ({
      event: "content-block-delta",
      index: 0,
      delta: { type: "tool_call_chunk", args },
    })),
    messageFinish,
  ];

  it("a reader that keeps up gets each text delta as its own chunk", async () => {
    expect(await readAll(pulled(long).text)).toEqual(longDeltas);
  });

  it("a lagging reader gets every text delta, in order", async () => {
    expect((await laggingRead(long, (stream) => stream.text)).join("")).toBe(longDeltas.join(""));
  });

  it("a lagging reader may get text deltas coalesced into fewer chunks", async () => {
    expect((await laggingRead(long, (stream) => stream.text)).length).toBeLessThan(longDeltas.length);
  });

  it("a lagging reader gets tool-call chunks one by one, as a reader that keeps up does", async () => {
    const keptUp = await readAll(pulled(toolMessage).toolCalls);
    expect(await laggingRead(toolMessage, (stream) => stream.toolCalls)).toEqual(keptUp);
  });
});

describe("message-finish", () => {
  // The source has more after the finish, and holds it until released.
  const afterFinish = [...hello, textDelta(0, " more"), messageFinish];
  const held = () => scriptedSource(afterFinish, { holdAt: hello.length });

  it("resolves awaits while a from() source still has events after it", async () => {
    const stream = ChatModelStream.from(held().readable);
    expect(await promiseState(stream.output)).toBe("fulfilled");
  });

  it("closes readers while a from() source still has events after it", async () => {
    const stream = ChatModelStream.from(held().readable);
    expect(await promiseState(readAll(stream.text))).toBe("fulfilled");
  });

  it("closes readers of a push stream without close()", async () => {
    const stream = new ChatModelStream();
    const chunks = readAll(stream.text);
    feed(stream, hello);
    expect(await promiseState(chunks)).toBe("fulfilled");
  });

  it("makes the events after it in a from() source change nothing", async () => {
    const source = held();
    const stream = ChatModelStream.from(source.readable);
    await stream.output;
    source.release();
    await settle();
    expect(await stream.output).toEqual(await pushAll(hello).output);
  });

  it("lets a from() source be read to its end in the background", async () => {
    const source = held();
    const stream = ChatModelStream.from(source.readable);
    await stream.output;
    source.release();
    await settle();
    expect(source.pulled).toBe(afterFinish.length);
  });

  it("makes a later dispatch throw a TypeError", () => {
    const stream = feed(new ChatModelStream(), hello);
    expect(() => stream.dispatch(textDelta(0, " more"))).toThrow(TypeError);
  });

  it("makes a later dispatch change nothing", async () => {
    const stream = feed(new ChatModelStream(), hello);
    try {
      stream.dispatch(textDelta(0, " more"));
    } catch {
      // expected: see the test above
    }
    expect(await stream.text).toBe("Hello");
  });
});

describe("fail()", () => {
  it("makes a later dispatch throw a TypeError", () => {
    const stream = new ChatModelStream();
    stream.fail(new Error("boom"));
    expect(() => stream.dispatch(messageStart)).toThrow(TypeError);
  });
});

describe("a setStart callback that awaits ready before dispatching (API.md §5 revision 2)", () => {
  function startedAfterReady(): { stream: ChatModelStream; seen: (number | null)[] } {
    const stream = new ChatModelStream();
    const seen: (number | null)[] = [];
    stream.setStart(async () => {
      seen.push(stream.desiredSize);
      await stream.ready;
      for (const event of hello) stream.dispatch(event);
    });
    return { stream, seen };
  }

  it("does not deadlock a reader", async () => {
    const { stream } = startedAfterReady();
    const read = readAll(stream.text);
    expect(await Promise.race([read, settle().then(() => settle()).then(() => "stuck")])).toEqual(["Hel", "lo"]);
  });

  it("does not deadlock an await", async () => {
    const { stream } = startedAfterReady();
    expect(await Promise.race([stream.text.then(String), settle().then(() => settle()).then(() => "stuck")])).toBe("Hello");
  });

  it("sees a positive desiredSize while it runs for a waiting consumer", async () => {
    const { stream, seen } = startedAfterReady();
    await stream.output;
    expect(seen[0]).toBeGreaterThan(0);
  });
});

describe("a push producer waiting on ready", () => {
  it("is released when a reader starts waiting, even with highWaterMark 0", async () => {
    const stream = new ChatModelStream({ highWaterMark: 0 });
    void (async () => {
      for (const event of textMessage("a", "b")) {
        await stream.ready;
        stream.dispatch(event);
      }
    })();
    expect(await readAll(stream.text)).toEqual(["a", "b"]);
  });
});

describe("two reads pending on one reader", () => {
  it("count as one waiting reader: highWaterMark 0 reads nothing ahead", async () => {
    const source = scriptedSource([messageStart, textStart(0), textDelta(0, "a"), textDelta(0, "b"), textDelta(0, "c"), textDelta(0, "d"), messageFinish]);
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 0 });
    const reader = stream.text.getReader();
    await settle();
    await Promise.all([reader.read(), reader.read()]);
    await settle();
    expect(source.pulled).toBe(4); // message-start, block start, "a", "b"
  });
});

describe("the events replay after a failure", () => {
  it("has no message-messageFinish after fail()", async () => {
    const stream = feed(new ChatModelStream(), [messageStart, textStart(0), textDelta(0, "a")]);
    stream.fail(new Error("boom"));
    const { chunks } = await readUntilError(stream.events);
    expect(chunks.map((event) => event.event)).toEqual(["message-start", "content-block-start", "content-block-delta"]);
  });

  it("does not fold into a finished message", async () => {
    const stream = feed(new ChatModelStream(), [messageStart, textStart(0), textDelta(0, "a")]);
    stream.fail(new Error("boom"));
    const { chunks, error } = await readUntilError(stream.events.pipeThrough(new MessageStream()));
    expect({ chunks, message: (error as Error).message }).toEqual({ chunks: [], message: "boom" });
  });

  it("has no message-messageFinish after bad input", async () => {
    const stream = feed(new ChatModelStream(), [messageStart, textStart(0), textDelta(0, "a"), { event: "content-block-delta", index: -1 }]);
    const { chunks } = await readUntilError(stream.events);
    expect(chunks.map((event) => event.event)).not.toContain("message-finish");
  });
});

describe("a reader that stopped reading", () => {
  it("holds the source within highWaterMark events, whatever the events are", async () => {
    const slices = Array.from({ length: 100 }, (): Event => ({
      event: "content-block-delta",
      index: 1,
      delta: { type: "tool-call-delta", args: "1" },
    }));
    const source = scriptedSource([messageStart, textDelta(0, "x"), ...slices, messageFinish]);
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 2 });
    const reader = stream.text.getReader();
    await reader.read(); // "x", then the reader stops
    await settle();
    await settle();
    expect(source.pulled).toBeLessThanOrEqual(2 + 2); // message-start and "x", then 2 ahead
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
