/**
 * What the provider adapters share: a converter base that reads the provider's SSE, recognizes its
 * stream (or names whose it looks like), and emits message start, finish and errors; the usage
 * and field helpers; and the opener `fromOpenAIChat` and the others build their streams on.
 *
 * @module
 */
import { coded } from "../errors.ts";
import type { SourceOpener } from "../source-loop.ts";
import {
  isJSONType,
  LineLimit,
  mediaType,
  parseJSON,
  responseEvents,
  SSEMessageConverter,
  type DecoderOptions,
  type EventConverter,
  type ResponseInput,
} from "../decoders/response-events.ts";
import { isRecord, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import { LineBudget } from "../sse/line-budget.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import type { Queued } from "../decoders/text-run.ts";
import { BlockWriter } from "./block-writer.ts";

/**
 * A provider's SSE, one JSON payload per message, turned into protocol events by `onMessage`.
 *
 * @internal
 */
export abstract class ProviderConverter extends SSEMessageConverter<Queued> {
  protected readonly blocks: BlockWriter = new BlockWriter(this.out, true);
  /** `message-start` was emitted: a cut-off stream then gets a synthesized finish. */
  protected started = false;
  /** What this adapter reads, as the error for another provider's stream says it. */
  readonly #kind: string;
  /** The first JSON message was checked to be this provider's. */
  #recognized = false;
  /** No text arrived yet: the first is checked for the binary framing of an AWS event stream. */
  #first = true;
  /**
   * The body's start while it may be JSON lines: `""` until a character other than whitespace
   * arrives; then, if that is `{` (no SSE starts so, Ollama's NDJSON does), its first line so far;
   * `undefined` once the body is known to be SSE.
   */
  #head: string | undefined = "";
  readonly #headSize: LineBudget;
  readonly #limit: LineLimit;

  constructor(kind: string, limit: LineLimit) {
    super(limit);
    this.#kind = kind;
    this.#limit = limit;
    this.#headSize = new LineBudget(limit.bytes);
  }

  override end(): void {
    if (this.#head) this.#jsonBody(this.#head);
    super.end();
    if (!this.done && this.started) this.onCutOff();
  }

  override write(text: string): void {
    if (this.#first && text !== "") {
      this.#first = false;
      if (text.charCodeAt(0) === 0) throw eventStreamError(this.#kind);
    }
    if (this.#head !== undefined && !this.#sniff(text)) return;
    super.write(text);
  }

  /** Whether `text` goes on to the SSE parser: not once the body turned out to be JSON lines. */
  #sniff(text: string): boolean {
    if (this.#head === "") {
      const at = text.search(NOT_SPACE);
      if (at === -1) return true; // blank lines mean nothing to SSE either
      if (text.charCodeAt(at) !== 0x7b /* { */) {
        this.#head = undefined;
        return true;
      }
      text = text.slice(at);
    }
    if (!this.#headSize.fits(text, this.#head!)) throw this.#limit.tooLong();
    this.#head += text;
    const lf = this.#head!.indexOf("\n");
    if (lf !== -1) this.#jsonBody(this.#head!.slice(0, lf));
    return false;
  }

  /** A body that opened with `{` is JSON lines, not SSE: its first line is an error, or says whose stream it is. */
  #jsonBody(line: string): void {
    this.#head = undefined;
    const data = parseJSON(line, "first line", 0);
    if (isRecord(data) && isErrorPayload(data)) {
      const error = data["error"];
      return this.error(isRecord(error) || typeof error === "string" ? error : data);
    }
    const kind = isRecord(data) ? providerStream(data, undefined) : undefined;
    throw coded(new TypeError(`Expected ${this.#kind}, got ${kind ?? "JSON lines, not server-sent events"}`), "bad_input");
  }

  /**
   * This converter's events are all folded by a stream's `MessageAccumulator` before anyone reads
   * them (its `from…` function's source), so its block writer leaves text and reasoning to the fold.
   */
  foldedDownstream(): void {
    this.blocks.foldFillsText();
  }

  /** The input ended after `message-start` but before a terminal event. */
  protected abstract onCutOff(): void;

  /**
   * Whether a message is this provider's (an error payload always is). Only the first message is
   * asked: another provider's stream would otherwise pass as an empty message.
   */
  protected abstract recognizes(data: RawEvent, message: ServerSentEvent): boolean;

  protected json(message: ServerSentEvent, position: number, what: string): RawEvent {
    const value = parseJSON(message.data, `${what} event data`, position);
    if (!isRecord(value)) throw coded(new TypeError(`Invalid ${what} event data at position ${position}: expected a JSON object`), "bad_input");
    return this.checked(value, message);
  }

  /**
   * A message's value, read by `json` or by an adapter's own reader, once the first one was checked
   * to be this provider's.
   */
  protected checked(value: RawEvent, message: ServerSentEvent): RawEvent {
    if (!this.#recognized) {
      if (!isErrorPayload(value) && !this.recognizes(value, message)) throw this.#foreign(value, message);
      this.#recognized = true;
    }
    return value;
  }

  #foreign(data: RawEvent, message: ServerSentEvent): TypeError {
    const type = typeof data["type"] === "string" ? data["type"] : message.event;
    const first = type !== undefined ? ` (its first event is ${JSON.stringify(type)})` : "";
    return coded(new TypeError(`Expected ${this.#kind}, got ${streamKind(data, message)}${first}`), "bad_input");
  }

  protected messageStart(id: unknown, provider: string, model: unknown): void {
    this.started = true;
    const metadata: RawEvent = { model_provider: provider };
    if (typeof model === "string" && model !== "") metadata["model_name"] = model;
    this.out.push({ event: "message-start", role: "ai", ...(typeof id === "string" ? { id } : {}), metadata });
  }

  /** Finishes the open blocks and the message. */
  protected messageFinish(reason: string | undefined, usage: UsageMetadata | undefined, metadata?: RawEvent): void {
    this.blocks.finishAll();
    const finish: RawEvent = { event: "message-finish" };
    if (reason !== undefined) finish["reason"] = reason;
    if (usage !== undefined) finish["usage"] = usage;
    const refusal = this.blocks.refusal;
    if (refusal !== undefined) metadata = { ...metadata, refusal };
    if (metadata !== undefined && Object.keys(metadata).length > 0) finish["metadata"] = metadata;
    this.out.push(finish as ProtocolEvent);
    this.done = true;
  }

  /** An error from the provider: `{message, code | type}`, or anything else as text. */
  protected error(error: unknown): void {
    const body = isRecord(error) ? error : {};
    const message = typeof body["message"] === "string" ? body["message"] : typeof error === "string" ? error : "The provider reported an error";
    const code = typeof body["code"] === "string" ? body["code"] : typeof body["type"] === "string" ? body["type"] : undefined;
    this.out.push({ event: "error", message, ...(code !== undefined ? { code } : {}) });
    this.done = true;
  }
}

/** @internal How the adapters' errors name a Bedrock ConverseStream handed to them. */
export const AWS_EVENT_STREAM = "an AWS Bedrock ConverseStream (binary application/vnd.amazon.eventstream frames; read it with fromBedrock)";

/**
 * @internal The error of a reader of text handed a binary AWS event stream, which it tells by the
 * text's first character: no text stream starts with NUL, an event stream's first frame (its
 * length under 16 MiB) does. `expected` is what the reader reads.
 */
export function eventStreamError(expected: string): TypeError {
  return coded(new TypeError(`Expected ${expected}, got ${AWS_EVENT_STREAM}`), "bad_input");
}

const NOT_SPACE = /\S/;

/** An `error` message, which any provider may send first (an overloaded server, a bad request). */
function isErrorPayload(data: RawEvent): boolean {
  return data["type"] === "error" || (data["error"] != null && data["type"] === undefined && data["choices"] === undefined);
}

const ANTHROPIC_TYPES = new Set([
  "message_start",
  "message_delta",
  "message_stop",
  "content_block_start",
  "content_block_delta",
  "content_block_stop",
  "ping",
]);

/** @internal Whether a message has an OpenAI Chat Completions chunk's shape. */
export function isChatChunk(data: RawEvent): boolean {
  return Array.isArray(data["choices"]) || data["object"] === "chat.completion.chunk";
}

/** @internal Whether a message's type is one of the OpenAI Responses stream's. */
export function isResponsesType(type: unknown): boolean {
  return typeof type === "string" && type.startsWith("response.");
}

/** @internal Whether a message's type is one of the Anthropic Messages stream's. */
export function isAnthropicType(type: unknown): boolean {
  return typeof type === "string" && ANTHROPIC_TYPES.has(type);
}

/**
 * @internal Whether a message has a Gemini `GenerateContentResponse`'s shape: candidates, prompt
 * feedback or usage, and no `type` (every other provider's event has one, or `choices`).
 */
export function isGeminiChunk(data: RawEvent): boolean {
  if (data["type"] !== undefined || isChatChunk(data)) return false;
  return Array.isArray(data["candidates"]) || isRecord(data["promptFeedback"]) || isRecord(data["usageMetadata"]);
}

/**
 * @internal Whether a line is one of Ollama's (`/api/chat`, or `/api/generate`'s `response`): every
 * line says whether it is the last one in `done`.
 */
export function isOllamaChunk(data: RawEvent): boolean {
  return typeof data["done"] === "boolean" && (isRecord(data["message"]) || typeof data["response"] === "string");
}

/**
 * @internal Whether a message has the shape of Workers AI's own stream (`{response, tool_calls?,
 * usage?}`), as opposed to the OpenAI chunks some of its models send.
 */
export function isWorkersAIMessage(data: RawEvent): boolean {
  if (data["type"] !== undefined || data["done"] !== undefined || isChatChunk(data)) return false;
  return typeof data["response"] === "string" || Array.isArray(data["tool_calls"]);
}

/** Whose stream a message looks like, for the error that says an adapter got the wrong one. */
function streamKind(data: RawEvent, message: ServerSentEvent): string {
  if (typeof data["event"] === "string") return "this package's protocol events (read them with fromResponse)";
  return providerStream(data, message.event) ?? "a stream of another kind";
}

/**
 * @internal The provider stream a message is from, and the adapter that reads it, or undefined:
 * for `fromResponse` to say so when it is handed a provider's stream.
 */
export function providerStream(data: RawEvent, eventName: string | undefined): string | undefined {
  const type = data["type"] ?? eventName;
  if (isChatChunk(data)) return "an OpenAI Chat Completions stream (read it with fromOpenAIChat)";
  if (isResponsesType(type)) return "an OpenAI Responses stream (read it with fromOpenAIResponses)";
  if (isAnthropicType(type)) return "an Anthropic Messages stream (read it with fromAnthropic)";
  if (isGeminiChunk(data)) return "a Google Gemini stream (read it with fromGemini)";
  if (isOllamaChunk(data)) return "an Ollama chat stream (read it with fromOllama)";
  if (isWorkersAIMessage(data)) return "a Workers AI stream (read it with fromWorkersAI)";
  return undefined;
}

/** @internal The numeric entries of `values` (zeros kept, absent and null dropped), or `undefined` if none. */
export function details(values: Record<string, unknown>): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const key in values) {
    const n = values[key];
    if (typeof n === "number") (out ??= {})[key] = n;
  }
  return out;
}

