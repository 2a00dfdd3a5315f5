/**
 * What a lagging raw-events reader holds: its queue folds to the same state as the events it
 * stands for, but is bounded by the message's content, not by its event count. Consecutive
 * growing deltas of one block (text, reasoning, data, argument-only tool-call slices) merge into
 * one delta event, and a usage snapshot replaces the one queued before it (only the latest
 * counts in the fold). A reader that keeps up gets every event as sent: merging starts only once
 * a reader is more than the read-ahead behind.
 *
 * @module
 */
import type { RawEvent } from "./protocol.ts";
import { StringBuilder } from "./string-builder.ts";

/** @internal A queue of raw events with the place of its usage snapshot, if one is queued. */
export interface EventQueue {
  items: unknown[];
  /** The queued usage event and where it stands; stale once `items` was replaced. */
  usage: unknown;
  usageAt: number;
}

/**
 * A run of growing deltas of one block, merged. The pieces are kept in a `StringBuilder`, so a
 * million one-character deltas cost about a million characters, not a million events or rope nodes.
 */
class MergedDelta {
  readonly first: RawEvent;
  readonly delta: RawEvent;
  readonly key: string;
  readonly text: StringBuilder;

  constructor(first: RawEvent, delta: RawEvent, key: string) {
    this.first = first;
    this.delta = delta;
    this.key = key;
    this.text = new StringBuilder(delta[key] as string);
  }

  toEvent(): RawEvent {
    return { ...this.first, delta: { ...this.delta, [this.key]: this.text.toString() } };
  }
}

/**
 * Queues `event` for a reader that is not waiting. Once `room` events are queued (the read-ahead a
 * reader that keeps up may find waiting, which it gets as sent), it merges into what is queued
 * where it can.
 */
export function queueEvent(q: EventQueue, event: unknown, room: number): void {
  const items = q.items;
  if (items.length < room) {
    items.push(event);
    return;
  }
  const ev = event as RawEvent;
  if (ev["event"] === "usage") {
    const at = q.usageAt;
    if (at >= 0 && items[at] === q.usage) {
      items.splice(at, 1);
      // The deltas on either side of the dropped snapshot may now merge.
      if (at > 0 && at < items.length && merge(items, at - 1, items[at])) items.splice(at, 1);
    }
    q.usage = event;
    q.usageAt = items.length;
    items.push(event);
    return;
  }
  const last = items.length - 1;
  if (last < 0 || !merge(items, last, event)) items.push(event);
}

/** Merges `event` into `items[at]` when both are growing deltas of one block; says whether it did. */
function merge(items: unknown[], at: number, event: unknown): boolean {
  const key = growingKey(event as RawEvent);
  if (key === undefined) return false;
  const delta = (event as RawEvent)["delta"] as RawEvent;
  const tail = items[at];
  if (tail instanceof MergedDelta) {
    if (!sameRun(tail.first, tail.delta, event as RawEvent, delta)) return false;
    tail.text.push(delta[key] as string);
    return true;
  }
  const prev = tail as RawEvent;
  if (growingKey(prev) !== key || !sameRun(prev, prev["delta"] as RawEvent, event as RawEvent, delta)) return false;
  const merged = new MergedDelta(prev, prev["delta"] as RawEvent, key);
  merged.text.push(delta[key] as string);
  items[at] = merged;
  return true;
}

/**
 * The field a delta grows its block by, when merging it into the delta before it folds the same:
 * text and reasoning deltas, data deltas, and tool-call slices that carry only arguments (an id or
 * a name would have to stay where it was).
 */
function growingKey(ev: RawEvent): string | undefined {
  if (ev["event"] !== "content-block-delta") return undefined;
  const d = ev["delta"] as RawEvent | undefined;
  if (typeof d !== "object" || d === null) return undefined;
  switch (d["type"]) {
    case "text-delta":
      return "text";
    case "reasoning-delta":
      return "reasoning";
    case "data-delta":
      return "data";
    case "tool-call-delta":
    case "tool_call_chunk":
      return typeof d["args"] === "string" ? "args" : undefined;
    default:
      return undefined;
  }
}

function sameRun(first: RawEvent, firstDelta: RawEvent, next: RawEvent, delta: RawEvent): boolean {
  return (
    first["index"] === next["index"] &&
    firstDelta["type"] === delta["type"] &&
    firstDelta["encoding"] === delta["encoding"] &&
    !delta["id"] &&
    !delta["name"]
  );
}

/** The event a queued item stands for. */
export function queuedEvent(item: unknown): unknown {
  return item instanceof MergedDelta ? item.toEvent() : item;
}
