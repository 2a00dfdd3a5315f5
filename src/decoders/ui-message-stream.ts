/**
 * The AI SDK's UI Message Stream (v1) read back into protocol events, so a Worker can sit behind
 * an AI SDK endpoint (`result.toUIMessageStreamResponse()`) and still get one `ChatModelStream`.
 * `fromResponse` picks it by the `x-vercel-ai-ui-message-stream: v1` header, or when the first SSE
 * message is a UI `start` chunk.
 *
 * What has a place in an `AIMessage` becomes blocks, in arrival order, numbered from 0 across
 * every step:
 *
 * - `text-*` and `reasoning-*` parts; tool inputs (`tool-input-start` / `-delta` / `-available` a
 *   tool call, `-error` an invalid tool call; `providerExecuted` ones server tool calls);
 * - tool outputs (`tool-output-available`, `tool-output-error`) as `server_tool_result` blocks
 *   (`tool_call_id`, `status` `"success"` or `"error"`, `output` the output or the error text):
 *   the provider's own tools', and those of the tools the endpoint ran itself. The call of the
 *   latter stays a `tool_call` (it went out before the endpoint said it ran it): a reader that runs
 *   tool calls skips those whose result is in the message. A `preliminary` output (a tool that
 *   streams its output) is not the result: it is passed through, as below;
 * - `source-url` and `source-document` as `citation` annotations of a text block (`id` the
 *   source id, `url`, `title`, and in `extras` what the citation has no name for: a document's
 *   `mediaType` and `filename`, `providerMetadata`): of the text part open when the source comes,
 *   or the one that ended just before it (its finish waits for the sources right after its end),
 *   or else the next text block; sources that no text block follows are `non_standard` blocks
 *   holding the chunk;
 * - `data-*` parts as `non_standard` blocks holding the chunk (`value`); a part with an `id` stays
 *   open until the message ends, and a later part of that id replaces its value (a `block-delta`),
 *   as the AI SDK replaces it in the message;
 * - `file` chunks as image / audio / video / file blocks.
 *
 * `finish`'s reason in LangChain's names (`tool-calls` is `tool_calls`, `content-filter`
 * `content_filter`), and its message metadata: `finishReason` (a raw reason, which wins), `usage`
 * or `totalUsage` (ours, or the AI SDK's `LanguageModelUsage`), `model`, and its other keys into
 * `response_metadata`. `error` fails the stream with its text, `abort` with code `"aborted"`.
 *
 * What has no place in one message is passed through to raw-event readers as `provider` events
 * (`{event: "provider", provider: "ai-sdk", name: <chunk type>, payload: <chunk>}`) and ignored by
 * the fold: `start-step` / `finish-step`, preliminary tool outputs, approval requests and denied
 * outputs, `transient` data parts (the AI SDK leaves them out of the message too), and chunk types
 * this version does not know.
 *
 * @module
 */
