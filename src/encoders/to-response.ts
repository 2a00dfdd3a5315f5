/**
 * `toResponse`: a `ChatModelStream` as a streaming HTTP `Response`, in one of three formats, with
 * the headers that keep runtimes and proxies from buffering it.
 *
 * @module
 */
import { coded, errorCode } from "../errors.ts";
import { ChatModelStream, directReader } from "../chat-model-stream.ts";
import { smooth, type SmoothOptions } from "../smooth.ts";
import { isTerminal, type ProtocolEvent } from "../protocol.ts";
import { Heartbeat, type Beating } from "./heartbeat.ts";
import { ndjsonLine } from "./ndjson-encoder-stream.ts";
import { DEFAULT_HEARTBEAT_MS, PING, sseFrame } from "./sse-encoder-stream.ts";
import { WIRE_FORMATS, wireFormat, type WireFormatName } from "./formats.ts";
import type { WireWriter } from "./wire.ts";
import { deltaJSON } from "./hot-frames.ts";
import type { CursorSink } from "../cursor.ts";
import type { DirectCursor } from "../projection.ts";

/**
 * What the body carries: the text projection, the raw protocol events as SSE or NDJSON, or the
 * AI SDK's UI message stream (what `useChat` reads).
 */
export type ResponseFormat = "text" | "sse" | "ndjson" | WireFormatName;

/** The closing `error` event written when the stream fails without one. */
export interface ErrorEventFields {
  message: string;
  code?: string | undefined;
}

/**
 * Headers to add to a response: a `Headers`, a list of name / value pairs (a name may repeat, as
 * `set-cookie` does), or a record of names to values.
 */
export type HeaderList =
  | { forEach(callback: (value: string, name: string) => void): void }
  | readonly (readonly [string, string])[]
  | Readonly<Record<string, string>>;

/** Options of `toResponse`; all are optional. */
export interface ToResponseOptions {
  /**
   * `"sse"`: every protocol event as Server-Sent Events, lossless, a failure included (what
   * `fromResponse` reads back); `"ndjson"`: the same as one JSON line each; `"text"`: the text
   * alone, as UTF-8; `"ui-message-stream"`: the AI SDK's UI Message Stream protocol v1, for
   * `useChat` and `readUIMessageStream`.
   * `"ag-ui"`: an AG-UI 1.0 run (`RUN_STARTED` … `RUN_FINISHED`), for `@ag-ui/client`'s
   * `HttpAgent` and CopilotKit; a Stop finishes the run with a `cancelled` outcome.
   *
   * @default "sse"
   */
  format?: ResponseFormat | undefined;
  /**
   * Headers to add. They are appended, so several `set-cookie` all reach the client; a name that
   * is one of the defaults (`content-type`, `cache-control`, …) replaces that default.
   */
  headers?: HeaderList | undefined;
  /**
   * The HTTP status.
   * @default 200
   */
  status?: number | undefined;
  /**
   * SSE only: idle time in milliseconds after which a `: ping` comment is sent while the client
   * waits (0 turns heartbeats off). A ping follows at least this much silence and at most twice that.
   * @default 15000
   */
  heartbeatMs?: number | undefined;
  /**
   * SSE and NDJSON: the `message` and `code` of the closing `error` event written when the stream
   * fails without an `error` event of its own. The default sends the error's message and its
   * `code`: every error this package makes has one (`"aborted"`, `"timeout"`, `"bad_input"`,
   * `"max_events"`, `"max_bytes"`, `"max_line"`, `"http"`…, see `ErrorCode`); a provider's
   * `error` event keeps the provider's; anything else is `"source_error"`. Replace it to keep internal messages from
   * clients. Only a string `message` and a string `code` are used; when it throws or returns
   * anything else, the default event is sent instead.
   */
  onError?: ((error: unknown) => ErrorEventFields) | undefined;
  /**
   * Re-chunks and paces text and reasoning as `smooth()` does (by word, 10 ms apart, unless its
   * options say otherwise); `true` for its defaults. Other events are never delayed, and Stop
   * still stops the model at once.
   *
   * @default undefined (off)
   */
  smooth?: boolean | SmoothOptions | undefined;
  /**
   * `"ag-ui"` only: the thread and run ids `RUN_STARTED` and `RUN_FINISHED` report, as the
   * client's `RunAgentInput` gave them (else the start metadata's `thread_id` / `run_id`, else the
   * message id).
   */
  threadId?: string | undefined;
  runId?: string | undefined;
}

