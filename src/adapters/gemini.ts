/**
 * Google Gemini streams (`POST …:streamGenerateContent?alt=sse`, the Gemini API and Vertex AI
 * alike) as protocol events. Each SSE message is a whole `GenerateContentResponse`; the stream has
 * no end marker of its own, so the message finishes when the body ends.
 *
 * What each field becomes:
 *
 * - `responseId` is the message `id` (a response without one gets `gemini-<hash of its first
 *   message>`, the same for the same bytes), `modelVersion` the `model_name`, and
 *   `model_provider` is `"google_genai"` (Vertex AI sends the same format).
 * - Parts of candidate 0, in order: consecutive `text` parts are one `text` block, consecutive
 *   `thought: true` parts one `reasoning` block; a part of another kind starts the next block.
 *   A `thoughtSignature` (needed to send the turn back) is kept on the block its part joined, in
 *   `extras.signature`, whether the part is text, a thought or a function call; an empty text part
 *   that only carries a signature (Gemini 3 sends one last) signs the text block before it. A second
 *   signature starts a new block, since it belongs to another part.
 * - `functionCall` arrives whole: a `tool_call` block (its `id`, else `<message id>_call_<n>` for
 *   the n-th call, so the same response gives the same ids). With Vertex AI's
 *   `streamFunctionCallArguments`, a call named with `willContinue` is followed by nameless parts
 *   whose `partialArgs` put values at JSON paths; they are assembled, and the call finishes whole
 *   at the part without `willContinue` (or, cut off, with what arrived). `executableCode` is a
 *   `server_tool_call` named `code_interpreter` with `{code, language}`, and `codeExecutionResult`
 *   a `server_tool_result` for it. `inlineData` (an image model's picture, audio) is an `image`,
 *   `audio` or `file` block with the base64 `data` and its `mime_type`; any other part
 *   (`fileData`, …) is a `non_standard` block holding it.
 * - `usageMetadata` (cumulative in every message) is a usage snapshot whenever its counts change:
 *   `input_tokens` = `promptTokenCount` + `toolUsePromptTokenCount`, `output_tokens` =
 *   `candidatesTokenCount` + `thoughtsTokenCount`, `total_tokens` = `totalTokenCount`;
 *   `cachedContentTokenCount` is `input_token_details.cache_read`, `thoughtsTokenCount`
 *   `output_token_details.reasoning`.
 * - `finishReason` (the last one sent) is the finish `reason` as Gemini spells it (`"STOP"`,
 *   `"MAX_TOKENS"`, `"SAFETY"`, …); `finishMessage` goes to the finish metadata as
 *   `finish_message`, and so do `groundingMetadata`, `urlContextMetadata` and the citations.
 * - Safety is a refusal, not a failure: the model answered, nothing broke, and the same request
 *   would be refused again. A prompt blocked by `promptFeedback.blockReason` finishes with that
 *   reason (`"SAFETY"`, `"PROHIBITED_CONTENT"`, …) and the `promptFeedback` as `prompt_feedback`;
 *   a candidate stopped for safety keeps what it streamed, and its `safetyRatings` (when one says
 *   `blocked`, or the reason is `"SAFETY"`) go to `safety_ratings`. (LangChain returns an empty
 *   message for a blocked prompt too, and the other adapters finish on `content_filter` or
 *   `refusal` alike.)
 * - `{"error": {code, message, status}}` is an `error` event with the `message`, and the `status`
 *   (`"RESOURCE_EXHAUSTED"`) as `code`, or the numeric `code` when there is no status.
 *
 * @module
 */
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { eventTransformer, LineLimit, type DecoderOptions, type DecoderStreamOptions, type ResponseInput } from "../decoders/response-events.ts";
import { isRecord, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { count, details, isGeminiChunk, ProviderConverter, providerEvents, record, text, usage } from "./provider-converter.ts";

const COUNTS = ["promptTokenCount", "toolUsePromptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount", "totalTokenCount"];

/** Whether `usageMetadata` holds any count (Vertex AI sends `{trafficType}` alone until the last message). */
function hasCounts(raw: RawEvent): boolean {
  for (const key of COUNTS) if (typeof raw[key] === "number") return true;
  return false;
}

/** `usageMetadata` in LangChain's names: thoughts are output, tool-use prompts input, as Gemini's total counts them. */
function geminiUsage(raw: RawEvent): UsageMetadata {
  const input = count(raw, "promptTokenCount") + count(raw, "toolUsePromptTokenCount");
  const output = count(raw, "candidatesTokenCount") + count(raw, "thoughtsTokenCount");
  const total = typeof raw["totalTokenCount"] === "number" ? raw["totalTokenCount"] : input + output;
  return usage(input, output, total, details({ cache_read: raw["cachedContentTokenCount"] }), details({ reasoning: raw["thoughtsTokenCount"] }));
}

/** 32-bit FNV-1a of a string's UTF-16 code units, as 8 hex digits: a stable id for a response that has none. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** One step of a `partialArgs` JSON path: `.name`, `[0]`, `['name']` or `["name"]`. */
const STEP = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;

/** The keys of a JSON path such as `$.recipe.steps[6]`, or `undefined` for one this reader does not know. */
function pathKeys(path: string): (string | number)[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const keys: (string | number)[] = [];
  STEP.lastIndex = 1;
  while (STEP.lastIndex < path.length) {
    const at = STEP.lastIndex;
    const step = STEP.exec(path);
    if (step === null || STEP.lastIndex === at) return undefined;
    keys.push(step[2] !== undefined ? Number(step[2]) : (step[1] ?? step[3] ?? step[4])!);
  }
  return keys;
}

/**
 * Puts `partialArgs` values into `root` at their paths; a string value at a path that already holds
 * a string continues it. Objects are made without a prototype (a key `__proto__` is a key), and an
 * array index past the end is refused, so `[4294967294]` cannot make JSON of four billion nulls.
 */
function addPartialArgs(root: RawEvent, partials: unknown): void {
  if (!Array.isArray(partials)) return;
  for (const partial of partials) {
    if (!isRecord(partial) || typeof partial["jsonPath"] !== "string") continue;
    const keys = pathKeys(partial["jsonPath"]);
    if (keys === undefined || keys.length === 0) continue;
    let value: unknown;
    if (typeof partial["stringValue"] === "string") value = partial["stringValue"];
    else if (typeof partial["numberValue"] === "number") value = partial["numberValue"];
    else if (typeof partial["boolValue"] === "boolean") value = partial["boolValue"];
    else if ("nullValue" in partial) value = null;
    else continue;
    let node: Record<string | number, unknown> = root;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (typeof key === "number" && (!Array.isArray(node) || key > node.length)) break;
      if (typeof key === "string" && Array.isArray(node)) break;
      if (i === keys.length - 1) {
        const old = node[key];
        node[key] = typeof value === "string" && typeof old === "string" ? old + value : value;
        break;
      }
      let next = node[key];
      if (next === null || typeof next !== "object") next = node[key] = typeof keys[i + 1] === "number" ? [] : Object.create(null);
      node = next as Record<string | number, unknown>;
    }
  }
}

