/**
 * Our stream as an Anthropic Messages stream, so a Worker can front any provider as an
 * Anthropic-compatible endpoint: `message_start`, then per block (numbered from 0 in order of
 * appearance, as Anthropic's clients require) `content_block_start`, its deltas (`text_delta`,
 * `thinking_delta` and `signature_delta`, `input_json_delta`, `citations_delta`) and
 * `content_block_stop`; `message_delta` with the `stop_reason` and the usage; `message_stop`. A
 * failure is an `error` event. Server tool calls and their results, and the blocks kept whole
 * (`redacted_thinking`, `compaction`, …) are written back as Anthropic sends them.
 *
 * @module
 */
import { isRecord, type ProtocolEvent, type RawEvent } from "../protocol.ts";
import { finishKind, type WireFormat, type WireWriter } from "./wire.ts";

/** @internal */
export const anthropicFormat: WireFormat = {
  contentType: "text/event-stream",
  headers: [],
  writer: (messageId) => new AnthropicWriter(messageId),
};

const STOP_REASONS = new Set(["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal", "model_context_window_exceeded"]);
const FROM_KIND: Record<string, string> = { stop: "end_turn", length: "max_tokens", "tool-calls": "tool_use", "content-filter": "refusal", other: "end_turn" };

/** A block being written: its number in the message and what it is. */
interface Open {
  n: number;
  kind: "text" | "thinking" | "tool" | "whole";
}

class AnthropicWriter implements WireWriter {
  #id: string;
  #model = "";
  /** `message_start` waits for the usage event that follows `message-start`, to carry the input counts. */
  #pending = false;
  #started = false;
  #done = false;
  #usage: RawEvent | undefined;
  readonly #open = new Map<number, Open>();
  #blocks = 0;

  constructor(messageId?: string) {
    this.#id = messageId ?? `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  }

  push(event: ProtocolEvent): string {
    const e = event as RawEvent;
    const name = e["event"];
    if (name === "message-start" && !this.#started && !this.#pending) {
      if (typeof e["id"] === "string" && e["id"] !== "") this.#id = e["id"];
      const metadata = isRecord(e["metadata"]) ? e["metadata"] : {};
      const model = metadata["model_name"] ?? metadata["model"];
      if (typeof model === "string") this.#model = model;
      this.#pending = true;
      return "";
    }
    if (name === "usage") {
      if (isRecord(e["usage"])) this.#usage = e["usage"];
      return "";
    }
    let out = this.#started || name === "error" ? "" : this.#start();
    switch (name) {
      case "content-block-start":
        return out + this.#blockStart(Number(e["index"]), e["content"]);
      case "content-block-delta":
        return out + this.#delta(Number(e["index"]), e["delta"]);
      case "content-block-finish":
        return out + this.#blockFinish(Number(e["index"]), e["content"]);
      case "message-finish":
        out += this.#finish(e);
        return out;
      case "error":
        return out + this.#error(e);
      default:
        return out;
    }
  }

  #start(): string {
    this.#started = true;
    this.#pending = false;
    const usage: RawEvent = { input_tokens: 0, output_tokens: 0 };
    if (this.#usage !== undefined) Object.assign(usage, anthropicUsage(this.#usage));
    const message = { id: this.#id, type: "message", role: "assistant", model: this.#model, content: [], stop_reason: null, stop_sequence: null, usage };
    return frame("message_start", { type: "message_start", message });
  }

  #blockStart(index: number, content: unknown): string {
    if (!isRecord(content) || this.#open.has(index)) return "";
    switch (content["type"]) {
      case "text":
        return this.#begin(index, "text", { type: "text", text: "" }) + this.#text(index, content["text"]);
      case "reasoning":
      case "thinking":
        return this.#begin(index, "thinking", { type: "thinking", thinking: "", signature: "" }) + this.#thinking(index, content["reasoning"] ?? content["thinking"]);
      case "tool_call_chunk":
      case "server_tool_call_chunk": {
        const server = content["type"] === "server_tool_call_chunk";
        const extras = isRecord(content["extras"]) ? content["extras"] : {};
        const block: RawEvent = { type: server ? (extras["server_name"] !== undefined ? "mcp_tool_use" : "server_tool_use") : "tool_use" };
        block["id"] = typeof content["id"] === "string" ? content["id"] : `toolu_${this.#blocks}`;
        block["name"] = typeof content["name"] === "string" ? content["name"] : "";
        block["input"] = {};
        if (server) Object.assign(block, extras);
        return this.#begin(index, "tool", block) + this.#json(index, content["args"]);
      }
      case "server_tool_result":
      case "non_standard":
        // Written whole at its finish, as it then is (a compaction's summary streams in between).
        this.#open.set(index, { n: -1, kind: "whole" });
        return "";
      default:
        return "";
    }
  }

  #begin(index: number, kind: Open["kind"], block: RawEvent): string {
    const n = this.#blocks++;
    this.#open.set(index, { n, kind });
    return kind === "whole" ? "" : this.#beginFrame(n, block);
  }

  #beginFrame(n: number, block: RawEvent): string {
    return frame("content_block_start", { type: "content_block_start", index: n, content_block: block });
  }

