/**
 * The state of one message's fold: the block table (each block's kind, growing content and
 * fields, by index) and what the message gathered besides. The fold writes it; `assemble` and
 * `replay` only read it.
 *
 * @module
 */
import type { ContentBlock, InvalidToolCall, RawEvent, ToolCall, UsageMetadata } from "../protocol.ts";
import { StringBuilder } from "../string-builder.ts";
import type { Arrival } from "./arrival.ts";

/** @internal Block kinds: the first two are also the arrival tracks' indices. */
export const TEXT = 0;
/** @internal */
export const REASONING = 1;
/** @internal */
export const TOOL = 2;
/** @internal */
export const SERVER_TOOL = 3;
/** @internal */
export const OTHER = 4;

/** @internal Per kind: the field that grows with deltas, and the block type the kind stands for. */
export const GROWING = ["text", "reasoning", "args", "args", "data"] as const;
/** @internal */
export const TYPE_OF_KIND = ["text", "reasoning", "tool_call_chunk", "server_tool_call_chunk", undefined] as const;

/** @internal */
export function kindOf(type: unknown): number {
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

/**
 * @internal Text and reasoning finishes whose text the fold puts in: a block writer whose events
 * are all folded before anyone reads them keeps no copy of the text (see
 * `BlockWriter.foldFillsText`); such a finish carries `""` until the fold fills it from its block.
 */
export const FOLD_FILLS: WeakSet<object> = new WeakSet();

/** @internal The block types of the protocol: a delta of another type is not an older partial block. */
export const BLOCK_TYPES: ReadonlySet<string> = new Set([
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

/** @internal One content block of the message, by index. */
export class Block {
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

  constructor(index: number, kind: number) {
    this.index = index;
    this.kind = kind;
    this.fields = {};
    this.open = kind === TOOL || kind === SERVER_TOOL;
  }
}

/** @internal The blocks by index, with index order kept cheaply while they arrive in order. */
export class BlockTable {
  readonly #blocks = new Map<number, Block>();
  #last: Block | undefined = undefined;
  #maxIndex = -1;
  #sorted = true;

  /** The block at `index`, made with `kind` if it is new (a delta or finish opens it implicitly). */
  at(index: number, kind: number): Block {
    const last = this.#last;
    if (last !== undefined && last.index === index) return last;
    let b = this.#blocks.get(index);
    if (b === undefined) {
      b = new Block(index, kind);
      this.#blocks.set(index, b);
      if (index < this.#maxIndex) this.#sorted = false;
      else this.#maxIndex = index;
    }
    this.#last = b;
    return b;
  }

  find(index: number): Block | undefined {
    return this.#blocks.get(index);
  }

  ordered(): Block[] {
    const blocks = [...this.#blocks.values()];
    if (!this.#sorted) blocks.sort((a, b) => a.index - b.index);
    return blocks;
  }

  /** The content of every block of `kind`, in index order. */
  join(kind: number): string {
    let out = "";
    for (const b of this.ordered()) if (b.kind === kind) out += b.buf.toString();
    return out;
  }
}

/** @internal Everything the fold gathered, for the read-only views. */
export interface FoldState {
  readonly table: BlockTable;
  readonly arrival: Arrival;
  /** Finished tool calls in finish order, then swept ones in index order. */
  readonly toolCalls: ToolCall[];
  readonly invalid: InvalidToolCall[];
  /** Blocks in the order their finish events came, for the replay. */
  readonly finishes: Block[];
  id: string | undefined;
  startMeta: RawEvent | undefined;
  usage: UsageMetadata | undefined;
  reason: string | undefined;
  finishMeta: RawEvent | undefined;
  /** A message-finish arrived (not merely an end by failure). */
  finished: boolean;
}
