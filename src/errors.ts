/**
 * The `code` every error this package makes carries: a string to switch on, whatever the error's
 * class. `toResponse` sends it to SSE and NDJSON clients as is.
 *
 * @module
 */

/**
 * What went wrong.
 *
 * - `bad_input`: a malformed event, a body that is not a stream of events, another provider's stream.
 * - `aborted`: `cancel()` / `aclose()`, the `signal`, or the last reader cancelling.
 * - `timeout`: `idleTimeoutMs`, `firstTokenTimeoutMs`, `totalTimeoutMs`, or an abort whose reason
 *   was a `TimeoutError` (`AbortSignal.timeout`).
 * - `max_events`, `max_bytes`, `max_line`: a limit was exceeded.
 * - `no_chunks`: the source ended before sending any event.
 * - `http`: the provider answered with a non-OK status (an `HTTPError`).
 * - `invalid_state`: a call at the wrong time (`dispatch` after the end, `setStart` after the start).
 * - `bad_option`: an option out of its range.
 * - `not_found`: a stored generation (a `StreamLog`) that does not exist, or no longer does.
 *
 * An `error` event's error carries the event's own `code` (the provider's), when it has one.
 */
export type ErrorCode =
  | "bad_input"
  | "aborted"
  | "timeout"
  | "max_events"
  | "max_bytes"
  | "max_line"
  | "no_chunks"
  | "http"
  | "invalid_state"
  | "bad_option"
  | "not_found";

/**
 * @internal Gives `error` its `code`. A `DOMException` has a numeric legacy `code` on its
 * prototype; an own property shadows it, so `AbortError` and `TimeoutError` carry the string too.
 */
export function coded<E extends object>(error: E, code: ErrorCode): E & { code: ErrorCode } {
  Object.defineProperty(error, "code", { value: code, writable: true, enumerable: true, configurable: true });
  return error as E & { code: ErrorCode };
}

/** @internal The error of a source that ended before sending any event, as LangChain words it. */
export function noChunks(): Error & { code: ErrorCode } {
  return coded(new Error("No generation chunks were returned"), "no_chunks");
}

/** @internal An error's string `code`, else undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
