/**
 * A server-sent events parser that follows the WHATWG HTML "event stream" interpretation rules:
 * lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next are
 * one line end), `:` starts a comment, a field without a colon has an empty value, one space after
 * the colon is dropped, `data` lines join with LF, a block with no `data` is not dispatched, one
 * leading BOM is ignored, and an event not closed by a blank line when the input ends is discarded.
 *
 * Each chunk is scanned once: the parser keeps the unterminated tail of the last line and only
 * looks for line ends in new text, so the cost is linear in the input however it is split.
 *
 * @module
 */
import { StringBuilder } from "../string-builder.ts";
import { LineBudget, lineTooLong, maxLineBytesOf } from "./line-budget.ts";

/** One dispatched event, as the WHATWG `EventSource` would report it. */
export interface ServerSentEvent {
  /** The `event` field, when the block had a non-empty one (a browser would say `"message"`). */
  event?: string;
  /** The `data` lines joined with LF. */
  data: string;
  /** The last event ID seen so far (it carries over to later events, as `lastEventId` does), when non-empty. */
  id?: string;
  /** The reconnection time in milliseconds, when this event's block set a valid one. */
  retry?: number;
}

/** Callbacks for what a stream says besides its events. */
export interface SSEParserOptions {
  /** Called for each valid `retry` field, also in blocks that dispatch no event. */
  onRetry?: ((milliseconds: number) => void) | undefined;
  /** Called for each comment line (such as a `:` heartbeat) with the text after the colon. */
  onComment?: ((comment: string) => void) | undefined;
  /**
   * The longest line, and the most data one event may gather, in UTF-8 bytes: a stream that goes
   * on without a line break is refused rather than buffered without end. `Infinity` lifts it.
   *
   * @default 8388608 (8 MiB)
   */
  maxLineBytes?: number | undefined;
}

const LF = 10;
const SPACE = 32;
const BOM = 0xfeff;
const DIGITS = /^[0-9]+$/;
const ROPE_PIECES = 16;

/**
 * The parser as a push state machine, for input that is not a stream: feed it text with `write`,
 * get each dispatched event through `onEvent`, and call `end` when the input ends.
 *
 * @example
 * ```ts
 * const parser = new SSEParser((event) => console.log(event.data));
 * parser.write("data: hel");
 * parser.write("lo\n\n"); // logs "hello"
 * parser.end();
 * ```
 *
 * Cancellation and errors: there is nothing to cancel; stop calling `write`. Lines that are not
 * fields are ignored. A line, or an event's data, longer than `maxLineBytes` (8 MiB unless set)
 * makes `write` throw a `RangeError` whose message starts with `maxLineBytes exceeded`; what was
 * buffered of it is dropped. What `onEvent` throws propagates out of `write`, and the rest of that
 * piece of text is then not parsed. `end` drops an event not closed by a blank line, as a browser
 * does. A `maxLineBytes` that is not a positive integer throws a `RangeError` from the constructor.
 */
export class SSEParser {
  readonly #onEvent: (event: ServerSentEvent) => void;
  readonly #onRetry: ((milliseconds: number) => void) | undefined;
  readonly #onComment: ((comment: string) => void) | undefined;
  /** The current line so far, when a chunk ended inside it: a string for its first pieces, then a builder. */
  #head = "";
  #pieces = 0;
  #long: StringBuilder | undefined = undefined;
  /** The size of the unfinished line so far, and of the current event's data. */
  readonly #line: LineBudget;
  readonly #dataSize: LineBudget;
  #started = false;
  /** The last line ended with a CR: an LF right after it belongs to that line end. */
  #afterCR = false;
  #data = "";
  #hasData = false;
  #event = "";
  #lastId = "";
  #retry: number | undefined = undefined;

  constructor(onEvent: (event: ServerSentEvent) => void, options: SSEParserOptions = {}) {
    this.#onEvent = onEvent;
    this.#onRetry = options.onRetry;
    this.#onComment = options.onComment;
    const limit = maxLineBytesOf(options.maxLineBytes);
    this.#line = new LineBudget(limit);
    this.#dataSize = new LineBudget(limit);
  }

