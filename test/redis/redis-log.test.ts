// What only the Redis engine promises: how it lays a generation out in Redis (explicit stream ids,
// expiry, MAXLEN), a vanished producer finished once, Stop across clients, and connections: one per
// waiting live read, released when it leaves, and a read that errors when its server dies. Node only.
import { beforeAll, describe, expect, it } from "vitest";
import type { AIMessage, ProtocolEvent } from "../../src/protocol.ts";
import { RedisLogStore, type LogRow, type RedisLogClient, type RedisLogStoreOptions } from "../../src/redis.ts";
import { startRedis } from "./redis-server.ts";
import { useRedis } from "./use-redis.ts";
import { failure as rejection, readAll } from "../helpers.ts";

type Client = RedisLogClient;

const used = useRedis();
let named = 0;

/** A connected client; its connections, and its duplicates', carry `name` (see `connections`). */
const connect = (url = used.server.url, name = `client-${++named}`): Promise<Client> => used.connect({ url, name });

/** A store on a client of its own, named `name`: another server, as far as Redis can tell. */
async function newStore(options: RedisLogStoreOptions = {}, name?: string): Promise<RedisLogStore> {
  return new RedisLogStore(await connect(used.server.url, name), options);
}

let redis: Client;

beforeAll(async () => {
  redis = await connect();
});

let n = 0;
const freshId = (): string => `redis-test-${Date.now().toString(36)}-${++n}`;

function text(value: string): ProtocolEvent {
  return { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: value } };
}

function row(seq: number): LogRow {
  return { seq, events: seq === 1 ? [{ event: "message-start", id: "m1" }, text("r1 ")] : [text(`r${seq} `)] };
}

const message: AIMessage = { type: "ai", content: "done", tool_calls: [], invalid_tool_calls: [], response_metadata: {} };

/** The stream's entries as Redis holds them: [id, fields]. */
async function entries(key: string): Promise<[string, string[]][]> {
  return (await redis.sendCommand(["XRANGE", key, "-", "+"])) as [string, string[]][];
}

/** The server's connections: all, or those of the client named `name` and its duplicates. */
async function connections(name?: string): Promise<number> {
  const lines = String(await redis.sendCommand(["CLIENT", "LIST"])).trim().split("\n");
  return name === undefined ? lines.length : lines.filter((line) => line.includes(` name=${name} `)).length;
}

