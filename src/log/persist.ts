/**
 * `persist`: runs one generation into a `StreamLog`, whether or not anyone watches it, so that
 * viewers (`resumeResponse`) can join, leave and come back, and a Stop from anywhere reaches it.
 *
 * @module
 */
import { coded, errorCode } from "../errors.ts";
import type { ChatModelStream } from "../chat-model-stream.ts";
import { queuedEvent, queueEvent, type EventQueue } from "../coalesce.ts";
import { StringBuilder } from "../string-builder.ts";
import { describeError, errorEvent, type ErrorEventFields } from "../encoders/to-response.ts";
import type { AIMessage, ContentBlock, ErrorWithPartial, ProtocolEvent, RawEvent } from "../protocol.ts";
import type { LogFailure, LogSnapshot, LogStatus, StreamLog } from "./stream-log.ts";

/** Options of `persist`; all are optional. */
export interface PersistOptions {
  /**
   * The client's signal (`request.signal`). With `onDisconnect: "cancel"` its abort stops the
   * generation (stored as `aborted`); with `"continue"` it is ignored.
   */
  signal?: AbortSignal | undefined;
  /**
   * What the client's disconnect does: `"continue"` keeps the generation running into the log
   * (a reload resumes it; only an explicit `log.stop()` stops it), `"cancel"` stops it.
   * @default "continue"
   */
  onDisconnect?: "continue" | "cancel" | undefined;
  /**
   * A row is appended once its events reach about this many bytes of content.
   * @default 4096
   */
  flushBytes?: number | undefined;
  /**
   * A row is appended at most this many milliseconds after its first event: what a live viewer
   * waits at most, and, at a slow pace, what decides the number of rows.
   * @default 50
   */
  flushMs?: number | undefined;
  /** The stored `error` event's fields for a failure, as `toResponse`'s `onError`. */
  onError?: ((error: unknown) => ErrorEventFields) | undefined;
}

/** What `persist` returns: the final snapshot's promise, and when the log was opened. */
export interface Persisting extends Promise<LogSnapshot> {
  /**
   * Resolves once the log exists (`log.open()` resolved): from then on viewers can read it.
   * Rejects as `log.open()` did (another producer has the id).
   */
  readonly opened: Promise<void>;
}

const noop = (): void => {};

/** The events of a row as it grows: merged as the coalescer merges a lagging reader's queue. */
class PendingRow {
  readonly queue: EventQueue = { items: [], usage: undefined, usageAt: -1 };
  /** About how many bytes its events take as JSON. */
  bytes = 0;
  /** It holds a block's end or the terminal event: append it without waiting. */
  urgent = false;

  get empty(): boolean {
    return this.queue.items.length === 0;
  }

  add(event: ProtocolEvent): void {
    // Room 0: every growing delta merges into the one before it when it can.
    queueEvent(this.queue, event, 0);
    this.bytes += eventSize(event as unknown as RawEvent);
    const name = event.event;
    if (name === "content-block-finish" || name === "message-finish" || name === "error") this.urgent = true;
  }

  events(): ProtocolEvent[] {
    return this.queue.items.map(queuedEvent) as ProtocolEvent[];
  }
}

/**
 * What the text and reasoning blocks' deltas gave so far, so that a block's finish that repeats
 * them exactly is stored without the repeat: a finished text or reasoning that is empty keeps what
 * the deltas gave (the fold's rule), so the message is the same, and a replay sends the answer's
 * text once, not twice.
 */
class BlockTexts {
  /** Per open block index: the field its deltas grow (`text` / `reasoning`) and what they gave. */
  readonly #blocks = new Map<number, { key: string; text: StringBuilder }>();