  /** Parses the next piece of the stream. */
  write(text: string): void {
    const length = text.length;
    if (length === 0) return;
    let pos = 0;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === BOM) pos = 1;
    }
    if (this.#afterCR) {
      this.#afterCR = false;
      if (pos < length && text.charCodeAt(pos) === LF) pos++;
    }
    // The next CR and LF at or after `pos`, searched again only once passed, so each is found once.
    let cr = text.indexOf("\r", pos);
    let lf = text.indexOf("\n", pos);
    while (cr !== -1 || lf !== -1) {
      const end = lf === -1 || (cr !== -1 && cr < lf) ? cr : lf;
      let line = text.slice(pos, end);
      if (this.#pieces > 0) line = this.#takeLine(line);
      else if (line.length * 3 > this.#line.limit) this.#checkLine(line);
      pos = end + 1;
      if (end === cr) {
        if (pos === length) this.#afterCR = true;
        else if (text.charCodeAt(pos) === LF) pos++;
      }
      this.#processLine(line);
      if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos);
      if (lf !== -1 && lf < pos) lf = text.indexOf("\n", pos);
    }
    if (pos < length) this.#keep(pos === 0 ? text : detached(text.slice(pos)));
  }

  /**
   * Keeps the start of an unfinished line. The first pieces are concatenated (cheap for the usual
   * two or three); past that a builder takes them, which holds less per piece than a rope.
   */
  #keep(piece: string): void {
    if (!this.#line.fits(piece, this.#long ?? this.#head)) this.#tooLong();
    if (++this.#pieces <= ROPE_PIECES) this.#head += piece;
    else (this.#long ??= new StringBuilder(this.#head)).push(piece);
  }

  #takeLine(last: string): string {
    if (!this.#line.fits(last, this.#long ?? this.#head)) this.#tooLong();
    this.#line.reset();
    const long = this.#long;
    let line: string;
    if (long === undefined) line = this.#head + last;
    else {
      long.push(last);
      line = long.toString();
      this.#long = undefined;
    }
    this.#head = "";
    this.#pieces = 0;
    return line;
  }

  /** A line that arrived whole in one piece of text. */
  #checkLine(line: string): void {
    const fits = this.#line.fits(line, "");
    this.#line.reset();
    if (!fits) this.#tooLong();
  }

  /** Drops the unfinished line (so its memory goes with the error) and throws. */
  #tooLong(): never {
    const limit = this.#line.limit;
    this.end();
    throw lineTooLong(limit);
  }

  /** The input ended: an event not closed by a blank line is discarded, as the standard says. */
  end(): void {
    this.#head = "";
    this.#pieces = 0;
    this.#long = undefined;
    this.#line.reset();
    this.#data = "";
    this.#hasData = false;
    this.#dataSize.reset();
    this.#event = "";
    this.#retry = undefined;
  }

  #processLine(line: string): void {
    if (line.length === 0) return this.#dispatch();
    const colon = line.indexOf(":");
    if (colon === 0) {
      this.#onComment?.(line.charCodeAt(1) === SPACE ? line.slice(2) : line.slice(1));
      return;
    }
    let field = line;
    let value = "";
    if (colon > 0) {
      field = line.slice(0, colon);
      value = line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    }
    switch (field) {
      case "data": {
        const piece = this.#hasData ? "\n" + value : value;
        // Each line is bounded; so is what an event's `data:` lines add up to.
        if (!this.#dataSize.fits(piece, this.#data)) {
          const limit = this.#dataSize.limit;
          this.end();
          throw lineTooLong(limit, "an event whose data is");
        }
        this.#data += piece;
        this.#hasData = true;
        return;
      }
      case "event":
        this.#event = value;
        return;
      case "id":
        if (!value.includes("\0")) this.#lastId = value;
        return;
      case "retry":
        if (DIGITS.test(value)) {
          const retry = Number(value);
          this.#retry = retry;
          this.#onRetry?.(retry);
        }
        return;
      default:
        return; // unknown fields are ignored
    }
  }

  #dispatch(): void {
    const hasData = this.#hasData;
    const data = this.#data;
    const type = this.#event;
    const retry = this.#retry;
    this.#data = "";
    this.#hasData = false;
    this.#dataSize.reset();
    this.#event = "";
    this.#retry = undefined;
    if (!hasData) return;
    const event: ServerSentEvent = { data };
    if (type !== "") event.event = type;
    if (this.#lastId !== "") event.id = this.#lastId;
    if (retry !== undefined) event.retry = retry;
    this.#onEvent(event);
  }
}

/**
 * Text in, server-sent events out. Put a `TextDecoderStream` before it, or hand it bytes: a
 * `Uint8Array` chunk is decoded as UTF-8 (the only encoding an event stream may use), with
 * sequences split across chunks joined and invalid bytes replaced by U+FFFD.
 *
 * @example
 * ```ts
 * const response = await fetch(url, { headers: { accept: "text/event-stream" } });
 * for await (const { event, data } of response.body!.pipeThrough(new SSEParserStream())) {
 *   console.log(event ?? "message", data);
 * }
 * ```
 *
 * Cancellation and errors: cancelling the readable side cancels the input, as for any
 * `TransformStream` (through `pipeThrough`, the response body). Lines that are not fields are
 * ignored, and an event the input ends in the middle of is dropped. A line or an event's data over
 * `maxLineBytes` (8 MiB unless set) errors the readable side with a `RangeError` (`maxLineBytes
 * exceeded: …`), which through `pipeThrough` cancels the input. A `TextDecoderStream` in front
 * strips one BOM itself, so a second one would then be ignored here.
 */
export class SSEParserStream extends TransformStream<string | Uint8Array, ServerSentEvent> {
  constructor(options: SSEParserOptions = {}) {
    let parser!: SSEParser;
    // The parser skips the BOM, so the decoder must keep it, or a stream starting with two would lose both.
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    super({
      start(controller) {
        parser = new SSEParser((event) => controller.enqueue(event), options);
      },
      // Errors go to the controller, not out of transform(): workerd reports a throw there as an
      // unhandled rejection, although the stream errors all the same.
      transform(chunk, controller) {
        try {
          parser.write(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
        } catch (error) {
          controller.error(error);
        }
      },
      flush(controller) {
        try {
          parser.write(decoder.decode());
          parser.end();
        } catch (error) {
          controller.error(error);
        }
      },
    });
  }
}

/**
 * A copy of a piece cut from a larger text that does not keep that text alive: engines may make a
 * slice a view of its parent, and the unfinished line kept between two network chunks would then
 * hold the whole chunk it came from (16 KiB per stream in flight, for a line of a few hundred bytes).
 */
function detached(piece: string): string {
  // Once per chunk, and no longer than a line: a JSON round trip makes a string of its own.
  return JSON.parse(JSON.stringify(piece)) as string;
}
