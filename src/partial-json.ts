/**
 * An incremental parser of JSON text that arrives in slices (tool-call arguments, a structured
 * answer): after each slice, {@link PartialJSON.value} is the value of the text so far.
 *
 * Each character is read once and the value is built in place, so the whole costs time linear in
 * the text however it is sliced (re-parsing the prefix on every slice is quadratic). The value is
 * the one the text so far will at least have:
 *
 * - an open string holds what has arrived (a cut escape such as `\u00` waits for the rest);
 * - a cut number holds its digits so far, its trailing `.`, `e`, `+` or `-` left off (`-` alone is
 *   no value yet); a cut `true`, `false` or `null` is that literal;
 * - an object holds the members whose value has begun (a key alone is not a member yet); an array
 *   holds the elements that have begun; open objects and arrays are closed;
 * - before the value begins, the value is `undefined`.
 *
 * The value is one object updated in place as slices arrive, not a copy per slice: copy it
 * (`structuredClone`) to keep how it was at some point. Text that is not JSON fails with a
 * `SyntaxError` naming its position, and the parser stays failed.
 *
 * @module
 */
import { coded } from "./errors.ts";
import { setField } from "./protocol.ts";

/** A JSON value as parsed. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

// What the next character may be.
const VALUE = 0; // a value (after `[`, `,` or `:`, or at the top)
const FIRST_OR_END = 1; // a value or `]` (right after `[`)
const KEY_OR_END = 2; // a key or `}` (right after `{`)
const KEY = 3; // a key (after `,` in an object)
const COLON = 4;
const AFTER = 5; // `,`, `]` or `}` after a member or element, or the end of the text at the top
const STRING = 6;
const ESCAPE = 7; // after `\` in a string
const UNICODE = 8; // in the four hex digits of `\u`
const NUMBER = 9;
const LITERAL = 10;
const FAILED = 11;

const LITERALS: Record<string, { text: string; value: boolean | null }> = {
  t: { text: "true", value: true },
  f: { text: "false", value: false },
  n: { text: "null", value: null },
};

/**
 * An open object or array, and where its value goes in its parent. There is one frame per depth,
 * used again by each container opened at that depth.
 */
interface Frame {
  container: Record<string, JSONValue> | JSONValue[];
  isArray: boolean;
  /** The key of the member being read (objects). */
  key: string;
  /** How many keys have been read (objects). */
  keys: number;
  /** The keys of the last object at this depth, in order: the guess for this one's (objects). */
  readonly guesses: string[];
}

/** JSON text in slices, parsed once; see the module's doc comment. */
export class PartialJSON {
  #state = VALUE;
  #root: JSONValue | undefined = undefined;
  /** The frames by depth (see Frame); those below #depth are open. */
  readonly #frames: Frame[] = [];
  #depth = 0;
  /** The innermost open object or array (the frame at #depth - 1). */
  #top: Frame | undefined = undefined;
  /** The string, number or literal being read, as far as it has arrived. */
  #token = "";
  /** The string being read is a key. */
  #isKey = false;
  /** The value of the escape's hex digits so far, and how many have arrived. */
  #hex = 0;
  #hexDigits = 0;
  /** The literal being read and how many of its characters have arrived. */
  #literal = LITERALS["n"]!;
  #literalAt = 0;
  /** Characters read, for error positions. */
  #position = 0;
  /** The current scalar has been placed (a number is placed once it has a digit). */
  #placed = false;

  /**
   * The value of the text so far, or `undefined` before it begins. A string or number cut by the
   * last slice is placed when the value is read, so slices nobody looks at in between cost nothing.
   */
  get value(): JSONValue | undefined {
    this.#flush();
    return this.#root;
  }

  /** Whether the text so far is one whole JSON value (only whitespace may follow). */
  get complete(): boolean {
    return this.#state === AFTER && this.#top === undefined;
  }

  /** Reads the next slice; returns the value so far (`write` and then `value`). Throws a `SyntaxError` on text that is not JSON. */
  push(slice: string): JSONValue | undefined {
    this.write(slice);
    return this.value;
  }

