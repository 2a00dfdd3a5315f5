/**
 * The `AIMessage` a fold's state stands for, as a pure function of that state. Tool-call chunks
 * must have been swept first (see tool-calls.ts).
 *
 * @module
 */
import { type AIMessage, type ContentBlock, type RawEvent, setField } from "../protocol.ts";
import { type Block, type FoldState, GROWING, OTHER, REASONING, TEXT, TYPE_OF_KIND } from "./state.ts";

/**
 * @internal `content` lists the finished blocks in index order (a bare string of the text in
 * arrival order when none finished). A message cut short (a failure's `partial`) finishes every
 * open block with what arrived, so its content holds the answer readers saw; a normal finish leaves
 * unfinished text out, as LangChain does.
 */
export function assemble(state: FoldState): AIMessage {
  const content: ContentBlock[] = [];
  const partial = !state.finished;
  for (const b of state.table.ordered()) {
    const block = b.finished ?? (partial ? openBlock(b) : undefined);
    if (block !== undefined) content.push(block);
  }
  return {
    type: "ai",
    ...(state.id !== undefined ? { id: state.id } : {}),
    content: content.length > 0 ? content : state.arrival.soFar(TEXT),
    tool_calls: state.toolCalls.map(({ id, name, args }) => ({ type: "tool_call", id, name, args })),
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
  const block: RawEvent = { ...b.fields, index: b.index };
  if (b.buf.length > 0) block["data"] = b.buf.toString();
  return block as ContentBlock;
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
