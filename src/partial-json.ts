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

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const LITERALS: Record<string, { text: string; value: boolean | null }> = {
  t: { text: "true", value: true },
  f: { text: "false", value: false },
  n: { text: "null", value: null },
};

/** An open object or array, and where its value goes in its parent. */
interface Frame {
  readonly container: Record<string, JSONValue> | JSONValue[];
  /** The key of the member being read (objects). */
  key: string;
}

/** JSON text in slices, parsed once; see the module's doc comment. */
export class PartialJSON {
  #state = VALUE;
  #root: JSONValue | undefined = undefined;
  readonly #stack: Frame[] = [];
  /** The string, number or literal being read, as far as it has arrived. */
  #token = "";
  /** The string being read is a key. */
  #isKey = false;
  /** The escape's hex digits so far. */
  #hex = "";
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
    return this.#state === AFTER && this.#stack.length === 0;
  }

  /** Reads the next slice; returns the value so far (`write` and then `value`). Throws a `SyntaxError` on text that is not JSON. */
  push(slice: string): JSONValue | undefined {
    this.write(slice);
    return this.value;
  }

  /** Reads the next slice, without making the value so far. Throws a `SyntaxError` on text that is not JSON. */
  write(slice: string): void {
    if (this.#state === FAILED) throw this.#fail("the text was already not JSON", this.#position);
    const n = slice.length;
    let i = 0;
    while (i < n) {
      const state = this.#state;
      if (state === STRING) {
        // The run up to the next quote, backslash or control character, in one piece.
        const start = i;
        let c = slice.charCodeAt(i);
        while (c !== 0x22 && c !== 0x5c && c >= 0x20) {
          if (++i === n) break;
          c = slice.charCodeAt(i);
        }
        if (i > start) this.#token += slice.slice(start, i);
        if (i === n) break;
        if (c === 0x22) this.#endString();
        else if (c === 0x5c) this.#state = ESCAPE;
        else throw this.#fail("a control character in a string", this.#position + i);
        i++;
        continue;
      }
      const c = slice.charCodeAt(i);
      switch (state) {
        case NUMBER:
          // digits . e E + -
          if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) {
            const start = i;
            while (++i < n && isNumberCode(slice.charCodeAt(i)));
            this.#token += slice.slice(start, i);
            continue;
          }
          this.#endNumber(this.#position + i);
          continue; // the character ends the number: read it again in the state after
        case ESCAPE: {
          if (c === 0x75) {
            this.#hex = "";
            this.#state = UNICODE;
          } else {
            const escaped = ESCAPES[slice[i]!];
            if (escaped === undefined) throw this.#fail(`a bad escape \\${slice[i]}`, this.#position + i);
            this.#token += escaped;
            this.#state = STRING;
          }
          break;
        }
        case UNICODE: {
          if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) {
            throw this.#fail(`a bad \\u escape digit ${JSON.stringify(slice[i])}`, this.#position + i);
          }
          this.#hex += slice[i];
          if (this.#hex.length === 4) {
            this.#token += String.fromCharCode(parseInt(this.#hex, 16));
            this.#state = STRING;
          }
          break;
        }
        case LITERAL: {
          if (c !== this.#literal.text.charCodeAt(this.#literalAt)) throw this.#fail(`${JSON.stringify(slice[i])} in ${this.#literal.text}`, this.#position + i);
          if (++this.#literalAt === this.#literal.text.length) this.#state = AFTER;
          break;
        }
        default:
          // space, newline, carriage return, tab
          if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) this.#structural(slice[i]!, this.#position + i);
      }
      i++;
    }
    this.#position += n;
  }

  /**
   * The text has ended: returns the whole value, or throws a `SyntaxError` if the text stopped
   * before the value did (the value so far stays readable).
   */
  end(): JSONValue | undefined {
    if (this.#state === NUMBER && this.#stack.length === 0) this.#endNumber(this.#position);
    if (!this.complete) throw this.#fail("the text ended before the value did", this.#position);
    return this.#root;
  }

  /** A character outside strings, numbers and literals. */
  #structural(ch: string, at: number): void {
    switch (this.#state) {
      case KEY_OR_END:
      case KEY:
        if (ch === '"') {
          this.#token = "";
          this.#isKey = true;
          this.#state = STRING;
        } else if (ch === "}" && this.#state === KEY_OR_END) this.#close(at);
        else throw this.#fail(`${JSON.stringify(ch)} where a key was expected`, at);
        return;
      case COLON:
        if (ch !== ":") throw this.#fail(`${JSON.stringify(ch)} where ":" was expected`, at);
        this.#state = VALUE;
        return;
      case AFTER: {
        const top = this.#stack[this.#stack.length - 1];
        if (top === undefined) throw this.#fail(`${JSON.stringify(ch)} after the end of the value`, at);
        const isArray = Array.isArray(top.container);
        if (ch === ",") this.#state = isArray ? VALUE : KEY;
        else if (ch === (isArray ? "]" : "}")) this.#close(at);
        else throw this.#fail(`${JSON.stringify(ch)} where "," or "${isArray ? "]" : "}"}" was expected`, at);
        return;
      }
      case FIRST_OR_END:
        if (ch === "]") return this.#close(at);
        return this.#begin(ch, at);
      default:
        return this.#begin(ch, at);
    }
  }

  /** The first character of a value. */
  #begin(ch: string, at: number): void {
    this.#placed = false;
    if (ch === "{" || ch === "[") {
      const container: Record<string, JSONValue> | JSONValue[] = ch === "{" ? {} : [];
      this.#place(container);
      this.#stack.push({ container, key: "" });
      this.#state = ch === "{" ? KEY_OR_END : FIRST_OR_END;
    } else if (ch === '"') {
      // Placed at its end, or when the value is read before that (see #flush): once, not twice.
      this.#token = "";
      this.#isKey = false;
      this.#state = STRING;
    } else if (ch === "-" || (ch >= "0" && ch <= "9")) {
      this.#token = ch;
      this.#state = NUMBER;
    } else {
      const literal = LITERALS[ch];
      if (literal === undefined) throw this.#fail(`${JSON.stringify(ch)} where a value was expected`, at);
      this.#literal = literal;
      this.#literalAt = 1;
      this.#place(literal.value);
      this.#state = LITERAL;
    }
  }

  #endString(): void {
    if (this.#isKey) {
      this.#stack[this.#stack.length - 1]!.key = this.#token;
      this.#state = COLON;
    } else {
      this.#place(this.#token);
      this.#state = AFTER;
    }
    this.#token = "";
  }

  #endNumber(at: number): void {
    if (!JSON_NUMBER.test(this.#token)) throw this.#fail(`a bad number ${this.#token}`, at - this.#token.length);
    this.#place(Number(this.#token));
    this.#token = "";
    this.#state = AFTER;
  }

  #close(at: number): void {
    if (this.#stack.pop() === undefined) throw this.#fail("a close without an open", at);
    this.#state = AFTER;
  }

  /** Puts the value being read where it goes: the root, the open object's key, or the open array's end. */
  #place(value: JSONValue): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) this.#root = value;
    else if (Array.isArray(top.container)) {
      if (this.#placed) top.container[top.container.length - 1] = value;
      else top.container.push(value);
    } else setField(top.container, top.key, value);
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
      const digits = token.slice(0, end);
      if (digits !== "" && JSON_NUMBER.test(digits)) this.#place(Number(digits));
    }
  }

  #fail(what: string, at: number): SyntaxError {
    // The value keeps what was read before the text stopped being JSON.
    this.#flush();
    this.#state = FAILED;
    return coded(new SyntaxError(`Invalid JSON at position ${at}: ${what}`), "bad_input");
  }
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** `.`, `e`, `E`, `+`, `-`: what a cut number may end with before its next digit. */
function isNumberTail(c: number): boolean {
  return c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** Digits, `.`, `e`, `E`, `+`, `-`: what a number is made of (its form is checked at its end). */
function isNumberCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}