  /** Reads the next slice, without making the value so far. Throws a `SyntaxError` on text that is not JSON. */
  write(slice: string): void {
    // The state and the token are kept in locals through the loop and stored back at its end, or
    // before a method that reads them (#fail, #structural) is called.
    let state = this.#state;
    if (state === FAILED) throw this.#fail("the text was already not JSON", this.#position);
    let token = this.#token;
    const n = slice.length;
    let i = 0;
    while (i < n) {
      let c = slice.charCodeAt(i);
      if (state === STRING) {
        // The run up to the next quote, backslash or control character, in one piece.
        const start = i;
        while (c !== 0x22 && c !== 0x5c && c >= 0x20) {
          if (++i === n) break;
          c = slice.charCodeAt(i);
        }
        if (i > start) token += slice.slice(start, i);
        if (i === n) break;
        if (c === 0x22) {
          if (this.#isKey) {
            this.#key(token);
            state = COLON;
          } else {
            this.#place(token);
            state = AFTER;
          }
          token = "";
        } else if (c === 0x5c) state = ESCAPE;
        else {
          this.#state = state;
          this.#token = token;
          throw this.#fail("a control character in a string", this.#position + i);
        }
        i++;
        continue;
      }
      if (state === NUMBER) {
        if (isNumberCode(c)) {
          const start = i;
          while (++i < n && isNumberCode(slice.charCodeAt(i)));
          token += slice.slice(start, i);
          continue;
        }
        // The character ends the number: it is read again in the state after.
        const value = numberValue(token);
        if (value === undefined) {
          this.#state = state;
          this.#token = token;
          throw this.#fail(`a bad number ${token}`, this.#position + i - token.length);
        }
        this.#place(value);
        token = "";
        state = AFTER;
        continue;
      }
      // Whitespace between tokens: space, newline, carriage return, tab.
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        if (state <= AFTER) {
          i++;
          continue;
        }
      }
      switch (state) {
        case COLON:
          if (c !== 0x3a) {
            this.#state = state;
            throw this.#fail(`${JSON.stringify(slice[i])} where ":" was expected`, this.#position + i);
          }
          state = VALUE;
          break;
        case AFTER: {
          const top = this.#top;
          if (top !== undefined && c === 0x2c) state = top.isArray ? VALUE : KEY;
          else if (top !== undefined && c === (top.isArray ? 0x5d : 0x7d)) state = this.#close();
          else {
            this.#state = state;
            state = this.#structural(slice[i]!, this.#position + i);
          }
          break;
        }
        case VALUE:
        case FIRST_OR_END:
          if (c === 0x22) {
            // Placed at its end, or when the value is read before that (see #flush): once, not twice.
            this.#placed = false;
            this.#isKey = false;
            token = "";
            state = STRING;
          } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
            // Read again as the number's first character, so that a number within one slice is
            // one piece of it (no concatenation).
            this.#placed = false;
            token = "";
            state = NUMBER;
            continue;
          } else if (c === 0x7b || c === 0x5b) state = this.#open(c === 0x5b);
          else {
            this.#state = state;
            state = this.#structural(slice[i]!, this.#position + i);
          }
          break;
        case KEY_OR_END:
        case KEY:
          if (c === 0x22) {
            this.#isKey = true;
            token = "";
            state = STRING;
          } else {
            this.#state = state;
            state = this.#structural(slice[i]!, this.#position + i);
          }
          break;
        case ESCAPE: {
          if (c === 0x75) {
            this.#hex = 0;
            this.#hexDigits = 0;
            state = UNICODE;
          } else {
            const escaped = escapeOf(c);
            if (escaped === undefined) {
              this.#state = state;
              this.#token = token;
              throw this.#fail(`a bad escape \\${slice[i]}`, this.#position + i);
            }
            token += escaped;
            state = STRING;
          }
          break;
        }
        case UNICODE: {
          const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
          if (digit < 0) {
            this.#state = state;
            this.#token = token;
            throw this.#fail(`a bad \\u escape digit ${JSON.stringify(slice[i])}`, this.#position + i);
          }
          this.#hex = this.#hex * 16 + digit;
          if (++this.#hexDigits === 4) {
            token += String.fromCharCode(this.#hex);
            state = STRING;
          }
          break;
        }
        default: {
          // LITERAL
          const text = this.#literal.text;
          if (c !== text.charCodeAt(this.#literalAt)) {
            this.#state = state;
            throw this.#fail(`${JSON.stringify(slice[i])} in ${text}`, this.#position + i);
          }
          if (++this.#literalAt === text.length) state = AFTER;
        }
      }
      i++;
    }
    this.#state = state;
    this.#token = token;
    this.#position += n;
  }

  /**
   * The text has ended: returns the whole value, or throws a `SyntaxError` if the text stopped
   * before the value did (the value so far stays readable).
   */
  end(): JSONValue | undefined {
    if (this.#state === NUMBER && this.#top === undefined) {
      const value = numberValue(this.#token);
      if (value === undefined) throw this.#fail(`a bad number ${this.#token}`, this.#position - this.#token.length);
      this.#place(value);
      this.#token = "";
      this.#state = AFTER;
    }
    if (!this.complete) throw this.#fail("the text ended before the value did", this.#position);
    return this.#root;
  }

  /** The less common characters outside strings and numbers (a `}` right after `{`, `]` right after `[`, a literal's first, and those that are not JSON); returns the state after. */
  #structural(ch: string, at: number): number {
    switch (this.#state) {
      case KEY_OR_END:
        if (ch === "}") return this.#close();
        throw this.#fail(`${JSON.stringify(ch)} where a key was expected`, at);
      case KEY:
        throw this.#fail(`${JSON.stringify(ch)} where a key was expected`, at);
      case AFTER: {
        const top = this.#top;
        if (top === undefined) throw this.#fail(`${JSON.stringify(ch)} after the end of the value`, at);
        throw this.#fail(`${JSON.stringify(ch)} where "," or "${top.isArray ? "]" : "}"}" was expected`, at);
      }
      case FIRST_OR_END:
        if (ch === "]") return this.#close();
        return this.#begin(ch, at);
      default:
        return this.#begin(ch, at);
    }
  }

  /** A `{` or `[` where a value begins; returns the state after. */
  #open(isArray: boolean): number {
    this.#placed = false;
    const container: Record<string, JSONValue> | JSONValue[] = isArray ? [] : {};
    this.#place(container);
    let frame = this.#frames[this.#depth];
    if (frame === undefined) {
      frame = { container, isArray, key: "", keys: 0, guesses: [] };
      this.#frames.push(frame);
    } else {
      frame.container = container;
      frame.isArray = isArray;
      frame.key = "";
      frame.keys = 0;
    }
    this.#depth++;
    this.#top = frame;
    return isArray ? FIRST_OR_END : KEY_OR_END;
  }

