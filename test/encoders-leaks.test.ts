// A response body that its client drops without cancelling it (a connection gone, a runtime that
// never calls `cancel`) must be collectable: its heartbeat timer must not keep it, and with it the
// whole stream, alive. Heap measured where `gc` is exposed (the node project); skipped elsewhere.
import { describe, expect, it, vi } from "vitest";
import { ChatModelStream, toResponse } from "../src/index.ts";
import { type Event, scriptedSource, settle, textMessage } from "./helpers.ts";

const N = 5_000;
// Enough text that a stream kept alive by mistake shows in the heap.
const unfinished: Event[] = textMessage(...Array.from({ length: 12 }, (_, i) => `word${i} `)).slice(0, -1);


type Abandon = () => Promise<void>;

/** Ways a client drops an SSE body (default heartbeat, 15 s: no beat runs during the test). */
const abandonments: Record<string, Abandon> = {
  "read once, then dropped": async () => {
    const body = toResponse(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable)).body!;
    await body.getReader().read();
  },
  // The read waits for a model that went quiet: the timer is armed for it, and the body is dropped.
  "dropped with a read pending": async () => {
    const body = toResponse(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable)).body!;
    const reader = body.getReader();
    // Every event the model sends (a turn's events may share a chunk), then a read that waits.
    const decoder = new TextDecoder();
    let seen = "";
    while (!seen.includes("word11 ")) seen += decoder.decode((await reader.read()).value);
    void reader.read();
  },
};

async function loop(): Promise<void> {
  const ways = Object.values(abandonments);
  for (let i = 0; i < N; i++) await ways[i % ways.length]!();
  await settle();
}

// `gc` is exposed in the node project only (vitest.config.ts: execArgv --expose-gc); workerd has none.
const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage;
const MB = 1024 * 1024;

describe(`${N} SSE bodies dropped without cancel`, () => {
  it.skipIf(gc === undefined || heapUsed === undefined)("leave the heap flat once collected", async () => {
    const collected = async (): Promise<number> => {
      await settle();
      gc!();
      gc!();
      return heapUsed!().heapUsed;
    };
    await loop(); // warm up: compiled code, interned strings, pools
    const before = await collected();
    await loop();
    const after = await collected();
    expect((after - before) / MB).toBeLessThan(3);
  }, 120_000);
});

// Runs everywhere (workerd has no gc): what makes the body collectable is that the timer is not kept
// armed for a client that stopped reading, and holds the body only weakly while it is.
describe("the heartbeat timer of an SSE body", () => {
  it("disarms once the client stops asking for bytes, and re-arms when it reads again", async () => {
    vi.useFakeTimers();
    try {
      const reader = toResponse(ChatModelStream.from(scriptedSource(unfinished, { end: "hang" }).readable), { heartbeatMs: 1000 }).body!.getReader();
      await reader.read();
      const armed = vi.getTimerCount();
      // The first tick clears the "just written" mark; the next finds no read waiting.
      vi.advanceTimersByTime(2000);
      const idle = vi.getTimerCount();
      // A read again (it may wait: a turn's events can all have come in the first chunk).
      const next = reader.read();
      const again = vi.getTimerCount();
      await reader.cancel();
      await next;
      expect([armed, idle, again, vi.getTimerCount()]).toEqual([1, 0, 1, 0]);
    } finally {
      vi.useRealTimers();
    }
  });
});
