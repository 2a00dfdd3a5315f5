/**
 * One reader's place in one projection: what is queued for it, how far behind it is, and where its
 * lifecycle stands, in one state field:
 *
 * - `detached`: made by a getter, never read; it costs nothing and gets nothing.
 * - `live`: attached on its first read; chunks reach it (at once while it waits, else queued).
 * - `draining`: no more chunks will come (the message ended); its reader still takes what is
 *   queued, then the end or the error in `failure`.
 * - `closed`: its stream closed, errored or was cancelled.
 *
 * @module
 */
import type { EventQueue } from "./coalesce.ts";
import { StringBuilder } from "./string-builder.ts";

/** @internal What a cursor or an await follows. */
export const TEXT = 0;
/** @internal */
export const REASONING = 1;
/** @internal */
export const TOOL_CALLS = 2;
/** @internal */
export const USAGE = 3;
/** @internal */
export const OUTPUT = 4;
/** @internal */
export const EVENTS = 5;

/** @internal */
export type CursorState = "detached" | "live" | "draining" | "closed";

/**
 * @internal Where a cursor's chunks go: its `ReadableStream`'s controller, or the direct iterator
 * of `for await` (see projection.ts). `desiredSize` below 0 means chunks wait there unread.
 */
export interface CursorSink {
  enqueue(chunk: unknown): void;
  close(): void;
  error(error: unknown): void;
  readonly desiredSize: number | null;
}

/** @internal */
export class Cursor implements EventQueue {
  readonly kind: number;
  state: CursorState = "detached";
  controller: CursorSink | undefined = undefined;
  /** Its reader asked for a chunk and none was queued (demand, kept by `Readers`). */
  waiting = false;
  /** Queued text (text and reasoning cursors). */
  text: StringBuilder | undefined;
  /** Queued chunks (other cursors); raw events merge as they queue (see coalesce.ts). */
  items: unknown[] = [];
  usage: unknown = undefined;
  usageAt = -1;
  /** The hub's event count when this reader last had everything: it is behind by the events since. */
  mark = 0;
  /** The error a draining cursor delivers once its queue is read. */
  failure: { error: unknown } | undefined = undefined;

  constructor(kind: number) {
    this.kind = kind;
    this.text = kind <= REASONING ? new StringBuilder() : undefined;
  }

  get queued(): boolean {
    return this.text !== undefined ? this.text.length > 0 : this.items.length > 0;
  }

  /** live (or detached, attaching to an ended stream) → draining. */
  drain(failure?: { error: unknown }): void {
    if (this.state === "closed") return;
    this.state = "draining";
    this.waiting = false;
    if (failure !== undefined) this.failure = failure;
  }

  /** A draining cursor whose queue is empty ends: closed, or errored with its failure. */
  end(): void {
    const failure = this.failure;
    if (failure === undefined) this.close();
    else this.error(failure.error);
  }

  /** → closed, closing its stream. */
  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.controller!.close();
  }

  /** → closed, erroring its stream; what is queued is dropped. */
  error(error: unknown): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.clear();
    this.controller!.error(error);
  }

  /** → closed by its own stream's cancel: nothing more is delivered. */
  cancelled(): void {
    this.state = "closed";
    this.waiting = false;
    this.clear();
  }

  clear(): void {
    this.text?.set("");
    this.items = [];
    this.failure = undefined;
  }
}
