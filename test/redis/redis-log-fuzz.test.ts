// The fault fuzz on RedisLog: viewers cut at random byte offsets reconnect and see the log exactly,
// each viewer and the producer on a store of its own (as on different servers). Node only.
import { beforeAll, describe, expect, it } from "vitest";
import { RedisLogStore } from "../../src/redis.ts";
import { runLogFuzz } from "../log-fuzz.ts";
import { useRedis, type Connected } from "./use-redis.ts";

const CASES = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["LOG_FUZZ_CASES"] ?? 1000);

const redis = useRedis();
const clients: Connected[] = [];
const stores: RedisLogStore[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const client = await redis.connect();
    clients.push(client);
    stores.push(new RedisLogStore(client, { retentionMs: 60_000 }));
  }
});

describe("RedisLog fault fuzz", () => {
  it(`${CASES} seeded cases: every viewer reads the log exactly, whatever its cuts`, { timeout: 300_000 }, async () => {
    // Handles of one id go round the stores: the producer's, then each viewer's and each stop's.
    let next = 0;
    const report = await runLogFuzz((id) => stores[next++ % stores.length]!.log(id), {
      cases: CASES,
      idPrefix: "redis-fuzz",
      heldReads: (id) => stores.reduce((held, store) => held + store.liveReads(id), 0),
    });
    expect(report.cases).toBe(CASES);
    expect(report.cuts).toBeGreaterThan(CASES);
    expect(report.stopped).toBeGreaterThan(0);
    // Nothing waits on the server once every case ended: only the three stores' own connections.
    const list = String(await clients[0]!.sendCommand(["CLIENT", "LIST"]));
    expect(list.trim().split("\n")).toHaveLength(3);
  });
});
