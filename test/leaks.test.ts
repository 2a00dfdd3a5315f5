// Issue 6, leaks: 10k streams created and consumed, aborted, cancelled, failed or abandoned, in a loop.
// Nothing may stay behind: no listener on a signal they share, no timer, and (in Node, where the
// node project exposes `gc`) no heap beyond a few MB once collected.
import { describe, expect, it } from "vitest";
import { ChatModelStream, type ChatModelStreamOptions } from "../src/index.ts";
import { type Event, feed, messageStart, scriptedSource, settle, textMessage } from "./helpers.ts";

const N = 10_000;
/** 10k streams take 1.5–4 s here; a CPU kept busy by another process can make that several times more. */
const LONG = 120_000;
const deltas = Array.from({ length: 12 }, (_, i) => `word${i} `);
const message: Event[] = [
  ...textMessage(...deltas).slice(0, -1),
  { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "c1", name: "f", args: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "tool_call_chunk", args: '{"a":1}' } },
  { event: "message-finish", reason: "stop" },
];
const unfinished = message.slice(0, 6);


type Ending = (options: ChatModelStreamOptions) => Promise<void>;

/** Ways a stream ends: each runs one stream to that end. */
const endings: Record<string, Ending> = {
  "awaited to the end": async (options) => {
    await ChatModelStream.from(message, options).output;
  },
  "read to the end": async (options) => {
    const reader = ChatModelStream.from(scriptedSource(message, { end: "hang" }).readable, options).text.getReader();
    while (!(await reader.read()).done);
  },
  "aclose() mid-message": async (options) => {
    const stream = ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options);
    await stream.text.getReader().read();
    await stream.aclose();
  },
  "its only reader cancelled": async (options) => {
    const reader = ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options).text.getReader();
    await reader.read();
    await reader.cancel();
  },
  "failed by an error event": async (options) => {
    const stream = feed(new ChatModelStream(options), [messageStart, { event: "error", message: "boom" }]);
    await stream.output.catch(() => {});
  },
};

/** A stream made and dropped unread. */
const unread: Record<string, Ending> = {
  "never read": async (options) => {
    void ChatModelStream.from(scriptedSource(message, { end: "hang" }).readable, options);
  },
};

/** Ways a stream is dropped without ending. */
const abandonments: Record<string, Ending> = {
  ...unread,
  // Its source went quiet and its reader left without cancelling: it waits, and nothing refers to it.
  "read once, then dropped": async (options) => {
    await ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable, options).text.getReader().read();
  },
};

/** A signal that counts the abort listeners registered on it and not yet removed. */
function countedSignal(): { signal: AbortSignal; listeners(): number } {
  const signal = new AbortController().signal;
  const live = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: unknown, options?: unknown) => {
    if (type === "abort") live.add(listener);
    add(type, listener as EventListener, options as AddEventListenerOptions);
  }) as AbortSignal["addEventListener"];
  signal.removeEventListener = ((type: string, listener: unknown, options?: unknown) => {
    if (type === "abort") live.delete(listener);
    remove(type, listener as EventListener, options as EventListenerOptions);
  }) as AbortSignal["removeEventListener"];
  return { signal, listeners: () => live.size };
}

/** Counts timers set through the global setTimeout and neither run nor cleared, while installed. */
function countedTimers(): { live(): number; restore(): void } {
  const g = globalThis as unknown as { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout };
  const { setTimeout: set, clearTimeout: clear } = g;
  const live = new Set<unknown>();
  g.setTimeout = ((callback: () => void, ms?: number) => {
    const id: unknown = set(() => {
      live.delete(id);
      callback();
    }, ms);
    live.add(id);
    return id;
  }) as typeof setTimeout;
  g.clearTimeout = ((id: unknown) => {
    live.delete(id);
    clear(id as Parameters<typeof clearTimeout>[0]);
  }) as typeof clearTimeout;
  return {
    live: () => live.size,
    restore() {
      g.setTimeout = set;
      g.clearTimeout = clear;
    },
  };
}

/** Runs N streams, cycling through `ways`, each with `options(i)`. */
async function loop(ways: Record<string, Ending>, options: (i: number) => ChatModelStreamOptions): Promise<void> {
  const all = Object.values(ways);
  for (let i = 0; i < N; i++) await all[i % all.length]!(options(i));
  await settle();
}

// Generous limits, so every stream runs with its timers armed; none of them fires in the test.
const limits: ChatModelStreamOptions = {
  idleTimeoutMs: 60_000,
  firstTokenTimeoutMs: 60_000,
  totalTimeoutMs: 60_000,
  maxEvents: 1_000_000,
  maxBytes: 100_000_000,
};

describe(`${N} streams sharing one signal`, () => {
  it("that ended leave no listener on it", async () => {
    const shared = countedSignal();
    await loop(endings, () => ({ ...limits, signal: shared.signal }));
    expect(shared.listeners()).toBe(0);
  }, LONG);

  it("that were abandoned unread leave no listener on it", async () => {
    const shared = countedSignal();
    await loop(unread, () => ({ ...limits, signal: shared.signal }));
    expect(shared.listeners()).toBe(0);
  }, LONG);
});

describe(`${N} streams with limits and timeouts`, () => {
  it("that ended leave no timer behind", async () => {
    const timers = countedTimers();
    try {
      await loop(endings, () => limits);
      expect(timers.live()).toBe(0);
    } finally {
      timers.restore();
    }
  }, LONG);
});

// `gc` is exposed in the node project only (vitest.config.ts: execArgv --expose-gc); workerd has none.
const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage;
const MB = 1024 * 1024;

describe(`${N} streams, each with its own signal`, () => {
  it.skipIf(gc === undefined || heapUsed === undefined)("leave the heap flat once collected", async () => {
    // Without timeouts: a stream with one armed keeps itself (and its source) until it fires.
    const ways = { ...endings, ...abandonments };
    const each = (): ChatModelStreamOptions => ({ signal: new AbortController().signal });
    const collected = async (): Promise<number> => {
      await settle();
      gc!();
      gc!();
      return heapUsed!().heapUsed;
    };
    await loop(ways, each); // warm up: compiled code, interned strings, pools
    const before = await collected();
    await loop(ways, each);
    const after = await collected();
    expect((after - before) / MB).toBeLessThan(3);
  }, LONG);
});
