/**
 * Text or reasoning deltas of one block in a row, as a provider converter queues them before they
 * are read: one array slot per piece instead of an event and its delta object each. A network
 * chunk parses into a hundred such deltas at once, and a stream held while its reader is slow keeps
 * the unread ones; each piece's event is made when it is read.
 *
 * @module
 */
import type { ProtocolEvent } from "../protocol.ts";

/**
 * @internal Consecutive `text-delta` (or `reasoning-delta`) events of block `index`, as their
 * pieces. `event(i)` is the event piece `i` stands for, a new object each time, of the same shape
 * the block writer gives a delta.
 *
 * Sealed (its network chunk parsed, the run queued to be read), the pieces are kept as one string
 * and their lengths as another (one UTF-16 unit each): about a character a piece, where a string
 * of its own and an array slot cost some 32 bytes (the unread rest of a chunk is held by every
 * stream in flight). A piece is cut from the joined text when read, in order.
 */
export class TextRun {
  readonly index: number;
  readonly type: "text" | "reasoning";
  /** The pieces, until sealed (then an empty array, unless a piece is too long to be sealed). */
  pieces: string[];
  /** Sealed: the pieces joined, and each one's length as a character; else `undefined`. */
  #text: string | undefined = undefined;
  #lengths = "";
  /** In the sealed text: the piece `#next` reads next, and where it starts. */
  #next = 0;
  #at = 0;

  constructor(index: number, type: "text" | "reasoning", piece: string) {
    this.index = index;
    this.type = type;
    this.pieces = [piece];
  }

  /** How many pieces (events) the run stands for. */
  get count(): number {
    return this.#text === undefined ? this.pieces.length : this.#lengths.length;
  }

  /** No more pieces come: they are joined (or, should a piece be 65,535 characters or more, the array is cut to its length). */
  seal(): void {
    const pieces = this.pieces;
    if (this.#text !== undefined || pieces.length === 0) return;
    const lengths = new Array<number>(pieces.length);
    for (let i = 0; i < pieces.length; i++) {
      const n = pieces[i]!.length;
      if (n >= 0xffff) {
        this.pieces = pieces.slice();
        return;
      }
      lengths[i] = n;
    }
    this.#text = pieces.length === 1 ? pieces[0]! : pieces.join("");
    this.#lengths = String.fromCharCode.apply(null, lengths);
    this.pieces = NO_PIECES;
  }

  event(i: number): ProtocolEvent {
    const text = this.#text;
    let piece: string;
    if (text === undefined) piece = this.pieces[i]!;
    else {
      if (i !== this.#next) {
        // Not the next in order: count from the start.
        let at = 0;
        for (let k = 0; k < i; k++) at += this.#lengths.charCodeAt(k);
        this.#at = at;
      }
      const end = this.#at + this.#lengths.charCodeAt(i);
      piece = text.slice(this.#at, end);
      this.#at = end;
      this.#next = i + 1;
    }
    const delta = this.type === "text" ? { type: "text-delta" as const, text: piece } : { type: "reasoning-delta" as const, reasoning: piece };
    return { event: "content-block-delta", index: this.index, delta };
  }
}

/** A sealed run's `pieces`: frozen, so that a piece pushed to a sealed run throws rather than goes astray. */
const NO_PIECES: string[] = Object.freeze([]) as unknown as string[];

/** @internal What a converter queues: events, and runs of text deltas that stand for events. */
export type Queued = ProtocolEvent | TextRun;

/**
 * @internal Reads a queue of events and runs one event at a time; `reset` hands it the next queue.
 * The queue is not copied: the caller gives up the array.
 */
export class QueueReader {
  #items: (Queued | undefined)[] = [];
  #next = 0;
  /** Within a run at `#next`: the next piece. */
  #piece = 0;

  /** Takes `items` (its own array from now on, its runs complete) as the queue, from its start. */
  reset(items: Queued[]): void {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item instanceof TextRun) item.seal();
    }
    this.#items = items;
    this.#next = 0;
    this.#piece = 0;
  }

  get empty(): boolean {
    return this.#next >= this.#items.length;
  }

  /** The next event; only when not `empty`. A read event's slot is let go at once. */
  shift(): ProtocolEvent {
    const items = this.#items;
    const item = items[this.#next]!;
    if (!(item instanceof TextRun)) {
      items[this.#next++] = undefined;
      return item;
    }
    const i = this.#piece;
    const event = item.event(i);
    if (i + 1 < item.count) this.#piece = i + 1;
    else {
      items[this.#next++] = undefined;
      this.#piece = 0;
    }
    return event;
  }
}
