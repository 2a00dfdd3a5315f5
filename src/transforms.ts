/**
 * The projections as standalone `TransformStream`s from protocol events, for `pipeThrough`.
 * Each folds the events with its own accumulator, so it gives what the matching
 * `ChatModelStream` projection gives a reader attached from the start.
 *
 * @module
 */
import { noChunks } from "./errors.ts";
import { EMIT_REASONING, EMIT_TEXT, EMIT_TOOL, FAILED, FINISHED, MessageAccumulator } from "./fold/accumulator.ts";
import type { AIMessage, ErrorWithPartial, ProtocolEvent, ToolCallChunk } from "./protocol.ts";

type Pick<T> = (acc: MessageAccumulator, flags: number) => T | undefined;

function fold<T>(pick: Pick<T>, atEnd?: (acc: MessageAccumulator) => T | undefined): Transformer<ProtocolEvent, T> {
  const acc = new MessageAccumulator();
  // controller.error() rather than a throw: workerd reports a throwing transform() as an unhandled
  // rejection even when every promise of the pipe is handled.
  const fail = (controller: TransformStreamDefaultController<T>, error: unknown): void => {
    if (error instanceof Error) (error as ErrorWithPartial).partial = acc.message();
    controller.error(error);
  };
  return {
    transform(event, controller) {
      let flags: number;
      try {
        flags = acc.apply(event);
      } catch (error) {
        fail(controller, error);
        return;
      }
      if (flags === 0) return;
      if (flags & FAILED) {
        fail(controller, acc.error);
        return;
      }
      const out = pick(acc, flags);
      if (out !== undefined) controller.enqueue(out);
    },
    flush(controller) {
      const finishedBefore = acc.done;
      if (!acc.end()) {
        controller.error(noChunks());
        return;
      }
      if (!finishedBefore && atEnd !== undefined) {
        const out = atEnd(acc);
        if (out !== undefined) controller.enqueue(out);
      }
    },
  };
}

/**
 * Protocol events in, text deltas out.
 *
 * @example
 * ```ts
 * const body = events.pipeThrough(new TextDeltaStream()).pipeThrough(new TextEncoderStream());
 * ```
 *
 * Cancellation and errors: an `error` event or a malformed event errors the stream (a `TypeError`
 * naming the field and position for bad input), with `partial` on the error; input that ends
 * with no event at all errors with "No generation chunks were returned". Cancelling the readable
 * side cancels the source, as for any `TransformStream`.
 */
export class TextDeltaStream extends TransformStream<ProtocolEvent, string> {
  constructor() {
    super(fold((acc, flags) => (flags & EMIT_TEXT ? acc.delta : undefined)));
  }
}

/**
 * Protocol events in, reasoning deltas out.
 *
 * @example
 * ```ts
 * for await (const thought of events.pipeThrough(new ReasoningDeltaStream())) console.log(thought);
 * ```
 *
 * Cancellation and errors: as `TextDeltaStream`.
 */
export class ReasoningDeltaStream extends TransformStream<ProtocolEvent, string> {
  constructor() {
    super(fold((acc, flags) => (flags & EMIT_REASONING ? acc.delta : undefined)));
  }
}

/**
 * Protocol events in, tool-call chunks out (`{type: "tool_call_chunk", index, id?, name?, args?}`).
 *
 * @example
 * ```ts
 * for await (const chunk of events.pipeThrough(new ToolCallChunkStream())) console.log(chunk.index, chunk.name, chunk.args);
 * ```
 *
 * Cancellation and errors: as `TextDeltaStream`.
 */
export class ToolCallChunkStream extends TransformStream<ProtocolEvent, ToolCallChunk> {
  constructor() {
    super(fold((acc, flags) => (flags & EMIT_TOOL ? acc.chunk : undefined)));
  }
}

/**
 * Protocol events in, exactly one `AIMessage` out, as soon as `message-finish` arrives (or at the
 * end of the input, with a synthesized finish).
 *
 * @example
 * ```ts
 * const { value: message } = await events.pipeThrough(new MessageStream()).getReader().read();
 * ```
 *
 * Cancellation and errors: as `TextDeltaStream`.
 */
export class MessageStream extends TransformStream<ProtocolEvent, AIMessage> {
  constructor() {
    super(
      fold(
        (acc, flags) => (flags & FINISHED ? acc.message() : undefined),
        (acc) => acc.message(),
      ),
    );
  }
}
