/**
 * The content-block protocol: the events that go in, the blocks they carry and the message that
 * comes out, plus the checks that turn a malformed event into a `TypeError` naming the field and
 * the event's position.
 *
 * @module
 */
import { coded } from "./errors.ts";

/** Token counts, as LangChain's `UsageMetadata`. */
export interface UsageMetadata {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_token_details?: Record<string, number>;
  output_token_details?: Record<string, number>;
}

interface BlockBase {
  id?: string;
  index?: number | string;
  [extra: string]: unknown;
}
/** A finished or starting text block. */
export interface TextBlock extends BlockBase { type: "text"; text: string; annotations?: unknown[] }
/** A finished or starting reasoning block. */
export interface ReasoningBlock extends BlockBase { type: "reasoning"; reasoning?: string }
/**
 * Reasoning as LangChain.js's bridge sends it: read as a reasoning block whose text is `thinking`;
 * it finishes as a `reasoning` block that keeps its other fields (a `signature`).
 */
export interface ThinkingBlock extends BlockBase { type: "thinking"; thinking?: string; signature?: string }
/** A complete client-side tool call. */
export interface ToolCall extends BlockBase {
  type: "tool_call";
  id: string;
  name: string;
  args: Record<string, unknown>;
}
/** A slice of a tool call while it streams; `args` is a fragment of JSON text. */
export interface ToolCallChunk extends BlockBase {
  type: "tool_call_chunk";
  name?: string;
  args?: string;
}
/** A tool call whose arguments could not be parsed. */
export interface InvalidToolCall extends BlockBase {
  type: "invalid_tool_call";
  name?: string;
  args?: string;
  error?: string;
}
/** A tool call executed by the provider. */
export interface ServerToolCall extends BlockBase { type: "server_tool_call"; name?: string; args?: unknown }
/** A slice of a provider-executed tool call. */
export interface ServerToolCallChunk extends BlockBase { type: "server_tool_call_chunk"; name?: string; args?: string }
/** The result of a provider-executed tool call. */
export interface ServerToolResult extends BlockBase { type: "server_tool_result" }
/** Binary or linked media: `url`, or `data` (often base64) with `mime_type`. */
export interface DataBlock extends BlockBase {
  type: "image" | "audio" | "file" | "video";
  url?: string;
  data?: string;
  mime_type?: string;
}
/** A provider-specific block passed through untouched. */
export interface NonStandardBlock extends BlockBase { type: "non_standard"; value?: unknown }

/** Any v1 content block. */
export type ContentBlock =
  | TextBlock
  | ReasoningBlock
  | ThinkingBlock
  | ToolCall
  | ToolCallChunk
  | InvalidToolCall
  | ServerToolCall
  | ServerToolCallChunk
  | ServerToolResult
  | DataBlock
  | NonStandardBlock;

/** The payload of a `content-block-delta`. */
export type ContentBlockDelta =
  | { type: "text-delta"; text: string }
  | { type: "reasoning-delta"; reasoning: string }
  | { type: "data-delta"; data: string; encoding?: string }
  | { type: "block-delta"; fields: Record<string, unknown> }
  | { type: "tool-call-delta"; args?: string | null; id?: string | null; name?: string | null }
  | ContentBlock;

/** One protocol event (the wire format is snake_case JSON). */
export type ProtocolEvent =
  | {
      event: "message-start";
      role?: "ai";
      id?: string;
      metadata?: Record<string, unknown>;
      usage?: UsageMetadata;
    }
  | { event: "content-block-start"; index: number; content: ContentBlock }
  | { event: "content-block-delta"; index: number; delta: ContentBlockDelta }
  | { event: "content-block-finish"; index: number; content: ContentBlock }
  | { event: "usage"; usage: UsageMetadata }
  | {
      event: "message-finish";
      reason?: string;
      usage?: UsageMetadata;
      metadata?: Record<string, unknown>;
      responseMetadata?: Record<string, unknown>;
    }
  | { event: "provider"; provider: string; name: string; payload: unknown }
  | { event: "error"; message: string; code?: string };

