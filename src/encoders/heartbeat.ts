/**
 * The idle timer behind SSE heartbeats. One interval per encoder, not one timer per event: each
 * write only sets a flag, and a tick that finds the flag clear (nothing written for a whole
 * interval) sends a beat. So a beat follows at least `ms` and at most `2 * ms` of silence.
 *
 * @internal
 */
export class Heartbeat {
  readonly #ms: number;
  readonly #beat: () => void;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;
  #busy = false;
  #stopped = false;

  /** `ms` of 0 or `Infinity` never beats. */
  constructor(ms: number, beat: () => void) {
    if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
      throw new RangeError(`heartbeatMs must be a number ≥ 0 (0 turns heartbeats off), got ${String(ms)}`);
    }
    this.#ms = ms;
    this.#beat = beat;
  }

  /** Arms the timer (once); after `stop()` it never arms again. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped || this.#ms === 0 || this.#ms === Infinity) return;
    this.#timer = setInterval(() => this.#tick(), this.#ms);
  }

  /** Something was written: the next tick stays silent. */
  mark(): void {
    this.#busy = true;
  }

  /** Clears the timer for good. Idempotent. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (this.#busy) this.#busy = false;
    else this.#beat();
  }
}