describe("RedisLog in Redis", () => {
  it("row seq is the stream entry <seq>-0 while running; the end packs the rows into <last>-0 entries and adds <seq>-1, under the prefix and the id's hash tag", async () => {
    const store = await newStore({ prefix: "t:" });
    const id = freshId();
    const log = store.log(id);
    await log.open();
    for (let seq = 1; seq <= 3; seq++) await log.append(row(seq));
    const running = await entries(`t:{${id}}:rows`);
    expect(running.map(([entryId]) => entryId)).toEqual(["1-0", "2-0", "3-0"]);
    expect(running[1]![1]).toEqual(["e", JSON.stringify(row(2).events)]);
    await log.close(message);
    const stored = await entries(`t:{${id}}:rows`);
    expect(stored.map(([entryId, fields]) => [entryId, fields.slice(0, 3)])).toEqual([
      ["3-0", ["f", "1", "d"]],
      ["3-1", ["end", "finished"]],
    ]);
    expect(await readAll(log.read(0))).toEqual([row(1), row(2), row(3)]);
    expect(await redis.sendCommand(["HGET", `t:{${id}}:meta`, "status"])).toBe("finished");
  });

  it("a generation with no row ends with the entry 0-1", async () => {
    const store = await newStore({ prefix: "t:" });
    const id = freshId();
    const log = store.log(id);
    await log.open();
    await log.fail("aborted", { message: "Stopped" }, undefined);
    expect((await entries(`t:{${id}}:rows`)).map(([entryId]) => entryId)).toEqual(["0-1"]);
    expect(await readAll(log.read(0, { live: true }))).toEqual([]);
  });

  it("the keys expire runningTtlMs after the last append while running, retentionMs after the end", async () => {
    const store = await newStore({ prefix: "t:", runningTtlMs: 3_600_000, retentionMs: 120_000 });
    const id = freshId();
    const log = store.log(id);
    const ttl = async (key: string): Promise<number> => Number(await redis.sendCommand(["PTTL", `t:{${id}}:${key}`]));
    await log.open();
    expect(await ttl("meta")).toBeGreaterThan(3_500_000);
    await log.append(row(1));
    expect(await ttl("rows")).toBeGreaterThan(3_500_000);
    await log.close(message);
    for (const key of ["meta", "rows"]) {
      expect(await ttl(key)).toBeLessThanOrEqual(120_000);
      expect(await ttl(key)).toBeGreaterThan(100_000);
    }
  });

  it("retentionMs Infinity keeps an ended generation: no expiry", async () => {
    const store = await newStore({ prefix: "t:", retentionMs: Infinity });
    const id = freshId();
    const log = store.log(id);
    await log.open();
    await log.append(row(1));
    await log.close(message);
    expect(await redis.sendCommand(["PTTL", `t:{${id}}:meta`])).toBe(-1);
    expect(await redis.sendCommand(["PTTL", `t:{${id}}:rows`])).toBe(-1);
  });

  it("an ended generation is gone after its retention: no snapshot, a read is not_found, the id opens again", async () => {
    const store = await newStore({ retentionMs: 30 });
    const log = store.log(freshId());
    await log.open();
    await log.append(row(1));
    await log.close(message);
    await expect.poll(() => log.snapshot(), { timeout: 3000, interval: 20 }).toBeUndefined();
    expect((await rejection(readAll(log.read(0)))) as { code?: string }).toMatchObject({ code: "not_found" });
    await log.open();
    expect(await log.snapshot()).toMatchObject({ status: "running", seq: 0 });
  });

  it("MAXLEN keeps the last maxRows rows; a read that needs a trimmed one errors with not_found", async () => {
    const store = await newStore({ prefix: "t:", maxRows: 3 });
    const id = freshId();
    const log = store.log(id);
    await log.open();
    for (let seq = 1; seq <= 6; seq++) await log.append(row(seq));
    expect(await redis.sendCommand(["XLEN", `t:{${id}}:rows`])).toBe(3);
    for (const live of [false, true]) {
      const error = (await rejection(readAll(log.read(0, { live })))) as { code?: string; message: string };
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe("not_found");
      expect(error.message).toMatch(/trimmed/);
    }
    expect((await readAll(log.read(3))).map((r) => r.seq)).toEqual([4, 5, 6]);
    // Packed at the end, the rows kept still say which ones are missing.
    await log.close(message);
    expect((await entries(`t:{${id}}:rows`)).map(([entryId, fields]) => [entryId, fields.slice(0, 2)])).toEqual([["6-0", ["f", "4"]], ["6-1", ["end", "finished"]]]);
    expect((await rejection(readAll(log.read(1)))) as { message: string }).toMatchObject({ code: "not_found", message: expect.stringMatching(/rows 2 to 3 .* were trimmed/) });
    expect((await readAll(log.read(4))).map((r) => r.seq)).toEqual([5, 6]);
  });

  it("a bad option throws a RangeError (bad_option)", () => {
    for (const options of [{ retentionMs: -1 }, { runningTtlMs: Infinity }, { producerTimeoutMs: 0 }, { maxRows: 1.5 }, { maxLiveReads: 0 }]) {
      expect(() => new RedisLogStore(redis, options)).toThrow(RangeError);
    }
  });
});

