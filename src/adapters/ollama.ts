/**
 * Ollama streams (`POST /api/chat`, and `/api/generate`, with `stream: true`: one JSON object per
 * line, `application/x-ndjson`) as protocol events.
 *
 * Each line carries a piece of the message and `done: false`; the last one `done: true` with the
 * counts. `message.thinking` (or `thinking`) is a reasoning block, `message.content` (or
 * `response`) a text block, each opened where it first appears; every entry of
 * `message.tool_calls` arrives whole (`arguments` an object) and is a tool call of its own block,
 * finished at once, with the provider's `id` or, when it sends none, `<message id>_<n>`. There is
 * no message id on the wire: the message's is `ollama-<created_at of the first line>`, the same at
 * every read of the same bytes. `done_reason` is the finish reason; `prompt_eval_count` and
 * `eval_count` are the input and output tokens; `created_at`, the durations (nanoseconds) and
 * `/api/generate`'s `context` of the last line go to the finish metadata. A `{"error": "…"}` line, first or mid-stream, is an
 * `error` event with that message.
 *
 * @module
 */
import { coded } from "../errors.ts";
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import {
  eventTransformer,
  isJSONType,
  JSONLinesConverter,
  LineLimit,
  mediaType,
  parseJSON,
  responseEvents,
  type DecoderOptions,
  type DecoderStreamOptions,
  type EventConverter,
  type ResponseInput,
} from "../decoders/response-events.ts";
import { isRecord, type ProtocolEvent, type RawEvent } from "../protocol.ts";
import { BlockWriter } from "./block-writer.ts";
import { eventStreamError, isOllamaChunk, providerStream, record, text, usage } from "./provider-converter.ts";

const KIND = "an Ollama chat stream";
/** The fields of a server-sent event line, which another provider's stream starts with. */
const SSE_FIELD = /^(?:data|event|id|retry)?:/;

class OllamaConverter extends JSONLinesConverter {
  readonly #blocks: BlockWriter = new BlockWriter(this.out);
  /** The response's media type, for the error that says a JSON body is not Ollama's. */
  readonly #contentType: string;
  #id = "";
  #started = false;
  #reasoning = -1;
  #text = -1;
  /** Tool calls so far, for the ids of those that come without one. */
  #calls = 0;
  /** No text arrived yet: the first is checked for the binary framing of an AWS event stream. */
  #first = true;
  /** While the first lines are another provider's SSE: the `event:` name seen, for the error. */
  #eventName: string | undefined = undefined;

  constructor(limit: LineLimit, contentType: string) {
    super(limit);
    this.#contentType = contentType;
  }

  override write(text: string): void {
    if (this.#first && text !== "") {
      this.#first = false;
      if (text.charCodeAt(0) === 0) throw eventStreamError(KIND);
    }
    super.write(text);
  }

