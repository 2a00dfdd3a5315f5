/**
 * AG-UI events (protocol 1.0, as `toResponse`'s `"ag-ui"` format and AG-UI servers send them)
 * read back into protocol events, for `fromResponse`: each assistant text message is a text
 * block, each reasoning message (or an older server's `THINKING_TEXT_MESSAGE_*`) a reasoning
 * block with its encrypted value as the signature (or encrypted content), each tool call a tool-call chunk whose
 * `TOOL_CALL_ARGS` are its slices; the `*_CHUNK` shorthands open and continue the same.
 * `RUN_FINISHED` finishes the message (the finish reason from `result.finishReason`, the usage
 * from `usage`), a cancelled outcome is a Stop (`error`, code `"aborted"`), `RUN_ERROR` an
 * `error` with its message and code. State, steps, activities and custom events pass through as
 * `provider` events (`provider: "ag-ui"`, the event type as `name`).
 *
 * @module
 */
import { BlockWriter } from "../adapters/block-writer.ts";
import { coded } from "../errors.ts";
import { isRecord, type ProtocolEvent, type RawEvent, type UsageMetadata } from "../protocol.ts";
import type { ServerSentEvent } from "../sse/parse.ts";
import { parseJSON } from "./response-events.ts";

/** AG-UI 1.0's event types, and the `THINKING_*` ones servers sent before reasoning messages. */
const AGUI_TYPES = new Set([
  "TEXT_MESSAGE_START",
  "TEXT_MESSAGE_CONTENT",
  "TEXT_MESSAGE_END",
  "TEXT_MESSAGE_CHUNK",
  "TOOL_CALL_START",
  "TOOL_CALL_ARGS",
  "TOOL_CALL_END",
  "TOOL_CALL_CHUNK",
  "TOOL_CALL_RESULT",
  "STATE_SNAPSHOT",
  "STATE_DELTA",
  "MESSAGES_SNAPSHOT",
  "ACTIVITY_SNAPSHOT",
  "ACTIVITY_DELTA",
  "RAW",
  "CUSTOM",
  "RUN_STARTED",
  "RUN_FINISHED",
  "RUN_ERROR",
  "STEP_STARTED",
  "STEP_FINISHED",
  "REASONING_START",
  "REASONING_MESSAGE_START",
  "REASONING_MESSAGE_CONTENT",
  "REASONING_MESSAGE_END",
  "REASONING_MESSAGE_CHUNK",
  "REASONING_END",
  "REASONING_ENCRYPTED_VALUE",
  "SUBAGENT_STARTED",
  "SUBAGENT_FINISHED",
  "SUBAGENT_ERROR",
  "THINKING_START",
  "THINKING_END",
  "THINKING_TEXT_MESSAGE_START",
  "THINKING_TEXT_MESSAGE_CONTENT",
  "THINKING_TEXT_MESSAGE_END",
]);

/** @internal Whether a decoded SSE message is an AG-UI event: its `type` is one of AG-UI's, and it has no `event`. */
export function isAGUIEvent(value: unknown): boolean {
  return isRecord(value) && value["event"] === undefined && typeof value["type"] === "string" && AGUI_TYPES.has(value["type"]);
}

/** The fields a `*_CHUNK` may leave out continue the message or call that the last chunk named. */
interface Lanes {
  text: string | undefined;
  reasoning: string | undefined;
  tool: string | undefined;
}

/**
 * @internal AG-UI events in, protocol events out (into `out`), one SSE message at a time.
 * `done` once the run finished or failed; `end()` finishes a run that was cut off.
 */
export class AGUIEvents {
  done = false;
  readonly #out: ProtocolEvent[];
  readonly #blocks: BlockWriter;
  /** `message-start` went out: its id is the first assistant message's, else the run's. */
  #started = false;
  #runId: string | undefined;
  /** Open blocks by AG-UI id: text and reasoning messages, and tool calls. */
  readonly #text = new Map<string, number>();
  readonly #reasoning = new Map<string, number>();
  readonly #calls = new Map<string, number>();
  /** Text messages of another role (a user or system message echoed): their content is not the answer. */
  readonly #others = new Set<string>();
  readonly #lanes: Lanes = { text: undefined, reasoning: undefined, tool: undefined };
  /** The block of an older server's open `THINKING_TEXT_MESSAGE`, which has no id, or -1. */
  #thinking = -1;

