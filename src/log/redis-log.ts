/**
 * `RedisLog`: the `StreamLog` engine for servers off Workers (Node, Deno, Bun), on Redis Streams.
 *
 * One generation is two keys and a channel, all under one hash tag (so that, on a cluster, they
 * would share a slot and one script could touch both; the engine takes a single-node client):
 * - `<prefix>{<id>}:rows`, a stream: while running, row `seq` is the entry `<seq>-0` (the producer
 *   knows its ids, so a reader's offset *is* the entry id). The end packs the rows: whoever ends
 *   the generation reads them back and packs them, and the end's script, if no row came since,
 *   makes the stream again as a few entries of up to 16 KiB, each a run of rows under its last
 *   row's id (a reader after a seq inside it gets it, and skips the rows it has), each row stored
 *   as what differs from the row before it, then the end entry `<seq>-1` that wakes every blocked
 *   reader. So what is kept for the retention is a few entries, about the size of the text,
 *   however slowly the answer came. `MAXLEN` bounds the rows while running.
 * - `<prefix>{<id>}:meta`, a hash: status, seq, times, the final or partial message, the failure,
 *   a stop's reason.
 * - `<prefix>{<id>}:stop`, the channel a stop is published on.
 *
 * Every change is one Lua script (open, append, end, stop), so two instances never both win an
 * end, and the expiry moves with it: refreshed by each append while running, then `retentionMs`.
 *
 * The client is the caller's, typed by the few methods used (`RedisLogClient`): this module never
 * imports `redis`, so the package installs and type-checks without it.
 *
 * @module
 */
import { coded } from "../errors.ts";
import type { AIMessage, ProtocolEvent } from "../protocol.ts";
import { foldPartial } from "./fold-partial.ts";
import type { LogFailure, LogReadOptions, LogRow, LogSnapshot, LogStatus, StreamLog } from "./stream-log.ts";

/**
 * The methods of a Redis client that `RedisLog` uses: those of a `redis` (node-redis ≥ 5) client
 * as `createClient()` returns it, connected. Live reads and Stop listeners need connections of
 * their own (a blocking `XREAD`, a subscription): they are made by `duplicate()` and destroyed
 * when done.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import type { RedisLogClient } from "chat-model-stream/redis";
 *
 * const client: RedisLogClient = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * console.log(await client.sendCommand(["PING"])); // "PONG"
 * ```
 *
 * Cancellation and errors: `RedisLog` passes the client's rejections through unchanged, and
 * listens for `error` on the connections it makes (a live read's first one errors that read; the
 * Stop subscriber's are left to the client, which reconnects and subscribes again).
 */
export interface RedisLogClient {
  /** Sends one command (its name and arguments as strings) and resolves with the reply. */
  sendCommand(args: string[]): Promise<unknown>;
  /** A new, unconnected client with the same options. */
  duplicate(): RedisLogClient;
  connect(): Promise<unknown>;
  /** Closes the connection at once; pending commands reject. */
  destroy(): void;
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Connected, and again after each reconnect. */
  on(event: "ready", listener: () => void): unknown;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}

/** Options of `RedisLogStore`; all are optional. */
export interface RedisLogStoreOptions {
  /**
   * The start of every key and channel name.
   * @default "cms:"
   */
  prefix?: string | undefined;
  /**
   * How long an ended generation stays readable, in milliseconds (the keys' expiry, set at the
   * end); `Infinity` keeps it until deleted.
   * @default 600000 (10 minutes)
   */
  retentionMs?: number | undefined;
  /**
   * The keys' expiry while running, set again by each append: a generation nobody appends to or
   * reads is gone after it.
   * @default 3600000 (1 hour)
   */
  runningTtlMs?: number | undefined;
  /**
   * How long a running generation may go without an append before a live reader that notices
   * finishes it as `failed` (code `timeout`), with the partial message folded from its rows: the
   * producer vanished (its process crashed or was redeployed). Keep it above the longest silence
   * of the model (a reasoning model may think for minutes before its first token).
   * @default 600000 (10 minutes)
   */
  producerTimeoutMs?: number | undefined;
  /**
   * The rows a generation keeps at most while it runs (`XADD … MAXLEN`): older ones are trimmed,
   * and a read that needs a trimmed row errors with `not_found`. Rows are coalesced (a 1,000-delta
   * answer is a few to a few hundred, packed into a few entries at its end), so this is a guard
   * against a runaway producer, not a window.
   * @default 100000
   */
  maxRows?: number | undefined;
  /**
   * How many live reads of this store may wait at once: each holds a connection of its own (a
   * blocking `XREAD`) while it waits; one more errors with a `RangeError`.
   * @default 1000
   */
  maxLiveReads?: number | undefined;
}

