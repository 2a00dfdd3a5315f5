/**
 * The tie between a stream and the signal its options name. The listener is added at the first
 * consumption (or when a producer waits on `ready`) and removed at the end, so streams made and
 * never read leave nothing on a long-lived signal; until then an abort is checked whenever the
 * stream is used.
 *
 * @module
 */

const noop = (): void => {};

/** @internal */
export class SignalLink {
  /** The signal not listened to yet, and what its abort does. */
  #pending: { signal: AbortSignal; onAbort: () => void } | undefined = undefined;
  #unlink: () => void = noop;

  link(signal: AbortSignal, onAbort: () => void): void {
    this.#pending = { signal, onAbort };
  }

  /** A signal that aborted before anything consumed: runs its abort now (no listener was added). */
  check(): void {
    const pending = this.#pending;
    if (pending?.signal.aborted) {
      this.#pending = undefined;
      pending.onAbort();
    }
  }

  /** Starts listening. Returns false when the signal had already aborted (its abort ran). */
  watch(): boolean {
    const pending = this.#pending;
    if (pending === undefined) return true;
    this.#pending = undefined;
    if (pending.signal.aborted) {
      pending.onAbort();
      return false;
    }
    pending.signal.addEventListener("abort", pending.onAbort, { once: true });
    this.#unlink = () => pending.signal.removeEventListener("abort", pending.onAbort);
    return true;
  }

  /** The stream ended: the signal keeps no listener of it. */
  unlink(): void {
    this.#unlink();
    this.#unlink = noop;
  }
}
