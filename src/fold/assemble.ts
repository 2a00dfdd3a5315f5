/**
 * The `AIMessage` a fold's state stands for, as a pure function of that state. Tool-call chunks
 * must have been swept first (see tool-calls.ts).
 *
 * @module
 */
import { type AIMessage, type ContentBlock, isRecord, type RawEvent, setField, type ToolCall } from "../protocol.ts";
import { type Block, type FoldState, GROWING, OTHER, REASONING, TEXT, TYPE_OF_KIND } from "./state.ts";

/**
 * @internal `content` lists the finished blocks in index order (a bare string of the text in
 * arrival order when none finished). A message cut short (a failure's `partial`) finishes every
 * open block with what arrived, so its content holds the answer readers saw; a normal finish leaves
 * unfinished text out, as LangChain does.
 */
export function assemble(state: FoldState): AIMessage {
  const content: ContentBlock[] = [];
  const toolCalls: ToolCall[] = state.toolCalls.map(({ id, name, args }) => ({ type: "tool_call", id, name, args }));
  const partial = !state.finished;
  for (const b of state.table.ordered()) {
    let block = b.finished;
    if (block === undefined && partial) {
      block = openBlock(b);
      // A whole tool call that started and never finished is in `tool_calls` too, as at its finish.
      if (block?.type === "tool_call") toolCalls.push({ type: "tool_call", id: block.id, name: block.name, args: block.args });
    }
    if (block !== undefined) content.push(block);
  }
  return {
    type: "ai",
    ...(state.id !== undefined ? { id: state.id } : {}),
    content: content.length > 0 ? content : state.arrival.soFar(TEXT),
    tool_calls: toolCalls,
    invalid_tool_calls: state.invalid.map((invalid) => ({ ...invalid, type: "invalid_tool_call" })),
    ...(state.usage !== undefined ? { usage_metadata: state.usage } : {}),
    response_metadata: responseMetadata(state),
  };
}

/** An open text, reasoning or typed block finished with what arrived (tool-call chunks are swept instead). */
function openBlock(b: Block): ContentBlock | undefined {
  if (b.kind === TEXT || b.kind === REASONING) {
    if (b.buf.length === 0) return undefined;
    return { ...b.fields, type: TYPE_OF_KIND[b.kind], [GROWING[b.kind]]: b.buf.toString(), index: b.index } as ContentBlock;
  }
  if (b.kind !== OTHER || b.fields["type"] === undefined) return undefined;
  if (b.fields["type"] === "tool_call") {
    // As a finish makes it: no `index`, and arguments that are an object (else it is left out).
    const { index: _index, ...call } = b.fields;
    if (!isRecord(call["args"] ?? {})) return undefined;
    return { ...call, type: "tool_call", id: str(call["id"]), name: str(call["name"]), args: call["args"] ?? {} } as ToolCall;
  }
  if (b.fields["type"] === "invalid_tool_call") return undefined; // not a call, and not finished
  const block: RawEvent = { ...b.fields, index: b.index };
  if (b.buf.length > 0) block["data"] = b.buf.toString();
  return block as ContentBlock;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * `model_provider` and `model_name` from the start's metadata, `finish_reason`, the finish's own
 * metadata (a repeated key keeps its place), and `output_version: "v1"` always last.
 */
function responseMetadata(state: FoldState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const start = state.startMeta;
  if (start !== undefined) {
    const provider = start["model_provider"] ?? start["provider"];
    if (provider !== undefined) out["model_provider"] = provider;
    const model = start["model_name"] ?? start["model"];
    if (model !== undefined) out["model_name"] = model;
  }
  if (state.reason !== undefined) out["finish_reason"] = state.reason;
  const finishMeta = state.finishMeta;
  if (finishMeta !== undefined) for (const key in finishMeta) setField(out, key, finishMeta[key]);
  delete out["output_version"];
  out["output_version"] = "v1";
  return out;
}