/** Entries (rows, or packs once ended) fetched per `XRANGE` / `XREAD`. */
const BATCH = 64;
/** At the end, rows are packed into entries of at most this many characters (one longer row is a pack alone). */
const PACK_CHARS = 16 * 1024;
/** Entries read back per `XRANGE` to be packed (512 rows of 4 KiB: about a millisecond of the server). */
const PACK_BATCH = 512;
/** A waiting reader wakes at least this often to see whether the producer vanished or the keys went. */
const MAX_BLOCK_MS = 10_000;

// Scripts. KEYS[1] is the meta hash, KEYS[2] the rows stream. Replies are strings ("ok", or what
// went wrong) rather than Redis errors, so that they become this package's coded errors. Times
// are the server's, so instances with skewed clocks agree on a producer's silence.
const NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) ";

const OPEN =
  NOW +
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
redis.call('DEL', KEYS[2])
local ms = string.format('%.0f', now)
redis.call('HSET', KEYS[1], 'status', 'running', 'seq', '0', 'startedAt', ms, 'updatedAt', ms)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 'ok'`;

// ARGV: seq, events JSON, maxRows, running TTL.
const APPEND =
  NOW +
  `local m = redis.call('HMGET', KEYS[1], 'status', 'seq')
if not m[1] then return 'not_found' end
if m[1] ~= 'running' then return 'ended:' .. m[1] end
local next = tostring(tonumber(m[2]) + 1)
if ARGV[1] ~= next then return 'seq:' .. next end
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], next .. '-0', 'e', ARGV[2])
redis.call('HSET', KEYS[1], 'seq', next, 'updatedAt', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 'ok'`;

// ARGV: status, message JSON or '', failure JSON or '', retention ms or '' (keep), the seq of the
// last row the caller read, '' or (for a vanished producer) its timeout, then the packs of the rows
// read (a vanished producer's error row, one past that seq, included): per pack its last seq, its
// first and its rows (see `pack`).
//
// The end packs the rows: the stream is made again as those packs, each the entry of its last
// row's id `<last>-0` with the fields 'f' (its first seq) and 'd' (its rows), then the end entry.
// The caller read the rows and packed them; the script stores them only if the log still ends at
// the row it read (rows never change, and only an append, which moves the seq, adds or trims any).
// In one script, so a reader sees the rows or the packs, never a mix of both; and a reader between
// two commands loses nothing: whatever it asks after a seq inside a pack (`XRANGE` from `<seq>-1`,
// `XREAD` after `<seq>-0`), it gets that pack, whose rows up to its seq it skips. A stream's ids
// only grow, so the packs go into a new stream under the same key (UNLINK, which frees the old one
// off the main thread, then XADD): a reader waiting in `XREAD BLOCK` is woken by it, after the
// script, like by any XADD.
const END =
  NOW +
  `local m = redis.call('HMGET', KEYS[1], 'status', 'seq', 'updatedAt')
if not m[1] then return 'not_found' end
if m[1] ~= 'running' then return 'ended:' .. m[1] end
local seq = ARGV[5]
if m[2] ~= seq then return 'moved' end
if ARGV[6] ~= '' then
  if now - tonumber(m[3]) < tonumber(ARGV[6]) then return 'alive' end
  seq = tostring(tonumber(seq) + 1)
end
redis.call('UNLINK', KEYS[2])
for i = 7, #ARGV, 3 do redis.call('XADD', KEYS[2], ARGV[i] .. '-0', 'f', ARGV[i + 1], 'd', ARGV[i + 2]) end
redis.call('XADD', KEYS[2], seq .. '-1', 'end', ARGV[1])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'seq', seq, 'endedAt', string.format('%.0f', now))
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'message', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'failure', ARGV[3]) end
for i = 1, 2 do
  if ARGV[4] == '' then redis.call('PERSIST', KEYS[i]) else redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
end
return 'ok'`;

// KEYS[1] only. ARGV: reason, channel. A stop is kept in the hash for a producer not yet listening.
const STOP = `local m = redis.call('HMGET', KEYS[1], 'status', 'stop')
if m[1] ~= 'running' or m[2] then return 0 end
redis.call('HSET', KEYS[1], 'stop', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[1])
return 1`;

// KEYS[1] only: status, seq and the milliseconds since the last append, by the server's clock.
const PROBE =
  NOW +
  `local m = redis.call('HMGET', KEYS[1], 'status', 'seq', 'updatedAt')
