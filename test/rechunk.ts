// What a ChatModelStream from bytes ends with, and whether every way of chunking the bytes ends the same.
import recordings, { sources } from "virtual:recordings";
import { expect, it } from "vitest";
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
 * The recorded streams of one provider (test/fixtures/recorded/<provider>/), each checked as
 * `itGivesTheFixturesOutcomes` checks a fixture, from the bytes the provider sent. Every recording
 * must have its expected outcome here and its line in the directory's SOURCES file, and every
 * expected outcome its recording. `contentType` is the response's, as the provider sends it.
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

    it(`${name}: gives the same outcome split in two at every byte`, async () => {
      expect(await badSplits(bytes, from)).toEqual([]);
    }, 120_000);

    it(`${name}: gives the same outcome from one-byte chunks`, async () => {
      expect(await oneByteOutcome(bytes, from)).toEqual(outcomeOf);
    });
  }
}