describe("a vanished producer", () => {
  it("is finished once, as failed with code timeout and the partial message, by two readers that notice at once", async () => {
    const id = freshId();
    const producer = (await newStore({ producerTimeoutMs: 150 })).log(id);
    await producer.open();
    await producer.append({ seq: 1, events: [{ event: "message-start", id: "m1" }, { event: "content-block-start", index: 0, content: { type: "text", text: "" } }, text("Hel")] });
    await producer.append({ seq: 2, events: [text("lo")] });
    // The producer goes silent. Two readers on two other servers wait, notice, and race to finish it.
    const [a, b] = [await newStore({ producerTimeoutMs: 150 }), await newStore({ producerTimeoutMs: 150 })];
    const reads = await Promise.all([readAll(a.log(id).read(0, { live: true })), readAll(b.log(id).read(2, { live: true }))]);
    const failure = { message: "The producer appended nothing for 150 ms", code: "timeout" };
    const closing = { seq: 3, events: [{ event: "error", ...failure }] };
    expect(reads[0].map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(reads[0][2]).toEqual(closing);
    expect(reads[1]).toEqual([closing]);
    const snapshot = await producer.snapshot();
    expect(snapshot).toMatchObject({ status: "failed", seq: 3, failure });
    expect(snapshot!.message).toMatchObject({ type: "ai", id: "m1", content: [{ type: "text", text: "Hello" }] });
    // Once: one error row (packed with the others), one end.
    const stored = await entries(`cms:{${id}}:rows`);
    expect(stored.map(([entryId, fields]) => `${entryId}:${fields[0]}${fields[1]}`)).toEqual(["3-0:f1", "3-1:endfailed"]);
    const late = await rejection(producer.append({ seq: 3, events: [text("!")] }));
    expect(late).toMatchObject({ code: "invalid_state" });
  });

  it("a producer that keeps appending is not finished, however long the answer", async () => {
    const store = await newStore({ producerTimeoutMs: 200 });
    const log = store.log(freshId());
    await log.open();
    const reading = readAll(log.read(0, { live: true }));
    for (let seq = 1; seq <= 8; seq++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await log.append(row(seq));
    }
    await log.close(message);
    expect((await reading).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await log.snapshot()).toMatchObject({ status: "finished" });
  });

  it("a generation with no row is finished without a partial message", async () => {
    const store = await newStore({ producerTimeoutMs: 50 });
    const log = store.log(freshId());
    await log.open();
    expect(await readAll(log.read(0, { live: true }))).toEqual([{ seq: 1, events: [{ event: "error", message: "The producer appended nothing for 50 ms", code: "timeout" }] }]);
    const snapshot = await log.snapshot();
    expect(snapshot).toMatchObject({ status: "failed" });
    expect(snapshot!.message).toBeUndefined();
  });
});

describe("Stop across servers", () => {
  it("a stop on one client reaches the producer listening on another, and the subscription is released after", async () => {
    const id = freshId();
    const producer = (await newStore({}, "stop-producer")).log(id);
    await producer.open();
    expect(await connections("stop-producer")).toBe(1);
    const listening = new AbortController();
    const stopped = producer.stopped(listening.signal);
    // One subscriber connection while listening.
    await expect.poll(() => connections("stop-producer")).toBe(2);
    await (await newStore()).log(id).stop("from the other server");
    expect(await stopped).toBe("from the other server");
    listening.abort();
    await expect.poll(() => connections("stop-producer")).toBe(1);
    expect(String(await redis.sendCommand(["PUBSUB", "NUMSUB", `cms:{${id}}:stop`]))).toBe(`cms:{${id}}:stop,0`);
  });

  it("a stop published while the subscriber connection was down is still heard, by its flag, once it is back", async () => {
    const id = freshId();
    // Its connections reconnect 200 ms after a drop: the stop below lands in that gap.
    const slow = await used.connect({ reconnectAfterMs: 200 });
    // The producer's client, telling when its check of the flag after subscribing has its reply.
    let checked!: () => void;
    const flagChecked = new Promise<void>((resolve) => (checked = resolve));
    const watched: RedisLogClient = {
      sendCommand: async (args) => {
        const reply = await slow.sendCommand(args);
        if (args[0] === "HMGET" && args.includes("stop")) checked();
        return reply;
      },
      duplicate: () => slow.duplicate(),
      connect: () => slow.connect(),
      destroy: () => slow.destroy(),
      on: (event: "error" | "ready", listener: (error: Error) => void) => (event === "error" ? slow.on(event, listener) : slow.on(event, listener as () => void)),
      subscribe: (channel, listener) => slow.subscribe(channel, listener),
      unsubscribe: (channel, listener) => slow.unsubscribe(channel, listener),
    };
    const producer = new RedisLogStore(watched).log(id);
    await producer.open();
    const listening = new AbortController();
    let heard: string | undefined;
    const stopped = producer.stopped(listening.signal).then((reason) => (heard = reason));
    await flagChecked;
    // Drop the subscriber's connection while the server takes no new one, so that it is still
    // away when the stop is published to nobody; then let it back.
    await redis.sendCommand(["CONFIG", "SET", "maxclients", "1"]); // the connected stay
    try {
      await redis.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      await new RedisLogStore(redis).log(id).stop("while reconnecting");
      expect(String(await redis.sendCommand(["PUBSUB", "NUMSUB", `cms:{${id}}:stop`]))).toBe(`cms:{${id}}:stop,0`);
    } finally {
      await redis.sendCommand(["CONFIG", "SET", "maxclients", "10000"]);
    }
    expect(heard).toBeUndefined();
    await stopped;
    expect(heard).toBe("while reconnecting");
    listening.abort();
  });

  it("producers of many generations share one subscriber connection", async () => {
    const store = await newStore({}, "shared-subscriber");
    const logs = Array.from({ length: 5 }, () => store.log(freshId()));
    for (const log of logs) await log.open();
    const listening = new AbortController();
    const all = Promise.all(logs.map((log) => log.stopped(listening.signal)));
    await expect.poll(() => connections("shared-subscriber")).toBe(2);
    for (const [i, log] of logs.entries()) await log.stop(`stop ${i}`);
    expect(await all).toEqual(logs.map((_, i) => `stop ${i}`));
    await expect.poll(() => connections("shared-subscriber")).toBe(1);
  });
});

describe("connections of live reads", () => {
  it("a waiting live read holds one connection; cancel or abort releases it", async () => {
    const store = await newStore({}, "live-cancel");
    const log = store.log(freshId());
    await log.open();
    await log.append(row(1));
    const controller = new AbortController();
    const readers = [log.read(0, { live: true }).getReader(), log.read(0, { live: true, signal: controller.signal }).getReader()];
    for (const reader of readers) expect((await reader.read()).value!.seq).toBe(1);
    const waits = readers.map((reader) => reader.read().catch((error: unknown) => error));
    await expect.poll(() => store.liveReads()).toBe(2);
    await expect.poll(() => connections("live-cancel")).toBe(3);
    await readers[0]!.cancel("left");
    controller.abort(new Error("left too"));
    expect(await waits[0]).toEqual({ done: true, value: undefined });
    expect(await waits[1]).toMatchObject({ message: "left too" });
    expect(store.liveReads()).toBe(0);
    await expect.poll(() => connections("live-cancel")).toBe(1);
  });

  it("a read that ends releases its connection", async () => {
    const store = await newStore({}, "live-end");
    const log = store.log(freshId());
    await log.open();
    const reading = readAll(log.read(0, { live: true }));
    await expect.poll(() => connections("live-end")).toBe(2);
    await log.append(row(1));
    await log.close(message);
    expect(await reading).toEqual([row(1)]);
    expect(store.liveReads()).toBe(0);
    await expect.poll(() => connections("live-end")).toBe(1);
  });

  it("live reads past maxLiveReads error with a RangeError; the others go on", async () => {
    const store = await newStore({ maxLiveReads: 2 });
    const log = store.log(freshId());
    await log.open();
    const first = [readAll(log.read(0, { live: true })), readAll(log.read(0, { live: true }))];
    await expect.poll(() => store.liveReads()).toBe(2);
    const third = (await rejection(readAll(log.read(0, { live: true })))) as { code?: string };
    expect(third).toBeInstanceOf(RangeError);
    expect(third.code).toBe("bad_option");
    await log.append(row(1));
    await log.close(message);
    expect(await Promise.all(first)).toEqual([[row(1)], [row(1)]]);
  });

  it("a live read whose server dies errors, rather than waiting for it to come back", async () => {
    const own = await startRedis();
    try {
      const store = new RedisLogStore(await connect(own.url));
      const log = store.log(freshId());
      await log.open();
      await log.append(row(1));
      const reader = log.read(0, { live: true }).getReader();
      expect((await reader.read()).value).toEqual(row(1));
      const waiting = rejection(reader.read());
      await expect.poll(() => store.liveReads()).toBe(1);
      await own.kill();
      const error = await waiting;
      expect(error).toBeInstanceOf(Error);
      expect(store.liveReads()).toBe(0);
    } finally {
      await own.kill();
    }
  });
});
