// What a ChatModelStream from bytes ends with, and whether every way of chunking the bytes ends the same.
import type { ChatModelStream } from "../src/index.ts";
import { bodyOf, oneByteChunks, splitAt, type Bytes } from "./bytes.ts";
import type { Message } from "./helpers.ts";

/** How a stream ended: its message, or its error (name, message, code and the partial message). */
export type Outcome =
  | { output: Message }
  | { error: { name: string; message: string; code: unknown; partial: Message | undefined } };

export async function outcome(stream: ChatModelStream): Promise<Outcome> {
  try {
    return { output: await stream.output };
  } catch (caught) {
    const error = caught as Error & { code?: unknown; partial?: Message };
    return { error: { name: error.name, message: error.message, code: error.code, partial: error.partial } };
  }
}

/** The split points (0 … length) at which two chunks give another outcome than the whole bytes. */
export async function badSplits(bytes: Bytes, open: (body: ReadableStream<Bytes>) => ChatModelStream): Promise<number[]> {
  const whole = JSON.stringify(await outcome(open(bodyOf(bytes))));
  const bad: number[] = [];
  for (let at = 0; at <= bytes.length; at++) {
    if (JSON.stringify(await outcome(open(bodyOf(...splitAt(bytes, at))))) !== whole) bad.push(at);
  }
  return bad;
}

/** The outcome with the bytes handed over one per chunk. */
export function oneByteOutcome(bytes: Bytes, open: (body: ReadableStream<Bytes>) => ChatModelStream): Promise<Outcome> {
  return outcome(open(bodyOf(...oneByteChunks(bytes))));
}
