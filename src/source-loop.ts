/**
 * Where a stream's events come from: the `setStart` callback, then either a pull source (a
 * `ReadableStream` reader or an iterator, opened on first consumption) or the `setRequestMore`
 * pump. One loop reads it while the hub wants more, never twice at once, giving the event loop its
 * turns; after the finish it reads the rest of an async source and ignores it, until that ends or
 * is cancelled.
 *
 * @module
 */
import { Turns } from "./turns.ts";

/** @internal A source read by the loop: a `ReadableStream` reader or an iterator. */
export interface PullSource {
  /** A sync source may answer at once, which saves a promise per event. */
  read(): IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
  cancel(reason: unknown): unknown;
  /** Always answers at once (a sync iterable). */
  sync?: boolean;
  /** Has events it would answer at once (parsed, not yet read): read ahead of demand, they would only grow. */
  readonly buffered?: boolean;
}

/** @internal Opens a source on first consumption; cancels it unopened otherwise. */
export interface SourceOpener {
  open(): PullSource;
  cancelUnopened(reason: unknown): unknown;
}

/** @internal What the loop feeds and asks. */
export interface LoopHost {
  /** Whether the stream takes events now (it started and has not ended). */
  readonly running: boolean;
  /** How many events arrived. */
  readonly seq: number;
  /** Whether a reader or an await wants more now. */
  wantsMore(): boolean;
  /** Whether a reader waits or an await drives the source (not mere read-ahead). */
  demands(): boolean;
  accept(event: unknown): void;
  /** The source ended. */
  close(): void;
  fail(error: unknown): void;
  /** The start callback settled: the stream runs. */
  started(): void;
}

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** @internal */
export class SourceLoop {
  readonly #host: LoopHost;
  #start: (() => unknown) | undefined = undefined;
  #pump: (() => unknown) | undefined = undefined;
  #opener: SourceOpener | undefined = undefined;
  #source: PullSource | undefined = undefined;
  /** The producer's own cancel hook (`new ChatModelStream({ cancel })`), for a pump or pushed events. */
  #cancelHook: ((reason: unknown) => unknown) | undefined = undefined;
  #cancelled = false;
  /** The loop runs (a read or a pump call is in flight). */
  #busy = false;
  /** The last pump call dispatched nothing: wait for a dispatch before calling it again. */
  #pumpIdle = false;
  /** The promise of setStart's callback, which `aclose()` after the finish waits for. */
  #work: Promise<unknown> = RESOLVED;
  /** The rest of an async source, read and ignored after the finish until it ends or is cancelled. */
  #draining: PullSource | undefined = undefined;
  readonly #turns: Turns = new Turns();

  constructor(host: LoopHost) {
    this.#host = host;
  }

  /** The source holds events it would answer at once, and no read is in flight. */
  get buffered(): boolean {
    return !this.#busy && this.#source?.buffered === true;
  }

  get hasSource(): boolean {
    return this.#opener !== undefined || this.#source !== undefined;
  }

  setStart(start: () => unknown): void {
    this.#start = start;
  }

  setPump(pump: () => unknown): void {
    this.#pump = pump;
    this.#pumpIdle = false;
  }

  setSource(opener: SourceOpener): void {
    this.#opener = opener;
  }

  setCancel(cancel: (reason: unknown) => unknown): void {
    this.#cancelHook = cancel;
  }

