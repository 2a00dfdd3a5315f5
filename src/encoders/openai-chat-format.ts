/**
 * Our stream as an OpenAI Chat Completions stream, so a Worker can front any provider as an
 * OpenAI-compatible endpoint: `chat.completion.chunk` objects as SSE `data:` lines (the first with
 * the role, then `content`, `reasoning_content` as DeepSeek and others send reasoning, `refusal`,
 * `tool_calls` numbered from 0 in order of appearance, a text block's `annotations`, and OpenRouter's
 * `reasoning_details` for reasoning signatures and encrypted reasoning), a last chunk with the `finish_reason`,
 * one with `usage` and no choices (as `stream_options.include_usage` asks), then `data: [DONE]`. A
 * failure is an `{"error": {message, type, code}}` line, as OpenAI sends one mid-stream.
 *
 * @module
 */
import { isRecord, type ProtocolEvent, type RawEvent } from "../protocol.ts";
import { finishKind, type WireFormat, type WireWriter } from "./wire.ts";

/** @internal */
export const openAIChatFormat: WireFormat = {
  contentType: "text/event-stream",
  headers: [],
  writer: (messageId) => new OpenAIChatWriter(messageId),
};

const FINISH: Record<string, string> = { stop: "stop", length: "length", "tool-calls": "tool_calls", "content-filter": "content_filter", other: "stop" };

/** A tool call being written: its number in `tool_calls`, and whether its id and name went out. */
interface Call {
  n: number;
  id: string;
  name: string;
  started: boolean;
  pending: string;
  /** Argument text went out: a call that sent none gets its whole arguments (`{}` for none) at its end. */
  sent: boolean;
}

class OpenAIChatWriter implements WireWriter {
  #id: string;
  #model = "";
  readonly #created = Math.floor(Date.now() / 1000);
  #started = false;
  #done = false;
  /** Fields every chunk carries, from the message's metadata (`system_fingerprint`, `service_tier`). */
  readonly #extra: RawEvent = {};
  readonly #calls = new Map<number, Call>();
  #usage: unknown;

  constructor(messageId?: string) {
    this.#id = messageId ?? `chatcmpl-${crypto.randomUUID()}`;
  }

  push(event: ProtocolEvent): string {
    const e = event as RawEvent;
    let out = this.#started || e["event"] === "error" ? "" : this.#start(e);
    switch (e["event"]) {
      case "content-block-start":
        return out + this.#blockStart(Number(e["index"]), e["content"]);
      case "content-block-delta":
        return out + this.#delta(Number(e["index"]), e["delta"]);
      case "content-block-finish":
        return out + this.#blockFinish(Number(e["index"]), e["content"]);
      case "usage":
        this.#usage = e["usage"];
        return out;
      case "message-finish":
        out += this.#finish(e);
        return out;
      case "error":
        return out + this.#error(e);
      default:
        return out;
    }
  }