/** @internal A usage snapshot with the detail maps only when they hold something. */
export function usage(
  input: number,
  output: number,
  total: number,
  inputDetails: Record<string, number> | undefined,
  outputDetails: Record<string, number> | undefined,
): UsageMetadata {
  const out: UsageMetadata = { input_tokens: input, output_tokens: output, total_tokens: total };
  if (inputDetails !== undefined) out.input_token_details = inputDetails;
  if (outputDetails !== undefined) out.output_token_details = outputDetails;
  return out;
}

/** @internal A number field, else 0. */
export function count(obj: unknown, key: string): number {
  const n = isRecord(obj) ? obj[key] : undefined;
  return typeof n === "number" ? n : 0;
}

/** @internal A string field, else `undefined` (empty strings count as absent). */
export function text(obj: unknown, key: string): string | undefined {
  const s = isRecord(obj) ? obj[key] : undefined;
  return typeof s === "string" && s !== "" ? s : undefined;
}

/** @internal An object field, else `undefined`. */
export function record(obj: unknown, key: string): RawEvent | undefined {
  const value = isRecord(obj) ? obj[key] : undefined;
  return isRecord(value) ? value : undefined;
}

/**
 * Picks the converter for a provider response: an event stream, or a bare body. Anything else is
 * not a stream (a JSON body is a request made without `stream: true`; HTML is a proxy's page) and
 * would otherwise look like an empty message.
 */
function streamingOnly(make: () => EventConverter, jsonHint: string): (contentType: string | null) => EventConverter {
  return (contentType) => {
    const type = mediaType(contentType);
    if (type === "text/event-stream" || type === "") return make();
    if (isJSONType(type)) {
      throw coded(new TypeError(`Expected a text/event-stream response, got ${type}: ${jsonHint}`), "bad_input");
    }
    throw coded(new TypeError(`Expected a text/event-stream response, got ${type}: not a stream of events`), "bad_input");
  };
}

/**
 * @internal The events of a provider response, lazily, through a fresh converter given the line
 * bound of `options`. `jsonHint` says what a JSON answer means (how this provider is asked to stream).
 */
export function providerEvents(
  input: ResponseInput,
  options: DecoderOptions | undefined,
  make: (limit: LineLimit) => ProviderConverter,
  jsonHint = 'was the request sent with "stream": true?',
): SourceOpener {
  const limit = new LineLimit(options);
  return responseEvents(
    input,
    streamingOnly(() => {
      const converter = make(limit);
      converter.foldedDownstream(); // the source of a ChatModelStream: its hub folds every event first
      return converter;
    }, jsonHint),
  );
}
