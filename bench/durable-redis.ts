/**
 * Durable streams on Redis (issue 13): bench/durable.ts's answer and measures, on `RedisLog` against
 * a redis-server of its own on 127.0.0.1 (Debian's, as the tests start it; without one the rows are
 * left out). Counts, except the reconnect row:
 *
 * - Storage rows per 1,000-delta answer at full speed (target ≤ 10): the stream entries kept,
 *   the end entry included, counted by Redis (`XLEN`).
 * - The same answer at 20 ms a delta (50 tokens a second) with the default flush (4 KiB / 50 ms),
 *   on fake timers as in bench/durable.ts: the rows `persist` appended (one per 50 ms), the stream
 *   entries kept after the end once its rows are packed (target ≤ 10: what Redis holds for the
 *   retention), the producer's commands, its memory ÷ text, and a resume from its middle.
 * - Round trips of the producer for that answer: the commands its client sent (a wrapping client
 *   counts them; scripts are cached, as after a server's first answer).
 * - Redis memory of the stored answer (`MEMORY USAGE … SAMPLES 0` of its two keys: every element
 *   counted) ÷ the UTF-8 bytes of its text.
 * - Bytes a resume from the middle replays ÷ the remaining content (target ≤ 1.1×), as on MemoryLog.
 * - Time from a dropped connection to resumed text over Redis, median of 50.
 */
import { createClient } from "redis";
import { ChatModelStream, persist, type ProtocolEvent } from "../src/index.ts";
import { RedisLogStore, type RedisLog, type RedisLogClient } from "../src/redis.ts";
import { startRedis } from "../test/redis/redis-server.ts";
import { answer, persistPaced, reconnectMs, resumeFromMiddle, type DurableRow } from "./durable.ts";

interface Counter {
  sent: number;
  /** The commands sent and not answered yet. */
  readonly pending: Set<Promise<unknown>>;
}

/** `client`, counting the commands sent through it and through its duplicates. */
function counting(client: RedisLogClient, counter: Counter): RedisLogClient {
  return {
    sendCommand: (args) => {
      counter.sent++;
      const reply = client.sendCommand(args);
      const settled = reply.then(
        () => counter.pending.delete(settled),
        () => counter.pending.delete(settled),
      );
      counter.pending.add(settled);
      return reply;
    },
    duplicate: () => counting(client.duplicate(), counter),
    connect: () => client.connect(),
    destroy: () => client.destroy(),
    on: (event, listener) => client.on(event, listener),
    subscribe: (channel, listener) => (counter.sent++, client.subscribe(channel, listener)),
    unsubscribe: (channel, listener) => (counter.sent++, client.unsubscribe(channel, listener)),
  };
}

/** Resolves once no command of `counter` has been waiting for its reply for one turn of the (real) event loop. */
async function quiet(counter: Counter): Promise<void> {
  for (;;) {
    while (counter.pending.size > 0) await Promise.all(counter.pending);
    await new Promise((resolve) => setImmediate(resolve));
    if (counter.pending.size === 0) return;
  }
}

/**
 * Persists the answer with a delta every `msPerDelta` on a fake clock and the default flush (4 KiB /
 * 50 ms): after each step of the clock, Redis answers whatever the producer sent before the clock
 * moves on (as at a real pace, where a round trip to Redis takes far less than a delta's 20 ms).
 */
async function paced(log: RedisLog, counter: Counter, msPerDelta: number): Promise<void> {
  await persistPaced(log, msPerDelta, {}, () => quiet(counter));
}

/** Memory Redis holds for log `id` (both keys, every element counted), in bytes. */
async function memoryOf(client: RedisLogClient, id: string): Promise<number> {
  let bytes = 0;
  for (const key of ["rows", "meta"]) bytes += Number(await client.sendCommand(["MEMORY", "USAGE", `cms:{${id}}:${key}`, "SAMPLES", "0"]));
  return bytes;
}

/** The Redis rows of `npm run bench`; none when redis-server cannot be started. */
export async function redisRows(): Promise<DurableRow[]> {
  let server;
  try {
    server = await startRedis();
  } catch (error) {
    process.stderr.write(`durable on Redis: left out (${(error as Error).message.split("\n")[0]})\n`);
    return [];
  }
  const client = createClient({ url: server.url });
  try {
    await client.connect();
    const counter: Counter = { sent: 0, pending: new Set() };
    const store = new RedisLogStore(counting(client, counter), { retentionMs: 600_000 });
    // The first answer loads the scripts into the server.
    await persist(ChatModelStream.from(answer()), store.log("warm-up"));
    counter.sent = 0;
    const log = store.log("fast");
    await persist(ChatModelStream.from(answer()), log);
    const sent = counter.sent;
    const entries = Number(await client.sendCommand(["XLEN", "cms:{fast}:rows"]));
    const memory = await memoryOf(client, "fast");
    const text = new TextEncoder().encode(await ChatModelStream.from(answer()).text).length;
    const { bytes, remaining } = await resumeFromMiddle(log);
    counter.sent = 0;
    await paced(store.log("paced"), counter, 20);
    const pacedSent = counter.sent;
    const pacedEntries = Number(await client.sendCommand(["XLEN", "cms:{paced}:rows"]));
    const pacedRows = Number(await client.sendCommand(["HGET", "cms:{paced}:meta", "seq"]));
    const pacedMemory = await memoryOf(client, "paced");
    const pacedResume = await resumeFromMiddle(store.log("paced"));
    return [
      { case: "durable on Redis: stream entries kept per 1,000-delta answer, full speed (packs + the end)", value: entries, unit: " entries", limit: 10 },
      { case: "(no target) durable on Redis: round trips of the producer for that answer", value: sent, unit: " commands" },
      { case: "(no target) durable on Redis: memory of the stored answer (both keys) ÷ its text's UTF-8 bytes", value: memory / text, unit: "×" },
      { case: "durable on Redis: bytes replayed by a resume from the middle (full speed) ÷ remaining content", value: bytes / remaining, unit: "×", limit: 1.1 },
      { case: "(no target) durable on Redis: rows persist appended for that answer at 20 ms a delta (50 tok/s), default flush (4 KiB / 50 ms)", value: pacedRows, unit: " rows" },
      { case: "durable on Redis: stream entries kept after the end of that paced answer (XLEN, the end included)", value: pacedEntries, unit: " entries", limit: 10 },
      { case: "(no target) durable on Redis: round trips of the producer for the paced answer", value: pacedSent, unit: " commands" },
      { case: "(no target) durable on Redis: memory of the paced answer (both keys) ÷ its text's UTF-8 bytes", value: pacedMemory / text, unit: "×" },
      { case: "durable on Redis: bytes replayed by a resume from the middle (paced) ÷ remaining content", value: pacedResume.bytes / pacedResume.remaining, unit: "×", limit: 1.1 },
      { case: "(no target) durable on Redis: dropped connection → resumed text, redis-server on 127.0.0.1, median ms", value: await reconnectMs(log, 50), unit: " ms" },
    ];
  } finally {
    client.destroy();
    await server.kill();
  }
}
