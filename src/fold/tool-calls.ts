/**
 * The tool-call rules of the fold, in one place: slices concatenate their `args` and keep the
 * first non-empty `id` and `name`; a `block-delta` is a snapshot whose last defined value wins
 * (readers get only what it added); at the finish, every chunk that never finished is swept into
 * a `tool_call` (JSON arguments, `{}` when empty) or an `invalid_tool_call`.
 *
 * @module
 */
import type { InvalidToolCall, ToolCall, ToolCallChunk } from "../protocol.ts";
import { StringBuilder } from "../string-builder.ts";
import { type Block, type FoldState, SERVER_TOOL, TOOL } from "./state.ts";

/** @internal The error text LangChain uses for tool-call arguments that are not JSON. */
export const INVALID_ARGS = "Failed to parse tool call arguments as JSON";

/**
 * @internal A slice (already checked). Returns the chunk readers get, or undefined when the slice
 * is for another kind of block, for a server tool, or empty.
 */
export function slice(b: Block, id: string | undefined, name: string | undefined, args: string | undefined): ToolCallChunk | undefined {
  if (b.kind !== TOOL && b.kind !== SERVER_TOOL) return undefined;
  if (id && b.id === undefined) b.id = id;
  if (name && b.name === undefined) b.name = name;
  if (args) {
    b.buf.push(args);
    b.shown?.push(args);
  }
  if (b.kind === SERVER_TOOL || !(id || name || args)) return undefined;
  const chunk: ToolCallChunk = { type: "tool_call_chunk", index: b.index };
  if (id) chunk.id = id;
  if (name) chunk.name = name;
  if (args) chunk.args = args;
  b.emitted = true;
  return chunk;
}

/**
 * @internal One field of a snapshot of a tool-call block. Readers get what was added; a snapshot
 * that rewrites earlier args is not sent (as for text), and what readers saw is kept apart so a
 * late reader's catch-up matches theirs. Returns the chunk so far, grown by what changed.
 */
export function snapshot(b: Block, key: "args" | "id" | "name", value: string, changed: ToolCallChunk | undefined): ToolCallChunk | undefined {
  if (key !== "args") {
    if (b[key] === value) return changed;
    b[key] = value;
    (changed ??= { type: "tool_call_chunk", index: b.index })[key] = value;
    return changed;
  }
  const sofar = b.buf.toString();
  if (value === sofar) return changed;
  if (value.length > sofar.length && value.startsWith(sofar)) {
    const tail = value.slice(sofar.length);
    b.shown?.push(tail);
    (changed ??= { type: "tool_call_chunk", index: b.index }).args = tail;
  } else b.shown ??= new StringBuilder(sofar);
  b.buf.set(value);
  return changed;
}

/** @internal Finalises every tool-call chunk that never finished, in index order. */
export function sweep(state: FoldState): void {
  for (const b of state.table.ordered()) {
    if (!b.open) continue;
    b.open = false;
    const raw = b.buf.toString();
    let args: unknown;
    try {
      args = raw === "" ? {} : JSON.parse(raw);
    } catch {
      const invalid: InvalidToolCall = { type: "invalid_tool_call" };
      if (b.id) invalid.id = b.id;
      if (b.name) invalid.name = b.name;
      invalid.args = raw;
      invalid.error = INVALID_ARGS;
      state.invalid.push(invalid);
      b.finished = invalid;
      continue;
    }
    if (b.kind === TOOL) {
      const call = { type: "tool_call", id: b.id ?? "", name: b.name ?? "", args } as ToolCall;
      state.toolCalls.push(call);
      b.finished = call;
    } else {
      b.finished = { type: "server_tool_call", id: b.id ?? "", name: b.name ?? "", args, index: b.index };
    }
  }
}

/** @internal One compacted chunk per tool call that has emitted chunks, in index order. */
export function chunksSoFar(state: FoldState): ToolCallChunk[] {
  const out: ToolCallChunk[] = [];
  for (const b of state.table.ordered()) {
    if (!b.emitted) continue;
    const chunk: ToolCallChunk = { type: "tool_call_chunk", index: b.index };
    if (b.id) chunk.id = b.id;
    if (b.name) chunk.name = b.name;
    const shown = (b.shown ?? b.buf).toString();
    if (shown !== "") chunk.args = shown;
    out.push(chunk);
  }
  return out;
}