import { parseArgs } from "../adapters/block-writer.ts";
import { coded } from "../errors.ts";
import { INVALID_ARGS } from "../fold/tool-calls.ts";
import { setField, isRecord, type ContentBlock, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import { providerStream } from "../adapters/provider-converter.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { StringBuilder } from "../string-builder.ts";
import { LineLimit, parseJSON, SSEMessageConverter, type ResponseInput } from "./response-events.ts";

/** The header the AI SDK's `createUIMessageStreamResponse` sets, and its value for this protocol. */
const HEADER = "x-vercel-ai-ui-message-stream";

/** @internal Whether a response says it is a UI message stream (v1). */
export function isUIMessageStreamResponse(input: ResponseInput): boolean {
  const headers = (input as Partial<Response>).headers;
  return typeof headers === "object" && headers !== null && typeof headers.get === "function" && headers.get(HEADER) === "v1";
}

/** @internal Whether a parsed first SSE message is a UI message stream's `start` chunk (not one of our events). */
export function isUIMessageStart(value: unknown): boolean {
  return isRecord(value) && value["type"] === "start" && value["event"] === undefined;
}

/** A part between its start and its end. */
interface OpenPart {
  readonly index: number;
  /** The block type it started as. */
  readonly type: "text" | "reasoning" | "tool_call_chunk" | "server_tool_call_chunk" | "non_standard";
  readonly id: string;
  readonly name: string;
  /** Text, reasoning or argument text so far, joined once at its end. */
  readonly buf: StringBuilder;
  /** A text part's citations so far. */
  annotations?: unknown[];
  /** A data part's latest chunk. */
  value?: unknown;
}

/** A source chunk as an annotation, and the chunk (a `non_standard` block's value if no text takes it). */
interface Source {
  readonly annotation: RawEvent;
  readonly chunk: RawEvent;
}

const FINISH_REASONS: Record<string, string> = { "tool-calls": "tool_calls", "content-filter": "content_filter" };

/**
 * @internal UI message chunks in, protocol events out (pushed to `out`). Both the converter picked
 * by the header and `fromResponse`'s own SSE converter (when the first message is a `start`) feed it.
 */
export class UIMessageChunks {
  readonly #out: ProtocolEvent[];
  /** A terminal event was produced. */
  done = false;
  /** `message-start` went out (a stream sent with `sendStart: false` gets one at its first chunk). */
  #started = false;
  #next = 0;
  /** Open parts by kind and id (`t:`, `r:`, `c:`): text and reasoning ids may repeat each other's. */
  readonly #open = new Map<string, OpenPart>();
  /** The message metadata so far: `start`'s, `message-metadata`'s and `finish`'s, merged as the AI SDK merges them. */
  #metadata: RawEvent = {};
  /** `start` named the model: the finish does not name it again. */
  #model = false;
  /** A text block that ended, its finish held while source chunks right after its end add to it. */
  #ended: { index: number; content: RawEvent } | undefined = undefined;
  /** Sources that came when no text block could take them: the next text block's. */
  #sources: Source[] = [];

  constructor(out: ProtocolEvent[]) {
    this.#out = out;
  }

  /** One SSE message; `parsed` is its data when the caller already parsed it. */
  message(message: ServerSentEvent, position: number, parsed?: unknown): void {
    if (this.done) return;
    if (parsed === undefined && message.data.trim() === "[DONE]") return this.end();
    const chunk = parsed ?? parseJSON(message.data, "UI message chunk", position);
    if (!isRecord(chunk) || typeof chunk["type"] !== "string") throw notAChunk(chunk, position);
    this.#chunk(chunk, chunk["type"], position);
  }

  /** The input ended: a message that started and did not finish finishes with what arrived. */
  end(): void {
    if (!this.done && this.#started) this.#finish(undefined);
  }

  #chunk(chunk: RawEvent, type: string, position: number): void {
    if (type === "source-url" || type === "source-document") {
      if (!this.#started) this.#start({});
      return this.#source(chunk, type, position);
    }
    this.#releaseEnded();
    if (type === "start") return this.#start(chunk);
    if (!this.#started) this.#start({});
    if (type.startsWith("data-")) return this.#data(chunk, type);
    switch (type) {
      case "text-start":
      case "reasoning-start":
        return void this.#openPart(chunk, type === "text-start" ? "text" : "reasoning", position);
      case "text-delta":
      case "reasoning-delta":
        return this.#append(chunk, type === "text-delta" ? "text" : "reasoning", position);
      case "text-end":
      case "reasoning-end":
        return this.#end(chunk, type === "text-end" ? "text" : "reasoning", position);
      case "tool-input-start":
        return void this.#toolStart(chunk, position);
      case "tool-input-delta":
        return this.#toolDelta(chunk, position);
      case "tool-input-available":
      case "tool-input-error":
        return this.#toolEnd(chunk, type === "tool-input-error", position);
      case "tool-output-available":
      case "tool-output-error":
        if (chunk["preliminary"] === true) return this.#pass(type, chunk);
        return this.#serverResult(chunk, type === "tool-output-error", position);
      case "file":
        return this.#file(chunk);
      case "message-metadata":
        return this.#merge(chunk["messageMetadata"]);
      case "finish":
        this.#merge(chunk["messageMetadata"]);
        return this.#finish(typeof chunk["finishReason"] === "string" ? chunk["finishReason"] : undefined);
      case "error":
        return this.#fail(typeof chunk["errorText"] === "string" ? chunk["errorText"] : "The UI message stream reported an error", undefined);
      case "abort":
        return this.#fail(typeof chunk["reason"] === "string" && chunk["reason"] !== "" ? chunk["reason"] : "The UI message stream was aborted", "aborted");
      default:
        return this.#pass(type, chunk);
    }
  }

  #start(chunk: RawEvent): void {
    if (this.#started) return this.#merge(chunk["messageMetadata"]);
    this.#started = true;
    const event: RawEvent = { event: "message-start", role: "ai" };
    if (typeof chunk["messageId"] === "string" && chunk["messageId"] !== "") event["id"] = chunk["messageId"];
    const metadata = chunk["messageMetadata"];
    if (isRecord(metadata) && typeof metadata["model"] === "string") {
      event["metadata"] = { model_name: metadata["model"] };
      this.#model = true;
    }
    this.#merge(metadata);
    this.#out.push(event as ProtocolEvent);
  }

  /** Opens a part at the next index; `undefined` when a part of that id is open already. */
  #openPart(chunk: RawEvent, kind: "text" | "reasoning", position: number): OpenPart | undefined {
    const key = `${kind[0]}:${field(chunk, "id", position)}`;
    if (this.#open.has(key)) return undefined;
    return this.#openAt(key, kind, field(chunk, "id", position), "", { type: kind, [kind]: "" });
  }

  #openAt(key: string, type: OpenPart["type"], id: string, name: string, content: RawEvent): OpenPart {
    const part: OpenPart = { index: this.#next++, type, id, name, buf: new StringBuilder() };
    this.#open.set(key, part);
    this.#out.push({ event: "content-block-start", index: part.index, content: content as ContentBlock });
    return part;
  }

  #append(chunk: RawEvent, kind: "text" | "reasoning", position: number): void {
    const piece = field(chunk, "delta", position);
    const part = this.#open.get(`${kind[0]}:${field(chunk, "id", position)}`) ?? this.#openPart(chunk, kind, position)!;
    if (piece === "") return;
    part.buf.push(piece);
    const delta = kind === "text" ? { type: "text-delta" as const, text: piece } : { type: "reasoning-delta" as const, reasoning: piece };
    this.#out.push({ event: "content-block-delta", index: part.index, delta });
  }

  #end(chunk: RawEvent, kind: "text" | "reasoning", position: number): void {
    const key = `${kind[0]}:${field(chunk, "id", position)}`;
    const part = this.#open.get(key);
    if (part === undefined) return;
    this.#open.delete(key);
    if (kind === "reasoning") return this.#close(part);
    // Its finish waits for the next chunk: sources right after a text part's end are its citations.
    this.#ended = { index: part.index, content: this.#textContent(part) };
  }

  /** The held finish of the text block that ended last goes out. */
  #releaseEnded(): void {
    const ended = this.#ended;
    if (ended === undefined) return;
    this.#ended = undefined;
    this.#out.push({ event: "content-block-finish", index: ended.index, content: ended.content as ContentBlock });
  }

  /**
   * A `source-url` or `source-document` chunk: a citation of the text block that ended just
   * before it, else of the text part open last, else of the next text block.
   */
  #source(chunk: RawEvent, type: string, position: number): void {
    const annotation: RawEvent = { type: "citation", id: field(chunk, "sourceId", position) };
    let extras: RawEvent | undefined;
    for (const key in chunk) {
      const value = chunk[key];
      if (key === "type" || key === "sourceId" || value === undefined) continue;
      if (key === "title" || (key === "url" && type === "source-url")) setField(annotation, key, value);
      else setField((extras ??= {}), key, value);
    }
    if (extras !== undefined) annotation["extras"] = extras;
    if (this.#ended !== undefined) {
      ((this.#ended.content["annotations"] ??= []) as unknown[]).push(annotation);
      return;
    }
    let open: OpenPart | undefined;
    for (const part of this.#open.values()) if (part.type === "text" && (open === undefined || part.index > open.index)) open = part;
    if (open !== undefined) (open.annotations ??= []).push(annotation);
    else this.#sources.push({ annotation, chunk });
  }

  /** A text part's finished block: its text, and its citations (the held sources first). */
  #textContent(part: OpenPart): RawEvent {
    const content: RawEvent = { type: "text", text: part.buf.toString() };
    const held = this.#sources;
    if (held.length > 0 || part.annotations !== undefined) {
      this.#sources = [];
      content["annotations"] = [...held.map((s) => s.annotation), ...(part.annotations ?? [])];
    }
    return content;
  }

  /**
   * A `data-*` part: a `non_standard` block holding it. One with an id stays open (until the
   * message ends) so that a later part of that id replaces it; a transient one is no part of the
   * message.
   */
  #data(chunk: RawEvent, type: string): void {
    if (chunk["transient"] === true) return this.#pass(type, chunk);
    const id = chunk["id"];
    if (typeof id !== "string") return this.#whole({ type: "non_standard", value: chunk });
    const key = `d:${type}:${id}`;
    const part = this.#open.get(key);
    if (part === undefined) {
      this.#openAt(key, "non_standard", id, "", { type: "non_standard", value: chunk }).value = chunk;
      return;
    }
    part.value = chunk;
    this.#out.push({ event: "content-block-delta", index: part.index, delta: { type: "block-delta", fields: { value: chunk } } });
  }

  #toolStart(chunk: RawEvent, position: number): OpenPart | undefined {
    const id = field(chunk, "toolCallId", position);
    const key = `c:${id}`;
    if (this.#open.has(key)) return undefined;
    const name = typeof chunk["toolName"] === "string" ? chunk["toolName"] : "";
    const type = chunk["providerExecuted"] === true ? "server_tool_call_chunk" : "tool_call_chunk";
    return this.#openAt(key, type, id, name, { type, id, name, args: "" });
  }

  #toolDelta(chunk: RawEvent, position: number): void {
    const piece = field(chunk, "inputTextDelta", position);
    const part = this.#open.get(`c:${field(chunk, "toolCallId", position)}`) ?? this.#toolStart(chunk, position)!;
    this.#slice(part, piece);
  }

  #slice(part: OpenPart, args: string): void {
    if (args === "") return;
    part.buf.push(args);
    this.#out.push({ event: "content-block-delta", index: part.index, delta: { type: part.type, args } as ContentBlock });
  }

  /**
   * The whole input of a call (the AI SDK's, parsed and perhaps repaired, wins over the slices),
   * or its error. A call that streamed no slices gets its start and one slice first, so
   * tool-call readers see it too.
   */
  #toolEnd(chunk: RawEvent, failed: boolean, position: number): void {
    const key = `c:${field(chunk, "toolCallId", position)}`;
    let part = this.#open.get(key);
    const input = chunk["input"];
    if (part === undefined) {
      part = this.#toolStart(chunk, position)!;
      this.#slice(part, input === undefined ? "" : typeof input === "string" ? input : JSON.stringify(input));
    }
    this.#open.delete(key);
    const server = part.type === "server_tool_call_chunk";
    let content: RawEvent;
    if (!failed && isRecord(input)) content = { type: server ? "server_tool_call" : "tool_call", id: part.id, name: part.name, args: input };
    else {
      const error = failed && typeof chunk["errorText"] === "string" ? chunk["errorText"] : INVALID_ARGS;
      const args = typeof input === "string" ? input : input === undefined ? part.buf.toString() : JSON.stringify(input);
      content = { type: "invalid_tool_call", id: part.id, name: part.name, args, error };
    }
    this.#out.push({ event: "content-block-finish", index: part.index, content: content as ContentBlock });
  }

  /** A tool's result (the provider's or the endpoint's): a `server_tool_result` block of its own. */
  #serverResult(chunk: RawEvent, failed: boolean, position: number): void {
    const content: RawEvent = {
      type: "server_tool_result",
      tool_call_id: field(chunk, "toolCallId", position),
      status: failed ? "error" : "success",
      output: failed ? chunk["errorText"] : chunk["output"],
    };
    this.#whole(content);
  }

  /**
   * A file the model made: its media type picks the block, and a base64 `data:` URL (how
   * `toUIMessageStream` sends generated files) becomes the block's `data`.
   */
  #file(chunk: RawEvent): void {
    const url = typeof chunk["url"] === "string" ? chunk["url"] : "";
    const mime = typeof chunk["mediaType"] === "string" ? chunk["mediaType"] : "";
    const major = mime.split("/", 1)[0];
    const type = major === "image" || major === "audio" || major === "video" ? major : "file";
    const content: RawEvent = { type };
    const base64 = url.startsWith("data:") ? url.indexOf(";base64,") : -1;
    if (base64 !== -1) content["data"] = url.slice(base64 + 8);
    else content["url"] = url;
    if (mime !== "") content["mime_type"] = mime;
    this.#whole(content);
  }

  /** A block that arrives whole: its start, then its finish. */
  #whole(content: RawEvent): void {
    const index = this.#next++;
    this.#out.push({ event: "content-block-start", index, content: content as ContentBlock });
    this.#out.push({ event: "content-block-finish", index, content: content as ContentBlock });
  }

  /** Ends an open part with what arrived: text as joined, a tool call as the fold would sweep it. */
  #close(part: OpenPart): void {
    const text = part.buf.toString();
    let content: RawEvent;
    if (part.type === "text") content = this.#textContent(part);
    else if (part.type === "reasoning") content = { type: "reasoning", reasoning: text };
    else if (part.type === "non_standard") content = { type: "non_standard", value: part.value };
    else {
      const args = parseArgs(text);
      const type = part.type === "server_tool_call_chunk" ? "server_tool_call" : "tool_call";
      content =
        args !== undefined
          ? { type, id: part.id, name: part.name, args }
          : { type: "invalid_tool_call", id: part.id, name: part.name, args: text, error: INVALID_ARGS };
    }
    this.#out.push({ event: "content-block-finish", index: part.index, content: content as ContentBlock });
  }

  #merge(metadata: unknown): void {
    // In place: a copy per chunk would make many metadata chunks quadratic.
    if (isRecord(metadata)) for (const key in metadata) setField(this.#metadata, key, metadata[key]);
  }

  /** The open parts end in index order, then the message, with what its metadata says. */
  #finish(unified: string | undefined): void {
    this.#releaseEnded();
    const open = [...this.#open.values()].sort((a, b) => a.index - b.index);
    this.#open.clear();
    for (const part of open) this.#close(part);
    // Sources that no text block followed.
    for (const source of this.#sources) this.#whole({ type: "non_standard", value: source.chunk });
    this.#sources = [];
    const { finishReason, usage, totalUsage, model, ...rest } = this.#metadata;
    const event: RawEvent = { event: "message-finish" };
    const reason = typeof finishReason === "string" ? finishReason : unified !== undefined ? (FINISH_REASONS[unified] ?? unified) : undefined;
    if (reason !== undefined) event["reason"] = reason;
    const counts = usageOf(usage) ?? usageOf(totalUsage);
    if (counts !== undefined) event["usage"] = counts;
    const metadata: RawEvent = typeof model === "string" && !this.#model ? { model_name: model, ...rest } : rest;
    if (Object.keys(metadata).length > 0) event["metadata"] = metadata;
    this.#out.push(event as ProtocolEvent);
    this.done = true;
  }

  #fail(message: string, code: string | undefined): void {
    this.#out.push({ event: "error", message, ...(code !== undefined ? { code } : {}) });
    this.done = true;
  }

  #pass(name: string, payload: RawEvent): void {
    this.#out.push({ event: "provider", provider: "ai-sdk", name, payload });
  }
}