if not m[1] then return {'', '0', '0'} end
return {m[1], m[2], string.format('%.0f', now - tonumber(m[3]))}`;

/** A script and its SHA-1, for `EVALSHA` (the script is sent once per server, not per call). */
class Script {
  readonly source: string;
  #sha: Promise<string> | undefined = undefined;

  constructor(source: string) {
    this.source = source;
  }

  sha(): Promise<string> {
    return (this.#sha ??= crypto.subtle.digest("SHA-1", new TextEncoder().encode(this.source)).then((digest) => {
      let hex = "";
      for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, "0");
      return hex;
    }));
  }
}

const scripts = { open: new Script(OPEN), append: new Script(APPEND), end: new Script(END), stop: new Script(STOP), probe: new Script(PROBE) };

async function run(client: RedisLogClient, script: Script, keys: string[], args: string[]): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await client.sendCommand(["EVALSHA", await script.sha(), ...tail]);
  } catch (error) {
    // The server does not have it yet (or lost it in a restart): EVAL sends it and caches it.
    if (!String((error as { message?: unknown } | null)?.message).startsWith("NOSCRIPT")) throw error;
    return await client.sendCommand(["EVAL", script.source, ...tail]);
  }
}

function checkMs(name: string, value: number | undefined, fallback: number, infinite: boolean): number {
  const ms = value ?? fallback;
  if (typeof ms !== "number" || Number.isNaN(ms) || ms <= 0 || (ms === Infinity && !infinite) || (ms !== Infinity && !Number.isInteger(ms))) {
    throw coded(new RangeError(`RedisLogStore: ${name} must be a whole number of milliseconds > 0${infinite ? " or Infinity" : ""}, got ${String(ms)}`), "bad_option");
  }
  return ms;
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1) throw coded(new RangeError(`RedisLogStore: ${name} must be a whole number ≥ 1, got ${String(n)}`), "bad_option");
  return n;
}

/** The store's settings and the connections it shares, reached by its logs. */
interface Shared {
  readonly client: RedisLogClient;
  readonly prefix: string;
  readonly retention: string;
  readonly runningTtl: string;
  readonly producerTimeoutMs: number;
  readonly maxRows: string;
  readonly maxLiveReads: number;
  /** Live reads holding a connection, by log id. */
  readonly live: Map<string, number>;
  liveTotal: number;
  readonly subscriber: Subscriber;
}

const stores = new WeakMap<RedisLogStore, Shared>();

/**
 * Where `RedisLog`s of any number of servers find each other: the same Redis, the same `prefix`
 * and the same id reach one generation. It holds the client you give it (it never closes it), the
 * options, one subscriber connection while any producer listens for a stop, and one connection per
 * waiting live read.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { RedisLogStore } from "chat-model-stream/redis";
 *
 * const redis = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const logs = new RedisLogStore(redis, { retentionMs: 5 * 60_000 });
 * const log = logs.log("chat-42"); // the same generation for the producer and every viewer, on any server
 * console.log(await log.snapshot()); // undefined until a producer opens it
 * ```
 *
 * Cancellation and errors: an option out of its range throws a `RangeError` (code `bad_option`).
 * Errors of the client pass through unchanged (see `RedisLog`).
 */
export class RedisLogStore {
  constructor(client: RedisLogClient, options: RedisLogStoreOptions = {}) {
    const retentionMs = checkMs("retentionMs", options.retentionMs, 600_000, true);
    stores.set(this, {
      client,
      prefix: options.prefix ?? "cms:",
      retention: retentionMs === Infinity ? "" : String(retentionMs),
      runningTtl: String(checkMs("runningTtlMs", options.runningTtlMs, 3_600_000, false)),
      producerTimeoutMs: checkMs("producerTimeoutMs", options.producerTimeoutMs, 600_000, false),
      maxRows: String(checkCount("maxRows", options.maxRows, 100_000)),
      maxLiveReads: checkCount("maxLiveReads", options.maxLiveReads, 1000),
      live: new Map(),
      liveTotal: 0,
      subscriber: new Subscriber(client),
    });
  }

  /** A handle to log `id`; cheap, and any number may exist for one id. */
  log(id: string): RedisLog {
    return new RedisLog(id, this);
  }

  /** How many live reads hold a connection now: of log `id`, or of every log of the store. */
  liveReads(id?: string): number {
    const shared = stores.get(this)!;
    return id === undefined ? shared.liveTotal : (shared.live.get(id) ?? 0);
  }
}

/** One connection subscribed to the stop channels of the producers listening, while any is. */
class Subscriber {
  readonly #client: RedisLogClient;
  #connection: Promise<RedisLogClient> | undefined = undefined;
  #users = 0;
  /** Each listening producer's check of its stop flag, run when the connection is ready again. */
  readonly rechecks: Set<() => void> = new Set();

