/**
 * Protocol events as Server-Sent Events bytes: one message per event (`id: <n>`, `event: <name>`,
 * `data: <JSON>`, blank line), `: ping` comments while idle, and nothing after the terminal event.
 *
 * @module
 */
import { badEvent, eventName, isTerminal, type ProtocolEvent } from "../protocol.ts";
import { Heartbeat } from "./heartbeat.ts";
import { eventJSON } from "./hot-frames.ts";

/** @internal The default idle time before a `: ping` comment: proxies drop connections silent for 30–100 s. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** @internal The comment sent while idle; SSE clients ignore comments. */
export const PING = ": ping\n\n";

/**
 * @internal One SSE message. `id` counts from 1, so the event's position is `id - 1`. A name with a
 * line break would split the frame, so it is refused (the core passes unknown names through).
 * A string `id` (a stored log's `<seq>.<k>`, see resumeResponse) is written as it is, with
 * `position` for the errors.
 */
export function sseFrame(
  id: number | string,
  event: unknown,
  position: number = typeof id === "number" ? id - 1 : 0,
): { frame: string; name: string } {
  const name = eventName(event, position);
  if (name.includes("\n") || name.includes("\r")) throw badEvent(position, name, "event", "a name without line breaks", name);
  // JSON escapes every line break inside strings, so `data` is always one line.
  return { frame: `id: ${id}\nevent: ${name}\ndata: ${eventJSON(event)}\n\n`, name };
}

/** Options of `SSEEncoderStream`. */
export interface SSEEncoderOptions {
  /**
   * Idle time in milliseconds after which a `: ping` comment is sent (0 turns heartbeats off). A
   * ping follows at least this much silence and at most twice that.
   * @default 15000
   */
  heartbeatMs?: number | undefined;
}

class SSETransformer implements Transformer<ProtocolEvent, Uint8Array> {
  readonly #encoder = new TextEncoder();
  readonly #heartbeat: Heartbeat;
  #controller: TransformStreamDefaultController<Uint8Array> | undefined = undefined;
  #id = 0;

  constructor(heartbeatMs: number) {
    this.#heartbeat = new Heartbeat(heartbeatMs, () => this.#ping());
  }

  start(controller: TransformStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  transform(event: ProtocolEvent, controller: TransformStreamDefaultController<Uint8Array>): void {
    let name: string;
    try {
      const framed = sseFrame(++this.#id, event);
      name = framed.name;
      controller.enqueue(this.#encoder.encode(framed.frame));
    } catch (error) {
      this.#heartbeat.stop();
      // Not `throw`: workerd reports a transform's throw as an unhandled rejection too.
      controller.error(error);
      return;
    }
    this.#heartbeat.mark();
    if (isTerminal(name)) {
      this.#heartbeat.stop();
      controller.terminate();
    } else {
      // Armed by the first event, so an encoder that is never used holds no timer.
      this.#heartbeat.start();
    }
  }

  flush(): void {
    this.#heartbeat.stop();
  }

  /** Called when the readable side is cancelled or the writable side aborted. */
  cancel(): void {
    this.#heartbeat.stop();
  }

  /** Returns whether to go on beating. */
  #ping(): boolean {
    const controller = this.#controller!;
    // Bytes still queued for the reader already show the connection is alive.
    if ((controller.desiredSize ?? 0) < 0) return true;
    try {
      controller.enqueue(this.#encoder.encode(PING));
      return true;
    } catch {
      // The readable side is gone (a runtime without `cancel` on transformers): stop beating.
      this.#heartbeat.stop();
      return false;
    }
  }
}

/**
 * Protocol events in, Server-Sent Events bytes out: per event an `id:` (from 1), an `event:` line
 * with the event's name and a `data:` line with its JSON, then a blank line; a `: ping` comment
 * after `heartbeatMs` of silence. After the terminal event (`message-finish` or `error`) the output
 * closes and the input side is closed to further writes.
 *
 * `toResponse(stream, { format: "sse" })` does the same for a whole `ChatModelStream`, and also
 * writes a final `error` event when the stream fails without one (an abort, bad input).
 *
 * @example
 * ```ts
 * const body = stream.events.pipeThrough(new SSEEncoderStream());
 * const response = new Response(body, { headers: { "content-type": "text/event-stream" } });
 * // id: 1
 * // event: message-start
 * // data: {"event":"message-start","id":"msg-1"}
 * ```
 *
 * Cancellation and errors: cancelling the output (or aborting the input) cancels the source, as
 * for any `TransformStream`, and clears the heartbeat timer; so does the end of the input and a
 * failure. When the input errors, the output errors with the same reason: a plain transform
 * cannot write a closing event then, which is what `toResponse` adds. A value that is not a
 * protocol event (not an object, no string `event`, a name with a line break) errors the output
 * with a `TypeError` naming its position.
 */
export class SSEEncoderStream extends TransformStream<ProtocolEvent, Uint8Array> {
  constructor(options: SSEEncoderOptions = {}) {
    super(new SSETransformer(options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS));
  }
}
