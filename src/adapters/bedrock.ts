/**
 * Amazon Bedrock ConverseStream responses (`POST /model/{modelId}/converse-stream`) as protocol
 * events. The body is not SSE but the binary AWS event stream (`application/vnd.amazon.eventstream`,
 * decoded by `src/eventstream/`): each frame's `:event-type` header names the event and its JSON
 * payload carries it (Bedrock pads payloads with a `"p"` field, which is dropped).
 *
 * What each part becomes:
 * - `messageStart` starts the message: `model_provider: "bedrock_converse"` (LangChain's name for
 *   this API). The stream names no model and no message: `model_name` is the `model` option, else
 *   the `{modelId}` of the response's URL; the `id` is the response's `x-amzn-requestid` header,
 *   else none, so the stream's `messageId` option applies.
 * - Block indices are Bedrock's `contentBlockIndex`. A `text` delta is a text block, a
 *   `reasoningContent.text` delta a reasoning block (its `signature` in `extras.signature`), a
 *   `reasoningContent.redactedContent` delta a `non_standard` block holding
 *   `{redactedContent}`, a `contentBlockStart` with `toolUse` a tool call (`toolUseId`, `name`;
 *   `type: "server_tool_use"` makes it a server tool call) whose `toolUse.input` deltas are its
 *   JSON argument slices, and one with `toolResult` a `server_tool_result` (`toolUseId`, `status`;
 *   the `toolResult` deltas' items gathered in `output`). `citation` deltas become annotations of
 *   their text block; any other block start is a `non_standard` block holding it.
 * - `messageStop`'s `stopReason` is the finish reason (`"end_turn"`, `"tool_use"`, `"max_tokens"`,
 *   …); its `additionalModelResponseFields` go to the finish metadata. The message finishes at
 *   `metadata`, which comes last: its `usage` in LangChain's names (`inputTokens` there excludes the
 *   cache, so `input_tokens` adds `cacheReadInputTokens` and `cacheWriteInputTokens`, also given as
 *   `input_token_details.cache_read` / `cache_creation`), its other fields (`metrics`, `trace`,
 *   `performanceConfig`, …) in the finish metadata as sent.
 * - An exception frame (`:message-type: exception`: `throttlingException`,
 *   `modelStreamErrorException`, `validationException`, …) is an `error` event with the payload's
 *   `message` and the `:exception-type` as `code`; an error frame (`:message-type: error`) one
 *   with `:error-message` and `:error-code`.
 *
 * @module
 */
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { coded } from "../errors.ts";
import {
  eventTransformer,
  isJSONType,
  LineLimit,
  mediaType,
  parseJSON,
  responseEvents,
  type DecoderOptions,
  type DecoderStreamOptions,
  type ResponseInput,
} from "../decoders/response-events.ts";
import { crc32 } from "../eventstream/crc32.ts";
import { EventStreamDecoder, maxFrameBytesOf, type EventStreamFrame } from "../eventstream/decoder.ts";
import { isRecord, setField, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { count, details, ProviderConverter, record, text, usage } from "./provider-converter.ts";

/** What this adapter reads, as its errors name it. */
const KIND = "an AWS Bedrock ConverseStream";

/** The event types of ConverseStream's output: the first frame must be one of these (or an exception). */
const CONVERSE_EVENTS = new Set(["messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]);

/** Options of `fromBedrock`. */
export interface BedrockOptions extends DecoderOptions {
  /**
   * The model the request named, for `response_metadata.model_name` (the stream never says it).
   *
   * @default the `{modelId}` of the response's URL when it ends in `/model/{modelId}/converse-stream`
   */
  model?: string | undefined;
  /**
   * The largest event stream frame accepted, in bytes; `maxBytes` bounds it too when smaller. A
   * frame declared larger fails the stream at once with a `RangeError`, before any of it is read.
   *
   * @default 16777216 (16 MiB)
   */
  maxFrameBytes?: number | undefined;
}

/** Options of `BedrockDecoderStream`. */
export interface BedrockDecoderStreamOptions extends DecoderStreamOptions {
  /** As `BedrockOptions.model`. @default none */
  model?: string | undefined;
  /** As `BedrockOptions.maxFrameBytes`. @default 16777216 (16 MiB) */
  maxFrameBytes?: number | undefined;
}

/** Bedrock's counts in LangChain's names: its `inputTokens` exclude cache reads and writes, LangChain's include them. */
function bedrockUsage(raw: RawEvent): UsageMetadata {
  const cacheRead = raw["cacheReadInputTokens"];
  const cacheWrite = raw["cacheWriteInputTokens"];
  const input = count(raw, "inputTokens") + count(raw, "cacheReadInputTokens") + count(raw, "cacheWriteInputTokens");
  const output = count(raw, "outputTokens");
  return usage(input, output, input + output, details({ cache_read: cacheRead, cache_creation: cacheWrite }), undefined);
}

/** The frame bound: `maxFrameBytes`, or `maxBytes` when smaller (a frame over the whole content limit can only fail it). */
class FrameLimit {
  readonly bytes: number;
  readonly #byMaxBytes: boolean;

  constructor(options: { maxFrameBytes?: number | undefined; maxBytes?: number | undefined } | undefined) {
    const frame = maxFrameBytesOf(options?.maxFrameBytes);
    const content = options?.maxBytes;
    // A bad maxBytes is the stream's to refuse; here only a usable one counts.
    this.#byMaxBytes = typeof content === "number" && content >= 16 && content < frame;
    this.bytes = this.#byMaxBytes ? (content as number) : frame;
  }

  /** The decoder's `maxFrameBytes exceeded` error, said in terms of `maxBytes` when that is the bound. */
  rename(error: unknown): unknown {
    if (!this.#byMaxBytes || !(error instanceof RangeError) || !error.message.startsWith("maxFrameBytes exceeded")) return error;
    return coded(
      new RangeError(`The chat model stream received more than maxBytes (${this.bytes}) bytes: a frame of the response is longer than that`, { cause: error }),
      "max_bytes",
    );
  }
}

/** How the body turned out, decided from its first 12 bytes. */
type Mode = "sniffing" | "frames" | "text";

const PRELUDE = 12;

/** Payloads are whole JSON texts: one decoder serves every frame. */
const utf8 = new TextDecoder();

class BedrockConverter extends ProviderConverter {
  readonly #decoder: EventStreamDecoder;
  readonly #frameLimit: FrameLimit;
  readonly #id: string | undefined;
  readonly #model: string | undefined;
  /**
   * `sniffing` until 12 bytes arrived: a valid prelude checksum makes it `frames`; anything else
   * is `text`, read as SSE only to say whose stream it is.
   */
  #mode: Mode = "sniffing";
  readonly #head = new Uint8Array(PRELUDE);
  #headFill = 0;
  /** Frames decoded, counted from 0, for error positions. */
  #position = 0;
  #reason: string | undefined = undefined;
  /** `messageStop`'s `additionalModelResponseFields`, for the finish metadata. */
  #additional: unknown = undefined;
  /** Text mode: its decoder, and the start of its first line (shown for a body that is neither SSE nor JSON lines). */
  #utf8: TextDecoder | undefined;
  #firstLine = "";
  #lineEnded = false;

  constructor(limit: LineLimit, frameLimit: FrameLimit, id: string | undefined, model: string | undefined) {
    super(KIND, limit);
    this.#frameLimit = frameLimit;
    this.#decoder = new EventStreamDecoder((frame) => this.#onFrame(frame), { maxFrameBytes: frameLimit.bytes });
    this.#id = id;
    this.#model = model;
  }

  writeBytes(chunk: Uint8Array): void {
    if (this.done) return;
    switch (this.#mode) {
      case "frames":
        return this.#frames(chunk);
      case "text":
        return this.#text(chunk, false);
      case "sniffing": {
        const take = Math.min(PRELUDE - this.#headFill, chunk.length);
        this.#head.set(chunk.subarray(0, take), this.#headFill);
        this.#headFill += take;
        if (this.#headFill < PRELUDE) return;
        this.#decide();
        this.writeBytes(this.#head);
        return this.writeBytes(chunk.subarray(take));
      }
    }
  }

  override end(): void {
    if (this.#mode === "sniffing") {
      if (this.#headFill === 0) return super.end();
      // Fewer than 12 bytes in all: a cut-off frame if it starts as one (a length under 16 MiB), else text.
      this.#mode = this.#head[0] === 0 ? "frames" : "text";
      this.writeBytes(this.#head.subarray(0, this.#headFill));
    }
    if (this.#mode === "frames") {
      if (!this.done) this.#decoder.end();
      return super.end();
    }
    this.#text(new Uint8Array(0), true);
    super.end();
    if (!this.done) throw this.#foreignText();
  }

  /**
   * Frames if the first 12 bytes are a valid prelude (1 in 2^32 for anything else) or start with
   * NUL (no text does; a frame under 16 MiB does, and the decoder then says what is wrong with it).
   */
  #decide(): void {
    const head = this.#head;
    const sent = ((head[8]! << 24) | (head[9]! << 16) | (head[10]! << 8) | head[11]!) >>> 0;
    this.#mode = head[0] === 0 || crc32(head, 0, 8) === sent ? "frames" : "text";
  }

  #frames(chunk: Uint8Array): void {
    try {
      this.#decoder.push(chunk);
    } catch (error) {
      throw this.#frameLimit.rename(error);
    }
  }

  /** Another kind of body, read as SSE until its first message says whose it is (`onMessage` throws). */
  #text(chunk: Uint8Array, last: boolean): void {
    const piece = (this.#utf8 ??= new TextDecoder()).decode(chunk, { stream: !last });
    super.write(piece);
    // Only its start is shown, so only that much is kept, whatever maxLineBytes allows.
    if (!this.#lineEnded && this.#firstLine.length < 64) {
      const newline = piece.indexOf("\n");
      this.#firstLine += (newline < 0 ? piece : piece.slice(0, newline)).slice(0, 64);
      this.#lineEnded = newline >= 0;
    }
  }

  protected recognizes(): boolean {
    return false; // only reached for a text body: the binary framing is what recognizes a Bedrock stream
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    // Another provider's SSE fails in json(), saying whose; an error payload gets here.
    this.json(message, position, "Bedrock");
    throw coded(new TypeError(`Expected ${KIND}, got a text/event-stream (its first message's data: ${shown(message.data)})`), "bad_input");
  }

  /** A text body with no SSE message (JSON lines are told apart by the base class as they come). */
  #foreignText(): TypeError {
    return coded(new TypeError(`Expected ${KIND}, got a body that is not a binary event stream (it starts ${shown(this.#firstLine.trim())})`), "bad_input");
  }

  protected onCutOff(): void {
    this.#finish(undefined);
  }

  #onFrame(frame: EventStreamFrame): void {
    if (this.done) return;
    const position = this.#position++;
    const kind = header(frame, ":message-type") ?? "event";
    if (kind === "exception") {
      return this.error({ message: exceptionMessage(frame.payload), code: header(frame, ":exception-type") ?? "exception" });
    }
    if (kind === "error") {
      return this.error({ message: header(frame, ":error-message") ?? "Bedrock reported an error", code: header(frame, ":error-code") ?? "error" });
    }
    const type = header(frame, ":event-type");
    if (position === 0 && (type === undefined || !CONVERSE_EVENTS.has(type))) throw this.#foreignFrames(type);
    if (type === undefined || !CONVERSE_EVENTS.has(type)) return; // an event type this version does not know
    const payload = this.#payload(frame, position, type);
    switch (type) {
      case "messageStart":
        return this.#start();
      case "contentBlockStart":
        return this.#blockStart(payload);
      case "contentBlockDelta":
        return this.#blockDelta(payload);
      case "contentBlockStop": {
        const index = indexOf(payload);
        if (index >= 0) this.blocks.finish(index);
        return;
      }
      case "messageStop": {
        this.#start();
        const reason = text(payload, "stopReason");
        if (reason !== undefined) this.#reason = reason;
        if (payload["additionalModelResponseFields"] != null) this.#additional = payload["additionalModelResponseFields"];
        return;
      }
      case "metadata":
        this.#start();
        return this.#finish(payload);
    }
  }

  #foreignFrames(type: string | undefined): TypeError {
    const what =
      type === "chunk"
        ? "a Bedrock InvokeModelWithResponseStream stream (its events are \"chunk\"; this adapter reads the Converse API's)"
        : `an event stream of another kind (its first event is ${type === undefined ? "unnamed" : JSON.stringify(type)})`;
    return coded(new TypeError(`Expected ${KIND}, got ${what}`), "bad_input");
  }

  /**
   * A frame's JSON payload. Bedrock's `"p"` padding stays on it (deleting a property makes V8 keep
   * the object as a slow dictionary): the finish leaves it out, and nothing else reads the top level whole.
   */
  #payload(frame: EventStreamFrame, position: number, what: string): RawEvent {
    const value = parseJSON(utf8.decode(frame.payload), `Bedrock ${what} payload`, position);
    if (!isRecord(value)) throw coded(new TypeError(`Invalid Bedrock ${what} payload at position ${position}: expected a JSON object`), "bad_input");
    return value;
  }

  /** Starts the message once, whatever event comes first. */
  #start(): void {
    if (!this.started) this.messageStart(this.#id, "bedrock_converse", this.#model);
  }

  #blockStart(payload: RawEvent): void {
    const index = indexOf(payload);
    const start = record(payload, "start");
    if (index < 0 || start === undefined) return;
    this.#start();
    const tool = record(start, "toolUse");
    if (tool !== undefined) {
      const fields: RawEvent = {};
      const id = text(tool, "toolUseId");
      const name = text(tool, "name");
      if (id !== undefined) fields["id"] = id;
      if (name !== undefined) fields["name"] = name;
      return this.blocks.start(index, tool["type"] === "server_tool_use" ? "server_tool_call_chunk" : "tool_call_chunk", fields);
    }
    const result = record(start, "toolResult");
    if (result !== undefined) {
      const fields: RawEvent = { tool_call_id: result["toolUseId"], status: result["status"] === "error" ? "error" : "success", output: [] };
      if (typeof result["type"] === "string") fields["extras"] = { type: result["type"] };
      return this.blocks.start(index, "server_tool_result", fields);
    }
    return this.blocks.start(index, "non_standard", { value: start });
  }

  #blockDelta(payload: RawEvent): void {
    const index = indexOf(payload);
    const delta = record(payload, "delta");
    if (index < 0 || delta === undefined) return;
    this.#start();
    if (typeof delta["text"] === "string") return this.blocks.append(index, "text", delta["text"]);
    const reasoning = record(delta, "reasoningContent");
    if (reasoning !== undefined) return this.#reasoning(index, reasoning);
    const tool = record(delta, "toolUse");
    if (tool !== undefined) {
      if (!this.blocks.isOpen(index)) this.blocks.start(index, "tool_call_chunk");
      return this.blocks.slice(index, text(tool, "input") ?? "");
    }
    if (Array.isArray(delta["toolResult"])) {
      const output = this.blocks.fields(index)?.["output"];
      // One by one: a spread of a few hundred thousand items overflows the stack.
      if (Array.isArray(output)) for (const item of delta["toolResult"] as unknown[]) output.push(item);
      return;
    }
    if (delta["citation"] != null) {
      const fields = this.blocks.fields(index);
      if (fields !== undefined) ((fields["annotations"] ??= []) as unknown[]).push({ type: "non_standard_annotation", value: delta["citation"] });
    }
  }

  /** Reasoning text streams as deltas; a signature and redacted content arrive whole (pieces, should they come, join). */
  #reasoning(index: number, reasoning: RawEvent): void {
    const piece = text(reasoning, "text");
    if (piece !== undefined) this.blocks.append(index, "reasoning", piece);
    const signature = text(reasoning, "signature");
    if (signature !== undefined) {
      if (!this.blocks.isOpen(index)) this.blocks.start(index, "reasoning");
      const extras = (this.blocks.fields(index)!["extras"] ??= {}) as RawEvent;
      extras["signature"] = typeof extras["signature"] === "string" ? extras["signature"] + signature : signature;
    }
    const redacted = text(reasoning, "redactedContent");
    if (redacted !== undefined) {
      if (!this.blocks.isOpen(index)) this.blocks.start(index, "non_standard", { value: { redactedContent: "" } });
      const value = this.blocks.fields(index)!["value"];
      if (isRecord(value) && typeof value["redactedContent"] === "string") value["redactedContent"] += redacted;
    }
  }

  /** Finishes the message with `metadata`'s usage and fields (or none, when the stream was cut off before it). */
  #finish(metadata: RawEvent | undefined): void {
    const raw = record(metadata, "usage");
    const extra: RawEvent = {};
    if (this.#additional !== undefined) extra["additionalModelResponseFields"] = this.#additional;
    // Its other fields as sent, but for Bedrock's `"p"` padding.
    if (metadata !== undefined) for (const key in metadata) if (key !== "usage" && key !== "p") setField(extra, key, metadata[key]);
    this.messageFinish(this.#reason, raw !== undefined ? bedrockUsage(raw) : undefined, extra);
  }
}

/**
 * An exception's message: its payload's `message` (or `Message`), else the payload as text, so a
 * failure is never lost to a payload that is not the JSON it should be.
 */
function exceptionMessage(payload: Uint8Array): string {
  const body = utf8.decode(payload);
  try {
    const value: unknown = JSON.parse(body);
    if (isRecord(value)) {
      const message = value["message"] ?? value["Message"];
      if (typeof message === "string" && message !== "") return message;
    }
  } catch {
    // not JSON: the text itself says what went wrong
  }
  return body.trim() !== "" ? body : "Bedrock reported an exception";
}

/** A string header's value, else `undefined`. */
function header(frame: EventStreamFrame, name: string): string | undefined {
  const value = frame.headers.get(name);
  return typeof value === "string" ? value : undefined;
}

function indexOf(payload: RawEvent): number {
  const index = payload["contentBlockIndex"];
  return typeof index === "number" && Number.isInteger(index) && index >= 0 ? index : -1;
}

function shown(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/**
 * The converter for a response's content type: the event stream (or a bare body, or SSE, which is
 * then told apart by its bytes). A JSON body is the non-streaming Converse API's answer; anything
 * else (HTML, plain text) is not a stream.
 */
function converterFor(make: () => BedrockConverter): (contentType: string | null) => BedrockConverter {
  return (contentType) => {
    const type = mediaType(contentType);
    if (type === "application/vnd.amazon.eventstream" || type === "" || type === "application/octet-stream" || type === "text/event-stream") return make();
    if (isJSONType(type)) {
      throw coded(new TypeError(`Expected an application/vnd.amazon.eventstream response, got ${type}: was the request sent to /converse instead of /converse-stream?`), "bad_input");
    }
    throw coded(new TypeError(`Expected an application/vnd.amazon.eventstream response, got ${type}: not an event stream`), "bad_input");
  };
}

/** The `{modelId}` of a ConverseStream URL, decoded (`anthropic.claude-3-haiku-20240307-v1%3A0` has its colon back). */
function modelOfURL(url: string): string | undefined {
  const match = /\/model\/([^/?#]+)\/converse-stream(?:[?#]|$)/.exec(url);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return match[1];
  }
}

/**
 * The bytes of a Bedrock ConverseStream body in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * declare const signedInit: RequestInit; // a SigV4-signed POST (or a Bedrock API key as a bearer token)
 * const modelId = "anthropic.claude-sonnet-4-20250514-v1:0";
 * const response = await fetch(`https://bedrock-runtime.us-east-1.amazonaws.com/model/${modelId}/converse-stream`, signedInit);
 * const events = response.body!.pipeThrough(new BedrockDecoderStream({ model: modelId }));
 * ```
 *
 * Cancellation and errors: after `metadata`, an exception frame or an error frame the stream
 * terminates, which (through `pipeThrough`) cancels the body. An exception frame becomes an
 * `error` protocol event (its `message`, and its `:exception-type` as `code`, such as
 * `"throttlingException"`). A checksum that does not match, a malformed frame, a payload that is
 * not a JSON object and input that ends inside a frame error the stream with a `TypeError` naming
 * the byte offset or the frame's position; so does another provider's stream, saying whose it
 * looks like; a frame declared larger than `maxFrameBytes` (16 MiB unless set) errors it at once
 * with a `RangeError`. Errors go to the readable side, never thrown from `transform`. Input that
 * ends between frames without `metadata` gets the block and message finishes it was owed.
 */
export class BedrockDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: BedrockDecoderStreamOptions) {
    super(eventTransformer(new BedrockConverter(new LineLimit(options), new FrameLimit(options), undefined, options?.model)));
  }
}

/**
 * A `ChatModelStream` over a Bedrock ConverseStream response: text, reasoning (with its signature,
 * or redacted), tool use (JSON input streamed in slices), server tool use and results, the stop
 * reason, usage (cache reads and writes included) and metrics. See the module's comment for what
 * each field becomes; the message `id` is the `x-amzn-requestid` response header, else the
 * stream's `messageId` option.
 *
 * @example
 * ```ts
 * declare const signedInit: RequestInit; // a SigV4-signed POST (or a Bedrock API key as a bearer token) of a Converse request body
 * const modelId = "amazon.nova-micro-v1:0";
 * const url = `https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent(modelId)}/converse-stream`;
 * const response = await fetch(url, { ...signedInit, signal: request.signal });
 * const stream = fromBedrock(response, { signal: request.signal });
 * for await (const piece of stream.text) console.log(piece);
 * ```
 *
 * Cancellation and errors: lazy (the body is read only when something consumes); cancelling the
 * stream cancels the body. A non-OK response fails it with an `HTTPError` (`status`, `headers`,
 * the body's `message`); a JSON response (the non-streaming `/converse`) with a `TypeError` saying
 * so, and any other response that is not an event stream with a `TypeError` naming its content
 * type; another provider's stream with a `TypeError` saying whose it looks like; a bad checksum,
 * a malformed frame or a body ending inside a frame with a `TypeError` (code `bad_input`) naming
 * the byte offset; a frame over `maxFrameBytes` (16 MiB unless set, or `maxBytes` when smaller)
 * with a `RangeError`; an exception frame (such as `throttlingException` or
 * `modelStreamErrorException`) with an `Error` carrying its message and its exception type as
 * code. A stream cut off between frames before `metadata` ends with a finish built from what
 * arrived (with `messageStop`'s reason, if it came).
 */
export function fromBedrock(input: ResponseInput, options?: BedrockOptions): ChatModelStream {
  const response = isResponse(input) ? input : undefined;
  const id = response?.headers.get("x-amzn-requestid") ?? undefined;
  const model = options?.model ?? (response !== undefined && typeof response.url === "string" ? modelOfURL(response.url) : undefined);
  const limit = new LineLimit(options);
  const frameLimit = new FrameLimit(options);
  return fromOpener(
    responseEvents(input, converterFor(() => new BedrockConverter(limit, frameLimit, id === "" ? undefined : id, model))),
    options,
  );
}

/** Duck-typed, so a `Response` from another fetch implementation counts too. */
function isResponse(input: ResponseInput): input is Response {
  return typeof (input as Partial<Response>).status === "number" && typeof (input as Partial<Response>).headers === "object";
}