  #start(e: RawEvent): string {
    this.#started = true;
    if (typeof e["id"] === "string" && e["id"] !== "") this.#id = e["id"];
    const metadata = isRecord(e["metadata"]) ? e["metadata"] : {};
    const model = metadata["model_name"] ?? metadata["model"];
    if (typeof model === "string") this.#model = model;
    this.#keep(metadata);
    return this.#chunk({ role: "assistant", content: "" });
  }

  /** Keeps the chunk-level fields OpenAI sends on every chunk. */
  #keep(metadata: RawEvent): void {
    for (const key of ["system_fingerprint", "service_tier"]) if (typeof metadata[key] === "string") this.#extra[key] = metadata[key];
  }

  #blockStart(index: number, content: unknown): string {
    if (!isRecord(content)) return "";
    const type = content["type"];
    if (type === "text" && typeof content["text"] === "string" && content["text"] !== "") return this.#chunk({ content: content["text"] });
    if (type === "tool_call_chunk") return this.#slice(index, content);
    // An encrypted reasoning (OpenRouter passes o-series and Grok ones on): sent back as it came.
    const value = content["value"];
    if (type === "non_standard" && isRecord(value) && value["type"] === "reasoning.encrypted") return this.#chunk({ reasoning_details: [value] });
    return "";
  }

  #delta(index: number, delta: unknown): string {
    if (!isRecord(delta)) return "";
    switch (delta["type"]) {
      case "text-delta":
        return typeof delta["text"] === "string" && delta["text"] !== "" ? this.#chunk({ content: delta["text"] }) : "";
      case "reasoning-delta":
        return typeof delta["reasoning"] === "string" && delta["reasoning"] !== "" ? this.#chunk({ reasoning_content: delta["reasoning"] }) : "";
      case "refusal-delta":
        return typeof delta["refusal"] === "string" && delta["refusal"] !== "" ? this.#chunk({ refusal: delta["refusal"] }) : "";
      case "tool_call_chunk":
      case "tool-call-delta":
        return this.#slice(index, delta);
      default:
        return "";
    }
  }

  /** A tool-call slice: the call's first chunk carries its id and name (once both are known), then arguments. */
  #slice(index: number, fields: RawEvent): string {
    let call = this.#calls.get(index);
    if (call === undefined) {
      call = { n: this.#calls.size, id: "", name: "", started: false, pending: "", sent: false };
      this.#calls.set(index, call);
    }
    if (!call.id && typeof fields["id"] === "string") call.id = fields["id"];
    if (!call.name && typeof fields["name"] === "string") call.name = fields["name"];
    const args = typeof fields["args"] === "string" ? fields["args"] : "";
    if (!call.started) {
      call.pending += args;
      if (call.id === "" || call.name === "") return "";
      return this.#open(call);
    }
    return this.#arguments(call, args);
  }

  /** Argument text of a call that went out already. */
  #arguments(call: Call, args: string): string {
    if (args === "") return "";
    call.sent = true;
    return this.#chunk({ tool_calls: [{ index: call.n, function: { arguments: args } }] });
  }

  #open(call: Call): string {
    call.started = true;
    const args = call.pending;
    call.pending = "";
    if (args !== "") call.sent = true;
    return this.#chunk({ tool_calls: [{ index: call.n, id: call.id, type: "function", function: { name: call.name, arguments: args } }] });
  }

  #blockFinish(index: number, content: unknown): string {
    if (!isRecord(content)) return "";
    const type = content["type"];
    if (type === "text") return this.#annotations(content["annotations"]);
    if (type === "reasoning") {
      // The reasoning's signature, as OpenRouter's `reasoning_details` carry it.
      const signature = isRecord(content["extras"]) ? content["extras"]["signature"] : undefined;
      return typeof signature === "string" ? this.#chunk({ reasoning_details: [{ type: "reasoning.text", signature }] }) : "";
    }
    if (type !== "tool_call" && type !== "invalid_tool_call") return "";
    const known = this.#calls.get(index);
    const args = type === "tool_call" ? JSON.stringify(content["args"] ?? {}) : typeof content["args"] === "string" ? content["args"] : "";
    // A call that went out with no argument text (a tool without parameters): its arguments now, as
    // OpenAI sends `{}`, so a client's JSON.parse of them does not fail.
    if (known?.started) return known.sent ? "" : this.#arguments(known, args);
    // A call that arrived whole, or whose id or name came only now.
    const call = known ?? { n: this.#calls.size, id: "", name: "", started: false, pending: "", sent: false };
    this.#calls.set(index, call);
    if (!call.id) call.id = typeof content["id"] === "string" && content["id"] !== "" ? content["id"] : `call_${call.n}`;
    if (!call.name) call.name = typeof content["name"] === "string" ? content["name"] : "";
    if (known === undefined || call.pending === "") call.pending = args;
    return this.#open(call);
  }

  /** A text block's citations, as the chunk `annotations` OpenAI's search models send. */
  #annotations(annotations: unknown): string {
    if (!Array.isArray(annotations) || annotations.length === 0) return "";
    const list = annotations.map((a: unknown) => {
      if (!isRecord(a)) return a;
      if (a["type"] === "non_standard_annotation") return a["value"];
      if (a["type"] !== "citation" || typeof a["url"] !== "string") return a;
      // LangChain's standard citation, as OpenAI's url_citation.
      const citation: RawEvent = { url: a["url"] };
      for (const key of ["title", "start_index", "end_index"]) if (a[key] !== undefined) citation[key] = a[key];
      return { type: "url_citation", url_citation: citation };
    });
    return this.#chunk({ annotations: list });
  }

  #finish(e: RawEvent): string {
    this.#done = true;
    if (isRecord(e["metadata"])) this.#keep(e["metadata"]);
    let out = "";
    // Calls whose id or name never came still go out, so no arguments are lost.
    for (const call of this.#calls.values()) {
      if (call.started) {
        // A call that never finished and sent no arguments: none, as the message has them.
        if (!call.sent) out += this.#arguments(call, "{}");
        continue;
      }
      if (!call.id) call.id = `call_${call.n}`;
      out += this.#open(call);
      if (!call.sent) out += this.#arguments(call, "{}");
    }
    const reason = typeof e["reason"] === "string" ? e["reason"] : undefined;
    const kind = finishKind(reason);
    const last = this.#chunkOf({}, kind === undefined ? (this.#calls.size > 0 ? "tool_calls" : "stop") : (FINISH[kind] ?? "stop"));
    // What OpenAI and Azure report about the request's moderation, on the last chunk.
    const metadata = isRecord(e["metadata"]) ? e["metadata"] : {};
    for (const key of ["prompt_filter_results", "moderation"]) if (metadata[key] !== undefined) last[key] = metadata[key];
    out += frame(last);
    const usage = e["usage"] ?? this.#usage;
    if (isRecord(usage)) out += frame({ ...this.#head(), choices: [], usage: openAIUsage(usage) });
    return out + "data: [DONE]\n\n";
  }

  #error(e: RawEvent): string {
    if (this.#done) return "";
    this.#done = true;
    const code = typeof e["code"] === "string" ? e["code"] : null;
    const message = typeof e["message"] === "string" ? e["message"] : "The chat model stream failed";
    return frame({ error: { message, type: code ?? "server_error", param: null, code } });
  }

  #head(): RawEvent {
    return { id: this.#id, object: "chat.completion.chunk", created: this.#created, model: this.#model, ...this.#extra };
  }

  #chunkOf(delta: RawEvent, finishReason: string | null = null): RawEvent {
    return { ...this.#head(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
  }

  #chunk(delta: RawEvent): string {
    return frame(this.#chunkOf(delta));
  }
}

