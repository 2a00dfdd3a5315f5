/**
 * The single reader behind a `ChatModelStream`: its lifecycle and its demand. Each event is folded
 * into the accumulator once and handed to the readers (readers.ts); the source loop
 * (source-loop.ts) is asked for more while a reader waits or an await is pending, and no faster
 * than the slowest reader allows.
 *
 * The lifecycle, one transition function each, which checks where it starts from:
 *
 * - `idle`: made, nothing consumed; nothing runs.
 * - `starting`: the first read or await came; `setStart`'s callback runs.
 * - `running`: events flow.
 * - `finished`: `message-finish` arrived (or was added at the source's end); values are final.
 * - `failed`: an abort, an `error` event, bad input, a limit, a timeout or the producer's error.
 *
 * @module
 */
import { FAILED, FINISHED, MessageAccumulator } from "./fold/accumulator.ts";
import { type Cursor, type CursorState, OUTPUT, REASONING, TEXT, TOOL_CALLS, USAGE } from "./cursor.ts";
import { type LimitOptions, type Limits, limitsFor } from "./limits.ts";
import type { AIMessage, ErrorWithPartial } from "./protocol.ts";
import { Readers } from "./readers.ts";
import { SignalLink } from "./signal-link.ts";
import { coded, noChunks } from "./errors.ts";
import { type LoopHost, SourceLoop, type SourceOpener } from "./source-loop.ts";
import { queuedEvent } from "./coalesce.ts";

/** @internal */
export type HubState = "idle" | "starting" | "running" | "finished" | "failed";

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

/** @internal Options the hub takes from the stream. */
export interface HubOptions extends LimitOptions {
  messageId?: string | undefined;
  highWaterMark?: number | undefined;
  keepAlive?: boolean | undefined;
}

/** @internal */
export class Hub implements LoopHost {
  readonly acc: MessageAccumulator;
  readonly highWaterMark: number;
  readonly keepAlive: boolean;
  readonly abort: AbortController = new AbortController();
  readonly link: SignalLink = new SignalLink();

  #state: HubState = "idle";
  #error: unknown = undefined;
  /** The failure was an abort: readers error at once, without what is queued for them. */
  #aborted = false;
  /** How far behind a reader stops the source: `highWaterMark`, and at least one event. */
  readonly #limit: number;
  readonly #readers: Readers;
  readonly #loop: SourceLoop;
  /** An await is pending: it drives the source to the end. */
  #awaited = false;
  #finals: (Deferred | undefined)[] = [];
  #seq = 0;
  #ready: Deferred | undefined = undefined;
  /** Timeouts and limits, when any is set. */
  readonly #limits: Limits | undefined;

  constructor(options: HubOptions = {}) {
    this.acc = new MessageAccumulator(options.messageId);
    const hwm = options.highWaterMark ?? 16;
    if (!(hwm >= 0) || !Number.isFinite(hwm)) {
      throw coded(new RangeError(`highWaterMark must be a finite number ≥ 0, got ${String(options.highWaterMark)}`), "bad_option");
    }
    this.highWaterMark = Math.floor(hwm);
    this.#limit = Math.max(1, this.highWaterMark);
    this.keepAlive = options.keepAlive ?? false;
    this.#limits = limitsFor(options);
    this.#readers = new Readers(this.#limit);
    this.#loop = new SourceLoop(this);
  }

  get state(): HubState {
    return this.#state;
  }

  // -- transitions ----------------------------------------------------------------------------

  /** idle → starting: the first consumption. */
  #toStarting(): boolean {
    if (this.#state !== "idle") return false;
    this.#state = "starting";
    return true;
  }

  /** starting → running: the start callback settled. */
  #toRunning(): boolean {
    if (this.#state !== "starting") return false;
    this.#state = "running";
    return true;
  }

  /** starting | running → finished (a push producer may finish before anything consumed: idle too). */
  #toFinished(): boolean {
    if (this.#state === "finished" || this.#state === "failed") return false;
    this.#state = "finished";
    return true;
  }

  /** anything but an end → failed. */
  #toFailed(error: unknown, aborted: boolean): boolean {
    if (this.#state === "finished" || this.#state === "failed") return false;
    this.#state = "failed";
    this.#error = error;
    this.#aborted = aborted;
    return true;
  }

