/**
 * Durable streams (issue 13), on MemoryLog: how many log rows `persist` makes of an answer and
 * what a resume costs in bytes. These are counts, not timings (except the reconnect row), so they
 * are exact and repeatable; the paced answer runs on fake timers (@sinonjs/fake-timers), 20 ms per
 * delta (50 tokens a second), so its 20 s take no wall time.
 *
 * - Log rows per 1,000-delta answer (no target): at full speed (the model's deltas all there at
 *   once), and at a realistic pace with the default flush (4 KiB / 50 ms) and with a 2.5 s flush. A
 *   log row is a unit of live latency (what a viewer gets at once), not a storage write: an engine
 *   may write many in one (the Durable Object engine's storage rows, target ≤ 10, are measured in
 *   workerd by bench/durable-object.ts; Redis's by bench/durable-redis.ts).
 * - Bytes a resume from the middle replays (target ≤ 1.1× the remaining content, as UTF-8): a
 *   connection dropped at the answer's middle character resumes after the last event it held
 *   whole; the body `resumeResponse` sends then, against the UTF-8 bytes of the text it lacked.
 *   At full speed the answer's deltas are one stored event, so its "middle" resumes before all of
 *   the text; paced, after about half of it. Either way the body is the text as one merged delta,
 *   the block's finish and the message's finish with its usage: the text's JSON escapes and about
 *   400 bytes of frames whatever the answer's length, so the ratio is that over the remaining text
 *   (also given in bytes, no target).
 * - Time from a dropped connection to resumed text (no target): `fromResponse` with `reconnect`
 *   (`delayMs: 0`) against `resumeResponse` in the same process, median of 50.
 */
import FakeTimers from "@sinonjs/fake-timers";
import { ChatModelStream, fromResponse, MemoryLogStore, persist, resumeResponse, type ProtocolEvent, type StreamLog } from "../src/index.ts";

export interface DurableRow {
  case: string;
  value: number;
  unit: string;
  /** The target, when the issue sets one: met when value ≤ limit. */
  limit?: number;
}

