/**
 * Durable streams on Redis (issue 13): bench/durable.ts's answer and measures, on `RedisLog` against
 * a redis-server of its own on 127.0.0.1 (Debian's, as the tests start it; without one the rows are
 * left out). Counts, except the reconnect row:
 *
 * - Storage rows per 1,000-delta answer at full speed (target ≤ 10): the stream entries written,
 *   the end entry included, counted by Redis (`XLEN`).
 * - Round trips of the producer for that answer: the commands its client sent (a wrapping client
 *   counts them; scripts are cached, as after a server's first answer).
 * - Redis memory of the stored answer (`MEMORY USAGE` of its two keys) ÷ the UTF-8 bytes of its text.
 * - Bytes a resume from the middle replays ÷ the remaining content (target ≤ 1.1×), as on MemoryLog.
 * - Time from a dropped connection to resumed text over Redis, median of 50.
 */
import { createClient } from "redis";
import { ChatModelStream, persist } from "../src/index.ts";
import { RedisLogStore, type RedisLogClient } from "../src/redis.ts";
import { startRedis } from "../test/redis/redis-server.ts";
import { answer, reconnectMs, resumeFromMiddle, type DurableRow } from "./durable.ts";

/** `client`, counting the commands sent through it and through its duplicates. */
function counting(client: RedisLogClient, counter: { sent: number }): RedisLogClient {
  return {
    sendCommand: (args) => (counter.sent++, client.sendCommand(args)),
    duplicate: () => counting(client.duplicate(), counter),
    connect: () => client.connect(),
    destroy: () => client.destroy(),
    on: (event, listener) => client.on(event, listener),
    subscribe: (channel, listener) => (counter.sent++, client.subscribe(channel, listener)),
    unsubscribe: (channel, listener) => (counter.sent++, client.unsubscribe(channel, listener)),
  };
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
    const counter = { sent: 0 };
    const store = new RedisLogStore(counting(client, counter), { retentionMs: 600_000 });
    // The first answer loads the scripts into the server.
    await persist(ChatModelStream.from(answer()), store.log("warm-up"));
    counter.sent = 0;
    const log = store.log("fast");
    await persist(ChatModelStream.from(answer()), log);
    const sent = counter.sent;
    const entries = Number(await client.sendCommand(["XLEN", "cms:{fast}:rows"]));
    const memory = Number(await client.sendCommand(["MEMORY", "USAGE", "cms:{fast}:rows"])) + Number(await client.sendCommand(["MEMORY", "USAGE", "cms:{fast}:meta"]));
    const text = new TextEncoder().encode(await ChatModelStream.from(answer()).text).length;
    const { bytes, remaining } = await resumeFromMiddle(log);
    return [
      { case: "durable on Redis: stream entries per 1,000-delta answer, full speed (rows + the end)", value: entries, unit: " rows", limit: 10 },
      { case: "(no target) durable on Redis: round trips of the producer for that answer", value: sent, unit: " commands" },
      { case: "(no target) durable on Redis: memory of the stored answer (both keys) ÷ its text's UTF-8 bytes", value: memory / text, unit: "×" },
      { case: "durable on Redis: bytes replayed by a resume from the middle (full speed) ÷ remaining content", value: bytes / remaining, unit: "×", limit: 1.1 },
      { case: "(no target) durable on Redis: dropped connection → resumed text, redis-server on 127.0.0.1, median ms", value: await reconnectMs(log, 50), unit: " ms" },
    ];
  } finally {
    client.destroy();
    await server.kill();
  }
}
