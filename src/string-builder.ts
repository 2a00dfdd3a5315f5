/**
 * An append-only string that costs one array slot per piece and joins once.
 *
 * V8 concatenation (`a += b`) builds a rope node per append (about 32 bytes each until the rope is
 * flattened), so a million small deltas would hold tens of megabytes of nodes. Here pieces are
 * folded into one flat string every {@link FOLD} appends, which keeps memory at about the text's
 * own size plus a small array, and costs one extra copy of the text in total.
 *
 * @internal
 */
export class StringBuilder {
  #folded: string[] = [];
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
    if (this.#parts.push(piece) === FOLD) {
      this.#folded.push(this.#parts.join(""));
      this.#parts.length = 0;
    }
  }

  /** Replaces the whole content. */
  set(value: string): void {
    this.#folded.length = 0;
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
    const parts = this.#parts;
    if (folded.length === 0 && parts.length <= 1) return parts[0] ?? "";
    const all = folded.join("") + parts.join("");
    folded.length = 0;
    parts.length = 1;
    parts[0] = all;
    return all;
  }
}

const FOLD = 256;
