/**
 * `smooth()`: text and reasoning re-chunked and paced, as the AI SDK's `smoothStream` does, so a
 * model that sends text in bursts reads as a steady flow.
 *
 * @module
 */
import { isRecord, type ProtocolEvent, type RawEvent } from "./protocol.ts";

/**
 * Where the next chunk ends: the chunk (a prefix of `buffer`), or `undefined` / `null` when the
 * buffer holds no whole chunk yet.
 */
export type ChunkDetector = (buffer: string) => string | null | undefined;

/** Options of `smooth`. */
export interface SmoothOptions {
  /**
   * How text is cut: `"word"` (a run of non-space and the space after it), `"line"` (up to a run
   * of line breaks), a `RegExp` (a chunk ends where its first match ends), an `Intl.Segmenter`
   * (one segment a chunk: `granularity: "grapheme"` for characters, `"word"` for words and the
   * spaces between them), or a function. A trailing piece that is not yet a whole chunk waits for
   * more text (or for `maxDelayMs`).
   *
   * @default "word"
   */
  chunking?: "word" | "line" | RegExp | Intl.Segmenter | ChunkDetector;
  /** The pause after each chunk, in milliseconds; `0` or `null` for none. @default 10 */
  delayMs?: number | null;
  /**
   * The most latency smoothing may add to a piece of text, in milliseconds: text that has waited
   * this long goes out at once, with the rest of what is buffered, and a partial word that waits
   * this long for the rest of it goes out alone. `Infinity` (as the AI SDK) lets a partial word
   * wait for the next event.
   *
   * @default Infinity
   */
  maxDelayMs?: number;
  /** Aborting it stops the timers and errors the stream with the signal's reason. */
  signal?: AbortSignal;
}

/** Anchored: an unanchored `\S+\s+` retries from every start, quadratic on a run with no space. */
const WORD = /^\s*\S+\s+/;
/**
 * A run with no chunk boundary longer than this goes out as a chunk of its own (a base64 string, a
 * minified line): it would otherwise wait without bound, and be searched again with every delta.
 */
const MAX_CHUNK = 1024;
const LINE = /\n+/;

/** The buffered text of one block, not yet sent. */
interface Pending {
  readonly index: number;
  readonly kind: "text" | "reasoning";
  text: string;
  /**
   * When each piece still (partly) in `text` arrived, oldest first, as pairs: how many characters
   * of `text` it ends at, and the time. `maxDelayMs` is measured from the first.
   */
  arrivals: number[];
}

class Smoother implements Transformer<ProtocolEvent, ProtocolEvent> {
  readonly #cut: ChunkDetector;
  readonly #delayMs: number;
  readonly #maxDelayMs: number;
  readonly #signal: AbortSignal | undefined;
  #controller: TransformStreamDefaultController<ProtocolEvent> | undefined;
  #pending: Pending | undefined;
  /** Set by cancel or abort: no more output, no more timers. */
  #stopped = false;
  /**
   * The one timer: the pause after a chunk (`cooling`: text that arrives meanwhile waits for it),
   * or the deadline of a partial chunk that has no end yet.
   */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #cooling = false;
  /** The listener on `signal`, which holds this smoother weakly. */
  #onAbort: (() => void) | undefined;

  constructor(options: SmoothOptions | undefined) {
    this.#cut = detector(options?.chunking ?? "word");
    const delayMs = options?.delayMs;
    this.#delayMs = delayMs === undefined ? 10 : delayMs === null ? 0 : nonNegative(delayMs, "delayMs");
    this.#maxDelayMs = options?.maxDelayMs === undefined ? Infinity : nonNegative(options.maxDelayMs, "maxDelayMs");
    this.#signal = options?.signal;
  }

