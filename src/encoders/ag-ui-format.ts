/**
 * Our stream as an AG-UI run (protocol 1.0, what `@ag-ui/client`'s `HttpAgent` and CopilotKit
 * read): `RUN_STARTED`, the text as `TEXT_MESSAGE_START` / `_CONTENT` / `_END` of one assistant
 * message, each reasoning block as a reasoning message (`REASONING_START`,
 * `REASONING_MESSAGE_START` / `_CONTENT` / `_END`, `REASONING_END`, and its signature or
 * encrypted content as a `REASONING_ENCRYPTED_VALUE`), tool calls as `TOOL_CALL_START` / `_ARGS` / `_END` attached to the
 * assistant message, then `RUN_FINISHED` with the finish reason in `result` and the usage in
 * `usage`; a failure is `RUN_ERROR`, a Stop a `RUN_FINISHED` whose outcome is `cancelled`. Each
 * event is an SSE `data:` line.
 *
 * @module
 */
import { isRecord, type ProtocolEvent, type RawEvent } from "../protocol.ts";
import type { RunIds, WireFormat, WireWriter } from "./wire.ts";

/** @internal AG-UI events over SSE. */
export const agUIFormat: WireFormat = {
  contentType: "text/event-stream",
  headers: [],
  writer: (messageId, run) => new AGUIWriter(messageId, run),
};

/** The protocol version this writer speaks, declared on `RUN_STARTED`. */
const PROTOCOL_VERSION = "1.0";

/** A text or reasoning block, or a tool call, between its start and the end of the run. */
interface Part {
  kind: "text" | "reasoning" | "tool";
  /** A reasoning message's id, or a tool call's. */
  id: string;
  name: string;
  /** The text, reasoning or tool-call arguments that went out, joined only when needed. */
  sent: string[];
  /** Reasoning: its start events went out. Tool call: `TOOL_CALL_START` went out. */
  started: boolean;
  /** Its end events went out. */
  ended: boolean;
  /** Tool call: argument slices that came before its id and name. */
  pending: string;
}

/**
 * @internal Turns protocol events into AG-UI events, one event at a time.
 *
 * Text blocks all go into one assistant message whose id is the message's: AG-UI has one open
 * text stream per message id, so when deltas of two text blocks interleave, each switch ends the
 * text message and starts it again under the same id (the client appends to it). Tool calls name
 * that message as their `parentMessageId`, so the client holds text and calls on one message, as
 * LangChain does. Each reasoning block is a reasoning message of its own (`<id>-reasoning-<index>`).
 */
class AGUIWriter implements WireWriter {
  readonly #parts = new Map<number, Part>();
  /** The block whose text message is open, or -1. */
  #openText = -1;
  #id: string;
  #threadId = "";
  #runId = "";
  #started = false;
  #finished = false;
  #provider: string | undefined;
  #model: string | undefined;
  #usage: unknown;
  /** The ids of the tool calls that went out. */
  readonly #callIds = new Set<string>();

  /** The ids the caller gave the run, which win over the start metadata's. */
  readonly #run: RunIds | undefined;

  constructor(messageId?: string, run?: RunIds) {
    this.#id = messageId ?? crypto.randomUUID();
    this.#run = run;
  }

