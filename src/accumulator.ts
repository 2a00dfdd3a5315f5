/**
 * The pure state machine that folds protocol events into LangChain's values: text and reasoning
 * per block, tool-call slices, usage snapshots, and the final `AIMessage`. It knows nothing about
 * streams; both the fan-out and the standalone transforms drive it, one event at a time.
 *
 * `apply()` returns a bit set of what the event produced, and leaves the produced delta in
 * `delta` / `chunk`, so the hot path allocates nothing beyond what the caller hands on.
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
} from "./protocol.ts";
import { StringBuilder } from "./string-builder.ts";

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

const TEXT = 0;
const REASONING = 1;
const TOOL = 2;
const SERVER_TOOL = 3;
const OTHER = 4;

/** The field of each kind of block that grows with deltas. */
const GROWING = ["text", "reasoning", "args", "args", "data"] as const;

/** The error text LangChain uses for tool-call arguments that are not JSON. */
export const INVALID_ARGS = "Failed to parse tool call arguments as JSON";

function kindOf(type: unknown): number {
  switch (type) {
    case "text":
      return TEXT;
    case "reasoning":
    case "thinking":
      return REASONING;
    case "tool_call_chunk":
      return TOOL;
    case "server_tool_call_chunk":
      return SERVER_TOOL;
    default:
      return OTHER;
  }
}

class Block {
  readonly index: number;
  kind: number;
  /** The block's fields other than the growing one (and, for tool chunks, id and name). */
  fields: RawEvent;
  readonly buf: StringBuilder = new StringBuilder();
  id: string | undefined = undefined;
  name: string | undefined = undefined;
  finished: ContentBlock | undefined = undefined;
  /** A tool-call chunk still waiting for its finish or the sweep. */
  open: boolean;
  /** A tool-call chunk was emitted for this block. */
  emitted = false;
  /** The args readers saw, once a snapshot rewrote them (else they are `buf`). */
  shown: StringBuilder | undefined = undefined;

  constructor(index: number, kind: number, fields: RawEvent) {
    this.index = index;
    this.kind = kind;
    this.fields = fields;
    this.open = kind === TOOL || kind === SERVER_TOOL;
  }
}

/**
 * Text or reasoning as readers saw it. While deltas arrive in block-index order and no finish
 * replaces a block's text, that is the blocks' texts joined in index order and nothing extra is
 * kept; the first time the two diverge, the arrival-order text is materialised and kept from then.
 */
