/**
 * The fold: protocol events into the state of one message, one event at a time, each checked as it
 * is read (a malformed one is a `TypeError` naming the field and the event's position). It knows
 * nothing about streams; both the hub and the standalone transforms drive it.
 *
 * `apply()` returns a bit set of what the event produced and leaves the produced delta in `delta`
 * / `chunk`, so the hot path allocates nothing beyond what the caller hands on. The state lives in
 * a block table (state.ts) with the arrival-order text (arrival.ts); tool-call rules are in
 * tool-calls.ts; `message()` and `replay()` are the pure views assemble.ts and replay.ts.
 *
 * @module
 */
import {
  badEvent,
  blockField,
  checkIndex,
  eventName,
  isRecord,
  optionalRecord,
  optionalString,
  optionalUsage,
  requiredString,
  setField,
  type AIMessage,
  type ContentBlock,
  type InvalidToolCall,
  type ProtocolEvent,
  type RawEvent,
  type ToolCall,
  type ToolCallChunk,
  type UsageMetadata,
} from "../protocol.ts";
import { Arrival } from "./arrival.ts";
import { assemble } from "./assemble.ts";
import { replay } from "./replay.ts";
import {
  BLOCK_TYPES,
  type Block,
  BlockTable,
  FOLD_FILLS,
  type FoldState,
  GROWING,
  kindOf,
  OTHER,
  REASONING,
  SERVER_TOOL,
  TEXT,
  TOOL,
  TYPE_OF_KIND,
} from "./state.ts";
import { chunksSoFar, slice, snapshot, sweep } from "./tool-calls.ts";

/** `delta` holds a text delta. */
export const EMIT_TEXT = 1;
/** `delta` holds a reasoning delta. */
export const EMIT_REASONING = 2;
/** `chunk` holds a tool-call chunk. */
export const EMIT_TOOL = 4;
/** `usage` changed. */
export const EMIT_USAGE = 8;
/** The message finished: values are final. */
export const FINISHED = 16;
/** An `error` event arrived: `error` holds it. */
export const FAILED = 32;

/**
 * Folds protocol events into the state of one message.
 *
 * @example
 * ```ts
 * import { EMIT_TEXT, MessageAccumulator } from "./accumulator.ts";
 *
 * const acc = new MessageAccumulator();
 * for await (const ev of events) if (acc.apply(ev) & EMIT_TEXT) console.log(acc.delta);
 * acc.end();
 * console.log(acc.message());
 * ```
 *
 * Cancellation and errors: `apply` throws a `TypeError` naming the field and the event's position
 * for a malformed event; what earlier events gave is kept. An `error` event returns `FAILED` with
 * the error in `error`. Events after the finish or failure are not even checked: they change nothing.
 *
 * @internal
 */
export class MessageAccumulator {
  /** The text or reasoning delta the last `apply` produced. */
  delta = "";
  /** The tool-call chunk the last `apply` produced. */
  chunk: ToolCallChunk | undefined = undefined;
  /** The error an `error` event carried. */
  error: Error | undefined = undefined;

  #count = 0;
  #done = false;
  readonly #s: FoldState;
  /** The state's table and arrival tracks, held directly: the hot path reads them per event. */
  readonly #table: BlockTable;
  readonly #arrival: Arrival;
  #sealed = false;
  #message: AIMessage | undefined = undefined;
  #finalText: string | undefined = undefined;
  #finalReasoning: string | undefined = undefined;

