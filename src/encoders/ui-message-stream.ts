/**
 * The AI SDK's UI Message Stream protocol (v1), what `useChat` and `readUIMessageStream` read: the
 * protocol events of one message as `start`, `start-step`, `text-start` / `-delta` / `-end`,
 * `reasoning-start` / `-delta` / `-end`, `tool-input-start` / `-delta` / `-available` (or
 * `tool-input-error` for arguments that are not JSON), `source-url` for URL citations,
 * `tool-output-available` / `-error` for a `server_tool_result` of a call that went out (what
 * `fromResponse` makes of the tool outputs an AI SDK endpoint sends), the AI SDK data parts that
 * `non_standard` blocks hold (`data-*` chunks, again when a later one of the same id replaces it),
 * `finish-step` and `finish` (with the finish reason, and the usage and model in
 * `messageMetadata`), or `error` / `abort`; each as an SSE `data:` line, then `data: [DONE]`.
 *
 * @module
 */
import { parseArgs } from "../adapters/block-writer.ts";
import { INVALID_ARGS } from "../fold/tool-calls.ts";
import { isRecord, type ProtocolEvent, type RawEvent } from "../protocol.ts";
import { finishKind, type WireFormat, type WireWriter } from "./wire.ts";

/** The last frame of every UI message stream. */
const DONE = "data: [DONE]\n\n";

/** @internal The AI SDK's UI Message Stream protocol v1. */
export const uiMessageStream: WireFormat = {
  contentType: "text/event-stream",
  headers: [["x-vercel-ai-ui-message-stream", "v1"]],
  writer: (messageId) => new UIMessageFrames(messageId),
};

/** An open block, as the UI stream names it. */
interface Part {
  kind: "text" | "reasoning" | "tool";
  /** The part id (text / reasoning) or tool call id. */
  id: string;
  name: string;
  /** `tool-input-start` went out (a tool call waits for its id and name). */
  started: boolean;
  /** Argument slices that came before the start could go out. */
  pending: string;
  /** A tool call's arguments so far, for one that never gets its finish event. */
  args: string;
}

/**
 * @internal Turns protocol events into UI message chunks, one event at a time: `push` returns the
 * SSE frames the event makes (often one, sometimes none or several); a failure is an `error`
 * chunk, a Stop (`code: "aborted"`) an `abort` chunk.
 */
export class UIMessageFrames implements WireWriter {
  readonly #parts = new Map<number, Part>();
  #started = false;
  #finished = false;
  /** The message id (`start`), the model, for `messageMetadata`. */
  #model: string | undefined;
  #usage: unknown;
  readonly #messageId: string | undefined;
  #sourceCount = 0;
  /** The ids of the tool calls that went out: only their outputs may (the client fails on an unknown id). */
  readonly #callIds = new Set<string>();
  /** The blocks whose data part went out at their start. */
  readonly #dataParts = new Set<number>();

  constructor(messageId?: string) {
    this.#messageId = messageId;
  }

  /** The frames of one protocol event. */
  push(event: ProtocolEvent): string {
    const e = event as RawEvent;
    let out = "";
    if (!this.#started) out += this.#start(e);
    switch (e["event"]) {
      case "content-block-start":
        return out + this.#blockStart(Number(e["index"]), e["content"] as RawEvent);
      case "content-block-delta":
        return out + this.#delta(Number(e["index"]), e["delta"] as RawEvent);
      case "content-block-finish":
        return out + this.#blockFinish(Number(e["index"]), e["content"] as RawEvent);
      case "usage":
        this.#usage = e["usage"];
        return out;
      case "message-finish":
        return out + this.#finish(e) + DONE;
      case "error":
        return out + this.#error(typeof e["message"] === "string" ? e["message"] : "The chat model stream failed", e["code"]) + DONE;
      default:
        return out;
    }
  }

  #start(e: RawEvent): string {
    this.#started = true;
    const metadata = isRecord(e["metadata"]) ? e["metadata"] : {};
    const model = metadata["model_name"] ?? metadata["model"];
    if (typeof model === "string") this.#model = model;
    const id = typeof e["id"] === "string" && e["id"] !== "" ? e["id"] : this.#messageId;
    return frame(id !== undefined ? { type: "start", messageId: id } : { type: "start" }) + frame({ type: "start-step" });
  }

