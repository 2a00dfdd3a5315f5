// What a ChatModelStream from bytes ends with, and whether every way of chunking the bytes ends the same.
import recordings, { sources } from "virtual:recordings";
import { expect, it } from "vitest";
import { EventStreamDecoder } from "../src/eventstream/decoder.ts";
import { SSEParser } from "../src/sse/parse.ts";
import { RUNTIMES_HARNESS } from "./runtimes/result.ts";
import type { ChatModelStream, ResponseInput } from "../src/index.ts";
import { bodyOf, bytesOf, oneByteChunks, responseOf, splitAt, type Bytes } from "./bytes.ts";
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

/**
 * Per fixture: the expected outcome from a Response, the same outcome split in two at every byte,
 * and from one-byte chunks. Call it inside a describe block.
 */
export function itGivesTheFixturesOutcomes<K extends string>(
  fixtures: Record<K, string>,
  expected: Record<K, Outcome>,
  from: (input: ResponseInput) => ChatModelStream,
): void {
  for (const name of Object.keys(fixtures) as K[]) {
    const bytes = bytesOf(fixtures[name]);

    it(`${name}: gives the expected outcome`, async () => {
      expect(await outcome(from(responseOf(fixtures[name])))).toEqual(expected[name]);
    });

    it(`${name}: gives the same outcome split in two at every byte`, async () => {
      expect(await badSplits(bytes, from)).toEqual([]);
    }, 60_000);

    it(`${name}: gives the same outcome from one-byte chunks`, async () => {
      expect(await oneByteOutcome(bytes, from)).toEqual(expected[name]);
    });
  }
}

/**
 * The every-split check of the recordings is quadratic in a recording's size (a 67 KB one takes
 * 11 s in Node): it runs in the vitest projects, Node and workerd, where the framing code is the
 * same; the runtimes runner checks each recording whole and in one-byte chunks.
 */
function everySplit(): boolean {
  return (globalThis as { [RUNTIMES_HARNESS]?: string })[RUNTIMES_HARNESS] === undefined;
}

/**
 * The messages a body's framing makes of these chunks, each as text to compare: SSE messages,
 * NDJSON lines, or AWS event-stream frames (headers and payload), by content type.
 */
function framed(chunks: readonly Bytes[], contentType: string): string[] {
  const out: string[] = [];
  if (contentType === "application/vnd.amazon.eventstream") {
    const payload = new TextDecoder();
    const decoder = new EventStreamDecoder((frame) => out.push(`${[...frame.headers].map(String).join("\n")}\n\n${payload.decode(frame.payload)}`));
    for (const chunk of chunks) decoder.push(chunk);
    decoder.end();
    return out;
  }
  const text = new TextDecoder("utf-8", { ignoreBOM: true });
  if (contentType === "application/x-ndjson") {
    let carry = "";
    const lines = (piece: string) => {
      const parts = (carry + piece).split("\n");
      carry = parts.pop()!;
      out.push(...parts);
    };
    for (const chunk of chunks) lines(text.decode(chunk, { stream: true }));
    lines(text.decode());
    out.push(carry);
    return out;
  }
  const parser = new SSEParser((m) => out.push(`${m.event ?? ""}\n${m.id ?? ""}\n${m.data}`));
  for (const chunk of chunks) parser.write(text.decode(chunk, { stream: true }));
  parser.write(text.decode());
  parser.end();
  return out;
}

/** Whether two lists of framed messages are equal. */
function same(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The recorded streams of one provider (test/fixtures/recorded/<provider>/), each from the bytes
 * the provider sent: the expected outcome from a Response, and from one-byte chunks; and split in
 * two at every byte, the same messages out of the body's framing (SSE, NDJSON lines or event-stream
 * frames). An adapter sees only those messages, never a chunk, so equal messages give an equal
 * outcome; checking them rather than a whole stream per split keeps the check linear in the work
 * per split, as a recording of 30 KB has 30,000 splits. Every recording must have its expected
 * outcome here and its line in the directory's SOURCES file, and every expected outcome its
 * recording. `contentType` is the response's, as the provider sends it.
 */
export function itGivesTheRecordingsOutcomes(
  provider: string,
  expected: Record<string, Outcome>,
  from: (input: ResponseInput) => ChatModelStream,
  contentType = "text/event-stream",
): void {
  const prefix = `${provider}/`;
  const names = Object.keys(recordings)
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length));

  it("has an expected outcome and a source for every recording, and a recording for every outcome", () => {
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !(`${prefix}${name}` in sources))).toEqual([]);
    expect([...names].sort()).toEqual(Object.keys(expected).sort());
  });

  for (const name of names) {
    const bytes = recordings[`${prefix}${name}`]! as Bytes;
    const outcomeOf = expected[name];
    if (outcomeOf === undefined) continue;

    it(`${name}: gives the expected outcome`, async () => {
      const response = new Response(bodyOf(bytes), { headers: { "content-type": contentType } });
      expect(await outcome(from(response))).toEqual(outcomeOf);
    });

    it.skipIf(!everySplit())(`${name}: frames the same messages split in two at every byte`, () => {
      const whole = framed([bytes], contentType);
      const bad: number[] = [];
      expect(whole.length).toBeGreaterThan(0);
      for (let at = 0; at <= bytes.length; at++) if (!same(framed(splitAt(bytes, at), contentType), whole)) bad.push(at);
      expect(bad).toEqual([]);
    }, 60_000);

    it(`${name}: gives the same outcome from one-byte chunks`, async () => {
      expect(await oneByteOutcome(bytes, from)).toEqual(outcomeOf);
    });
  }
}