  protected onLine(line: string, position: number): void {
    if (!this.#started && SSE_FIELD.test(line.trimStart())) return this.#sse(line.trimStart());
    const data = parseJSON(line, "Ollama line", position);
    if (!isRecord(data)) throw coded(new TypeError(`Invalid Ollama line at position ${position}: expected a JSON object`), "bad_input");
    if (data["error"] != null) return this.#error(data["error"]);
    if (!this.#started) this.#start(data);
    const message = record(data, "message") ?? data;
    const thinking = text(message, "thinking");
    if (thinking !== undefined) {
      if (this.#reasoning < 0) this.#reasoning = this.#blocks.allocate();
      this.#blocks.append(this.#reasoning, "reasoning", thinking);
    }
    const content = text(message, message === data ? "response" : "content");
    if (content !== undefined) {
      if (this.#text < 0) this.#text = this.#blocks.allocate();
      this.#blocks.append(this.#text, "text", content);
    }
    const calls = message["tool_calls"];
    if (Array.isArray(calls)) for (const call of calls) this.#toolCall(call);
    if (data["done"] === true) this.#finish(data);
  }

  override end(): void {
    super.end();
    if (!this.done && this.#started) this.#finish(undefined);
  }

  /** The first line must be Ollama's: another provider's stream would otherwise pass as an empty message. */
  #start(data: RawEvent): void {
    if (!isOllamaChunk(data)) {
      const kind = isJSONType(this.#contentType)
        ? `${this.#contentType} that is not an Ollama reply (no "done" and "message")`
        : (providerStream(data, undefined) ?? "a stream of another kind");
      throw coded(new TypeError(`Expected ${KIND}, got ${kind}`), "bad_input");
    }
    this.#started = true;
    const created = text(data, "created_at");
    const metadata: RawEvent = { model_provider: "ollama" };
    const model = text(data, "model");
    if (model !== undefined) metadata["model_name"] = model;
    this.#id = `ollama-${created ?? "message"}`;
    this.out.push({ event: "message-start", role: "ai", id: this.#id, metadata });
  }

  /** A line of server-sent events before any of Ollama's: another provider's stream, named by its first data. */
  #sse(line: string): void {
    const colon = line.indexOf(":");
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") this.#eventName = value.trim();
    if (field !== "data") return;
    const data = parseJSON(value, "Ollama line", 0);
    const kind = isRecord(data) ? providerStream(data, this.#eventName) : undefined;
    throw coded(new TypeError(`Expected ${KIND}, got ${kind ?? "server-sent events of another kind"}`), "bad_input");
  }

  /** A whole tool call: its block opens with the arguments as JSON and finishes at once. */
  #toolCall(call: unknown): void {
    const fn = record(call, "function");
    if (fn === undefined) return;
    const n = this.#calls++;
    const args = fn["arguments"];
    const raw = typeof args === "string" ? args : args == null ? "" : JSON.stringify(args);
    const index = this.#blocks.allocate();
    const fields: RawEvent = { id: text(call, "id") ?? `${this.#id}_${n}` };
    const name = text(fn, "name");
    if (name !== undefined) fields["name"] = name;
    this.#blocks.start(index, "tool_call_chunk", fields, raw);
    this.#blocks.finish(index);
  }

  #finish(data: RawEvent | undefined): void {
    this.#blocks.finishAll();
    const finish: RawEvent = { event: "message-finish" };
    if (data !== undefined) {
      const reason = text(data, "done_reason");
      if (reason !== undefined) finish["reason"] = reason;
      const input = data["prompt_eval_count"];
      const output = data["eval_count"];
      if (typeof input === "number" || typeof output === "number") {
        const i = typeof input === "number" ? input : 0;
        const o = typeof output === "number" ? output : 0;
        finish["usage"] = usage(i, o, i + o, undefined, undefined);
      }
      const metadata: RawEvent = {};
      const created = text(data, "created_at");
      if (created !== undefined) metadata["created_at"] = created;
      for (const key of DURATIONS) if (typeof data[key] === "number") metadata[key] = data[key];
      // /api/generate's conversation state: the next request sends it back to continue.
      if (Array.isArray(data["context"])) metadata["context"] = data["context"];
      if (Object.keys(metadata).length > 0) finish["metadata"] = metadata;
    }
    this.out.push(finish as ProtocolEvent);
    this.done = true;
  }

  #error(error: unknown): void {
    const body = isRecord(error) ? error : {};
    const message = typeof error === "string" ? error : typeof body["message"] === "string" ? body["message"] : "Ollama reported an error";
    const code = typeof body["code"] === "string" ? body["code"] : undefined;
    this.out.push({ event: "error", message, ...(code !== undefined ? { code } : {}) });
    this.done = true;
  }
}

const DURATIONS = ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"] as const;

const NDJSON_TYPES = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"]);

/**
 * The converter for a response's content type. Ollama sends `application/x-ndjson`, but Ollama's
 * cloud labels the same lines `application/json`, and a request without `stream: true` gets one
 * JSON object that is a whole `done` line: both read as JSON lines. HTML, plain text and other
 * types are refused (a proxy's page would otherwise look like an empty message).
 */
function converterFor(contentType: string | null, limit: LineLimit): EventConverter {
  const type = mediaType(contentType);
  if (type === "" || NDJSON_TYPES.has(type) || isJSONType(type) || type === "text/event-stream" || type === "application/octet-stream") {
    return new OllamaConverter(limit, type);
  }
  throw coded(new TypeError(`Expected an application/x-ndjson response, got ${type}: not a stream of Ollama lines`), "bad_input");
}

/**
 * The bytes of an Ollama stream in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * const response = await fetch("http://localhost:11434/api/chat", init);
 * const events = response.body!.pipeThrough(new OllamaDecoderStream());
 * ```
 *
 * Cancellation and errors: after the `done` line or an `{"error"}` line the stream terminates,
 * which (through `pipeThrough`) cancels the body. An error line becomes an `error` event with its
 * message. A line that is not a JSON object errors the stream with a `TypeError` naming its
 * position, and so does another provider's stream (named); a line over `maxLineBytes` (8 MiB
 * unless set) errors it with a `RangeError`. Errors go to the readable side, never thrown from
 * `transform`. Input that ends without the `done` line gets the block and message finishes it was
 * owed, with what arrived.
 */
export class OllamaDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new OllamaConverter(new LineLimit(options), "")));
  }
}

/**
 * A `ChatModelStream` over an Ollama stream (`/api/chat` with `stream: true`, local or Ollama's
 * cloud): text, thinking (`think: true`), tool calls, `done_reason` and the token counts.
 * `message-start` carries `model_provider: "ollama"` and the `model`; the finish carries
 * `done_reason` as sent (`"stop"`, `"length"`, …) and `created_at` and the durations.
 *
 * @example
 * ```ts
 * const response = await fetch("http://localhost:11434/api/chat", {
 *   method: "POST",
 *   body: JSON.stringify({ model: "qwen3", messages: [{ role: "user", content: prompt }], think: true, stream: true }),
 *   signal: request.signal,
 * });
 * const stream = fromOllama(response, { signal: request.signal });
 * ```
 *
 * Cancellation and errors: lazy (the body is read only when something consumes); cancelling the
 * stream cancels the body. A non-OK response fails it with an `HTTPError` (`status`, `headers`,
 * Ollama's `error` text as its message, as in `model "x" not found`); a response of another
 * content type (HTML, plain text) with a `TypeError` naming it; another provider's stream, or a
 * JSON body that is not Ollama's, with a `TypeError` saying so; a line longer than
 * `maxLineBytes` (8 MiB unless set, or `maxBytes` when smaller) with a `RangeError`; an error
 * line, first or mid-stream, with an `Error` carrying its message; a line that is not JSON with a
 * `TypeError` naming its position. A stream cut off before its `done` line ends with a finish
 * built from what arrived (no usage: Ollama counts only on the last line).
 */
export function fromOllama(input: ResponseInput, options?: DecoderOptions): ChatModelStream {
  const limit = new LineLimit(options);
  return fromOpener(
    responseEvents(input, (type) => converterFor(type, limit)),
    options,
  );
}
