/**
 * The idle timer behind SSE heartbeats. One interval per encoder, not one timer per event: each
 * write only sets a flag, and a tick that finds the flag clear (nothing written for a whole
 * interval) sends a beat. So a beat follows at least `ms` and at most `2 * ms` of silence.
 *
 * The timer holds its heartbeat through a `WeakRef`, so a body dropped without being cancelled
 * (a client gone, a runtime that never calls `cancel`) is not kept alive by its own timer: once
 * the body is collected, the next tick finds nothing and clears the interval.
 *
 * @internal
 */
import { coded } from "../errors.ts";
/** @internal An owner that beats through a method: no closure kept per heartbeat. */
export interface Beating {
  beat(): boolean;
}

export class Heartbeat {
  readonly #ms: number;
  readonly #beat: (() => boolean) | Beating;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;
  #busy = false;
  #stopped = false;

  /**
   * `ms` of 0 or `Infinity` never beats. `beat` sends one beat and returns whether beats are still
   * wanted; `false` disarms the timer until the next `start()` (a client that stopped asking).
   * An object's `beat()` may stand for the function.
   */
  constructor(ms: number, beat: (() => boolean) | Beating) {
    if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
      throw coded(new RangeError(`heartbeatMs must be a number ≥ 0 (0 turns heartbeats off), got ${String(ms)}`), "bad_option");
    }
    this.#ms = ms;
    this.#beat = beat;
  }

  /** Arms the timer, unless it is armed; after `stop()` it never arms again. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped || this.#ms === 0 || this.#ms === Infinity) return;
    this.#timer = armWeakly(new WeakRef(this), this.#ms);
  }

  /** Something was written: the next tick stays silent. */
  mark(): void {
    this.#busy = true;
  }

  /** Clears the timer for good. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** @internal Called by the timer. */
  tick(): void {
    if (this.#busy) this.#busy = false;
    else {
      const beat = this.#beat;
      if (!(typeof beat === "function" ? beat() : beat.beat())) this.#disarm();
    }
  }
}

/**
 * The interval, in a function of its own so its callback captures only the weak reference and
 * the timer id, never the heartbeat or its owner.
 */
function armWeakly(ref: WeakRef<Heartbeat>, ms: number): ReturnType<typeof setInterval> {
  const timer = setInterval(() => {
    const heartbeat = ref.deref();
    if (heartbeat === undefined) clearInterval(timer);
    else heartbeat.tick();
  }, ms);
  return timer;
}