  push(event: ProtocolEvent): string {
    if (this.#finished) return "";
    const e = event as RawEvent;
    let out = this.#started ? "" : this.#start(e);
    switch (e["event"]) {
      // A delta may come under `content`, and any block under the older `content_block`.
      case "content-block-start":
        return out + this.#blockStart(Number(e["index"]), e["content"] ?? e["content_block"]);
      case "content-block-delta":
        return out + this.#delta(Number(e["index"]), e["delta"] ?? e["content"] ?? e["content_block"]);
      case "content-block-finish":
        return out + this.#blockFinish(Number(e["index"]), e["content"] ?? e["content_block"]);
      case "usage":
        this.#usage = e["usage"];
        return out;
      case "message-finish":
        out += this.#closeAll();
        return out + this.#runFinished(e);
      case "error":
        return out + this.#error(e);
      default:
        return out;
    }
  }

  /**
   * `RUN_STARTED`, with the thread and run ids the caller gave (the client's `RunAgentInput`'s),
   * else the start metadata's `thread_id` / `run_id` (LangGraph's names), else the message id.
   */
  #start(event: RawEvent): string {
    this.#started = true;
    // A stream may begin without its start: then only the generated or given id names the run.
    const e: RawEvent = event["event"] === "message-start" ? event : {};
    if (typeof e["id"] === "string" && e["id"] !== "") this.#id = e["id"];
    const metadata = isRecord(e["metadata"]) ? e["metadata"] : {};
    this.#provider = str(metadata["model_provider"] ?? metadata["provider"]);
    this.#model = str(metadata["model_name"] ?? metadata["model"]);
    this.#threadId = str(this.#run?.threadId) ?? str(metadata["thread_id"]) ?? this.#id;
    this.#runId = str(this.#run?.runId) ?? str(metadata["run_id"]) ?? this.#id;
    // LangChain.js sends the first usage snapshot on the start.
    if (e["usage"] !== undefined) this.#usage = e["usage"];
    return frame({ type: "RUN_STARTED", threadId: this.#threadId, runId: this.#runId, protocolVersion: PROTOCOL_VERSION });
  }

  #blockStart(index: number, content: unknown): string {
    if (!isRecord(content) || this.#parts.has(index)) return "";
    const type = content["type"];
    if (type === "text") return this.#text(index, str(content["text"]) ?? "");
    if (type === "reasoning" || type === "thinking") return this.#reasoning(index, str(content["reasoning"] ?? content["thinking"]) ?? "");
    if (type === "tool_call_chunk") return this.#slice(index, content);
    return "";
  }

  #delta(index: number, delta: unknown): string {
    if (!isRecord(delta)) return "";
    switch (delta["type"]) {
      case "text-delta":
      case "text":
        return this.#text(index, str(delta["text"]) ?? "");
      case "reasoning-delta":
      case "reasoning":
        return this.#reasoning(index, str(delta["reasoning"]) ?? "");
      case "thinking":
        return this.#reasoning(index, str(delta["thinking"]) ?? "");
      case "tool_call_chunk":
      case "tool-call-delta":
        return this.#slice(index, delta);
      case "block-delta":
        return this.#snapshot(index, delta["fields"]);
      default:
        return "";
    }
  }

  /**
   * A tool call's fields as a snapshot (LangChain.js's `block-delta`): arguments that extend
   * what went out send the rest. A snapshot that rewrites them cannot be said in AG-UI, whose
   * arguments only grow; the fold keeps the rewrite, the client what went out.
   */
  #snapshot(index: number, fields: unknown): string {
    if (!isRecord(fields)) return "";
    const part = this.#parts.get(index);
    if (part === undefined ? fields["type"] !== "tool_call_chunk" : part.kind !== "tool") return "";
    const args = str(fields["args"]);
    return this.#slice(index, { id: fields["id"], name: fields["name"], args: args === undefined || part === undefined ? args : tail(part.sent, args) });
  }