/**
 * @internal A body known (by its header) to be a UI message stream. Its first message must be a
 * chunk: another kind of stream is named, not read as an empty message.
 */
export class UIMessageStreamConverter extends SSEMessageConverter {
  readonly #chunks: UIMessageChunks;

  constructor(limit: LineLimit) {
    super(limit);
    this.#chunks = new UIMessageChunks(this.out);
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    this.#chunks.message(message, position);
    this.done = this.#chunks.done;
  }

  override end(): void {
    super.end();
    this.#chunks.end();
    this.done = this.#chunks.done;
  }
}

/** A string field of a chunk, or a `TypeError` naming it and the chunk's position. */
function field(chunk: RawEvent, key: string, position: number): string {
  const value = chunk[key];
  if (typeof value === "string") return value;
  throw coded(
    new TypeError(`Invalid UI message chunk at position ${position}: ${String(chunk["type"])}.${key} must be a string, got ${typeof value}`),
    "bad_input",
  );
}

/** The error for a first message that is no UI chunk: whose stream it is, when that can be told. */
function notAChunk(value: unknown, position: number): TypeError {
  if (isRecord(value)) {
    const kind = typeof value["event"] === "string" ? "this package's protocol events" : providerStream(value, undefined);
    if (kind !== undefined) return coded(new TypeError(`Expected an AI SDK UI message stream, got ${kind}`), "bad_input");
  }
  return coded(new TypeError(`Invalid UI message chunk at position ${position}: expected a JSON object with a string type`), "bad_input");
}

