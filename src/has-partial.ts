/**
 * `hasPartial`: reach the message that was assembled before a stream failed, without a cast.
 *
 * @module
 */
import type { AIMessage } from "./protocol.ts";

/**
 * Whether `error` carries `partial`, the message assembled before the stream stopped: true for the
 * `AbortError` of a cancellation, a `TimeoutError`, a limit's `RangeError`, a malformed event's
 * `TypeError` and an `error` event's `Error`; false for a source's or pump's own error, passed
 * through unchanged, and for anything that is not an object. It checks the value, not the class,
 * so it also holds for an error from another copy of the package or another realm.
 *
 * @example
 * ```ts
 * import { ChatModelStream, hasPartial } from "chat-model-stream";
 *
 * const stream = ChatModelStream.from(events, { signal: request.signal });
 * try {
 *   console.log(await stream.output);
 * } catch (error) {
 *   if (!hasPartial(error)) throw error;
 *   console.log(error.name, error.partial.content); // e.g. "AbortError" and the answer so far
 * }
 * ```
 *
 * Cancellation and errors: it only reads `error.partial`; a `partial` that is not an object with
 * `type: "ai"` does not count.
 */
export function hasPartial(error: unknown): error is Error & { partial: AIMessage } {
  if (typeof error !== "object" || error === null) return false;
  const partial = (error as { partial?: unknown }).partial;
  return typeof partial === "object" && partial !== null && (partial as { type?: unknown }).type === "ai";
}
