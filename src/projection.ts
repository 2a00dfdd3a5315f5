/**
 * A projection: a real `ReadableStream` of deltas that is also a thenable for its final value.
 *
 * @module
 */
import { Cursor, type CursorSink } from "./cursor.ts";
import type { Hub } from "./hub.ts";

/**
 * What `for await` gets from a `CursorStream` or a `Projection`: an async iterable iterator of the
 * chunks. Not the DOM's `ReadableStreamAsyncIterator`, which only some type libraries declare
 * (`DOM.AsyncIterable`, newer `@types/node`): this type is assignable to each one's own, so the
 * declarations compile with the DOM library, with `@types/node` and with `@cloudflare/workers-types`.
 */
export type StreamIterator<T> = AsyncIteratorObject<T, undefined, unknown>;

/** The options of `values()`, as the standard's `ReadableStreamIteratorOptions`. */
export interface StreamIteratorOptions {
  /**
   * Leave the stream uncancelled when the iteration stops early.
   * @default false
   */
  preventCancel?: boolean | undefined;
}

/** @internal How `ChatModelStream` makes its `events` view (the constructor is not public). */
export let newCursorStream: <T>(hub: Hub, kind: number) => CursorStream<T>;
/** @internal How `ChatModelStream` makes its projections (the constructor is not public). */
export let newProjection: <Delta, Final>(hub: Hub, kind: number) => Projection<Delta, Final>;

/**
 * @internal One reader of the fan-out driven by a sink of its own instead of a stream's queue
 * (`toResponse`'s body: one stream layer from the fan-out to the bytes).
 */
export interface DirectCursor {
  /** Asks for chunks: what is queued reaches the sink now (in one go), else the next one does. */
  pull(): void;
  /** A pull would deliver something now: chunks are queued, or the end is. */
  readonly ready: boolean;
  /** This reader leaves; the stream's reference counting decides whether the source stops. */
  cancel(reason: unknown): void;
}

/**
 * @internal A reader of `kind` whose chunks go to `sink`, without a `ReadableStream` of its own
 * (`ChatModelStream`'s `directReader` hands it the hub). It joins the fan-out on its first pull.
 */
export function newDirectCursor(hub: Hub, kind: number, sink: CursorSink): DirectCursor {
  const cursor = new Cursor(kind);
  cursor.controller = sink;
  return new HubCursor(hub, cursor);
}

class HubCursor implements DirectCursor {
  readonly #hub: Hub;
  readonly #cursor: Cursor;

  constructor(hub: Hub, cursor: Cursor) {
    this.#hub = hub;
    this.#cursor = cursor;
  }

  pull(): void {
    this.#hub.pull(this.#cursor);
  }

  get ready(): boolean {
    const cursor = this.#cursor;
    return cursor.queued || cursor.state === "draining" || (cursor.state === "live" && this.#hub.buffered);
  }

  cancel(reason: unknown): void {
    this.#hub.cancel(this.#cursor, reason);
  }
}

/**
 * The underlying source of one reader view. `highWaterMark: 0` makes `pull()` mean exactly "a read
 * is waiting", which is the signal the fan-out schedules the source by; the cursor joins the fan-out
 * on its first pull, so a view that is never read costs nothing.
 */
function cursorSource<T>(hub: Hub, cursor: Cursor): [UnderlyingDefaultSource<T>, QueuingStrategy<T>] {
  return [
    {
      start(controller) {
        cursor.controller = controller as ReadableStreamDefaultController<unknown>;
      },
      pull() {
        hub.pull(cursor);
      },
      cancel(reason) {
        hub.cancel(cursor, reason);
      },
    },
    { highWaterMark: 0 },
  ];
}

/**
 * A `ReadableStream` over one cursor of the fan-out, whose `for await` takes the chunks from the
 * fan-out directly. `stream.events` is one; every `Projection` is one.
 *
 * @example
 * ```ts
 * for await (const event of stream.events) console.log(event.event);
 * ```
 *
 * Cancellation and errors: as any `ReadableStream`: cancelling it (or breaking out of `for await`)
 * cancels this reader only; see `ChatModelStream` for when that cancels the model call.
 */
export class CursorStream<T> extends ReadableStream<T> {
  readonly #hub: Hub;
  readonly #cursor: Cursor;

  /** Not constructed by users: `stream.events` makes one. */
  protected constructor();
  /** @internal */
  protected constructor(hub: Hub, kind: number);
  protected constructor(hub?: Hub, kind?: number) {
    const cursor = new Cursor(kind as number);
    const [source, strategy] = cursorSource<T>(hub as Hub, cursor);
    super(source, strategy);
    this.#hub = hub as Hub;
    this.#cursor = cursor;
  }

  static {
    newCursorStream = <T>(hub: Hub, kind: number) => new CursorStream<T>(hub, kind);
  }

