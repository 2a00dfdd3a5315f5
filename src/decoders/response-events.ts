/**
 * The plumbing every "bytes in" decoder shares: a converter turns text into protocol events, and
 * this module runs it either as a `TransformStream` or as a lazy pull source over a `Response`
 * (or a body stream) that reads nothing until asked, fails on a non-OK status, and cancels the body
 * when its reader cancels.
 *
 * @module
 */
import { coded } from "../errors.ts";
import { HTTPError } from "../http-error.ts";
import type { ChatModelStreamOptions } from "../chat-model-stream.ts";
import type { PullSource, SourceOpener } from "../source-loop.ts";
import type { ProtocolEvent } from "../protocol.ts";
import { LineBudget, lineTooLong, maxLineBytesOf } from "../sse/line-budget.ts";
import { SSEParser, type ServerSentEvent } from "../sse/parse.ts";
import { StringBuilder } from "../string-builder.ts";
import { QueueReader, TextRun, type Queued } from "./text-run.ts";

/**
 * Text in, protocol events out, pushed to `out` for the caller to drain.
 *
 * @internal
 */
export interface EventConverter {
  /** Events produced and not yet taken (a `TextRun` stands for its deltas); the caller empties it. */
  readonly out: Queued[];
  /** A terminal event (`message-finish` or `error`) was produced: the rest of the input is irrelevant. */
  readonly done: boolean;
  /** The next piece of decoded text. */
  write(text: string): void;
  /**
   * For a binary framing (the AWS event stream): when present, the body's bytes come here as they
   * arrive, never decoded as text, and `write` is not called.
   */
  writeBytes?(chunk: Uint8Array): void;
  /** The input ended (a converter may add a synthesized finish). */
  end(): void;
}

/**
 * @internal An SSE body whose messages become protocol events: the parser, its line bound (its
 * error said in terms of `maxBytes` when that is the bound), and the messages counted from 0 until
 * a terminal event. Our SSE (`fromResponse`) and the providers' (the adapters) differ only in
 * `onMessage`; the providers' queue runs of text deltas (`Item` is `Queued`).
 */
export abstract class SSEMessageConverter<Item extends Queued = ProtocolEvent> implements EventConverter {
  readonly out: Item[] = [];
  done = false;
  #position = 0;
  readonly #limit: LineLimit;
  readonly #parser: SSEParser;

  constructor(limit: LineLimit) {
    this.#limit = limit;
    this.#parser = new SSEParser((message) => {
      if (!this.done) this.onMessage(message, this.#position++);
    }, { maxLineBytes: limit.bytes });
  }

  /** One SSE message; `position` counts them from 0. */
  protected abstract onMessage(message: ServerSentEvent, position: number): void;

  write(text: string): void {
    if (this.done) return;
    try {
      this.#parser.write(text);
    } catch (error) {
      throw this.#limit.rename(error);
    }
  }

  end(): void {
    this.#parser.end();
  }
}

/** What the decoders read: a fetch `Response`, or the bytes of a body. */
export type ResponseInput = Response | ReadableStream<Uint8Array>;

/**
 * Options of `fromResponse` and the provider adapters: the stream's options, and the bound on one
 * line of the body.
 */
export interface DecoderOptions extends ChatModelStreamOptions {
  /**
   * The longest line (and SSE event data) the body may send, in UTF-8 bytes. What a decoder holds
   * of a line before it ends is bounded by this, and by `maxBytes` when that is smaller: a body
   * that never sends a line break fails with a `RangeError` instead of filling memory.
   * `Infinity` lifts the bound.
   *
   * @default 8388608 (8 MiB)
   */
  maxLineBytes?: number | undefined;
}

/** Options of the decoder `TransformStream`s. */
export interface DecoderStreamOptions {
  /** As `DecoderOptions.maxLineBytes`. @default 8388608 (8 MiB) */
  maxLineBytes?: number | undefined;
}

/**
 * The bound on one line: `maxLineBytes`, or `maxBytes` when that is smaller (a line longer than
 * the whole content limit can only fail it). Throws a `RangeError` for a bad `maxLineBytes`.
 *
 * @internal
 */
export class LineLimit {
  /** The bound, in UTF-8 bytes. */
  readonly bytes: number;
  /** The option it comes from. */
  readonly #option: "maxLineBytes" | "maxBytes";

