/**
 * Lets the event loop turn while a source answers in microtasks. A sync pump, a sync iterable or
 * an async generator without I/O can feed the stream forever without giving timers a turn: the
 * stream's own timeouts would never fire and the isolate would freeze. Every {@link CHECK_EVERY}
 * events a sentinel timer is armed; if it has not fired by the next checks while the loop kept
 * running for {@link BUSY_MS} (or, where the clock stands still while code runs, as in workerd,
 * for {@link MAX_CHECKS} checks), the loop awaits it. A source fed by real I/O gives the event loop
 * its turns anyway and never waits here: it pays one timer per {@link CHECK_EVERY} events.
 *
 * @module
 */

const CHECK_EVERY = 1024;
const BUSY_MS = 25;
const MAX_CHECKS = 64;

interface Sentinel {
  fired: boolean;
  readonly at: number;
  checks: number;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

/** @internal */
export class Turns {
  #count = 0;
  #sentinel: Sentinel | undefined = undefined;

  /** Counts one event; returns a promise to await when the event loop must turn first. */
  tick(): Promise<void> | undefined {
    if (++this.#count < CHECK_EVERY) return undefined;
    this.#count = 0;
    const sentinel = this.#sentinel;
    if (sentinel === undefined || sentinel.fired) {
      this.#sentinel = this.#arm();
      return undefined;
    }
    if (++sentinel.checks < MAX_CHECKS && Date.now() - sentinel.at < BUSY_MS) return undefined;
    return sentinel.promise;
  }

  /** A timer for the next checks; once it fired it is let go, so a stream held between checks keeps none of it. */
  #arm(): Sentinel {
    let resolve!: () => void;
    const promise = new Promise<void>((res) => (resolve = res));
    const sentinel: Sentinel = {
      fired: false,
      at: Date.now(),
      checks: 0,
      timer: setTimeout(() => {
        sentinel.fired = true;
        resolve();
        if (this.#sentinel === sentinel) this.#sentinel = undefined;
      }, 0),
      promise,
      resolve,
    };
    return sentinel;
  }

  /** The stream ended: no timer outlives it. */
  stop(): void {
    const sentinel = this.#sentinel;
    if (sentinel !== undefined && !sentinel.fired) {
      clearTimeout(sentinel.timer);
      sentinel.resolve(); // a loop waiting for its turn goes on, and sees that the stream ended
    }
    this.#sentinel = undefined;
  }
}