const CONTENT_TYPES: Record<string, string> = {
  text: "text/plain; charset=utf-8",
  sse: "text/event-stream",
  ndjson: "application/x-ndjson",
};

const TEXT = 0;
const SSE = 1;
const NDJSON = 2;
/** A wire format of another ecosystem. */
const WIRE = 3;
const MODES: Record<string, number> = { text: TEXT, sse: SSE, ndjson: NDJSON };

/**
 * The message as a streaming `Response`: every protocol event as Server-Sent Events (`"sse"`, the
 * default) or newline-delimited JSON (`"ndjson"`), which `fromResponse` turns back into a
 * `ChatModelStream` on the client, or its text alone (`"text"`). The body reads the stream's events
 * directly, one stream layer from the model to the bytes: what one turn makes (the events of one
 * network chunk, or all a read finds waiting) is written as one chunk, a microtask after the first of
 * them, with the bytes the per-event encoders write; a client that lags gets deltas merged. The headers say `cache-control: no-cache`,
 * `content-encoding: identity` and `x-accel-buffering: no`, so neither Miniflare / `wrangler dev`
 * (which gzips, and so buffers, text and JSON) nor nginx-style proxies hold the body back; text
 * adds `x-content-type-options: nosniff`, so browsers don't wait for bytes to sniff. Headers you
 * give are appended (several `set-cookie` survive); one named like a default replaces it.
 *
 * SSE writes per event `id: <n>` (from 1), `event: <name>` and `data: <JSON>`, and a `: ping`
 * comment while the client waits and nothing came for `heartbeatMs`. SSE and NDJSON end with the
 * terminal event: `message-finish`, or an `error` event.
 *
 * Nothing is read from the model before the body is.
 *
 * @example
 * ```ts
 * export default {
 *   async fetch(request: Request): Promise<Response> {
 *     // In workerd, only request.signal tells you that the client went away.
 *     const stream = ChatModelStream.from(callModel(request), { signal: request.signal });
 *     return toResponse(stream); // SSE; or { format: "ndjson" }, { format: "text" }
 *   },
 * };
 * ```
 *
 * Cancellation and errors: cancelling the body cancels this reader of the stream; when it was the
 * last reader and nothing awaits the stream (no `ctx.waitUntil(stream.output...)`) and no
 * `keepAlive`, that is `aclose()`, and the model call stops. workerd does not cancel a body when the
 * client disconnects: pass `request.signal` as the stream's `signal` for that. When the stream fails
 * without an `error` event (an abort, bad input, a throwing source), SSE and NDJSON write a closing
 * `{event: "error", message, code}` (see `onError`; the stream's own timeouts are `code:
 * "timeout"`) and end normally, even when `onError` throws or returns what JSON cannot encode.
 * Text has no way to say so: an abort ends the text body where the text stopped, and any other
 * failure errors the body, so the client sees a broken transfer. The heartbeat timer is cleared at
 * the end, on failure and on cancel; it runs only while the client reads, and holds the body
 * weakly, so a body dropped without cancel is collected with its stream. An unknown `format` or a
 * bad `heartbeatMs` throws a `TypeError` / `RangeError` at once.
 */
export function toResponse(stream: ChatModelStream, options: ToResponseOptions = {}): Response {
  const format = options.format ?? "sse";
  const wire = wireFormat(format);
  const mode = wire !== undefined ? WIRE : Object.hasOwn(MODES, format) ? MODES[format]! : -1;
  if (mode === -1) {
    const names = ["text", "sse", "ndjson", ...Object.keys(WIRE_FORMATS)].map((n) => `"${n}"`).join(", ");
    throw coded(new TypeError(`toResponse: format must be one of ${names}, got ${String(format)}`), "bad_option");
  }

  const headers = new Headers();
  if (options.headers !== undefined) appendHeaders(headers, options.headers);
  const defaults: [string, string][] = [
    ["content-type", wire?.contentType ?? CONTENT_TYPES[format]!],
    ["cache-control", "no-cache"],
    ["content-encoding", "identity"],
    ["x-accel-buffering", "no"],
  ];
  if (mode === TEXT) defaults.push(["x-content-type-options", "nosniff"]);
  if (wire !== undefined) for (const [name, value] of wire.headers) defaults.push([name, value]);
  for (const [name, value] of defaults) if (!headers.has(name)) headers.set(name, value);

  if (options.smooth) {
    // The paced events as a stream of their own: its readers are the body's; cancelling the body
    // cancels the pacing and, through it, this reader of `stream`.
    stream = ChatModelStream.from(stream.events.pipeThrough(smooth(options.smooth === true ? {} : options.smooth)));
  }
  const heartbeatMs = mode === SSE || wire?.contentType === "text/event-stream" ? (options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS) : 0;
  const source = new BodySource(stream, mode, heartbeatMs, options.onError ?? describeError, wire?.writer(undefined, options));
  // highWaterMark 0: the model is read only as fast as the client takes the bytes.
  const body = new ReadableStream<Uint8Array>(source, { highWaterMark: 0 });
  return new Response(body, { status: options.status ?? 200, headers });
}