  #delta(index: number, delta: unknown): string {
    if (!isRecord(delta)) return "";
    switch (delta["type"]) {
      case "text-delta":
        return this.#ensure(index, "text") + this.#text(index, delta["text"]);
      case "reasoning-delta":
        return this.#ensure(index, "thinking") + this.#thinking(index, delta["reasoning"]);
      case "tool_call_chunk":
      case "tool-call-delta":
      case "server_tool_call_chunk":
        return this.#json(index, delta["args"]);
      default:
        return "";
    }
  }

  /** A text or thinking delta whose block never started opens it. */
  #ensure(index: number, kind: "text" | "thinking"): string {
    if (this.#open.has(index)) return "";
    return this.#blockStart(index, { type: kind === "text" ? "text" : "reasoning" });
  }

  #text(index: number, piece: unknown): string {
    const open = this.#open.get(index);
    if (open?.kind !== "text" || typeof piece !== "string" || piece === "") return "";
    return frame("content_block_delta", { type: "content_block_delta", index: open.n, delta: { type: "text_delta", text: piece } });
  }

  #thinking(index: number, piece: unknown): string {
    const open = this.#open.get(index);
    if (open?.kind !== "thinking" || typeof piece !== "string" || piece === "") return "";
    return frame("content_block_delta", { type: "content_block_delta", index: open.n, delta: { type: "thinking_delta", thinking: piece } });
  }

  #json(index: number, piece: unknown): string {
    const open = this.#open.get(index);
    if (open?.kind !== "tool" || typeof piece !== "string" || piece === "") return "";
    return frame("content_block_delta", { type: "content_block_delta", index: open.n, delta: { type: "input_json_delta", partial_json: piece } });
  }

  #blockFinish(index: number, content: unknown): string {
    if (!isRecord(content)) return "";
    let out = "";
    if (!this.#open.has(index)) {
      // A block that arrived whole.
      const type = content["type"];
      if (type === "server_tool_result" || type === "non_standard") this.#open.set(index, { n: -1, kind: "whole" });
      else if (type === "tool_call" || type === "server_tool_call") {
        const args = JSON.stringify(content["args"] ?? {});
        out += this.#blockStart(index, { ...content, type: type === "tool_call" ? "tool_call_chunk" : "server_tool_call_chunk", args });
      } else out += this.#blockStart(index, content);
    }
    const open = this.#open.get(index);
    if (open === undefined) return out;
    this.#open.delete(index);
    if (open.kind === "whole") {
      const block = content["type"] === "server_tool_result" ? toolResult(content) : content["value"];
      if (!isRecord(block)) return out;
      this.#begin(index, "whole", block);
      const n = this.#open.get(index)!.n;
      this.#open.delete(index);
      return out + this.#beginFrame(n, block) + frame("content_block_stop", { type: "content_block_stop", index: n });
    }
    if (open.kind === "text" && Array.isArray(content["annotations"])) {
      for (const a of content["annotations"]) {
        const citation = anthropicCitation(a);
        out += frame("content_block_delta", { type: "content_block_delta", index: open.n, delta: { type: "citations_delta", citation } });
      }
    }
    if (open.kind === "thinking") {
      const signature = isRecord(content["extras"]) ? content["extras"]["signature"] : content["signature"];
      if (typeof signature === "string" && signature !== "") {
        out += frame("content_block_delta", { type: "content_block_delta", index: open.n, delta: { type: "signature_delta", signature } });
      }
    }
    return out + frame("content_block_stop", { type: "content_block_stop", index: open.n });
  }

  #finish(e: RawEvent): string {
    this.#done = true;
    let out = "";
    for (const [index] of [...this.#open].sort((a, b) => a[1].n - b[1].n)) out += this.#blockFinish(index, {});
    const reason = typeof e["reason"] === "string" ? e["reason"] : undefined;
    const stop = reason !== undefined && STOP_REASONS.has(reason) ? reason : (FROM_KIND[finishKind(reason) ?? "stop"] ?? "end_turn");
    const metadata = isRecord(e["metadata"]) ? e["metadata"] : {};
    const delta: RawEvent = { stop_reason: stop, stop_sequence: typeof metadata["stop_sequence"] === "string" ? metadata["stop_sequence"] : null };
    for (const key of ["container", "context_management"]) if (metadata[key] != null) delta[key] = metadata[key];
    const raw = isRecord(e["usage"]) ? e["usage"] : this.#usage;
    const usage: RawEvent = raw !== undefined ? anthropicUsage(raw) : { output_tokens: 0 };
    if (metadata["server_tool_use"] != null) usage["server_tool_use"] = metadata["server_tool_use"];
    out += frame("message_delta", { type: "message_delta", delta, usage });
    return out + frame("message_stop", { type: "message_stop" });
  }

  #error(e: RawEvent): string {
    if (this.#done) return "";
    this.#done = true;
    const type = typeof e["code"] === "string" ? e["code"] : "api_error";
    const message = typeof e["message"] === "string" ? e["message"] : "The chat model stream failed";
    return frame("error", { type: "error", error: { type, message } });
  }
}

