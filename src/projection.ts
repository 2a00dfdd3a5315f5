/**
 * A projection: a real `ReadableStream` of deltas that is also a thenable for its final value.
 *
 * @module
 */
import { Cursor, type Hub } from "./fan-out.ts";

/**
 * The underlying source of one reader view. `highWaterMark: 0` makes `pull()` mean exactly "a read
 * is waiting", which is the signal the fan-out schedules the source by; the cursor joins the fan-out
 * on its first pull, so a view that is never read costs nothing.
 *
 * @internal
 */
export function cursorSource<T>(hub: Hub, kind: number): [UnderlyingDefaultSource<T>, QueuingStrategy<T>] {
  const cursor = new Cursor(kind);
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
 * A stream of deltas that can also be awaited for the final value.
 *
 * Every access to a `ChatModelStream` getter returns a new `Projection`, a new cursor: each reads
 * all the deltas (a reader attaching late first gets one compacted chunk with everything so far).
 * Read it like any `ReadableStream` (`getReader`, `pipeTo`, `pipeThrough`, `for await`) or await it.
 *
 * @example
 * ```ts
 * for await (const delta of stream.text) process(delta);   // deltas
 * const text = await stream.text;                          // the final value
 * return new Response(stream.text.pipeThrough(new TextEncoderStream()));
 * ```
 *
 * Cancellation and errors: cancelling the stream (`reader.cancel()`, breaking a `for await`, an
 * aborted `pipeTo`) detaches this reader; when it was the last reader and nothing awaits, the model
 * call is cancelled (see `keepAlive`). If the message fails, a reader first gets the chunks already
 * queued for it, then the error; an await rejects with the error, which carries `partial`.
 */
export class Projection<Delta, Final> extends ReadableStream<Delta> implements PromiseLike<Final> {
  #hub: Hub;
  #kind: number;

  /** @internal Projections are made by `ChatModelStream`'s getters. */
  constructor(hub: Hub, kind: number) {
    const [source, strategy] = cursorSource<Delta>(hub, kind);
    super(source, strategy);
    this.#hub = hub;
    this.#kind = kind;
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
