/**
 * An append-only string that costs one array slot per piece and joins once.
 *
 * V8 concatenation (`a += b`) builds a rope node per append (about 32 bytes each until the rope is
 * flattened), so a million small deltas would hold tens of megabytes of nodes. Here pieces are
 * joined into one flat string every {@link RUN} appends, and those runs into one every
 * {@link RUNS} runs: memory stays at about the text's own size plus two short arrays (a builder held
 * by each of a thousand streams in flight keeps no long array of pieces), and short pieces are
 * copied twice in total. A piece of {@link LONG} characters or more (a network chunk of a line
 * that has not ended) is kept as it is: joining it would only copy it.
 *
 * @internal
 */
export class StringBuilder {
  /** Joined runs of runs, each about `RUN * RUNS` pieces. */
  #folded: string[] = [];
  /** Joined runs of `RUN` pieces, fewer than `RUNS`. */
  #runs: string[] = [];
  /** The pieces since the last run, fewer than `RUN`. */
  #parts: string[] = [];
  #length = 0;

  constructor(initial = "") {
    if (initial !== "") this.push(initial);
  }

  get length(): number {
    return this.#length;
  }

  push(piece: string): void {
    this.#length += piece.length;
    if (piece.length >= LONG) {
      // Kept as it is, after what came before: a slot costs little beside it, a copy would cost as much again.
      this.#fold();
      this.#folded.push(piece);
    } else if (this.#parts.push(piece) === RUN) {
      const runs = this.#runs;
      runs.push(this.#parts.join(""));
      this.#parts.length = 0;
      if (runs.length === RUNS) {
        this.#folded.push(runs.join(""));
        runs.length = 0;
      }
    }
  }

  /** Moves the pieces and runs into `#folded`, as one string. */
  #fold(): void {
    const parts = this.#parts;
    const runs = this.#runs;
    if (parts.length > 0) {
      runs.push(parts.length === 1 ? parts[0]! : parts.join(""));
      parts.length = 0;
    }
    if (runs.length > 0) {
      this.#folded.push(runs.length === 1 ? runs[0]! : runs.join(""));
      runs.length = 0;
    }
  }

  /** Replaces the whole content. */
  set(value: string): void {
    this.#folded.length = 0;
    this.#runs.length = 0;
    this.#parts.length = 0;
    this.#length = 0;
    if (value !== "") this.push(value);
  }

  /** Returns the content and empties the builder. */
  take(): string {
    const all = this.toString();
    this.set("");
    return all;
  }

  toString(): string {
    const folded = this.#folded;
    const runs = this.#runs;
    const parts = this.#parts;
    if (folded.length === 0 && runs.length === 0 && parts.length <= 1) return parts[0] ?? "";
    const all = folded.join("") + runs.join("") + parts.join("");
    folded.length = 0;
    runs.length = 0;
    parts.length = 1;
    parts[0] = all;
    return all;
  }
}

/**
 * Pieces per run, and runs per folded string: 16 each, so that neither array outgrows the 17 slots
 * V8 gives an empty array at its first push (at the 18th it grows to 43, and setting its length
 * to 0 keeps that room: 360 bytes a builder, per stream in flight).
 */
const RUN = 16;
const RUNS = 16;
/** A piece this long is kept as it is, never copied into a run. */
const LONG = 1024;
