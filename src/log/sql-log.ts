/**
 * `SqlLog`: a `StreamLog` over a SQLite-backed Durable Object's storage, run inside the object
 * (`StreamLogObject` holds one). Durable Objects bill SQL rows written (and each `setAlarm` as one),
 * so the log writes few: one table, `log`, whose every SQL row is a pack of consecutive log rows and
 * carries the generation's state as of its writing (start, timers, status, and on the last one the
 * end: final or partial message, failure). An append reaches the in-memory tail, and live readers,
 * at once; the rows pending after the last pack are written as one SQL row when they reach
 * `PACK_CHARS`, or `FIRST_PACK_MS` (the first pack) / `PACK_MS` (the others) after the first of
 * them, and with the end, which is that same write (so a stored end never lacks its rows). A pack
 * whose text could exceed SQLite's 2 MB a row (a generated image) is cut over several SQL rows,
 * written in one transaction, and joined on read. A
 * restart of the object loses at most the rows still pending (the last `PACK_MS`), and a
 * generation nothing of which was written yet is lost whole (it had nothing to resume): the table
 * is created and the producer's alarm set with the first write, not at `open`. Until then a timer
 * in memory stands for the alarm. The last rows also stay in memory (a bounded tail), so that live
 * readers, who want exactly those, never reach SQL; a reader further behind reads SQL in batches.
 * One alarm serves both timers: while running, it finishes a generation whose producer went quiet;
 * once ended, it deletes everything.
 *
 * @internal
 * @module
 */
import { coded } from "../errors.ts";
import type { AIMessage, ProtocolEvent } from "../protocol.ts";
import { foldPartial } from "./fold-partial.ts";
import type { LogFailure, LogReadOptions, LogRow, LogSnapshot, LogStatus, StreamLog } from "./stream-log.ts";

type SqlValue = ArrayBuffer | string | number | null;

/** @internal What the log needs of `ctx.storage`. */
export interface SqlLogStorage {
  readonly sql: { exec(query: string, ...bindings: SqlValue[]): { toArray(): Record<string, SqlValue>[]; readonly rowsWritten: number } };
  /** Runs `closure` as one transaction: all its writes, or none if it throws. */
  transactionSync<T>(closure: () => T): T;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAll(): Promise<void>;
}

/** @internal A generation's timers, chosen by its producer at `open`. */
export interface SqlLogTimers {
  /** How long a generation's rows stay after its end. */
  readonly retentionMs: number;
  /** How long a running generation may go without an append before it is finished as failed. */
  readonly producerTimeoutMs: number;
}

/** @internal The defaults of `SqlLogTimers`: 10 minutes each. */
export const DEFAULT_TIMERS: SqlLogTimers = { retentionMs: 10 * 60_000, producerTimeoutMs: 10 * 60_000 };

/** @internal What `SqlLog.stats` counts. */
export interface SqlLogStats {
  readonly waitingReads: number;
  readonly tailRows: number;
  readonly rowsWritten: number;
  readonly alarmsSet: number;
}

/** One row as the log keeps it: its JSON as stored, and its events, parsed once for every reader. */
interface Entry {
  readonly seq: number;
  readonly json: string;
  row: LogRow | undefined;
}

interface Meta {
  status: LogStatus;
  readonly startedAt: number;
  endedAt: number | undefined;
  /** The final or partial message, as stored (JSON), and parsed on first use. */
  messageJson: string | undefined;
  message: AIMessage | undefined;
  failure: LogFailure | undefined;
  stopReason: string | undefined;
  readonly timers: SqlLogTimers;
  /** The object runs the generation and keeps its alarm (a heartbeat): the log sets none while it runs. */
  readonly local: boolean;
}

/** What a pack carries besides its rows: the generation's state when it is written. */
type Head = Pick<Meta, "status" | "endedAt" | "messageJson" | "failure" | "stopReason">;

