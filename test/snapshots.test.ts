// partialToolCalls and partialJSON: tool calls and a JSON answer as values that grow, newest-wins
// for a reader that falls behind, and awaitable for the final value.
import { describe, expect, it } from "vitest";
import { ChatModelStream, type PartialToolCall } from "../src/index.ts";
import { failure, feed, pulled, pushAll, readAll, textMessage, type Event } from "./helpers.ts";

/** Two tool calls whose argument slices interleave, then the finish. */
function twoCalls(): Event[] {
  const slice = (index: number, args: string): Event => ({ event: "content-block-delta", index, delta: { type: "tool_call_chunk", args } });
  return [
    { event: "message-start", id: "m1" },
    { event: "content-block-start", index: 0, content: { type: "tool_call_chunk", id: "call_a", name: "weather", args: "" } },
    slice(0, '{"city": "Pa'),
    { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "call_b", name: "time", args: "" } },
    slice(1, '{"zone": "Europe/'),
    slice(0, 'ris", "days": 1'),
    slice(1, 'Paris"}'),
    slice(0, '2, "units": ["c"]}'),
    { event: "content-block-finish", index: 0, content: { type: "tool_call", id: "call_a", name: "weather", args: { city: "Paris", days: 12, units: ["c"] } } },
    { event: "content-block-finish", index: 1, content: { type: "tool_call", id: "call_b", name: "time", args: { zone: "Europe/Paris" } } },
    { event: "message-finish", reason: "tool_calls" },
  ];
}

/** Each snapshot as it was when read (the values grow in place, so each is copied as it arrives). */
async function readSnapshots<T>(readable: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const snapshot of readable) out.push(structuredClone(snapshot));
  return out;
}

describe("partialToolCalls", () => {
  it("gives each call's arguments parsed so far after every slice, and awaits to the finished calls", async () => {
    const stream = pulled(twoCalls());
    const view = stream.partialToolCalls;
    const snapshots = await readSnapshots<PartialToolCall>(view);
    expect(snapshots).toEqual([
      { index: 0, id: "call_a", name: "weather", args: undefined },
      { index: 0, id: "call_a", name: "weather", args: { city: "Pa" } },
      { index: 1, id: "call_b", name: "time", args: undefined },
      { index: 1, id: "call_b", name: "time", args: { zone: "Europe/" } },
      { index: 0, id: "call_a", name: "weather", args: { city: "Paris", days: 1 } },
      { index: 1, id: "call_b", name: "time", args: { zone: "Europe/Paris" } },
      { index: 0, id: "call_a", name: "weather", args: { city: "Paris", days: 12, units: ["c"] } },
    ]);
    expect(await view).toEqual(await stream.toolCalls);
    expect(await stream.partialToolCalls).toEqual([
      { type: "tool_call", id: "call_a", name: "weather", args: { city: "Paris", days: 12, units: ["c"] } },
      { type: "tool_call", id: "call_b", name: "time", args: { zone: "Europe/Paris" } },
    ]);
  });

  it("a reader that falls behind gets the newest snapshot of each call, not every step", async () => {
    const stream = new ChatModelStream();
    const reader = stream.partialToolCalls.getReader();
    const first = reader.read(); // the reader waits: the first change goes to it at once
    const events = twoCalls();
    feed(stream, events.slice(0, 2));
    expect(structuredClone((await first).value)).toEqual({ index: 0, id: "call_a", name: "weather", args: undefined });
    feed(stream, events.slice(2)); // queued while nobody reads
    stream.close();
    const rest: unknown[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(structuredClone(r.value));
    expect(rest).toEqual([
      { index: 0, id: "call_a", name: "weather", args: { city: "Paris", days: 12, units: ["c"] } },
      { index: 1, id: "call_b", name: "time", args: { zone: "Europe/Paris" } },
    ]);
  });

  it("a reader attaching after the end gets one snapshot per call", async () => {
    const stream = pushAll(twoCalls());
    await stream.output;
    expect(await readSnapshots(stream.partialToolCalls)).toEqual([
      { index: 0, id: "call_a", name: "weather", args: { city: "Paris", days: 12, units: ["c"] } },
      { index: 1, id: "call_b", name: "time", args: { zone: "Europe/Paris" } },
    ]);
  });

  it("arguments that stop being JSON mark the call invalid and keep what parsed", async () => {
    const events = twoCalls();
    events[7] = { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: '2, oops' } };
    events[8] = { event: "content-block-finish", index: 0, content: { type: "invalid_tool_call", id: "call_a", name: "weather", args: '{"city": "Paris", "days": 12, oops' } };
    const snapshots = await readSnapshots<PartialToolCall>(pulled(events).partialToolCalls);
    expect(snapshots.at(-1)).toEqual({ index: 0, id: "call_a", name: "weather", args: { city: "Paris", days: 12 }, invalid: true });
  });

  it("cancelling the view detaches only it", async () => {
    const stream = pulled(twoCalls());
    const reader = stream.partialToolCalls.getReader();
    await reader.read();
    const text = stream.toolCalls;
    const calls = text.then((c) => c.length);
    await reader.cancel();
    expect(await calls).toBe(2);
  });
});

describe("partialJSON", () => {
  it("gives the value of the JSON answer so far after every delta, and awaits to the whole value", async () => {
    const stream = pulled(textMessage('{"title": "Da', 'wn", "tags": ["a",', ' "b"], "n": 4', "2}"));
    const view = stream.partialJSON;
    expect(await readSnapshots(view)).toEqual([
      { title: "Da" },
      { title: "Dawn", tags: ["a"] },
      { title: "Dawn", tags: ["a", "b"], n: 4 },
      { title: "Dawn", tags: ["a", "b"], n: 42 },
    ]);
    expect(await view).toEqual({ title: "Dawn", tags: ["a", "b"], n: 42 });
  });

  it("a reader that falls behind gets only the newest value", async () => {
    const stream = new ChatModelStream();
    const reader = stream.partialJSON.getReader();
    const first = reader.read();
    const events = textMessage("[1", ", 2", ", 3", "]");
    feed(stream, events.slice(0, 3)); // the message start, the block start, "[1"
    expect(structuredClone((await first).value)).toEqual([1]);
    feed(stream, events.slice(3));
    stream.close();
    const rest: unknown[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(structuredClone(r.value));
    expect(rest).toEqual([[1, 2, 3]]);
  });

  it("an answer that is not JSON errors the view and its await with a SyntaxError of code bad_input; other readers go on", async () => {
    const stream = pulled(textMessage('{"a": 1', "} and some prose"));
    const text = stream.text.then((t) => t);
    const error = await failure(readAll(stream.partialJSON));
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as { code?: string }).code).toBe("bad_input");
    expect(await text).toBe('{"a": 1} and some prose');
    const awaited = await failure(pushAll(textMessage("no json")).partialJSON);
    expect(awaited.message).toMatch(/^The answer is not JSON: Invalid JSON at position 1/);
  });
});