/**
 * @internal Appends every header of `list`. A `Headers` is read with `getSetCookie` where it exists, since
 * older runtimes join several `set-cookie` into one value when iterating.
 */
export function appendHeaders(headers: Headers, list: HeaderList): void {
  if (Array.isArray(list)) {
    for (const [name, value] of list as readonly (readonly [string, string])[]) headers.append(name, value);
    return;
  }
  if (typeof (list as { forEach?: unknown }).forEach !== "function") {
    const record = list as Readonly<Record<string, string>>;
    for (const name of Object.keys(record)) headers.append(name, record[name]!);
    return;
  }
  const cookies = (list as { getSetCookie?: () => string[] }).getSetCookie?.();
  (list as { forEach(callback: (value: string, name: string) => void): void }).forEach((value, name) => {
    if (cookies === undefined || name.toLowerCase() !== "set-cookie") headers.append(name, value);
  });
  if (cookies !== undefined) for (const cookie of cookies) headers.append("set-cookie", cookie);
}

/** @internal The default fields of the closing `error` event for a failure (persist stores the same). */
export function describeError(error: unknown): ErrorEventFields {
  try {
    const message = (error as { message?: unknown } | null | undefined)?.message;
    // Every error this package makes has its code (errors.ts); a provider's `error` event has the
    // provider's; anything else the producer threw is a source error.
    return { message: typeof message === "string" ? message : String(error), code: errorCode(error) ?? "source_error" };
  } catch {
    // A reason that cannot be read: no toString (Object.create(null)), a throwing getter.
    return { message: "The chat model stream failed", code: "source_error" };
  }
}

/**
 * @internal The closing `error` event: `onError`'s fields when its message is a string, else the
 * default ones (persist stores the same event).
 */
export function errorEvent(error: unknown, onError: (error: unknown) => ErrorEventFields): ProtocolEvent {
  let message: unknown;
  let code: unknown;
  try {
    const fields = onError(error) as { message?: unknown; code?: unknown } | null | undefined;
    message = fields?.message;
    code = fields?.code;
  } catch {
    message = undefined;
  }
  if (typeof message !== "string") ({ message, code } = describeError(error));
  return typeof code === "string" ? { event: "error", message: message as string, code } : { event: "error", message: message as string };
}

/** The most characters one body chunk gathers from what is queued (a sync source could give all). */
const CHUNK_CHARS = 32_768;

/** A microtask is a reaction to this (cheaper than `queueMicrotask`, a call into the runtime). */
const RESOLVED: Promise<void> = Promise.resolve();

/** The most microtasks a body holds what it gathered while events keep coming. */
const HOLD_TURNS = 64;
/** Microtasks without an event after which it goes (an async generator gives one every 3-4). */
const IDLE_TURNS = 8;

/** Texts up to this length are encoded by a loop when ASCII (cheaper than a call out for a few bytes). */
const SHORT = 64;

/** Why a body ends: its stream ended, or failed with `error`. */
type Ending = { readonly error: unknown } | true;

/**
 * The body's underlying source, and the sink of its reader of the stream: the fan-out hands it
 * events (or text) directly, with no stream in between. What one turn makes (one network chunk's
 * events, or everything a pull finds queued) is written as one chunk of bytes: a first event that
 * reaches a waiting body is held until a microtask later, so the events the source gives in the
 * same turn join it; a reader that lags meanwhile gets its deltas merged (see coalesce.ts).
 */
