// A raw-events reader that lags (API.md §5 "Chunks", revision 2): what it holds is bounded by the
// message's content, not by its event count, and what it reads folds to the same message.
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import { type Event, feed, messageStart, readAll, reasoningDelta, settle, textDelta } from "./helpers.ts";
import { reference } from "./reference.ts";

const usage = (n: number): Event => ({ event: "usage", usage: { input_tokens: 1, output_tokens: n, total_tokens: n + 1 } });
const slice = (args: string, extra: Record<string, string> = {}): Event =>
  ({ event: "content-block-delta", index: 1, delta: { type: "tool-call-delta", args, ...extra } }) as Event;

/** A stream whose events reader attached at the start and then stopped while an await drove the rest. */
async function stalledReader(events: readonly Event[]): Promise<Event[]> {
  const stream = new ChatModelStream({ highWaterMark: 4 });
  const reader = stream.events.getReader();
  const first = reader.read(); // attached, then it stops reading
  await settle(); // the read reached the stream: the reader is attached from the start
  const done = stream.output;
  feed(stream, events);
  stream.close();
  await done;
  const read = [(await first).value!];
  for (let r = await reader.read(); !r.done; r = await reader.read()) read.push(r.value);
  return read;
}

const many = (n: number, make: (i: number) => Event): Event[] => Array.from({ length: n }, (_, i) => make(i));

describe("a raw-events reader that lags", () => {
  it("gets consecutive text deltas of one block as one delta", async () => {
    const events = [messageStart, ...many(10_000, () => textDelta(0, "a")), { event: "message-finish" } as Event];
    const read = await stalledReader(events);
    expect(read.length).toBeLessThan(10);
  });

  it("folds what it read to the same message", async () => {
    const events = [
      messageStart,
      ...many(300, (i) => textDelta(0, `t${i} `)),
      ...many(300, (i) => reasoningDelta(2, `r${i} `)),
      { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "c1", name: "f" } } as Event,
      slice('{"a":'),
      ...many(300, () => slice("1")),
      slice("}"),
      usage(3),
      { event: "message-finish", reason: "stop" } as Event,
    ];
    const read = await stalledReader(events);
    expect({ few: read.length < 40, output: reference(read).output }).toEqual({ few: true, output: reference(events).output });
  });

  it("keeps only the latest of usage snapshots that alternate with deltas", async () => {
    const events = [messageStart, ...many(20_000, (i) => (i % 2 === 0 ? textDelta(0, "x") : usage(i))), { event: "message-finish" } as Event];
    const read = await stalledReader(events);
    expect({ events: read.length < 10, usage: reference(read).output.usage_metadata }).toEqual({ events: true, usage: reference(events).output.usage_metadata });
  });

  it("keeps a tool-call slice that names the call apart from the arguments before it", async () => {
    const events = [messageStart, ...many(50, () => slice("1")), slice("2", { id: "late-id" }), { event: "message-finish" } as Event];
    const read = await stalledReader(events);
    const withId = read.filter((e) => (e as { delta?: { id?: string } }).delta?.id === "late-id");
    expect(withId).toEqual([slice("2", { id: "late-id" })]);
  });

  it("never merges deltas of two blocks", async () => {
    const events = [messageStart, ...many(1000, (i) => textDelta(i % 2, String(i % 2))), { event: "message-finish" } as Event];
    const read = await stalledReader(events);
    expect(reference(read).output).toEqual(reference(events).output);
  });
});

describe("a raw-events reader that keeps up", () => {
  it("gets every event as it was sent", async () => {
    const events = [messageStart, ...many(100, (i) => textDelta(0, String(i))), { event: "message-finish" } as Event];
    const stream = new ChatModelStream();
    const reading = readAll(stream.events);
    await settle(); // attached from the start
    for (const event of events) {
      stream.dispatch(event);
      await settle();
    }
    expect(await reading).toEqual(events);
  });

  it("gets a sync source's events as sent, read-ahead included", async () => {
    const events = [messageStart, ...many(100, (i) => textDelta(0, String(i))), { event: "message-finish" } as Event];
    expect(await readAll(ChatModelStream.from(events).events)).toEqual(events);
  });
});

// `gc` is exposed in the node project only (vitest.config.ts: execArgv --expose-gc); workerd has none.
const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage;
const MB = 1024 * 1024;

describe("1M one-character deltas with a stalled events reader and a pending await", () => {
  it.skipIf(gc === undefined || heapUsed === undefined)("hold at most 8 MB", async () => {
    const N = 1_000_000;
    function* events(): Generator<Event> {
      yield messageStart;
      for (let i = 0; i < N; i++) yield textDelta(0, "a");
    }
    const stream = ChatModelStream.from(events());
    const reader = stream.events.getReader();
    await reader.read(); // the client took one event, then stalled
    gc!();
    const before = heapUsed!().heapUsed;
    const text = await stream.text; // the await drives the whole message past the stalled reader
    gc!();
    const held = (heapUsed!().heapUsed - before) / MB;
    await reader.cancel();
    expect({ length: text.length, heldUnder8MB: held < 8 }).toEqual({ length: N, heldUnder8MB: true });
  }, 60_000);
});