const WORDS = ["The ", "quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".", " Grüße", " 👋", "\n"];

/** A 1,000-delta answer of token-sized words, in one text block. */
export function answer(): ProtocolEvent[] {
  const events: ProtocolEvent[] = [
    { event: "message-start", id: "m1", metadata: { model_provider: "bench" } },
    { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
  ];
  let text = "";
  for (let i = 0; i < 1000; i++) {
    const word = WORDS[(i * 7) % WORDS.length]!;
    text += word;
    events.push({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text: word } });
  }
  events.push({ event: "content-block-finish", index: 0, content: { type: "text", text } });
  events.push({ event: "usage", usage: { input_tokens: 20, output_tokens: 1000, total_tokens: 1020 } });
  events.push({ event: "message-finish", reason: "stop" });
  return events;
}

/** Persists the answer at full speed; the log. */
async function fullSpeed(store: MemoryLogStore, id: string): Promise<StreamLog> {
  const log = store.log(id);
  await persist(ChatModelStream.from(answer()), log);
  return log;
}

/** Persists the answer at `msPerDelta` on fake timers; the log. */
async function paced(store: MemoryLogStore, id: string, msPerDelta: number, flushMs: number | undefined): Promise<StreamLog> {
  const log = store.log(id);
  await persistPaced(log, msPerDelta, flushMs === undefined ? {} : { flushMs });
  return log;
}

/**
 * Persists the answer into `log` with a delta every `msPerDelta` on a fake clock (setTimeout and
 * Date), so that a 20-second answer takes no wall time; `afterTick` runs after each step of the
 * clock (an engine's round trips can be let finish there, as they would between real deltas).
 */
export async function persistPaced(
  log: StreamLog,
  msPerDelta: number,
  options: { flushMs?: number } = {},
  afterTick: () => Promise<void> = async () => {},
): Promise<void> {
  const clock = FakeTimers.install({ now: Date.now(), toFake: ["setTimeout", "clearTimeout", "Date"], loopLimit: 100_000 });
  try {
    const events = answer();
    async function* source(): AsyncGenerator<ProtocolEvent> {
      for (const event of events) {
        if (event.event === "content-block-delta") await new Promise((resolve) => setTimeout(resolve, msPerDelta));
        yield event;
      }
    }
    let done = false;
    const run = persist(ChatModelStream.from(source()), log, options).finally(() => (done = true));
    while (!done) {
      await clock.tickAsync(msPerDelta);
      await afterTick();
    }
    await run;
  } finally {
    clock.uninstall();
  }
}

const utf8 = new TextEncoder();

/**
 * A connection dropped at the answer's middle character: the viewer holds the events before the
 * one that character is in (an event cut in two is dropped whole), and resumes after the last of
 * them. Its bytes, against the UTF-8 bytes of the text it did not have.
 */
export async function resumeFromMiddle(log: StreamLog): Promise<{ bytes: number; remaining: number }> {
  const rows: { id: string; text: string }[] = [];
  for await (const row of log.read(0)) {
    row.events.forEach((e, k) => rows.push({ id: `${row.seq}.${k}`, text: e.event === "content-block-delta" && e.delta.type === "text-delta" ? e.delta.text : "" }));
  }
  const total = rows.reduce((n, r) => n + r.text.length, 0);
  let seen = 0;
  let at = 0;
  while (seen + rows[at]!.text.length < total / 2) seen += rows[at++]!.text.length;
  const remaining = utf8.encode(rows.slice(at).map((r) => r.text).join("")).length;
  const headers: Record<string, string> = at === 0 ? {} : { "last-event-id": rows[at - 1]!.id };
  const response = await resumeResponse(log, new Request("http://bench/", { headers }));
  const bytes = (await response.arrayBuffer()).byteLength;
  return { bytes, remaining };
}

/** Median ms from a connection dropped mid-answer to the first text of the resumed one. */
export async function reconnectMs(log: StreamLog, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const first = await resumeResponse(log, new Request("http://bench/"));
    const reader = first.body!.getReader();
    let droppedAt = 0;
    // The first chunk of the replay, then a network error.
    const cut = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value } = await reader.read();
        if (value !== undefined && droppedAt === 0) {
          controller.enqueue(value.subarray(0, Math.floor(value.length / 3)));
          return;
        }
        await reader.cancel();
        droppedAt = performance.now();
        controller.error(new TypeError("network error"));
      },
    });
    const stream = fromResponse(new Response(cut, { headers: { "content-type": "text/event-stream" } }), {
      reconnect: { delayMs: 0, fetch: (id) => resumeResponse(log, new Request("http://bench/", { headers: { "last-event-id": id } })) },
    });
    const text = stream.text.getReader();
    let resumedAt = 0;
    for (;;) {
      const { done } = await text.read();
      if (done) break;
      if (droppedAt !== 0 && resumedAt === 0) resumedAt = performance.now();
    }
    samples.push(resumedAt - droppedAt);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** The durable-stream rows of `npm run bench`. */
export async function durableRows(): Promise<DurableRow[]> {
  // Kept for the whole run: the paced answers end 20 s ahead on the fake clock.
  const store = new MemoryLogStore({ retentionMs: Infinity });
  const rows: DurableRow[] = [];
  const fast = await fullSpeed(store, "fast");
  // Log rows: live latency units, not storage writes (see the module's comment).
  rows.push({ case: "(no target) durable (MemoryLog): log rows per 1,000-delta answer, full speed", value: (await fast.snapshot())!.seq, unit: " rows" });
  const slow = await paced(store, "slow", 20, undefined);
  rows.push({
    case: "(no target) durable (MemoryLog): log rows per 1,000-delta answer, 20 ms a delta (50 tok/s), flush 50 ms (default)",
    value: (await slow.snapshot())!.seq,
    unit: " rows",
  });
  const slowLong = await paced(store, "slow-2500", 20, 2500);
  rows.push({
    case: "(no target) durable (MemoryLog): log rows per 1,000-delta answer, 20 ms a delta (50 tok/s), flushMs 2500",
    value: (await slowLong.snapshot())!.seq,
    unit: " rows",
  });
  for (const [name, log] of [["full speed", fast], ["paced, flush 50 ms", slow]] as const) {
    const { bytes, remaining } = await resumeFromMiddle(log);
    rows.push({ case: `durable: bytes replayed by a resume from the middle (${name}) ÷ remaining content`, value: bytes / remaining, unit: "×", limit: 1.1 });
    rows.push({ case: `(no target) durable: bytes that resume sends beyond the remaining content (${name}): escapes, SSE frames, closing events`, value: bytes - remaining, unit: " B" });
  }
  rows.push({ case: "(no target) durable: dropped connection → resumed text, in-process MemoryLog, median ms", value: await reconnectMs(slow, 50), unit: " ms" });
  return rows;
}
