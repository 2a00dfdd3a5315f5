/**
 * OpenAI Chat Completions streams (`POST /v1/chat/completions` with `stream: true`), and the many
 * servers that speak the same format, as protocol events.
 *
 * Blocks are numbered in order of first appearance: the reasoning (`reasoning_content` or
 * `reasoning`, as DeepSeek, Z.ai, xAI, Groq, vLLM, OpenRouter and others send it, or the
 * `thinking` parts of Mistral's `content` lists; OpenRouter's `reasoning_details` signature in
 * `extras.signature`), the text (with OpenRouter's and the search models' `annotations`), the
 * refusal (`{type: "non_standard", value: {type: "refusal", refusal}}`), one block per tool call
 * `index`; `non_standard` blocks hold what has no block of its own: each tool Groq's compound
 * models ran (`executed_tools`, a search with its results), and each encrypted reasoning that
 * OpenRouter passes on from o-series or Grok models (`{type: "reasoning.encrypted", data, …}`,
 * kept whole so it can be sent back). They finish, and the message with them, at `[DONE]`, so
 * the usage chunk that `stream_options: {include_usage: true}` adds after the `finish_reason` is
 * part of the finish (Groq puts that usage under `x_groq` in some streams).
 *
 * `message-start` waits for the first block (or the finish) and carries the first non-empty `id`
 * and `model`: Azure OpenAI opens with a chunk that has no choices, an empty `id` and `model`, and
 * the prompt's `prompt_filter_results`, which are kept in `response_metadata`, as are the
 * `moderation` results OpenAI sends after the usage when the request asks for them.
 *
 * @module
 */
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { eventTransformer, LineLimit, type DecoderOptions, type DecoderStreamOptions, type ResponseInput } from "../decoders/response-events.ts";
import { isRecord, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { HotChatChunks } from "./openai-hot-chunk.ts";
import { count, details, isChatChunk, ProviderConverter, providerEvents, record, text, usage } from "./provider-converter.ts";

/**
 * `usage` of a chunk, in LangChain's names. `output_tokens` counts the reasoning, as OpenAI's
 * `completion_tokens` does; xAI's leaves it out (its `total_tokens` is prompt + completion +
 * reasoning), so there the reasoning is added back and input + output is the total again.
 */
function chatUsage(raw: RawEvent): UsageMetadata {
  const input = count(raw, "prompt_tokens");
  const completion = count(raw, "completion_tokens");
  const promptDetails = record(raw, "prompt_tokens_details");
  const completionDetails = record(raw, "completion_tokens_details");
  const reasoning = count(completionDetails, "reasoning_tokens");
  const total = typeof raw["total_tokens"] === "number" ? raw["total_tokens"] : input + completion;
  const output = reasoning > 0 && total === input + completion + reasoning ? completion + reasoning : completion;
  return usage(
    input,
    output,
    total,
    details({ audio: promptDetails?.["audio_tokens"], cache_read: promptDetails?.["cached_tokens"] }),
    details({ audio: completionDetails?.["audio_tokens"], reasoning: completionDetails?.["reasoning_tokens"] }),
  );
}

/**
 * An `error` object with its `code` as text: OpenRouter sends the upstream HTTP status as a number
 * (`{code: 400, message}`), which would otherwise be dropped.
 */
function chatError(error: unknown): unknown {
  return isRecord(error) && typeof error["code"] === "number" ? { ...error, code: String(error["code"]) } : error;
}

/**
 * @internal The converter behind `fromOpenAIChat`. `hot: false` reads every chunk with
 * `JSON.parse`, for the test that the hot-chunk reader changes nothing.
 */
export class OpenAIChatConverter extends ProviderConverter {
  /** Block indices, or -1 before their first content: each is allocated when it first appears. */
  #reasoning = -1;
  #text = -1;
  #refusal = -1;
  /** Block index by the provider's tool-call `index`. */
  readonly #tools: number[] = [];
  /** Block index by the `index` of a tool Groq ran itself (`executed_tools`). */
  #executed: Map<number, number> | undefined = undefined;
  #reason: string | undefined = undefined;
  #usage: UsageMetadata | undefined = undefined;
  readonly #metadata: RawEvent = {};
  /**
   * The message's id and model: the first non-empty ones before `message-start`, which waits for
   * the first block (or the finish). Azure opens with a chunk whose id and model are "", and a
   * server may send its role chunk before it names anything.
   */
  #id: string | undefined = undefined;
  #model: string | undefined = undefined;
  /** A chunk of this message arrived: a stream cut off before any block still ends in a message. */
  #seen = false;
  /** The reader of the usual chunk, without JSON.parse. */
  readonly #hot: HotChatChunks | undefined;

  constructor(limit: LineLimit, hot = true) {
    super("an OpenAI Chat Completions stream", limit);
    this.#hot = hot ? new HotChatChunks() : undefined;
  }

  protected recognizes(data: RawEvent): boolean {
    return isChatChunk(data);
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    if (message.data === "[DONE]") return this.#finish();
    // The usual chunk (a piece of text or reasoning) is read by a scan; anything else by JSON.parse.
    const hot = this.#hot?.read(message.data);
    const chunk = hot !== undefined ? this.checked(hot, message) : this.json(message, position, "OpenAI chat");
    if (chunk["error"] != null) {
      if (this.#seen) this.#begin();
      return this.error(chatError(chunk["error"]));
    }
    const filters = chunk["prompt_filter_results"];
    if (Array.isArray(filters)) this.#metadata["prompt_filter_results"] = filters;
    // OpenAI's `moderation` results come in a chunk of their own after the usage.
    const moderation = record(chunk, "moderation");
    if (moderation !== undefined) this.#metadata["moderation"] = moderation;
    if (!this.started) {
      this.#seen = true;
      this.#id ??= text(chunk, "id");
      this.#model ??= text(chunk, "model");
    }
    const usage = record(chunk, "usage") ?? record(record(chunk, "x_groq"), "usage");
    if (usage !== undefined) this.#usage = chatUsage(usage);
    const fingerprint = text(chunk, "system_fingerprint");
    if (fingerprint !== undefined) this.#metadata["system_fingerprint"] = fingerprint;
    const tier = text(chunk, "service_tier");
    if (tier !== undefined) this.#metadata["service_tier"] = tier;
    const choices = chunk["choices"];
    if (!Array.isArray(choices)) return;
    // With `n` > 1 the choices interleave; this message is choice 0.
    for (const choice of choices) {
      if (isRecord(choice) && (choice["index"] == null || choice["index"] === 0)) return this.#choice(choice);
    }
  }

  protected onCutOff(): void {
    this.#finish();
  }

  override end(): void {
    super.end();
    if (!this.done && this.#seen) this.#finish();
  }

  /** `message-start`, once, with the id and model seen so far. */
  #begin(): void {
    if (!this.started) this.messageStart(this.#id, "openai", this.#model);
  }

  /** A new block's index; the message starts before its first block. */
  #allocate(): number {
    this.#begin();
    return this.blocks.allocate();
  }

  #choice(choice: RawEvent): void {
    const delta = record(choice, "delta");
    if (delta !== undefined) {
      this.#appendReasoning(text(delta, "reasoning_content") ?? delta["reasoning"]);
      const details = delta["reasoning_details"];
      if (Array.isArray(details)) this.#details(details);
      const content = delta["content"];
      if (Array.isArray(content)) this.#parts(content);
      else this.#appendText(content);
      const annotations = delta["annotations"];
      if (Array.isArray(annotations) && annotations.length > 0) this.#annotate(annotations);
      const refusal = text(delta, "refusal");
      if (refusal !== undefined) this.blocks.refuse(this.#refusalBlock(), refusal);
      const calls = delta["tool_calls"];
      if (Array.isArray(calls)) for (let i = 0; i < calls.length; i++) this.#toolCall(calls[i], i);
      const executed = delta["executed_tools"];
      if (Array.isArray(executed)) for (let i = 0; i < executed.length; i++) this.#executedTool(executed[i], i);
    }
    const reason = text(choice, "finish_reason");
    if (reason !== undefined) this.#reason = reason;
  }

  /**
   * `content` as a list of parts, as Mistral streams its reasoning models' thinking: `{type:
   * "thinking", thinking: [{type: "text", text}]}` is reasoning, `{type: "text", text}` (or a bare
   * string) is text.
   */
  #parts(parts: unknown[]): void {
    for (const part of parts) {
      if (!isRecord(part)) this.#appendText(part);
      else if (part["type"] === "text") this.#appendText(part["text"]);
      else if (part["type"] === "thinking") this.#thinking(part["thinking"]);
    }
  }

  /** A thinking part's text: a string, or a list of text parts. */
  #thinking(thinking: unknown): void {
    if (!Array.isArray(thinking)) return this.#appendReasoning(thinking);
    for (const piece of thinking) this.#appendReasoning(isRecord(piece) ? piece["text"] : piece);
  }

  /** Text, if `piece` is some: an empty piece opens no block (a role chunk's `content: ""` would number the text first). */
  #appendText(piece: unknown): void {
    if (typeof piece === "string" && piece !== "") this.blocks.append(this.#textBlock(), "text", piece);
  }

  /** Reasoning, if `piece` is some. */
  #appendReasoning(piece: unknown): void {
    if (typeof piece === "string" && piece !== "") this.blocks.append(this.#reasoningBlock(), "reasoning", piece);
  }

  #reasoningBlock(): number {
    if (this.#reasoning < 0) this.#reasoning = this.#allocate();
    return this.#reasoning;
  }

  #textBlock(): number {
    if (this.#text < 0) this.#text = this.#allocate();
    return this.#text;
  }

  #refusalBlock(): number {
    if (this.#refusal < 0) this.#refusal = this.#allocate();
    return this.#refusal;
  }

  /**
   * OpenRouter's `reasoning_details`, next to the `reasoning` text they repeat: what they add is a
   * signature (the upstream's, needed to send the reasoning back; it arrives whole, in its own
   * chunk, after the text) and the encrypted reasoning of models that show none.
   */
  #details(details: unknown[]): void {
    for (const detail of details) {
      const signature = text(detail, "signature");
      if (signature !== undefined) this.#sign(signature);
      else if (isRecord(detail) && detail["type"] === "reasoning.encrypted") this.#encrypted(detail);
    }
  }

  /** The signature goes on the reasoning block, opened if no reasoning text came before it. */
  #sign(signature: string): void {
    const index = this.#reasoningBlock();
    if (!this.blocks.isOpen(index)) this.blocks.start(index, "reasoning");
    const fields = this.blocks.fields(index);
    if (fields === undefined) return;
    const extras = (fields["extras"] ??= {}) as RawEvent;
    extras["signature"] = typeof extras["signature"] === "string" ? extras["signature"] + signature : signature;
  }

  /** An encrypted reasoning arrives whole, in one detail: a block that opens and finishes at once. */
  #encrypted(detail: RawEvent): void {
    const index = this.#allocate();
    this.blocks.start(index, "non_standard", { value: detail });
    this.blocks.finish(index);
  }

  /**
   * Citations (`url_citation`) go on the text block as the Responses adapter keeps them. OpenRouter
   * sends them before the text, in chunks whose `content` is empty, so they open the text block.
   */
  #annotate(annotations: unknown[]): void {
    const index = this.#textBlock();
    if (!this.blocks.isOpen(index)) this.blocks.start(index, "text");
    const fields = this.blocks.fields(index);
    if (fields === undefined) return;
    const kept = (fields["annotations"] ??= []) as unknown[];
    for (const annotation of annotations) kept.push({ type: "non_standard_annotation", value: annotation });
  }

  /**
   * A tool Groq's compound models ran themselves (a web search, code execution): a `non_standard`
   * block holding the entry, as the Responses adapter keeps a web search call. The entry comes
   * twice under one `index`, first with its arguments, then again with its `output`; the later
   * one replaces the earlier, and raw-event readers get it as a `block-delta`.
   */
  #executedTool(entry: unknown, position: number): void {
    if (!isRecord(entry)) return;
    const at = entry["index"];
    const key = typeof at === "number" ? at : position;
    const index = this.#executed?.get(key);
    if (index === undefined) {
      const block = this.#allocate();
      (this.#executed ??= new Map()).set(key, block);
      return this.blocks.start(block, "non_standard", { value: entry });
    }
    const fields = this.blocks.fields(index);
    if (fields === undefined) return;
    fields["value"] = entry;
    this.out.push({ event: "content-block-delta", index, delta: { type: "block-delta", fields: { value: entry } } });
  }

  #toolCall(call: unknown, position: number): void {
    const fn = record(call, "function");
    const id = text(call, "id");
    const name = text(fn, "name");
    const args = text(fn, "arguments") ?? "";
    const at = isRecord(call) ? call["index"] : undefined;
    const key = typeof at === "number" && at >= 0 ? at : position;
    let index = this.#tools[key];
    if (index === undefined) {
      index = this.#tools[key] = this.#allocate();
      const fields: RawEvent = {};
      if (id !== undefined) fields["id"] = id;
      if (name !== undefined) fields["name"] = name;
      this.blocks.start(index, "tool_call_chunk", fields, args);
    } else {
      this.blocks.slice(index, args, id, name);
    }
  }

  #finish(): void {
    this.#begin();
    this.messageFinish(this.#reason, this.#usage, this.#metadata);
  }
}

