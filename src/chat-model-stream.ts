/**
 * `ChatModelStream`: one chat-model response, fed with protocol events, read as projections.
 *
 * @module
 */
import { coded } from "./errors.ts";
import { type CursorSink, EVENTS, OUTPUT, REASONING, TEXT, TOOL_CALLS, USAGE } from "./cursor.ts";
import { Hub } from "./hub.ts";
import type { SourceOpener } from "./source-loop.ts";
import type { LimitOptions } from "./limits.ts";
import { newCursorStream, newDirectCursor, newProjection, type CursorStream, type DirectCursor, type Projection } from "./projection.ts";
import type { AIMessage, ProtocolEvent, ToolCall, ToolCallChunk, UsageMetadata } from "./protocol.ts";
import type { JSONValue } from "./partial-json.ts";
import { finalJSON, finalToolCalls, JSONFolder, newSnapshots, type PartialToolCall, type Snapshots, ToolCallFolder } from "./snapshots.ts";

/**
 * Options of a `ChatModelStream`, its limits and timeouts included (all off by default).
 *
 * @example
 * ```ts
 * const stream = ChatModelStream.from(events, {
 *   signal: request.signal,
 *   firstTokenTimeoutMs: 30_000, // the model must start answering within 30 s
 *   idleTimeoutMs: 20_000,       // and never go quiet for 20 s while a reader waits
 *   totalTimeoutMs: 300_000,     // and finish within 5 minutes
 *   maxBytes: 4_000_000,         // of at most about 4 MB of content
 * });
 * ```
 *
 * Cancellation and errors: a timeout fails the stream with a `DOMException` named `TimeoutError`
 * whose message names the option; `maxEvents` and `maxBytes` fail it, closed, with a `RangeError`
 * naming the limit and the position of the refused event (which is not folded). Either way the
 * error carries `partial` (the message so far, open tool-call chunks swept), readers get what is
 * queued for them and then the error, `signal` aborts with the error and the source is cancelled.
 * An option that is not a positive number throws a `RangeError` from the constructor. The clocks
 * start at the first read or await (lazy start), and no timer outlives the stream.
 */
export interface ChatModelStreamOptions extends LimitOptions {
  /** Graph namespace path of the message (informational). */
  namespace?: string[] | undefined;
  /** Graph node that produced the message (informational). */
  node?: string | undefined;
  /** The message id when `message-start` carries none. */
  messageId?: string | undefined;
  /** Aborting it is `cancel(signal.reason)`: wire `request.signal` here. */
  signal?: AbortSignal | undefined;
  /**
   * Keep the source running when every reader has cancelled.
   * @default false
   */
  keepAlive?: boolean | undefined;
  /**
   * How many events the source may run ahead of the slowest reader (0 reads only on demand).
   * @default 16
   */
  highWaterMark?: number | undefined;
}

/**
 * What `start` and `pull` are handed: the producer side of the stream, shaped like a
 * `ReadableStreamDefaultController`.
 */
export interface ChatModelStreamController {
  /** Feeds one protocol event (`dispatch`). */
  enqueue(event: ProtocolEvent): void;
  /** No more events (`close`): a missing `message-finish` is added. */
  close(): void;
  /** Fails the stream with `error` (`fail`). */
  error(error: unknown): void;
  /** How many more events consumers want now. */
  readonly desiredSize: number | null;
  /** Aborted when the stream is cancelled or fails: hand it to the model call. */
  readonly signal: AbortSignal;
}

/**
 * A producer in the shape of a `ReadableStream`'s underlying source, with the stream's options.
 *
 * @example
 * ```ts
 * const upstream = new AbortController();
 * const stream = new ChatModelStream({
 *   start(controller) {
 *     controller.enqueue({ event: "message-start", id: "m1" });
 *   },
 *   pull(controller) {
 *     controller.enqueue({ event: "message-finish", reason: "stop" });
 *   },
 *   cancel(reason) {
 *     upstream.abort(reason); // the model call stops: Stop, a timeout, the last reader leaving
 *   },
 * });
 * console.log(await stream.output);
 * ```
 */
