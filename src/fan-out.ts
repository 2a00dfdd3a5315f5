/**
 * The single-reader distributor. One loop reads the source (or takes pushed events), folds each
 * event into the accumulator once, and hands what it produced straight to the cursors that have a
 * reader. A cursor whose reader waits gets the chunk at once; a cursor whose reader lags queues it
 * (text coalesced), and the source is not read further while any cursor is `highWaterMark` events
 * behind, unless an await is pending. A projection without a reader has no cursor and holds nothing.
 *
 * @module
 */
import {
  EMIT_REASONING,
  EMIT_TEXT,
  EMIT_TOOL,
  EMIT_USAGE,
  FAILED,
  FINISHED,
  MessageAccumulator,
} from "./accumulator.ts";
import { type EventQueue, queueEvent, queuedEvent } from "./coalesce.ts";
import { type LimitOptions, type Limits, limitsFor } from "./limits.ts";
import type { AIMessage, ErrorWithPartial } from "./protocol.ts";
import { StringBuilder } from "./string-builder.ts";
import { Turns } from "./turns.ts";

/** @internal What a cursor or an await follows. */
export const TEXT = 0;
/** @internal */
export const REASONING = 1;
/** @internal */
export const TOOL_CALLS = 2;
/** @internal */
export const USAGE = 3;
/** @internal */
export const OUTPUT = 4;
/** @internal */
export const EVENTS = 5;

const IDLE = 0;
const STARTING = 1;
const RUNNING = 2;
const FINISHED_STATE = 3;
const FAILED_STATE = 4;

/** @internal A source read by the hub: a `ReadableStream` reader or an async iterator. */
export interface PullSource {
  /** A sync source may answer at once, which saves a promise per event. */
  read(): IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
  cancel(reason: unknown): unknown;
  /** Always answers at once (a sync iterable). */
  sync?: boolean;
}

/** @internal Opens a source on first consumption; cancels it unopened otherwise. */
export interface SourceOpener {
  open(): PullSource;
  cancelUnopened(reason: unknown): unknown;
}

/**
 * @internal Where a cursor's chunks go: its `ReadableStream`'s controller, or the direct iterator
 * of `for await` (see projection.ts). `desiredSize` below 0 means chunks wait there unread.
 */
export interface CursorSink {
  enqueue(chunk: unknown): void;
  close(): void;
  error(error: unknown): void;
  readonly desiredSize: number | null;
}

/** @internal One reader's place in one projection. */
export class Cursor implements EventQueue {
  readonly kind: number;
  controller: CursorSink | undefined = undefined;
  attached = false;
  /** The reader asked for a chunk and none was queued. */
  waiting = false;
  /** No more chunks will be queued: the cursor closed, errored or was cancelled. */
  done = false;
  /** Queued text (text and reasoning cursors). */
  text: StringBuilder | undefined;
  /** Queued chunks (other cursors); raw events merged as they queue (see coalesce.ts). */
  items: unknown[] = [];
  usage: unknown = undefined;
  usageAt = -1;
  /** The hub's event count when this reader last had everything: it is behind by the events since. */
  mark = 0;
  /** The reader's stream was closed or errored. */
  closed = false;
  /** An error to deliver once the queued chunks are read. */
  failure: { error: unknown } | undefined = undefined;

  constructor(kind: number) {
    this.kind = kind;
    this.text = kind <= REASONING ? new StringBuilder() : undefined;
  }

  get queued(): boolean {
    return this.text !== undefined ? this.text.length > 0 : this.items.length > 0;
  }
}

