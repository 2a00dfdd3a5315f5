/**
 * Decoders for this package's own wire formats, the inverse of the encoders:
 *
 * - SSE: one message per protocol event, `id: <n>` (from 1), `event: <the event's name>`,
 *   `data: <the event as JSON>`, then a blank line; `:` comments are heartbeats; the stream ends
 *   after the terminal event (`message-finish` or `error`).
 * - NDJSON: one protocol event as JSON per line.
 *
 * @module
 */
import { coded } from "../errors.ts";
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { isRecord, isTerminal, type ProtocolEvent } from "../protocol.ts";
import { eventStreamError, providerStream } from "../adapters/provider-converter.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import {
  eventTransformer,
  JSONLinesConverter,
  LineLimit,
  mediaType,
  parseJSON,
  responseEvents,
  SSEMessageConverter,
  type DecoderOptions,
  type DecoderStreamOptions,
  type EventConverter,
  type ResponseInput,
} from "./response-events.ts";
import { AGUIEvents, isAGUIEvent } from "./ag-ui.ts";
import { ReconnectingSource, reconnectOptions, type Connection, type ReconnectOptions } from "./reconnect.ts";
import { isUIMessageStart, isUIMessageStreamResponse, UIMessageChunks, UIMessageStreamConverter } from "./ui-message-stream.ts";

/** Whether a decoded event ends the stream. */
function ends(event: unknown): boolean {
  return isTerminal((event as { event?: unknown } | null)?.event);
}

/** Our SSE: each message's `data` is one protocol event; `id` and `event` repeat what it says. */
class SSEConverter extends SSEMessageConverter {
  /** For a reconnecting reader: the SSE id of each event pushed to `out`, in order. */
  readonly #ids: (string | undefined)[] | undefined;

  constructor(limit: LineLimit, ids?: (string | undefined)[]) {
    super(limit);
    this.#ids = ids;
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    const ids = this.#ids;
    if (ids === undefined) return this.#onMessage(message, position);
    const before = this.out.length;
    this.#onMessage(message, position);
    for (let i = before; i < this.out.length; i++) ids.push(message.id);
  }

  /** The first message was an AI SDK UI message stream's `start`: its chunks read the rest. */
  #ui: UIMessageChunks | undefined;
  /** The first message was an AG-UI event (`toResponse`'s `"ag-ui"`, or an AG-UI server's): AG-UI's reader reads the rest. */
  #agui: AGUIEvents | undefined;

  #onMessage(message: ServerSentEvent, position: number): void {
    if (this.#ui !== undefined) return this.#chunk(message, position);
    if (this.#agui !== undefined) return this.#readAGUI(message, position);
    const event = parseJSON(message.data, "SSE event data", position) as ProtocolEvent;
    if (position === 0 && isAGUIEvent(event)) {
      this.#agui = new AGUIEvents(this.out);
      return this.#readAGUI(message, position, event);
    }
    if (position === 0 && isUIMessageStart(event)) {
      this.#ui = new UIMessageChunks(this.out);
      return this.#chunk(message, position, event);
    }
    if (position === 0 && isRecord(event) && typeof event["event"] !== "string") {
      // A provider's own stream handed to the wrong reader: say whose it is, not which field is missing.
      const provider = providerStream(event, message.event);
      if (provider !== undefined) throw coded(new TypeError(`Expected this package's protocol events, got ${provider}`), "bad_input");
    }
    this.out.push(event);
    if (ends(event)) this.done = true;
  }

  #chunk(message: ServerSentEvent, position: number, parsed?: unknown): void {
    this.#ui!.message(message, position, parsed);
    this.done = this.#ui!.done;
  }

  #readAGUI(message: ServerSentEvent, position: number, parsed?: unknown): void {
    this.#agui!.message(message, position, parsed);
    this.done = this.#agui!.done;
  }

  override end(): void {
    super.end();
    if (this.#agui !== undefined) {
      this.#agui.end();
      this.done = this.#agui.done;
    }
    if (this.#ui === undefined) return;
    this.#ui.end();
    this.done = this.#ui.done;
  }
}