  /** The first character of a literal where a value begins; returns the state after. */
  #begin(ch: string, at: number): number {
    this.#placed = false;
    const literal = LITERALS[ch];
    if (literal === undefined) throw this.#fail(`${JSON.stringify(ch)} where a value was expected`, at);
    this.#literal = literal;
    this.#literalAt = 1;
    this.#place(literal.value);
    return LITERAL;
  }

  /**
   * A key has been read. Objects at one depth tend to have the same keys in the same order (rows of
   * a table): a key equal to the one at its place in the last object there is given as that
   * string, which has been a property name already, so that storing the member does not look the
   * new string up among the property names again.
   */
  #key(key: string): void {
    const frame = this.#top!;
    const at = frame.keys++;
    const guess = frame.guesses[at];
    if (guess === key) frame.key = guess;
    else {
      if (at < LAST_KEYS) frame.guesses[at] = key;
      frame.key = key;
    }
  }

  #close(): number {
    const depth = --this.#depth;
    this.#top = depth === 0 ? undefined : this.#frames[depth - 1];
    return AFTER;
  }

  /** Puts the value being read where it goes: the root, the open object's key, or the open array's end. */
  #place(value: JSONValue): void {
    const top = this.#top;
    if (top === undefined) this.#root = value;
    else if (top.isArray) {
      const array = top.container as JSONValue[];
      if (this.#placed) array[array.length - 1] = value;
      else array.push(value);
    } else setField(top.container as Record<string, JSONValue>, top.key, value);
    this.#placed = true;
  }

  /** At the end of a slice: the string or number being read, as far as it has arrived. */
  #flush(): void {
    if ((this.#state === STRING || this.#state === ESCAPE || this.#state === UNICODE) && !this.#isKey) this.#place(this.#token);
    else if (this.#state === NUMBER) {
      // The token less its trailing `.`, `e`, `E`, `+`, `-` (a loop: a RegExp anchored at the end backtracks).
      const token = this.#token;
      let end = token.length;
      while (end > 0 && isNumberTail(token.charCodeAt(end - 1))) end--;
      const value = end === 0 ? undefined : numberValue(token.slice(0, end));
      if (value !== undefined) this.#place(value);
    }
  }

  #fail(what: string, at: number): SyntaxError {
    // The value keeps what was read before the text stopped being JSON.
    this.#flush();
    this.#state = FAILED;
    return coded(new SyntaxError(`Invalid JSON at position ${at}: ${what}`), "bad_input");
  }
}