  /** Notes what `event` adds; returns the event to store (a finish maybe without its repeated text). */
  see(event: ProtocolEvent): ProtocolEvent {
    const name = event.event;
    if (name === "content-block-delta") {
      const delta = event.delta as RawEvent;
      const type = delta["type"];
      const key = type === "text-delta" || type === "text" ? "text" : type === "reasoning-delta" || type === "reasoning" ? "reasoning" : undefined;
      const piece = key === undefined ? undefined : delta[key];
      if (typeof piece === "string") this.#grow(event.index, key!, piece);
      return event;
    }
    if (name === "content-block-start") {
      const content = event.content as RawEvent;
      const key = content["type"] === "text" ? "text" : content["type"] === "reasoning" ? "reasoning" : undefined;
      this.#blocks.delete(event.index);
      // A start's own text is its first delta.
      const seed = key === undefined ? undefined : content[key];
      if (typeof seed === "string") this.#grow(event.index, key!, seed);
      return event;
    }
    if (name !== "content-block-finish") return event;
    const block = this.#blocks.get(event.index);
    this.#blocks.delete(event.index);
    const content = event.content as RawEvent;
    if (block === undefined || content["type"] !== block.key) return event;
    const finished = content[block.key];
    if (typeof finished !== "string" || finished === "" || finished.length !== block.text.length || finished !== block.text.toString()) return event;
    return { ...event, content: { ...content, [block.key]: "" } as ContentBlock };
  }

  #grow(index: number, key: string, piece: string): void {
    let block = this.#blocks.get(index);
    if (block === undefined || block.key !== key) {
      block = { key, text: new StringBuilder() };
      this.#blocks.set(index, block);
    }
    block.text.push(piece);
  }
}

/** @internal About an event's size: the growing field of a delta, else its JSON; only a rough size is needed. */
export function eventSize(event: RawEvent): number {
  if (event["event"] === "content-block-delta") {
    const delta = event["delta"] as RawEvent | undefined;
    if (delta !== null && typeof delta === "object") {
      const grown = delta["text"] ?? delta["reasoning"] ?? delta["data"] ?? delta["args"];
      if (typeof grown === "string") return grown.length;
    }
  }
  try {
    return JSON.stringify(event).length;
  } catch {
    return 0;
  }
}

function checkNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw coded(new RangeError(`persist: ${name} must be a number ≥ 0, got ${String(value)}`), "bad_option");
  }
  return value;
}

/**
 * Runs `stream` into `log` to its end, whether or not anyone reads it: opens the log, appends its
 * events as rows (consecutive deltas of a block merged into one; a row goes out at `flushBytes`
 * of content, `flushMs` after its first event, at each block's end and at the message's end), then
 * stores the final message (`close`) or the failure with the partial message (`fail`). The last
 * row ends with the terminal event exactly as `toResponse`'s SSE would write it: the
 * `message-finish`, the provider's `error` event, or a closing `{event: "error", message, code}`.
 * Appends are one at a time; while one is under way, events go on merging into the next row, so
 * a slow store holds the content, not one entry per event. A text or reasoning block's finish that
 * repeats exactly what its deltas gave is stored with that field empty (the fold then keeps the
 * deltas' text: the message is the same), so the answer's text is stored, and replayed, once.
 *
 * A Stop is `log.stop(reason)` from any instance: `persist` hears it (`log.stopped`), calls
 * `stream.aclose(reason)`, and stores the partial message with status `aborted`.
 *
 * Returns a promise of the final snapshot (hand it to `ctx.waitUntil`), with `opened`: resolved
 * once viewers can read the log.
 *
 * @example
 * ```ts
 * const logs = new MemoryLogStore();
 * const run = persist(ChatModelStream.from(callModel(request)), logs.log("chat-42"), {
 *   signal: request.signal,
 *   onDisconnect: "continue", // a reload resumes; only a Stop stops
 * });
 * ctx.waitUntil(run);
 * await run.opened;
 * // This client is one viewer among many:
 * const viewer: Response = await resumeResponse(logs.log("chat-42"), request);
 * ```
 *
 * Cancellation and errors: the client's `signal` stops the generation only with `onDisconnect:
 * "cancel"`. A failure of the stream is stored, not thrown: the promise resolves with the failed
 * or aborted snapshot (an abort is `aborted`; a timeout and any other failure `failed`). When the
 * log fails (`open` rejects because another producer has the id, or an `append` rejects), the
 * stream is closed (`aclose`, nobody could watch it), `fail` is tried so that viewers are not left
 * waiting, and the promise rejects with the log's error. When `close` rejects, `fail` is tried with
 * the final message as the partial (status `failed`), and the promise rejects with `close`'s error. A bad `flushBytes` / `flushMs` /
 * `onDisconnect` throws at once.
 */