  constructor(options: { maxLineBytes?: number | undefined; maxBytes?: number | undefined } | undefined) {
    const line = maxLineBytesOf(options?.maxLineBytes);
    const content = options?.maxBytes;
    // A bad maxBytes is the stream's to refuse; here only a usable one counts.
    if (typeof content === "number" && content > 0 && content < line) {
      this.bytes = content;
      this.#option = "maxBytes";
    } else {
      this.bytes = line;
      this.#option = "maxLineBytes";
    }
  }

  /** The error for a line over the bound. */
  tooLong(what?: string): RangeError {
    return this.rename(lineTooLong(this.bytes, what)) as RangeError;
  }

  /** The parser's `maxLineBytes exceeded` error, said in terms of `maxBytes` when that is the bound. */
  rename(error: unknown): unknown {
    if (this.#option === "maxLineBytes" || !(error instanceof RangeError) || !error.message.startsWith("maxLineBytes exceeded")) return error;
    return coded(
      new RangeError(`The chat model stream received more than maxBytes (${this.bytes}) bytes: a line of the response is longer than that`, {
        cause: error,
      }),
      "max_bytes",
    );
  }
}

const ERROR_BODY_LIMIT = 64 * 1024;

async function readErrorBody(reader: ReadableStreamDefaultReader<Uint8Array> | undefined): Promise<string> {
  if (reader === undefined) return "";
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
      if (text.length >= ERROR_BODY_LIMIT) {
        reader.cancel().catch(() => {});
        return text.slice(0, ERROR_BODY_LIMIT);
      }
    }
  } catch {
    return text; // the status is the error; a body that broke off adds nothing
  }
}

function drain(converter: EventConverter, controller: { enqueue(event: ProtocolEvent): void }): boolean {
  const out = converter.out;
  const n = out.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const item = out[i]!;
    if (!(item instanceof TextRun)) controller.enqueue(item);
    else for (let p = 0, n = item.count; p < n; p++) controller.enqueue(item.event(p));
  }
  out.length = 0;
  return true;
}

/**
 * A `Transformer` from bytes to protocol events through a converter. After a terminal event the
 * stream terminates, which (through `pipeThrough`) cancels the rest of the input. When the
 * converter throws, the events of the same chunk before the bad data are enqueued, then the
 * controller errors the stream (which, as for any `TransformStream`, drops what its reader had not
 * yet read).
 *
 * @internal
 */
export function eventTransformer(converter: EventConverter): Transformer<Uint8Array, ProtocolEvent> {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  // Errors go to the controller, not out of transform() / flush(): workerd reports such a throw as
  // an unhandled rejection, although the stream errors all the same.
  return {
    transform(chunk, controller) {
      try {
        if (converter.writeBytes !== undefined) converter.writeBytes(chunk);
        else converter.write(decoder.decode(chunk, { stream: true }));
      } catch (error) {
        drain(converter, controller);
        controller.error(error);
        return;
      }
      drain(converter, controller);
      if (converter.done) controller.terminate();
    },
    flush(controller) {
      try {
        if (converter.writeBytes === undefined) converter.write(decoder.decode());
        converter.end();
      } catch (error) {
        drain(converter, controller);
        controller.error(error);
        return;
      }
      drain(converter, controller);
    },
  };
}

/**
 * The protocol events of a response, as a source `ChatModelStream` reads directly: nothing is read
 * before the first read; events already parsed are answered at once (one body chunk holds many), and
 * only the next body chunk is awaited. A non-OK status fails it with an `HTTPError`; a terminal event
 * ends it and cancels the rest of the body; cancelling it cancels the body.
 *
 * `converterFor` runs at the first read with the response's content type (`null` for a bare body);
 * what it throws fails the stream.
 *
 * @internal
 */
export function responseEvents(
  input: ResponseInput,
  converterFor: (contentType: string | null) => EventConverter,
): SourceOpener {
  const response = isResponse(input) ? input : undefined;
  const body = response !== undefined ? response.body : (input as ReadableStream<Uint8Array>);
  if (response?.bodyUsed) throw coded(new TypeError("The response body was already read"), "invalid_state");
  return {
    open: () => new ResponseSource(response, body, converterFor),
    cancelUnopened: (reason) => (body !== null && !body.locked ? body.cancel(reason) : undefined),
  };
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** The decoder of every {@link ResponseSource}: it keeps no state between calls without `stream`. */
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** The bytes of an `ArrayBufferView` or `ArrayBuffer`, without a copy. */
function asBytes(chunk: ArrayBufferView | ArrayBuffer): Uint8Array {
  return ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : new Uint8Array(chunk);
}

/**
 * @internal Where `bytes` can be cut so that no character that may still be completed is cut:
 * before a lead byte among the last three whose sequence the chunk does not finish, else the
 * length. (Invalid bytes cut off with it decode as they would have, with the next chunk.)
 */
export function cutCharacter(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = bytes[i]!;
    if (b < 0x80) return n; // ASCII: what follows it is continuation bytes, each an error alone
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return n - i < length ? i : n;
    }
  }
  return n;
}