  start(controller: TransformStreamDefaultController<ProtocolEvent>): void {
    this.#controller = controller;
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) return this.#abort();
    // Through a weak reference: a stream that ends without cancel() (runtimes that never call a
    // Transformer's cancel, an upstream error) must not be kept alive by a long-lived signal.
    const self = new WeakRef(this);
    this.#onAbort = () => {
      const smoother = self.deref();
      if (smoother !== undefined) smoother.#abort();
    };
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  transform(event: ProtocolEvent, controller: TransformStreamDefaultController<ProtocolEvent>): void {
    if (this.#stopped) return;
    const piece = textOf(event);
    if (piece === undefined) {
      // Never delayed, never reordered: the text before it goes first, whole, now.
      this.#flush(controller);
      controller.enqueue(event);
      return;
    }
    if (piece.text === "") return;
    let pending = this.#pending;
    if (pending !== undefined && (pending.index !== piece.index || pending.kind !== piece.kind)) {
      this.#flush(controller);
      pending = undefined;
    }
    if (pending === undefined) this.#pending = pending = { index: piece.index, kind: piece.kind, text: "", arrivals: [] };
    pending.text += piece.text;
    pending.arrivals.push(pending.text.length, Date.now());
    // In a pause the timer sends it; otherwise now (a partial chunk's deadline is set anew).
    if (this.#cooling) return;
    this.#clearTimer();
    this.#tick(controller);
  }

  flush(controller: TransformStreamDefaultController<ProtocolEvent>): void {
    if (!this.#stopped) this.#flush(controller);
    this.#stop();
  }

  cancel(): void {
    this.#stop();
  }

  /**
   * Sends the next whole chunk and pauses `delayMs` (with no pause, every whole chunk now). Text
   * that has waited `maxDelayMs` goes out at once; a partial chunk left over gets a deadline.
   */
  readonly #tick = (controller: TransformStreamDefaultController<ProtocolEvent>): void => {
    this.#timer = undefined;
    this.#cooling = false;
    // A chunking function's error goes to the stream: thrown from a timer (or, in workerd, from
    // transform) it would be reported as uncaught.
    try {
      this.#pace(controller);
    } catch (error) {
      this.#stop();
      controller.error(error);
    }
  };

  #pace(controller: TransformStreamDefaultController<ProtocolEvent>): void {
    for (;;) {
      const pending = this.#pending;
      if (this.#stopped || pending === undefined) return;
      const waited = Date.now() - pending.arrivals[1]!;
      if (waited >= this.#maxDelayMs) return this.#overdue(controller, pending);
      const chunk = this.#next(pending.text);
      if (chunk === undefined) return this.#schedule(controller, this.#maxDelayMs - waited, false);
      this.#send(controller, pending, chunk.length);
      if (this.#delayMs > 0) return this.#schedule(controller, this.#delayMs, true);
    }
  }

  /** The text has waited too long: all of it now, but for a pair's first half, which waits for its second. */
  #overdue(controller: TransformStreamDefaultController<ProtocolEvent>, pending: Pending): void {
    const keep = endsInHighSurrogate(pending.text) ? 1 : 0;
    if (pending.text.length > keep) this.#send(controller, pending, pending.text.length - keep);
  }

  /** Sends the first `length` characters of `pending`. */
  #send(controller: TransformStreamDefaultController<ProtocolEvent>, pending: Pending, length: number): void {
    const chunk = pending.text.slice(0, length);
    pending.text = pending.text.slice(length);
    const arrivals = pending.arrivals;
    let drop = 0;
    while (drop < arrivals.length && arrivals[drop]! <= length) drop += 2;
    arrivals.splice(0, drop);
    for (let i = 0; i < arrivals.length; i += 2) arrivals[i]! -= length;
    if (pending.text === "") this.#pending = undefined;
    try {
      controller.enqueue(delta(pending.index, pending.kind, chunk));
    } catch {
      this.#stop(); // the readable side is gone, on a runtime that does not call cancel
    }
  }

  #schedule(controller: TransformStreamDefaultController<ProtocolEvent>, ms: number, cooling: boolean): void {
    if (ms === Infinity) return;
    this.#cooling = cooling;
    this.#timer = setTimeout(this.#tick, Math.max(0, ms), controller);
  }

  /** The next whole chunk, never ending between the halves of a surrogate pair. */
  #next(text: string): string | undefined {
    let chunk = this.#cut(text.length > MAX_CHUNK ? text.slice(0, MAX_CHUNK) : text);
    if ((chunk == null || chunk === "") && text.length >= MAX_CHUNK) chunk = text.slice(0, MAX_CHUNK);
    if (chunk == null || chunk === "") return undefined;
    if (!text.startsWith(chunk)) throw new TypeError("smooth: the chunking function must return a prefix of the text it was given");
    if (!endsInHighSurrogate(chunk)) return chunk;
    // The pair's second half is the next character, or has not arrived yet.
    return chunk.length < text.length ? text.slice(0, chunk.length + 1) : undefined;
  }

  /** Everything buffered goes out as one delta, now; the pause is over. */
  #flush(controller: TransformStreamDefaultController<ProtocolEvent>): void {
    this.#clearTimer();
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined && pending.text !== "") controller.enqueue(delta(pending.index, pending.kind, pending.text));
  }

  #clearTimer(): void {
    this.#cooling = false;
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** No more output: the timer stops and the buffered text is dropped (its reader is gone). */
  #stop(): void {
    this.#stopped = true;
    this.#pending = undefined;
    this.#clearTimer();
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener("abort", this.#onAbort);
  }

  readonly #abort = (): void => {
    const reason: unknown = this.#signal?.reason;
    this.#stop();
    this.#controller?.error(reason ?? new DOMException("The operation was aborted.", "AbortError"));
  };
}

