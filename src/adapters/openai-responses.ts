/**
 * OpenAI Responses streams (`POST /v1/responses` with `stream: true`) as protocol events.
 *
 * Each output text part, reasoning summary part (or raw reasoning part) and function call becomes
 * one block, numbered in order of first appearance. Text and reasoning blocks carry the output
 * item's `id`; a function call's block id is its `call_id`, the id a tool result must answer.
 * Output items of other types (web search calls, image generations, …) become `non_standard`
 * blocks holding the item.
 *
 * @module
 */
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { eventTransformer, LineLimit, type DecoderOptions, type DecoderStreamOptions, type ResponseInput } from "../decoders/response-events.ts";
import type { ProtocolEvent, RawEvent, UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { count, details, isResponsesType, ProviderConverter, providerEvents, record, text, usage } from "./provider-converter.ts";

/** `response.usage`, in LangChain's names. */
function responsesUsage(raw: RawEvent): UsageMetadata {
  const input = count(raw, "input_tokens");
  const output = count(raw, "output_tokens");
  return usage(
    input,
    output,
    typeof raw["total_tokens"] === "number" ? raw["total_tokens"] : input + output,
    details({ cache_read: record(raw, "input_tokens_details")?.["cached_tokens"] }),
    details({ reasoning: record(raw, "output_tokens_details")?.["reasoning_tokens"] }),
  );
}

/** Item types that are blocks of their own, streamed part by part. */
const STREAMED_ITEMS = new Set(["message", "reasoning", "function_call"]);

class OpenAIResponsesConverter extends ProviderConverter {
  /** Block index by `<kind>:<output_index>:<part index>`. */
  readonly #keys = new Map<string, number>();

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
      case "response.output_item.added": {
        const item = record(data, "item");
        if (item?.["type"] !== "function_call") return;
        const fields: RawEvent = {};
        const id = text(item, "call_id");
        const name = text(item, "name");
        if (id !== undefined) fields["id"] = id;
        if (name !== undefined) fields["name"] = name;
        this.#open(`f:${data["output_index"]}`, "tool_call_chunk", fields, text(item, "arguments") ?? "");
        return;
      }
      case "response.content_part.added": {
        const part = record(data, "part");
        if (part?.["type"] === "output_text") this.#open(this.#part(data, "c"), "text", this.#itemId(data), text(part, "text") ?? "");
        return;
      }
      case "response.output_text.delta":
        return this.#append(this.#part(data, "c"), "text", data);
      case "response.output_text.annotation.added": {
        const fields = this.blocks.fields(this.#index(this.#part(data, "c")));
        if (fields !== undefined && data["annotation"] != null) {
          const annotations = (fields["annotations"] ??= []) as unknown[];
          annotations.push({ type: "non_standard_annotation", value: data["annotation"] });
        }
        return;
      }
      case "response.output_text.done":
      case "response.content_part.done":
        return this.blocks.finish(this.#index(this.#part(data, "c")));
      case "response.reasoning_summary_part.added":
        this.#open(this.#part(data, "s"), "reasoning", this.#itemId(data), text(record(data, "part"), "text") ?? "");
        return;
      case "response.reasoning_summary_text.delta":
        return this.#append(this.#part(data, "s"), "reasoning", data);
      case "response.reasoning_summary_text.done":
      case "response.reasoning_summary_part.done":
        return this.blocks.finish(this.#index(this.#part(data, "s")));
      case "response.reasoning_text.delta":
        return this.#append(this.#part(data, "r"), "reasoning", data);
      case "response.reasoning_text.done":
        return this.blocks.finish(this.#index(this.#part(data, "r")));
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
        const reason = text(record(response, "incomplete_details"), "reason") ?? text(response, "status") ?? (type === "response.completed" ? "completed" : "incomplete");
        return this.messageFinish(reason, raw !== undefined ? responsesUsage(raw) : undefined);
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

  #itemDone(data: RawEvent): void {
    const item = record(data, "item");
    const type = item?.["type"];
    if (type === "function_call") {
      return this.blocks.finish(this.#index(`f:${data["output_index"]}`), text(item, "arguments"));
    }
    if (item === undefined || typeof type !== "string" || STREAMED_ITEMS.has(type)) return;
    const index = this.#block(`i:${data["output_index"]}`);
    this.blocks.start(index, "non_standard", { value: item });
    this.blocks.finish(index);
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

  #open(key: string, type: string, fields: RawEvent, seed: string): void {
    const index = this.#block(key);
    if (!this.blocks.isOpen(index)) this.blocks.start(index, type, fields, seed);
  }

  #append(key: string, type: "text" | "reasoning", data: RawEvent): void {
    const index = this.#block(key);
    if (!this.blocks.isOpen(index)) this.blocks.start(index, type, this.#itemId(data));
    this.blocks.append(index, type, text(data, "delta") ?? "");
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
 * A `ChatModelStream` over an OpenAI Responses stream: output text (with annotations), reasoning
 * summaries, function calls, and usage from `response.completed`. `message-start` carries the
 * response `id`, `model_provider: "openai"` and the `model`. The finish reason is the response
 * `status` (`"completed"`), or for `response.incomplete` the `incomplete_details.reason` (such as
 * `"max_output_tokens"`).
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
