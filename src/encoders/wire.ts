/**
 * The other ecosystems' wire formats a body can speak (`toResponse`'s `format`, and
 * `FormatEncoderStream`): each turns protocol events, one at a time, into the bytes that
 * ecosystem's own clients read.
 *
 * @module
 */
import type { ProtocolEvent } from "../protocol.ts";

/**
 * @internal One body's writer: the text a protocol event makes (often one frame, sometimes none or
 * several). A terminal event (`message-finish`, `error`) makes the format's closing frames too; an
 * `error` of code `"aborted"` is a Stop, which formats that can tell it apart say so.
 */
export interface WireWriter {
  push(event: ProtocolEvent): string;
}

/** @internal The ids of the run an AG-UI body reports (the client's `RunAgentInput` has them). */
export interface RunIds {
  readonly threadId?: string | undefined;
  readonly runId?: string | undefined;
}

/** @internal A format: its content type, its other headers, and a writer per body. */
export interface WireFormat {
  readonly contentType: string;
  readonly headers: readonly (readonly [string, string])[];
  /**
   * A writer for one message; `messageId` names a message whose start event carries no id, `run`
   * the run (formats that have runs: AG-UI).
   */
  writer(messageId?: string, run?: RunIds): WireWriter;
}

/** @internal The finish reason most wire formats know, from the providers' and LangChain's. */
export function finishKind(reason: string | undefined): "stop" | "length" | "tool-calls" | "content-filter" | "other" | undefined {
  if (reason === undefined) return undefined;
  switch (reason) {
    case "stop":
    case "end_turn":
    case "stop_sequence":
    case "STOP":
    case "completed":
      return "stop";
    case "length":
    case "max_tokens":
    case "MAX_TOKENS":
    case "max_output_tokens":
      return "length";
    case "tool_calls":
    case "tool_use":
    case "function_call":
      return "tool-calls";
    case "content_filter":
    case "refusal":
    case "SAFETY":
      return "content-filter";
    default:
      return "other";
  }
}