/** Text and thoughts grow a block across parts and messages; every other part is a block of its own. */
type Kind = "text" | "reasoning";

class GeminiConverter extends ProviderConverter {
  #id = "";
  /** The block parts of `#kind` still join, or -1 after a part that stands alone. */
  #open = -1;
  #kind: Kind = "text";
  /** Function calls and code runs so far, numbering the ids made for them. */
  #calls = 0;
  /** The id of the last `executableCode`, which the `codeExecutionResult` after it answers. */
  #code: string | undefined;
  #usage: UsageMetadata | undefined;
  /** The counts of the last snapshot emitted, to emit one only when they change. */
  #counted = "";
  #reason: string | undefined;
  readonly #metadata: RawEvent = {};
  #citations: unknown[] | undefined;
  /**
   * A call whose arguments stream (Vertex AI's `streamFunctionCallArguments`): set by its first
   * part (a name and `willContinue`), grown by the nameless parts after it, cleared by the part
   * without `willContinue`.
   */
  #streamed: { index: number; args: RawEvent } | undefined;

  constructor(limit: LineLimit) {
    super("a Google Gemini stream", limit);
  }

  protected recognizes(data: RawEvent): boolean {
    return isGeminiChunk(data);
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    const data = this.json(message, position, "Gemini");
    if (data["error"] != null) return this.#error(data["error"]);
    if (!this.started) {
      this.#id = text(data, "responseId") ?? `gemini-${hash(message.data)}`;
      this.messageStart(this.#id, "google_genai", data["modelVersion"]);
    }
    const feedback = record(data, "promptFeedback");
    if (feedback !== undefined && text(feedback, "blockReason") !== undefined) this.#metadata["prompt_feedback"] = feedback;
    const candidates = data["candidates"];
    if (Array.isArray(candidates)) {
      // With `candidateCount` > 1 the candidates interleave; this message is candidate 0.
      for (const candidate of candidates) {
        if (isRecord(candidate) && (candidate["index"] == null || candidate["index"] === 0)) {
          this.#candidate(candidate);
          break;
        }
      }
    }
    const raw = record(data, "usageMetadata");
    if (raw !== undefined && hasCounts(raw)) this.#snapshot(raw);
  }

  protected onCutOff(): void {
    this.#finish();
  }

  #candidate(candidate: RawEvent): void {
    const parts = record(candidate, "content")?.["parts"];
    if (Array.isArray(parts)) for (const part of parts) if (isRecord(part)) this.#part(part);
    const reason = text(candidate, "finishReason");
    if (reason !== undefined) this.#reason = reason;
    const finishMessage = text(candidate, "finishMessage");
    if (finishMessage !== undefined) this.#metadata["finish_message"] = finishMessage;
    const ratings = candidate["safetyRatings"];
    if (Array.isArray(ratings) && (reason === "SAFETY" || ratings.some((r) => isRecord(r) && r["blocked"] === true))) {
      this.#metadata["safety_ratings"] = ratings;
    }
    const citations = record(candidate, "citationMetadata")?.["citations"];
    if (Array.isArray(citations) && citations.length > 0) {
      // Each message cites what its own text quotes: they add up.
      this.#citations ??= [];
      for (const citation of citations) this.#citations.push(citation); // no spread: a huge list would overflow the stack
      this.#metadata["citation_metadata"] = { citations: this.#citations };
    }
    // Sent whole, often as `{}` until the last message: the last one that says something wins.
    const grounding = record(candidate, "groundingMetadata");
    if (grounding !== undefined && Object.keys(grounding).length > 0) this.#metadata["grounding_metadata"] = grounding;
    const urlContext = record(candidate, "urlContextMetadata");
    if (urlContext !== undefined && Object.keys(urlContext).length > 0) this.#metadata["url_context_metadata"] = urlContext;
  }

