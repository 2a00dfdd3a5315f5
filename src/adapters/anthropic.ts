/**
 * Anthropic Messages streams (`POST /v1/messages` with `stream: true`) as protocol events.
 *
 * Block indices are Anthropic's own. `text` is a text block, `thinking` a reasoning block (its
 * signature, needed to send the block back, in `extras.signature`), `tool_use` a tool call, any
 * other `*_tool_use` block (`server_tool_use`, `mcp_tool_use`, …) a server tool call (its other
 * fields, such as an MCP call's `server_name`, in `extras`), a `*_tool_result` block a
 * `server_tool_result`, and any other block (`redacted_thinking`, `compaction`, …) a
 * `non_standard` block holding it (a compaction's streamed `content` included).
 *
 * @module
 */
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { eventTransformer, LineLimit, type DecoderOptions, type DecoderStreamOptions, type ResponseInput } from "../decoders/response-events.ts";
import { isRecord, setField, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { count, details, isAnthropicType, ProviderConverter, providerEvents, record, text, usage } from "./provider-converter.ts";

/**
 * Anthropic's counts in LangChain's names: `input_tokens` there excludes the cache, so here it
 * adds cache reads and writes, which also go to `input_token_details`. Thinking tokens, which
 * newer models count apart in `output_tokens_details`, are LangChain's `reasoning` output detail.
 */
function anthropicUsage(raw: RawEvent): UsageMetadata {
  const cacheRead = raw["cache_read_input_tokens"];
  const cacheCreation = raw["cache_creation_input_tokens"];
  const input = count(raw, "input_tokens") + count(raw, "cache_read_input_tokens") + count(raw, "cache_creation_input_tokens");
  const output = count(raw, "output_tokens");
  const thinking = record(raw, "output_tokens_details")?.["thinking_tokens"];
  return usage(input, output, input + output, details({ cache_read: cacheRead, cache_creation: cacheCreation }), details({ reasoning: thinking }));
}

/**
 * What a `message_delta` says besides usage and stop reason that a caller needs to act on, for
 * the finish metadata: the code-execution `container` (its id is how the next request reuses
 * it) and `context_management` (the edits the API applied to the context). The billed
 * `server_tool_use` counts (web searches and fetches) join them from the usage.
 */
const FINISH_KEYS = ["container", "context_management"] as const;

class AnthropicConverter extends ProviderConverter {
  /** The raw usage so far: `message_start`'s, updated by each `message_delta` (whose counts are cumulative). */
  #raw: RawEvent = {};
  #reason: string | undefined = undefined;
  #stopSequence: string | undefined = undefined;
  /** `container` and `context_management` as the last `message_delta` sent them. */
  #finishExtras: RawEvent = {};
  /**
   * The open blocks whose `input_json_delta` slices are tool arguments. A slice for any other
   * block (a type this version maps to `non_standard`) would otherwise become a stray `args`
   * field that each slice overwrites.
   */
  readonly #tools = new Set<number>();

  constructor(limit: LineLimit) {
    super("an Anthropic Messages stream", limit);
  }

  protected recognizes(data: RawEvent, message: ServerSentEvent): boolean {
    return isAnthropicType(data["type"] ?? message.event);
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    const data = this.json(message, position, "Anthropic");
    const type = typeof data["type"] === "string" ? data["type"] : message.event;
    switch (type) {
      case "message_start": {
        const start = record(data, "message");
        if (this.started) return;
        this.messageStart(start?.["id"], "anthropic", start?.["model"]);
        const raw = record(start, "usage");
        if (raw !== undefined) {
          this.#raw = { ...raw };
          this.out.push({ event: "usage", usage: anthropicUsage(this.#raw) });
        }
        return;
      }
      case "content_block_start":
        return this.#blockStart(data);
      case "content_block_delta":
        return this.#blockDelta(data);
      case "content_block_stop": {
        const index = indexOf(data);
        this.#tools.delete(index);
        return this.blocks.finish(index);
      }
      case "message_delta": {
        const delta = record(data, "delta");
        const reason = text(delta, "stop_reason");
        if (reason !== undefined) this.#reason = reason;
        const stop = text(delta, "stop_sequence");
        if (stop !== undefined) this.#stopSequence = stop;
        for (const key of FINISH_KEYS) {
          const value = delta?.[key] ?? data[key];
          if (value != null) this.#finishExtras[key] = value;
        }
        const raw = record(data, "usage");
        if (raw !== undefined) for (const key in raw) if (raw[key] != null) setField(this.#raw, key, raw[key]);
        return;
      }
      case "message_stop":
        return this.#finish();
      case "error":
        return this.error(record(data, "error") ?? data);
      default:
        return; // ping, and event types this version does not know
    }
  }

  protected onCutOff(): void {
    this.#finish();
  }

  #blockStart(data: RawEvent): void {
    const index = indexOf(data);
    const block = record(data, "content_block");
    if (index < 0 || block === undefined) return;
    if (!this.started) this.messageStart(undefined, "anthropic", undefined);
    const type = block["type"];
    switch (type) {
      case "text":
        return this.blocks.start(index, "text", {}, text(block, "text") ?? "");
      case "thinking":
        this.blocks.start(index, "reasoning", {}, text(block, "thinking") ?? "");
        return this.#sign(index, text(block, "signature"));
      case "compaction":
        // A copy: its `content` streams in `compaction_delta`s, and the start event keeps the block as it began.
        return this.blocks.start(index, "non_standard", { value: { ...block } });
      default: {
        if (typeof type === "string" && (type === "tool_use" || type.endsWith("_tool_use"))) return this.#toolStart(index, type, block);
        if (typeof type === "string" && type.endsWith("_tool_result")) {
          const content = block["content"];
          // Server tools say so in the content's type (`…_tool_result_error`), MCP tools in `is_error`.
          const failed = block["is_error"] === true || (isRecord(content) && typeof content["type"] === "string" && content["type"].endsWith("_error"));
          const fields: RawEvent = { tool_call_id: block["tool_use_id"], status: failed ? "error" : "success", output: content };
          return this.blocks.start(index, "server_tool_result", fields);
        }
        return this.blocks.start(index, "non_standard", { value: block });
      }
    }
  }

  /**
   * `tool_use` is the caller's tool, every other `*_tool_use` one the API runs (its own tools,
   * and an MCP connector's); all stream their input as JSON text in `input_json_delta`s.
   */
  #toolStart(index: number, type: string, block: RawEvent): void {
    const fields: RawEvent = {};
    const id = text(block, "id");
    const name = text(block, "name");
    if (id !== undefined) fields["id"] = id;
    if (name !== undefined) fields["name"] = name;
    if (type !== "tool_use") {
      let extras: RawEvent | undefined;
      for (const key in block) {
        if (key !== "type" && key !== "id" && key !== "name" && key !== "input" && block[key] != null) setField((extras ??= {}), key, block[key]);
      }
      if (extras !== undefined) fields["extras"] = extras;
    }
    // A block that starts with a whole input has it as its first slice.
    const input = block["input"];
    const seed = isRecord(input) && Object.keys(input).length > 0 ? JSON.stringify(input) : "";
    this.#tools.add(index);
    this.blocks.start(index, type === "tool_use" ? "tool_call_chunk" : "server_tool_call_chunk", fields, seed);
  }

  #blockDelta(data: RawEvent): void {
    const index = indexOf(data);
    const delta = record(data, "delta");
    if (index < 0 || delta === undefined) return;
    switch (delta["type"]) {
      case "text_delta":
        return this.blocks.append(index, "text", text(delta, "text") ?? "");
      case "thinking_delta":
        return this.blocks.append(index, "reasoning", text(delta, "thinking") ?? "");
      case "input_json_delta":
        if (this.#tools.has(index)) this.blocks.slice(index, text(delta, "partial_json") ?? "");
        return;
      case "compaction_delta":
        return this.#compact(index, text(delta, "content"));
      case "signature_delta":
        return this.#sign(index, text(delta, "signature"));
      case "citations_delta": {
        const fields = this.blocks.fields(index);
        if (fields !== undefined && delta["citation"] != null) {
          const annotations = (fields["annotations"] ??= []) as unknown[];
          annotations.push({ type: "non_standard_annotation", value: delta["citation"] });
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * A compaction summary's text joins into the block's `content`; raw-event readers get the
   * block so far as a `block-delta`, so a partial message keeps what arrived.
   */
  #compact(index: number, piece: string | undefined): void {
    const fields = this.blocks.fields(index);
    const value = fields?.["value"];
    if (fields === undefined || piece === undefined || !isRecord(value) || value["type"] !== "compaction") return;
    const before = value["content"];
    const next = { ...value, content: typeof before === "string" ? before + piece : piece };
    fields["value"] = next;
    this.out.push({ event: "content-block-delta", index, delta: { type: "block-delta", fields: { value: next } } });
  }

  /** Signatures arrive whole in one `signature_delta`; should one come in pieces, they join. */
  #sign(index: number, signature: string | undefined): void {
    const fields = this.blocks.fields(index);
    if (fields === undefined || signature === undefined) return;
    const extras = (fields["extras"] ??= {}) as RawEvent;
    extras["signature"] = typeof extras["signature"] === "string" ? extras["signature"] + signature : signature;
  }

  #finish(): void {
    const usage = Object.keys(this.#raw).length > 0 ? anthropicUsage(this.#raw) : undefined;
    const metadata: RawEvent = {};
    if (this.#stopSequence !== undefined) metadata["stop_sequence"] = this.#stopSequence;
    Object.assign(metadata, this.#finishExtras);
    const serverTools = record(this.#raw, "server_tool_use");
    if (serverTools !== undefined) metadata["server_tool_use"] = serverTools;
    this.messageFinish(this.#reason, usage, metadata);
  }
}

function indexOf(data: RawEvent): number {
  const index = data["index"];
  return typeof index === "number" && Number.isInteger(index) && index >= 0 ? index : -1;
}

/**
 * The bytes of an Anthropic Messages stream in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * const response = await fetch("https://api.anthropic.com/v1/messages", init);
 * const events = response.body!.pipeThrough(new AnthropicDecoderStream());
 * ```
 *
 * Cancellation and errors: after `message_stop` or `error` the stream terminates, which (through
 * `pipeThrough`) cancels the body. An `error` event becomes an `error` protocol event (its
 * `message`, and its `type` as `code`, such as `"overloaded_error"`). Data that is not a JSON
 * object errors the stream with a `TypeError` naming the message's position, and so does another
 * provider's stream; a line over `maxLineBytes` (8 MiB unless set) errors it with a `RangeError`.
 * Errors go to the readable side, never thrown from `transform` (workerd reports that as
 * unhandled). Input that ends without `message_stop` gets the block and message finishes it was
 * owed, with what arrived. Block indices may be any integer ≥ 0 (open blocks are kept by index in
 * a map, so an index of 4294967294 costs what index 0 does).
 */
export class AnthropicDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new AnthropicConverter(new LineLimit(options))));
  }
}

/**
 * A `ChatModelStream` over an Anthropic Messages stream: text, extended thinking (with its
 * signature), tool use (parallel calls included), server tool use and results, `stop_reason`
 * and usage. `message-start` carries the message `id`, `model_provider: "anthropic"` and the
 * `model`, followed by a `usage` snapshot of the input tokens (so an aborted stream's `partial`
 * still says what the prompt cost). The finish reason is `stop_reason` as sent (`"end_turn"`,
 * `"tool_use"`, `"pause_turn"`, `"max_tokens"`, …); a `stop_sequence`, the code-execution
 * `container`, `context_management` and the `server_tool_use` counts, when sent, go to the
 * finish metadata. MCP connector calls (`mcp_tool_use`) are server tool calls with the MCP
 * server's name in `extras.server_name`.
 *
 * @example
 * ```ts
 * const response = await fetch("https://api.anthropic.com/v1/messages", {
 *   method: "POST",
 *   headers: { "x-api-key": env.ANTHROPIC_API_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" },
 *   body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 1024, messages: [{ role: "user", content: prompt }], stream: true }),
 *   signal: request.signal,
 * });
 * const stream = fromAnthropic(response, { signal: request.signal });
 * ```
 *
 * Cancellation and errors: lazy (the body is read only when something consumes); cancelling the
 * stream cancels the body. A non-OK response fails it with an `HTTPError` (`status`, `headers`,
 * the provider's `message`, its error `type` as `code`); a JSON response (a request without
 * `stream: true`) with a `TypeError` saying so, and any other response that is not an event stream
 * (HTML, plain text) with a `TypeError` naming its content type; another provider's stream with a
 * `TypeError` saying whose it looks like; a line longer than `maxLineBytes` (8 MiB unless set, or
 * `maxBytes` when smaller) with a `RangeError`; an `error` event (such as `overloaded_error`) with
 * an `Error` carrying its message and code; data that is not JSON with a `TypeError` naming the
 * position. A stream cut off before `message_stop` ends with a finish built from what arrived.
 */
export function fromAnthropic(input: ResponseInput, options?: DecoderOptions): ChatModelStream {
  return fromOpener(
    providerEvents(input, options, (limit) => new AnthropicConverter(limit)),
    options,
  );
}