export interface ChatModelStreamInit extends ChatModelStreamOptions {
  /** Runs once, on first consumption (as `setStart`); a rejection fails the stream. */
  start?: ((controller: ChatModelStreamController) => void | Promise<void>) | undefined;
  /**
   * Called when a reader or an await wants events and none is queued, never twice at once (as
   * `setRequestMore`); resolving to `false` says the source is done; a rejection fails the stream.
   */
  pull?: ((controller: ChatModelStreamController) => void | boolean | Promise<void | boolean>) | undefined;
  /**
   * Called once when the stream is cancelled or fails before the message finished: `cancel()`, the
   * `signal`, the last reader leaving, a timeout, a limit, bad input or an `error` event. It gets
   * the error the stream failed with, as a `from()` source's cancel does (after `cancel(reason)`: an
   * `AbortError` whose `cause` is `reason`). Not called after the finish.
   */
  cancel?: ((reason: unknown) => void | Promise<void>) | undefined;
}

/** Where a stream stands: `idle` until something consumes, then `starting` (setStart's callback
 * runs), `running`, and `finished` or `failed`. */
export type ChatModelStreamState = "idle" | "starting" | "running" | "finished" | "failed";

// `await using` needs `Symbol.asyncDispose`, which the ES2022 and DOM type libraries lack (it is in
// `esnext.disposable` and `@types/node`, not in `@cloudflare/workers-types`); declared as they do,
// so the published types compile with any of them, and a consumer without one can still write
// `await stream[Symbol.asyncDispose]()`.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

/** What `ChatModelStream.from` reads. */
export type ProtocolEventSource =
  | ReadableStream<ProtocolEvent>
  | AsyncIterable<ProtocolEvent>
  | Iterable<ProtocolEvent>;

/**
 * @internal A stream over a source the hub reads directly (the decoders' byte sources answer events
 * they already parsed at once, without a promise each).
 */
export let fromOpener: (opener: SourceOpener, options?: ChatModelStreamOptions) => ChatModelStream;

/**
 * @internal A reader of the text (`text`) or the raw events whose chunks go to `sink`, as a view
 * read through a reader would get them, without the view (`toResponse`'s body: one stream layer
 * from the fan-out to the bytes).
 */
export let directReader: (stream: ChatModelStream, text: boolean, sink: CursorSink) => DirectCursor;

/**
 * One chat-model response as Web Streams. Content-block protocol events go in (`dispatch`, a pump
 * set with `setRequestMore`, or a source given to `from`); projections come out: `text`,
 * `reasoning`, `toolCalls`, `usage`, `output` and the raw `events`, each a `ReadableStream` of
 * deltas, and each but `events` awaitable for its final value.
 *
 * @example
 * ```ts
 * export default {
 *   async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
 *     const stream = ChatModelStream.from(callModel(request), { signal: request.signal });
 *     ctx.waitUntil(stream.output.then((message) => env.MESSAGES.put(crypto.randomUUID(), JSON.stringify(message))));
 *     return new Response(stream.text.pipeThrough(new TextEncoderStream()), {
 *       headers: { "content-type": "text/plain; charset=utf-8", "content-encoding": "identity" },
 *     });
 *   },
 * };
 * ```
 *
 * Cancellation and errors: `aclose()`, the `signal` option, `await using`, and the last reader
 * cancelling (with nothing awaiting and no `keepAlive`) abort `signal` and cancel the source;
 * readers and awaits then fail with an `AbortError` carrying `partial`, the message so far. An
 * `error` event or `fail(err)` fails readers (after what is queued for them) and awaits with that
 * error. A malformed event fails the stream with a `TypeError` naming the field and the event's
 * position; a timeout with a `TimeoutError`, a limit with a `RangeError` (see
 * `ChatModelStreamOptions`), both carrying `partial`. The stream itself is not thenable: write
 * `await stream.output`.
 */
export class ChatModelStream implements AsyncIterable<ProtocolEvent> {
  #hub: Hub;
  /** Graph namespace path of the message. */
  readonly namespace: string[];
  /** Graph node that produced the message. */
  readonly node: string | undefined;
  /** The id given to the constructor. */
  readonly messageId: string | undefined;

  constructor(init: ChatModelStreamInit = {}) {
    const hub = new Hub(init);
    this.#hub = hub;
    this.namespace = init.namespace ?? [];
    this.node = init.node;
    this.messageId = init.messageId;
    const { start, pull, cancel, signal } = init;
    if (start !== undefined || pull !== undefined) {
      const controller = controllerOf(this);
      if (start !== undefined) hub.setStart(() => start(controller));
      if (pull !== undefined) hub.setRequestMore(() => pull(controller));
    }
    if (cancel !== undefined) hub.setCancel(cancel);
    if (signal !== undefined) {
      if (signal.aborted) void hub.aclose(signal.reason);
      else hub.link.link(signal, () => void hub.aclose(signal.reason));
    }
  }

