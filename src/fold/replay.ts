/**
 * Events that fold to a fold's state, as a pure function of that state: what a late raw-events
 * reader gets first, since raw events are never kept.
 *
 * @module
 */
import type { ProtocolEvent, RawEvent } from "../protocol.ts";
import { type Block, type FoldState, OTHER, REASONING, TEXT, TYPE_OF_KIND } from "./state.ts";

/**
 * @internal message-start; per block in index order one start and one delta with its content so
 * far (text that came out of index order: run by run, in arrival order); the finishes in the order
 * they came (a swept chunk is left to the sweep, which keeps `tool_calls` in the same order); then
 * the finish or the latest usage.
 */
export function replay(state: FoldState): ProtocolEvent[] {
  const out: RawEvent[] = [];
  const start: RawEvent = { event: "message-start", role: "ai" };
  if (state.id !== undefined) start["id"] = state.id;
  if (state.startMeta !== undefined) start["metadata"] = state.startMeta;
  out.push(start);
  // In index order, which is the text's arrival order until deltas come out of index order; from
  // then on the text is given back run by run, in arrival order (a bare-string content is text in
  // arrival order).
  const runs = state.arrival.textRuns;
  for (const b of state.table.ordered()) {
    const index = b.index;
    const type = b.fields["type"] ?? TYPE_OF_KIND[b.kind];
    // A block known only from its finish, or from deltas that name no type, has no start.
    if (type !== undefined) out.push({ event: "content-block-start", index, content: { ...b.fields, type } });
    if (runs !== null && b.kind === TEXT) continue; // given run by run below
    if (b.buf.length > 0 || b.id !== undefined || b.name !== undefined) {
      out.push({ event: "content-block-delta", index, delta: replayDelta(b) });
    }
  }
  if (runs !== null) {
    // Text that came out of index order: the same runs in the same order, so it folds back to
    // the same arrival-order text (a bare-string content).
    const taken = new Map<number, number>();
    for (let i = 0; i < runs.length; i += 2) {
      const index = runs[i]!;
      const from = taken.get(index) ?? 0;
      const to = from + runs[i + 1]!;
      taken.set(index, to);
      const text = state.table.find(index)!.buf.toString().slice(from, to);
      out.push({ event: "content-block-delta", index, delta: { type: "text-delta", text } });
    }
  }
  for (const b of state.finishes) out.push({ event: "content-block-finish", index: b.index, content: b.finished });
  if (state.finished) {
    const finish: RawEvent = { event: "message-finish" };
    if (state.reason !== undefined) finish["reason"] = state.reason;
    if (state.usage !== undefined) finish["usage"] = state.usage;
    if (state.finishMeta !== undefined) finish["metadata"] = state.finishMeta;
    out.push(finish);
  } else if (state.usage !== undefined) {
    out.push({ event: "usage", usage: state.usage });
  }
  return out as unknown as ProtocolEvent[];
}

function replayDelta(b: Block): RawEvent {
  const sofar = b.buf.toString();
  switch (b.kind) {
    case TEXT:
      return { type: "text-delta", text: sofar };
    case REASONING:
      return { type: "reasoning-delta", reasoning: sofar };
    case OTHER:
      return { type: "data-delta", data: sofar };
    default: {
      const slice: RawEvent = { type: TYPE_OF_KIND[b.kind], args: sofar };
      if (b.id !== undefined) slice["id"] = b.id;
      if (b.name !== undefined) slice["name"] = b.name;
      return slice;
    }
  }
}
