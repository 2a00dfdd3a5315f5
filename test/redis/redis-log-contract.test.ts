// RedisLog passes the StreamLog contract, against a redis-server of its own. Node only.
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import { RedisLogStore } from "../../src/redis.ts";
import { describeStreamLogContract } from "../log-contract.ts";
import { startRedis, type RedisServer } from "./redis-server.ts";

let server: RedisServer;
let client: ReturnType<typeof createClient>;
let store: RedisLogStore;

beforeAll(async () => {
  server = await startRedis();
  client = createClient({ url: server.url });
  await client.connect();
  store = new RedisLogStore(client);
});

afterAll(async () => {
  client?.destroy();
  await server?.kill();
});

describeStreamLogContract("redis", (id) => store.log(id), { heldReads: (id) => store.liveReads(id) });
