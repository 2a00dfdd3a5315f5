/**
 * `MemoryLog`: the `StreamLog` engine of one process or one isolate. Tests, single-server Node,
 * and a Worker whose producer and viewers meet in one isolate use it; anything that must outlive
 * the process uses the Durable Object or the Redis engine.
 *
 * @module
 */
import { coded } from "../errors.ts";
import type { AIMessage } from "../protocol.ts";
import type { LogFailure, LogReadOptions, LogRow, LogSnapshot, LogStatus, StreamLog } from "./stream-log.ts";

/** Options of `MemoryLogStore`. */
export interface MemoryLogStoreOptions {
  /**
   * How long an ended generation stays readable, in milliseconds, before it is deleted (a late
   * viewer then gets `not_found`). `Infinity` keeps it until the process ends.
   * @default 600000 (10 minutes)
   */
  retentionMs?: number | undefined;
}

/** One generation, shared by every `MemoryLog` of its id. */
class Generation {
  readonly rows: LogRow[] = [];
  status: LogStatus = "running";
  readonly startedAt: number = Date.now();
  endedAt: number | undefined = undefined;
  message: AIMessage | undefined = undefined;
  failure: LogFailure | undefined = undefined;
  /** A stop asked while running, kept for a producer that starts listening later. */
  stopReason: string | undefined = undefined;
  /** Live readers waiting for the next row or the end: one entry each, removed when woken or gone. */
  readonly waiting: Set<() => void> = new Set();
  /** Producers listening for a stop. */
  readonly listeners: Set<(reason: string) => void> = new Set();

  wake(): void {
    if (this.waiting.size === 0) return;
    const woken = [...this.waiting];
    this.waiting.clear();
    for (const wake of woken) wake();
  }
}

/** A store's generations by id, and their retention. */
class Generations {
  readonly #map = new Map<string, Generation>();
  readonly retentionMs: number;

  constructor(retentionMs: number) {
    this.retentionMs = retentionMs;
  }

  get size(): number {
    this.#sweep();
    return this.#map.size;
  }

  get(id: string): Generation | undefined {
    const generation = this.#map.get(id);
    if (generation !== undefined && this.#expired(generation)) {
      this.#map.delete(id);
      return undefined;
    }
    return generation;
  }

  create(id: string): Generation {
    if (this.get(id) !== undefined) {
      throw coded(new TypeError(`MemoryLog: log ${JSON.stringify(id)} exists already (another producer has it)`), "invalid_state");
    }
    this.#sweep();
    const generation = new Generation();
    this.#map.set(id, generation);
    return generation;
  }

  /** Starts the retention of an ended generation. */
  ended(id: string, generation: Generation): void {
    const ms = this.retentionMs;
    if (ms === Infinity) return;
    if (ms === 0) {
      this.#map.delete(id);
      return;
    }
    const map = this.#map;
    const timer = setTimeout(() => {
      if (map.get(id) === generation) map.delete(id);
    }, ms);
    // Node: the timer must not keep a server that is shutting down alive.
    (timer as { unref?: () => void }).unref?.();
  }

  #expired(generation: Generation): boolean {
    return generation.endedAt !== undefined && Date.now() - generation.endedAt >= this.retentionMs;
  }

  /** Drops expired generations whose timer did not run (a runtime that cancels timers between requests). */
  #sweep(): void {
    for (const [id, generation] of this.#map) if (this.#expired(generation)) this.#map.delete(id);
  }
}

const stores = new WeakMap<MemoryLogStore, Generations>();

/**
 * Where `MemoryLog`s of one process find each other: a producer and its viewers that use the same
 * store and the same id share one generation. Ended generations are deleted after `retentionMs`,
 * by a timer and, where timers do not outlive a request (workerd), at the next lookup.
 *
 * @example
 * ```ts
 * const logs = new MemoryLogStore({ retentionMs: 5 * 60_000 });
 * const log = logs.log("chat-42"); // the same generation for the producer and every viewer
 * ```
 *
 * Cancellation and errors: a `retentionMs` that is not a number ≥ 0 throws a `RangeError`
 * (code `bad_option`). Deleting a generation ends nothing: readers reading it finish what they
 * hold, and new reads get `not_found`.
 */