/**
 * Counts in message metadata: ours (`input_tokens`, as `toResponse` writes them) or the AI SDK's
 * `LanguageModelUsage` (`inputTokens`, with its cache and reasoning details).
 */
function usageOf(value: unknown): UsageMetadata | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value["input_tokens"] === "number" || typeof value["output_tokens"] === "number") return value as unknown as UsageMetadata;
  if (typeof value["inputTokens"] !== "number" && typeof value["outputTokens"] !== "number") return undefined;
  const input = num(value["inputTokens"]) ?? 0;
  const output = num(value["outputTokens"]) ?? 0;
  const out: UsageMetadata = { input_tokens: input, output_tokens: output, total_tokens: num(value["totalTokens"]) ?? input + output };
  const inputDetails = isRecord(value["inputTokenDetails"]) ? value["inputTokenDetails"] : {};
  const outputDetails = isRecord(value["outputTokenDetails"]) ? value["outputTokenDetails"] : {};
  const cacheRead = num(inputDetails["cacheReadTokens"]) ?? num(value["cachedInputTokens"]);
  const cacheWrite = num(inputDetails["cacheWriteTokens"]);
  const reasoning = num(outputDetails["reasoningTokens"]) ?? num(value["reasoningTokens"]);
  if (cacheRead !== undefined || cacheWrite !== undefined) {
    out.input_token_details = {};
    if (cacheRead !== undefined) out.input_token_details["cache_read"] = cacheRead;
    if (cacheWrite !== undefined) out.input_token_details["cache_creation"] = cacheWrite;
  }
  if (reasoning !== undefined) out.output_token_details = { reasoning };
  return out;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

