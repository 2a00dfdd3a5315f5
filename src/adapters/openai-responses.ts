/**
 * OpenAI Responses streams (`POST /v1/responses` with `stream: true`) as protocol events.
 *
 * Each output text part, refusal part, reasoning summary part (or raw reasoning part) and function
 * call becomes one block, numbered in order of first appearance. Text and reasoning blocks carry
 * the output item's `id`; a function call's block id is its `call_id`, the id a tool result must
 * answer (the item's own `fc_…` id is in `extras.item_id`). A reasoning item's `encrypted_content` (with `include: ["reasoning.encrypted_content"]`)
 * rides on its first reasoning block as `extras.encrypted_content`, and a reasoning item with no
 * summary still gets a block, so the item can be sent back. A refusal part is a
 * `non_standard` refusal block (and `response_metadata.refusal`), never answer text. Web search,
 * file search and code interpreter calls are a `server_tool_call` and a `server_tool_result`, as in
 * LangChain; output items of other types (image generations, MCP calls, …) become `non_standard`
 * blocks holding the item. URL and file citations are `citation` annotations.
 *
 * @module
 */
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { eventTransformer, LineLimit, type DecoderOptions, type DecoderStreamOptions, type ResponseInput } from "../decoders/response-events.ts";
import { setField, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { count, details, isResponsesType, ProviderConverter, providerEvents, record, text, usage } from "./provider-converter.ts";

/** `response.usage`, in LangChain's names. */
function responsesUsage(raw: RawEvent): UsageMetadata {
  const input = count(raw, "input_tokens");
  const output = count(raw, "output_tokens");
  const inputDetails = record(raw, "input_tokens_details");
  return usage(
    input,
    output,
    typeof raw["total_tokens"] === "number" ? raw["total_tokens"] : input + output,
    details({ cache_read: inputDetails?.["cached_tokens"], cache_creation: inputDetails?.["cache_write_tokens"] }),
    details({ reasoning: record(raw, "output_tokens_details")?.["reasoning_tokens"] }),
  );
}

/** Item types that are blocks of their own, streamed part by part. */
const STREAMED_ITEMS = new Set(["message", "reasoning", "function_call"]);

/** Built-in tool calls that are a server tool call and its result, by item type: the tool's name. */
const SERVER_TOOLS: Readonly<Record<string, string>> = {
  web_search_call: "web_search",
  file_search_call: "file_search",
  code_interpreter_call: "code_interpreter",
};

/** The item fields a server tool call's blocks take apart; any other goes to the call's `extras`. */
const SERVER_TOOL_FIELDS = new Set(["type", "id", "status", "action", "queries", "results", "code", "outputs"]);

/** A built-in tool call's arguments: the search action (less its sources), the queries, or the code. */
function serverToolArgs(item: RawEvent): RawEvent {
  const action = record(item, "action");
  if (action !== undefined) {
    const { sources: _sources, ...args } = action;
    return args;
  }
  if (Array.isArray(item["queries"])) return { queries: item["queries"] };
  if (typeof item["code"] === "string") return { code: item["code"] };
  return {};
}

/** A built-in tool call's output: the search sources, the file search results, the interpreter outputs. */
function serverToolOutput(item: RawEvent): unknown {
  const sources = record(item, "action")?.["sources"];
  if (sources != null) return { sources };
  return item["results"] ?? item["outputs"] ?? undefined;
}

/**
 * An annotation as LangChain's v1 translator gives it: URL and file citations are `citation`s (the
 * fields it has no name for in `extras`), anything else a `non_standard_annotation`.
 */
function annotation(raw: RawEvent): RawEvent {
  const type = raw["type"];
  if (type !== "url_citation" && type !== "file_citation") return { type: "non_standard_annotation", value: raw };
  const out: RawEvent = { type: "citation" };
  let extras: RawEvent | undefined;
  for (const key in raw) {
    const value = raw[key];
    if (key === "type") continue;
    if (type === "file_citation" && key === "filename") out["title"] = value;
    else if (CITATION_FIELDS.has(key) && (type === "url_citation" || key !== "url")) setField(out, key, value);
    else setField((extras ??= {}), key, value);
  }
  if (extras !== undefined) out["extras"] = extras;
  return out;
}

const CITATION_FIELDS = new Set(["url", "title", "cited_text", "start_index", "end_index"]);

class OpenAIResponsesConverter extends ProviderConverter {
  /** Block index by `<kind>:<output_index>:<part index>`. */
  readonly #keys = new Map<string, number>();
  /**
   * Per reasoning item not yet done (by output index): its first block, left open until
   * `response.output_item.done` brings the item's final `encrypted_content` to put on it (the
   * `output_item.added` copy is an earlier one). `-1` while the item has no block yet.
   */
  readonly #reasoning = new Map<unknown, number>();

  constructor(limit: LineLimit) {
    super("an OpenAI Responses stream", limit);
  }

  protected recognizes(data: RawEvent, message: ServerSentEvent): boolean {
    return isResponsesType(data["type"] ?? message.event);
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    const data = this.json(message, position, "OpenAI Responses");
    const type = typeof data["type"] === "string" ? data["type"] : message.event;
    switch (type) {
      case "response.created": {
        const response = record(data, "response");
        if (!this.started) this.messageStart(response?.["id"], "openai", response?.["model"]);
        return;
      }
      case "response.output_item.added":
        return this.#itemAdded(data);
      case "response.content_part.added": {
        const part = record(data, "part");
        if (part?.["type"] === "output_text") this.#open(this.#part(data, "c"), "text", this.#itemId(data), text(part, "text") ?? "");
        else if (part?.["type"] === "refusal") this.#refuse(data, text(part, "refusal") ?? "");
        return;
      }
      case "response.output_text.delta":
        return this.#append(this.#part(data, "c"), "text", data);
      case "response.output_text.annotation.added": {
        const fields = this.blocks.fields(this.#index(this.#part(data, "c")));
        const added = record(data, "annotation");
        if (fields !== undefined && added !== undefined) ((fields["annotations"] ??= []) as unknown[]).push(annotation(added));
        return;
      }
      case "response.output_text.done":
      case "response.content_part.done":
        return this.blocks.finish(this.#index(this.#part(data, "c")));
      case "response.refusal.delta":
        return this.#refuse(data, text(data, "delta") ?? "");
      case "response.refusal.done": {
        // The whole refusal, for a stream that sent it without deltas.
        const key = this.#part(data, "c");
        if (this.#index(key) < 0) this.#refuse(data, text(data, "refusal") ?? "");
        return this.blocks.finish(this.#index(key));
      }
      case "response.reasoning_summary_part.added":
        this.#open(this.#part(data, "s"), "reasoning", this.#itemId(data), text(record(data, "part"), "text") ?? "", data);
        return;
      case "response.reasoning_summary_text.delta":
        return this.#append(this.#part(data, "s"), "reasoning", data);
      case "response.reasoning_summary_text.done":
      case "response.reasoning_summary_part.done":
        return this.#finishReasoning(data, this.#part(data, "s"));
      case "response.reasoning_text.delta":
        return this.#append(this.#part(data, "r"), "reasoning", data);
      case "response.reasoning_text.done":
        return this.#finishReasoning(data, this.#part(data, "r"));
      case "response.function_call_arguments.delta": {
        const index = this.#index(`f:${data["output_index"]}`);
        if (index >= 0) this.blocks.slice(index, text(data, "delta") ?? "");
        return;
      }
      case "response.function_call_arguments.done":
        return this.blocks.finish(this.#index(`f:${data["output_index"]}`), text(data, "arguments"));
      case "response.output_item.done":
        return this.#itemDone(data);
      case "response.completed":
      case "response.incomplete": {
        const response = record(data, "response");
        const raw = record(response, "usage");
        const incomplete = record(response, "incomplete_details");
        const reason = text(incomplete, "reason") ?? text(response, "status") ?? (type === "response.completed" ? "completed" : "incomplete");
        return this.messageFinish(reason, raw !== undefined ? responsesUsage(raw) : undefined, incomplete !== undefined ? { incomplete_details: incomplete } : undefined);
      }
      case "response.failed": {
        const response = record(data, "response");
        return this.error(record(response, "error") ?? { message: "The response failed", code: "failed" });
      }
      case "error":
        return this.error(record(data, "error") ?? data);
      default:
        return; // progress events (in_progress, searching, …) carry nothing for the message
    }
  }

  protected onCutOff(): void {
    this.messageFinish(undefined, undefined);
  }

  #itemAdded(data: RawEvent): void {
    const item = record(data, "item");
    const type = item?.["type"];
    if (item === undefined) return;
    if (type === "reasoning") {
      if (!this.#reasoning.has(data["output_index"])) this.#reasoning.set(data["output_index"], -1);
      return;
    }
    if (type === "function_call") {
      const fields: RawEvent = {};
      const id = text(item, "call_id");
      const name = text(item, "name");
      if (id !== undefined) fields["id"] = id;
      if (name !== undefined) fields["name"] = name;
      // The item's own id (`fc_…`), which LangChain keeps to send the call back as the same item.
      const itemId = text(item, "id");
      if (itemId !== undefined) fields["extras"] = { item_id: itemId };
      this.#open(`f:${data["output_index"]}`, "tool_call_chunk", fields, text(item, "arguments") ?? "");
      return;
    }
    // A built-in tool call shows as soon as it starts; its arguments and result come with its done.
    const name = typeof type === "string" ? SERVER_TOOLS[type] : undefined;
    if (name !== undefined) this.#open(`i:${data["output_index"]}`, "server_tool_call", this.#serverToolCall(item, name), "");
  }

  #itemDone(data: RawEvent): void {
    const item = record(data, "item");
    const type = item?.["type"];
    if (item === undefined || typeof type !== "string") return;
    if (type === "function_call") return this.blocks.finish(this.#index(`f:${data["output_index"]}`), text(item, "arguments"));
    if (type === "reasoning") return this.#reasoningDone(data, item);
    if (STREAMED_ITEMS.has(type)) return;
    const name = SERVER_TOOLS[type];
    if (name !== undefined) return this.#serverTool(data, item, name);
    const index = this.#block(`i:${data["output_index"]}`);
    this.blocks.start(index, "non_standard", { value: item });
    this.blocks.finish(index);
  }

  /**
   * A reasoning item is done: its first block (opened now, empty, if the item had no summary and
   * no text) takes the item's `encrypted_content` and finishes.
   */
  #reasoningDone(data: RawEvent, item: RawEvent): void {
    const outputIndex = data["output_index"];
    let first = this.#reasoning.get(outputIndex) ?? -1;
    this.#reasoning.delete(outputIndex);
    if (first >= 0 && !this.blocks.isOpen(first)) return; // a second done for the item
    if (first < 0) {
      // Blocks of an item never announced by `output_item.added` finished with their parts.
      if (this.#keys.has(`s:${outputIndex}:0`) || this.#keys.has(`r:${outputIndex}:0`)) return;
      first = this.#block(`s:${outputIndex}:0`);
      const id = text(item, "id");
      this.blocks.start(first, "reasoning", id !== undefined ? { id } : {});
    }
    const encrypted = text(item, "encrypted_content");
    const fields = this.blocks.fields(first);
    if (fields !== undefined && encrypted !== undefined) ((fields["extras"] ??= {}) as RawEvent)["encrypted_content"] = encrypted;
    this.blocks.finish(first);
  }

  /** A reasoning part is done: finished, unless it is its item's first block (see `#reasoning`). */
  #finishReasoning(data: RawEvent, key: string): void {
    const index = this.#index(key);
    if (index >= 0 && this.#reasoning.get(data["output_index"]) === index) return;
    this.blocks.finish(index);
  }

  /** A web search, file search or code interpreter call, done: the call's block, then its result's. */
  #serverTool(data: RawEvent, item: RawEvent, name: string): void {
    const index = this.#block(`i:${data["output_index"]}`);
    const call = this.#serverToolCall(item, name);
    if (this.blocks.isOpen(index)) Object.assign(this.blocks.fields(index)!, call);
    else this.blocks.start(index, "server_tool_call", call);
    this.blocks.finish(index);

    const result: RawEvent = { tool_call_id: call["id"] };
    const status = item["status"];
    if (status === "completed") result["status"] = "success";
    else if (status === "failed") result["status"] = "error";
    else if (typeof status === "string") result["extras"] = { status };
    const output = serverToolOutput(item);
    if (output !== undefined) result["output"] = output;
    const after = this.#block(`o:${data["output_index"]}`);
    this.blocks.start(after, "server_tool_result", result);
    this.blocks.finish(after);
  }

  #serverToolCall(item: RawEvent, name: string): RawEvent {
    const call: RawEvent = { id: item["id"] ?? "", name, args: serverToolArgs(item) };
    let extras: RawEvent | undefined;
    for (const key in item) if (!SERVER_TOOL_FIELDS.has(key) && item[key] != null) setField((extras ??= {}), key, item[key]);
    if (extras !== undefined) call["extras"] = extras;
    return call;
  }

  /** Refusal text of a message's content part: its own block (from its first text on), never answer text. */
  #refuse(data: RawEvent, piece: string): void {
    if (piece !== "") this.blocks.refuse(this.#block(this.#part(data, "c")), piece);
  }

  /** The block index of a key, allocated on first use; starts the message if nothing did. */
  #block(key: string): number {
    let index = this.#keys.get(key);
    if (index === undefined) {
      if (!this.started) this.messageStart(undefined, "openai", undefined);
      index = this.blocks.allocate();
      this.#keys.set(key, index);
    }
    return index;
  }

  /** The block index of a key already seen, else -1 (a finish for nothing is ignored). */
  #index(key: string): number {
    return this.#keys.get(key) ?? -1;
  }

  #part(data: RawEvent, kind: string): string {
    const part = kind === "s" ? data["summary_index"] : data["content_index"];
    return `${kind}:${data["output_index"]}:${part}`;
  }

  #itemId(data: RawEvent): RawEvent {
    const id = text(data, "item_id");
    return id !== undefined ? { id } : {};
  }

  /** Opens the block of a key once; `data`, for a reasoning part, says whose item it is. */
  #open(key: string, type: string, fields: RawEvent, seed: string, data?: RawEvent): void {
    const index = this.#block(key);
    if (this.blocks.isOpen(index)) return;
    this.blocks.start(index, type, fields, seed);
    if (data !== undefined) this.#firstReasoning(data, index);
  }

  #append(key: string, type: "text" | "reasoning", data: RawEvent): void {
    const index = this.#block(key);
    if (!this.blocks.isOpen(index)) {
      this.blocks.start(index, type, this.#itemId(data));
      if (type === "reasoning") this.#firstReasoning(data, index);
    }
    this.blocks.append(index, type, text(data, "delta") ?? "");
  }

  /** Notes a reasoning block as its item's first, if the item is known and has none yet. */
  #firstReasoning(data: RawEvent, index: number): void {
    if (this.#reasoning.get(data["output_index"]) === -1) this.#reasoning.set(data["output_index"], index);
  }
}