export function persist(stream: ChatModelStream, log: StreamLog, options: PersistOptions = {}): Persisting {
  const flushBytes = checkNumber("flushBytes", options.flushBytes, 4096);
  const flushMs = checkNumber("flushMs", options.flushMs, 50);
  const onDisconnect = options.onDisconnect ?? "continue";
  if (onDisconnect !== "continue" && onDisconnect !== "cancel") {
    throw coded(new TypeError(`persist: onDisconnect must be "continue" or "cancel", got ${String(onDisconnect)}`), "bad_option");
  }
  // Called now, not after an await: an engine that creates the log synchronously (MemoryLog) has
  // it before this function returns.
  let opened: Promise<void>;
  try {
    opened = Promise.resolve(log.open());
  } catch (error) {
    opened = Promise.reject(error);
  }
  opened.catch(noop);
  const run = new Run(stream, log, flushBytes, flushMs, options.onError ?? describeError);
  const done = opened.then(
    () => run.run(onDisconnect === "cancel" ? options.signal : undefined),
    async (error: unknown) => {
      await stream.aclose(error).catch(noop);
      throw error;
    },
  );
  return Object.assign(done, { opened });
}

/** One generation being persisted. */
class Run {
  readonly #stream: ChatModelStream;
  readonly #log: StreamLog;
  readonly #flushBytes: number;
  readonly #flushMs: number;
  readonly #onError: (error: unknown) => ErrorEventFields;
  #pending = new PendingRow();
  readonly #texts = new BlockTexts();
  #seq = 0;
  /** The append under way, if any. */
  #appending: Promise<void> | undefined = undefined;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The pending row's time is up: it goes out as soon as no append is under way. */
  #due = false;
  /** The log's first error: nothing more is appended. */
  #logError: { error: unknown } | undefined = undefined;
  /** Settles once no append is under way and nothing urgent waits. */
  #idle: (() => void) | undefined = undefined;

  constructor(stream: ChatModelStream, log: StreamLog, flushBytes: number, flushMs: number, onError: (error: unknown) => ErrorEventFields) {
    this.#stream = stream;
    this.#log = log;
    this.#flushBytes = flushBytes;
    this.#flushMs = flushMs;
    this.#onError = onError;
  }

  async run(signal: AbortSignal | undefined): Promise<LogSnapshot> {
    const stream = this.#stream;
    const listening = new AbortController();
    this.#log.stopped(listening.signal).then(
      (reason) => {
        if (reason !== undefined) void stream.aclose(reason);
      },
      // An engine that cannot listen: the generation runs on; its end is stored all the same.
      noop,
    );
    const onDisconnect = (): void => void stream.aclose(signal!.reason);
    if (signal !== undefined) {
      if (signal.aborted) onDisconnect();
      else signal.addEventListener("abort", onDisconnect, { once: true });
    }
    try {
      return await this.#pump();
    } finally {
      listening.abort();
      signal?.removeEventListener("abort", onDisconnect);
      if (this.#timer !== undefined) clearTimeout(this.#timer);
    }
  }