  constructor(out: ProtocolEvent[]) {
    this.#out = out;
    this.#blocks = new BlockWriter(out);
  }

  /** One SSE message; `parsed` is its data already decoded, when the caller had to look at it. */
  message(message: ServerSentEvent, position: number, parsed?: unknown): void {
    if (this.done) return;
    const value = parsed ?? parseJSON(message.data, "AG-UI event data", position);
    if (!isRecord(value) || typeof value["type"] !== "string") {
      throw coded(new TypeError(`Invalid AG-UI event at position ${position}: expected a JSON object with a string "type"`), "bad_input");
    }
    this.#event(value);
  }

  /** The body ended: a run cut off before `RUN_FINISHED` finishes with what arrived. */
  end(): void {
    if (!this.done && this.#started) this.#finish(undefined, undefined);
  }

  #event(e: RawEvent): void {
    const type = e["type"] as string;
    switch (type) {
      case "RUN_STARTED":
        this.#runId ??= str(e["runId"]);
        return;
      case "TEXT_MESSAGE_START":
        return this.#openText(str(e["messageId"]), e["role"]);
      case "TEXT_MESSAGE_CONTENT":
        return this.#appendText(str(e["messageId"]), e["delta"]);
      case "TEXT_MESSAGE_END":
        return this.#close(this.#text, str(e["messageId"]));
      case "TEXT_MESSAGE_CHUNK":
        return this.#textChunk(e);
      case "REASONING_MESSAGE_START":
        return this.#openReasoning(str(e["messageId"]));
      case "REASONING_MESSAGE_CONTENT":
        return this.#appendReasoning(str(e["messageId"]), e["delta"]);
      case "REASONING_MESSAGE_END":
        return this.#close(this.#reasoning, str(e["messageId"]));
      case "REASONING_MESSAGE_CHUNK":
        return this.#reasoningChunk(e);
      case "REASONING_ENCRYPTED_VALUE":
        return this.#sign(e);
      case "THINKING_TEXT_MESSAGE_START":
      case "THINKING_TEXT_MESSAGE_CONTENT":
      case "THINKING_TEXT_MESSAGE_END":
        return this.#thinkingText(type, e["delta"]);
      case "TOOL_CALL_START":
        return this.#openCall(str(e["toolCallId"]), str(e["toolCallName"]), str(e["parentMessageId"]));
      case "TOOL_CALL_ARGS":
        return this.#args(str(e["toolCallId"]), e["delta"]);
      case "TOOL_CALL_END":
        return this.#close(this.#calls, str(e["toolCallId"]));
      case "TOOL_CALL_CHUNK":
        return this.#callChunk(e);
      case "RUN_FINISHED":
        return this.#runFinished(e);
      case "RUN_ERROR":
        return this.#fail(str(e["message"]) ?? "The AG-UI run failed", str(e["code"]));
      case "REASONING_START":
      case "REASONING_END":
      case "THINKING_START":
      case "THINKING_END":
        return; // a span around reasoning messages, which carry the reasoning
      default:
        // State, steps, messages snapshots, tool results, activities, subagents, raw and custom events.
        this.#out.push({ event: "provider", provider: "ag-ui", name: type, payload: e });
    }
  }

  /** `message-start`, once, before the first content: its id is `id` (an assistant message's), else the run's. */
  #start(id: string | undefined): void {
    if (this.#started) return;
    this.#started = true;
    const messageId = id ?? this.#runId;
    this.#out.push(messageId !== undefined ? { event: "message-start", role: "ai", id: messageId } : { event: "message-start", role: "ai" });
  }

