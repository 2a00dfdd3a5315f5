/**
 * Limits and timeouts of one stream: how long it waits for its source, and how many events and
 * bytes of content it takes. All are off by default.
 *
 * The hot path pays one field check per event when no limit is set, and a counter comparison when
 * one is: the idle timeout does not reset a timer per event, it samples the hub's event counter
 * from a timer that re-arms itself, and sleeps while the readers hold the source back.
 *
 * @module
 */
import { coded } from "./errors.ts";
import { GROWING } from "./fold/state.ts";

/** Limits and timeouts of a `ChatModelStream`; every one is off unless set. */
export interface LimitOptions {
  /**
   * Fails the stream when its source sends nothing for this long while the stream waits for it
   * (a reader or an await wants an event). Time a slow reader holds the source back does not
   * count. Checked every quarter of it, so it fires between 1 and 1.25 times this after the
   * last event.
   * @default Infinity (off)
   */
  idleTimeoutMs?: number | undefined;
  /**
   * Fails the stream when no token (a text, reasoning or tool-call delta) arrived this long after
   * the stream started (its first read or await).
   * @default Infinity (off)
   */
  firstTokenTimeoutMs?: number | undefined;
  /**
   * Fails the stream when the message has not finished this long after it started (its first read or await).
   * @default Infinity (off)
   */
  totalTimeoutMs?: number | undefined;
  /**
   * Fails the stream, closed, when the source sends more events than this (a finish added by `close()` does not count).
   * @default Infinity (off)
   */
  maxEvents?: number | undefined;
  /**
   * Fails the stream, closed, when the content the source sends exceeds this many bytes: the
   * UTF-8 length of the text, reasoning, tool-call arguments and data carried by block starts,
   * deltas and finishes (a finish that repeats a block's text counts it again).
   * @default Infinity (off)
   */
  maxBytes?: number | undefined;
}

/** @internal What the limits read from the stream they guard. */
export interface Guarded {
  /** How many events arrived: the stream's own counter. */
  events(): number;
  /** Whether the stream waits for its source now. */
  waiting(): boolean;
  /** Whether a token (a text, reasoning or tool-call delta) arrived. */
  tokens(): boolean;
  /** Fails the stream with `error` (it gets `partial` there). */
  timedOut(error: DOMException): void;
}

const QUARTERS = 4;

function check(options: LimitOptions, name: keyof LimitOptions, integer: boolean): number {
  const value = options[name];
  if (value === undefined) return Infinity;
  if (typeof value !== "number" || !(value > 0) || (integer && Number.isFinite(value) && !Number.isInteger(value))) {
    const what = integer ? "a positive integer" : "a positive number";
    throw coded(new RangeError(`${name} must be ${what} (or Infinity: no limit), got ${String(value)}`), "bad_option");
  }
  return value;
}

function timeoutError(message: string): DOMException {
  return coded(new DOMException(`The chat model stream timed out: ${message}`, "TimeoutError"), "timeout");
}

/**
 * The limits of one stream, or `undefined` when none is set. Throws a `RangeError` for an option
 * that is not a positive number.
 *
 * @internal
 */
export function limitsFor(options: LimitOptions): Limits | undefined {
  const idle = check(options, "idleTimeoutMs", false);
  const firstToken = check(options, "firstTokenTimeoutMs", false);
  const total = check(options, "totalTimeoutMs", false);
  const maxEvents = check(options, "maxEvents", true);
  const maxBytes = check(options, "maxBytes", true);
  if ([idle, firstToken, total, maxEvents, maxBytes].every((v) => v === Infinity)) return undefined;
  return new Limits(idle, firstToken, total, maxEvents, maxBytes);
}

/**
 * Timers and counters of one stream. `start` arms the timers, `wake` re-arms the idle check after
 * the readers held the source back, `stop` clears them all; `refuse` checks one event.
 *
 * @internal
 */
export class Limits {
  readonly #idle: number;
  readonly #firstToken: number;
  readonly #total: number;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  #bytes = 0;
  #guarded: Guarded | undefined = undefined;
  #timers: (ReturnType<typeof setTimeout> | undefined)[] = [undefined, undefined, undefined];
  /** The event count the idle check last saw, and for how many checks in a row it did not move. */
  #lastSeen = -1;
  #quiet = 0;
  #sleeping = false;

  constructor(idle: number, firstToken: number, total: number, maxEvents: number, maxBytes: number) {
    this.#idle = idle;
    this.#firstToken = firstToken;
    this.#total = total;
    this.#maxEvents = maxEvents;
    this.#maxBytes = maxBytes;
  }

