/**
 * A reader for the OpenAI Chat Completions chunk that makes up nearly all of a stream: one choice
 * whose delta holds a piece of text or reasoning, beside the id, model and fields nobody reads.
 * Such a chunk is recognised by scanning its text once, without `JSON.parse`; anything else (other
 * whitespace, an escaped key, an object or array where the hot shape has none, a repeated field
 * the converter reads, a field the converter needs whole) is left to `JSON.parse`.
 *
 * What it returns is what `JSON.parse` would give, cut down to the fields the OpenAI Chat
 * converter reads (fields it ignores are checked for JSON validity and dropped), so the converter
 * cannot tell the two apart.
 *
 * @module
 */
import type { RawEvent } from "../protocol.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
/** The longest piece shared through the table: V8 copies a slice this short (its views start at 13 characters). */
const SHORT = 12;
/** Short pieces read lately, by a hash of their characters: tokens recur, within a stream and across streams. */
const PIECES: (string | undefined)[] = new Array<string | undefined>(4096).fill(undefined);

/** The piece of `s` at `from`, of `length` characters whose hash is `hash`: the table's copy when it has one. */
function shortString(s: string, from: number, length: number, hash: number): string {
  const slot = hash & 4095;
  const known = PIECES[slot];
  if (known !== undefined && known.length === length) {
    let i = 0;
    while (i < length && known.charCodeAt(i) === s.charCodeAt(from + i)) i++;
    if (i === length) return known;
  }
  return (PIECES[slot] = s.slice(from, from + length));
}

/** Top-level fields the converter reads, by bit; a repeat of one is left to `JSON.parse` (it keeps the last). */
const TOP: Record<string, number> = { id: 1, model: 2, system_fingerprint: 4, service_tier: 8, choices: 16, usage: 32 };
/** Fields that make a chunk something other than the hot one. */
const COLD = new Set(["error", "prompt_filter_results", "moderation", "x_groq"]);
const CHOICE: Record<string, number> = { index: 1, delta: 2, finish_reason: 4 };
const DELTA: Record<string, number> = { content: 1, reasoning_content: 2, reasoning: 4, refusal: 8 };

/**
 * One scan over a chunk's text. `value` is the last scalar read (a string, a number or null);
 * every method returns the position after what it read, or -1 when the text is not of the shape.
 */
class Scan {
  value: string | number | null = null;
  constructor(public s: string) {}

  /** A string literal at `at`: its value, with escapes taken by `JSON.parse` of the literal alone. */
  string(at: number): number {
    const s = this.s;
    if (s.charCodeAt(at) !== QUOTE) return -1;
    let escaped = false;
    let hash = 0;
    let i = at + 1;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) break;
      if (c !== c || c < 0x20) return -1; // the end of the text, or a control character JSON refuses
      hash = (hash * 31 + c) | 0;
      if (c === BACKSLASH) {
        escaped = true;
        i += 2;
      } else i++;
    }
    // A short piece is taken from the table when the same characters were read before, as JSON.parse
    // shares its short strings (V8 interns them); otherwise sliced (a copy, at this length). A longer
    // slice may be a view that keeps the whole network chunk alive as long as the piece is kept, so
    // it is made by JSON.parse of the literal, as the escapes are.
    const length = i - at - 1;
    if (!escaped && length <= SHORT) this.value = shortString(s, at + 1, length, hash);
    else {
      try {
        this.value = JSON.parse(s.slice(at, i + 1)) as string;
      } catch {
        return -1;
      }
    }
    return i + 1;
  }

  /** A key without escapes, and its colon. */
  key(at: number): number {
    const s = this.s;
    if (s.charCodeAt(at) !== QUOTE) return -1;
    const end = s.indexOf('"', at + 1);
    if (end === -1 || s.charCodeAt(end + 1) !== COLON) return -1;
    for (let i = at + 1; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c === BACKSLASH || c < 0x20) return -1;
    }
    this.value = s.slice(at + 1, end);
    return end + 2;
  }

  /** A string, `null` or an integer. */
  scalar(at: number): number {
    const s = this.s;
    const c = s.charCodeAt(at);
    if (c === QUOTE) return this.string(at);
    if (c === 0x6e /* n */) {
      if (!s.startsWith("null", at)) return -1;
      this.value = null;
      return at + 4;
    }
    let i = c === MINUS ? at + 1 : at;
    const first = s.charCodeAt(i);
    if (first === ZERO) i++;
    else if (first > ZERO && first <= NINE) {
      i++;
      for (let d = s.charCodeAt(i); d >= ZERO && d <= NINE; d = s.charCodeAt(++i));
    } else return -1;
    this.value = Number(s.slice(at, i));
    return i;
  }

  /** A string or `null`. */
  stringOrNull(at: number): number {
    const end = this.scalar(at);
    return end !== -1 && typeof this.value === "number" ? -1 : end;
  }

  /**
   * An object's members from after its `{` to after its `}`, each handed to `member(key, at)`,
   * which returns the position after the value. Keys in `once` may come only once.
   */
  members(at: number, once: Record<string, number>, member: (key: string, at: number) => number): number {
    const s = this.s;
    if (s.charCodeAt(at) === CLOSE) return at + 1;
    let seen = 0;
    for (;;) {
      at = this.key(at);
      if (at === -1) return -1;
      const key = this.value as string;
      const bit = Object.hasOwn(once, key) ? once[key]! : 0;
      if ((seen & bit) !== 0) return -1;
      seen |= bit;
      at = member(key, at);
      if (at === -1) return -1;
      const c = s.charCodeAt(at);
      if (c === CLOSE) return at + 1;
      if (c !== COMMA) return -1;
      at++;
    }
  }
}