  constructor(client: RedisLogClient) {
    this.#client = client;
  }

  acquire(): Promise<RedisLogClient> {
    this.#users++;
    if (this.#connection === undefined) {
      const connection = this.#client.duplicate();
      // The client reconnects and subscribes again by itself; an error event without a listener
      // would be thrown by its emitter.
      connection.on("error", () => {});
      // A stop published while it was reconnecting was heard by nobody: its flag tells.
      connection.on("ready", () => {
        for (const recheck of this.rechecks) recheck();
      });
      this.#connection = connection.connect().then(
        () => connection,
        (error: unknown) => {
          connection.destroy();
          throw error;
        },
      );
    }
    return this.#connection;
  }

  release(): void {
    if (--this.#users > 0) return;
    const connection = this.#connection;
    this.#connection = undefined;
    void connection?.then(
      (c) => c.destroy(),
      () => {},
    );
  }
}

const noop = (): void => {};

function notFound(id: string): TypeError {
  return coded(new TypeError(`RedisLog: no log ${JSON.stringify(id)} (never opened, or expired after its retention)`), "not_found");
}

/** The failure a reader stores for a producer that went silent. */
function vanished(timeoutMs: number): LogFailure {
  return { message: `The producer appended nothing for ${timeoutMs} ms`, code: "timeout" };
}

/** Entries of an `XRANGE` reply, or of an `XREAD` reply for one key (RESP2 arrays or RESP3 maps). */
type Entry = [id: string, fields: string[]];

/**
 * What a stream entry holds: the end (`<seq>-1`), or rows `first` to `last`: one row
 * (`<seq>-0`, field `e`) while running, a pack (`<last>-0`, fields `f` and `d`) once ended.
 * `json()` gives its rows' JSON, unpacked.
 */
type Stored = { readonly end: true; readonly seq: number } | { readonly end: false; readonly first: number; readonly last: number; json(): string[] };

function stored([id, fields]: Entry): Stored {
  const dash = id.indexOf("-");
  const seq = Number(id.slice(0, dash));
  if (id.slice(dash + 1) !== "0") return { end: true, seq };
  if (fields[0] === "e") return { end: false, first: seq, last: seq, json: () => [fields[1]!] };
  return { end: false, first: Number(fields[1]), last: seq, json: () => unpack(fields[3]!) };
}

/** How many characters a and b share at their starts (`step` 1) or ends (-1), stopping at the first that is not ASCII. */
function shared(a: string, b: string, step: 1 | -1, limit: number): number {
  let i = 0;
  for (let x = step === 1 ? 0 : a.length - 1, y = step === 1 ? 0 : b.length - 1; i < limit; i++, x += step, y += step) {
    const c = a.charCodeAt(x);
    if (c >= 0x80 || c !== b.charCodeAt(y)) break;
  }
  return i;
}

/**
 * Rows `first`… (their JSON) as packs of up to `PACK_CHARS`: per pack its last seq, its first,
 * and its rows, each written as what differs from the row before it in the pack:
 * `<p>\x1f<s>\x1f<middle>\x1e`, the row being the previous one's first p characters, the middle,
 * and its last s (the first row of a pack: 0, 0, all of it). Consecutive text deltas share all
 * but their text, so a slow answer's many small rows cost little more than their text. Only ASCII
 * is shared, so a middle never starts or ends inside a surrogate pair; JSON text never holds a raw
 * \x1e or \x1f.
 */
function pack(first: number, rows: readonly string[]): string[] {
  const packs: string[] = [];
  let parts: string[] = [];
  let size = 0;
  let start = first;
  let prev = "";
  rows.forEach((json, i) => {
    let part = "";
    for (let again = 0; again < 2; again++) {
      const p = shared(prev, json, 1, Math.min(prev.length, json.length));
      const s = shared(prev, json, -1, Math.min(prev.length, json.length) - p);
      part = `${p}\x1f${s}\x1f${json.slice(p, json.length - s)}\x1e`;
      if (parts.length === 0 || size + part.length <= PACK_CHARS) break;
      packs.push(String(first + i - 1), String(start), parts.join(""));
      parts = [];
      size = 0;
      start = first + i;
      prev = "";
    }
    parts.push(part);
    size += part.length;
    prev = json;
  });
  if (parts.length > 0) packs.push(String(first + rows.length - 1), String(start), parts.join(""));
  return packs;
}