  /** Where the stream stands now, without awaiting. */
  get state(): ChatModelStreamState {
    return this.#hub.state;
  }

  /**
   * A stream that reads `source` lazily: nothing is read before something consumes, and the source
   * is read no faster than the slowest reader. After `message-finish` the rest of the source is read
   * in the background and ignored; a source that ends without it gets a synthesized finish.
   *
   * @example
   * ```ts
   * const stream = ChatModelStream.from(events); // a ReadableStream of protocol events, say
   * console.log(await stream.text);
   * ```
   *
   * Cancellation and errors: `aclose()` and the other cancellations cancel the source (a
   * `ReadableStream` through its reader, an iterator through `return()`), once. A source that
   * throws fails the stream with its own error.
   */
  static from(source: ProtocolEventSource, options?: ChatModelStreamOptions): ChatModelStream {
    return fromOpener(openerFor(source), options);
  }

  static {
    fromOpener = (opener, options) => {
      const stream = new ChatModelStream(options);
      stream.#hub.setSource(opener);
      return stream;
    };
    directReader = (stream, text, sink) => newDirectCursor(stream.#hub, text ? TEXT : EVENTS, sink);
  }

  // -- producer side --------------------------------------------------------------------------

  /**
   * Feeds one protocol event. A malformed event fails the stream (consumers see the `TypeError`);
   * `dispatch` after the message finished or failed throws a `TypeError` and changes nothing.
   */
  dispatch(event: ProtocolEvent): void {
    this.#hub.dispatch(event);
  }

  /** No more events: a missing `message-finish` is added, or with no events at all the stream fails. */
  close(): void {
    this.#hub.close();
  }

  /** Fails the stream with `error`, passed to readers and awaits unchanged. No-op once it ended. */
  fail(error: unknown): void {
    this.#hub.fail(error);
  }

  /** Installs a callback that runs once, on first consumption; a rejection fails the stream. */
  setStart(start: () => void | Promise<void>): void {
    this.#hub.setStart(start);
  }

  /**
   * Installs the pull hook: called when a reader or an await wants data and nothing is queued,
   * never twice at once. It dispatches events (now or later); it says the source is done by
   * calling `close()` or resolving to `false`; its rejection fails the stream. A call that
   * dispatched nothing is not repeated until an event is dispatched.
   */
  setRequestMore(pump: () => void | boolean | Promise<void | boolean>): void {
    this.#hub.setRequestMore(pump);
  }

  /** How many more events consumers want now (WHATWG style): 0 before consumption or after the end, null once failed. */
  get desiredSize(): number | null {
    return this.#hub.desiredSize;
  }

  /** Resolves when `desiredSize` is positive, or when the stream ended. Never rejects. */
  get ready(): Promise<void> {
    return this.#hub.ready;
  }

  /** Aborted when the stream is cancelled or fails: hand it to the model call. */
  get signal(): AbortSignal {
    this.#hub.link.check();
    return this.#hub.abort.signal;
  }

  // -- consumer side --------------------------------------------------------------------------

  /** A new reader view of the text deltas; awaits to the text blocks joined in index order. */
  get text(): Projection<string, string> {
    return newProjection<string, string>(this.#hub, TEXT);
  }

  /** A new reader view of the reasoning deltas; awaits to the reasoning blocks joined in index order. */
  get reasoning(): Projection<string, string> {
    return newProjection<string, string>(this.#hub, REASONING);
  }

  /** A new reader view of the tool-call chunks (`args` fragments, by `index`); awaits to the finished tool calls. */
  get toolCalls(): Projection<ToolCallChunk, ToolCall[]> {
    return newProjection<ToolCallChunk, ToolCall[]>(this.#hub, TOOL_CALLS);
  }

  /**
   * A new reader view of the tool calls as they grow: after each slice of arguments, the call's
   * `{index, id, name, args}` with `args` parsed so far (see `PartialJSON`). A reader that falls
   * behind gets only the newest snapshot of each call. Awaits to the finished tool calls.
   */
  get partialToolCalls(): Snapshots<PartialToolCall, ToolCall[]> {
    return newSnapshots<PartialToolCall, ToolCall[]>(this.#hub, TOOL_CALLS, new ToolCallFolder(), finalToolCalls(this.#hub));
  }

  /**
   * A new reader view of a JSON answer (structured output) as it grows: the value of the text so
   * far, after each delta (see `PartialJSON`; one object updated in place). A reader that falls
   * behind gets only the newest value. Awaits to the whole value. Text that is not JSON errors this
   * view (and its await) with a `SyntaxError` of code `bad_input`; the view's reader then leaves as
   * a cancelled one does.
   */
  get partialJSON(): Snapshots<JSONValue, JSONValue> {
    return newSnapshots<JSONValue, JSONValue>(this.#hub, TEXT, new JSONFolder(), finalJSON(this.#hub));
  }

  /** A new reader view of the usage snapshots; awaits to the final usage, or `undefined` when none was reported. */
  get usage(): Projection<UsageMetadata, UsageMetadata | undefined> {
    return newProjection<UsageMetadata, UsageMetadata | undefined>(this.#hub, USAGE);
  }

  /** A new reader view that yields the one final message at the end; awaits to it. */
  get output(): Projection<AIMessage, AIMessage> {
    return newProjection<AIMessage, AIMessage>(this.#hub, OUTPUT);
  }

  /** A new reader view of the raw protocol events (a late reader first gets a synthesized replay of the state so far). */
  get events(): CursorStream<ProtocolEvent> {
    return newCursorStream<ProtocolEvent>(this.#hub, EVENTS);
  }

  /** Iterates the raw protocol events; breaking out cancels this reader. */
  [Symbol.asyncIterator](): AsyncIterator<ProtocolEvent> {
    return this.events[Symbol.asyncIterator]();
  }

  /**
   * Cancels the model call. Before the message finished: aborts `signal`, cancels the source (or
   * calls the `cancel` hook), and fails every reader and await with an `AbortError` whose
   * `partial` is the message so far. After it finished: the message stays a success; the rest of
   * a `from()` source still open is cancelled, and it resolves once that and setStart's work
   * settled. Idempotent.
   */
  cancel(reason?: unknown): Promise<void> {
    return this.#hub.aclose(reason);
  }

  /** `cancel()` under LangChain's name. */
  aclose(reason?: unknown): Promise<void> {
    return this.#hub.aclose(reason);
  }

  /** `await using stream = ...` cancels it at the end of the scope (after the finish: nothing is lost). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#hub.aclose();
  }
}

function controllerOf(stream: ChatModelStream): ChatModelStreamController {
  return {
    enqueue: (event) => stream.dispatch(event),
    close: () => stream.close(),
    error: (error) => stream.fail(error),
    get desiredSize() {
      return stream.desiredSize;
    },
    get signal() {
      return stream.signal;
    },
  };
}

function openerFor(source: ProtocolEventSource): SourceOpener {
  if (source instanceof ReadableStream || typeof (source as { getReader?: unknown }).getReader === "function") {
    const stream = source as ReadableStream<ProtocolEvent>;
    return {
      open() {
        const reader = stream.getReader();
        return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) };
      },
      cancelUnopened: (reason) => stream.cancel(reason),
    };
  }
  if (typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    const iterable = source as AsyncIterable<ProtocolEvent>;
    const opened = (): AsyncIterator<ProtocolEvent> => iterable[Symbol.asyncIterator]();
    return {
      open() {
        const it = opened();
        // An iterator's return() waits behind a pending next(): aclose() must not wait on a
        // generator that never yields again, so its end is not awaited.
        return { read: () => it.next(), cancel: () => void Promise.resolve(it.return?.()).catch(() => {}) };
      },
      // An iterator that is its own iterable (a generator) can be ended before it ran.
      cancelUnopened: () => ((iterable as Partial<AsyncIterator<unknown>>).return ? opened().return?.() : undefined),
    };
  }
  if (typeof (source as Iterable<unknown>)[Symbol.iterator] === "function") {
    const iterable = source as Iterable<ProtocolEvent>;
    return {
      open() {
        const it = iterable[Symbol.iterator]();
        return { read: () => it.next(), cancel: () => it.return?.(), sync: true };
      },
      cancelUnopened: () => undefined,
    };
  }
  throw coded(new TypeError("ChatModelStream.from() takes a ReadableStream, an async iterable or an iterable of events"), "bad_input");
}