  #openText(id: string | undefined, role: unknown): void {
    if (id === undefined || this.#text.has(id)) return;
    if (role !== undefined && role !== "assistant") {
      this.#others.add(id);
      return;
    }
    this.#others.delete(id);
    this.#start(id);
    const index = this.#blocks.allocate();
    this.#text.set(id, index);
    this.#blocks.start(index, "text");
  }

  #appendText(id: string | undefined, delta: unknown): void {
    if (id === undefined || this.#others.has(id)) return;
    // Content with no start (a lenient server): the message opens here.
    if (!this.#text.has(id)) this.#openText(id, undefined);
    if (typeof delta === "string") this.#blocks.append(this.#text.get(id)!, "text", delta);
  }

  #openReasoning(id: string | undefined): void {
    if (id === undefined || this.#reasoning.has(id)) return;
    this.#start(undefined);
    const index = this.#blocks.allocate();
    this.#reasoning.set(id, index);
    this.#blocks.start(index, "reasoning");
  }

  #appendReasoning(id: string | undefined, delta: unknown): void {
    if (id === undefined) return;
    if (!this.#reasoning.has(id)) this.#openReasoning(id);
    if (typeof delta === "string") this.#blocks.append(this.#reasoning.get(id)!, "reasoning", delta);
  }

  /**
   * An encrypted value of an open reasoning message is its signature, as Anthropic's thinking
   * blocks carry one, or the encrypted content (OpenAI's) when its metadata says so.
   */
  #sign(e: RawEvent): void {
    const id = str(e["entityId"]);
    const value = str(e["encryptedValue"]);
    const index = id !== undefined && e["subtype"] === "message" ? this.#reasoning.get(id) : undefined;
    const fields = index !== undefined ? this.#blocks.fields(index) : undefined;
    if (fields === undefined || value === undefined) return;
    const key = isRecord(e["metadata"]) && e["metadata"]["extras_key"] === "encrypted_content" ? "encrypted_content" : "signature";
    fields["extras"] = { ...(isRecord(fields["extras"]) ? fields["extras"] : {}), [key]: value };
  }

  /** The reasoning of servers from before reasoning messages: one unnamed message at a time. */
  #thinkingText(type: string, delta: unknown): void {
    if (type === "THINKING_TEXT_MESSAGE_END") {
      if (this.#thinking !== -1) this.#blocks.finish(this.#thinking);
      this.#thinking = -1;
      return;
    }
    if (this.#thinking === -1) {
      this.#start(undefined);
      this.#thinking = this.#blocks.allocate();
      this.#blocks.start(this.#thinking, "reasoning");
    }
    if (typeof delta === "string") this.#blocks.append(this.#thinking, "reasoning", delta);
  }

  #openCall(id: string | undefined, name: string | undefined, parent: string | undefined): void {
    if (id === undefined || this.#calls.has(id)) return;
    this.#start(parent);
    const index = this.#blocks.allocate();
    this.#calls.set(id, index);
    this.#blocks.start(index, "tool_call_chunk", name !== undefined ? { id, name } : { id });
  }