  #part(part: RawEvent): void {
    const signature = text(part, "thoughtSignature");
    if (typeof part["text"] === "string") return this.#text(part["text"], part["thought"] === true ? "reasoning" : "text", signature);
    const call = record(part, "functionCall");
    if (call !== undefined) return this.#functionCall(call, signature);
    const code = record(part, "executableCode");
    if (code !== undefined) return this.#executableCode(code, signature);
    const result = record(part, "codeExecutionResult");
    if (result !== undefined) return this.#codeResult(result, signature);
    const inline = record(part, "inlineData");
    if (inline !== undefined && typeof inline["data"] === "string") return this.#media(inline, signature);
    // A thought that is only a signature signs the reasoning block before it.
    if (signature !== undefined && Object.keys(part).every((key) => key === "thoughtSignature" || key === "thought")) {
      return this.#text("", part["thought"] === true ? "reasoning" : "text", signature);
    }
    this.#alone("non_standard", { value: part });
  }

  /** Appends to the open block of `kind`, or opens one; a part with a signature signs it. */
  #text(piece: string, kind: Kind, signature: string | undefined): void {
    // An empty part opens nothing unless it carries a signature to keep.
    if (piece === "" && signature === undefined) return;
    const open = this.#open >= 0 && this.#kind === kind && this.blocks.isOpen(this.#open);
    // A second signature is another part's: it starts a block of its own.
    const signed = open && this.#signature(this.#open) !== undefined;
    if (!open || (signed && signature !== undefined)) {
      this.#closeOpen();
      this.#open = this.blocks.allocate();
      this.#kind = kind;
      this.blocks.start(this.#open, kind);
    }
    this.blocks.append(this.#open, kind, piece);
    if (signature !== undefined) this.#sign(this.#open, signature);
  }

  #functionCall(call: RawEvent, signature: string | undefined): void {
    const name = text(call, "name");
    const more = call["willContinue"] === true;
    const streamed = this.#streamed;
    if (streamed !== undefined && name === undefined) {
      addPartialArgs(streamed.args, call["partialArgs"]);
      if (!more) this.#endStreamed();
      return;
    }
    if (streamed !== undefined) this.#endStreamed();
    const fields: RawEvent = { id: text(call, "id") ?? this.#callId() };
    if (name !== undefined) fields["name"] = name;
    if (more) {
      // The arguments come as values at JSON paths, in no useful text order: they are put together
      // here and sent as one slice when the call ends.
      this.#closeOpen();
      const index = this.blocks.allocate();
      if (signature !== undefined) fields["extras"] = { signature };
      this.blocks.start(index, "tool_call_chunk", fields);
      this.#streamed = { index, args: Object.create(null) as RawEvent };
      return addPartialArgs(this.#streamed.args, call["partialArgs"]);
    }
    const args = call["args"];
    this.#alone("tool_call_chunk", fields, signature, isRecord(args) ? JSON.stringify(args) : "");
  }

  #endStreamed(): void {
    const streamed = this.#streamed;
    if (streamed === undefined) return;
    this.#streamed = undefined;
    // One slice with the whole arguments, so tool-call readers get them as they get any call's.
    this.blocks.slice(streamed.index, JSON.stringify(streamed.args));
    this.blocks.finish(streamed.index);
  }

  #executableCode(code: RawEvent, signature: string | undefined): void {
    const id = text(code, "id") ?? this.#callId();
    this.#code = id;
    const args: RawEvent = { code: typeof code["code"] === "string" ? code["code"] : "" };
    const language = text(code, "language");
    if (language !== undefined) args["language"] = language;
    this.#alone("server_tool_call_chunk", { id, name: "code_interpreter" }, signature, JSON.stringify(args));
  }

  #codeResult(result: RawEvent, signature: string | undefined): void {
    const outcome = text(result, "outcome");
    const fields: RawEvent = { tool_call_id: text(result, "id") ?? this.#code ?? "", status: outcome === "OUTCOME_OK" ? "success" : "error" };
    if (typeof result["output"] === "string") fields["output"] = result["output"];
    if (outcome !== undefined) fields["extras"] = { outcome };
    this.#alone("server_tool_result", fields, signature);
  }

  /** Generated media (an image from an image model, audio): base64 `data` and its `mime_type`. */
  #media(inline: RawEvent, signature: string | undefined): void {
    const mime = text(inline, "mimeType") ?? "application/octet-stream";
    const type = mime.startsWith("image/") ? "image" : mime.startsWith("audio/") ? "audio" : "file";
    this.#alone(type, { data: inline["data"], mime_type: mime }, signature);
  }

  /**
   * A block that is whole in its part: the open text or thought block ends, this one starts and
   * finishes. Its part's signature goes on it, as on a text block.
   */
  #alone(type: string, fields: RawEvent, signature?: string, seed = ""): void {
    this.#closeOpen();
    if (signature !== undefined) fields["extras"] = { ...(isRecord(fields["extras"]) ? fields["extras"] : {}), signature };
    const index = this.blocks.allocate();
    this.blocks.start(index, type, fields, seed);
    this.blocks.finish(index);
  }

  #closeOpen(): void {
    if (this.#open >= 0) this.blocks.finish(this.#open);
    this.#open = -1;
  }

  #callId(): string {
    return `${this.#id}_call_${this.#calls++}`;
  }

  #signature(index: number): unknown {
    const extras = this.blocks.fields(index)?.["extras"];
    return isRecord(extras) ? extras["signature"] : undefined;
  }

  #sign(index: number, signature: string): void {
    const fields = this.blocks.fields(index);
    if (fields !== undefined) fields["extras"] = { ...(isRecord(fields["extras"]) ? fields["extras"] : {}), signature };
  }

  #snapshot(raw: RawEvent): void {
    const counted = COUNTS.map((key) => count(raw, key)).join(",");
    if (counted === this.#counted) return;
    this.#counted = counted;
    this.#usage = geminiUsage(raw);
    this.out.push({ event: "usage", usage: this.#usage });
  }

  #error(error: unknown): void {
    const body = isRecord(error) ? error : {};
    const code = text(body, "status") ?? (typeof body["code"] === "number" ? String(body["code"]) : undefined);
    this.error(code !== undefined ? { message: body["message"], code } : { message: body["message"] });
  }

  #finish(): void {
    this.#endStreamed(); // a stream cut off mid-call keeps the arguments that arrived
    const reason = this.#reason ?? text(this.#metadata["prompt_feedback"], "blockReason");
    this.messageFinish(reason, this.#usage, this.#metadata);
  }
}

