// An unhandled rejection fails the test during (or after) which it surfaced, instead of being a log
// line in a green run. Each runtime reports them its own way, so each setup file passes a subscriber.
import { afterAll, afterEach } from "vitest";

/** Starts delivering rejection reasons to `record`; returns the unsubscribe function. */
export type Subscribe = (record: (reason: unknown) => void) => () => void;

// Runtimes report a rejection only after the microtask queue drains, so give it one macrotask turn
// before checking; otherwise a test's own leak would be blamed on the next test or on the file.
const nextMacrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * `settle` resolves once every rejection left unhandled so far has been reported. One macrotask turn
 * is enough in Node, workerd, Deno and Bun; Chromium reports them in a task of its own that may come
 * later (test/runtimes/chromium.ts passes its own).
 */
export function failOnUnhandledRejections(subscribe: Subscribe, settle: () => Promise<void> = nextMacrotask): void {
  const reasons: unknown[] = [];
  const unsubscribe = subscribe((reason) => {
    reasons.push(reason);
  });
  const check = (): void => {
    if (reasons.length === 0) return;
    const found = reasons.splice(0);
    throw new AggregateError(found, `${found.length} unhandled rejection(s): ${found.map(String).join("; ")}`);
  };
  afterEach(async () => {
    await settle();
    check();
  });
  afterAll(async () => {
    await settle();
    unsubscribe();
    check();
  });
}
