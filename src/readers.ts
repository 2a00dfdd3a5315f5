/**
 * The live cursors of one stream: attaching a reader with its catch-up, handing each event's
 * products to the readers (the hot path: a waiting reader gets the chunk at once, a busy one finds
 * it queued and coalesced), and how far behind the slowest reader is.
 *
 * @module
 */
import { EMIT_REASONING, EMIT_TEXT, EMIT_TOOL, EMIT_USAGE, type MessageAccumulator } from "./fold/accumulator.ts";
import { queueEvent } from "./coalesce.ts";
import { type Cursor, EVENTS, OUTPUT, REASONING, TEXT, TOOL_CALLS, USAGE } from "./cursor.ts";

/** @internal */
export class Readers {
  /** Live cursors by kind; a kind nobody reads shares `NONE` (a stream in flight has one or two kinds read). */
  readonly #lists: Cursor[][] = [NONE, NONE, NONE, NONE, NONE, NONE];
  /** Every live cursor, for the lag check. */
  #all: Cursor[] = [];
  /** How many events a raw-events reader may have queued before they merge (the read-ahead). */
  readonly #room: number;
  /** Live cursors. */
  attached = 0;
  /** Live cursors whose reader waits for a chunk. */
  waiting = 0;

  constructor(room: number) {
    this.#room = room;
  }

  /**
   * Fills a cursor's queue with everything so far, so whenever a reader attaches, what it reads
   * adds up to what a reader attached from the start reads (`events` get a replay that folds the same).
   */
  catchUp(c: Cursor, acc: MessageAccumulator): void {
    if (acc.count === 0) return;
    switch (c.kind) {
      case TEXT:
        c.text!.push(acc.textSoFar());
        break;
      case REASONING:
        c.text!.push(acc.reasoningSoFar());
        break;
      case TOOL_CALLS:
        c.items = acc.toolChunksSoFar();
        break;
      case USAGE:
        if (acc.usage !== undefined) c.items.push(acc.usage);
        break;
      case EVENTS:
        c.items = acc.replay();
        break;
    }
  }

  /** detached → live: the cursor gets the events from `seq` on. */
  add(c: Cursor, seq: number): void {
    c.state = "live";
    c.mark = seq;
    const lists = this.#lists;
    // A new list is made with its cursor in it: an array literal holds one slot, a pushed-to empty one room for 17.
    const list = lists[c.kind]!;
    if (list === NONE) lists[c.kind] = [c];
    else list.push(c);
    if (this.#all.length === 0) this.#all = [c];
    else this.#all.push(c);
    this.attached++;
  }

  /** A live cursor leaves (its reader cancelled). */
  remove(c: Cursor): void {
    if (c.state !== "live") return;
    const list = this.#lists[c.kind]!;
    const at = list.indexOf(c);
    if (at >= 0) {
      list.splice(at, 1);
      this.#all.splice(this.#all.indexOf(c), 1);
      this.attached--;
    }
    this.unwait(c);
  }

  /** Its reader asked for a chunk and none was queued (a second pending read is still one). */
  wait(c: Cursor, seq: number): void {
    if (!c.waiting) {
      c.waiting = true;
      this.waiting++;
    }
    c.mark = seq;
  }

  unwait(c: Cursor): void {
    if (c.waiting) {
      c.waiting = false;
      this.waiting--;
    }
  }

  /** Hands what one event produced (`flags`, see the accumulator) to the readers. */
  deliver(event: unknown, flags: number, acc: MessageAccumulator): void {
    const lists = this.#lists;
    const raw = lists[EVENTS]!;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c.waiting) this.#give(c, event);
      else queueEvent(c, event, this.#room);
    }
    if (flags === 0) return;
    if (flags & EMIT_TEXT) this.#deliverAll(lists[TEXT]!, acc.delta);
    if (flags & EMIT_REASONING) this.#deliverAll(lists[REASONING]!, acc.delta);
    if (flags & EMIT_TOOL) this.#deliverAll(lists[TOOL_CALLS]!, acc.chunk);
    if (flags & EMIT_USAGE) this.#deliverAll(lists[USAGE]!, acc.usage);
  }

  #deliverAll(list: Cursor[], chunk: unknown): void {
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (c.waiting) this.#give(c, chunk);
      else if (c.text !== undefined) c.text.push(chunk as string);
      else c.items.push(chunk);
    }
  }

  /** A waiting reader gets the chunk at once. */
  #give(c: Cursor, chunk: unknown): void {
    c.waiting = false;
    this.waiting--;
    c.controller!.enqueue(chunk);
  }

  /** How many events the slowest reader is behind: those since it last waited or took its queue. */
  behind(seq: number): number {
    const all = this.#all;
    let max = 0;
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!;
      if (!c.waiting && seq - c.mark > max) max = seq - c.mark;
    }
    return max;
  }

  /** The message ended: every live cursor drains (the output cursor gets the message first). */
  drainAll(output: (() => unknown) | undefined): Cursor[] {
    const all = this.#lists.flat();
    this.#lists.fill(NONE);
    for (const c of all) {
      c.drain();
      if (output !== undefined && c.kind === OUTPUT) c.items.push(output());
    }
    this.#all = [];
    this.attached = 0;
    this.waiting = 0;
    return all;
  }
}

/** The list of a kind no cursor reads: shared, never changed. */
const NONE: Cursor[] = [];
