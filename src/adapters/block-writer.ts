/**
 * The block writer of the provider adapters: it emits each block's start, deltas and a finish
 * carrying the whole block, as LangChain's converters do, and finalizes tool-call chunks the way
 * LangChain does (JSON arguments make a `tool_call`, others an `invalid_tool_call`).
 *
 * @module
 */
import { TextRun, type Queued } from "../decoders/text-run.ts";
import { FOLD_FILLS, GROWING, kindOf, OTHER } from "../fold/state.ts";
import { INVALID_ARGS } from "../fold/tool-calls.ts";
import { isRecord, type ContentBlock, type ProtocolEvent, type RawEvent } from "../protocol.ts";
import { StringBuilder } from "../string-builder.ts";

/**
 * The most pieces in one `TextRun`: a run read to its end is let go while the rest of a network
 * chunk's deltas wait, and a short run's array has little room to spare.
 */
const RUN_PIECES = 32;

/** A block between its start and its finish. */
class OpenBlock {
  readonly type: string;
  readonly fields: RawEvent;
  /**
   * The text, reasoning or tool-call arguments so far, joined once at the finish (text and
   * reasoning not, when the fold downstream fills them in: see `BlockWriter.foldFillsText`).
   * Made by the first piece.
   */
  #buf: StringBuilder | undefined = undefined;
  /**
   * Whether it keeps its own text even when the fold fills text in: a block that reuses the
   * index of a finished one, which the fold (keyed by index) would give both blocks' text.
   */
  readonly keepsText: boolean;

  constructor(type: string, fields: RawEvent, keepsText: boolean) {
    this.type = type;
    this.fields = fields;
    this.keepsText = keepsText;
  }

  push(piece: string): void {
    (this.#buf ??= new StringBuilder()).push(piece);
  }

  content(): string {
    return this.#buf?.toString() ?? "";
  }
}

/** The field of a block that deltas grow (the fold's table); adapters stream no data blocks. */
function growing(type: string): string | undefined {
  const kind = kindOf(type);
  return kind === OTHER ? undefined : GROWING[kind];
}

/**
 * Emits the block events of one message into `out`, keeping each open block's content so its
 * finish carries the whole block, as LangChain's finish events do.
 *
 * @internal
 */
export class BlockWriter {
  readonly #out: Queued[];
  /** Text and reasoning deltas go out as `TextRun`s (the reader of `out` expands them). */
  readonly #runs: boolean;
  /** See `foldFillsText`. */
  #foldFills = false;
  /**
   * Open blocks by index. A map, not an array: providers number blocks themselves, and an index of
   * 4294967294 in an array would make finishing the blocks walk four billion empty slots.
   */
  readonly #open = new Map<number, OpenBlock>();
  /** The indices of finished blocks, kept while the fold fills text in (made by the first finish). */
  #finished: Set<number> | undefined;
  #next = 0;
  /** All refusal text of the message, for `response_metadata.refusal`. */
  #refusal: StringBuilder | undefined;

  /** `runs`: `out` is read by something that expands `TextRun`s (else each delta is an event). */
  constructor(out: Queued[], runs = false) {
    this.#out = out;
    this.#runs = runs;
  }

  /**
   * Every event this writer emits is folded by a `MessageAccumulator` before anyone reads it (a
   * `ChatModelStream`'s source): the fold keeps each block's text and reasoning anyway, so here they
   * are not kept a second time. A text or reasoning finish then carries `""` and is marked in
   * `FOLD_FILLS`; the fold puts the block's text in before the event reaches a reader.
   */
  foldFillsText(): void {
    this.#foldFills = true;
  }

  /** The next unused block index, for providers that number nothing themselves. */
  allocate(): number {
    return this.#next++;
  }

  /** Whether the block was started and not yet finished. */
  isOpen(index: number): boolean {
    return this.#open.has(index);
  }

