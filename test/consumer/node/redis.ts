// chat-model-stream/redis as a Node 20 user installs it, without the `redis` package (an optional
// peer dependency): the entry point loads and type-checks with `skipLibCheck: false`, and takes any
// client of the structural `RedisLogClient` shape. Compiled by tsc, then run under Node.
import { RedisLog, RedisLogStore, type LogSnapshot, type RedisLogClient, type RedisLogStoreOptions, type StreamLog } from "chat-model-stream/redis";

let checks = 0;
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`consumer check failed: ${what}`);
  checks += 1;
}

/** A client whose server is always down: every command rejects with its own error. */
const down = new Error("connection refused");
const client: RedisLogClient = {
  sendCommand: () => Promise.reject(down),
  duplicate: () => client,
  connect: () => Promise.reject(down),
  destroy: () => {},
  on: () => client,
  subscribe: () => Promise.reject(down),
  unsubscribe: () => Promise.resolve(),
};

const options: RedisLogStoreOptions = { prefix: "app:", retentionMs: 60_000, producerTimeoutMs: 120_000, maxLiveReads: 10 };
const store = new RedisLogStore(client, options);
const log: StreamLog = store.log("chat-1");
check(log instanceof RedisLog && (log as RedisLog).id === "chat-1", "store.log(id) is a RedisLog of that id");
check(store.liveReads() === 0 && store.liveReads("chat-1") === 0, "no live read yet");
const snapshot: Promise<LogSnapshot | undefined> = log.snapshot();
check((await snapshot.catch((error: unknown) => error)) === down, "the client's error passes through unchanged");
check((await log.read(0).getReader().read().catch((error: unknown) => error)) === down, "a read errors with it too");
try {
  new RedisLogStore(client, { retentionMs: -1 });
  check(false, "a bad option throws");
} catch (error) {
  check(error instanceof RangeError && (error as { code?: unknown }).code === "bad_option", "a bad option is a RangeError (bad_option)");
}
// @ts-expect-error a client without sendCommand is not a RedisLogClient (fails if the type is `any`)
void (() => new RedisLogStore({ duplicate: () => client }));

console.log(`consumer redis: ${checks} checks passed`);