  /**
   * `for await` over the chunks. It locks the stream as the standard iterator does, but takes the
   * chunks from the fan-out directly, without the stream's queue and promise per read in between
   * (about half the cost per chunk); breaking out cancels this reader. With `preventCancel`, or
   * once the stream was read another way, it is the standard iterator.
   */
  override values(options?: StreamIteratorOptions): StreamIterator<T> {
    const cursor = this.#cursor;
    if (options?.preventCancel || cursor.state !== "detached" || this.locked) {
      return super.values(options as ReadableStreamIteratorOptions | undefined);
    }
    const reader = this.getReader(); // the stream is now locked; chunks go to the iterator instead
    return new DirectIterator<T>(this.#hub, this.#cursor, reader);
  }

  override [Symbol.asyncIterator](options?: StreamIteratorOptions): StreamIterator<T> {
    return this.values(options);
  }
}

/**
 * A stream of deltas that can also be awaited for the final value.
 *
 * Every access to a `ChatModelStream` getter returns a new `Projection`, a new cursor: each reads
 * all the deltas (a reader attaching late first gets one compacted chunk with everything so far).
 * Read it like any `ReadableStream` (`getReader`, `pipeTo`, `pipeThrough`, `for await`) or await it.
 *
 * @example
 * ```ts
 * for await (const delta of stream.text) console.log(delta); // deltas
 * const text = await stream.text;                          // the final value
 * const body = stream.text.pipeThrough(new TextEncoderStream()); // bytes, for a Response
 * ```
 *
 * Cancellation and errors: cancelling the stream (`reader.cancel()`, breaking a `for await`, an
 * aborted `pipeTo`) detaches this reader; when it was the last reader and nothing awaits, the model
 * call is cancelled (see `keepAlive`). If the message fails, a reader first gets the chunks already
 * queued for it, then the error; an await rejects with the error, which carries `partial`.
 */
export class Projection<Delta, Final> extends CursorStream<Delta> implements PromiseLike<Final> {
  readonly #hub: Hub;
  readonly #kind: number;

  /** Not constructed by users: `ChatModelStream`'s getters make projections. */
  protected constructor();
  /** @internal */
  protected constructor(hub: Hub, kind: number);
  protected constructor(hub?: Hub, kind?: number) {
    super(hub as Hub, kind as number);
    this.#hub = hub as Hub;
    this.#kind = kind as number;
  }

  static {
    newProjection = <Delta, Final>(hub: Hub, kind: number) => new Projection<Delta, Final>(hub, kind);
  }

  /** Resolves with the final value once the message finished; starts the stream if needed. */
  then<A = Final, B = never>(
    onfulfilled?: ((value: Final) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return (this.#hub.final(this.#kind) as Promise<Final>).then(onfulfilled, onrejected);
  }

  /** Like `Promise.prototype.catch` on the final value. */
  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<Final | B> {
    return this.then(undefined, onrejected);
  }

  /** Like `Promise.prototype.finally` on the final value. */
  finally(onfinally?: (() => void) | null): Promise<Final> {
    return (this.#hub.final(this.#kind) as Promise<Final>).finally(onfinally);
  }
}

/**
 * The iterator behind `for await` on a projection: a cursor sink that hands each chunk straight to
 * a waiting `next()`, or queues it until the next one.
 */
class DirectIterator<T> implements CursorSink, StreamIterator<T> {
  readonly #hub: Hub;
  readonly #cursor: Cursor;
  readonly #reader: ReadableStreamDefaultReader<T>;
  /** The stream's own controller: ended with the iteration, so the stream ends up as it would. */
  readonly #stream: CursorSink;
  #queue: unknown[] = [];
  #head = 0;
  #closed = false;
  #failure: { error: unknown } | undefined = undefined;
  #waiters: { resolve(result: IteratorResult<T, undefined>): void; reject(error: unknown): void }[] = [];

  constructor(hub: Hub, cursor: Cursor, reader: ReadableStreamDefaultReader<T>) {
    this.#hub = hub;
    this.#cursor = cursor;
    this.#reader = reader;
    this.#stream = cursor.controller!;
    cursor.controller = this;
  }

  // -- the sink the fan-out writes to ----------------------------------------------------------

  get desiredSize(): number {
    return this.#head - this.#queue.length;
  }

  enqueue(chunk: unknown): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#queue.push(chunk);
      return;
    }
    waiter.resolve({ done: false, value: chunk as T });
    // More next() calls wait: ask again, once the fan-out is out of this delivery.
    if (this.#waiters.length > 0) queueMicrotask(() => this.#askIfWaiting());
  }

  #askIfWaiting(): void {
    if (this.#waiters.length > 0 && !this.#closed && this.#failure === undefined) this.#hub.pull(this.#cursor);
  }

  close(): void {
    this.#closed = true;
    this.#stream.close();
    this.#reader.releaseLock();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
  }

  error(error: unknown): void {
    // As a stream does: what is queued is dropped (the fan-out errors only once the queue is read,
    // or at once for an abort).
    this.#queue = [];
    this.#head = 0;
    this.#failure = { error };
    this.#stream.error(error);
    this.#reader.releaseLock();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  // -- the iterator ----------------------------------------------------------------------------

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++] as T;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error);
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#hub.pull(this.#cursor); // may deliver at once, through enqueue()
    });
  }

  async return(value?: unknown): Promise<IteratorResult<T, undefined>> {
    if (!this.#closed && this.#failure === undefined) {
      this.#closed = true;
      this.#queue = [];
      for (const waiter of this.#waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
      await this.#reader.cancel(value ?? "the iteration stopped"); // reaches the fan-out's cancel
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