  /**
   * Opens a block; `fields` are its other fields (`id`, `name`, …). Its content starts empty and
   * `seed`, its first content, follows as a delta, so readers of raw events get all content as deltas.
   */
  start(index: number, type: string, fields: RawEvent = {}, seed = ""): void {
    this.#open.set(index, new OpenBlock(type, fields, this.#finished?.has(index) === true));
    if (index >= this.#next) this.#next = index + 1;
    const grow = growing(type);
    const content: RawEvent = { type, ...fields };
    if (grow !== undefined) content[grow] = "";
    this.#out.push({ event: "content-block-start", index, content: content as ContentBlock });
    if (seed === "") return;
    if (grow === "args") this.slice(index, seed);
    else if (grow !== undefined) this.append(index, type as "text" | "reasoning", seed);
  }

  /** Appends text or reasoning to an open block (a block never opened is opened as `type`). */
  append(index: number, type: "text" | "reasoning", piece: string): void {
    if (piece === "") return;
    let block = this.#open.get(index);
    if (block === undefined) {
      this.start(index, type);
      block = this.#open.get(index)!;
    }
    if (!this.#foldFills || block.keepsText || (block.type !== "text" && block.type !== "reasoning")) block.push(piece);
    const out = this.#out;
    if (this.#runs) {
      const last = out[out.length - 1];
      if (last instanceof TextRun && last.index === index && last.type === type && last.pieces.length < RUN_PIECES) last.pieces.push(piece);
      else out.push(new TextRun(index, type, piece));
      return;
    }
    const delta = type === "text" ? { type: "text-delta" as const, text: piece } : { type: "reasoning-delta" as const, reasoning: piece };
    out.push({ event: "content-block-delta", index, delta });
  }

  /**
   * Appends refusal text to a refusal block (opened if it is not): `{type: "non_standard", value:
   * {type: "refusal", refusal}}` when finished. Raw-event readers get each piece as a
   * `refusal-delta`, which the fold passes over, so a refusal is never taken for answer text.
   */
  refuse(index: number, piece: string): void {
    if (piece === "") return;
    let block = this.#open.get(index);
    if (block === undefined) {
      this.start(index, "non_standard", { value: { type: "refusal" } });
      block = this.#open.get(index)!;
    }
    block.push(piece);
    (this.#refusal ??= new StringBuilder()).push(piece);
    this.#out.push({ event: "content-block-delta", index, delta: { type: "refusal-delta", refusal: piece } as unknown as ContentBlock });
  }

  /** The message's refusal text so far, or `undefined` if the model refused nothing. */
  get refusal(): string | undefined {
    return this.#refusal?.toString();
  }

  /** A tool-call slice: `args` appends, the first `id` / `name` stick. */
  slice(index: number, args: string, id?: string, name?: string): void {
    const block = this.#open.get(index);
    if (block === undefined) return;
    const delta: RawEvent = { type: block.type };
    let any = false;
    if (id && block.fields["id"] === undefined) {
      delta["id"] = block.fields["id"] = id;
      any = true;
    }
    if (name && block.fields["name"] === undefined) {
      delta["name"] = block.fields["name"] = name;
      any = true;
    }
    if (args) {
      block.push(args);
      delta["args"] = args;
      any = true;
    }
    if (any) this.#out.push({ event: "content-block-delta", index, delta: delta as ContentBlock });
  }

  /** The fields an open block will finish with (to add a signature or annotations), else `undefined`. */
  fields(index: number): RawEvent | undefined {
    return this.#open.get(index)?.fields;
  }

  /** Finishes an open block; `args` replaces a tool call's streamed arguments when given. */
  finish(index: number, args?: string): void {
    const block = this.#open.get(index);
    if (block === undefined) return;
    this.#open.delete(index);
    if (this.#foldFills) (this.#finished ??= new Set()).add(index);
    this.#out.push({ event: "content-block-finish", index, content: finalize(block, args, this.#foldFills && !block.keepsText) });
  }

  /** Finishes every open block, in index order. */
  finishAll(): void {
    const open = [...this.#open.keys()].sort((a, b) => a - b);
    for (const index of open) this.finish(index);
  }
}

/** The finished form: tool-call chunks become `tool_call` (or `invalid_tool_call`), as in LangChain. */
function finalize(block: OpenBlock, args: string | undefined, foldFills: boolean): ContentBlock {
  const { type, fields } = block;
  switch (type) {
    case "text":
    case "reasoning": {
      const content = { type, [type]: foldFills ? "" : block.content(), ...fields } as ContentBlock;
      if (foldFills) FOLD_FILLS.add(content);
      return content;
    }
    case "tool_call_chunk":
    case "server_tool_call_chunk": {
      const raw = args ?? block.content();
      const id = (fields["id"] as string | undefined) ?? "";
      const name = (fields["name"] as string | undefined) ?? "";
      const parsed = parseArgs(raw);
      if (type === "server_tool_call_chunk") return { ...fields, type: "server_tool_call", id, name, args: parsed ?? raw };
      // `extras` (a Gemini thought signature) must go back with the call, so it stays on the block.
      const extras = isRecord(fields["extras"]) ? { extras: fields["extras"] } : {};
      if (parsed !== undefined) return { type: "tool_call", id, name, args: parsed, ...extras };
      return { type: "invalid_tool_call", id, name, args: raw, error: INVALID_ARGS, ...extras };
    }
    case "non_standard": {
      const value = fields["value"];
      if (isRecord(value) && value["type"] === "refusal") return { ...fields, type, value: { ...value, refusal: block.content() } };
      return { type, ...fields } as ContentBlock;
    }
    default:
      return { type, ...fields } as ContentBlock;
  }
}

/** @internal Tool arguments as an object (empty text is `{}`), or `undefined` when they are not a JSON object. */
export function parseArgs(raw: string): Record<string, unknown> | undefined {
  if (raw.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(raw);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
