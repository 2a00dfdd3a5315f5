/**
 * The binary framing of `application/vnd.amazon.eventstream` (the AWS event stream encoding that
 * Bedrock's ConverseStream, Transcribe and S3 Select send), decoded frame by frame from chunks cut
 * anywhere.
 *
 * A frame is a prelude (total length u32, headers length u32, CRC-32 of those 8 bytes), the
 * headers (each: name length u8, name, type u8, typed value), the payload, and the CRC-32 of
 * everything before it. All integers are big-endian.
 *
 * @module
 */
import { coded } from "../errors.ts";
import { crc32 } from "./crc32.ts";

/**
 * A header's value, by its wire type: 0 / 1 `true` / `false`, 2 byte, 3 short and 4 integer as a
 * `number`, 5 long as a `bigint`, 6 byte array as `Uint8Array`, 7 string, 8 timestamp as a `Date`,
 * 9 UUID as its lower-case 8-4-4-4-12 text.
 *
 * @internal
 */
export type EventStreamHeaderValue = boolean | number | bigint | Uint8Array | string | Date;

/** @internal One decoded frame. */
export interface EventStreamFrame {
  readonly headers: ReadonlyMap<string, EventStreamHeaderValue>;
  /** The payload's bytes: a view valid during the callback (it may share the input chunk's buffer). */
  readonly payload: Uint8Array;
  /** Where the frame starts in the stream, in bytes. */
  readonly offset: number;
}

/** @internal Options of the framing decoder. */
export interface EventStreamDecoderOptions {
  /**
   * The largest frame accepted, in bytes, prelude and checksums included. A prelude declaring a
   * larger frame fails at once, before any of it is buffered. `Infinity` lifts the bound (the
   * format's own limit, 2^32 − 1, stays).
   *
   * @default 16777216 (16 MiB)
   */
  maxFrameBytes?: number | undefined;
}

/** @internal The default bound on one frame: 16 MiB, far above any model event, far below a Worker's 128 MB. */
export const DEFAULT_MAX_FRAME_BYTES: number = 16 * 1024 * 1024;

const PRELUDE = 12;
/** Prelude and message checksum: the smallest frame, with no headers and no payload. */
const MIN_FRAME = PRELUDE + 4;