/** Rows kept in memory for live readers, at most; and at most this many characters of them. */
const TAIL_ROWS = 256;
const TAIL_CHARS = 1 << 20;
/** Rows read from SQL at once by a reader that is behind the tail. */
const BATCH = 64;
/**
 * Pending rows are written (as one SQL row) once they hold this many characters (the rows of the
 * bench's 1,000-delta answer hold about 32,000 at 50 tokens a second, 335 rows; 4,800 at once)...
 */
const PACK_CHARS = 64 * 1024;
/** ...or this long after the first of them was appended, for the generation's first pack... */
const FIRST_PACK_MS = 2_500;
/** ...and for the others: a 1,000-delta answer at 50 a second (20 s) is 5 packs. */
const PACK_MS = 5_000;

/**
 * The one table (creating it writes 2 rows of SQLite's schema). `n` numbers the SQL rows; a pack
 * written for a Stop or an end with no row pending has no rows (`first_seq` = `last_seq` + 1).
 * A pack is one SQL row unless its text (rows, message, failure, stop reason) could exceed what
 * SQLite stores in one (2 MB in workerd: a generated image's base64): then its text is cut over
 * consecutive SQL rows (`PIECE_BYTES` of UTF-8 each at most), each carrying the same state, `more`
 * saying how many SQL rows of the pack follow it (0 on its last); a column's text is the join of
 * its pieces (NULL where a piece holds none of it, NULL in every piece for no value; `rows`, which
 * always has one, is '' there).
 */
const SCHEMA = `CREATE TABLE IF NOT EXISTS log (n INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  at INTEGER NOT NULL, rows TEXT NOT NULL, started_at INTEGER NOT NULL, retention_ms INTEGER NOT NULL,
  producer_timeout_ms INTEGER NOT NULL, local INTEGER NOT NULL, status TEXT NOT NULL, ended_at INTEGER,
  message TEXT, failure TEXT, stop_reason TEXT, more INTEGER NOT NULL DEFAULT 0)`;