class ResponseSource implements PullSource {
  readonly #response: Response | undefined;
  readonly #body: ReadableStream<Uint8Array> | null;
  /** Until the converter is made: then let go (it holds the adapter's closures). */
  #converterFor: ((contentType: string | null) => EventConverter) | undefined;
  /** The end of the last chunk when it cut a character's bytes: decoded with the next chunk. */
  #tail: Uint8Array | undefined = undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #converter: EventConverter | undefined;
  /** Parsed events not yet read. */
  readonly #ready = new QueueReader();
  /** No more events after `#ready`. */
  #ended = false;
  #cancelled = false;
  /** Delivered once the events parsed before the bad data were read. */
  #failure: { error: unknown } | undefined;

  constructor(
    response: Response | undefined,
    body: ReadableStream<Uint8Array> | null,
    converterFor: (contentType: string | null) => EventConverter,
  ) {
    this.#response = response;
    this.#body = body;
    this.#converterFor = converterFor;
  }

  get buffered(): boolean {
    return !this.#ready.empty;
  }

  read(): IteratorResult<ProtocolEvent> | Promise<IteratorResult<ProtocolEvent>> {
    if (!this.#ready.empty) return { done: false, value: this.#ready.shift() };
    if (this.#failure !== undefined) return this.#rejected(this.#failure.error);
    if (this.#ended) return DONE;
    return this.#fill().then(() => this.#settled());
  }

  /**
   * A rejection made and awaited at once. (A rejected promise returned from a `then` callback is
   * adopted a microtask later, and workerd reports it as unhandled in between.)
   */
  async #rejected(error: unknown): Promise<never> {
    throw error;
  }

  /** After a fill: the next event, the end, or the failure (thrown, so the derived promise rejects). */
  #settled(): IteratorResult<ProtocolEvent> {
    if (!this.#ready.empty) return { done: false, value: this.#ready.shift() };
    if (this.#failure !== undefined) throw this.#failure.error;
    return DONE; // ended, or cancelled while reading
  }

  cancel(reason: unknown): unknown {
    this.#cancelled = true;
    this.#ended = true;
    if (this.#reader !== undefined) return this.#reader.cancel(reason);
    if (this.#body !== null && !this.#body.locked) return this.#body.cancel(reason);
    return undefined;
  }

  /**
   * A chunk as text, as a streaming `TextDecoder` gives it, through one decoder shared by every
   * stream (a decoder of its own is 184 bytes a stream in flight): bytes that begin a character
   * the chunk cuts are kept for the next chunk. Decoding a text in two pieces cut between
   * characters gives what decoding it whole does, invalid bytes included.
   */
  #decode(chunk: Uint8Array): string {
    // A body typed as bytes may still yield another view or an ArrayBuffer: read it as bytes.
    let bytes: Uint8Array = chunk instanceof Uint8Array ? chunk : asBytes(chunk as unknown as ArrayBufferView | ArrayBuffer);
    const tail = this.#tail;
    if (tail !== undefined) {
      const joined = new Uint8Array(tail.length + bytes.length);
      joined.set(tail);
      joined.set(bytes, tail.length);
      bytes = joined;
      this.#tail = undefined;
    }
    const cut = cutCharacter(bytes);
    if (cut === bytes.length) return UTF8.decode(bytes);
    this.#tail = bytes.slice(cut);
    return UTF8.decode(bytes.subarray(0, cut));
  }

  /** Reads body chunks until events are parsed or the body ends. */
  async #fill(): Promise<void> {
    try {
      const converter = (this.#converter ??= await this.#open());
      for (;;) {
        const chunk = this.#reader === undefined ? DONE : await this.#reader.read();
        if (this.#cancelled) return;
        if (chunk.done) {
          if (converter.writeBytes === undefined && this.#tail !== undefined) converter.write(UTF8.decode(this.#tail));
          converter.end();
          this.#take(converter);
          this.#ended = true;
          return;
        }
        if (converter.writeBytes !== undefined) converter.writeBytes(chunk.value);
        else converter.write(this.#decode(chunk.value));
        if (this.#take(converter)) {
          if (converter.done) {
            this.#ended = true;
            this.#reader?.cancel().catch(() => {});
          }
          return;
        }
      }
    } catch (error) {
      if (!this.#cancelled) this.#reader?.cancel(error).catch(() => {});
      // Events parsed before the bad data go out first; the error comes with the read after them.
      if (this.#converter !== undefined) this.#take(this.#converter);
      this.#failure = { error };
    }
  }

  async #open(): Promise<EventConverter> {
    const response = this.#response;
    const body = this.#body;
    // One reader for the body, taken first, so cancel() reaches it even while an error body is read.
    if (body !== null) this.#reader = body.getReader();
    if (response !== undefined && !response.ok) throw new HTTPError(response, await readErrorBody(this.#reader));
    const converterFor = this.#converterFor!;
    this.#converterFor = undefined;
    return converterFor(response !== undefined ? response.headers.get("content-type") : null);
  }

  /** Moves the converter's new events to the ready list. */
  #take(converter: EventConverter): boolean {
    const out = converter.out;
    if (out.length === 0) return false;
    this.#ready.reset(out.slice());
    out.length = 0;
    return true;
  }
}

/** @internal The media type of a `content-type` header, lower-cased, without parameters (`""` when absent). */
export function mediaType(contentType: string | null): string {
  return contentType === null ? "" : contentType.split(";", 1)[0]!.trim().toLowerCase();
}

/** @internal A JSON media type: `application/json` or `…+json`. */
export function isJSONType(type: string): boolean {
  return type === "application/json" || type.endsWith("+json");
}

/** Duck-typed, so a `Response` from another fetch implementation counts too. */
function isResponse(input: ResponseInput): input is Response {
  return typeof (input as Partial<Response>).status === "number" && typeof (input as Partial<Response>).headers === "object";
}

/** Turns one JSON text into a value, or a `TypeError` that names what and where. */
export function parseJSON(text: string, what: string, position: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw coded(new TypeError(`Invalid ${what} at position ${position}: not JSON: ${JSON.stringify(shown)}`, { cause: error }), "bad_input");
  }
}

const NON_BLANK = /\S/;

/**
 * JSON lines, bounded as the SSE path bounds its lines: what is held of a line that has not ended
 * yet never passes the line limit, so a body that sends no line break fails instead of filling
 * memory. Blank lines are skipped; a CR before the LF is JSON whitespace. Our NDJSON
 * (`fromResponse`) and Ollama's differ only in `onLine`.
 *
 * @internal
 */
export abstract class JSONLinesConverter implements EventConverter {
  readonly out: ProtocolEvent[] = [];
  done = false;
  /** Lines that were not blank, counted from 0. */
  #position = 0;
  readonly #line = new StringBuilder();
  readonly #limit: LineLimit;
  readonly #size: LineBudget;

  constructor(limit: LineLimit) {
    this.#limit = limit;
    this.#size = new LineBudget(limit.bytes);
  }

  /** One line that is not blank; `position` counts them from 0. */
  protected abstract onLine(line: string, position: number): void;

  write(text: string): void {
    let pos = 0;
    let lf = text.indexOf("\n");
    while (lf !== -1 && !this.done) {
      let line = text.slice(pos, lf);
      if (this.#line.length > 0) {
        this.#count(line);
        this.#line.push(line);
        line = this.#line.take();
        this.#size.reset();
      } else if (line.length * 3 > this.#size.limit) {
        this.#count(line);
        this.#size.reset();
      }
      pos = lf + 1;
      this.#process(line);
      lf = text.indexOf("\n", pos);
    }
    if (pos < text.length && !this.done) {
      const piece = pos === 0 ? text : text.slice(pos);
      this.#count(piece);
      this.#line.push(piece);
    }
  }

  end(): void {
    if (!this.done) this.#process(this.#line.take());
  }

  /** Counts a piece of the current line; past the bound, drops the line and throws. */
  #count(piece: string): void {
    if (this.#size.fits(piece, this.#line)) return;
    this.#line.set("");
    this.#size.reset();
    throw this.#limit.tooLong();
  }

  #process(line: string): void {
    if (NON_BLANK.test(line)) this.onLine(line, this.#position++);
  }
}