/** The rows' JSON of a pack's field `d` (see `pack`). */
function unpack(packed: string): string[] {
  const rows: string[] = [];
  let prev = "";
  for (let at = 0; at < packed.length; ) {
    const a = packed.indexOf("\x1f", at);
    const b = packed.indexOf("\x1f", a + 1);
    const end = packed.indexOf("\x1e", b + 1);
    const p = Number(packed.slice(at, a));
    const s = Number(packed.slice(a + 1, b));
    prev = prev.slice(0, p) + packed.slice(b + 1, end) + prev.slice(prev.length - s);
    rows.push(prev);
    at = end + 1;
  }
  return rows;
}

function xreadEntries(reply: unknown): Entry[] {
  if (reply == null) return [];
  let streams: unknown[];
  if (Array.isArray(reply)) streams = reply.map((s: unknown) => (s as unknown[])[1]);
  else if (reply instanceof Map) streams = [...reply.values()];
  else streams = Object.values(reply as Record<string, unknown>);
  const first = streams[0];
  return Array.isArray(first) ? (first as Entry[]) : [];
}

/**
 * A `StreamLog` on Redis: one generation's rows in a Redis stream (an entry per row while it runs,
 * packed into entries of up to 16 KiB at its end: `close` and `fail` read the rows back once), its
 * status and message in a hash, its Stop on a channel. Any number of servers may hold a
 * `RedisLog` of one id: one produces, every other reads or stops. Reads replay with `XRANGE` on
 * the store's client and then, when live, wait with `XREAD BLOCK` on a connection of their own,
 * destroyed when the read ends, is cancelled or aborted. A live reader that waits past `producerTimeoutMs` without a new row
 * finishes the generation as `failed` (once, whichever reader sees it first) with the partial
 * message folded from the rows and a closing `error` row.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { persist, resumeResponse, type ChatModelStream } from "chat-model-stream";
 * import { RedisLogStore } from "chat-model-stream/redis";
 *
 * const logs = new RedisLogStore(await createClient().connect());
 *
 * // The producer, on the server that got the chat request: runs to the end whoever watches.
 * export function start(answer: ChatModelStream, chatId: string): void {
 *   persist(answer, logs.log(chatId)).catch(() => {});
 * }
 * // Any viewer, on any server: from its Last-Event-ID, then live.
 * export function watch(viewer: Request, chatId: string): Promise<Response> {
 *   return resumeResponse(logs.log(chatId), viewer);
 * }
 * // Stop, from any server: reaches the producer wherever it runs.
 * export async function stopChat(chatId: string): Promise<void> {
 *   await logs.log(chatId).stop("stopped by the user");
 * }
 * ```
 *
 * Cancellation and errors: as `StreamLog`: `open` of an existing log rejects with a `TypeError`
 * (code `invalid_state`); `append` with a wrong `seq` with a `TypeError` (`bad_option`); `append`,
 * `close` and `fail` after the end with a `TypeError` (`invalid_state`), of a missing log with
 * `not_found`; a read of a missing log, or of rows trimmed by `maxRows`, errors with `not_found`.
 * A live read beyond `maxLiveReads` errors with a `RangeError` (`bad_option`). The client's own
 * errors (a lost connection, a refused command) pass through unchanged; a live read whose
 * connection fails errors with that error rather than waiting for a reconnect. A read's `signal`
 * errors it with the signal's reason; cancelling or aborting it destroys its connection.
 */
export class RedisLog implements StreamLog {
  readonly #id: string;
  readonly #s: Shared;
  readonly #meta: string;
  readonly #rows: string;
  readonly #channel: string;

  constructor(id: string, store: RedisLogStore) {
    this.#id = id;
    this.#s = stores.get(store)!;
    const base = `${this.#s.prefix}{${id}}`;
    this.#meta = `${base}:meta`;
    this.#rows = `${base}:rows`;
    this.#channel = `${base}:stop`;
  }

  /** The log's id. */
  get id(): string {
    return this.#id;
  }

