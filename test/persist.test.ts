// persist: a generation run into a StreamLog whether or not anyone watches, coalesced into rows.
import { describe, expect, it } from "vitest";
import { ChatModelStream, toResponse } from "../src/index.ts";
import { MemoryLogStore } from "../src/log/memory-log.ts";
import { persist } from "../src/log/persist.ts";
import type { LogRow, StreamLog } from "../src/log/stream-log.ts";
import { failure, readAll, textMessage, type Event } from "./helpers.ts";

const usage = { input_tokens: 5, output_tokens: 7, total_tokens: 12 };
/** Reasoning, text and a tool call, each finished, then usage. */
const rich = [
  { event: "message-start", id: "m1", metadata: { model_provider: "test", model_name: "scripted" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Think" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "ing." } },
  { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Thinking." } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  ...Array.from({ length: 30 }, (_, i) => ({ event: "content-block-delta", index: 1, delta: { type: "text-delta", text: `w${i} ` } })),
  { event: "content-block-finish", index: 1, content: { type: "text", text: Array.from({ length: 30 }, (_, i) => `w${i} `).join("") } },
  { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "c1", name: "search", args: "" } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '{"q":' } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '"Köln"}' } },
  { event: "usage", usage },
  { event: "message-finish", reason: "tool_calls", usage },
] as Event[];

const events = (rows: readonly LogRow[]): Event[] => rows.flatMap((r) => r.events as Event[]);
const textOf = (list: readonly Event[]): string =>
  list.map((e) => (e.event === "content-block-delta" && e.delta.type === "text-delta" ? e.delta.text : "")).join("");

let n = 0;
function fresh(): { store: MemoryLogStore; id: string; log: StreamLog } {
  const store = new MemoryLogStore();
  const id = `p${++n}`;
  return { store, id, log: store.log(id) };
}

/** `inner` with some methods replaced (MemoryLog's private fields need its own `this`). */
function wrap(inner: StreamLog, overrides: Partial<StreamLog>): StreamLog {
  return {
    open: () => inner.open(),
    append: (row) => inner.append(row),
    close: (message) => inner.close(message),
    fail: (status, failure, partial) => inner.fail(status, failure, partial),
    snapshot: () => inner.snapshot(),
    read: (after, options) => inner.read(after, options),
    stop: (reason) => inner.stop(reason),
    stopped: (signal) => inner.stopped(signal),
    ...overrides,
  };
}

/** A deferred, for a source or a log held at a known point. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A push-fed stream whose events are dispatched now; the test ends it. */
function pushed(list: readonly Event[]): ChatModelStream {
  const stream = new ChatModelStream();
  for (const e of list) stream.dispatch(e);
  return stream;
}

describe("persist: a finished generation", () => {
  it("stores rows that fold to the same message, and the message itself", async () => {
    const { log } = fresh();
    const snapshot = await persist(ChatModelStream.from(rich), log);
    const expected = await ChatModelStream.from(rich).output;
    expect(snapshot).toMatchObject({ status: "finished", message: expected });
    const rows = await readAll(log.read(0));
    expect(await ChatModelStream.from(events(rows)).output).toEqual(expected);
  });

  it("ends the last row with the message-finish, as sent", async () => {
    const { log } = fresh();
    await persist(ChatModelStream.from(rich), log);
    const stored = events(await readAll(log.read(0)));
    expect(stored.at(-1)).toEqual(rich.at(-1));
    expect(stored.filter((e) => e.event === "message-finish")).toHaveLength(1);
  });

  it("a block's finish that repeats its deltas is stored without the repeat; the message is the same", async () => {
    const { log } = fresh();
    await persist(ChatModelStream.from(rich), log);
    const stored = events(await readAll(log.read(0)));
    const finishes = stored.filter((e) => e.event === "content-block-finish");
    expect(finishes.map((e) => e.content)).toEqual([
      { type: "reasoning", reasoning: "" },
      { type: "text", text: "" },
    ]);
    expect(await ChatModelStream.from(stored).output).toEqual(await ChatModelStream.from(rich).output);
  });

  it("a finish whose text differs from its deltas (or adds to them) is stored as sent", async () => {
    const { log } = fresh();
    const list = [
      { event: "message-start" },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "Hello" } },
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "abc" } },
      { event: "content-block-finish", index: 1, content: { type: "text", text: "xyz" } },
      { event: "message-finish" },
    ] as Event[];
    await persist(ChatModelStream.from(list), log);
    const stored = events(await readAll(log.read(0)));
    expect(stored.filter((e) => e.event === "content-block-finish")).toEqual([list[2], list[4]]);
  });

  it("merges a run of a thousand deltas into a few rows of merged deltas", async () => {
    const { log } = fresh();
    const deltas = Array.from({ length: 1000 }, (_, i) => `t${i % 10}`);
    const snapshot = await persist(ChatModelStream.from(textMessage(...deltas)), log);
    const rows = await readAll(log.read(0));
    expect(rows.length).toBeLessThanOrEqual(3);
    expect(snapshot.seq).toBe(rows.length);
    expect(events(rows).length).toBeLessThanOrEqual(6);
    expect(textOf(events(rows))).toBe(deltas.join(""));
  });

  it("cuts rows at about flushBytes of content", async () => {
    const { log } = fresh();
    const deltas = Array.from({ length: 100 }, () => "x".repeat(100));
    await persist(ChatModelStream.from(textMessage(...deltas)), log, { flushBytes: 1000, flushMs: 60_000 });
    const rows = await readAll(log.read(0));
    expect(rows.length).toBeGreaterThanOrEqual(9);
    expect(rows.length).toBeLessThanOrEqual(12);
    expect(textOf(events(rows))).toBe(deltas.join(""));
  });

  it("resolves `opened` once viewers can read the log", async () => {
    const { log } = fresh();
    const stream = pushed(textMessage("a").slice(0, 2));
    const run = persist(stream, log);
    await run.opened;
    expect((await log.snapshot())!.status).toBe("running");
    stream.close();
    expect((await run).status).toBe("finished");
  });
});

