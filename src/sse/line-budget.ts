/**
 * The bound on one line (and one SSE event's data) of a response: what a decoder buffers before the
 * line ends must not grow without limit when a body never sends a line break.
 *
 * @module
 */
import { coded } from "../errors.ts";
import { utf8Length } from "../limits.ts";

/** @internal The default bound: 8 MiB, far above any real provider event, far below a Worker's 128 MB. */
export const DEFAULT_MAX_LINE_BYTES: number = 8 * 1024 * 1024;

/** @internal Checks a `maxLineBytes` option: a positive integer, or `Infinity` for no bound. */
export function maxLineBytesOf(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_LINE_BYTES;
  if (typeof value !== "number" || !(value > 0) || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw coded(new RangeError(`maxLineBytes must be a positive integer (or Infinity: no bound), got ${String(value)}`), "bad_option");
  }
  return value;
}

/** @internal The error for a line (or an event's data) over the bound. */
export function lineTooLong(limit: number, what = "a line"): RangeError {
  return coded(new RangeError(`maxLineBytes exceeded: the stream has ${what} longer than maxLineBytes (${limit} bytes)`), "max_line");
}

/**
 * The UTF-8 size of a text that grows piece by piece, measured exactly only once it could matter:
 * a UTF-16 unit is 1 to 3 UTF-8 bytes, so while three bytes a unit fit, nothing is counted.
 *
 * @internal
 */
export class LineBudget {
  readonly limit: number;
  #units = 0;
  /** The exact byte count, once the unit count alone could no longer tell (-1 until then). */
  #bytes = -1;

  constructor(limit: number) {
    this.limit = limit;
  }

  /**
   * Counts `piece` onto a text whose content so far is `sofar` (read once, for the first exact
   * count); returns whether the whole still fits.
   */
  fits(piece: string, sofar: { toString(): string }): boolean {
    const units = (this.#units += piece.length);
    if (units > this.limit) return false; // every unit is at least one byte
    if (this.#bytes < 0) {
      if (units * 3 <= this.limit) return true; // every unit is at most three bytes
      this.#bytes = utf8Length(sofar.toString());
    }
    this.#bytes += utf8Length(piece);
    return this.#bytes <= this.limit;
  }

  /** The text was taken: start again from nothing. */
  reset(): void {
    this.#units = 0;
    this.#bytes = -1;
  }
}