/**
 * A text block's annotation as Anthropic's citation: kept whole when it was one, and LangChain's
 * standard URL citation as a web search result location.
 */
function anthropicCitation(a: unknown): unknown {
  if (!isRecord(a)) return a;
  if (a["type"] === "non_standard_annotation") return a["value"];
  if (a["type"] !== "citation" || typeof a["url"] !== "string") return a;
  return { type: "web_search_result_location", url: a["url"], title: a["title"] ?? null, cited_text: a["cited_text"] ?? "" };
}

/** A server tool's result as the block Anthropic sends (its type named after the result's). */
function toolResult(content: RawEvent): RawEvent {
  const output = content["output"];
  let type = "mcp_tool_result";
  const first = Array.isArray(output) ? output[0] : output;
  const inner = isRecord(first) && typeof first["type"] === "string" ? first["type"] : undefined;
  if (inner !== undefined) {
    const stem = inner.replace(/_tool_result_error$|_result_error$|_tool_result$|_result$|_error$/, "");
    if (stem !== "" && stem !== "text") type = `${stem}_tool_result`;
  }
  const block: RawEvent = { type, tool_use_id: content["tool_call_id"] ?? "", content: output ?? null };
  if (content["status"] === "error" && type === "mcp_tool_result") block["is_error"] = true;
  return block;
}

/** Usage in Anthropic's names: its `input_tokens` leaves out the cache, which has counts of its own. */
function anthropicUsage(usage: RawEvent): RawEvent {
  const details = isRecord(usage["input_token_details"]) ? usage["input_token_details"] : {};
  const read = typeof details["cache_read"] === "number" ? details["cache_read"] : undefined;
  const created = typeof details["cache_creation"] === "number" ? details["cache_creation"] : undefined;
  const input = typeof usage["input_tokens"] === "number" ? usage["input_tokens"] : 0;
  const out: RawEvent = {
    input_tokens: Math.max(0, input - (read ?? 0) - (created ?? 0)),
    output_tokens: typeof usage["output_tokens"] === "number" ? usage["output_tokens"] : 0,
  };
  if (read !== undefined) out["cache_read_input_tokens"] = read;
  if (created !== undefined) out["cache_creation_input_tokens"] = created;
  const outputDetails = isRecord(usage["output_token_details"]) ? usage["output_token_details"] : {};
  if (typeof outputDetails["reasoning"] === "number") out["output_tokens_details"] = { thinking_tokens: outputDetails["reasoning"] };
  return out;
}

function frame(name: string, data: RawEvent): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