/** NDJSON: one event per LF-terminated line (a CR before the LF, blank lines and a last line without LF are fine). */
class NDJSONConverter extends JSONLinesConverter {
  protected onLine(line: string, position: number): void {
    // JSON.parse skips the whitespace around a value (a CR included); U+FEFF is not JSON whitespace.
    if (position === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    const event = parseJSON(line, "NDJSON line", position) as ProtocolEvent;
    if (position === 0 && isRecord(event) && typeof event["event"] !== "string") {
      // A provider's own lines (Ollama's) handed to the wrong reader: say whose they are.
      const provider = providerStream(event, undefined);
      if (provider !== undefined) throw coded(new TypeError(`Expected this package's protocol events, got ${provider}`), "bad_input");
    }
    this.out.push(event);
    if (ends(event)) this.done = true;
  }
}

const NOTHING: ProtocolEvent[] = [];
const NOT_SPACE = /[^\s]/;

/** Neither content type said which: the first character that is not whitespace (or a BOM) decides. */
class SniffingConverter implements EventConverter {
  readonly #limit: LineLimit;
  readonly #ids: (string | undefined)[] | undefined;
  #inner: SSEConverter | NDJSONConverter | undefined;
  #head = "";

  constructor(limit: LineLimit, ids: (string | undefined)[] | undefined) {
    this.#limit = limit;
    this.#ids = ids;
  }

  get out(): ProtocolEvent[] {
    return this.#inner?.out ?? NOTHING;
  }

  get done(): boolean {
    return this.#inner?.done ?? false;
  }