  async #pump(): Promise<LogSnapshot> {
    const reader = this.#stream.events.getReader();
    let failure: unknown = undefined;
    let failed = false;
    /** The terminal event the stream gave (a provider's `error` event, the `message-finish`). */
    let terminal: ProtocolEvent | undefined = undefined;
    for (;;) {
      let result: ReadableStreamReadResult<ProtocolEvent>;
      try {
        result = await reader.read();
      } catch (error) {
        failed = true;
        failure = error;
        break;
      }
      if (result.done) break;
      const event = result.value;
      if (event.event === "message-finish" || event.event === "error") terminal = event;
      this.#add(event);
      if (this.#logError !== undefined) break;
    }
    if (this.#logError === undefined) {
      if (failed && terminal?.event !== "error") {
        terminal = errorEvent(failure, this.#onError);
        this.#add(terminal);
      }
      await this.#drain();
    }
    const log = this.#log;
    if (this.#logError !== undefined) {
      const error = this.#logError.error;
      const partial = (failure as ErrorWithPartial | undefined)?.partial ?? (await partialOf(this.#stream));
      await log.fail("failed", failureOf(errorEvent(error, describeError)), partial).catch(noop);
      throw error;
    }
    if (!failed) {
      const message = await this.#stream.output;
      try {
        await log.close(message);
      } catch (error) {
        // A log that refused the end (storage down, a value it cannot hold) would stay running
        // until its producer timeout: store it as failed with the message as its partial, so that
        // viewers end now; the close's error is what persist reports.
        await log.fail("failed", failureOf(errorEvent(error, describeError)), message).catch(noop);
        throw error;
      }
    } else {
      const stored = failureOf(terminal!);
      const partial = (failure as ErrorWithPartial | null | undefined)?.partial;
      await log.fail(errorCode(failure) === "aborted" ? "aborted" : "failed", stored, partial);
    }
    return (await log.snapshot()) ?? this.#ended(failed ? (errorCode(failure) === "aborted" ? "aborted" : "failed") : "finished");
  }

  /** What the log would say, for an engine that deleted it at once (no retention). */
  #ended(status: LogStatus): LogSnapshot {
    const now = Date.now();
    return { status, seq: this.#seq, startedAt: now, endedAt: now };
  }

  #add(event: ProtocolEvent): void {
    const pending = this.#pending;
    const first = pending.empty;
    pending.add(this.#texts.see(event));
    if (pending.urgent || pending.bytes >= this.#flushBytes) this.#flush();
    else if (first && this.#timer === undefined) this.#timer = setTimeout(() => this.#onTimer(), this.#flushMs);
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#due = true;
    this.#flush();
  }

  /** Appends the pending row now, or right after the append under way. */
  #flush(): void {
    if (this.#appending !== undefined || this.#logError !== undefined) return;
    const pending = this.#pending;
    if (pending.empty) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#due = false;
    this.#pending = new PendingRow();
    const row = { seq: ++this.#seq, events: pending.events() };
    this.#appending = this.#log.append(row).then(
      () => this.#appended(),
      (error: unknown) => {
        this.#logError = { error };
        // Nobody could watch the rest: stop the model (the pump then ends).
        void this.#stream.aclose(error);
        this.#appended();
      },
    );
  }

  #appended(): void {
    this.#appending = undefined;
    const pending = this.#pending;
    // Whatever merged while the append was under way goes out now if it was due; else its timer runs.
    if (!pending.empty && this.#logError === undefined) {
      if (this.#due || pending.urgent || pending.bytes >= this.#flushBytes || this.#idle !== undefined) this.#flush();
      else if (this.#timer === undefined) this.#timer = setTimeout(() => this.#onTimer(), this.#flushMs);
    }
    if (this.#appending === undefined && this.#idle !== undefined) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  }

  /** Appends what is pending and waits for the last append. */
  #drain(): Promise<void> {
    this.#flush();
    if (this.#appending === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }
}

/** The stored failure: the closing `error` event's fields. */
function failureOf(event: ProtocolEvent): LogFailure {
  const { message, code } = event as { message: unknown; code?: unknown };
  const text = typeof message === "string" ? message : String(message);
  return typeof code === "string" ? { message: text, code } : { message: text };
}

/** The message so far of a stream that failed, for a log that failed first. */
async function partialOf(stream: ChatModelStream): Promise<AIMessage | undefined> {
  try {
    return await stream.output;
  } catch (error) {
    return (error as ErrorWithPartial | null | undefined)?.partial;
  }
}