describe("persist: when rows go out", () => {
  it("a row goes out flushMs after its first event, while the model is still silent", async () => {
    const { log } = fresh();
    const stream = pushed([{ event: "message-start" }, { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hi" } }] as Event[]);
    const run = persist(stream, log, { flushMs: 5 });
    await run.opened;
    const reader = log.read(0, { live: true }).getReader();
    const first = await reader.read();
    expect(textOf(first.value!.events as Event[])).toBe("Hi");
    stream.close();
    await run;
  });

  it("a block's end goes out at once, without waiting for flushMs", async () => {
    const { log } = fresh();
    const stream = pushed([
      { event: "message-start" },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hi" } },
      { event: "content-block-finish", index: 0, content: { type: "text", text: "Hi" } },
    ] as Event[]);
    const run = persist(stream, log, { flushMs: 60_000 });
    await run.opened;
    const first = await log.read(0, { live: true }).getReader().read();
    expect(first.value!.events.at(-1)!.event).toBe("content-block-finish");
    stream.close();
    await run;
  });

  it("while an append is under way, events merge into the next row (bounded by content)", async () => {
    const { log: inner } = fresh();
    const held = gate();
    let appends = 0;
    const log = wrap(inner, {
      append: async (row: LogRow) => {
        if (++appends === 1) await held.promise;
        return inner.append(row);
      },
    });
    const stream = new ChatModelStream();
    const run = persist(stream, log, { flushMs: 1 });
    await run.opened;
    stream.dispatch({ event: "message-start" });
    // The first row is held; 500 deltas arrive meanwhile.
    await expect.poll(() => appends).toBe(1);
    for (let i = 0; i < 500; i++) stream.dispatch({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "ab" } });
    stream.close();
    held.open();
    await run;
    const rows = await readAll(inner.read(0));
    expect(rows.length).toBeLessThanOrEqual(3);
    expect(events(rows).length).toBeLessThanOrEqual(4);
    expect(textOf(events(rows))).toBe("ab".repeat(500));
  });
});

describe("persist: Stop, disconnect and failure", () => {
  it("a stop from another handle closes the stream and stores the partial message as aborted", async () => {
    const { store, id, log } = fresh();
    const stream = pushed(textMessage("Hel").slice(0, 3));
    const run = persist(stream, log);
    await run.opened;
    await store.log(id).stop("user pressed Stop");
    const snapshot = await run;
    expect(stream.signal.aborted).toBe(true);
    expect(snapshot.status).toBe("aborted");
    expect(snapshot.failure).toEqual({ message: expect.stringContaining("user pressed Stop"), code: "aborted" });
    expect(snapshot.message!.content).toMatchObject([{ type: "text", text: "Hel" }]);
    const last = events(await readAll(log.read(0))).at(-1);
    expect(last).toEqual({ event: "error", ...snapshot.failure });
  });

  it("stores the closing error event exactly as toResponse's SSE writes it", async () => {
    const failing = (): ChatModelStream =>
      ChatModelStream.from(
        (async function* () {
          yield { event: "message-start" } as Event;
          throw Object.assign(new Error("upstream reset"), { code: "ECONNRESET" });
        })(),
      );
    const { log } = fresh();
    const snapshot = await persist(failing(), log);
    const sse = await toResponse(failing()).text();
    const data = sse.trim().split("\n").filter((l) => l.startsWith("data: ")).at(-1)!.slice(6);
    expect(events(await readAll(log.read(0))).at(-1)).toEqual(JSON.parse(data));
    expect(snapshot).toMatchObject({ status: "failed", failure: { message: "upstream reset", code: "ECONNRESET" } });
  });

  it("a provider's error event is stored once, as sent, with status failed", async () => {
    const { log } = fresh();
    const list = [...textMessage("a").slice(0, 3), { event: "error", message: "overloaded", code: "overloaded_error" }] as Event[];
    const snapshot = await persist(ChatModelStream.from(list), log);
    const stored = events(await readAll(log.read(0)));
    expect(stored.filter((e) => e.event === "error")).toEqual([list.at(-1)]);
    expect(snapshot).toMatchObject({ status: "failed", failure: { message: "overloaded", code: "overloaded_error" } });
    expect(snapshot.message!.content).toMatchObject([{ type: "text", text: "a" }]);
  });

  it('onDisconnect "continue": the client leaving changes nothing', async () => {
    const { log } = fresh();
    const client = new AbortController();
    const stream = pushed(textMessage("a").slice(0, 3));
    const run = persist(stream, log, { signal: client.signal, onDisconnect: "continue" });
    await run.opened;
    client.abort();
    stream.dispatch({ event: "message-finish" });
    expect((await run).status).toBe("finished");
  });

  it('onDisconnect "cancel": the client leaving stops the generation (aborted)', async () => {
    const { log } = fresh();
    const client = new AbortController();
    const stream = pushed(textMessage("a").slice(0, 3));
    const run = persist(stream, log, { signal: client.signal, onDisconnect: "cancel" });
    await run.opened;
    client.abort();
    expect(await run).toMatchObject({ status: "aborted", failure: { code: "aborted" } });
  });

  it("an id another producer has: persist rejects and closes the stream", async () => {
    const { log } = fresh();
    await log.open();
    const stream = pushed([{ event: "message-start" }]);
    const error = await failure(persist(stream, log));
    expect((error as { code?: unknown }).code).toBe("invalid_state");
    expect(stream.signal.aborted).toBe(true);
  });

  it("a log that fails to append: persist rejects, the stream is closed, the log fails", async () => {
    const { log: inner } = fresh();
    const broken = new Error("storage down");
    const log = wrap(inner, {
      append: (row: LogRow) => (row.seq === 2 ? Promise.reject(broken) : inner.append(row)),
    });
    const stream = new ChatModelStream();
    const run = persist(stream, log, { flushMs: 1 });
    await run.opened;
    stream.dispatch({ event: "message-start" });
    stream.dispatch({ event: "content-block-finish", index: 0, content: { type: "text", text: "x" } });
    stream.dispatch({ event: "content-block-finish", index: 1, content: { type: "text", text: "y" } });
    expect(await failure(run)).toBe(broken);
    expect(stream.signal.aborted).toBe(true);
    expect((await inner.snapshot())!.status).toBe("failed");
  });

  it("a log that refuses the end: persist rejects and stores the message as failed, so viewers end now", async () => {
    const { log: inner } = fresh();
    const refused = new Error("storage refused the end");
    const log = wrap(inner, { close: () => Promise.reject(refused) });
    expect(await failure(persist(pushed([...rich]), log))).toBe(refused);
    const snapshot = (await inner.snapshot())!;
    expect(snapshot.status).toBe("failed");
    expect(snapshot.failure).toMatchObject({ message: "storage refused the end" });
    // The message it could not close with, kept whole as the partial.
    expect(snapshot.message).toEqual(await ChatModelStream.from(rich).output);
  });

  it("a log that refuses the failure too: persist rejects with the close's error", async () => {
    const { log: inner } = fresh();
    const refused = new Error("storage down");
    const log = wrap(inner, { close: () => Promise.reject(refused), fail: () => Promise.reject(new Error("still down")) });
    expect(await failure(persist(pushed([...rich]), log))).toBe(refused);
    expect((await inner.snapshot())!.status).toBe("running");
  });

  it("bad options throw at once", () => {
    const { log } = fresh();
    expect(() => persist(new ChatModelStream(), log, { flushMs: -1 })).toThrow(RangeError);
    expect(() => persist(new ChatModelStream(), log, { onDisconnect: "never" as "cancel" })).toThrow(TypeError);
  });
});