/**
 * The chunk `data` as `JSON.parse` would give it, with only the fields the OpenAI Chat converter
 * reads, when it is a hot chunk; otherwise `undefined` (parse it in full).
 *
 * @internal
 */
export function hotChatChunk(data: string, frame: Frame = new Frame()): RawEvent | undefined {
  if (data.charCodeAt(0) !== OPEN || data.charCodeAt(data.length - 1) !== CLOSE) return undefined;
  const scan = new Scan(data);
  const chunk: RawEvent = {};
  let choices = false;
  const choice: RawEvent = {};
  const delta: RawEvent = {};
  const deltaMember = (key: string, at: number): number => {
    const end = scan.stringOrNull(at);
    if (end === -1) return -1;
    if (Object.hasOwn(DELTA, key)) {
      delta[key] = scan.value;
      if (typeof scan.value === "string" && key !== "refusal") {
        frame.pieces++;
        frame.key = key;
        frame.start = at;
        frame.end = end;
      }
    }
    return end; // the rest (role, a channel, a null tool_calls) has no effect unless it is a list
  };
  const choiceMember = (key: string, at: number): number => {
    if (key === "delta") {
      if (data.charCodeAt(at) !== OPEN) return -1;
      choice["delta"] = delta;
      return scan.members(at + 1, DELTA, deltaMember);
    }
    const end = key === "finish_reason" ? scan.stringOrNull(at) : scan.scalar(at);
    if (end !== -1 && (key === "index" || key === "finish_reason")) choice[key] = scan.value;
    return end;
  };
  const topMember = (key: string, at: number): number => {
    if (key === "choices") {
      if (data.charCodeAt(at) !== OPEN_LIST || data.charCodeAt(at + 1) !== OPEN) return -1;
      const end = scan.members(at + 2, CHOICE, choiceMember);
      if (end === -1 || data.charCodeAt(end) !== CLOSE_LIST) return -1;
      choices = true;
      chunk["choices"] = [choice];
      return end + 1;
    }
    if (COLD.has(key)) return -1;
    if (key === "usage") {
      // Only a null usage is hot; an object is the usage chunk.
      return data.startsWith("null", at) ? at + 4 : -1;
    }
    const end = key === "id" || key === "model" || key === "system_fingerprint" || key === "service_tier" ? scan.stringOrNull(at) : scan.scalar(at);
    if (end !== -1 && Object.hasOwn(TOP, key)) chunk[key] = scan.value;
    return end;
  };
  const end = scan.members(1, TOP, topMember);
  if (end !== data.length || !choices) return undefined;
  frame.chunk = chunk;
  frame.delta = delta;
  return chunk;
}

/** Where a hot chunk's piece of text is: the one string among the delta's text and reasoning fields. */
class Frame {
  pieces = 0;
  key = "";
  start = 0;
  end = 0;
  chunk: RawEvent | undefined = undefined;
  delta: RawEvent | undefined = undefined;
}

/**
 * The full scans a stream starts with. A stream whose chunks differ elsewhere too (OpenAI's
 * `obfuscation`) would otherwise pay a scan per chunk; one that reads most chunks from its frame
 * earns them back.
 */
const LEARNING = 8;

/**
 * The hot chunks of one stream. A stream's hot chunks differ only in their piece of text: once one
 * was scanned, a chunk whose text before and after that piece is the same, character for
 * character, and whose piece is one string literal, is the same chunk with another piece (the
 * literal is one JSON token; the text around it is lexed and parsed as before). Such a chunk costs
 * a comparison and a scan of its piece. Others are scanned in full a few times, then left to
 * `JSON.parse`: a provider whose chunks all differ elsewhere (OpenAI's `obfuscation`) gains nothing.
 *
 * The value returned is reused for the next chunk: it is read, not kept.
 *
 * @internal
 */
export class HotChatChunks {
  #prefix = "";
  #suffix = "";
  #key = "";
  #chunk: RawEvent | undefined = undefined;
  #delta: RawEvent = {};
  /** Full scans left: each costs one, each chunk read from the frame gives a quarter back (up to LEARNING). */
  #credit = LEARNING;
  readonly #scan = new Scan("");

  read(data: string): RawEvent | undefined {
    // Out of scans: this stream's chunks differ in more than their piece, and all go to JSON.parse.
    if (this.#credit < 1) return undefined;
    const chunk = this.#chunk;
    if (chunk !== undefined && data.startsWith(this.#prefix)) {
      const scan = this.#scan;
      scan.s = data;
      const end = scan.string(this.#prefix.length);
      scan.s = ""; // the chunk's text is a view of the network chunk's: not kept past this read
      if (end !== -1 && data.length - end === this.#suffix.length && data.endsWith(this.#suffix)) {
        this.#delta[this.#key] = scan.value;
        if (this.#credit < LEARNING) this.#credit += 0.25;
        return chunk;
      }
    }
    this.#credit--;
    const frame = new Frame();
    const value = hotChatChunk(data, frame);
    if (value !== undefined && frame.pieces === 1) {
      this.#prefix = detached(data.slice(0, frame.start));
      this.#suffix = detached(data.slice(frame.end));
      this.#key = frame.key;
      this.#chunk = value;
      this.#delta = frame.delta!;
    }
    return value;
  }
}

/** A copy that keeps no larger text alive (a slice may be a view of its parent). */
function detached(piece: string): string {
  return JSON.parse(JSON.stringify(piece)) as string;
}