  /** A piece of a text block, in the assistant message's open text stream. */
  #text(index: number, piece: string): string {
    const part = this.#part(index, "text");
    if (piece === "" || part === undefined || part.ended) return "";
    part.sent.push(piece);
    let out = "";
    if (this.#openText !== index) {
      out += this.#endText();
      out += frame({ type: "TEXT_MESSAGE_START", messageId: this.#id, role: "assistant" });
      this.#openText = index;
    }
    return out + frame({ type: "TEXT_MESSAGE_CONTENT", messageId: this.#id, delta: piece });
  }

  #endText(): string {
    if (this.#openText === -1) return "";
    this.#openText = -1;
    return frame({ type: "TEXT_MESSAGE_END", messageId: this.#id });
  }

  /** A piece of a reasoning block, in its own reasoning message (opened by the first piece). */
  #reasoning(index: number, piece: string): string {
    const part = this.#part(index, "reasoning");
    if (piece === "" || part === undefined || part.ended) return "";
    part.sent.push(piece);
    return this.#openReasoning(part) + frame({ type: "REASONING_MESSAGE_CONTENT", messageId: part.id, delta: piece });
  }

  #openReasoning(part: Part): string {
    if (part.started) return "";
    part.started = true;
    return frame({ type: "REASONING_START", messageId: part.id }) + frame({ type: "REASONING_MESSAGE_START", messageId: part.id, role: "reasoning" });
  }

  /** The part at `index`, made as `kind` if new; `undefined` when the index holds another kind. */
  #part(index: number, kind: Part["kind"]): Part | undefined {
    let part = this.#parts.get(index);
    if (part === undefined) {
      const id = kind === "reasoning" ? `${this.#id}-reasoning-${index}` : "";
      part = { kind, id, name: "", sent: [], started: false, ended: false, pending: "" };
      this.#parts.set(index, part);
    }
    return part.kind === kind ? part : undefined;
  }

  /** A tool-call slice: `TOOL_CALL_START` once its id and name are known, then its arguments. */
  #slice(index: number, fields: RawEvent): string {
    const call = this.#part(index, "tool");
    if (call === undefined || call.ended) return "";
    if (!call.id && typeof fields["id"] === "string") call.id = fields["id"];
    if (!call.name && typeof fields["name"] === "string") call.name = fields["name"];
    const args = str(fields["args"]) ?? "";
    if (args !== "") call.sent.push(args);
    if (!call.started) {
      call.pending += args;
      return call.id === "" || call.name === "" ? "" : this.#openCall(index, call);
    }
    return args === "" ? "" : frame({ type: "TOOL_CALL_ARGS", toolCallId: call.id, delta: args });
  }

  /**
   * `TOOL_CALL_START` on the assistant message, and the arguments that waited for it. A call
   * whose id an earlier call of the message had goes out as `<id>-<index>`: AG-UI knows calls
   * by id, and its client fails the run on a second call under an open one's id.
   */
  #openCall(index: number, call: Part): string {
    call.started = true;
    if (this.#callIds.has(call.id)) call.id = `${call.id}-${index}`;
    this.#callIds.add(call.id);
    let out = frame({ type: "TOOL_CALL_START", toolCallId: call.id, toolCallName: call.name, parentMessageId: this.#id });
    if (call.pending !== "") out += frame({ type: "TOOL_CALL_ARGS", toolCallId: call.id, delta: call.pending });
    call.pending = "";
    return out;
  }

  #blockFinish(index: number, content: unknown): string {
    if (!isRecord(content)) return "";
    const type = content["type"];
    if (type === "text") return this.#finishText(index, str(content["text"]) ?? "");
    if (type === "reasoning" || type === "thinking") return this.#finishReasoning(index, content);
    if (type === "tool_call" || type === "invalid_tool_call") return this.#finishCall(index, content);
    return "";
  }

  /**
   * A text block's finish: a block that had no deltas sends its whole text, one whose finished
   * text extends its deltas sends the rest (as the fold does); then its text stream ends.
   */
  #finishText(index: number, whole: string): string {
    const part = this.#part(index, "text");
    if (part === undefined || part.ended) return "";
    const out = this.#text(index, tail(part.sent, whole));
    part.ended = true;
    return this.#openText === index ? out + this.#endText() : out;
  }

  /**
   * As a text block's finish. What the provider needs back with the reasoning, a signature
   * (Anthropic's) or else an encrypted content (OpenAI's, for `store: false`), goes out as the
   * message's encrypted value, which the client keeps on it; the event's metadata names an
   * encrypted content as such, so that `fromResponse` puts it back where it was.
   */
  #finishReasoning(index: number, content: RawEvent): string {
    const part = this.#part(index, "reasoning");
    if (part === undefined || part.ended) return "";
    let out = this.#reasoning(index, tail(part.sent, str(content["reasoning"] ?? content["thinking"]) ?? ""));
    const extras = isRecord(content["extras"]) ? content["extras"] : {};
    const signature = str(extras["signature"] ?? content["signature"]);
    const encrypted = signature === undefined ? str(extras["encrypted_content"]) : undefined;
    const value = signature ?? encrypted;
    if (value !== undefined) {
      const event: RawEvent = { type: "REASONING_ENCRYPTED_VALUE", subtype: "message", entityId: part.id, encryptedValue: value };
      if (encrypted !== undefined) event["metadata"] = { extras_key: "encrypted_content" };
      out += this.#openReasoning(part) + frame(event);
    }
    return out + this.#endReasoning(part);
  }

