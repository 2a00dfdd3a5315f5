/**
 * Text and reasoning as readers saw them: in arrival order. While deltas arrive in block-index
 * order and no finish replaces a block's text, that is the blocks' texts joined in index order and
 * nothing extra is kept; the first time the two diverge, the arrival-order text is materialised
 * and kept from then.
 *
 * @module
 */
import { StringBuilder } from "../string-builder.ts";
import type { Block, BlockTable } from "./state.ts";

class Track {
  last = -1;
  text: StringBuilder | null = null;
  /**
   * Once deltas came out of index order: the arrival order as runs, `[index, length, …]`, so a
   * replay can give the deltas back in that order (one entry per change of block: bounded by the
   * text). Null before that, or once a replaced text made arrival order unrecoverable.
   */
  runs: number[] | null = null;
}

/** @internal The text (`TEXT`) and reasoning (`REASONING`) tracks. */
export class Arrival {
  readonly #tracks = [new Track(), new Track()] as const;
  readonly #table: BlockTable;

  constructor(table: BlockTable) {
    this.#table = table;
  }

  /** Appends a piece to a text or reasoning block, as readers get it. */
  append(b: Block, piece: string): void {
    const track = this.#tracks[b.kind as 0 | 1];
    if (track.text !== null) {
      track.text.push(piece);
      const runs = track.runs;
      if (runs !== null) {
        if (runs[runs.length - 2] === b.index) runs[runs.length - 1]! += piece.length;
        else runs.push(b.index, piece.length);
      }
    } else if (b.index < track.last) {
      // Until now arrival order was index order: each block so far is one run.
      const runs: number[] = [];
      for (const other of this.#table.ordered()) if (other.kind === b.kind && other.buf.length > 0) runs.push(other.index, other.buf.length);
      runs.push(b.index, piece.length);
      track.runs = runs;
      track.text = new StringBuilder(this.#table.join(b.kind));
      track.text.push(piece);
    }
    track.last = b.index;
    b.buf.push(piece);
  }

  /** A block's text is about to be replaced: from now on readers' text is kept apart. */
  diverge(kind: number): void {
    const track = this.#tracks[kind as 0 | 1];
    if (track.text === null) track.text = new StringBuilder(this.#table.join(kind));
    track.runs = null; // the replaced text is no longer made of the pieces readers saw
  }

  /** The text (or reasoning) as a reader attached from the start has read it so far. */
  soFar(kind: number): string {
    return this.#tracks[kind as 0 | 1].text?.toString() ?? this.#table.join(kind);
  }

  /** The text's runs, once its deltas came out of index order (see `Track.runs`). */
  get textRuns(): readonly number[] | null {
    return this.#tracks[0].runs;
  }
}