class Track {
  last = -1;
  arrival: StringBuilder | null = null;
  /**
   * Once deltas came out of index order: the arrival order as runs, `[index, length, …]`, so a
   * replay can give the deltas back in that order (one entry per change of block: bounded by the
   * text). Null before that, or once a replaced text made arrival order unrecoverable.
   */
  runs: number[] | null = null;
}

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
  /** A message-finish arrived (not merely done by a failure or a partial). */
  #finished = false;
  #blocks = new Map<number, Block>();
  #last: Block | undefined = undefined;
  #maxIndex = -1;
  #sorted = true;
  #tracks = [new Track(), new Track()] as const;
  #toolCalls: ToolCall[] = [];
  /** Blocks in the order their finish events came, for the replay. */
  #finishes: Block[] = [];
  #invalid: InvalidToolCall[] = [];
  #id: string | undefined;
  #startMeta: RawEvent | undefined = undefined;
  #usage: UsageMetadata | undefined = undefined;
  #reason: string | undefined = undefined;
  #finishMeta: RawEvent | undefined = undefined;
  #sealed = false;
  #message: AIMessage | undefined = undefined;
  #finalText: string | undefined = undefined;
  #finalReasoning: string | undefined = undefined;

  constructor(messageId?: string) {
    this.#id = messageId;
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
    return this.#usage;
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
        this.#usage = usage;
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
    if (id !== undefined) this.#id = id;
    this.#startMeta = meta;
    if (usage === undefined) return 0;
    this.#usage = usage;
    return EMIT_USAGE;
  }

  #onMessageFinish(ev: RawEvent, position: number): number {
    const name = "message-finish";
    const reason = optionalString(ev, "reason", position, name);
    const usage = optionalUsage(ev, "usage", position, name);
    const meta = optionalRecord(ev, "metadata", position, name);
    const jsMeta = optionalRecord(ev, "responseMetadata", position, name);
    this.#reason = reason;
    this.#finishMeta = meta && jsMeta ? { ...meta, ...jsMeta } : (meta ?? jsMeta);
    this.#done = true;
    this.#finished = true;
    this.#seal();
    if (usage === undefined) return FINISHED;
    this.#usage = usage;
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
      const b = this.#block(index, kind);
      b.fields = { ...b.fields, ...fields };
      return this.#slice(b, id, toolName, args);
    }
    if (seed != null && typeof seed !== "string") throw badEvent(position, name, `content.${grow}`, "a string", seed);
    const b = this.#block(index, kind);
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
        return this.#slice(this.#block(index, d["type"] === "server_tool_call_chunk" ? SERVER_TOOL : TOOL), id, toolName, args);
      }
      case "data-delta": {
        const data = requiredString(d, "data", position, "content-block-delta.delta");
        optionalString(d, "encoding", position, "content-block-delta.delta");
        const b = this.#block(index, OTHER);
        if (b.kind === OTHER) b.buf.push(data);
        return 0;
      }
      case "block-delta": {
        const fields = optionalRecord(d, "fields", position, "content-block-delta.delta");
        if (fields === undefined) throw badEvent(position, name, "delta.fields", "an object", d["fields"]);
        const kind = this.#blocks.get(index)?.kind ?? kindOf(fields["type"]);
        checkSnapshot(fields, kind, position);
        return this.#merge(this.#block(index, kind), fields);
      }
      default: {
        // A delta type this package does not know (the protocol grows: `citation-delta`) reaches
        // raw-event readers and changes nothing here.
        if (!BLOCK_TYPES.has(d["type"] as string)) return 0;
        // An older partial block of another type: merge it like a block-delta.
        const { type, ...fields } = d;
        const kind = this.#blocks.get(index)?.kind ?? kindOf(type);
        checkSnapshot(fields, kind, position);
        const b = this.#block(index, kind);
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
        const known = this.#blocks.get(index);
        if (known !== undefined && known.kind !== kind && known.buf.length > 0) {
          throw badEvent(position, name, "content.type", `the type of block ${index}'s deltas`, type);
        }
        const b = this.#block(index, kind);
        if (b.kind !== kind) b.kind = kind;
        let flags = 0;
        if (full) {
          const sofar = b.buf.toString();
          if (full.length > sofar.length && full.startsWith(sofar)) flags = this.#append(b, full.slice(sofar.length));
          else if (full !== sofar) {
            this.#diverge(kind);
            b.buf.set(full);
          }
        }
        // A thinking block is kept as a reasoning block with its other fields (a signature).
        const { [type]: _text, ...rest } = content;
        const kept = type === "thinking" ? { ...rest, type: "reasoning" } : rest;
        b.finished = { ...kept, [GROWING[kind]!]: b.buf.toString(), index: content["index"] ?? index } as ContentBlock;
        this.#finishes.push(b);
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
        const b = this.#block(index, OTHER);
        const { index: _dropped, ...rest } = content;
        const call = { ...rest, type: "tool_call", id: id ?? b.id ?? "", name: toolName ?? b.name ?? "", args: args ?? {} } as ToolCall;
        b.finished = call;
        b.open = false;
        this.#toolCalls.push(call);
        this.#finishes.push(b);
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
        const b = this.#block(index, OTHER);
        const { index: _dropped, ...rest } = content;
        const invalid = { ...rest } as InvalidToolCall;
        b.finished = invalid;
        b.open = false;
        this.#invalid.push(invalid);
        this.#finishes.push(b);
        return 0;
      }
      case "tool_call_chunk":
      case "server_tool_call_chunk":
        return 0; // not a finished form: the sweep at message-finish finalises the chunk
      default: {
        const b = this.#block(index, kindOf(type));
        if (type === "server_tool_call") b.open = false;
        const merged: RawEvent = { ...b.fields };
        if (b.kind === OTHER && b.buf.length > 0) merged["data"] = b.buf.toString();
        for (const key in content) if (content[key] != null) setField(merged, key, content[key]);
        merged["index"] = content["index"] ?? index;
        b.finished = merged as ContentBlock;
        this.#finishes.push(b);
        return 0;
      }
    }
  }

  /** A tool-call finish for a block that started or grew as text or reasoning contradicts it. */
  #checkNotText(index: number, position: number, type: string): void {
    const known = this.#blocks.get(index);
    if (known !== undefined && (known.kind === TEXT || known.kind === REASONING)) {
      throw badEvent(position, "content-block-finish", "content.type", `the type of block ${index} (${TYPE_OF_KIND[known.kind]})`, type);
    }
  }

  // -- block state ----------------------------------------------------------------------------

  #block(index: number, kind: number): Block {
    const last = this.#last;
    if (last !== undefined && last.index === index) return last;
    let b = this.#blocks.get(index);
    if (b === undefined) {
      b = new Block(index, kind, {});
      this.#blocks.set(index, b);
      if (index < this.#maxIndex) this.#sorted = false;
      else this.#maxIndex = index;
    }
    this.#last = b;
    return b;
  }

  #text(index: number, kind: number, piece: string): number {
    if (piece === "") return 0;
    const b = this.#block(index, kind);
    if (b.kind !== TEXT && b.kind !== REASONING) return 0;
    return this.#append(b, piece);
  }

  /** Appends to a text or reasoning block and reports it as a delta. */
  #append(b: Block, piece: string): number {
    const track = this.#tracks[b.kind as 0 | 1];
    if (track.arrival !== null) {
      track.arrival.push(piece);
      const runs = track.runs;
      if (runs !== null) {
        if (runs[runs.length - 2] === b.index) runs[runs.length - 1]! += piece.length;
        else runs.push(b.index, piece.length);
      }
    } else if (b.index < track.last) {
      // Until now arrival order was index order: each block so far is one run.
      const runs: number[] = [];
      for (const other of this.#ordered()) if (other.kind === b.kind && other.buf.length > 0) runs.push(other.index, other.buf.length);
      runs.push(b.index, piece.length);
      track.runs = runs;
      track.arrival = new StringBuilder(this.#join(b.kind));
      track.arrival.push(piece);
    }
    track.last = b.index;
    b.buf.push(piece);
    this.delta = piece;
    return b.kind === TEXT ? EMIT_TEXT : EMIT_REASONING;
  }

  /** A block's text is about to be replaced: from now on readers' text is kept apart. */
  #diverge(kind: number): void {
    const track = this.#tracks[kind as 0 | 1];
    if (track.arrival === null) track.arrival = new StringBuilder(this.#join(kind));
    track.runs = null; // the replaced text is no longer made of the pieces readers saw
  }

  /** A tool-call slice (already checked): args concatenate, the first non-empty id and name stick. */
  #slice(b: Block, id: string | undefined, name: string | undefined, args: string | undefined): number {
    if (b.kind !== TOOL && b.kind !== SERVER_TOOL) return 0;
    if (id && b.id === undefined) b.id = id;
    if (name && b.name === undefined) b.name = name;
    if (args) {
      b.buf.push(args);
      b.shown?.push(args);
    }
    if (b.kind === SERVER_TOOL || !(id || name || args)) return 0;
    const chunk: ToolCallChunk = { type: "tool_call_chunk", index: b.index };
    if (id) chunk.id = id;
    if (name) chunk.name = name;
    if (args) chunk.args = args;
    b.emitted = true;
    this.chunk = chunk;
    return EMIT_TOOL;
  }

  /** A `block-delta` (already checked): every defined field is a snapshot that replaces the one before. */
  #merge(b: Block, fields: RawEvent): number {
    const grow = GROWING[b.kind]!;
    let flags = 0;
    let changed: ToolCallChunk | undefined;
    const tool = b.kind === TOOL || b.kind === SERVER_TOOL;
    for (const key in fields) {
      const value = fields[key];
      if (value == null) continue; // null counts as absent: the last defined value wins
      if (key === grow) {
        if (typeof value !== "string") continue; // checked: cannot happen
        const sofar = b.buf.toString();
        if (value === sofar) continue;
        const extends_ = value.length > sofar.length && value.startsWith(sofar);
        if (b.kind === TEXT || b.kind === REASONING) {
          if (extends_) flags |= this.#append(b, value.slice(sofar.length));
          else {
            this.#diverge(b.kind);
            b.buf.set(value);
          }
          continue;
        }
        if (!tool) {
          b.buf.set(value);
          continue;
        }
        // Readers get what was added; a snapshot that rewrites earlier args is not sent (as for
        // text), and what readers saw is kept apart so a late reader's catch-up matches theirs.
        if (extends_) {
          const tail = value.slice(sofar.length);
          b.shown?.push(tail);
          (changed ??= { type: "tool_call_chunk", index: b.index }).args = tail;
        } else b.shown ??= new StringBuilder(sofar);
        b.buf.set(value);
      } else if (tool && (key === "id" || key === "name")) {
        if (typeof value !== "string" || b[key] === value) continue;
        b[key] = value;
        (changed ??= { type: "tool_call_chunk", index: b.index })[key] = value;
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

  /** Finalises every tool-call chunk that never finished, in index order. */
  #seal(): void {
    if (this.#sealed) return;
    this.#sealed = true;
    for (const b of this.#ordered()) {
      if (!b.open) continue;
      b.open = false;
      const raw = b.buf.toString();
      let args: unknown;
      try {
        args = raw === "" ? {} : JSON.parse(raw);
      } catch {
        const invalid: InvalidToolCall = { type: "invalid_tool_call" };
        if (b.id) invalid.id = b.id;
        if (b.name) invalid.name = b.name;
        invalid.args = raw;
        invalid.error = INVALID_ARGS;
        this.#invalid.push(invalid);
        b.finished = invalid;
        continue;
      }
      if (b.kind === TOOL) {
        const call = { type: "tool_call", id: b.id ?? "", name: b.name ?? "", args } as ToolCall;
        this.#toolCalls.push(call);
        b.finished = call;
      } else {
        b.finished = { type: "server_tool_call", id: b.id ?? "", name: b.name ?? "", args, index: b.index };
      }
    }
  }

  #ordered(): Block[] {
    const blocks = [...this.#blocks.values()];
    if (!this.#sorted) blocks.sort((a, b) => a.index - b.index);
    return blocks;
  }

  #join(kind: number): string {
    let out = "";
    for (const b of this.#ordered()) if (b.kind === kind) out += b.buf.toString();
    return out;
  }

  // -- values ---------------------------------------------------------------------------------

  /** Final text: the text blocks joined in index order. */
  text(): string {
    if (!this.#done) return this.#join(TEXT);
    return (this.#finalText ??= this.#join(TEXT));
  }

  /** Final reasoning: the reasoning blocks joined in index order. */
  reasoning(): string {
    if (!this.#done) return this.#join(REASONING);
    return (this.#finalReasoning ??= this.#join(REASONING));
  }

  /** Text as a reader attached from the start has read it so far. */
  textSoFar(): string {
    return this.#tracks[TEXT].arrival?.toString() ?? this.#join(TEXT);
  }

  /** Reasoning as a reader attached from the start has read it so far. */
  reasoningSoFar(): string {
    return this.#tracks[REASONING].arrival?.toString() ?? this.#join(REASONING);
  }

  /** One compacted chunk per tool call that has emitted chunks, in index order. */
  toolChunksSoFar(): ToolCallChunk[] {
    const out: ToolCallChunk[] = [];
    for (const b of this.#ordered()) {
      if (!b.emitted) continue;
      const chunk: ToolCallChunk = { type: "tool_call_chunk", index: b.index };
      if (b.id) chunk.id = b.id;
      if (b.name) chunk.name = b.name;
      const shown = (b.shown ?? b.buf).toString();
      if (shown !== "") chunk.args = shown;
      out.push(chunk);
    }
    return out;
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
    const content: ContentBlock[] = [];
    // A message cut short (a failure's `partial`) finishes every open block with what arrived, so
    // its content holds the answer readers saw; a normal finish leaves unfinished text out, as
    // LangChain does.
    const partial = !this.#finished;
    for (const b of this.#ordered()) {
      const block = b.finished ?? (partial ? openBlock(b) : undefined);
      if (block !== undefined) content.push(block);
    }
    const message: AIMessage = {
      type: "ai",
      ...(this.#id !== undefined ? { id: this.#id } : {}),
      content: content.length > 0 ? content : this.textSoFar(),
      tool_calls: this.#toolCalls.map(({ id, name, args }) => ({ type: "tool_call", id, name, args })),
      invalid_tool_calls: this.#invalid.map((invalid) => ({ ...invalid, type: "invalid_tool_call" })),
      ...(this.#usage !== undefined ? { usage_metadata: this.#usage } : {}),
      response_metadata: this.#responseMetadata(),
    };
    return (this.#message = message);
  }

  #responseMetadata(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const start = this.#startMeta;
    if (start !== undefined) {
      const provider = start["model_provider"] ?? start["provider"];
      if (provider !== undefined) out["model_provider"] = provider;
      const model = start["model_name"] ?? start["model"];
      if (model !== undefined) out["model_name"] = model;
    }
    if (this.#reason !== undefined) out["finish_reason"] = this.#reason;
    const finishMeta = this.#finishMeta;
    if (finishMeta !== undefined) for (const key in finishMeta) setField(out, key, finishMeta[key]);
    delete out["output_version"];
    out["output_version"] = "v1";
    return out;
  }

  /**
   * Events that fold to the current state: message-start; per block in index order one start and
   * one delta with its content so far (text that came out of index order: run by run, in arrival
   * order); the finishes in the order they came (a swept chunk is left to the sweep, which keeps
   * `tool_calls` in the same order); then the finish or the latest usage.
   */
  replay(): ProtocolEvent[] {
    const out: RawEvent[] = [];
    const start: RawEvent = { event: "message-start", role: "ai" };
    if (this.#id !== undefined) start["id"] = this.#id;
    if (this.#startMeta !== undefined) start["metadata"] = this.#startMeta;
    out.push(start);
    // In index order, which is the text's arrival order until deltas come out of index order; from
    // then on the text is given back run by run, in arrival order (a bare-string content is text in
    // arrival order).
    const runs = this.#tracks[TEXT].runs;
    for (const b of this.#ordered()) {
      const index = b.index;
      const type = b.fields["type"] ?? TYPE_OF_KIND[b.kind];
      // A block known only from its finish, or from deltas that name no type, has no start.
      if (type !== undefined) out.push({ event: "content-block-start", index, content: { ...b.fields, type } });
      if (runs !== null && b.kind === TEXT) continue; // given run by run below
      if (b.buf.length > 0 || b.id !== undefined || b.name !== undefined) {
        out.push({ event: "content-block-delta", index, delta: replayDelta(b) });
      }
    }
    if (runs !== null) {
      // Text that came out of index order: the same runs in the same order, so it folds back to
      // the same arrival-order text (a bare-string content).
      const taken = new Map<number, number>();
      for (let i = 0; i < runs.length; i += 2) {
        const index = runs[i]!;
        const from = taken.get(index) ?? 0;
        const to = from + runs[i + 1]!;
        taken.set(index, to);
        const text = this.#blocks.get(index)!.buf.toString().slice(from, to);
        out.push({ event: "content-block-delta", index, delta: { type: "text-delta", text } });
      }
    }
    for (const b of this.#finishes) out.push({ event: "content-block-finish", index: b.index, content: b.finished });
    if (this.#finished) {
      const finish: RawEvent = { event: "message-finish" };
      if (this.#reason !== undefined) finish["reason"] = this.#reason;
      if (this.#usage !== undefined) finish["usage"] = this.#usage;
      if (this.#finishMeta !== undefined) finish["metadata"] = this.#finishMeta;
      out.push(finish);
    } else if (this.#usage !== undefined) {
      out.push({ event: "usage", usage: this.#usage });
    }
    return out as unknown as ProtocolEvent[];
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

/** The block types of the protocol: a delta of another type is not an older partial block. */
const BLOCK_TYPES: ReadonlySet<string> = new Set([
  "text",
  "reasoning",
  "thinking",
  "tool_call",
  "tool_call_chunk",
  "invalid_tool_call",
  "server_tool_call",
  "server_tool_call_chunk",
  "server_tool_result",
  "image",
  "audio",
  "video",
  "file",
  "text-plain",
  "non_standard",
]);

/** An open text, reasoning or typed block finished with what arrived (tool-call chunks are swept instead). */
function openBlock(b: Block): ContentBlock | undefined {
  if (b.kind === TEXT || b.kind === REASONING) {
    if (b.buf.length === 0) return undefined;
    return { ...b.fields, type: TYPE_OF_KIND[b.kind], [GROWING[b.kind]]: b.buf.toString(), index: b.index } as ContentBlock;
  }
  if (b.kind !== OTHER || b.fields["type"] === undefined) return undefined;
  const block: RawEvent = { ...b.fields, index: b.index };
  if (b.buf.length > 0) block["data"] = b.buf.toString();
  return block as ContentBlock;
}

const TYPE_OF_KIND = ["text", "reasoning", "tool_call_chunk", "server_tool_call_chunk", undefined] as const;

function replayDelta(b: Block): RawEvent {
  const sofar = b.buf.toString();
  switch (b.kind) {
    case TEXT:
      return { type: "text-delta", text: sofar };
    case REASONING:
      return { type: "reasoning-delta", reasoning: sofar };
    case OTHER:
      return { type: "data-delta", data: sofar };
    default: {
      const slice: RawEvent = { type: TYPE_OF_KIND[b.kind], args: sofar };
      if (b.id !== undefined) slice["id"] = b.id;
      if (b.name !== undefined) slice["name"] = b.name;
      return slice;
    }
  }
}

const SYNTHETIC_FINISH: ProtocolEvent = { event: "message-finish" };
