// The cancellation matrix (issue 6, API.md §5, the README's "Cancellation and errors" table) as one
// table-driven test: each row stops a stream one way while a text and a toolCalls reader read it, then
// every projection is awaited. The `request.signal` row needs a Worker's request: the example Worker's
// tests cover it (test/example-worker.test.ts, "stops the model when the client goes away").
// `PRINT_MATRIX=1 npx vitest run --project node test/matrix.test.ts` prints the table as markdown.
import { describe, expect, it } from "vitest";
import { markdown, type MatrixRow, observeMatrix } from "./matrix.ts";

const value = { text: "value", reasoning: "value", toolCalls: "value", usage: "value", output: "value" };
const all = (name: string): typeof value => ({ text: name, reasoning: name, toolCalls: name, usage: name, output: name });

const expected: MatrixRow[] = [
  { what: "one of two readers cancels", sourceCancelled: 0, signalAborted: false, ...value, readers: "closed (cancelled), closed", partial: "—" },
  { what: "every reader cancels, nothing awaits", sourceCancelled: 1, signalAborted: true, ...all("AbortError"), readers: "both closed (cancelled)", partial: "yes" },
  { what: "`aclose()` before the finish", sourceCancelled: 1, signalAborted: true, ...all("AbortError"), readers: "both errored (AbortError)", partial: "yes" },
  { what: "`aclose()` after the finish", sourceCancelled: 0, signalAborted: false, ...value, readers: "both closed", partial: "—" },
  { what: "the constructor's `signal` aborts", sourceCancelled: 1, signalAborted: true, ...all("AbortError"), readers: "both errored (AbortError)", partial: "yes" },
  { what: "`await using` scope exit", sourceCancelled: 1, signalAborted: true, ...all("AbortError"), readers: "both errored (AbortError)", partial: "yes" },
  { what: "the source errors", sourceCancelled: 0, signalAborted: true, ...all("Error"), readers: "both errored (Error)", partial: "no" },
  { what: "an `error` event", sourceCancelled: 1, signalAborted: true, ...all("Error"), readers: "both errored (Error)", partial: "yes" },
  { what: "`idleTimeoutMs` passes with no event", sourceCancelled: 1, signalAborted: true, ...all("TimeoutError"), readers: "both errored (TimeoutError)", partial: "yes" },
  { what: "`maxEvents` is exceeded", sourceCancelled: 1, signalAborted: true, ...all("RangeError"), readers: "both errored (RangeError)", partial: "yes" },
  { what: "the pump rejects", sourceCancelled: "—", signalAborted: true, ...all("Error"), readers: "both errored (Error)", partial: "no" },
];

const env: Record<string, string | undefined> =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

describe("the cancellation matrix", () => {
  it("each way of stopping a stream has the effects in the README's table", async () => {
    const table = await observeMatrix();
    if (env["PRINT_MATRIX"]) console.log(markdown(table));
    expect(table).toEqual(expected);
  });
});