/**
 * The bytes of a Gemini `streamGenerateContent?alt=sse` stream (Gemini API or Vertex AI) in,
 * protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * const url = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
 * const response = await fetch(url, init);
 * const events = response.body!.pipeThrough(new GeminiDecoderStream());
 * ```
 *
 * Cancellation and errors: the stream has no end marker, so the message finishes when the input
 * ends; an `error` message terminates the stream, which (through `pipeThrough`) cancels the body.
 * `{"error": {code, message, status}}` becomes an `error` event (its `message`, and its `status`
 * as `code`). Data that is not a JSON object errors the stream with a `TypeError` naming the
 * message's position, and so does another provider's stream; a line over `maxLineBytes` (8 MiB
 * unless set) errors it with a `RangeError`. Errors go to the readable side, never thrown from
 * `transform` (workerd reports that as unhandled).
 */
export class GeminiDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new GeminiConverter(new LineLimit(options))));
  }
}

/**
 * A `ChatModelStream` over a Gemini `streamGenerateContent?alt=sse` stream, from the Gemini API or
 * Vertex AI: text, thought summaries (`includeThoughts: true`) as reasoning, thought signatures,
 * function calls, code execution, `finishReason` and usage. `message-start` carries the
 * `responseId`, `model_provider: "google_genai"` and the `modelVersion`. A blocked prompt or a
 * candidate stopped for safety finishes normally, with Gemini's reason as `finish_reason`: check it
 * before trusting an empty answer.
 *
 * @example
 * ```ts
 * declare const apiKey: string;
 * const model = "gemini-2.5-flash";
 * const response = await fetch(`https://generativelanguage.googleapis.com/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
 *   method: "POST",
 *   headers: { "x-goog-api-key": apiKey, "content-type": "application/json" },
 *   body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] }),
 *   signal: request.signal,
 * });
 * const stream = fromGemini(response, { signal: request.signal });
 * ```
 *
 * Cancellation and errors: lazy (the body is read only when something consumes); cancelling the
 * stream cancels the body. A non-OK response fails it with an `HTTPError` (`status`, `headers`,
 * the provider's `message`); a response without `alt=sse` (a JSON array) with a `TypeError` that
 * asks for `?alt=sse`, and any other body that is not an event stream (HTML, plain text) with a
 * `TypeError` naming its content type; another
 * provider's stream with a `TypeError` saying whose it looks like; a line longer than
 * `maxLineBytes` (8 MiB unless set, or `maxBytes` when smaller) with a `RangeError`; an `error`
 * message with an `Error` carrying its message and status as `code`; data that is not JSON with a
 * `TypeError` naming the position. The message finishes when the body ends, so a stream cut off
 * early ends with a finish built from what arrived (without a `finish_reason` if none came).
 */
export function fromGemini(input: ResponseInput, options?: DecoderOptions): ChatModelStream {
  return fromOpener(
    providerEvents(input, options, (limit) => new GeminiConverter(limit), "was the request sent to :streamGenerateContent?alt=sse?"),
    options,
  );
}
