/**
 * `chat-model-stream/cloudflare`: durable streams on Cloudflare Durable Objects. A separate entry
 * point: it imports `cloudflare:workers`, which exists only in workerd, so the main entry never
 * loads it.
 *
 * - `StreamLogObject`: the Durable Object that stores one generation (export it from your Worker).
 * - `DurableStreamLog`: the `StreamLog` over its stub, for `persist`, reads and Stop.
 *
 * @module
 */
export { StreamLogObject, type StreamLogObjectOptions, type StreamLogObjectReply, type StreamLogObjectStats } from "./log/durable-object.ts";
export { DurableStreamLog, type StreamLogObjectStub, type StreamLogObjectStubSource } from "./log/durable-stream-log.ts";
export type { LogFailure, LogReadOptions, LogRow, LogSnapshot, LogStatus, StreamLog } from "./log/stream-log.ts";