export class MemoryLogStore {
  constructor(options: MemoryLogStoreOptions = {}) {
    const retentionMs = options.retentionMs ?? 600_000;
    if (typeof retentionMs !== "number" || Number.isNaN(retentionMs) || retentionMs < 0) {
      throw coded(new RangeError(`MemoryLogStore: retentionMs must be a number ≥ 0, got ${String(retentionMs)}`), "bad_option");
    }
    stores.set(this, new Generations(retentionMs));
  }

  /** A handle to log `id`; cheap, and any number may exist for one id. */
  log(id: string): MemoryLog {
    return new MemoryLog(id, this);
  }

  /** How many generations the store holds (running, or ended and retained). */
  get size(): number {
    return stores.get(this)!.size;
  }

  /** How many live reads of log `id` wait for its next row (each cancelled or ended read leaves). */
  waitingReads(id: string): number {
    return stores.get(this)!.get(id)?.waiting.size ?? 0;
  }
}

let defaultStore: MemoryLogStore | undefined;

function notFound(id: string): TypeError {
  return coded(new TypeError(`MemoryLog: no log ${JSON.stringify(id)} (never opened, or deleted after its retention)`), "not_found");
}

/**
 * A `StreamLog` held in memory: one generation's rows, shared through a `MemoryLogStore` by every
 * `MemoryLog` of the same id (the default store is one per module instance, with its default
 * retention). Rows are kept as given (not copied): neither the producer nor readers may change
 * them. Memory: the rows, plus per live reader its own waiting entry, released when it is woken,
 * cancelled or aborted.
 *
 * @example
 * ```ts
 * const logs = new MemoryLogStore();
 * // The producer, in the request that starts the chat:
 * ctx.waitUntil(persist(ChatModelStream.from(callModel(request)), logs.log("chat-42")));
 * // Any viewer, in any later request of this process:
 * const viewer: Response = await resumeResponse(logs.log("chat-42"), request);
 * ```
 *
 * Cancellation and errors: as `StreamLog`: `open` of an existing log rejects with a `TypeError`
 * (code `invalid_state`); `append` with a wrong `seq` with a `TypeError` (`bad_option`); `append`,
 * `close` and `fail` after the end, or before `open`, with a `TypeError` (`invalid_state` /
 * `not_found`); a read of a missing log errors with `not_found`. A read's `signal` errors it with
 * the signal's reason and removes its waiting entry; so does cancelling its stream.
 */
export class MemoryLog implements StreamLog {
  readonly #id: string;
  readonly #store: Generations;

  constructor(id: string, store?: MemoryLogStore) {
    this.#id = id;
    this.#store = stores.get(store ?? (defaultStore ??= new MemoryLogStore()))!;
  }

  /** The log's id. */
  get id(): string {
    return this.#id;
  }

  async open(): Promise<void> {
    this.#store.create(this.#id);
  }

  async append(row: LogRow): Promise<void> {
    const generation = this.#running("append");
    const seq = generation.rows.length + 1;
    if (row.seq !== seq) {
      throw coded(new TypeError(`MemoryLog.append: row.seq must be ${seq} (the next one), got ${String(row.seq)}`), "bad_option");
    }
    if (!Array.isArray(row.events) || row.events.length === 0) {
      throw coded(new TypeError("MemoryLog.append: row.events must be a non-empty array"), "bad_option");
    }
    generation.rows.push(row);
    generation.wake();
  }

  async close(message: AIMessage): Promise<void> {
    this.#end(this.#running("close"), "finished", message, undefined);
  }

  async fail(status: "failed" | "aborted", failure: LogFailure, partial: AIMessage | undefined): Promise<void> {
    if (status !== "failed" && status !== "aborted") {
      throw coded(new TypeError(`MemoryLog.fail: status must be "failed" or "aborted", got ${String(status)}`), "bad_option");
    }
    const failed: LogFailure = failure.code === undefined ? { message: failure.message } : { message: failure.message, code: failure.code };
    this.#end(this.#running("fail"), status, partial, failed);
  }