  get #ended(): boolean {
    return this.#state === "finished" || this.#state === "failed";
  }

  // -- wiring ---------------------------------------------------------------------------------

  setStart(start: () => unknown): void {
    if (this.#state !== "idle") throw coded(new TypeError("setStart() after the stream started"), "invalid_state");
    this.#loop.setStart(start);
  }

  setRequestMore(pump: () => unknown): void {
    if (this.#loop.hasSource) throw coded(new TypeError("setRequestMore() on a stream made by from()"), "invalid_state");
    this.#loop.setPump(pump);
    this.#kick();
  }

  setCancel(cancel: (reason: unknown) => unknown): void {
    this.#loop.setCancel(cancel);
  }

  setSource(opener: SourceOpener): void {
    this.#loop.setSource(opener);
    // A stream whose signal was aborted before it got its source cancels the source at once.
    if (this.#state === "failed") this.#loop.cancel(this.#error);
  }

  // -- producer side --------------------------------------------------------------------------

  dispatch(event: unknown): void {
    const state = this.#state;
    if (state === "finished" || state === "failed") {
      throw coded(new TypeError(`dispatch() after the message ${state}: the event was ignored`), "invalid_state");
    }
    this.#fold(event, true);
  }

  close(): void {
    if (this.#ended) return;
    if (this.acc.count === 0) this.fail(noChunks());
    else this.#fold({ event: "message-finish" }, false);
  }

  get desiredSize(): number | null {
    this.link.check();
    if (this.#state === "failed") return null;
    // While setStart's callback runs for a waiting consumer, that consumer wants events already.
    if (this.#state !== "running" && this.#state !== "starting") return 0;
    if (this.#awaited) return this.#limit;
    const behind = this.#readers.behind(this.#seq);
    const room = this.highWaterMark - behind;
    // A waiting reader is a request for at least one event, as a pending read is in WHATWG streams.
    return this.#readers.waiting > 0 && behind < this.#limit ? Math.max(1, room) : room;
  }

  get ready(): Promise<void> {
    this.link.check();
    if (this.#ended || (this.desiredSize ?? 1) > 0) return RESOLVED;
    this.link.watch(); // a producer waiting here must hear of an abort
    if (this.#ended) return RESOLVED;
    return (this.#ready ??= deferred()).promise as Promise<void>;
  }

  #notifyReady(): void {
    const ready = this.#ready;
    if (ready !== undefined && (this.#ended || (this.desiredSize ?? 1) > 0)) {
      this.#ready = undefined;
      ready.resolve(undefined);
    }
  }

  /** LoopHost: one event from the source or a producer. */
  accept(event: unknown): void {
    this.#fold(event, true);
  }

  /** Folds and hands on one event; `counted` is false for the finish that `close()` adds. */
  #fold(event: unknown, counted: boolean): void {
    this.#seq++;
    const acc = this.acc;
    if (this.#limits !== undefined && counted) {
      acc.fill(event); // a finish's text counts as the block writer would have sent it
      const refused = this.#limits.refuse(event, acc.count);
      if (refused !== undefined) {
        this.fail(withPartial(refused, acc));
        return;
      }
    }
    let flags: number;
    try {
      flags = acc.apply(event);
    } catch (error) {
      this.fail(withPartial(error, acc));
      return;
    }
    this.#readers.deliver(event, flags, acc);
    if (flags & FINISHED) this.#finish();
    else if (flags & FAILED) this.fail(withPartial(acc.error, acc));
    if (this.#loop.dispatched()) this.#kick();
  }

  // -- the source -----------------------------------------------------------------------------

  get running(): boolean {
    return this.#state === "running";
  }

  get seq(): number {
    return this.#seq;
  }

  /** Something consumes: start the stream if it has not started. */
  #consume(): void {
    if (this.#state !== "idle") return;
    if (!this.link.watch()) return;
    this.#toStarting();
    this.#limits?.start({
      events: () => this.#seq,
      waiting: () => this.#state === "running" && this.wantsMore(),
      tokens: () => this.acc.textSoFar() !== "" || this.acc.reasoningSoFar() !== "" || this.acc.toolChunksSoFar().length > 0,
      timedOut: (error) => this.fail(Object.assign(error, { partial: this.acc.message() })),
    });
    this.#loop.start();
  }

  /** LoopHost: the start callback settled. */
  started(): void {
    if (!this.#toRunning()) return;
    this.#loop.open();
    this.#notifyReady();
    this.#kick();
  }

  /**
   * An await drives the source to the end. Otherwise it is read while some reader waits or, up to
   * `highWaterMark` events ahead, while any reader is attached: the read-ahead is what lets a
   * reader that is busy find a (coalesced) chunk ready instead of a round trip to the source.
   * Either way it stops while any reader is `highWaterMark` events behind.
   */
  wantsMore(): boolean {
    if (this.#awaited) return true;
    const readers = this.#readers;
    if (readers.behind(this.#seq) >= this.#limit) return false;
    return readers.waiting > 0 || (readers.attached > 0 && this.highWaterMark > 0);
  }

  /**
   * The source holds parsed events that a pull would get at once (they wait there, not queued for
   * readers), and may be read now: not while another reader holds it back.
   */
  get buffered(): boolean {
    return this.#state === "running" && this.#loop.buffered && this.wantsMore();
  }

  /** LoopHost: a reader waits, or an await drives the source. */
  demands(): boolean {
    return this.#awaited || this.#readers.waiting > 0;
  }

  #kick(): void {
    this.#limits?.wake(); // the stream may wait for its source again
    this.#loop.kick();
  }

  // -- consumer side --------------------------------------------------------------------------

  /** The `pull()` of a projection's underlying source: its reader wants a chunk. */
  pull(c: Cursor): void {
    const readers = this.#readers;
    if (c.state === "detached") {
      this.#attach(c);
      if (!c.queued && stateOf(c) === "live") {
        // The reader waits before the start runs, so a start callback awaiting `ready` sees it.
        readers.wait(c, this.#seq);
        this.#consume();
        if (c.waiting) {
          this.#notifyReady();
          this.#kick();
        }
        return; // else the start answered the read, or ended the stream
      }
      this.#consume(); // a read is consumption, even one the catch-up answers
      if (stateOf(c) === "closed") return; // a sync source can run to its end right here
    }
    if (c.queued) {
      this.#take(c);
      // An error waits for the next pull, so the reader first gets what was queued for it.
      if (c.state === "draining" && c.failure === undefined) c.close();
      return;
    }
    if (c.state === "draining") {
      c.end();
      return;
    }
    if (c.state !== "live") return;
    readers.wait(c, this.#seq);
    this.#notifyReady();
    this.#kick();
  }

  /** The `cancel()` of a projection's underlying source. */
  cancel(c: Cursor, reason: unknown): void {
    const wasLive = c.state === "live";
    this.#readers.remove(c);
    c.cancelled();
    if (!wasLive || this.#ended) return;
    this.#notifyReady();
    if (this.#readers.attached === 0 && !this.#awaited && !this.keepAlive) {
      void this.aclose(reason ?? "every reader cancelled");
    } else {
      this.#kick();
    }
  }

  /** detached → live with its catch-up, or straight to draining on an ended stream. */
  #attach(c: Cursor): void {
    const state = this.#state;
    if (state === "failed") {
      c.drain({ error: this.#error });
      // After an abort readers error at once; after a failure a late reader gets what a reader
      // attached from the start got: the deltas so far, then the error.
      if (this.#aborted) return;
    }
    this.#readers.catchUp(c, this.acc);
    if (state === "finished") {
      if (c.kind === OUTPUT) c.items.push(this.acc.message());
      c.drain();
    }
    if (c.state === "detached") this.#readers.add(c, this.#seq);
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

  // -- awaits ---------------------------------------------------------------------------------

  /** The promise of a projection's final value; awaiting drives the source to the end. */
  final(kind: number): Promise<unknown> {
    let d = this.#finals[kind];
    if (d !== undefined) return d.promise;
    if (this.#state === "finished") return Promise.resolve(this.#value(kind));
    if (this.#state === "failed") return Promise.reject(this.#error);
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
    if (!this.#toFinished()) return;
    this.link.unlink();
    this.#limits?.stop();
    const finals = this.#finals;
    for (let kind = 0; kind < finals.length; kind++) finals[kind]?.resolve(this.#value(kind));
    for (const c of this.#readers.drainAll(() => this.acc.message())) {
      if (c.queued) this.#take(c);
      c.close();
    }
    this.#notifyReady();
    this.#loop.finished();
  }

  /**
   * Fails the stream: awaits reject, readers get what is queued for them and then the error
   * (at once, without the queue, when `now`), the signal aborts and the source is cancelled.
   */
  fail(error: unknown, now = false): void {
    if (!this.#toFailed(error, now)) return;
    this.acc.stop();
    this.link.unlink();
    this.#limits?.stop();
    for (const d of this.#finals) d?.reject(error);
    for (const c of this.#readers.drainAll(undefined)) {
      // Chunks already handed to the reader's stream (desiredSize < 0) are lost by error(): wait.
      if (now || (!c.queued && (c.controller!.desiredSize ?? 0) >= 0)) c.error(error);
      else c.failure = { error };
    }
    this.#notifyReady();
    this.abort.abort(error);
    this.#loop.cancel(error);
    this.#loop.release();
  }

  /** See `ChatModelStream.aclose`. */
  aclose(reason?: unknown): Promise<void> {
    if (this.#state === "finished") return this.#loop.closeFinished(reason);
    if (this.#state === "failed") return RESOLVED;
    this.fail(abortError(reason, this.acc), true);
    return RESOLVED;
  }
}

/** A cursor's state, read again after a call that changes it (TypeScript keeps the narrowed one). */
function stateOf(c: Cursor): CursorState {
  return c.state;
}

/** Attaches the message so far to an error this package made. */
function withPartial(error: unknown, acc: MessageAccumulator): unknown {
  if (error instanceof Error) (error as ErrorWithPartial).partial = acc.message();
  return error;
}

/** A reason as text; one that cannot be turned into a string (no prototype, a throwing `toString`) is named so. */
function describeReason(reason: unknown): string {
  try {
    return String(reason instanceof Error ? reason.message : reason);
  } catch {
    return "a reason that cannot be shown as text";
  }
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
  // An abort for a timeout (`AbortSignal.timeout`) is a timeout to the client.
  const timedOut = reason instanceof DOMException && reason.name === "TimeoutError";
  return coded(error, timedOut ? "timeout" : "aborted");
}