  #blockStart(index: number, content: RawEvent): string {
    if (!isRecord(content) || this.#parts.has(index)) return "";
    const type = content["type"];
    if (type === "text" || type === "reasoning" || type === "thinking") {
      const kind = type === "text" ? "text" : "reasoning";
      const part: Part = { kind, id: `${kind}-${index}`, name: "", started: true, pending: "", args: "" };
      this.#parts.set(index, part);
      const seed = kind === "text" ? content["text"] : (content["reasoning"] ?? content["thinking"]);
      let out = frame({ type: `${kind}-start`, id: part.id });
      if (typeof seed === "string" && seed !== "") out += frame({ type: `${kind}-delta`, id: part.id, delta: seed });
      return out;
    }
    if (type === "tool_call_chunk" || type === "tool_call") {
      const part: Part = { kind: "tool", id: str(content["id"]), name: str(content["name"]), started: false, pending: "", args: "" };
      this.#parts.set(index, part);
      return type === "tool_call_chunk" ? this.#toolSlice(part, "", str(content["args"])) : this.#toolStart(part);
    }
    if (type === "non_standard" && isDataPart(content["value"])) {
      this.#dataParts.add(index);
      return frame(content["value"]);
    }
    return "";
  }

  #delta(index: number, delta: RawEvent): string {
    if (!isRecord(delta)) return "";
    const type = delta["type"];
    if (type === "text-delta" || type === "reasoning-delta") {
      const kind = type === "text-delta" ? "text" : "reasoning";
      let part = this.#parts.get(index);
      let out = "";
      if (part === undefined) {
        part = { kind, id: `${kind}-${index}`, name: "", started: true, pending: "", args: "" };
        this.#parts.set(index, part);
        out = frame({ type: `${kind}-start`, id: part.id });
      }
      const piece = kind === "text" ? delta["text"] : delta["reasoning"];
      if (typeof piece !== "string" || piece === "" || part.kind !== kind) return out;
      return out + frame({ type: `${kind}-delta`, id: part.id, delta: piece });
    }
    if (type === "tool_call_chunk" || type === "tool-call-delta") {
      let part = this.#parts.get(index);
      if (part === undefined) {
        part = { kind: "tool", id: "", name: "", started: false, pending: "", args: "" };
        this.#parts.set(index, part);
      }
      if (part.kind !== "tool") return "";
      if (!part.id && typeof delta["id"] === "string") part.id = delta["id"];
      if (!part.name && typeof delta["name"] === "string") part.name = delta["name"];
      return this.#toolSlice(part, "", str(delta["args"]));
    }
    // A data part replaced by a later one of its id (the client replaces it too).
    if (type === "block-delta" && this.#dataParts.has(index) && isRecord(delta["fields"]) && isDataPart(delta["fields"]["value"])) {
      return frame(delta["fields"]["value"]);
    }
    return "";
  }

  /** A tool call's slice: `tool-input-start` once its id and name are known, then the slices. */
  #toolSlice(part: Part, out: string, args: string): string {
    part.args += args;
    if (!part.started) {
      part.pending += args;
      if (part.id === "" || part.name === "") return out;
      out += this.#toolStart(part);
      args = part.pending;
      part.pending = "";
    }
    return args === "" ? out : out + frame({ type: "tool-input-delta", toolCallId: part.id, inputTextDelta: args });
  }

  #toolStart(part: Part): string {
    part.started = true;
    return frame({ type: "tool-input-start", toolCallId: part.id, toolName: part.name });
  }

  #blockFinish(index: number, content: RawEvent): string {
    if (!isRecord(content)) return "";
    const part = this.#parts.get(index);
    this.#parts.delete(index);
    const type = content["type"];
    let out = "";
    if (type === "text" || type === "reasoning" || type === "thinking") {
      const kind = type === "text" ? "text" : "reasoning";
      if (part === undefined) {
        // A block that arrived whole.
        const whole = kind === "text" ? content["text"] : (content["reasoning"] ?? content["thinking"]);
        const id = `${kind}-${index}`;
        out += frame({ type: `${kind}-start`, id });
        if (typeof whole === "string" && whole !== "") out += frame({ type: `${kind}-delta`, id, delta: whole });
        out += frame({ type: `${kind}-end`, id });
      } else out += frame({ type: `${kind}-end`, id: part.id });
      if (kind === "text") out += this.#sources(content["annotations"]);
      return out;
    }
    if (type === "tool_call" || type === "invalid_tool_call") {
      const call: Part = part ?? { kind: "tool", id: "", name: "", started: false, pending: "", args: "" };
      if (!call.id) call.id = str(content["id"]);
      if (!call.name) call.name = str(content["name"]);
      if (!call.started) {
        if (call.id === "") call.id = `call-${index}`;
        out += this.#toolStart(call);
      }
      this.#callIds.add(call.id);
      if (type === "tool_call") return out + frame({ type: "tool-input-available", toolCallId: call.id, toolName: call.name, input: content["args"] ?? {} });
      return (
        out +
        frame({
          type: "tool-input-error",
          toolCallId: call.id,
          toolName: call.name,
          input: content["args"] ?? "",
          errorText: typeof content["error"] === "string" ? content["error"] : "Invalid tool call arguments",
        })
      );
    }
    if (type === "server_tool_result") return this.#toolOutput(content);
    if (type === "non_standard") {
      // A data part that arrived whole (one that came with its start went out then).
      if (this.#dataParts.delete(index)) return "";
      return isDataPart(content["value"]) ? frame(content["value"]) : "";
    }
    return "";
  }

  /** A tool's result, for a call that went out: its output, or its error as text. */
  #toolOutput(content: RawEvent): string {
    const id = content["tool_call_id"];
    if (typeof id !== "string" || !this.#callIds.has(id)) return "";
    const output = content["output"];
    if (content["status"] !== "error") return frame({ type: "tool-output-available", toolCallId: id, output: output ?? null });
    const errorText = typeof output === "string" ? output : output === undefined ? "The tool failed" : JSON.stringify(output);
    return frame({ type: "tool-output-error", toolCallId: id, errorText });
  }

  /** URL citations of a text block as `source-url` chunks. */
  #sources(annotations: unknown): string {
    if (!Array.isArray(annotations)) return "";
    let out = "";
    for (const a of annotations) {
      if (!isRecord(a) || typeof a["url"] !== "string") continue;
      const source: RawEvent = { type: "source-url", sourceId: `source-${this.#sourceCount++}`, url: a["url"] };
      if (typeof a["title"] === "string") source["title"] = a["title"];
      out += frame(source);
    }
    return out;
  }

  /** The open parts end, then the step and the message. */
  #finish(e: RawEvent): string {
    let out = this.#closeParts();
    this.#finished = true;
    const reason = typeof e["reason"] === "string" ? e["reason"] : undefined;
    const metadata: RawEvent = {};
    if (reason !== undefined) metadata["finishReason"] = reason;
    const usage = e["usage"] ?? this.#usage;
    if (usage !== undefined) metadata["usage"] = usage;
    if (this.#model !== undefined) metadata["model"] = this.#model;
    const finish: RawEvent = { type: "finish" };
    if (reason !== undefined) finish["finishReason"] = finishKind(reason);
    if (Object.keys(metadata).length > 0) finish["messageMetadata"] = metadata;
    out += frame({ type: "finish-step" }) + frame(finish);
    return out;
  }

  /**
   * Ends the parts still open. A tool call that never got its finish event ends as the fold ends
   * it: JSON arguments (none is `{}`) make it available, others an input error.
   */
  #closeParts(): string {
    let out = "";
    for (const [index, part] of [...this.#parts].sort((a, b) => a[0] - b[0])) {
      if (part.kind !== "tool") {
        out += frame({ type: `${part.kind}-end`, id: part.id });
        continue;
      }
      const args = parseArgs(part.args);
      out += this.#blockFinish(
        index,
        args !== undefined
          ? { type: "tool_call", id: part.id, name: part.name, args }
          : { type: "invalid_tool_call", id: part.id, name: part.name, args: part.args, error: INVALID_ARGS },
      );
    }
    this.#parts.clear();
    return out;
  }

  #error(message: string, code: unknown): string {
    if (this.#finished) return "";
    this.#finished = true;
    const out = this.#closeParts();
    if (code === "aborted") return out + frame({ type: "abort" });
    return out + frame({ type: "error", errorText: message });
  }
}

/** An AI SDK data part chunk (`data-<name>`, with its `data`), as the UI stream reader keeps it in a `non_standard` block. */
function isDataPart(value: unknown): value is RawEvent {
  return isRecord(value) && typeof value["type"] === "string" && value["type"].startsWith("data-") && "data" in value;
}

function frame(chunk: RawEvent): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}
