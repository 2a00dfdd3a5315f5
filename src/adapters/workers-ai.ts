/**
 * Cloudflare Workers AI text generation streams (`env.AI.run(model, {stream: true})`, which returns
 * the SSE body itself as a `ReadableStream`, or the REST API's `text/event-stream` response) as
 * protocol events.
 *
 * Workers AI streams in two shapes, and the first message says which this stream is. Its own:
 * `{"response": "…", "tool_calls": [...], "p": "…"}` messages (`p` is padding), then
 * `{"response": "", "usage": {…}}` and `[DONE]`. Newer models send OpenAI Chat Completions chunks
 * (`choices[].delta`, their `model` named `@cf/…`), each with the usage of its own tokens, and end
 * with the same `{"response": "", "usage"}` message holding the totals. Blocks are numbered in order
 * of first appearance: reasoning (`delta.reasoning_content` or `delta.reasoning`), text (`response`
 * or `delta.content`), and one block per tool call (by its `index`, or one per entry when it has
 * none; `arguments` may come whole as an object or in string slices; a call without an `id` gets
 * `call_<n>`). Usage: `prompt_tokens` / `completion_tokens` in LangChain's names,
 * `prompt_tokens_details.cached_tokens` as `cache_read`; the final totals replace the chunks' sums,
 * and the `neurons` Workers AI billed go to the finish metadata. `finish_reason` (only the chunk
 * shape has one) is the finish reason. There is no message id in Workers AI's own shape: the
 * message's id is then the stream's `messageId` option, if given.
 *
 * @module
 */
import { fromOpener, type ChatModelStream } from "../chat-model-stream.ts";
import { eventTransformer, LineLimit, type DecoderOptions, type DecoderStreamOptions, type ResponseInput } from "../decoders/response-events.ts";
import { isRecord, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { count, details, isChatChunk, isWorkersAIMessage, ProviderConverter, providerEvents, record, text, usage } from "./provider-converter.ts";

/** Workers AI's model names: `@cf/meta/llama-3.1-8b-instruct`, `@hf/…`. */
const MODEL = /^@(?:cf|hf)\//;

/** Whether an OpenAI chunk can be Workers AI's: its model is one of Workers AI's names, or unnamed. */
function isWorkersAIChunk(data: RawEvent): boolean {
  const model = data["model"];
  return isChatChunk(data) && (model == null || (typeof model === "string" && MODEL.test(model)));
}

class WorkersAIConverter extends ProviderConverter {
  #reasoning = -1;
  #text = -1;
  /** Block index by the provider's tool-call `index`. */
  readonly #tools = new Map<number, number>();
  #calls = 0;
  #reason: string | undefined = undefined;
  /** The chunks' own counts, summed; replaced by the totals of the final `usage` message. */
  #input = 0;
  #output = 0;
  #cached: number | undefined = undefined;
  #usage: UsageMetadata | undefined = undefined;
  #neurons: number | undefined = undefined;

  constructor(limit: LineLimit) {
    super("a Workers AI stream", limit);
  }

  protected recognizes(data: RawEvent): boolean {
    // `errors` is how Cloudflare's API reports a failure, first message or not.
    return isWorkersAIMessage(data) || isWorkersAIChunk(data) || Array.isArray(data["errors"]);
  }

  protected onMessage(message: ServerSentEvent, position: number): void {
    if (message.data === "[DONE]") return this.#finish();
    const data = this.json(message, position, "Workers AI");
    if (data["error"] != null) return this.error(data["error"]);
    const errors = data["errors"];
    if (Array.isArray(errors) && errors.length > 0) return this.#failed(errors[0]);
    if (!this.started) this.messageStart(data["id"], "cloudflare-workers-ai", data["model"]);
    if (isChatChunk(data)) this.#chunk(data);
    else this.#own(data);
  }

  protected onCutOff(): void {
    this.#finish();
  }

  /** Workers AI's own shape: `response` text, whole or sliced tool calls, the final totals. */
  #own(data: RawEvent): void {
    const response = text(data, "response");
    if (response !== undefined) this.#appendText(response);
    this.#toolCalls(data["tool_calls"]);
    const raw = record(data, "usage");
    if (raw !== undefined) {
      this.#usage = usage(
        count(raw, "prompt_tokens"),
        count(raw, "completion_tokens"),
        typeof raw["total_tokens"] === "number" ? raw["total_tokens"] : count(raw, "prompt_tokens") + count(raw, "completion_tokens"),
        details({ cache_read: record(raw, "prompt_tokens_details")?.["cached_tokens"] }),
        details({ reasoning: record(raw, "completion_tokens_details")?.["reasoning_tokens"] }),
      );
      if (typeof raw["neurons"] === "number") this.#neurons = raw["neurons"];
    }
  }

  /** An OpenAI chunk: choice 0's delta and finish reason, and the usage of this chunk's tokens. */
  #chunk(data: RawEvent): void {
    const raw = record(data, "usage");
    if (raw !== undefined && this.#usage === undefined) {
      this.#input += count(raw, "prompt_tokens");
      this.#output += count(raw, "completion_tokens");
      const cached = record(raw, "prompt_tokens_details")?.["cached_tokens"];
      if (typeof cached === "number") this.#cached = (this.#cached ?? 0) + cached;
    }
    const choices = data["choices"];
    if (!Array.isArray(choices)) return;
    for (const choice of choices) {
      if (!isRecord(choice) || (choice["index"] != null && choice["index"] !== 0)) continue;
      const delta = record(choice, "delta");
      const reasoning = text(delta, "reasoning_content") ?? text(delta, "reasoning");
      if (reasoning !== undefined) {
        if (this.#reasoning < 0) this.#reasoning = this.blocks.allocate();
        this.blocks.append(this.#reasoning, "reasoning", reasoning);
      }
      const content = text(delta, "content");
      if (content !== undefined) this.#appendText(content);
      this.#toolCalls(delta?.["tool_calls"]);
      const reason = text(choice, "finish_reason");
      if (reason !== undefined) this.#reason = reason;
      return;
    }
  }

  #appendText(piece: string): void {
    if (this.#text < 0) this.#text = this.blocks.allocate();
    this.blocks.append(this.#text, "text", piece);
  }

  #toolCalls(calls: unknown): void {
    if (!Array.isArray(calls)) return;
    for (const call of calls) if (isRecord(call)) this.#toolCall(call);
  }

  /**
   * A tool call with an `index` is a slice of that call; one without is a whole call, finished at
   * once. The entry that only says "no more" (`id`, `name` and `arguments` all null) is skipped.
   */
  #toolCall(call: RawEvent): void {
    const fn = record(call, "function");
    const id = text(call, "id");
    const name = text(fn, "name") ?? text(call, "name");
    const value = fn?.["arguments"] ?? call["arguments"];
    const args = typeof value === "string" ? value : value == null ? "" : JSON.stringify(value);
    const at = call["index"];
    const key = typeof at === "number" && Number.isInteger(at) && at >= 0 ? at : undefined;
    let index = key === undefined ? undefined : this.#tools.get(key);
    if (index !== undefined) return this.blocks.slice(index, args, id, name);
    if (id === undefined && name === undefined && args === "") return;
    index = this.blocks.allocate();
    if (key !== undefined) this.#tools.set(key, index);
    this.blocks.start(index, "tool_call_chunk", { id: id ?? `call_${this.#calls}`, ...(name !== undefined ? { name } : {}) }, args);
    this.#calls++;
    if (key === undefined) this.blocks.finish(index);
  }

  /** `errors: [{message, code}]`, as Cloudflare's API reports failures. */
  #failed(error: unknown): void {
    const code = isRecord(error) ? error["code"] : undefined;
    this.error({ message: isRecord(error) ? error["message"] : error, ...(code != null ? { code: String(code) } : {}) });
  }

  #finish(): void {
    const summed = this.#input + this.#output > 0 ? usage(this.#input, this.#output, this.#input + this.#output, details({ cache_read: this.#cached }), undefined) : undefined;
    this.messageFinish(this.#reason, this.#usage ?? summed, this.#neurons !== undefined ? { neurons: this.#neurons } : undefined);
  }
}