/** The assembled message. */
export interface AIMessage {
  type: "ai";
  id?: string;
  content: string | ContentBlock[];
  tool_calls: ToolCall[];
  invalid_tool_calls: InvalidToolCall[];
  usage_metadata?: UsageMetadata;
  response_metadata: Record<string, unknown>;
}

/** An error that carries the message assembled before the stream stopped. */
export interface ErrorWithPartial extends Error {
  partial?: AIMessage;
}

/** @internal Whether an event name ends the message: nothing is read or written after it. */
export function isTerminal(name: unknown): boolean {
  return name === "message-finish" || name === "error";
}

/** A loosely typed view of an event, for reading fields before they are checked. */
export type RawEvent = Record<string, unknown>;

/** @internal */
export function badEvent(position: number, event: string, field: string, expected: string, got: unknown): TypeError {
  return coded(
    new TypeError(`Invalid protocol event at position ${position}: ${event}.${field} must be ${expected}, got ${describe(got)}`),
    "bad_input",
  );
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** @internal Checks that a value is an event object and returns its `event` name. */
export function eventName(value: unknown, position: number): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw coded(new TypeError(`Invalid protocol event at position ${position}: expected an object, got ${describe(value)}`), "bad_input");
  }
  const name = (value as RawEvent)["event"];
  if (typeof name !== "string") throw badEvent(position, "event", "event", "a string", name);
  return name;
}

/** @internal */
export function checkIndex(ev: RawEvent, position: number, name: string): number {
  const index = ev["index"];
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0) {
    throw badEvent(position, name, "index", "a non-negative integer", index);
  }
  return index;
}

/** @internal Reads an object field, accepting the older `content_block` key. */
export function blockField(ev: RawEvent, position: number, name: string, key: string): RawEvent {
  let value = ev[key];
  if (value == null) value = ev["content"] ?? ev["content_block"];
  if (!isRecord(value)) throw badEvent(position, name, key, "an object", value);
  if (typeof value["type"] !== "string") throw badEvent(position, name, `${key}.type`, "a string", value["type"]);
  return value;
}

/** @internal `null` counts as absent. */
export function optionalString(obj: RawEvent, key: string, position: number, where: string): string | undefined {
  const value = obj[key];
  if (value == null) return undefined;
  if (typeof value !== "string") throw badEvent(position, where, key, "a string", value);
  return value;
}

/** @internal */
export function optionalRecord(
  obj: RawEvent,
  key: string,
  position: number,
  where: string,
): Record<string, unknown> | undefined {
  const value = obj[key];
  if (value == null) return undefined;
  if (!isRecord(value)) throw badEvent(position, where, key, "an object", value);
  return value;
}

/** @internal */
export function requiredString(obj: RawEvent, key: string, position: number, where: string): string {
  const value = obj[key];
  if (typeof value !== "string") throw badEvent(position, where, key, "a string", value);
  return value;
}

/** @internal Checks a usage snapshot; token counts may be absent but not of another type. */
export function optionalUsage(obj: RawEvent, key: string, position: number, where: string): UsageMetadata | undefined {
  const usage = optionalRecord(obj, key, position, where);
  if (usage === undefined) return undefined;
  let complete = true;
  for (const field of USAGE_COUNTS) {
    const n = usage[field];
    if (n == null) complete = false;
    else if (typeof n !== "number") throw badEvent(position, where, `${key}.${field}`, "a number", n);
  }
  if (complete) return usage as unknown as UsageMetadata;
  // A snapshot with a count missing: 0 for it, and the total as input + output, so
  // `usage_metadata` always has the three numbers.
  const input = (usage["input_tokens"] as number | null | undefined) ?? 0;
  const output = (usage["output_tokens"] as number | null | undefined) ?? 0;
  const total = (usage["total_tokens"] as number | null | undefined) ?? input + output;
  return { ...usage, input_tokens: input, output_tokens: output, total_tokens: total } as UsageMetadata;
}

const USAGE_COUNTS = ["input_tokens", "output_tokens", "total_tokens"] as const;

/**
 * @internal Sets `obj[key]` as an own data property: a `__proto__` key from JSON stays a key and
 * cannot change the object's prototype.
 */
export function setField(obj: RawEvent, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** @internal */
export function isRecord(value: unknown): value is RawEvent {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