/** What the character after a backslash stands for (other than `u`), or `undefined` if it is not an escape. */
function escapeOf(c: number): string | undefined {
  switch (c) {
    case 0x22:
      return '"';
    case 0x5c:
      return "\\";
    case 0x2f:
      return "/";
    case 0x62:
      return "\b";
    case 0x66:
      return "\f";
    case 0x6e:
      return "\n";
    case 0x72:
      return "\r";
    case 0x74:
      return "\t";
    default:
      return undefined;
  }
}

/** How many keys of an object at each depth are kept as guesses for the next one there. */
const LAST_KEYS = 64;

/**
 * The value of a number's text, or `undefined` if it is not a JSON number
 * (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
 *
 * Its digits are summed as they are checked. A sum below 2^53 is exact, and so is a power of ten
 * up to 1e22, so one multiplication or division of the one by the other is correctly rounded: the
 * value `Number` gives. Other numbers go to `Number`.
 */
function numberValue(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  const negative = c === 0x2d;
  if (negative) c = text.charCodeAt(++i);
  let sum = 0;
  if (c === 0x30) c = text.charCodeAt(++i);
  else if (c >= 0x31 && c <= 0x39) {
    do {
      sum = sum * 10 + (c - 0x30);
      c = text.charCodeAt(++i);
    } while (c >= 0x30 && c <= 0x39);
  } else return undefined;
  let scale = 0; // the power of ten the sum is to be multiplied by
  if (c === 0x2e) {
    const digits = ++i;
    c = text.charCodeAt(i);
    while (c >= 0x30 && c <= 0x39) {
      sum = sum * 10 + (c - 0x30);
      c = text.charCodeAt(++i);
    }
    if (i === digits) return undefined;
    scale = digits - i;
  }
  if (c === 0x65 || c === 0x45) {
    c = text.charCodeAt(++i);
    let sign = 1;
    if (c === 0x2b || c === 0x2d) {
      if (c === 0x2d) sign = -1;
      c = text.charCodeAt(++i);
    }
    const digits = i;
    let exponent = 0;
    while (c >= 0x30 && c <= 0x39) {
      if (exponent < 1e6) exponent = exponent * 10 + (c - 0x30);
      c = text.charCodeAt(++i);
    }
    if (i === digits) return undefined;
    scale += sign * exponent;
  }
  if (i !== n) return undefined;
  // Below 2^53 the sum, and each step of it, is an exact integer; so is 10^k up to 1e22.
  if (!(sum < TWO_TO_53) || scale > 22 || scale < -22) return Number(text);
  const magnitude = scale === 0 ? sum : scale > 0 ? sum * POWERS_OF_TEN[scale]! : sum / POWERS_OF_TEN[-scale]!;
  return negative ? -magnitude : magnitude;
}

const TWO_TO_53 = 9007199254740992;
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** `.`, `e`, `E`, `+`, `-`: what a cut number may end with before its next digit. */
function isNumberTail(c: number): boolean {
  return c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** Digits, `.`, `e`, `E`, `+`, `-`: what a number is made of (its form is checked at its end). */
function isNumberCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}
