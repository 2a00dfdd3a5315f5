/**
 * Protocol events as newline-delimited JSON bytes: one event per line, nothing after the terminal
 * event.
 *
 * @module
 */
import { eventName, type ProtocolEvent } from "../protocol.ts";
import { isTerminal } from "../protocol.ts";
import { eventJSON } from "./hot-frames.ts";

/**
 * @internal One NDJSON line; throws a `TypeError` naming `position` for a value that is not an
 * event. JSON.stringify escapes every line break inside strings, so the line is one line.
 */
export function ndjsonLine(position: number, event: unknown): { line: string; name: string } {
  const name = eventName(event, position);
  return { line: eventJSON(event) + "\n", name };
}

class NDJSONTransformer implements Transformer<ProtocolEvent, Uint8Array> {
  readonly #encoder = new TextEncoder();
  #position = 0;

  transform(event: ProtocolEvent, controller: TransformStreamDefaultController<Uint8Array>): void {
    let framed: { line: string; name: string };
    try {
      framed = ndjsonLine(this.#position++, event);
    } catch (error) {
      // Not `throw`: workerd reports a transform's throw as an unhandled rejection too.
      controller.error(error);
      return;
    }
    controller.enqueue(this.#encoder.encode(framed.line));
    if (isTerminal(framed.name)) controller.terminate();
  }
}

/**
 * Protocol events in, NDJSON bytes out: each event as one line of JSON. After the terminal event
 * (`message-finish` or `error`) the output closes and the input side is closed to further writes.
 * There is no heartbeat: NDJSON has no comment line.
 *
 * `toResponse(stream, { format: "ndjson" })` does the same for a whole `ChatModelStream`, and also
 * writes a final `error` event when the stream fails without one (an abort, bad input).
 *
 * @example
 * ```ts
 * const body = stream.events.pipeThrough(new NDJSONEncoderStream());
 * // {"event":"message-start","id":"msg-1"}
 * // {"event":"content-block-start","index":0,"content":{"type":"text","text":""}}
 * ```
 *
 * Cancellation and errors: cancelling the output (or aborting the input) cancels the source, as
 * for any `TransformStream`. When the input errors, the output errors with the same reason. A value
 * that is not a protocol event (not an object, no string `event`) errors the output with a
 * `TypeError` naming its position.
 */
export class NDJSONEncoderStream extends TransformStream<ProtocolEvent, Uint8Array> {
  constructor() {
    super(new NDJSONTransformer());
  }
}
