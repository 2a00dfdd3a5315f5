// RedisLog passes the StreamLog contract, against a redis-server of its own. Node only.
import { beforeAll } from "vitest";
import { RedisLogStore } from "../../src/redis.ts";
import { describeStreamLogContract } from "../log-contract.ts";
import { useRedis } from "./use-redis.ts";

const redis = useRedis();
let store: RedisLogStore;

beforeAll(async () => {
  store = new RedisLogStore(await redis.connect());
});

describeStreamLogContract("redis", (id) => store.log(id), { heldReads: (id) => store.liveReads(id) });