  /** Runs the start callback once; the host hears `started()` when it settled, or `fail()`. */
  start(): void {
    const start = this.#start;
    this.#start = undefined;
    let result: unknown;
    try {
      result = start?.();
    } catch (error) {
      this.#host.fail(error);
      return;
    }
    if (isThenable(result)) {
      this.#work = Promise.resolve(result).then(
        () => this.#host.started(),
        (error: unknown) => this.#host.fail(error),
      );
    } else {
      this.#host.started();
    }
  }

  /** Opens the pull source, if there is one; a source that cannot be opened fails the stream. */
  open(): void {
    if (this.#opener === undefined || this.#cancelled) return;
    try {
      this.#source = this.#opener.open();
      this.#opener = undefined; // the source has what it needs: the opener's closures go
    } catch (error) {
      this.#host.fail(error); // a locked stream, an iterable whose iterator throws
    }
  }

  /** An event was dispatched: says whether a pump that had nothing to give may be called again. */
  dispatched(): boolean {
    if (!this.#pumpIdle) return false;
    this.#pumpIdle = false;
    return true;
  }

  /** Reads on if the host wants more and nothing is in flight. */
  kick(): void {
    if (this.#busy || this.#pumpIdle || !this.#host.running) return;
    if (this.#source === undefined && this.#pump === undefined) return;
    if (!this.#host.wantsMore()) return;
    const source = this.#source;
    if (source !== undefined && source.buffered === true && (!this.#host.demands() || this.#readBuffered(source))) return;
    void this.#run();
  }

  /**
   * Reads a source's parsed events right here, without the async loop (a promise per kick), once a
   * reader or an await asked: its event, then the read-ahead. Returns false when the async loop must
   * go on: the source has nothing parsed left and must be waited for.
   */
  #readBuffered(source: PullSource): boolean {
    const host = this.#host;
    this.#busy = true; // a kick from within a delivery (a runtime that pulls inside enqueue) reads nothing
    try {
      // Asked for: the reader's event, and then the read-ahead a reader that keeps up finds waiting.
      while (host.running && host.wantsMore() && source.buffered === true) {
        const result = source.read();
        if (isThenable(result)) {
          this.#busy = false;
          void this.#settle(result);
          return true;
        }
        if (result.done) host.close();
        else host.accept(result.value);
        const turn = this.#turns.tick();
        if (turn !== undefined) {
          this.#busy = false;
          void this.#settle(turn);
          return true;
        }
      }
    } catch (error) {
      this.#busy = false;
      host.fail(error);
      return true;
    }
    this.#busy = false;
    return !(host.running && host.wantsMore() && source.buffered !== true);
  }

  /** Waits for a read the source did not answer at once (or for the event loop's turn), then reads on. */
  async #settle(pending: PromiseLike<IteratorResult<unknown> | void>): Promise<void> {
    const host = this.#host;
    this.#busy = true;
    try {
      const result = await pending;
      if (result !== undefined && host.running) {
        if (result.done) host.close();
        else host.accept(result.value);
      }
    } catch (error) {
      host.fail(error);
    } finally {
      this.#busy = false;
    }
    this.kick();
  }

  async #run(): Promise<void> {
    const host = this.#host;
    this.#busy = true;
    try {
      const source = this.#source;
      if (source !== undefined) {
        while (host.running && host.wantsMore()) {
          // Events the source holds parsed stay there until asked for: they are smaller than their events.
          if (source.buffered === true && !host.demands()) break;
          let result = source.read();
          if (isThenable(result)) result = await result;
          if (!host.running) break;
          if (result.done) host.close();
          else host.accept(result.value);
          const turn = this.#turns.tick();
          if (turn !== undefined) await turn;
        }
      } else {
        while (host.running && !this.#pumpIdle && host.wantsMore()) {
          const seq = host.seq;
          let result = this.#pump!();
          if (isThenable(result)) result = await result;
          if (!host.running) break;
          if (result === false) host.close();
          else if (host.seq === seq) this.#pumpIdle = true;
          const turn = this.#turns.tick();
          if (turn !== undefined) await turn;
        }
      }
    } catch (error) {
      host.fail(error);
    } finally {
      this.#busy = false;
    }
  }

  /** Cancels the source (opened or not) or calls the cancel hook, once; a failure to cancel is ignored. */
  cancel(reason: unknown): void {
    const source = this.#source;
    const opener = this.#opener;
    const hook = this.#cancelHook;
    if (this.#cancelled || (source === undefined && opener === undefined && hook === undefined)) return;
    this.#cancelled = true;
    try {
      const result = source !== undefined ? source.cancel(reason) : opener !== undefined ? opener.cancelUnopened(reason) : hook!(reason);
      if (isThenable(result)) result.then(noop, noop);
    } catch {
      // A source that throws while being cancelled has nothing more to give us.
    }
  }

  /**
   * The message finished. A source never opened is not needed any more, and a sync one is ended
   * rather than read on (that could block forever: a generator's finally blocks run); the rest of
   * an async source is read and ignored, so its producer can finish its own work.
   */
  finished(): void {
    const source = this.#source;
    if ((source === undefined && this.#opener !== undefined) || source?.sync === true) this.cancel("the message finished");
    this.release();
    if (source !== undefined && !source.sync) void this.#drain(source);
  }

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

  /**
   * `aclose()` after the finish: cancels the rest of a source still open, and resolves once that
   * cancel and setStart's promise settled.
   */
  closeFinished(reason: unknown): Promise<void> {
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

  /** An ended stream keeps its values, not its producer: a kept stream must not keep the source. */
  release(): void {
    this.#turns.stop();
    this.#source = undefined;
    this.#opener = undefined;
    this.#pump = undefined;
    this.#start = undefined;
    this.#cancelHook = undefined;
  }
}

/** @internal */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}