class BodySource implements UnderlyingDefaultSource<Uint8Array>, CursorSink, Beating {
  readonly #mode: number;
  readonly #cursor: DirectCursor;
  readonly #encoder = new TextEncoder();
  readonly #heartbeat: Heartbeat;
  readonly #onError: (error: unknown) => ErrorEventFields;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  /** Events written so far (SSE ids count from 1). */
  #count = 0;
  /** A read waits for bytes and none were written since: the client waits (for heartbeats). */
  #waiting = false;
  /** Closed, errored or cancelled: write nothing more. */
  #done = false;
  /** The text made this turn, not yet written. */
  #parts: string[] = [];
  #size = 0;
  /** Chunks the fan-out handed over. */
  #delivered = 0;
  /** Microtasks the gathered text was held, those of them that brought nothing, and `#delivered` at the last. */
  #held = 0;
  #idle = 0;
  #seen = 0;
  /** A flush is queued as a microtask. */
  #scheduled = false;
  /** Inside `pull()`, which writes what it gathered itself. */
  #pulling = false;
  /** The stream ended (or the terminal event was made): write what is gathered, then end. */
  #ending: Ending | undefined = undefined;
  /** A value this body refused to write (an event name with a line break): its error. */
  #refused: { readonly error: unknown } | undefined = undefined;
  /** A high surrogate held back until its pair arrives in the next text delta. */
  #carry = "";
  /** The wire format's writer (its parts and ids), in that mode. */
  readonly #wire: WireWriter | undefined;
  readonly #flushTask = (): void => this.#flush();