  #args(id: string | undefined, delta: unknown): void {
    const index = id !== undefined ? this.#calls.get(id) : undefined;
    if (index !== undefined && typeof delta === "string") this.#blocks.slice(index, delta);
  }

  /** Ends the text or reasoning message, or the tool call, `id` names: its block finishes. */
  #close(open: Map<string, number>, id: string | undefined): void {
    const index = id !== undefined ? open.get(id) : undefined;
    if (index === undefined) return;
    open.delete(id!);
    this.#blocks.finish(index);
  }

  /** A chunk with another id than the last chunk's ends the message that one opened. */
  #lane(lane: keyof Lanes, open: Map<string, number>, id: string | undefined): string | undefined {
    const last = this.#lanes[lane];
    if (id === undefined) return last;
    if (last !== undefined && last !== id) this.#close(open, last);
    this.#lanes[lane] = id;
    return id;
  }

  #textChunk(e: RawEvent): void {
    const id = this.#lane("text", this.#text, str(e["messageId"]));
    if (id === undefined) return;
    this.#openText(id, e["role"]);
    this.#appendText(id, e["delta"]);
  }

  #reasoningChunk(e: RawEvent): void {
    const id = this.#lane("reasoning", this.#reasoning, str(e["messageId"]));
    if (id === undefined) return;
    this.#appendReasoning(id, e["delta"]);
  }

  #callChunk(e: RawEvent): void {
    const id = this.#lane("tool", this.#calls, str(e["toolCallId"]));
    if (id === undefined) return;
    this.#openCall(id, str(e["toolCallName"]), str(e["parentMessageId"]));
    this.#args(id, e["delta"]);
  }

  /** A cancelled run is a Stop; any other outcome a finish. */
  #runFinished(e: RawEvent): void {
    const outcome = isRecord(e["outcome"]) ? e["outcome"] : undefined;
    if (outcome?.["type"] === "cancelled") return this.#fail("The AG-UI run was cancelled", "aborted");
    const metadata: RawEvent = {};
    if (outcome?.["type"] === "interrupt") metadata["interrupts"] = outcome["interrupts"];
    this.#finish(e, metadata);
  }

  /**
   * `message-finish` after the open blocks' finishes: the reason from our `result.finishReason`
   * (any other `result` is kept in the metadata), the usage summed over the run's entries, the
   * provider and model of the first entry that names them.
   */
  #finish(e: RawEvent | undefined, metadata: RawEvent | undefined): void {
    this.#start(undefined);
    this.#blocks.finishAll();
    const finish: RawEvent = { event: "message-finish" };
    const result = e?.["result"];
    const reason = isRecord(result) ? str(result["finishReason"]) : undefined;
    if (reason !== undefined) finish["reason"] = reason;
    else if (result !== undefined && result !== null) (metadata ??= {})["result"] = result;
    const entries = Array.isArray(e?.["usage"]) ? (e["usage"] as unknown[]).filter(isRecord) : [];
    const usage = langChainUsage(entries);
    if (usage !== undefined) finish["usage"] = usage;
    const named = entries.find((entry) => str(entry["model"]) !== undefined || str(entry["provider"]) !== undefined);
    if (named !== undefined) {
      metadata ??= {};
      if (str(named["provider"]) !== undefined) metadata["model_provider"] = named["provider"];
      if (str(named["model"]) !== undefined) metadata["model_name"] = named["model"];
    }
    if (metadata !== undefined && Object.keys(metadata).length > 0) finish["metadata"] = metadata;
    this.#out.push(finish as ProtocolEvent);
    this.done = true;
  }

  #fail(message: string, code: string | undefined): void {
    this.#start(undefined);
    this.#out.push(code !== undefined ? { event: "error", message, code } : { event: "error", message });
    this.done = true;
  }
}

/** AG-UI's `TokenUsage` entries as one LangChain usage: the counts summed, the cache and reasoning counts as details. */
function langChainUsage(entries: RawEvent[]): UsageMetadata | undefined {
  if (entries.length === 0) return undefined;
  const input = sum(entries, "inputTokens") ?? 0;
  const output = sum(entries, "outputTokens") ?? 0;
  const usage: UsageMetadata = { input_tokens: input, output_tokens: output, total_tokens: sum(entries, "totalTokens") ?? input + output };
  const cacheRead = sum(entries, "cachedInputTokens");
  const cacheCreation = sum(entries, "cacheWriteInputTokens");
  const reasoning = sum(entries, "reasoningTokens");
  if (cacheRead !== undefined || cacheCreation !== undefined) {
    usage.input_token_details = {};
    if (cacheRead !== undefined) usage.input_token_details["cache_read"] = cacheRead;
    if (cacheCreation !== undefined) usage.input_token_details["cache_creation"] = cacheCreation;
  }
  if (reasoning !== undefined) usage.output_token_details = { reasoning };
  return usage;
}

/** The sum of a count over the entries, or `undefined` when none has it. */
function sum(entries: RawEvent[], key: string): number | undefined {
  let total: number | undefined;
  for (const entry of entries) {
    const n = entry[key];
    if (typeof n === "number") total = (total ?? 0) + n;
  }
  return total;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
