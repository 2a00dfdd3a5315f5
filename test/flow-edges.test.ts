// Edge cases of the fan-out found in review: each broke an invariant of API.md §5 once.
import { describe, expect, it } from "vitest";
import { ChatModelStream, MessageStream } from "../src/index.ts";
import {
  countingSource,
  type Event,
  feed,
  messageStart,
  promiseState,
  readAll,
  readUntilError,
  settle,
  textMessage,
} from "./helpers.ts";

const start0: Event = { event: "content-block-start", index: 0, content: { type: "text", text: "" } };
const delta = (text: string): Event => ({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text } });
const finish: Event = { event: "message-finish" };

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
    const source = countingSource([messageStart, start0, delta("a"), delta("b"), delta("c"), delta("d"), finish]);
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 0 });
    const reader = stream.text.getReader();
    await settle();
    await Promise.all([reader.read(), reader.read()]);
    await settle();
    expect(source.pulled).toBe(4); // message-start, block start, "a", "b"
  });
});

describe("the events replay after a failure", () => {
  it("has no message-finish after fail()", async () => {
    const stream = feed(new ChatModelStream(), [messageStart, start0, delta("a")]);
    stream.fail(new Error("boom"));
    const { chunks } = await readUntilError(stream.events);
    expect(chunks.map((event) => event.event)).toEqual(["message-start", "content-block-start", "content-block-delta"]);
  });

  it("does not fold into a finished message", async () => {
    const stream = feed(new ChatModelStream(), [messageStart, start0, delta("a")]);
    stream.fail(new Error("boom"));
    const { chunks, error } = await readUntilError(stream.events.pipeThrough(new MessageStream()));
    expect({ chunks, message: (error as Error).message }).toEqual({ chunks: [], message: "boom" });
  });

  it("has no message-finish after bad input", async () => {
    const stream = feed(new ChatModelStream(), [messageStart, start0, delta("a"), { event: "content-block-delta", index: -1 }]);
    const { chunks } = await readUntilError(stream.events);
    expect(chunks.map((event) => event.event)).not.toContain("message-finish");
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

describe("a source that cannot be opened", () => {
  const locked = (): ReadableStream<Event> => {
    const body = new ReadableStream<Event>();
    body.getReader();
    return body;
  };

  it("fails every await, not only the first", async () => {
    const stream = ChatModelStream.from(locked());
    await stream.text.catch(() => {});
    expect(await promiseState(stream.output)).toBe("rejected");
  });

  it("fails a reader", async () => {
    const stream = ChatModelStream.from(locked());
    expect((await readUntilError(stream.events)).error).toBeInstanceOf(TypeError);
  });

  it("fails the stream after an async setStart, without an unhandled rejection", async () => {
    const stream = ChatModelStream.from(locked());
    stream.setStart(async () => {});
    expect(await promiseState(stream.output)).toBe("rejected");
  });
});

describe("a reader that stopped reading", () => {
  it("holds the source within highWaterMark events, whatever the events are", async () => {
    const slices = Array.from({ length: 100 }, (): Event => ({
      event: "content-block-delta",
      index: 1,
      delta: { type: "tool-call-delta", args: "1" },
    }));
    const source = countingSource([messageStart, delta("x"), ...slices, finish]);
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 2 });
    const reader = stream.text.getReader();
    await reader.read(); // "x", then the reader stops
    await settle();
    await settle();
    expect(source.pulled).toBeLessThanOrEqual(2 + 2); // message-start and "x", then 2 ahead
  });
});

describe("a sync source", () => {
  it("is ended, not read on, once the message finished", async () => {
    let after = 0;
    function* events(): Generator<Event> {
      yield* textMessage("a");
      // A long (in real life: endless) tail after the finish must not be read.
      for (let i = 0; i < 10_000; i++) {
        after++;
        yield { event: "provider", provider: "p", name: "after", payload: null };
      }
    }
    await ChatModelStream.from(events()).output;
    await settle();
    expect(after).toBe(0);
  });
});