/** @internal Checks a `maxFrameBytes` option: a positive integer, or `Infinity` for no bound. */
export function maxFrameBytesOf(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_BYTES;
  if (typeof value !== "number" || !(value >= MIN_FRAME) || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw coded(new RangeError(`maxFrameBytes must be an integer of at least ${MIN_FRAME} (or Infinity: no bound), got ${String(value)}`), "bad_option");
  }
  return value;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function invalid(offset: number, what: string): TypeError {
  return coded(new TypeError(`Invalid event stream frame at byte offset ${offset}: ${what}`), "bad_input");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Frames out of bytes, in linear time whatever the chunking: a frame that arrives whole inside a
 * chunk is read in place; one split across chunks is copied once into a buffer of its declared
 * size (known, and bounded, from its prelude). Nothing is ever re-concatenated.
 *
 * For example (internal, not exported):
 * ```text
 * const decoder = new EventStreamDecoder((frame) => console.log(frame.headers.get(":event-type")));
 * for await (const chunk of body) decoder.push(chunk);
 * decoder.end();
 * ```
 *
 * Cancellation and errors: synchronous; `push` and `end` throw, and keep throwing once they have.
 * A checksum that does not match, a frame shorter than 16 bytes, headers that overrun their
 * length, an unknown header type, a repeated header name, a string header that is not UTF-8, and
 * input ending inside a frame are each a `TypeError` (code `bad_input`) naming the frame's byte
 * offset; a frame declared larger than `maxFrameBytes` is a `RangeError` (code `max_line`: the
 * frame is this encoding's line). What `onFrame` throws passes through unchanged.
 *
 * @internal
 */
export class EventStreamDecoder {
  readonly #onFrame: (frame: EventStreamFrame) => void;
  readonly #max: number;
  /** The prelude of a frame split before its 12th byte, gathered here. */
  readonly #prelude = new Uint8Array(PRELUDE);
  #preludeFill = 0;
  /** A frame split across chunks, being filled; its size is the declared total length. */
  #frame: Uint8Array | undefined;
  #frameFill = 0;
  /** Where the current frame starts in the stream. */
  #offset = 0;
  /** Set by the first error: the decoder is unusable after it. */
  #failure: { error: unknown } | undefined;

  constructor(onFrame: (frame: EventStreamFrame) => void, options?: EventStreamDecoderOptions) {
    this.#onFrame = onFrame;
    this.#max = maxFrameBytesOf(options?.maxFrameBytes);
  }

  /** Bytes of the stream consumed in whole frames. */
  get offset(): number {
    return this.#offset;
  }

  /** Whether the input so far ends between frames. */
  get atBoundary(): boolean {
    return this.#preludeFill === 0 && this.#frame === undefined;
  }

  /** The next bytes of the stream; each frame they complete goes to `onFrame`, in order. */
  push(chunk: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure.error;
    try {
      this.#push(chunk);
    } catch (error) {
      this.#failure = { error };
      throw error;
    }
  }

  /** The input ended: it must end between frames. */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
    if (this.atBoundary) return;
    const have = this.#frame !== undefined ? this.#frameFill : this.#preludeFill;
    const of = this.#frame !== undefined ? `of its ${this.#frame.length}` : "of its 12-byte prelude";
    const error = invalid(this.#offset, `the stream ended inside the frame, after ${have} ${of} bytes`);
    this.#failure = { error };
    throw error;
  }

  #push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      let frame = this.#frame;
      if (frame === undefined) {
        if (this.#preludeFill === 0 && n - i >= PRELUDE) {
          // Case 1: the prelude is in this chunk; the frame is read in place if it all is.
          const total = this.#checkPrelude(chunk, i);
          if (n - i >= total) {
            this.#emit(chunk.subarray(i, i + total));
            i += total;
            continue;
          }
          frame = this.#frame = new Uint8Array(total);
          frame.set(chunk.subarray(i));
          this.#frameFill = n - i;
          return;
        }
        // Case 2: the prelude is split; gather its 12 bytes first.
        const take = Math.min(PRELUDE - this.#preludeFill, n - i);
        this.#prelude.set(chunk.subarray(i, i + take), this.#preludeFill);
        this.#preludeFill += take;
        i += take;
        if (this.#preludeFill < PRELUDE) return;
        const total = this.#checkPrelude(this.#prelude, 0);
        frame = this.#frame = new Uint8Array(total);
        frame.set(this.#prelude);
        this.#frameFill = PRELUDE;
        this.#preludeFill = 0;
      }
      // Case 3: a split frame; copy what this chunk has of it.
      const take = Math.min(frame.length - this.#frameFill, n - i);
      frame.set(chunk.subarray(i, i + take), this.#frameFill);
      this.#frameFill += take;
      i += take;
      if (this.#frameFill === frame.length) {
        this.#frame = undefined;
        this.#frameFill = 0;
        this.#emit(frame);
      }
    }
  }

  /** Checks the prelude at `at` and returns the frame's total length. */
  #checkPrelude(bytes: Uint8Array, at: number): number {
    const total = u32(bytes, at);
    const headers = u32(bytes, at + 4);
    const sent = u32(bytes, at + 8);
    const computed = crc32(bytes, at, at + 8);
    if (sent !== computed) {
      throw invalid(this.#offset, `the prelude checksum does not match (the frame says ${hex(sent)}, its bytes give ${hex(computed)})`);
    }
    if (total < MIN_FRAME) throw invalid(this.#offset, `its total length ${total} is less than the 16 bytes of prelude and checksum`);
    if (total > this.#max) {
      throw coded(
        new RangeError(`maxFrameBytes exceeded: the event stream frame at byte offset ${this.#offset} declares ${total} bytes, more than maxFrameBytes (${this.#max} bytes)`),
        "max_line",
      );
    }
    if (headers > total - MIN_FRAME) throw invalid(this.#offset, `its headers length ${headers} does not fit in its total length ${total}`);
    return total;
  }

  /** Checks a whole frame's checksum, decodes it and hands it on. */
  #emit(frame: Uint8Array): void {
    const offset = this.#offset;
    const total = frame.length;
    const sent = u32(frame, total - 4);
    const computed = crc32(frame, 0, total - 4);
    if (sent !== computed) {
      throw invalid(offset, `the message checksum does not match (the frame says ${hex(sent)}, its bytes give ${hex(computed)})`);
    }
    const headersEnd = PRELUDE + u32(frame, 4);
    const headers = headersOf(frame, headersEnd, offset);
    this.#offset = offset + total;
    this.#onFrame({ headers, payload: frame.subarray(headersEnd, total - 4), offset });
  }
}

/** Header blocks up to this many bytes are remembered. */
const SHORT_BLOCK = 256;
/** Header blocks read before, by a hash of their bytes: each slot holds one block and its headers. */
const BLOCKS: ({ bytes: Uint8Array; headers: ReadonlyMap<string, EventStreamHeaderValue> } | undefined)[] = new Array<undefined>(64);

/**
 * The headers of a checked frame. A stream repeats a few header blocks byte for byte (an event's
 * three headers differ only by its type), so a block seen before gives the headers read then;
 * only blocks of strings, numbers and booleans are kept, so nothing shared can be changed.
 */
function headersOf(frame: Uint8Array, end: number, offset: number): ReadonlyMap<string, EventStreamHeaderValue> {
  const length = end - PRELUDE;
  if (length > SHORT_BLOCK) return readHeaders(frame, end, offset);
  // Most often the block of the frame before (a run of deltas), which needs no hash.
  const last = BLOCKS[lastSlot];
  if (last !== undefined && sameBytes(last.bytes, frame, PRELUDE, length)) return last.headers;
  let hash = length;
  for (let i = PRELUDE; i < end; i++) hash = (hash * 31 + frame[i]!) | 0;
  const slot = hash & 63;
  lastSlot = slot;
  const entry = BLOCKS[slot];
  if (entry !== undefined && sameBytes(entry.bytes, frame, PRELUDE, length)) return entry.headers;
  const headers = readHeaders(frame, end, offset);
  for (const value of headers.values()) if (typeof value === "object") return headers;
  BLOCKS[slot] = { bytes: frame.slice(PRELUDE, end), headers };
  return headers;
}

/** The slot of the header block read last. */
let lastSlot = 0;

/** Whether `bytes` equals `frame[start, start + length)`. */
function sameBytes(bytes: Uint8Array, frame: Uint8Array, start: number, length: number): boolean {
  if (bytes.length !== length) return false;
  for (let i = 0; i < length; i++) if (bytes[i] !== frame[start + i]) return false;
  return true;
}

/** The headers of a checked frame, between the prelude and `end`. */
function readHeaders(frame: Uint8Array, end: number, offset: number): Map<string, EventStreamHeaderValue> {
  const headers = new Map<string, EventStreamHeaderValue>();
  // Only the numeric header types need a view; the usual three headers are strings.
  let numbers: DataView | undefined;
  const view = (): DataView => (numbers ??= new DataView(frame.buffer, frame.byteOffset, frame.byteLength));
  let at = PRELUDE;
  while (at < end) {
    need(at, 1, end, offset, "a header name length");
    const nameLength = frame[at]!;
    at += 1;
    need(at, nameLength + 1, end, offset, "a header name and type");
    const name = text(frame, at, at + nameLength, offset);
    at += nameLength;
    const type = frame[at]!;
    const typeAt = at;
    at += 1;
    let value: EventStreamHeaderValue;
    switch (type) {
      case 0:
      case 1:
        value = type === 0;
        break;
      case 2:
        need(at, 1, end, offset, "the byte header", name);
        value = view().getInt8(at);
        at += 1;
        break;
      case 3:
        need(at, 2, end, offset, "the short header", name);
        value = view().getInt16(at);
        at += 2;
        break;
      case 4:
        need(at, 4, end, offset, "the integer header", name);
        value = view().getInt32(at);
        at += 4;
        break;
      case 5:
      case 8: {
        need(at, 8, end, offset, type === 5 ? "the long header" : "the timestamp header", name);
        const long = view().getBigInt64(at);
        value = type === 5 ? long : new Date(Number(long));
        at += 8;
        break;
      }
      case 6:
      case 7: {
        need(at, 2, end, offset, "the length of the header", name);
        const length = (frame[at]! << 8) | frame[at + 1]!;
        at += 2;
        need(at, length, end, offset, "the value of the header", name);
        value = type === 6 ? frame.slice(at, at + length) : text(frame, at, at + length, offset);
        at += length;
        break;
      }
      case 9:
        need(at, 16, end, offset, "the UUID header", name);
        value = uuid(frame, at);
        at += 16;
        break;
      default:
        throw invalid(offset, `the header ${JSON.stringify(name)} has type ${type} (byte ${typeAt} of the frame), which is none of the format's types 0 to 9`);
    }
    if (headers.has(name)) throw invalid(offset, `the header ${JSON.stringify(name)} appears twice`);
    headers.set(name, value);
  }
  return headers;
}

/** Checks that `n` bytes from `at` are within the headers, which end at `end`; `what` (and `name`) say which bytes. */
/** The big-endian unsigned 32-bit integer at `at`. */
function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function need(at: number, n: number, end: number, offset: number, what: string, name?: string): void {
  if (at + n <= end) return;
  const which = name === undefined ? what : `${what} ${JSON.stringify(name)}`;
  throw invalid(offset, `${which} at byte ${at} of the frame runs past the end of its headers (byte ${end})`);
}

/** Header strings up to this many bytes are interned. */
const SHORT = 32;
/** Interned header strings by a hash of their bytes: each slot holds one string and its bytes. */
const INTERNED: ({ bytes: Uint8Array; text: string } | undefined)[] = new Array<undefined>(256);

/**
 * A short ASCII header string, from the intern table when the same bytes came before (the three
 * headers of every frame repeat a handful of names and values), or `undefined` for other bytes.
 */
function interned(frame: Uint8Array, start: number, end: number): string | undefined {
  let hash = end - start;
  for (let i = start; i < end; i++) {
    const c = frame[i]!;
    if (c >= 0x80) return undefined;
    hash = (hash * 31 + c) | 0;
  }
  const slot = hash & 0xff;
  const entry = INTERNED[slot];
  if (entry !== undefined && entry.bytes.length === end - start) {
    let same = true;
    for (let i = 0; i < entry.bytes.length && same; i++) same = entry.bytes[i] === frame[start + i];
    if (same) return entry.text;
  }
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(frame[i]!);
  INTERNED[slot] = { bytes: frame.slice(start, end), text };
  return text;
}

/**
 * A header name or string value. They are short and ASCII (`:event-type`, `contentBlockDelta`), and
 * three come with every frame: those are read without a `TextDecoder` call, which costs more than
 * the string.
 */
function text(frame: Uint8Array, start: number, end: number, offset: number): string {
  if (end - start <= SHORT) {
    const known = interned(frame, start, end);
    if (known !== undefined) return known;
  }
  try {
    return utf8.decode(frame.subarray(start, end));
  } catch (cause) {
    throw coded(new TypeError(`Invalid event stream frame at byte offset ${offset}: a header name or string at byte ${start} of the frame is not UTF-8`, { cause }), "bad_input");
  }
}

function uuid(frame: Uint8Array, at: number): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += frame[at + i]!.toString(16).padStart(2, "0");
  }
  return s;
}
