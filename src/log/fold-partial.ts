/**
 * The message a generation's stored rows fold to when its producer is gone: what an engine stores
 * as the partial message of a generation it finishes itself (a producer that went silent).
 *
 * @module
 */
import { ChatModelStream } from "../chat-model-stream.ts";
import { hasPartial } from "../has-partial.ts";
import type { AIMessage, ProtocolEvent } from "../protocol.ts";
import type { LogFailure } from "./stream-log.ts";

/**
 * @internal The message `events` fold to, cut by `failure` (open blocks finished as the package's
 * own fold finishes them on an error); undefined without events.
 */
export async function foldPartial(events: readonly ProtocolEvent[], failure: LogFailure): Promise<AIMessage | undefined> {
  if (events.length === 0) return undefined;
  const cut: ProtocolEvent = failure.code === undefined ? { event: "error", message: failure.message } : { event: "error", ...failure };
  try {
    return await ChatModelStream.from([...events, cut]).output;
  } catch (error) {
    return hasPartial(error) ? error.partial : undefined;
  }
}