/**
 * The bytes of a Workers AI stream in, protocol events out, for `pipeThrough`.
 *
 * @example
 * ```ts
 * declare const ai: { run(model: string, inputs: object): Promise<ReadableStream<Uint8Array>> }; // env.AI
 * const body = await ai.run("@cf/meta/llama-3.1-8b-instruct", { prompt, stream: true });
 * const events = body.pipeThrough(new WorkersAIDecoderStream());
 * ```
 *
 * Cancellation and errors: after `[DONE]` or an error message the stream terminates, which
 * (through `pipeThrough`) cancels the body. An `error` or `errors: [{message, code}]` message
 * becomes an `error` event (its message, and its code as text). Data that is not a JSON object
 * errors the stream with a `TypeError` naming the message's position, and so does another
 * provider's stream (an OpenAI chunk whose `model` is not a Workers AI model counts as another
 * provider's); a line over `maxLineBytes` (8 MiB unless set) errors it with a `RangeError`.
 * Errors go to the readable side, never thrown from `transform`. Input that ends without `[DONE]`
 * gets the block and message finishes it was owed, with what arrived.
 */
export class WorkersAIDecoderStream extends TransformStream<Uint8Array, ProtocolEvent> {
  constructor(options?: DecoderStreamOptions) {
    super(eventTransformer(new WorkersAIConverter(new LineLimit(options))));
  }
}

/**
 * A `ChatModelStream` over a Workers AI text generation stream: the `ReadableStream` that
 * `env.AI.run(model, {stream: true})` returns, or a REST API `Response`. Text, reasoning, tool
 * calls, usage and, for chunk-shaped streams, `finish_reason`. `message-start` carries
 * `model_provider: "cloudflare-workers-ai"` and the `model` when the stream names it (the
 * binding's own shape does not: pass `messageId` to name the message).
 *
 * @example
 * ```ts
 * declare const ai: { run(model: string, inputs: object): Promise<ReadableStream<Uint8Array>> }; // env.AI
 * const body = await ai.run("@cf/meta/llama-3.1-8b-instruct", {
 *   messages: [{ role: "user", content: prompt }],
 *   stream: true,
 * });
 * const stream = fromWorkersAI(body, { signal: request.signal });
 * const reply: Response = toResponse(stream);
 * ```
 *
 * Cancellation and errors: lazy (the body is read only when something consumes); cancelling the
 * stream cancels the body. A non-OK response fails it with an `HTTPError`; a JSON response (a
 * request without `stream: true`) with a `TypeError` saying so, and any other response that is
 * not an event stream with a `TypeError` naming its content type; another provider's stream with
 * a `TypeError` saying whose it looks like; a line longer than `maxLineBytes` (8 MiB unless set,
 * or `maxBytes` when smaller) with a `RangeError`; an error message with an `Error` carrying its
 * message and code; data that is not JSON with a `TypeError` naming the position. A stream cut
 * off before `[DONE]` ends with a finish built from what arrived.
 */
export function fromWorkersAI(input: ResponseInput, options?: DecoderOptions): ChatModelStream {
  return fromOpener(
    providerEvents(input, options, (limit) => new WorkersAIConverter(limit)),
    options,
  );
}
