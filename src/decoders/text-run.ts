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
 */
export class TextRun {
  readonly index: number;
  readonly type: "text" | "reasoning";
  pieces: string[];

  constructor(index: number, type: "text" | "reasoning", piece: string) {
    this.index = index;
    this.type = type;
    this.pieces = [piece];
  }

  /** No more pieces come: the array is cut to its length (a pushed-to array keeps room to grow). */
  seal(): void {
    this.pieces = this.pieces.slice();
  }

  event(i: number): ProtocolEvent {
    const piece = this.pieces[i]!;
    const delta = this.type === "text" ? { type: "text-delta" as const, text: piece } : { type: "reasoning-delta" as const, reasoning: piece };
    return { event: "content-block-delta", index: this.index, delta };
  }
}

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
    if (i + 1 < item.pieces.length) this.#piece = i + 1;
    else {
      items[this.#next++] = undefined;
      this.#piece = 0;
    }
    return event;
  }
}
