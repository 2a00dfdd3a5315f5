/**
 * The other ecosystems' wire formats by name, and `FormatEncoderStream`, the `TransformStream` that
 * writes one of them from protocol events (what `toResponse`'s `format` writes into a body).
 *
 * @module
 */
import { isTerminal, type ProtocolEvent } from "../protocol.ts";
import { coded } from "../errors.ts";
import { agUIFormat } from "./ag-ui-format.ts";
import { anthropicFormat } from "./anthropic-format.ts";
import { openAIChatFormat } from "./openai-chat-format.ts";
import { uiMessageStream } from "./ui-message-stream.ts";
import type { WireFormat, WireWriter } from "./wire.ts";

/** The other ecosystems' formats: what their own clients read. */
export type WireFormatName = "ui-message-stream" | "openai-chat" | "anthropic" | "ag-ui";

/** @internal The wire formats by name. */
export const WIRE_FORMATS: Record<WireFormatName, WireFormat> = {
  "ui-message-stream": uiMessageStream,
  "openai-chat": openAIChatFormat,
  anthropic: anthropicFormat,
  "ag-ui": agUIFormat,
};

/** @internal The format of that name, or `undefined`. */
export function wireFormat(name: unknown): WireFormat | undefined {
  return typeof name === "string" && Object.hasOwn(WIRE_FORMATS, name) ? WIRE_FORMATS[name as WireFormatName] : undefined;
}

/** Options of `FormatEncoderStream`. */
export interface FormatEncoderOptions {
  /** The message's id when its `message-start` carries none (else one is made up). */
  messageId?: string | undefined;
  /**
   * `"ag-ui"` only: the thread and run ids `RUN_STARTED` and `RUN_FINISHED` report, as the
   * client's `RunAgentInput` gave them. Without them, the start metadata's `thread_id` / `run_id`
   * are used, else the message id.
   */
  threadId?: string | undefined;
  runId?: string | undefined;
}

/**
 * Protocol events in, another ecosystem's bytes out: the AI SDK's UI message stream, OpenAI Chat
 * Completions or Anthropic Messages SSE, or AG-UI, as `toResponse(stream, { format })` writes
 * them; for `pipeThrough`, where the events come from elsewhere than a `ChatModelStream`. Each
 * event becomes one chunk of bytes (none for an event the format has no place for).
 *
 * @example
 * ```ts
 * declare const events: ReadableStream<ProtocolEvent>;
 * const body = events.pipeThrough(new FormatEncoderStream("openai-chat"));
 * const response = new Response(body, { headers: { "content-type": "text/event-stream" } });
 *
 * // An AG-UI run under the ids the client sent in its RunAgentInput:
 * declare const input: { threadId: string; runId: string };
 * const run = events.pipeThrough(new FormatEncoderStream("ag-ui", { threadId: input.threadId, runId: input.runId }));
 * ```
 *
 * Cancellation and errors: after a terminal event (`message-finish` or `error`, whose closing
 * frames it writes) the stream terminates, which (through `pipeThrough`) cancels the input. An
 * event the format cannot write errors the readable side (never a throw from `transform`, which
 * workerd reports as unhandled). An unknown format name throws a `TypeError` at once.
 */
export class FormatEncoderStream extends TransformStream<ProtocolEvent, Uint8Array> {
  constructor(format: WireFormatName, options?: FormatEncoderOptions) {
    const spec = wireFormat(format);
    if (spec === undefined) {
      const names = Object.keys(WIRE_FORMATS).map((n) => `"${n}"`).join(", ");
      throw coded(new TypeError(`FormatEncoderStream: format must be one of ${names}, got ${String(format)}`), "bad_option");
    }
    super(formatTransformer(spec.writer(options?.messageId, options)));
  }
}

function formatTransformer(writer: WireWriter): Transformer<ProtocolEvent, Uint8Array> {
  const encoder = new TextEncoder();
  return {
    transform(event, controller) {
      let text: string;
      try {
        text = writer.push(event);
      } catch (error) {
        controller.error(error);
        return;
      }
      if (text !== "") controller.enqueue(encoder.encode(text));
      if (isTerminal((event as { event?: unknown }).event)) controller.terminate();
    },
  };
}