  write(text: string): void {
    if (this.#inner !== undefined) return this.#inner.write(text);
    const at = text.search(NOT_SPACE);
    if (at === -1) {
      // Whitespace only, so far: bounded like a line, or an endless run of spaces would fill memory.
      if (this.#head.length + text.length > this.#limit.bytes) throw this.#limit.tooLong();
      this.#head += text;
      return;
    }
    if (text.charCodeAt(0) === 0 && this.#head === "") throw awsEventStream();
    this.#inner = text.charCodeAt(at) === 0x7b /* { */ ? new NDJSONConverter(this.#limit) : new SSEConverter(this.#limit, this.#ids);
    this.#inner.write(this.#head + text);
    this.#head = "";
  }

  end(): void {
    this.#inner?.end();
  }
}

const NDJSON_TYPES = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"]);

/**
 * The converter for a content type: SSE, NDJSON, or (no type, or bytes of no stated kind) sniffed.
 * Any other type is a response that is not a stream (an HTML error page, a JSON body, plain text):
 * refused, rather than parsed into an empty message.
 */
function converterFor(contentType: string | null, limit: LineLimit, ids?: (string | undefined)[]): EventConverter {
  const type = mediaType(contentType);
  if (type === "text/event-stream") return new SSEConverter(limit, ids);
  if (NDJSON_TYPES.has(type)) return new NDJSONConverter(limit);
  if (type === "" || type === "application/octet-stream") return new SniffingConverter(limit, ids);
  if (type === "application/vnd.amazon.eventstream") throw awsEventStream();
  throw coded(new TypeError(`Expected a text/event-stream or application/x-ndjson response, got ${type}: not a stream of events`), "bad_input");
}

/** A binary AWS event stream: Bedrock's, which fromBedrock reads. */
function awsEventStream(): TypeError {
  return eventStreamError("this package's protocol events");
}

/** Options of `fromResponse`: the decoder's, and `reconnect`. */
export interface FromResponseOptions extends DecoderOptions {
  /**
   * Reconnects when the connection drops (the body fails, or ends before the terminal event):
   * `fetch(lastEventId)` asks the server again for what follows the last SSE id read
   * (`resumeResponse` answers it), after a backoff, so that readers see the message whole, with no
   * gap and no duplicate. Our SSE format only; each response may be a new server's.
   */
  reconnect?: ReconnectOptions | undefined;
}

/**
 * Rehydrates a stream of protocol events that `toResponse` (or `SSEEncoderStream` /
 * `NDJSONEncoderStream`) sent, on a client: a browser, another Worker, Node. The format is chosen
 * by the response's `content-type` (`text/event-stream` is SSE, `application/x-ndjson` is
 * NDJSON); a bare body, or one without a content type or typed `application/octet-stream`, by the
 * first byte that is not whitespace (`{` is NDJSON, anything else SSE). SSE whose first event is
 * an AG-UI event (`toResponse`'s `"ag-ui"`, or an AG-UI server's run) is read as AG-UI: text,
 * reasoning and tool calls, `RUN_ERROR` as the error, a cancelled run as a Stop. The stream is lazy: the
 * body is read only when something consumes, and no faster than its readers. Options are the
 * stream's (`signal`, limits, timeouts) and `maxLineBytes`, the bound on one line.
 *
 * An AI SDK UI message stream (`result.toUIMessageStreamResponse()`, known by its
 * `x-vercel-ai-ui-message-stream: v1` header or a first `start` chunk) is read too: text,
 * reasoning and tool calls of every step, tool outputs as server tool results, sources as the
 * text's citations, `data-*` parts as `non_standard` blocks, the finish reason in LangChain's
 * names, usage sent as message metadata; what has no place in one message (step markers,
 * transient data parts) reaches raw-event readers as `provider` events named by the chunk type.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const response = await fetch("/chat", { method: "POST", body: prompt, signal: controller.signal });
 * const stream = fromResponse(response, { signal: controller.signal });
 * for await (const text of stream.text) output.append(text);
 * const message = await stream.output;
 * ```
 *
 * Cancellation and errors: cancelling the stream (`aclose()`, the `signal` option, the last reader
 * cancelling) cancels the response body. A non-OK response fails the stream with an `HTTPError`
 * carrying `status`, `headers` and the provider's message. Data that is not JSON fails it with a
 * `TypeError` naming the event's position; a malformed event fails it as `dispatch` would. A
 * response of another content type (an HTML page, JSON, plain text) fails it with a `TypeError`
 * naming that type. A line (or an SSE event's data) longer than `maxLineBytes` (8 MiB unless set),
 * or than `maxBytes` when that is smaller, fails it with a `RangeError` naming the option, before
 * more of it is buffered. An `error` event fails it with that error. A body that ends without a
 * terminal event gets a synthesized `message-finish`; an empty one fails with "No generation
 * chunks were returned". A response whose body was already read, or a bad `maxLineBytes`, throws
 * a `TypeError` / `RangeError` at once.
 *
 * With `reconnect`, a body that fails (a network error, a retryable status: 408, 409, 429, 5xx) or
 * ends before its terminal event is not the end: `reconnect.fetch(lastEventId)` is asked, after
 * `delayMs` doubling up to `maxDelayMs` (or the server's `retry-after`), at most `retries` times in
 * a row without an event read; then the stream fails with the last error. Data that is not JSON,
 * a limit, and other statuses (a 404: the generation is gone) fail it at once. Cancelling the stream
 * stops a wait between reconnects. Events read without an SSE id (NDJSON, a server that sends
 * none) cannot be resumed after: a drop then fails the stream (code `invalid_state`) rather than
 * read them twice. A bad `reconnect` option throws at once.
 */
export function fromResponse(input: ResponseInput, options?: FromResponseOptions): ChatModelStream {
  const limit = new LineLimit(options);
  if (options?.reconnect !== undefined) {
    const { reconnect, ...rest } = options;
    const settings = reconnectOptions(reconnect);
    const connect = (response: ResponseInput): Connection => {
      const ids: (string | undefined)[] = [];
      return { source: responseEvents(response, (type) => converterFor(type, limit, ids)).open(), ids };
    };
    const opener = responseEvents(input, (type) => converterFor(type, limit));
    return fromOpener(
      {
        // The first connection is opened only when read, as without reconnect.
        open: () => new ReconnectingSource(connect(input), settings, connect),
        cancelUnopened: (reason) => opener.cancelUnopened(reason),
      },
      rest,
    );
  }
  const ui = isUIMessageStreamResponse(input);
  return fromOpener(
    responseEvents(input, (type) => (ui ? new UIMessageStreamConverter(limit) : converterFor(type, limit))),
    options,
  );
}

/**
 * The bytes of our SSE format in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * const events = response.body!.pipeThrough(new SSEDecoderStream());
 * ```
 *
 * Cancellation and errors: after the terminal event the stream terminates, which (through
 * `pipeThrough`) cancels the body. `data` that is not JSON errors it with a `TypeError` naming
 * the event's position, and a line over `maxLineBytes` (8 MiB unless set) with a `RangeError`;
 * the error goes to the readable side (not thrown from `transform`, which workerd would report
 * as unhandled), and through `pipeThrough` cancels the body. Events are passed on unchecked:
 * `ChatModelStream.from` checks them.
 */
export class SSEDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new SSEConverter(new LineLimit(options))));
  }
}

/**
 * The bytes of NDJSON protocol events in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * const stream = ChatModelStream.from(response.body!.pipeThrough(new NDJSONDecoderStream()));
 * ```
 *
 * Cancellation and errors: as `SSEDecoderStream`; a line that is not JSON errors it with a
 * `TypeError` naming the line's position (blank lines are skipped and not counted).
 */
export class NDJSONDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new NDJSONConverter(new LineLimit(options))));
  }
}