interface Deferred {
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

function deferred(): Deferred {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** @internal Options the hub takes from the stream. */
export interface HubOptions extends LimitOptions {
  messageId?: string | undefined;
  highWaterMark?: number | undefined;
  keepAlive?: boolean | undefined;
}

/** @internal The single reader and distributor behind a `ChatModelStream`. */
export class Hub {
  readonly acc: MessageAccumulator;
  readonly highWaterMark: number;
  readonly keepAlive: boolean;
  readonly abort: AbortController = new AbortController();

  #state = IDLE;
  #error: unknown = undefined;
  #cursors: Cursor[][] = [[], [], [], [], [], []];
  #attached = 0;
  #waiting = 0;
  /** Every attached cursor, for the lag check. */
  #all: Cursor[] = [];
  /** How far behind a reader stops the source: `highWaterMark`, and at least one event. */
  #limit: number;
  #awaited = false;
  #aborted = false;
  #finals: (Deferred | undefined)[] = [];
  #start: (() => unknown) | undefined = undefined;
  #pump: (() => unknown) | undefined = undefined;
  #opener: SourceOpener | undefined = undefined;
  #source: PullSource | undefined = undefined;
  #sourceCancelled = false;
  #pumping = false;
  /** The last pump call dispatched nothing: wait for a dispatch before calling it again. */
  #pumpIdle = false;
  #seq = 0;
  #ready: Deferred | undefined = undefined;
  /** The promise of setStart's callback, which `aclose()` after the finish waits for. */
  #work: Promise<unknown> = RESOLVED;
  /** The rest of a `from` source, read and ignored after the finish until it ends or `aclose()`. */
  #draining: PullSource | undefined = undefined;
  /** Gives timers their turn while a source answers in microtasks. */
  #turns: Turns = new Turns();
  #unlink: () => void = noop;
  #linked: { signal: AbortSignal; onAbort: () => void } | undefined = undefined;
  /** Timeouts and limits, when any is set. */
  #limits: Limits | undefined;

  constructor(options: HubOptions = {}) {
    this.acc = new MessageAccumulator(options.messageId);
    const hwm = options.highWaterMark ?? 16;
    if (!(hwm >= 0) || !Number.isFinite(hwm)) {
      throw new RangeError(`highWaterMark must be a finite number ≥ 0, got ${String(options.highWaterMark)}`);
    }
    this.highWaterMark = Math.floor(hwm);
    this.#limit = Math.max(1, this.highWaterMark);
    this.keepAlive = options.keepAlive ?? false;
    this.#limits = limitsFor(options);
  }

  // -- wiring ---------------------------------------------------------------------------------

  setStart(start: () => unknown): void {
    if (this.#state !== IDLE) throw new TypeError("setStart() after the stream started");
    this.#start = start;
  }

  setRequestMore(pump: () => unknown): void {
    if (this.#opener !== undefined) throw new TypeError("setRequestMore() on a stream made by from()");
    this.#pump = pump;
    this.#pumpIdle = false;
    this.#kick();
  }

  setSource(opener: SourceOpener): void {
    this.#opener = opener;
    // A stream whose signal was aborted before it got its source cancels the source at once.
    if (this.#state === FAILED_STATE) this.#cancelSource(this.#error);
  }

  /**
   * Ties the stream to an outside signal. The listener is added at the first consumption (or when a
   * producer waits on `ready`) and removed at the end, so streams made and never read leave nothing
   * on a long-lived signal; before that, an abort is checked whenever the stream is used.
   */
  link(signal: AbortSignal, onAbort: () => void): void {
    this.#linked = { signal, onAbort };
  }

  // -- producer side --------------------------------------------------------------------------

  dispatch(event: unknown): void {
    if (this.#state >= FINISHED_STATE) {
      throw new TypeError(
        `dispatch() after the message ${this.#state === FINISHED_STATE ? "finished" : "failed"}: the event was ignored`,
      );
    }
    this.#accept(event);
  }

  close(): void {
    if (this.#state >= FINISHED_STATE) return;
    if (this.acc.count === 0) this.fail(new Error("No generation chunks were returned"));
    else this.#accept({ event: "message-finish" }, false);
  }

  get desiredSize(): number | null {
    this.checkLinked();
    if (this.#state === FAILED_STATE) return null;
    // While setStart's callback runs for a waiting consumer, that consumer wants events already.
    if (this.#state !== RUNNING && this.#state !== STARTING) return 0;
    if (this.#awaited) return this.#limit;
    const behind = this.#behind();
    const room = this.highWaterMark - behind;
    // A waiting reader is a request for at least one event, as a pending read is in WHATWG streams.
    return this.#waiting > 0 && behind < this.#limit ? Math.max(1, room) : room;
  }

  get ready(): Promise<void> {
    this.checkLinked();
    if (this.#state >= FINISHED_STATE || (this.desiredSize ?? 1) > 0) return RESOLVED;
    this.#watch(); // a producer waiting here must hear of an abort
    if (this.#state >= FINISHED_STATE) return RESOLVED;
    return (this.#ready ??= deferred()).promise as Promise<void>;
  }

  #notifyReady(): void {
    const ready = this.#ready;
    if (ready !== undefined && (this.#state >= FINISHED_STATE || (this.desiredSize ?? 1) > 0)) {
      this.#ready = undefined;
      ready.resolve(undefined);
    }
  }

  /** Folds and hands on one event; `counted` is false for the finish that `close()` adds. */
  #accept(event: unknown, counted = true): void {
    this.#seq++;
    if (this.#limits !== undefined && counted) {
      const refused = this.#limits.refuse(event, this.acc.count);
      if (refused !== undefined) {
        this.fail(withPartial(refused, this.acc));
        return;
      }
    }
    const acc = this.acc;
    let flags: number;
    try {
      flags = acc.apply(event);
    } catch (error) {
      this.fail(withPartial(error, acc));
      return;
    }
    const cursors = this.#cursors;
    const raw = cursors[EVENTS]!;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c.waiting) this.#deliver(c, event);
      else queueEvent(c, event, this.#limit);
    }
    if (flags !== 0) {
      if (flags & EMIT_TEXT) this.#deliverAll(cursors[TEXT]!, acc.delta);
      if (flags & EMIT_REASONING) this.#deliverAll(cursors[REASONING]!, acc.delta);
      if (flags & EMIT_TOOL) this.#deliverAll(cursors[TOOL_CALLS]!, acc.chunk);
      if (flags & EMIT_USAGE) this.#deliverAll(cursors[USAGE]!, acc.usage);
      if (flags & FINISHED) this.#finish();
      else if (flags & FAILED) this.fail(withPartial(acc.error, acc));
    }
    if (this.#pumpIdle) {
      this.#pumpIdle = false;
      this.#kick();
    }
  }

  #deliverAll(list: Cursor[], chunk: unknown): void {
    for (let i = 0; i < list.length; i++) this.#deliver(list[i]!, chunk);
  }

  #deliver(c: Cursor, chunk: unknown): void {
    if (c.waiting) {
      c.waiting = false;
      this.#waiting--;
      c.controller!.enqueue(chunk);
      return;
    }
    if (c.text !== undefined) c.text.push(chunk as string);
    else c.items.push(chunk);
  }

  // -- the source loop ------------------------------------------------------------------------

  /** An outside signal that aborted before anything consumed: close now (no listener was added yet). */
  checkLinked(): void {
    const linked = this.#linked;
    if (linked?.signal.aborted) {
      this.#linked = undefined;
      linked.onAbort();
    }
  }

  /**
   * Starts listening to the outside signal: at the first consumption, or when a producer waits on
   * `ready`. Returns false when it had already aborted (the stream is closed now).
   */
  #watch(): boolean {
    const linked = this.#linked;
    if (linked === undefined) return true;
    this.#linked = undefined;
    if (linked.signal.aborted) {
      linked.onAbort();
      return false;
    }
    linked.signal.addEventListener("abort", linked.onAbort, { once: true });
    this.#unlink = () => linked.signal.removeEventListener("abort", linked.onAbort);
    return true;
  }

  /** Something consumes: start the stream if it has not started. */
  #consume(): void {
    if (this.#state !== IDLE) return;
    if (!this.#watch()) return;
    this.#state = STARTING;
    this.#limits?.start({
      events: () => this.#seq,
      waiting: () => this.#state === RUNNING && this.#wantsMore(),
      tokens: () => this.acc.textSoFar() !== "" || this.acc.reasoningSoFar() !== "" || this.acc.toolChunksSoFar().length > 0,
      timedOut: (error) => this.fail(Object.assign(error, { partial: this.acc.message() })),
    });
    const start = this.#start;
    this.#start = undefined;
    let result: unknown;
    try {
      result = start?.();
    } catch (error) {
      this.fail(error);
      return;
    }
    if (isThenable(result)) {
      const pending = Promise.resolve(result).then(
        () => this.#started(),
        (error: unknown) => this.fail(error),
      );
      this.#work = pending; // aclose() after the finish waits for the producer's start work too
    } else {
      this.#started();
    }
  }

  #started(): void {
    if (this.#state !== STARTING) return;
    this.#state = RUNNING;
    if (this.#opener !== undefined && !this.#sourceCancelled) {
      try {
        this.#source = this.#opener.open();
      } catch (error) {
        this.fail(error); // a locked stream, an iterable whose iterator throws
        return;
      }
    }
    this.#notifyReady();
    this.#kick();
  }

  /**
   * An await drives the source to the end. Otherwise it is read while some reader waits or, up to
   * `highWaterMark` events ahead, while any reader is attached: the read-ahead is what lets a
   * reader that is busy find a (coalesced) chunk ready instead of a round trip to the source.
   * Either way it stops while any reader is `highWaterMark` events behind.
   */
  #wantsMore(): boolean {
    if (this.#awaited) return true;
    if (this.#behind() >= this.#limit) return false;
    return this.#waiting > 0 || (this.#attached > 0 && this.highWaterMark > 0);
  }

  /** How many events the slowest reader is behind: those since it last waited or took its queue. */
  #behind(): number {
    const all = this.#all;
    let max = 0;
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!;
      if (!c.waiting && this.#seq - c.mark > max) max = this.#seq - c.mark;
    }
    return max;
  }

  #kick(): void {
    this.#limits?.wake(); // the stream may wait for its source again
    if (this.#pumping || this.#state !== RUNNING || this.#pumpIdle) return;
    if (this.#source === undefined && this.#pump === undefined) return;
    if (!this.#wantsMore()) return;
    void this.#drive();
  }

  async #drive(): Promise<void> {
    this.#pumping = true;
    try {
      const source = this.#source;
      if (source !== undefined) {
        while (this.#state === RUNNING && this.#wantsMore()) {
          let result = source.read();
          if (isThenable(result)) result = await result;
          if (this.#state !== RUNNING) break;
          if (result.done) this.close();
          else this.#accept(result.value);
          const turn = this.#turns.tick();
          if (turn !== undefined) await turn;
        }
      } else {
        while (this.#state === RUNNING && !this.#pumpIdle && this.#wantsMore()) {
          const seq = this.#seq;
          let result = this.#pump!();
          if (isThenable(result)) result = await result;
          if (this.#state !== RUNNING) break;
          if (result === false) this.close();
          else if (this.#seq === seq) this.#pumpIdle = true;
          const turn = this.#turns.tick();
          if (turn !== undefined) await turn;
        }
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.#pumping = false;
    }
  }

  #cancelSource(reason: unknown): void {
    if (this.#sourceCancelled || (this.#source === undefined && this.#opener === undefined)) return;
    this.#sourceCancelled = true;
    const source = this.#source;
    try {
      const result = source !== undefined ? source.cancel(reason) : this.#opener?.cancelUnopened(reason);
      if (isThenable(result)) result.then(noop, noop);
    } catch {
      // A source that throws while being cancelled has nothing more to give us.
    }
  }

  // -- consumer side --------------------------------------------------------------------------

  /** The `pull()` of a projection's underlying source: its reader wants a chunk. */
  pull(c: Cursor): void {
    if (!c.attached) {
      this.#attach(c);
      if (!c.queued && !c.done) {
        // The reader waits before the start runs, so a start callback awaiting `ready` sees it.
        this.#wait(c);
        this.#consume();
        if (c.waiting) {
          this.#notifyReady();
          this.#kick();
        }
        return; // else the start answered the read, or ended the stream
      }
      this.#consume(); // a read is consumption, even one the catch-up answers
      if (c.closed) return; // a sync source can run to its end right here
    }
    if (c.queued) {
      this.#take(c);
      // An error waits for the next pull, so the reader first gets what was queued for it.
      if (c.done && c.failure === undefined) this.#close(c);
      return;
    }
    if (c.done) {
      this.#end(c);
      return;
    }
    this.#wait(c);
    this.#notifyReady();
    this.#kick();
  }

  #wait(c: Cursor): void {
    if (!c.waiting) {
      // A second pending read calls pull() again: still one waiting reader.
      c.waiting = true;
      this.#waiting++;
    }
    c.mark = this.#seq;
  }

  /** The `cancel()` of a projection's underlying source. */
  cancel(c: Cursor, reason: unknown): void {
    const wasAttached = c.attached && !c.done;
    this.#detach(c);
    c.done = true;
    c.closed = true;
    c.text?.set("");
    c.items = [];
    c.failure = undefined;
    if (!wasAttached || this.#state >= FINISHED_STATE) return;
    this.#notifyReady();
    if (this.#attached === 0 && !this.#awaited && !this.keepAlive) {
      void this.aclose(reason ?? "every reader cancelled");
    } else {
      this.#kick();
    }
  }

  #attach(c: Cursor): void {
    c.attached = true;
    const state = this.#state;
    if (state === FAILED_STATE) {
      c.done = true;
      c.failure = { error: this.#error };
      // After an abort readers error at once; after a failure a late reader gets what a reader
      // attached from the start got: the deltas so far, then the error.
      if (this.#aborted) return;
    }
    const acc = this.acc;
    if (acc.count > 0) {
      switch (c.kind) {
        case TEXT:
          c.text!.push(acc.textSoFar());
          break;
        case REASONING:
          c.text!.push(acc.reasoningSoFar());
          break;
        case TOOL_CALLS:
          c.items = acc.toolChunksSoFar();
          break;
        case USAGE:
          if (acc.usage !== undefined) c.items.push(acc.usage);
          break;
        case EVENTS:
          c.items = acc.replay();
          break;
      }
    }
    if (state === FINISHED_STATE) {
      if (c.kind === OUTPUT) c.items.push(acc.message());
      c.done = true;
    }
    if (c.done) return;
    c.mark = this.#seq;
    this.#cursors[c.kind]!.push(c);
    this.#all.push(c);
    this.#attached++;
  }

  #detach(c: Cursor): void {
    if (!c.attached || c.done) return;
    const list = this.#cursors[c.kind]!;
    const at = list.indexOf(c);
    if (at >= 0) {
      list.splice(at, 1);
      this.#all.splice(this.#all.indexOf(c), 1);
      this.#attached--;
    }
    if (c.waiting) {
      c.waiting = false;
      this.#waiting--;
    }
  }

  /** Hands a cursor's queued chunks to its reader: text as one chunk, the rest one by one. */
  #take(c: Cursor): void {
    const controller = c.controller!;
    if (c.text !== undefined) controller.enqueue(c.text.take());
    else {
      const items = c.items;
      c.items = [];
      for (let i = 0; i < items.length; i++) controller.enqueue(queuedEvent(items[i]));
    }
    // The reader has everything now: it may have been the one holding the source back.
    c.mark = this.#seq;
    this.#notifyReady();
    this.#kick();
  }

  /** Ends a done cursor whose queue is empty. */
  #end(c: Cursor): void {
    const failure = c.failure;
    if (failure === undefined) this.#close(c);
    else {
      c.failure = undefined;
      this.#errorCursor(c, failure.error);
    }
  }

  #close(c: Cursor): void {
    if (c.closed) return;
    c.closed = true;
    c.controller!.close();
  }

  #errorCursor(c: Cursor, error: unknown): void {
    if (c.closed) return;
    c.closed = true;
    c.controller!.error(error);
  }

  // -- awaits ---------------------------------------------------------------------------------

  /** The promise of a projection's final value; awaiting drives the source to the end. */
  final(kind: number): Promise<unknown> {
    let d = this.#finals[kind];
    if (d !== undefined) return d.promise;
    if (this.#state === FINISHED_STATE) return Promise.resolve(this.#value(kind));
    if (this.#state === FAILED_STATE) return Promise.reject(this.#error);
    d = this.#finals[kind] = deferred();
    if (!this.#awaited) {
      this.#awaited = true;
      this.#notifyReady();
    }
    this.#consume();
    this.#kick();
    return d.promise;
  }

  #value(kind: number): unknown {
    const acc = this.acc;
    switch (kind) {
      case TEXT:
        return acc.text();
      case REASONING:
        return acc.reasoning();
      case TOOL_CALLS:
        return acc.toolCalls();
      case USAGE:
        return acc.usage;
      default:
        return acc.message();
    }
  }

  // -- the end --------------------------------------------------------------------------------

  #finish(): void {
    this.#state = FINISHED_STATE;
    this.#unlink();
    this.#limits?.stop();
    this.#turns.stop();
    const finals = this.#finals;
    for (let kind = 0; kind < finals.length; kind++) finals[kind]?.resolve(this.#value(kind));
    for (const c of this.#releaseCursors()) {
      if (c.kind === OUTPUT) c.items.push(this.acc.message());
      if (c.queued) this.#take(c);
      this.#close(c);
    }
    this.#notifyReady();
    const source = this.#source;
    // A source never opened is not needed any more; reading a sync source to its end could block
    // forever, so it is ended instead (a generator's finally blocks run).
    if (source === undefined || source.sync) this.#cancelSource("the message finished");
    this.#release();
    if (source !== undefined && !source.sync) void this.#drain(source);
  }

  /**
   * Reads the rest of the source and ignores it, so its producer can finish its own work, until it
   * ends or `aclose()` cancels it (a source that stays open must not hold anything).
   */
  async #drain(source: PullSource): Promise<void> {
    this.#draining = source;
    try {
      while (this.#draining === source) {
        const result = await source.read();
        if (result.done) break;
        const turn = this.#turns.tick();
        if (turn !== undefined) await turn;
      }
    } catch {
      // An error after the finish changes nothing.
    }
    if (this.#draining === source) this.#draining = undefined;
    this.#turns.stop();
  }

  /** An ended stream keeps its values, not its producer: a kept stream must not keep the source. */
  #release(): void {
    this.#source = undefined;
    this.#opener = undefined;
    this.#pump = undefined;
    this.#start = undefined;
  }

  /** Detaches every cursor at the end of the stream and returns them. */
  #releaseCursors(): Cursor[] {
    const all = this.#cursors.flat();
    for (const list of this.#cursors) list.length = 0;
    for (const c of all) {
      c.done = true;
      c.waiting = false;
    }
    this.#all = [];
    this.#attached = 0;
    this.#waiting = 0;
    return all;
  }

  /**
   * Fails the stream: awaits reject, readers get what is queued for them and then the error
   * (at once, without the queue, when `now`), the signal aborts and the source is cancelled.
   */
  fail(error: unknown, now = false): void {
    if (this.#state >= FINISHED_STATE) return;
    this.#state = FAILED_STATE;
    this.#error = error;
    this.#aborted = now;
    this.acc.stop();
    this.#unlink();
    this.#limits?.stop();
    this.#turns.stop();
    for (const d of this.#finals) d?.reject(error);
    for (const c of this.#releaseCursors()) {
      // Chunks already handed to the reader's stream (desiredSize < 0) are lost by error(): wait.
      if (now || (!c.queued && (c.controller!.desiredSize ?? 0) >= 0)) {
        c.text?.set("");
        c.items = [];
        this.#errorCursor(c, error);
      } else {
        c.failure = { error };
      }
    }
    this.#notifyReady();
    this.abort.abort(error);
    this.#cancelSource(error);
    this.#release();
  }

  /** See `ChatModelStream.aclose`. */
  aclose(reason?: unknown): Promise<void> {
    if (this.#state === FINISHED_STATE) {
      // The message stays a success; the rest of a source that is still open is not needed.
      const draining = this.#draining;
      this.#draining = undefined;
      let cancelled: unknown;
      if (draining !== undefined) {
        try {
          cancelled = draining.cancel(reason ?? "the message finished");
        } catch {
          // Nothing more to wait for.
        }
      }
      return Promise.all([this.#work, cancelled]).then(noop, noop);
    }
    if (this.#state === FAILED_STATE) return RESOLVED;
    this.fail(abortError(reason, this.acc), true);
    return RESOLVED;
  }
}

/** A reason as text; one that cannot be turned into a string (no prototype, a throwing `toString`) is named so. */
function describeReason(reason: unknown): string {
  try {
    return String(reason instanceof Error ? reason.message : reason);
  } catch {
    return "a reason that cannot be shown as text";
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}

/** Attaches the message so far to an error this package made. */
function withPartial(error: unknown, acc: MessageAccumulator): unknown {
  if (error instanceof Error) (error as ErrorWithPartial).partial = acc.message();
  return error;
}

/** @internal The error every reader and await gets after `aclose()`. */
export function abortError(reason: unknown, acc: MessageAccumulator): DOMException & { partial: AIMessage } {
  const detail = reason === undefined ? "" : `: ${describeReason(reason)}`;
  const error = new DOMException(`The chat model stream was closed${detail}`, "AbortError") as DOMException & {
    partial: AIMessage;
    cause?: unknown;
  };
  if (reason !== undefined) error.cause = reason;
  error.partial = acc.message();
  return error;
}