  constructor(
    stream: ChatModelStream,
    mode: number,
    heartbeatMs: number,
    onError: (error: unknown) => ErrorEventFields,
    wire: WireWriter | undefined,
  ) {
    this.#mode = mode;
    // The cursor attaches to the stream on its first pull, so this costs nothing until the body is read.
    this.#cursor = directReader(stream, mode === TEXT, this);
    this.#heartbeat = new Heartbeat(heartbeatMs, this);
    this.#onError = onError;
    this.#wire = wire;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  pull(): void {
    // Armed by the first read: a client is connected and waiting, perhaps for the first token.
    this.#heartbeat.start();
    this.#waiting = true;
    if (this.#done || this.#scheduled) return; // the queued flush answers this read
    const before = this.#delivered;
    this.#pulling = true;
    this.#cursor.pull(); // what is queued comes at once; else the cursor waits for the next event
    this.#pulling = false;
    if (this.#delivered !== before || this.#ending !== undefined) this.#flush();
  }

  cancel(reason: unknown): void {
    this.#done = true;
    this.#parts = [];
    this.#heartbeat.stop();
    // This reader's cancel; the stream's reference count decides whether the model call stops.
    this.#cursor.cancel(reason);
  }

  // -- the sink the fan-out writes to ----------------------------------------------------------

  /** Nothing waits unread here: what is gathered is written within the turn. */
  get desiredSize(): number {
    return 0;
  }

  enqueue(chunk: unknown): void {
    this.#delivered++;
    if (this.#done || this.#ending !== undefined || this.#refused !== undefined) return;
    try {
      this.#add(chunk);
    } catch (error) {
      // Our own refusal of a value: the flush writes what came before it, then the error event.
      this.#refused = { error };
    }
    this.#schedule();
  }

  close(): void {
    this.#ending ??= true;
    this.#schedule();
  }

  error(error: unknown): void {
    this.#ending ??= { error };
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pulling || this.#scheduled || this.#done) return;
    this.#scheduled = true;
    void RESOLVED.then(this.#flushTask);
  }

  /** Makes the text of one chunk of the stream and gathers it. */
  #add(value: unknown): void {
    const mode = this.#mode;
    if (mode === TEXT) {
      this.#gather(value as string);
      return;
    }
    let text: string;
    let name: string;
    if (mode === SSE) {
      const id = this.#count + 1;
      const json = deltaJSON(value);
      if (json !== undefined) {
        text = "id: " + id + "\nevent: content-block-delta\ndata: " + json + "\n\n";
        name = "content-block-delta";
      } else ({ frame: text, name } = sseFrame(id, value));
    } else if (mode === NDJSON) {
      const json = deltaJSON(value);
      if (json !== undefined) {
        text = json + "\n";
        name = "content-block-delta";
      } else ({ line: text, name } = ndjsonLine(this.#count, value));
    } else {
      name = (value as ProtocolEvent).event;
      text = this.#wire!.push(value as ProtocolEvent);
    }
    this.#count++;
    if (text !== "") this.#gather(text);
    if (isTerminal(name)) this.#ending = true;
  }

  #gather(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
  }

  // -- writing ---------------------------------------------------------------------------------

  /**
   * Gathers the rest of the turn (what is queued, up to a chunk's size) and writes it as one chunk.
   * When that made no bytes (events a format has no frame for) while a read waits, asks again.
   */
  #flush(): void {
    this.#scheduled = false;
    const cursor = this.#cursor;
    for (;;) {
      if (this.#done) return;
      this.#pulling = true;
      while (this.#ending === undefined && this.#refused === undefined && this.#size < CHUNK_CHARS && cursor.ready) {
        const before = this.#delivered;
        cursor.pull();
        // A pull that gave nothing (the source's next events are for other readers) ends the gathering.
        if (this.#delivered === before) break;
      }
      this.#pulling = false;
      if (this.#holding()) {
        this.#scheduled = true;
        void RESOLVED.then(this.#flushTask);
        return;
      }
      if (this.#writeGathered() || this.#done || !this.#waiting) return;
      const before = this.#delivered;
      this.#pulling = true;
      cursor.pull();
      this.#pulling = false;
      // Nothing came: the cursor waits, and the next event's enqueue queues the flush.
      if (this.#delivered === before && this.#ending === undefined) return;
    }
  }

  /**
   * Whether to hold what was gathered a microtask longer: while the source's events keep coming
   * within the turn (a source that answers in microtasks, as an async generator does), up to
   * {@link HOLD_TURNS} microtasks or a chunk's size; it goes once {@link IDLE_TURNS} microtasks
   * brought nothing (a network source, whose next events wait for I/O).
   */
  #holding(): boolean {
    if (this.#parts.length > 0 && this.#ending === undefined && this.#refused === undefined && this.#size < CHUNK_CHARS) {
      const delivered = this.#delivered;
      if (delivered !== this.#seen) {
        this.#seen = delivered;
        this.#idle = 0;
      } else this.#idle++;
      if (this.#idle < IDLE_TURNS && ++this.#held < HOLD_TURNS) return true;
    }
    this.#held = 0;
    this.#idle = 0;
    return false;
  }

  /** Writes what was gathered as one chunk, and ends the body if it ends; says whether it wrote. */
  #writeGathered(): boolean {
    const controller = this.#controller!;
    const refused = this.#refused;
    let ending = this.#ending;
    if (refused !== undefined) {
      // Stop reading the model; the client gets the error event after what came before.
      this.#cursor.cancel(refused.error);
      ending = refused;
    }
    let text = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join("");
    this.#parts = [];
    this.#size = 0;
    if (this.#mode === TEXT) {
      text = this.#carry + text;
      this.#carry = "";
      const last = text.charCodeAt(text.length - 1);
      if (last >= 0xd800 && last <= 0xdbff && ending === undefined) {
        this.#carry = text.slice(-1);
        text = text.slice(0, -1);
      }
      // Text has no way to say "failed" but a broken transfer. A cancel (most often: the client
      // left) ends the text where it stopped: erroring the body would only make workerd log an
      // "Uncaught AbortError" for a client that is gone.
      if (ending !== undefined && ending !== true && (ending.error as { name?: unknown } | null)?.name !== "AbortError") {
        this.#end();
        if (text !== "") this.#write(controller, text);
        controller.error(ending.error);
        return true;
      }
    } else if (ending !== undefined && ending !== true) {
      // Whatever onError did (threw, returned a BigInt or a cycle), the client gets a terminal event.
      try {
        this.#add(errorEvent(ending.error, this.#onError));
        text += this.#parts.join("");
      } catch (failure) {
        this.#end();
        if (text !== "") this.#write(controller, text);
        controller.error(failure);
        return true;
      }
    }
    // Ended before the last write: a runtime may call pull() from within enqueue() (Deno and
    // Chromium do), and that pull must not end the body a second time.
    if (ending !== undefined) this.#end();
    if (text !== "") this.#write(controller, text);
    if (ending !== undefined) {
      controller.close();
      return true;
    }
    return text !== "";
  }

  #write(controller: ReadableStreamDefaultController<Uint8Array>, text: string): void {
    this.#waiting = false;
    this.#heartbeat.mark();
    controller.enqueue(text.length <= SHORT ? this.#short(text) : this.#encoder.encode(text));
  }

  /** A short text as UTF-8, without the encoder's call when it is ASCII (a delta, most often). */
  #short(text: string): Uint8Array {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) return this.#encoder.encode(text);
      bytes[i] = c;
    }
    return bytes;
  }

  #end(): void {
    this.#done = true;
    this.#parts = [];
    this.#heartbeat.stop();
  }

  /** @internal The heartbeat's tick: see {@link BodySource.#ping}. */
  beat(): boolean {
    return this.#ping();
  }

  /** A beat while the client waits; once it no longer asks, the timer disarms until the next pull. */
  #ping(): boolean {
    if (this.#done || !this.#waiting) return false;
    if (this.#parts.length > 0) return true; // written within this turn
    this.#waiting = false;
    this.#controller!.enqueue(this.#encoder.encode(PING));
    return true;
  }
}
