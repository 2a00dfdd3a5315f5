/**
 * `chat-model-stream/redis`: durable streams on Redis, for servers off Workers (Node, Deno, Bun).
 * A separate entry point: it takes the caller's `redis` client and never imports the package,
 * so the main entry, and users without Redis, neither load nor need it.
 *
 * - `RedisLogStore`: the client, the options, and the connections shared by its logs.
 * - `RedisLog`: the `StreamLog` of one generation, for `persist`, `resumeResponse` and Stop.
 *
 * @module
 */
export { RedisLog, RedisLogStore, type RedisLogClient, type RedisLogStoreOptions } from "./log/redis-log.ts";
export type { LogFailure, LogReadOptions, LogRow, LogSnapshot, LogStatus, StreamLog } from "./log/stream-log.ts";