  #endReasoning(part: Part): string {
    part.ended = true;
    if (!part.started) return "";
    return frame({ type: "REASONING_MESSAGE_END", messageId: part.id }) + frame({ type: "REASONING_END", messageId: part.id });
  }

  /**
   * A tool call's finish: one that arrived whole (or whose arguments never streamed) sends them
   * now, as JSON (an invalid call's as they came); a call with no id gets `call-<index>`.
   */
  #finishCall(index: number, content: RawEvent): string {
    const call = this.#part(index, "tool");
    if (call === undefined || call.ended) return "";
    if (!call.id) call.id = str(content["id"]) ?? "";
    if (!call.name) call.name = str(content["name"]) ?? "";
    if (call.sent.length === 0) {
      const args = content["args"];
      call.pending = typeof args === "string" ? args : JSON.stringify(args ?? {});
    }
    return this.#endCall(index, call);
  }

  #endCall(index: number, call: Part): string {
    call.ended = true;
    let out = "";
    if (!call.started) {
      if (call.id === "") call.id = `call-${index}`;
      out += this.#openCall(index, call);
    }
    return out + frame({ type: "TOOL_CALL_END", toolCallId: call.id });
  }

  /**
   * Ends everything still open, in block order (the client refuses to finish a run that has
   * open messages or calls). A tool call that never got its finish ends with the arguments
   * that streamed: the client parses them, as the fold would.
   */
  #closeAll(): string {
    let out = this.#endText();
    for (const [index, part] of [...this.#parts].sort((a, b) => a[0] - b[0])) {
      if (part.ended || part.kind === "text") continue;
      out += part.kind === "reasoning" ? this.#endReasoning(part) : this.#endCall(index, part);
    }
    return out;
  }

  /**
   * `RUN_FINISHED`: the finish reason as sent (`result.finishReason`; one in the finish metadata
   * wins, as in `response_metadata`), the usage in AG-UI's terms.
   */
  #runFinished(e: RawEvent): string {
    this.#finished = true;
    const finished: RawEvent = { type: "RUN_FINISHED", threadId: this.#threadId, runId: this.#runId };
    const metadata = isRecord(e["metadata"]) ? e["metadata"] : isRecord(e["responseMetadata"]) ? e["responseMetadata"] : {};
    const reason = str(metadata["finish_reason"]) ?? str(e["reason"]);
    if (reason !== undefined) finished["result"] = { finishReason: reason };
    const usage = this.#tokenUsage(e["usage"] ?? this.#usage);
    if (usage !== undefined) finished["usage"] = [usage];
    return frame(finished);
  }

  /**
   * A failure is `RUN_ERROR` with its message and code, what is open left open (the client
   * must not take a half-streamed call for a finished one). A Stop (`code: "aborted"`) is not a
   * failure: AG-UI's `cancelled` outcome says "stopped by whoever ran it", so the open parts end
   * and the run finishes cancelled, which tells the client that no tool call awaits an answer.
   */
  #error(e: RawEvent): string {
    if (e["code"] === "aborted") {
      const out = this.#closeAll();
      this.#finished = true;
      const finished: RawEvent = { type: "RUN_FINISHED", threadId: this.#threadId, runId: this.#runId, outcome: { type: "cancelled" } };
      const usage = this.#tokenUsage(this.#usage);
      if (usage !== undefined) finished["usage"] = [usage];
      return out + frame(finished);
    }
    this.#finished = true;
    const error: RawEvent = { type: "RUN_ERROR", message: str(e["message"]) ?? "The chat model stream failed" };
    if (typeof e["code"] === "string") error["code"] = e["code"];
    const usage = this.#tokenUsage(this.#usage);
    if (usage !== undefined) error["usage"] = [usage];
    return frame(error);
  }

  /**
   * LangChain's usage as an AG-UI `TokenUsage`. Both count cache reads and writes inside the
   * input and reasoning inside the output, so the numbers carry over unchanged.
   */
  #tokenUsage(usage: unknown): RawEvent | undefined {
    if (!isRecord(usage)) return undefined;
    const out: RawEvent = {};
    if (this.#provider !== undefined) out["provider"] = this.#provider;
    if (this.#model !== undefined) out["model"] = this.#model;
    const inDetails = isRecord(usage["input_token_details"]) ? usage["input_token_details"] : {};
    const outDetails = isRecord(usage["output_token_details"]) ? usage["output_token_details"] : {};
    count(out, "inputTokens", usage["input_tokens"]);
    count(out, "outputTokens", usage["output_tokens"]);
    count(out, "totalTokens", usage["total_tokens"]);
    count(out, "reasoningTokens", outDetails["reasoning"]);
    count(out, "cachedInputTokens", inDetails["cache_read"]);
    count(out, "cacheWriteInputTokens", inDetails["cache_creation"]);
    return out;
  }
}

/** What a finished text adds to the pieces sent: all of it if none were, the rest if it extends them. */
function tail(sent: string[], whole: string): string {
  if (sent.length === 0) return whole;
  const so = sent.join("");
  return whole.length > so.length && whole.startsWith(so) ? whole.slice(so.length) : "";
}

/** Sets a count AG-UI accepts: a safe integer ≥ 0. */
function count(out: RawEvent, key: string, value: unknown): void {
  if (Number.isSafeInteger(value) && (value as number) >= 0) out[key] = value;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function frame(event: RawEvent): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}