/** A text or reasoning delta's block, kind and text; `undefined` for every other event. */
function textOf(event: ProtocolEvent): { index: number; kind: "text" | "reasoning"; text: string } | undefined {
  const e = event as unknown as RawEvent;
  if (e["event"] !== "content-block-delta" || typeof e["index"] !== "number") return undefined;
  const d = e["delta"] ?? e["content"];
  if (!isRecord(d)) return undefined;
  if (d["type"] === "text-delta" && typeof d["text"] === "string") return { index: e["index"], kind: "text", text: d["text"] };
  if (d["type"] === "reasoning-delta" && typeof d["reasoning"] === "string") return { index: e["index"], kind: "reasoning", text: d["reasoning"] };
  return undefined;
}

function delta(index: number, kind: "text" | "reasoning", text: string): ProtocolEvent {
  return {
    event: "content-block-delta",
    index,
    delta: kind === "text" ? { type: "text-delta", text } : { type: "reasoning-delta", reasoning: text },
  };
}

function endsInHighSurrogate(text: string): boolean {
  const code = text.charCodeAt(text.length - 1);
  return code >= 0xd800 && code <= 0xdbff;
}

function detector(chunking: NonNullable<SmoothOptions["chunking"]>): ChunkDetector {
  if (chunking === "word") return byPattern(WORD);
  if (chunking === "line") return byPattern(LINE);
  if (chunking instanceof RegExp) return byPattern(chunking);
  if (typeof chunking === "function") return chunking;
  if (typeof Intl !== "undefined" && typeof Intl.Segmenter === "function" && chunking instanceof Intl.Segmenter) return bySegment(chunking);
  throw new TypeError(`smooth: chunking must be "word", "line", a RegExp, an Intl.Segmenter or a function, got ${String(chunking)}`);
}

/** A chunk ends where the pattern's first match ends (a match of nothing is no chunk). */
function byPattern(pattern: RegExp): ChunkDetector {
  // A global or sticky pattern keeps lastIndex between calls; a copy without those flags does not.
  const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
  return (buffer) => {
    const match = re.exec(buffer);
    return match === null ? undefined : buffer.slice(0, match.index + match[0].length);
  };
}

/** Each segment but the last, which more text may still extend, is a chunk. */
function bySegment(segmenter: Intl.Segmenter): ChunkDetector {
  return (buffer) => {
    let first: string | undefined;
    for (const { segment, index } of segmenter.segment(buffer)) {
      if (first !== undefined) return buffer.slice(0, index);
      first = segment;
    }
    return undefined;
  };
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) throw new RangeError(`smooth: ${name} must be a number ≥ 0, got ${String(value)}`);
  return value;
}

/**
 * A `TransformStream` of protocol events that re-chunks text and reasoning deltas (by word,
 * unless `chunking` says otherwise) and pauses `delayMs` after each chunk, as the AI SDK's
 * `smoothStream` does. Every other event passes at once and in order: the text before it is sent
 * first, whole, without pausing (so a block's finish, a tool-call delta or the message's finish
 * is never held back). The text of each block reaches readers unchanged, only cut differently;
 * a surrogate pair is never split. The pauses run on a timer, not in `transform`, so what comes
 * after the text is never queued behind them; what is buffered is at most the text not yet sent.
 *
 * @example
 * ```ts
 * const events = fromResponse(await fetch(url)).events.pipeThrough(smooth({ delayMs: 15, maxDelayMs: 500 }));
 * const body: Response = toResponse(ChatModelStream.from(events)); // or toResponse(stream, { smooth: { delayMs: 15 } })
 * ```
 *
 * Cancellation and errors: cancelling the readable side stops the pause in progress and every
 * timer at once, and drops the buffered text; aborting `signal` does the same and errors the
 * stream with the signal's reason. An error of the writable side errors the readable side, as
 * for any `TransformStream`. A bad option throws a `RangeError` (a negative or NaN delay) or a
 * `TypeError` (an unknown `chunking`) at once; a chunking function that returns something other
 * than a prefix of its input errors the stream with a `TypeError`.
 */
export function smooth(options?: SmoothOptions): TransformStream<ProtocolEvent, ProtocolEvent> {
  return new TransformStream(new Smoother(options));
}