  /** The stream started: the clocks run from now. */
  start(guarded: Guarded): void {
    this.#guarded = guarded;
    if (this.#total !== Infinity) {
      this.#timers[0] = setTimeout(() => {
        this.#timers[0] = undefined;
        guarded.timedOut(timeoutError(`the message took longer than totalTimeoutMs (${this.#total} ms)`));
      }, this.#total);
    }
    if (this.#firstToken !== Infinity) {
      this.#timers[1] = setTimeout(() => {
        this.#timers[1] = undefined;
        if (!guarded.tokens()) guarded.timedOut(timeoutError(`no token within firstTokenTimeoutMs (${this.#firstToken} ms)`));
      }, this.#firstToken);
    }
    if (this.#idle !== Infinity) this.#armIdle();
  }

  /** The stream may wait for its source again: an idle check that went to sleep resumes. */
  wake(): void {
    if (this.#sleeping) {
      this.#sleeping = false;
      this.#armIdle();
    }
  }

  /** The stream ended: no timer outlives it. */
  stop(): void {
    this.#sleeping = false;
    for (let i = 0; i < this.#timers.length; i++) {
      const timer = this.#timers[i];
      if (timer !== undefined) clearTimeout(timer);
      this.#timers[i] = undefined;
    }
    this.#guarded = undefined;
  }

  /**
   * Checks the event at `position` (0-based) before it is folded: returns the `RangeError` that
   * fails the stream when it is one event or one byte too many.
   */
  refuse(event: unknown, position: number): RangeError | undefined {
    if (position >= this.#maxEvents) {
      return coded(
        new RangeError(`The chat model stream received more than maxEvents (${this.#maxEvents}) events: the event at position ${position} was refused`),
        "max_events",
      );
    }
    if (this.#maxBytes !== Infinity) {
      this.#bytes += contentBytes(event);
      if (this.#bytes > this.#maxBytes) {
        return coded(
          new RangeError(
            `The chat model stream received more than maxBytes (${this.#maxBytes}) bytes of content: the event at position ${position} was refused`,
          ),
          "max_bytes",
        );
      }
    }
    return undefined;
  }

  #armIdle(): void {
    const guarded = this.#guarded;
    if (guarded === undefined) return;
    this.#lastSeen = guarded.events();
    this.#quiet = 0;
    this.#timers[2] = setTimeout(this.#checkIdle, this.#idle / QUARTERS);
  }

  readonly #checkIdle = (): void => {
    this.#timers[2] = undefined;
    const guarded = this.#guarded;
    if (guarded === undefined) return;
    const seen = guarded.events();
    if (seen !== this.#lastSeen) {
      this.#lastSeen = seen;
      this.#quiet = 0;
    } else if (!guarded.waiting()) {
      // The readers hold the source back: that is not the source's silence. Sleep until woken.
      this.#sleeping = true;
      return;
    } else if (++this.#quiet >= QUARTERS) {
      guarded.timedOut(timeoutError(`no event for idleTimeoutMs (${this.#idle} ms)`));
      return;
    }
    this.#timers[2] = setTimeout(this.#checkIdle, this.#idle / QUARTERS);
  };
}

/** The fields deltas grow, one of each (the fold's table): text, reasoning, args, data. */
const CONTENT_KEYS: readonly string[] = [...new Set(GROWING)];

/** The UTF-8 length of the content strings an event carries (0 for anything that is not an event). */
function contentBytes(event: unknown): number {
  if (typeof event !== "object" || event === null) return 0;
  const ev = event as Record<string, unknown>;
  const block = ev["delta"] ?? ev["content"] ?? ev["content_block"];
  if (typeof block !== "object" || block === null) return 0;
  const b = block as Record<string, unknown>;
  let bytes = 0;
  for (const key of CONTENT_KEYS) {
    const value = b[key];
    if (typeof value === "string") bytes += utf8Length(value);
  }
  const fields = b["fields"];
  if (typeof fields === "object" && fields !== null) {
    for (const key of CONTENT_KEYS) {
      const value = (fields as Record<string, unknown>)[key];
      if (typeof value === "string") bytes += utf8Length(value);
    }
  }
  // A finished tool call carries its arguments as an object: count them as the JSON they were.
  const args = b["args"];
  if (typeof args === "object" && args !== null) {
    try {
      bytes += utf8Length(JSON.stringify(args));
    } catch {
      // Not JSON (a cycle, a BigInt): the fold rejects it as bad input.
    }
  }
  return bytes;
}

/** @internal The length of `s` in UTF-8, without encoding it (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