  async open(): Promise<void> {
    const reply = await run(this.#s.client, scripts.open, [this.#meta, this.#rows], [this.#s.runningTtl]);
    if (reply === "exists") {
      throw coded(new TypeError(`RedisLog: log ${JSON.stringify(this.#id)} exists already (another producer has it)`), "invalid_state");
    }
  }

  async append(row: LogRow): Promise<void> {
    if (!Number.isSafeInteger(row.seq) || row.seq < 1) {
      throw coded(new TypeError(`RedisLog.append: row.seq must be a whole number ≥ 1, got ${String(row.seq)}`), "bad_option");
    }
    if (!Array.isArray(row.events) || row.events.length === 0) {
      throw coded(new TypeError("RedisLog.append: row.events must be a non-empty array"), "bad_option");
    }
    const s = this.#s;
    const reply = await run(s.client, scripts.append, [this.#meta, this.#rows], [String(row.seq), JSON.stringify(row.events), s.maxRows, s.runningTtl]);
    this.#check("append", reply, row.seq);
  }

  async close(message: AIMessage): Promise<void> {
    await this.#end("close", ["finished", JSON.stringify(message), ""]);
  }

  async fail(status: "failed" | "aborted", failure: LogFailure, partial: AIMessage | undefined): Promise<void> {
    if (status !== "failed" && status !== "aborted") {
      throw coded(new TypeError(`RedisLog.fail: status must be "failed" or "aborted", got ${String(status)}`), "bad_option");
    }
    const stored: LogFailure = failure.code === undefined ? { message: failure.message } : { message: failure.message, code: failure.code };
    await this.#end("fail", [status, partial === undefined ? "" : JSON.stringify(partial), JSON.stringify(stored)]);
  }

  async snapshot(): Promise<LogSnapshot | undefined> {
    const reply = (await this.#s.client.sendCommand(["HMGET", this.#meta, "status", "seq", "startedAt", "endedAt", "message", "failure"])) as (string | null)[];
    const [status, seq, startedAt, endedAt, message, failure] = reply;
    if (status == null) return undefined;
    const snapshot: { -readonly [K in keyof LogSnapshot]: LogSnapshot[K] } = {
      status: status as LogStatus,
      seq: Number(seq),
      startedAt: Number(startedAt),
    };
    if (message != null) snapshot.message = JSON.parse(message) as AIMessage;
    if (failure != null) snapshot.failure = JSON.parse(failure) as LogFailure;
    if (endedAt != null) snapshot.endedAt = Number(endedAt);
    return snapshot;
  }

  read(after: number, options: LogReadOptions = {}): ReadableStream<LogRow> {
    return new ReadableStream<LogRow>(new RowSource(this, after, options), { highWaterMark: 0 });
  }

  async stop(reason?: string): Promise<void> {
    await run(this.#s.client, scripts.stop, [this.#meta], [reason ?? "Stopped", this.#channel]);
  }

  async stopped(signal: AbortSignal): Promise<string | undefined> {
    const client = this.#s.client;
    if (signal.aborted) {
      const [status, stop] = (await client.sendCommand(["HMGET", this.#meta, "status", "stop"])) as (string | null)[];
      if (status == null) throw notFound(this.#id);
      return stop ?? undefined;
    }
    const subscriber = this.#s.subscriber;
    let settle!: (reason: string | undefined) => void;
    const heard = new Promise<string | undefined>((resolve) => (settle = resolve));
    const listener = (message: string): void => settle(message);
    const onAbort = (): void => settle(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    const recheck = (): void => {
      client.sendCommand(["HMGET", this.#meta, "stop"]).then((reply) => {
        const [stop] = reply as (string | null)[];
        if (stop != null) settle(stop);
      }, noop);
    };
    let connection: RedisLogClient | undefined;
    try {
      connection = await subscriber.acquire();
      await connection.subscribe(this.#channel, listener);
      subscriber.rechecks.add(recheck);
      // After the subscription: a stop asked before it is in the hash, one asked after is heard.
      const [status, stop] = (await client.sendCommand(["HMGET", this.#meta, "status", "stop"])) as (string | null)[];
      if (status == null) throw notFound(this.#id);
      if (stop != null) settle(stop);
      else if (status !== "running" || signal.aborted) settle(undefined);
      return await heard;
    } finally {
      subscriber.rechecks.delete(recheck);
      signal.removeEventListener("abort", onAbort);
      if (connection !== undefined) await connection.unsubscribe(this.#channel, listener).catch(() => {});
      subscriber.release();
    }
  }

  /** @internal For its reads. */
  get shared(): Shared {
    return this.#s;
  }

  /** @internal */
  get keys(): { readonly meta: string; readonly rows: string } {
    return { meta: this.#meta, rows: this.#rows };
  }

  /**
   * @internal A live reader saw no append for `producerTimeoutMs` since row `seq`: fold the rows
   * and end the generation as failed, unless the producer appended meanwhile or another reader
   * ended it first (the script decides, atomically).
   */
  async finishVanished(seq: number): Promise<void> {
    const s = this.#s;
    const { first, rows } = await this.#stored();
    // The producer appended since the probe: it is alive, the script would say so too.
    if (first + rows.length - 1 !== seq) return;
    const events: ProtocolEvent[] = [];
    for (const json of rows) events.push(...(JSON.parse(json) as ProtocolEvent[]));
    const failure = vanished(s.producerTimeoutMs);
    const partial = await foldPartial(events, failure);
    const error = JSON.stringify([{ event: "error", ...failure }]);
    await run(
      s.client,
      scripts.end,
      [this.#meta, this.#rows],
      ["failed", partial === undefined ? "" : JSON.stringify(partial), JSON.stringify(failure), s.retention, String(seq), String(s.producerTimeoutMs), ...pack(first, [...rows, error])],
    );
  }

  /**
   * The rows stored now, as JSON: from the first kept (1, unless `maxRows` trimmed some) to the
   * last. The producer's own rows at its end, a vanished producer's when a reader finishes it.
   */
  async #stored(): Promise<{ first: number; rows: string[] }> {
    const { client } = this.#s;
    const rows: string[] = [];
    let first = 1;
    for (let last = 0; ; ) {
      const entries = (await client.sendCommand(["XRANGE", this.#rows, `${last}-1`, "+", "COUNT", String(PACK_BATCH)])) as Entry[];
      for (const entry of entries) {
        const at = stored(entry);
        if (at.end) return { first, rows };
        if (rows.length === 0) first = at.first;
        rows.push(...at.json().slice(Math.max(0, last + 1 - at.first)));
        last = at.last;
      }
      if (entries.length < PACK_BATCH) return { first, rows };
    }
  }

  async #end(method: string, args: [status: string, message: string, failure: string]): Promise<void> {
    const s = this.#s;
    // Rows are only appended by the producer, which ends after its last append: the seq moves
    // under an end only when another handle appends at once. Then read again.
    for (let attempt = 1; ; attempt++) {
      const { first, rows } = await this.#stored();
      const seq = rows.length === 0 ? "0" : String(first + rows.length - 1);
      const reply = await run(s.client, scripts.end, [this.#meta, this.#rows], [...args, s.retention, seq, "", ...pack(first, rows)]);
      if (reply !== "moved" || attempt === 3) return this.#check(method, reply, undefined);
    }
  }

  #check(method: string, reply: unknown, seq: number | undefined): void {
    if (reply === "ok") return;
    const text = String(reply);
    if (text === "not_found") throw notFound(this.#id);
    if (text.startsWith("ended:")) {
      throw coded(new TypeError(`RedisLog.${method}: the generation has ended (${text.slice(6)})`), "invalid_state");
    }
    if (text.startsWith("seq:")) {
      throw coded(new TypeError(`RedisLog.${method}: row.seq must be ${text.slice(4)} (the next one), got ${String(seq)}`), "bad_option");
    }
    throw new TypeError(`RedisLog.${method}: unexpected reply from Redis: ${text}`);
  }
}

/**
 * One read. Case 1: replay with `XRANGE` from the store's client, a batch per pull. Case 2 (live,
 * caught up): wait with `XREAD BLOCK` on a connection of its own. The end entry `<seq>-1`, met in
 * either, closes it; so does, when caught up, a status that is no longer running.
 */
class RowSource implements UnderlyingDefaultSource<LogRow> {
  readonly #log: RedisLog;
  readonly #live: boolean;
  readonly #signal: AbortSignal | undefined;
  /** The seq of the last row given. */
  #last: number;
  /** Without live: the seq stored when the read began, the last it gives. Undefined before the first pull. */
  #until: number | undefined = undefined;
  /** Live and caught up with the rows stored: the next rows come by `XREAD BLOCK`. */
  #waiting = false;
  /** Its own connection, while it waits live. */
  #connection: RedisLogClient | undefined = undefined;
  #done = false;
  #controller: ReadableStreamDefaultController<LogRow> | undefined = undefined;
  readonly #onAbort = (): void => this.#error(this.#signal!.reason);

  constructor(log: RedisLog, after: number, options: LogReadOptions) {
    this.#log = log;
    this.#live = options.live ?? false;
    this.#signal = options.signal;
    this.#last = Math.max(0, Math.floor(Number(after) || 0));
  }

  start(controller: ReadableStreamDefaultController<LogRow>): void {
    this.#controller = controller;
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) return this.#error(signal.reason);
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  async pull(controller: ReadableStreamDefaultController<LogRow>): Promise<void> {
    try {
      await this.#pull(controller);
    } catch (error) {
      // After a cancel or an abort, what the destroyed connection rejects with is nobody's business.
      if (!this.#done) this.#error(error);
    }
  }

  cancel(): void {
    this.#release();
  }

  async #pull(controller: ReadableStreamDefaultController<LogRow>): Promise<void> {
    const log = this.#log;
    const { client } = log.shared;
    const { rows } = log.keys;
    if (this.#until === undefined) {
      const [status, seq] = await this.#probe();
      if (this.#done) return;
      if (status === "") return this.#error(notFound(log.id));
      this.#until = this.#live ? Infinity : seq;
    }
    // Each pull gives at least one row or ends the read: a pull that settles with neither would
    // leave its reader waiting.
    const given = this.#last;
    while (!this.#done && this.#last === given) {
      if (!this.#waiting) {
        // Case 1. Starting at `<last>-1` takes the end entry that follows the last row given.
        // To the end of the stream even without live: row `until` may be in a pack whose id is past it.
        if (this.#until <= this.#last) return this.#close();
        const entries = (await client.sendCommand(["XRANGE", rows, `${this.#last}-1`, "+", "COUNT", String(BATCH)])) as Entry[];
        if (this.#done) return;
        this.#take(entries, controller);
        if (this.#done || this.#last !== given) return;
        if (!this.#live) return this.#close();
        // Caught up. An ended generation whose end entry lies before `after` ends here too.
        const [status, seq] = await this.#probe();
        if (this.#done) return;
        if (status === "") return this.#error(notFound(log.id));
        if (status !== "running" && seq <= this.#last) return this.#close();
        // Rows appended since the XRANGE are read by the next one; otherwise wait.
        if (seq <= this.#last) this.#waiting = true;
        continue;
      }
      // Case 2.
      const connection = this.#connection ?? (await this.#connect());
      if (this.#done) return;
      const timeout = Math.max(1, Math.min(log.shared.producerTimeoutMs, MAX_BLOCK_MS));
      const reply = await connection.sendCommand(["XREAD", "COUNT", String(BATCH), "BLOCK", String(timeout), "STREAMS", rows, `${this.#last}-0`]);
      if (this.#done) return;
      const entries = xreadEntries(reply);
      if (entries.length > 0) {
        this.#take(entries, controller);
        continue;
      }
      // Woken by the timeout: the keys may have gone, the generation may have ended before
      // `after`, or its producer may have vanished.
      const [status, seq, silentMs] = await this.#probe();
      if (this.#done) return;
      if (status === "") return this.#error(notFound(log.id));
      if (status !== "running") {
        if (seq <= this.#last) return this.#close();
        this.#waiting = false;
      } else if (silentMs >= log.shared.producerTimeoutMs) {
        await log.finishVanished(seq);
      }
    }
  }

  /** Status ('' when missing), seq, and ms since the last append. */
  async #probe(): Promise<[string, number, number]> {
    const { client } = this.#log.shared;
    const [status, seq, silentMs] = (await run(client, scripts.probe, [this.#log.keys.meta], [])) as [string, string, string];
    return [status, Number(seq), Number(silentMs)];
  }

  /**
   * Enqueues the rows of `entries` after the last given, up to `#until`; closes the read at the end
   * entry. Of a pack that holds the last row given, only the rows after it.
   */
  #take(entries: Entry[], controller: ReadableStreamDefaultController<LogRow>): void {
    for (const entry of entries) {
      const at = stored(entry);
      if (at.end) {
        if (at.seq < this.#last) continue;
        return this.#close();
      }
      if (at.last <= this.#last) continue;
      if (at.first > this.#last + 1) {
        const gone = `rows ${this.#last + 1} to ${at.first - 1} of log ${JSON.stringify(this.#log.id)} were trimmed (maxRows)`;
        return this.#error(coded(new TypeError(`RedisLog: ${gone}`), "not_found"));
      }
      const rows = at.json();
      for (let seq = this.#last + 1; seq <= at.last; seq++) {
        if (seq > this.#until!) return;
        this.#last = seq;
        controller.enqueue({ seq, events: JSON.parse(rows[seq - at.first]!) as ProtocolEvent[] });
      }
    }
  }

  async #connect(): Promise<RedisLogClient> {
    const s = this.#log.shared;
    if (s.liveTotal >= s.maxLiveReads) {
      throw coded(new RangeError(`RedisLog: ${s.maxLiveReads} live reads wait already (maxLiveReads)`), "bad_option");
    }
    const connection = s.client.duplicate();
    this.#connection = connection;
    const id = this.#log.id;
    s.liveTotal++;
    s.live.set(id, (s.live.get(id) ?? 0) + 1);
    // Destroyed at its first error: a read that lost its server errors now, rather than waiting
    // in the client's reconnect loop.
    connection.on("error", (error) => this.#error(error));
    await connection.connect();
    return connection;
  }

  #close(): void {
    if (this.#done) return;
    this.#release();
    this.#controller!.close();
  }

  #error(error: unknown): void {
    if (this.#done) return;
    this.#release();
    this.#controller!.error(error);
  }

  #release(): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#connection = undefined;
    const s = this.#log.shared;
    const id = this.#log.id;
    s.liveTotal--;
    const left = (s.live.get(id) ?? 1) - 1;
    if (left === 0) s.live.delete(id);
    else s.live.set(id, left);
    connection.destroy();
  }
}