/**
 * The bytes of an OpenAI Responses stream in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * const response = await fetch("https://api.openai.com/v1/responses", init);
 * const events = response.body!.pipeThrough(new OpenAIResponsesDecoderStream());
 * ```
 *
 * Cancellation and errors: after `response.completed`, `response.incomplete`, `response.failed`
 * or `error` the stream terminates, which (through `pipeThrough`) cancels the body. The last two
 * become an `error` event with the provider's message and code. Data that is not a JSON object
 * errors the stream with a `TypeError` naming the message's position, and so does another
 * provider's stream; a line over `maxLineBytes` (8 MiB unless set) errors it with a `RangeError`.
 * Errors go to the readable side, never thrown from `transform` (workerd reports that as
 * unhandled). Input that ends early gets the block and message finishes it was owed, with what
 * arrived.
 */
export class OpenAIResponsesDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new OpenAIResponsesConverter(new LineLimit(options))));
  }
}

/**
 * A `ChatModelStream` over an OpenAI Responses stream: output text (with citations), refusals,
 * reasoning summaries and raw reasoning (each reasoning item keeping its `id` and
 * `encrypted_content`, to be sent back with `store: false`), function calls, web search, file
 * search and code interpreter calls with their results, and usage from `response.completed`.
 * `message-start` carries the response `id`, `model_provider: "openai"` and the `model`. The
 * finish reason is the response `status` (`"completed"`), or for `response.incomplete` the
 * `incomplete_details.reason` (such as `"max_output_tokens"`), with `incomplete_details` itself
 * in `response_metadata`.
 *
 * @example
 * ```ts
 * const response = await fetch("https://api.openai.com/v1/responses", {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${env.OPENAI_API_KEY}`, "content-type": "application/json" },
 *   body: JSON.stringify({ model: "o4-mini", input: prompt, reasoning: { summary: "auto" }, stream: true }),
 * });
 * const message = await fromOpenAIResponses(response).output;
 * ```
 *
 * Cancellation and errors: lazy (the body is read only when something consumes); cancelling the
 * stream cancels the body. A non-OK response fails it with an `HTTPError`; a JSON response (a
 * request without `stream: true`) with a `TypeError` saying so, and any other response that is not
 * an event stream (HTML, plain text) with a `TypeError` naming its content type; another
 * provider's stream with a `TypeError` saying whose it looks like; a line longer than
 * `maxLineBytes` (8 MiB unless set, or `maxBytes` when smaller) with a `RangeError`;
 * `response.failed` and `error` with an `Error` carrying the provider's message and code; data
 * that is not JSON with a `TypeError` naming the position. A stream cut off before its terminal event ends with a finish
 * built from what arrived (no reason, no usage).
 */
export function fromOpenAIResponses(input: ResponseInput, options?: DecoderOptions): ChatModelStream {
  return fromOpener(
    providerEvents(input, options, (limit) => new OpenAIResponsesConverter(limit)),
    options,
  );
}