/** Usage in OpenAI's names. */
function openAIUsage(usage: RawEvent): RawEvent {
  const input = typeof usage["input_tokens"] === "number" ? usage["input_tokens"] : 0;
  const output = typeof usage["output_tokens"] === "number" ? usage["output_tokens"] : 0;
  const out: RawEvent = {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: typeof usage["total_tokens"] === "number" ? usage["total_tokens"] : input + output,
  };
  const inDetails = isRecord(usage["input_token_details"]) ? usage["input_token_details"] : {};
  const outDetails = isRecord(usage["output_token_details"]) ? usage["output_token_details"] : {};
  const prompt: RawEvent = {};
  if (typeof inDetails["cache_read"] === "number") prompt["cached_tokens"] = inDetails["cache_read"];
  if (typeof inDetails["audio"] === "number") prompt["audio_tokens"] = inDetails["audio"];
  const completion: RawEvent = {};
  if (typeof outDetails["reasoning"] === "number") completion["reasoning_tokens"] = outDetails["reasoning"];
  if (typeof outDetails["audio"] === "number") completion["audio_tokens"] = outDetails["audio"];
  if (Object.keys(prompt).length > 0) out["prompt_tokens_details"] = prompt;
  if (Object.keys(completion).length > 0) out["completion_tokens_details"] = completion;
  return out;
}

function frame(chunk: RawEvent): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}