  async snapshot(): Promise<LogSnapshot | undefined> {
    const g = this.#store.get(this.#id);
    if (g === undefined) return undefined;
    const snapshot: { -readonly [K in keyof LogSnapshot]: LogSnapshot[K] } = { status: g.status, seq: g.rows.length, startedAt: g.startedAt };
    if (g.message !== undefined) snapshot.message = g.message;
    if (g.failure !== undefined) snapshot.failure = g.failure;
    if (g.endedAt !== undefined) snapshot.endedAt = g.endedAt;
    return snapshot;
  }

  read(after: number, options: LogReadOptions = {}): ReadableStream<LogRow> {
    return new ReadableStream<LogRow>(new RowSource(this.#store.get(this.#id), this.#id, after, options), { highWaterMark: 0 });
  }

  async stop(reason?: string): Promise<void> {
    const g = this.#store.get(this.#id);
    if (g === undefined || g.status !== "running" || g.stopReason !== undefined) return;
    const said = reason ?? "Stopped";
    g.stopReason = said;
    const listeners = [...g.listeners];
    g.listeners.clear();
    for (const listener of listeners) listener(said);
  }

  stopped(signal: AbortSignal): Promise<string | undefined> {
    const g = this.#store.get(this.#id);
    if (g === undefined) return Promise.reject(notFound(this.#id));
    if (g.stopReason !== undefined) return Promise.resolve(g.stopReason);
    if (signal.aborted || g.status !== "running") return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        g.listeners.delete(listener);
        resolve(undefined);
      };
      const listener = (reason: string): void => {
        signal.removeEventListener("abort", onAbort);
        resolve(reason);
      };
      g.listeners.add(listener);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #running(method: string): Generation {
    const g = this.#store.get(this.#id);
    if (g === undefined) throw notFound(this.#id);
    if (g.status !== "running") {
      throw coded(new TypeError(`MemoryLog.${method}: the generation has ended (${g.status})`), "invalid_state");
    }
    return g;
  }

  #end(g: Generation, status: LogStatus, message: AIMessage | undefined, failure: LogFailure | undefined): void {
    g.status = status;
    g.message = message;
    g.failure = failure;
    g.endedAt = Date.now();
    // Producers still listening hear nothing more: their signal ends their wait.
    g.listeners.clear();
    g.wake();
    this.#store.ended(this.#id, g);
  }
}

/** One read: hands out rows as its reader asks, and waits for the next one when live. */
class RowSource implements UnderlyingDefaultSource<LogRow> {
  /** Undefined once released (closed, cancelled, aborted): the generation is no longer held. */
  #generation: Generation | undefined;
  readonly #id: string;
  readonly #live: boolean;
  readonly #signal: AbortSignal | undefined;
  #next: number;
  #controller: ReadableStreamDefaultController<LogRow> | undefined = undefined;
  /** This read's waiting entry, while it waits. */
  #wake: (() => void) | undefined = undefined;
  readonly #onAbort = (): void => this.#abort();

  constructor(generation: Generation | undefined, id: string, after: number, options: LogReadOptions) {
    this.#generation = generation;
    this.#id = id;
    this.#live = options.live ?? false;
    this.#signal = options.signal;
    // Rows are numbered from 1 with no gap: row `seq` is at index `seq - 1`.
    this.#next = Math.max(0, Math.floor(Number(after) || 0));
  }

  start(controller: ReadableStreamDefaultController<LogRow>): void {
    this.#controller = controller;
    if (this.#generation === undefined) return controller.error(notFound(this.#id));
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) return this.#abort();
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  pull(controller: ReadableStreamDefaultController<LogRow>): Promise<void> | void {
    const g = this.#generation;
    if (g === undefined) return;
    if (this.#next < g.rows.length) {
      controller.enqueue(g.rows[this.#next++]!);
      return;
    }
    if (!this.#live || g.status !== "running") {
      this.#release();
      controller.close();
      return;
    }
    // Woken by the next append or by the end; the pull then gives what it finds.
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#wake = undefined;
        resolve(this.pull(controller));
      };
      this.#wake = wake;
      g.waiting.add(wake);
    });
  }

  cancel(): void {
    this.#release();
  }

  #abort(): void {
    const reason = this.#signal!.reason;
    this.#release();
    this.#controller!.error(reason);
  }

  #release(): void {
    const g = this.#generation;
    if (g === undefined) return;
    this.#generation = undefined;
    if (this.#wake !== undefined) g.waiting.delete(this.#wake);
    this.#wake = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }
}