const INSERT = `INSERT INTO log (n, first_seq, last_seq, at, rows, started_at, retention_ms, producer_timeout_ms, local,
  status, ended_at, message, failure, stop_reason, more) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The last pack's SQL rows (those after the SQL row that ends the pack before it), in order: found
 * walking back from the last SQL row, so that the packs before are not read.
 */
const LAST_PACK = `SELECT * FROM log WHERE n > coalesce((SELECT n FROM log WHERE n < (SELECT max(n) FROM log) AND more = 0 ORDER BY n DESC LIMIT 1), 0) ORDER BY n`;

/**
 * The most UTF-8 bytes of text a SQL row holds (SQLite in workerd refuses a value, and a row,
 * over 2 MB; the row's other columns take a few dozen bytes).
 */
const PIECE_BYTES = 1_900_000;

/**
 * @internal `values` (a pack's text columns) cut into pieces of at most `budget` (≥ 4) UTF-8
 * bytes in all, in order, never inside a surrogate pair: one piece, a copy of `values`, when it
 * cannot exceed that (3 bytes a UTF-16 code unit at most). A value absent from a piece is null
 * there; each value's pieces join back to it (an empty string is a piece of its own).
 *
 * @example
 * ```ts
 * import { cutText } from "./sql-log.ts";
 *
 * cutText(["[[1]]", null], 4); // [["[[1]", null], ["]", null]]
 * ```
 *
 * Cancellation and errors: none; synchronous, and throws nothing for strings.
 */
export function cutText(values: readonly (string | null)[], budget: number = PIECE_BYTES): (string | null)[][] {
  let units = 0;
  for (const value of values) units += value?.length ?? 0;
  if (units * 3 <= budget) return [[...values]];
  const encoder = new TextEncoder();
  const buffer = new Uint8Array(budget);
  const pieces: (string | null)[][] = [];
  let piece: (string | null)[] = values.map(() => null);
  let room = budget;
  for (let column = 0; column < values.length; column++) {
    const value = values[column];
    if (value === null || value === undefined) continue;
    let at = 0;
    do {
      if (room === 0) {
        pieces.push(piece);
        piece = values.map(() => null);
        room = budget;
      }
      // At most `room` code units fit. Its last is written only if every one before took one byte:
      // a high surrogate there (3 bytes, alone) is not, so no pair is cut.
      const slice = value.slice(at, at + room);
      const { read, written } = encoder.encodeInto(slice, buffer.subarray(0, room));
      piece[column] = (piece[column] ?? "") + (read === slice.length ? slice : slice.slice(0, read));
      at += read;
      // Unless the value is done, what room is left is less than its next character: the rest goes to the next piece.
      room = at < value.length ? 0 : room - written;
    } while (at < value.length);
  }
  pieces.push(piece);
  return pieces;
}

/** A text column's value over a pack's SQL rows: the join of its pieces; undefined if none holds any. */
function joined(rows: readonly Record<string, SqlValue>[], column: string): string | undefined {
  let text: string | undefined;
  for (const row of rows) {
    const piece = row[column];
    if (typeof piece === "string") text = (text ?? "") + piece;
  }
  return text;
}

/** @internal The reason `stopped()` gives for a `stop()` called without one. */
export const STOP_REASON = "Stopped";

function notFound(): TypeError {
  return coded(new TypeError("No stored generation here: it was never opened, or it was deleted"), "not_found");
}

function invalidState(message: string): TypeError {
  return coded(new TypeError(message), "invalid_state");
}

function badOption(message: string): TypeError {
  return coded(new TypeError(message), "bad_option");
}

/** @internal */
export class SqlLog implements StreamLog {
  readonly #storage: SqlLogStorage;
  /** Undefined until opened (or read from storage), and again once deleted. */
  #meta: Meta | undefined;
  #seq = 0;
  /** When the last row was appended (ms since the epoch); 0 before the first. */
  #lastAppendAt = 0;
  #tail: Entry[] = [];
  #tailChars = 0;
  #rowsWritten = 0;
  #alarmsSet = 0;
  /** The last row written to SQL; the rows after it are pending (and in the tail). */
  #written = 0;
  /** The SQL rows of packs written (the last one's `n`); 0 while nothing of the generation is in SQL. */
  #packs = 0;
  #pending: Entry[] = [];
  #pendingChars = 0;
  #packTimer: ReturnType<typeof setTimeout> | undefined;
  /** While nothing is written (so no alarm is set), the timer that finishes a generation whose producer went quiet. */
  #quietTimer: ReturnType<typeof setTimeout> | undefined;
  /** Live readers waiting for the next row or the end. */
  #waiters = new Set<() => void>();
  /** Producers waiting in `stopped`. */
  #stopWaiters = new Set<(reason: string | undefined) => void>();

  constructor(storage: SqlLogStorage) {
    this.#storage = storage;
    this.#load();
  }

  /** Reads what an earlier instance of the object stored (the last pack has it all); creates nothing. */
  #load(): void {
    const sql = this.#storage.sql;
    const tables = sql.exec("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = 'log'").toArray();
    if (tables.length === 0) return;
    // A table written before packs could be cut (each pack one SQL row): it gets the column, 0 in every row.
    if (!/\bmore\b/.test(String(tables[0]!["sql"]))) this.#rowsWritten += sql.exec("ALTER TABLE log ADD COLUMN more INTEGER NOT NULL DEFAULT 0").rowsWritten;
    const pack = sql.exec(LAST_PACK).toArray();
    const row = pack[pack.length - 1];
    if (row === undefined) return;
    const failure = joined(pack, "failure");
    this.#meta = {
      status: row["status"] as LogStatus,
      startedAt: row["started_at"] as number,
      endedAt: (row["ended_at"] as number | null) ?? undefined,
      messageJson: joined(pack, "message"),
      message: undefined,
      failure: failure === undefined ? undefined : (JSON.parse(failure) as LogFailure),
      stopReason: joined(pack, "stop_reason"),
      timers: { retentionMs: row["retention_ms"] as number, producerTimeoutMs: row["producer_timeout_ms"] as number },
      local: row["local"] === 1,
    };
    this.#packs = row["n"] as number;
    this.#seq = row["last_seq"] as number;
    this.#written = this.#seq;
    this.#lastAppendAt = row["at"] as number;
  }

  /** Live reads waiting for the next row, rows in memory, SQL rows written by this instance. */
  get stats(): SqlLogStats {
    return { waitingReads: this.#waiters.size, tailRows: this.#tail.length, rowsWritten: this.#rowsWritten, alarmsSet: this.#alarmsSet };
  }

  /** When the producer was last heard of: its last append, else the start (ms since the epoch; 0 before open). */
  get lastHeardAt(): number {
    return Math.max(this.#meta?.startedAt ?? 0, this.#lastAppendAt);
  }

  /** When the generation started (ms since the epoch), once opened: it tells it from one opened again under the same id. */
  get startedAt(): number | undefined {
    return this.#meta?.startedAt;
  }

  /** The generation's timers, once opened. */
  get timers(): SqlLogTimers | undefined {
    return this.#meta?.timers;
  }

  /** Whether the generation runs in the object (opened with `local`), which keeps the alarm while it runs. */
  get local(): boolean {
    return this.#meta?.local === true;
  }

  /** Sets the object's alarm, and counts it (Durable Objects bill a `setAlarm` as a row written). */
  setAlarm(at: number): Promise<void> {
    this.#alarmsSet++;
    return this.#storage.setAlarm(at);
  }

  open(): Promise<void> {
    return this.openWith(DEFAULT_TIMERS);
  }

  /**
   * `open`, with the generation's timers; `local`: the object runs the generation and keeps the
   * alarm meanwhile. Writes nothing: the generation is written with its first pack.
   */
  async openWith(timers: SqlLogTimers, now: number = Date.now(), local = false): Promise<void> {
    if (this.#meta !== undefined) throw invalidState("This generation's log already exists: another producer opened it");
    for (const [name, value] of Object.entries(timers)) {
      if (!(typeof value === "number" && value >= 0 && Number.isFinite(value))) {
        throw badOption(`${name} must be a finite number ≥ 0, got ${String(value)}`);
      }
    }
    const meta: Meta = {
      status: "running",
      startedAt: now,
      endedAt: undefined,
      messageJson: undefined,
      message: undefined,
      failure: undefined,
      stopReason: undefined,
      timers,
      local,
    };
    this.#meta = meta;
    this.#seq = 0;
    this.#written = 0;
    this.#packs = 0;
    this.#lastAppendAt = 0;
    if (!local) this.#watchQuiet(meta, timers.producerTimeoutMs);
  }

  /** Until the first pack sets the alarm: finishes the generation as the alarm would once its producer is quiet for its timeout. */
  #watchQuiet(meta: Meta, delay: number): void {
    this.#quietTimer = setTimeout(() => {
      this.#quietTimer = undefined;
      if (this.#meta !== meta || meta.status !== "running" || this.#packs > 0) return;
      const now = Date.now();
      const due = this.lastHeardAt + meta.timers.producerTimeoutMs;
      if (now < due) this.#watchQuiet(meta, due - now);
      else this.alarm(now).catch((error: unknown) => console.error("SqlLog: a quiet generation could not be finished:", error));
    }, delay);
  }

  append(row: LogRow): Promise<void> {
    try {
      this.#running("append");
      this.#checkRow(row.seq, row.events);
      this.#insert(row.seq, JSON.stringify(row.events), row);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `append`, with the row's events as JSON (what crosses RPC): parsed once, here, for every reader. */
  appendJson(seq: number, json: string, now: number = Date.now()): void {
    this.#running("append");
    this.#checkRow(seq, undefined);
    let events: unknown;
    try {
      events = JSON.parse(json);
    } catch (error) {
      throw coded(new TypeError("A row's events must be JSON", { cause: error }), "bad_input");
    }
    this.#checkRow(seq, events);
    this.#insert(seq, json, { seq, events: events as ProtocolEvent[] }, now);
  }

  #running(what: string): Meta {
    const meta = this.#meta;
    if (meta === undefined) throw notFound();
    if (meta.status !== "running") throw invalidState(`${what} after the generation ended (${meta.status})`);
    return meta;
  }

  #checkRow(seq: number, events: unknown): void {
    if (seq !== this.#seq + 1) throw badOption(`row.seq must be ${this.#seq + 1} (the next row), got ${String(seq)}`);
    if (events !== undefined && !(Array.isArray(events) && events.length > 0)) {
      throw badOption("row.events must be a non-empty array of events");
    }
  }

  #insert(seq: number, json: string, row: LogRow, now: number = Date.now()): void {
    const entry: Entry = { seq, json, row };
    const lastAppendAt = this.#lastAppendAt;
    this.#seq = seq;
    this.#lastAppendAt = now;
    this.#pending.push(entry);
    this.#pendingChars += json.length;
    if (this.#pendingChars >= PACK_CHARS) {
      try {
        this.#pack();
      } catch (error) {
        // Refused (a storage error; the pack's writes are taken back): the log stays as it was, so that its
        // readers find every row it counts, and the end (or the alarm's) can still be stored.
        this.#pending.pop();
        this.#pendingChars -= json.length;
        this.#seq = seq - 1;
        this.#lastAppendAt = lastAppendAt;
        throw error;
      }
    } else this.#packTimer ??= setTimeout(() => this.#pack(), this.#packs === 0 ? FIRST_PACK_MS : PACK_MS);
    this.#tail.push(entry);
    this.#tailChars += json.length;
    // A pending row stays in the tail (SQL has not got it yet).
    while ((this.#tail.length > TAIL_ROWS || (this.#tailChars > TAIL_CHARS && this.#tail.length > 1)) && this.#tail[0]!.seq <= this.#written) {
      this.#tailChars -= this.#tail.shift()!.json.length;
    }
    this.#wake();
  }

  /** Writes the pending rows, if any, as one SQL row. */
  #pack(): void {
    if (this.#pending.length > 0 && this.#meta !== undefined) this.#store(this.#meta);
  }

  /**
   * Writes the pending rows (their event arrays as one JSON array; none, for a Stop or an end with
   * nothing pending) as one pack carrying `head`: one SQL row, or several for text over
   * `PIECE_BYTES`, in one transaction, so an end is never stored without its rows (nor a part of
   * a pack). The generation's first write creates the table and, for a running generation the
   * object does not keep the alarm of, sets the alarm that finishes it if its producer vanishes
   * (in the same turn as the INSERT, so workerd commits them together).
   */
  #store(head: Head): void {
    const meta = this.#meta!;
    const pending = this.#pending;
    const first = this.#packs === 0;
    const pieces = cutText([
      `[${pending.map((entry) => entry.json).join(",")}]`,
      head.messageJson ?? null,
      head.failure === undefined ? null : JSON.stringify(head.failure),
      head.stopReason ?? null,
    ]);
    const n = this.#packs;
    const sql = this.#storage.sql;
    this.#rowsWritten += this.#storage.transactionSync(() => {
      let written = first ? sql.exec(SCHEMA).rowsWritten : 0;
      for (let i = 0; i < pieces.length; i++) {
        const [rows, message, failure, stopReason] = pieces[i]!;
        written += sql.exec(
          INSERT,
          n + i + 1,
          this.#written + 1,
          this.#seq,
          this.#lastAppendAt,
          rows ?? "",
          meta.startedAt,
          meta.timers.retentionMs,
          meta.timers.producerTimeoutMs,
          meta.local ? 1 : 0,
          head.status,
          head.endedAt ?? null,
          message ?? null,
          failure ?? null,
          stopReason ?? null,
          pieces.length - 1 - i,
        ).rowsWritten;
      }
      return written;
    });
    this.#packs = n + pieces.length;
    this.#written = this.#seq;
    this.#dropPending();
    if (!first) return;
    if (this.#quietTimer !== undefined) clearTimeout(this.#quietTimer);
    this.#quietTimer = undefined;
    if (head.status === "running" && !meta.local) {
      this.setAlarm(this.lastHeardAt + meta.timers.producerTimeoutMs).catch((error: unknown) => console.error("SqlLog: the alarm could not be set:", error));
    }
  }

  #dropPending(): void {
    if (this.#packTimer !== undefined) clearTimeout(this.#packTimer);
    this.#packTimer = undefined;
    this.#pending = [];
    this.#pendingChars = 0;
  }

  close(message: AIMessage): Promise<void> {
    return this.closeJson(JSON.stringify(message));
  }

  /** `close`, with the message as JSON. */
  async closeJson(message: string, now: number = Date.now()): Promise<void> {
    await this.#end("finished", undefined, message, now);
  }

  fail(status: "failed" | "aborted", failure: LogFailure, partial: AIMessage | undefined): Promise<void> {
    return this.failJson(status, failure, partial === undefined ? undefined : JSON.stringify(partial));
  }

  /** `fail`, with the partial message as JSON. */
  async failJson(status: "failed" | "aborted", failure: LogFailure, partial: string | undefined, now: number = Date.now()): Promise<void> {
    if (status !== "failed" && status !== "aborted") throw badOption(`status must be "failed" or "aborted", got ${String(status)}`);
    if (typeof failure?.message !== "string") throw badOption("failure.message must be a string");
    const stored: LogFailure = failure.code === undefined ? { message: failure.message } : { message: failure.message, code: failure.code };
    await this.#end(status, stored, partial, now);
  }

  async #end(status: LogStatus, failure: LogFailure | undefined, message: string | undefined, now: number): Promise<void> {
    const meta = this.#running(status === "finished" ? "close" : "fail");
    // The rows pending and the end, in one pack.
    this.#store({ status, endedAt: now, messageJson: message, failure, stopReason: meta.stopReason });
    meta.status = status;
    meta.endedAt = now;
    meta.messageJson = message;
    meta.message = undefined;
    meta.failure = failure;
    this.#wake();
    this.#resolveStop(undefined);
    await this.setAlarm(now + meta.timers.retentionMs);
  }

  snapshot(): Promise<LogSnapshot | undefined> {
    return Promise.resolve(this.snapshotNow());
  }

  /** `snapshot`, synchronously. */
  snapshotNow(): LogSnapshot | undefined {
    const meta = this.#meta;
    if (meta === undefined) return undefined;
    if (meta.message === undefined && meta.messageJson !== undefined) meta.message = JSON.parse(meta.messageJson) as AIMessage;
    return {
      status: meta.status,
      seq: this.#seq,
      startedAt: meta.startedAt,
      ...(meta.message === undefined ? {} : { message: meta.message }),
      ...(meta.failure === undefined ? {} : { failure: meta.failure }),
      ...(meta.endedAt === undefined ? {} : { endedAt: meta.endedAt }),
    };
  }

  /** The snapshot as JSON (what crosses RPC), without parsing the stored message. */
  snapshotJson(): string | undefined {
    const meta = this.#meta;
    if (meta === undefined) return undefined;
    const message = meta.messageJson === undefined ? "" : `,"message":${meta.messageJson}`;
    const failure = meta.failure === undefined ? "" : `,"failure":${JSON.stringify(meta.failure)}`;
    const ended = meta.endedAt === undefined ? "" : `,"endedAt":${meta.endedAt}`;
    return `{"status":"${meta.status}","seq":${this.#seq},"startedAt":${meta.startedAt}${message}${failure}${ended}}`;
  }

  read(after: number, options: LogReadOptions = {}): ReadableStream<LogRow> {
    return this.#read<LogRow>(after, options, (controller, entries) => {
      for (const entry of entries) controller.enqueue((entry.row ??= { seq: entry.seq, events: JSON.parse(entry.json) as ProtocolEvent[] }));
    });
  }

  /**
   * `read`, as newline-delimited JSON rows (`{"seq":1,"events":[...]}`): what `DurableStreamLog`
   * reads over a fetch. The stored JSON goes out as it is, and what is ready goes as one chunk.
   * Its signal is the request's: an abort (the reader left) ends the body quietly, as nobody reads
   * it any more.
   */
  readLines(after: number, options: LogReadOptions & { onEnd?: () => void } = {}): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    return this.#read<Uint8Array>(after, { ...options, quiet: true }, (controller, entries) => {
      let text = "";
      for (const entry of entries) text += `{"seq":${entry.seq},"events":${entry.json}}\n`;
      controller.enqueue(encoder.encode(text));
    });
  }

  #read<T>(after: number, options: LogReadOptions & { quiet?: boolean; onEnd?: () => void }, emit: (controller: ReadableStreamDefaultController<T>, entries: readonly Entry[]) => void): ReadableStream<T> {
    const live = options.live === true;
    const signal = options.signal;
    const error =
      !(Number.isInteger(after) && after >= 0)
        ? badOption(`after must be an integer ≥ 0, got ${String(after)}`)
        : this.#meta === undefined
          ? notFound()
          : undefined;
    // Without live, the rows stored now; with it, up to the end.
    const last = live ? Infinity : this.#seq;
    let next = after;
    let done = false;
    let wake: (() => void) | undefined;
    let onAbort: (() => void) | undefined;
    const release = (): void => {
      if (!done) options.onEnd?.();
      done = true;
      if (wake !== undefined) this.#waiters.delete(wake);
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    };
    return new ReadableStream<T>(
      {
        start: (controller) => {
          if (error !== undefined) {
            release();
            controller.error(error);
          } else if (signal !== undefined) {
            if (signal.aborted) {
              release();
              if (options.quiet === true) controller.close();
              else controller.error(signal.reason);
              return;
            }
            onAbort = () => {
              const waiting = wake;
              release();
              if (options.quiet === true) controller.close();
              else controller.error(signal.reason);
              waiting?.();
            };
            signal.addEventListener("abort", onAbort, { once: true });
          }
        },
        pull: async (controller) => {
          for (;;) {
            if (done) return;
            const meta = this.#meta;
            if (meta === undefined) {
              release();
              controller.error(notFound());
              return;
            }
            const upto = Math.min(last, this.#seq);
            if (next < upto) {
              const entries = this.#entries(next, upto);
              if (entries.length === 0) throw new Error(`Rows ${next + 1}-${upto} are missing from storage`);
              next = entries[entries.length - 1]!.seq;
              emit(controller, entries);
              return;
            }
            if (!live || meta.status !== "running") {
              release();
              controller.close();
              return;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
              this.#waiters.add(resolve);
            });
            wake = undefined;
          }
        },
        cancel: release,
      },
      { highWaterMark: 0 },
    );
  }

  /** The stored rows with `after` < seq ≤ `upto`, at most a batch: from the tail when it has them all, else from SQL. */
  #entries(after: number, upto: number): Entry[] {
    const count = Math.min(BATCH, upto - after);
    const first = this.#tail[0];
    if (first !== undefined && first.seq <= after + 1) {
      const start = after + 1 - first.seq;
      return this.#tail.slice(start, start + count);
    }
    // Rows before the tail are all written (the tail keeps the pending ones): unpack their packs.
    const sql = this.#storage.sql;
    const entries: Entry[] = [];
    let from = after;
    while (entries.length < count) {
      // The first SQL row whose pack ends after `from` is that pack's first: all of a pack's share its last_seq.
      const found = sql.exec("SELECT n, first_seq, rows, more FROM log WHERE last_seq > ? ORDER BY n LIMIT 4", from).toArray();
      if (found.length === 0) break;
      const packs: { firstSeq: number; rows: string }[] = [];
      for (let i = 0; i < found.length; ) {
        const head = found[i]!;
        const end = i + 1 + (head["more"] as number);
        let pieces = found.slice(i, end);
        // The rest of a pack cut over more SQL rows than were read.
        if (end > found.length) pieces = [...pieces, ...sql.exec("SELECT rows FROM log WHERE n > ? AND n < ? ORDER BY n", found[found.length - 1]!["n"] as number, (head["n"] as number) + end - i).toArray()];
        packs.push({ firstSeq: head["first_seq"] as number, rows: joined(pieces, "rows") ?? "[]" });
        i = end;
      }
      for (const pack of packs) {
        const rows = JSON.parse(pack.rows) as ProtocolEvent[][];
        const firstSeq = pack.firstSeq;
        for (let i = 0; i < rows.length && entries.length < count; i++) {
          const seq = firstSeq + i;
          if (seq <= from) continue;
          const events = rows[i]!;
          entries.push({ seq, json: JSON.stringify(events), row: { seq, events } });
        }
        from = firstSeq + rows.length - 1;
        if (entries.length >= count) break;
      }
    }
    return entries;
  }

  #wake(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter();
  }

  async stop(reason?: string): Promise<void> {
    const meta = this.#meta;
    if (meta === undefined || meta.status !== "running" || meta.stopReason !== undefined) return;
    const stored = reason ?? STOP_REASON;
    // Stored (with the rows pending) so that a producer listening again after a restart hears it.
    this.#store({ ...meta, stopReason: stored });
    meta.stopReason = stored;
    this.#resolveStop(stored);
  }

  stopped(signal?: AbortSignal): Promise<string | undefined> {
    const meta = this.#meta;
    if (meta?.stopReason !== undefined) return Promise.resolve(meta.stopReason);
    if (meta === undefined || meta.status !== "running" || signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const settle = (reason: string | undefined): void => {
        this.#stopWaiters.delete(settle);
        signal?.removeEventListener("abort", onAbort);
        resolve(reason);
      };
      const onAbort = (): void => settle(undefined);
      this.#stopWaiters.add(settle);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #resolveStop(reason: string | undefined): void {
    for (const settle of [...this.#stopWaiters]) settle(reason);
  }

  /**
   * The alarm: finishes a running generation whose producer sent nothing for its
   * `producerTimeoutMs` (status `failed`, code `timeout`, the partial folded from the rows, an
   * `error` row for readers), or schedules itself again; deletes an ended generation. With
   * `gone`, finishes a running generation at once, with that failure.
   */
  async alarm(now: number = Date.now(), gone?: LogFailure): Promise<void> {
    const meta = this.#meta;
    if (meta === undefined) {
      // Nothing of a generation here (an object restarted before its first pack): nothing to keep.
      await this.#storage.deleteAll();
      return;
    }
    if (meta.status !== "running") {
      await this.#delete();
      return;
    }
    const timeout = meta.timers.producerTimeoutMs;
    const lastHeard = this.lastHeardAt;
    // `gone`: the caller knows the producer is gone (it ran in an instance of the object that ended).
    if (gone === undefined && now - lastHeard < timeout) {
      await this.setAlarm(lastHeard + timeout);
      return;
    }
    const failure: LogFailure = gone ?? { message: `The producer appended nothing for ${timeout} ms`, code: "timeout" };
    const seq = this.#seq;
    const partial = await foldPartial(this.#allEvents(), failure);
    if (this.#meta !== meta || meta.status !== "running") return; // it ended during the fold
    if (this.#seq !== seq) {
      // The producer came back during the fold.
      await this.setAlarm(this.#lastAppendAt + timeout);
      return;
    }
    this.appendJson(this.#seq + 1, JSON.stringify([{ event: "error", ...failure }]), now);
    await this.failJson("failed", failure, partial === undefined ? undefined : JSON.stringify(partial), now);
  }

  #allEvents(): ProtocolEvent[] {
    const events: ProtocolEvent[] = [];
    for (let after = 0; after < this.#seq; ) {
      const entries = this.#entries(after, this.#seq);
      for (const entry of entries) events.push(...(entry.row ??= { seq: entry.seq, events: JSON.parse(entry.json) as ProtocolEvent[] }).events);
      after = entries[entries.length - 1]!.seq;
    }
    return events;
  }

  async #delete(): Promise<void> {
    this.#dropPending();
    if (this.#quietTimer !== undefined) clearTimeout(this.#quietTimer);
    this.#quietTimer = undefined;
    await this.#storage.deleteAll();
    this.#meta = undefined;
    this.#seq = 0;
    this.#written = 0;
    this.#packs = 0;
    this.#lastAppendAt = 0;
    this.#tail = [];
    this.#tailChars = 0;
    this.#wake();
    this.#resolveStop(undefined);
  }
}