  constructor(messageId?: string) {
    const table = new BlockTable();
    this.#table = table;
    this.#arrival = new Arrival(table);
    this.#s = {
      table,
      arrival: this.#arrival,
      toolCalls: [],
      invalid: [],
      finishes: [],
      id: messageId,
      startMeta: undefined,
      usage: undefined,
      reason: undefined,
      finishMeta: undefined,
      finished: false,
    };
  }

  /** How many events were applied (valid or not yet known to be invalid). */
  get count(): number {
    return this.#count;
  }

  /** Whether the message finished or failed. */
  get done(): boolean {
    return this.#done;
  }

  /** The latest usage: the finish's, else the latest snapshot. */
  get usage(): UsageMetadata | undefined {
    return this.#s.usage;
  }

  /** Folds one event; see the `EMIT_*` flags for what it returns. */
  apply(value: unknown): number {
    if (this.#done) return 0;
    const position = this.#count;
    const name = eventName(value, position);
    const ev = value as RawEvent;
    let flags: number;
    switch (name) {
      case "content-block-delta":
        flags = this.#onDelta(ev, position);
        break;
      case "content-block-start":
        flags = this.#onStart(ev, position);
        break;
      case "content-block-finish":
        flags = this.#onFinish(ev, position);
        break;
      case "usage": {
        const usage = optionalUsage(ev, "usage", position, name);
        if (usage === undefined) throw badEvent(position, name, "usage", "an object", ev["usage"]);
        this.#s.usage = usage;
        flags = EMIT_USAGE;
        break;
      }
      case "message-start":
        flags = this.#onMessageStart(ev, position);
        break;
      case "message-finish":
        flags = this.#onMessageFinish(ev, position);
        break;
      case "provider":
        requiredString(ev, "provider", position, name);
        requiredString(ev, "name", position, name);
        flags = 0;
        break;
      case "error": {
        const message = requiredString(ev, "message", position, name);
        const code = optionalString(ev, "code", position, name);
        const error = new Error(message) as Error & { code?: string };
        if (code !== undefined) error.code = code;
        this.error = error;
        this.#done = true;
        flags = FAILED;
        break;
      }
      default:
        flags = 0; // the protocol grows: unknown events pass through untouched
    }
    this.#count = position + 1;
    return flags;
  }

  /**
   * Puts the block's text in a finish whose writer left it to the fold (`FOLD_FILLS`), as `apply`
   * does: for a look at the event before it is applied (the `maxBytes` count).
   */
  fill(value: unknown): void {
    const content = (value as RawEvent | null)?.["content"];
    if (typeof content !== "object" || content === null || !FOLD_FILLS.has(content)) return;
    const type = (content as RawEvent)["type"] as string;
    FOLD_FILLS.delete(content);
    (content as RawEvent)[type] = this.#table.find((value as RawEvent)["index"] as number)?.buf.toString() ?? "";
  }

  /** The source ended: adds a finish if anything arrived; returns false if nothing ever did. */
  end(): boolean {
    if (this.#done) return true;
    if (this.#count === 0) return false;
    this.apply(SYNTHETIC_FINISH);
    return true;
  }

  /** Marks the message as failed from outside (abort, producer error): later events change nothing. */
  stop(): void {
    this.#done = true;
  }

  // -- events ---------------------------------------------------------------------------------

  #onMessageStart(ev: RawEvent, position: number): number {
    const name = "message-start";
    optionalString(ev, "role", position, name);
    const id = optionalString(ev, "id", position, name);
    const meta = optionalRecord(ev, "metadata", position, name);
    const usage = optionalUsage(ev, "usage", position, name);
    const s = this.#s;
    if (id !== undefined) s.id = id;
    s.startMeta = meta;
    if (usage === undefined) return 0;
    s.usage = usage;
    return EMIT_USAGE;
  }

  #onMessageFinish(ev: RawEvent, position: number): number {
    const name = "message-finish";
    const reason = optionalString(ev, "reason", position, name);
    const usage = optionalUsage(ev, "usage", position, name);
    const meta = optionalRecord(ev, "metadata", position, name);
    const jsMeta = optionalRecord(ev, "responseMetadata", position, name);
    const s = this.#s;
    s.reason = reason;
    s.finishMeta = meta && jsMeta ? { ...meta, ...jsMeta } : (meta ?? jsMeta);
    this.#done = true;
    s.finished = true;
    this.#seal();
    if (usage === undefined) return FINISHED;
    s.usage = usage;
    return FINISHED | EMIT_USAGE;
  }

  #onStart(ev: RawEvent, position: number): number {
    const name = "content-block-start";
    const index = checkIndex(ev, position, name);
    const content = blockField(ev, position, name, "content");
    const kind = kindOf(content["type"]);
    const grow = content["type"] === "thinking" ? "thinking" : GROWING[kind]!;
    const { [grow]: seed, ...fields } = content;
    if (grow === "thinking") fields["type"] = "reasoning";
    if (kind === TOOL || kind === SERVER_TOOL) {
      const where = `${name}.content`;
      const id = optionalString(content, "id", position, where);
      const toolName = optionalString(content, "name", position, where);
      const args = optionalString(content, "args", position, where);
      delete fields["id"];
      delete fields["name"];
      const b = this.#table.at(index, kind);
      b.fields = { ...b.fields, ...fields };
      return this.#slice(b, id, toolName, args);
    }
    if (seed != null && typeof seed !== "string") throw badEvent(position, name, `content.${grow}`, "a string", seed);
    const b = this.#table.at(index, kind);
    b.fields = { ...b.fields, ...fields };
    if (kind === OTHER) {
      if (seed) b.buf.set(seed);
      return 0;
    }
    return seed ? this.#append(b, seed) : 0;
  }

  #onDelta(ev: RawEvent, position: number): number {
    const name = "content-block-delta";
    const index = checkIndex(ev, position, name);
    const d = blockField(ev, position, name, "delta");
    switch (d["type"]) {
      case "text-delta":
        return this.#text(index, TEXT, requiredString(d, "text", position, "content-block-delta.delta"));
      case "reasoning-delta":
        return this.#text(index, REASONING, requiredString(d, "reasoning", position, "content-block-delta.delta"));
      case "text":
        return this.#text(index, TEXT, optionalString(d, "text", position, "content-block-delta.delta") ?? "");
      case "reasoning":
      case "thinking":
        return this.#text(index, REASONING, optionalString(d, d["type"], position, "content-block-delta.delta") ?? "");
      case "tool-call-delta":
      case "tool_call_chunk":
      case "server_tool_call_chunk": {
        const where = "content-block-delta.delta";
        const id = optionalString(d, "id", position, where);
        const toolName = optionalString(d, "name", position, where);
        const args = optionalString(d, "args", position, where);
        return this.#slice(this.#table.at(index, d["type"] === "server_tool_call_chunk" ? SERVER_TOOL : TOOL), id, toolName, args);
      }
      case "data-delta": {
        const data = requiredString(d, "data", position, "content-block-delta.delta");
        optionalString(d, "encoding", position, "content-block-delta.delta");
        const b = this.#table.at(index, OTHER);
        if (b.kind === OTHER) b.buf.push(data);
        return 0;
      }
      case "block-delta": {
        const fields = optionalRecord(d, "fields", position, "content-block-delta.delta");
        if (fields === undefined) throw badEvent(position, name, "delta.fields", "an object", d["fields"]);
        const kind = this.#table.find(index)?.kind ?? kindOf(fields["type"]);
        checkSnapshot(fields, kind, position);
        return this.#merge(this.#table.at(index, kind), fields);
      }
      default: {
        // A delta type this package does not know (the protocol grows: `citation-delta`) reaches
        // raw-event readers and changes nothing here.
        if (!BLOCK_TYPES.has(d["type"] as string)) return 0;
        // An older partial block of another type: merge it like a block-delta.
        const { type, ...fields } = d;
        const kind = this.#table.find(index)?.kind ?? kindOf(type);
        checkSnapshot(fields, kind, position);
        const b = this.#table.at(index, kind);
        if (b.fields["type"] === undefined) b.fields["type"] = type;
        return this.#merge(b, fields);
      }
    }
  }

  #onFinish(ev: RawEvent, position: number): number {
    const name = "content-block-finish";
    const index = checkIndex(ev, position, name);
    const content = blockField(ev, position, name, "content");
    const type = content["type"] as string;
    const where = `${name}.content`;
    switch (type) {
      case "text":
      case "reasoning":
      case "thinking": {
        const kind = type === "text" ? TEXT : REASONING;
        const full = optionalString(content, type, position, where);
        const known = this.#table.find(index);
        if (known !== undefined && known.kind !== kind && known.buf.length > 0) {
          throw badEvent(position, name, "content.type", `the type of block ${index}'s deltas`, type);
        }
        const b = this.#table.at(index, kind);
        if (b.kind !== kind) b.kind = kind;
        let flags = 0;
        // A finish the block writer left to the fold: the block's text is its text.
        if (FOLD_FILLS.has(content)) {
          FOLD_FILLS.delete(content);
          content[type] = b.buf.toString();
        } else if (full) {
          const sofar = b.buf.toString();
          if (full.length > sofar.length && full.startsWith(sofar)) flags = this.#append(b, full.slice(sofar.length));
          else if (full !== sofar) {
            this.#arrival.diverge(kind);
            b.buf.set(full);
          }
        }
        // A thinking block is kept as a reasoning block with its other fields (a signature).
        const { [type]: _text, ...rest } = content;
        const kept = type === "thinking" ? { ...rest, type: "reasoning" } : rest;
        b.finished = { ...kept, [GROWING[kind]!]: b.buf.toString(), index: content["index"] ?? index } as ContentBlock;
        this.#s.finishes.push(b);
        return flags;
      }
      case "tool_call": {
        this.#checkNotText(index, position, type);
        const args = content["args"];
        if (args != null && !isRecord(args)) throw badEvent(position, name, "content.args", "an object", args);
        const id = optionalString(content, "id", position, where);
        const toolName = optionalString(content, "name", position, where);
        let json: string | undefined;
        try {
          json = JSON.stringify(args ?? {});
        } catch (error) {
          // A BigInt or a cycle is not JSON; an object too deep to serialise here is still an object.
          if (!(error instanceof RangeError)) throw badEvent(position, name, "content.args", "a JSON object", args);
        }
        const b = this.#table.at(index, OTHER);
        const { index: _dropped, ...rest } = content;
        const call = { ...rest, type: "tool_call", id: id ?? b.id ?? "", name: toolName ?? b.name ?? "", args: args ?? {} } as ToolCall;
        b.finished = call;
        b.open = false;
        this.#s.toolCalls.push(call);
        this.#s.finishes.push(b);
        if (b.emitted) return 0;
        // A call that arrives whole still reaches tool-call readers, as one chunk.
        if (b.kind === OTHER) b.kind = TOOL;
        b.id = call.id;
        b.name = call.name;
        b.buf.set(json ?? "");
        b.emitted = true;
        this.chunk = { type: "tool_call_chunk", index, id: call.id, name: call.name };
        if (json !== undefined) this.chunk.args = json;
        return EMIT_TOOL;
      }
      case "invalid_tool_call": {
        this.#checkNotText(index, position, type);
        for (const field of ["id", "name", "args", "error"]) optionalString(content, field, position, where);
        const b = this.#table.at(index, OTHER);
        const { index: _dropped, ...rest } = content;
        const invalid = { ...rest } as InvalidToolCall;
        b.finished = invalid;
        b.open = false;
        this.#s.invalid.push(invalid);
        this.#s.finishes.push(b);
        return 0;
      }
      case "tool_call_chunk":
      case "server_tool_call_chunk":
        return 0; // not a finished form: the sweep at message-finish finalises the chunk
      default: {
        const b = this.#table.at(index, kindOf(type));
        if (type === "server_tool_call") b.open = false;
        const merged: RawEvent = { ...b.fields };
        if (b.kind === OTHER && b.buf.length > 0) merged["data"] = b.buf.toString();
        for (const key in content) if (content[key] != null) setField(merged, key, content[key]);
        merged["index"] = content["index"] ?? index;
        b.finished = merged as ContentBlock;
        this.#s.finishes.push(b);
        return 0;
      }
    }
  }

  // -- block state ----------------------------------------------------------------------------

  #text(index: number, kind: number, piece: string): number {
    if (piece === "") return 0;
    const b = this.#table.at(index, kind);
    if (b.kind !== TEXT && b.kind !== REASONING) return 0;
    return this.#append(b, piece);
  }

  /** Appends to a text or reasoning block and reports it as a delta. */
  #append(b: Block, piece: string): number {
    this.#arrival.append(b, piece);
    this.delta = piece;
    return b.kind === TEXT ? EMIT_TEXT : EMIT_REASONING;
  }

  /** A tool-call slice (already checked), reported when readers get a chunk of it. */
  #slice(b: Block, id: string | undefined, name: string | undefined, args: string | undefined): number {
    const chunk = slice(b, id, name, args);
    if (chunk === undefined) return 0;
    this.chunk = chunk;
    return EMIT_TOOL;
  }

  /** A `block-delta` (already checked): every defined field is a snapshot that replaces the one before. */
  #merge(b: Block, fields: RawEvent): number {
    const grow = GROWING[b.kind]!;
    const tool = b.kind === TOOL || b.kind === SERVER_TOOL;
    let flags = 0;
    let changed: ToolCallChunk | undefined;
    for (const key in fields) {
      const value = fields[key];
      if (value == null) continue; // null counts as absent: the last defined value wins
      if (tool && (key === grow || key === "id" || key === "name")) {
        if (typeof value === "string") changed = snapshot(b, key as "args" | "id" | "name", value, changed);
      } else if (key === grow) {
        if (typeof value !== "string") continue; // checked: cannot happen
        const sofar = b.buf.toString();
        if (value === sofar) continue;
        if (b.kind === TEXT || b.kind === REASONING) {
          if (value.length > sofar.length && value.startsWith(sofar)) flags |= this.#append(b, value.slice(sofar.length));
          else {
            this.#arrival.diverge(b.kind);
            b.buf.set(value);
          }
        } else b.buf.set(value);
      } else if (key !== "type" || b.fields["type"] === undefined) {
        setField(b.fields, key, value);
      }
    }
    if (changed !== undefined && b.kind === TOOL) {
      b.emitted = true;
      this.chunk = changed;
      flags |= EMIT_TOOL;
    }
    return flags;
  }

  /** A tool-call finish for a block that started or grew as text or reasoning contradicts it. */
  #checkNotText(index: number, position: number, type: string): void {
    const known = this.#table.find(index);
    if (known !== undefined && (known.kind === TEXT || known.kind === REASONING)) {
      throw badEvent(position, "content-block-finish", "content.type", `the type of block ${index} (${TYPE_OF_KIND[known.kind]})`, type);
    }
  }

  #seal(): void {
    if (this.#sealed) return;
    this.#sealed = true;
    sweep(this.#s);
  }

  // -- values ---------------------------------------------------------------------------------

  /** Final text: the text blocks joined in index order. */
  text(): string {
    if (!this.#done) return this.#table.join(TEXT);
    return (this.#finalText ??= this.#table.join(TEXT));
  }

  /** Final reasoning: the reasoning blocks joined in index order. */
  reasoning(): string {
    if (!this.#done) return this.#table.join(REASONING);
    return (this.#finalReasoning ??= this.#table.join(REASONING));
  }

  /** Text as a reader attached from the start has read it so far. */
  textSoFar(): string {
    return this.#arrival.soFar(TEXT);
  }

  /** Reasoning as a reader attached from the start has read it so far. */
  reasoningSoFar(): string {
    return this.#arrival.soFar(REASONING);
  }

  /** One compacted chunk per tool call that has emitted chunks, in index order. */
  toolChunksSoFar(): ToolCallChunk[] {
    return chunksSoFar(this.#s);
  }

  /** The tool calls: finished ones in finish order, then swept ones in index order. */
  toolCalls(): ToolCall[] {
    return this.message().tool_calls;
  }

  /**
   * The assembled message. Once the message is done this is final (open tool-call chunks are
   * swept first); before that it is built from the state so far, for `partial` on errors.
   */
  message(): AIMessage {
    if (this.#message !== undefined) return this.#message;
    this.#done = true;
    this.#seal();
    return (this.#message = assemble(this.#s));
  }

  /** Events that fold to the current state (see replay.ts). */
  replay(): ProtocolEvent[] {
    return replay(this.#s);
  }
}

/** In a snapshot, the block's growing field and a tool call's id and name must be strings. */
function checkSnapshot(fields: RawEvent, kind: number, position: number): void {
  const keys = kind === TOOL || kind === SERVER_TOOL ? TOOL_STRINGS : [GROWING[kind]!];
  for (const key of keys) {
    const value = fields[key];
    if (value != null && typeof value !== "string") {
      throw badEvent(position, "content-block-delta", `delta.fields.${key}`, "a string", value);
    }
  }
}

const TOOL_STRINGS = ["args", "id", "name"] as const;

const SYNTHETIC_FINISH: ProtocolEvent = { event: "message-finish" };