/**
 * The bytes of an OpenAI Chat Completions stream in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * const response = await fetch("https://api.openai.com/v1/chat/completions", init);
 * const events = response.body!.pipeThrough(new OpenAIChatDecoderStream());
 * ```
 *
 * Cancellation and errors: after `[DONE]` or an `error` chunk the stream terminates, which
 * (through `pipeThrough`) cancels the body. An `error` chunk becomes an `error` event (its
 * `message`, and its `code` or `type`). Data that is not a JSON object errors the stream with a
 * `TypeError` naming the message's position, and so does another provider's stream; a line over
 * `maxLineBytes` (8 MiB unless set) errors it with a `RangeError`. Errors go to the readable side,
 * never thrown from `transform` (workerd reports that as unhandled). Input that ends without
 * `[DONE]` gets the block and message finishes it was owed, with what arrived.
 */
export class OpenAIChatDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new OpenAIChatConverter(new LineLimit(options))));
  }
}

/**
 * A `ChatModelStream` over an OpenAI Chat Completions stream (or an OpenAI-compatible server's):
 * text (with its citations), reasoning, refusals, parallel tool calls, `finish_reason` and usage
 * (ask for it with `stream_options: {include_usage: true}`). `message-start` carries
 * `model_provider: "openai"` and the first non-empty `id` and `model` (Azure's opening
 * prompt-filter chunk has neither); the finish carries `finish_reason` as the server sent it, and
 * `refusal` when the model refused.
 *
 * @example
 * ```ts
 * const response = await fetch("https://api.openai.com/v1/chat/completions", {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${env.OPENAI_API_KEY}`, "content-type": "application/json" },
 *   body: JSON.stringify({ model: "gpt-4.1-mini", messages: [{ role: "user", content: prompt }], stream: true, stream_options: { include_usage: true } }),
 *   signal: request.signal,
 * });
 * const stream = fromOpenAIChat(response, { signal: request.signal });
 * ```
 *
 * Cancellation and errors: lazy (the body is read only when something consumes); cancelling the
 * stream cancels the body. A non-OK response fails it with an `HTTPError` (`status`, `headers`,
 * the provider's `message` and `code`); a JSON response (a request without `stream: true`) with
 * a `TypeError` saying so, and any other response that is not an event stream (HTML, plain text)
 * with a `TypeError` naming its content type; another provider's stream with a `TypeError` saying
 * whose it looks like; a line longer than `maxLineBytes` (8 MiB unless set, or `maxBytes` when
 * smaller) with a `RangeError`; an `error` chunk with an `Error` carrying its message and code;
 * data that is not JSON with a `TypeError` naming the position. A stream cut off before `[DONE]`
 * ends with a finish built from what arrived.
 */
export function fromOpenAIChat(input: ResponseInput, options?: DecoderOptions): ChatModelStream {
  return fromOpener(
    providerEvents(input, options, (limit) => new OpenAIChatConverter(limit)),
    options,
  );
}
