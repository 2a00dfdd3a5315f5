// The body path (issue 15): toResponse's body reads the fan-out directly and writes what one turn
// makes (a network chunk's events, or what a pull finds queued) as one chunk, with the bytes the
// per-event encoders write; the hot delta frames come from a template that is byte for byte
// JSON.stringify's.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ChatModelStream,
  FormatEncoderStream,
  fromResponse,
  NDJSONEncoderStream,
  SSEEncoderStream,
  toResponse,
  type ProtocolEvent,
} from "../src/index.ts";
import { deltaJSON } from "../src/encoders/hot-frames.ts";
import { sseFrame } from "../src/encoders/sse-encoder-stream.ts";
import { ndjsonLine } from "../src/encoders/ndjson-encoder-stream.ts";
import { describeError, errorEvent } from "../src/encoders/to-response.ts";
import { eventSequence } from "./arbitraries.ts";
import { type Event, pulled, readAll, scriptedSource, textMessage } from "./helpers.ts";
import { concatBytes } from "./bytes.ts";

const decoder = new TextDecoder();
const RUNS = 120;
const SEED = 20261204;

/** The body's chunks and its text; `error` if it errored. */
async function body(response: Response): Promise<{ chunks: number; text: string; error: unknown }> {
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  } catch (error) {
    return { chunks: chunks.length, text: decoder.decode(concatBytes(chunks)), error };
  }
  return { chunks: chunks.length, text: decoder.decode(concatBytes(chunks)), error: undefined };
}

/** A message of `n` text deltas. */
function deltas(n: number): Event[] {
  return textMessage(...Array.from({ length: n }, (_, i) => `w${i} `));
}

/**
 * What a reader of `events` gets, one read per event (no merging), and how the stream ended: the
 * reference the body's bytes are checked against.
 */
async function eventsRead(events: readonly unknown[]): Promise<{ events: unknown[]; error: unknown }> {
  const reader = ChatModelStream.from(events as ProtocolEvent[]).events.getReader();
  const out: unknown[] = [];
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
  } catch (error) {
    return { events: out, error };
  }
  return { events: out, error: undefined };
}

/** The bytes the per-event encoders write for what was read, with the closing error event. */
function expected(read: { events: unknown[]; error: unknown }, frame: (position: number, event: unknown) => string): string {
  const events = [...read.events];
  const last = (events.at(-1) as { event?: unknown } | undefined)?.event;
  if (read.error !== undefined && last !== "error" && last !== "message-finish") events.push(errorEvent(read.error, describeError));
  return events.map((event, i) => frame(i, event)).join("");
}

describe("the hot frames' template", () => {
  const anyText = fc.string({ unit: "binary", maxLength: 40 });
  const hot = fc
    .record({
      index: fc.oneof(fc.nat(), fc.integer(), fc.constant(-0), fc.double({ noNaN: true, noDefaultInfinity: true })),
      kind: fc.constantFrom(["text-delta", "text"], ["reasoning-delta", "reasoning"], ["tool-call-delta", "args"], ["tool_call_chunk", "args"]),
      value: anyText,
    })
    .map(({ index, kind, value }) => ({ event: "content-block-delta", index, delta: { type: kind[0], [kind[1]!]: value } }));

  it("writes every hot delta as JSON.stringify does", () => {
    fc.assert(
      fc.property(hot, (event) => {
        expect(deltaJSON(event)).toBe(JSON.stringify(event));
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it("writes any other event as JSON.stringify does, or leaves it to JSON.stringify", () => {
    // Hot-looking events bent one way: keys reordered or added, a value of another type, a
    // prototype, a toJSON, a non-finite index.
    const bent = fc.tuple(hot, fc.nat(7), fc.anything()).map(([event, how, value]) => {
      const e: Record<string, unknown> = { ...event, delta: { ...event.delta } };
      const d = e["delta"] as Record<string, unknown>;
      switch (how) {
        case 0:
          return { delta: d, event: e["event"], index: e["index"] };
        case 1:
          return { ...e, extra: value };
        case 2:
          return { ...e, delta: { ...d, [Object.keys(d)[1]!]: value } };
        case 3:
          return { ...e, index: value };
        case 4:
          return { ...e, toJSON: () => value };
        case 5:
          return Object.assign(Object.create({ inherited: 1 }), e);
        case 6:
          return { ...e, delta: Object.assign(Object.create(null), d) };
        default:
          return { ...e, index: Infinity };
      }
    });
    fc.assert(
      fc.property(fc.oneof(bent, eventSequence.chain((events) => fc.constantFrom(...events, null))), (event) => {
        const json = deltaJSON(event);
        if (json !== undefined) expect(json).toBe(JSON.stringify(event));
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it("leaves SSE frames and NDJSON lines as the generic template writes them", () => {
    fc.assert(
      fc.property(eventSequence, (events) => {
        events.forEach((event, i) => {
          const name = String(event["event"]);
          if (/[\r\n]/.test(name)) return;
          expect(sseFrame(i + 1, event).frame).toBe(`id: ${i + 1}\nevent: ${name}\ndata: ${JSON.stringify(event)}\n\n`);
          expect(ndjsonLine(i, event).line).toBe(JSON.stringify(event) + "\n");
        });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("takes the template for the deltas the providers' readers make", () => {
    expect(deltaJSON({ event: "content-block-delta", index: 1, delta: { type: "text-delta", text: 'a"\n😀' } })).toBe(
      '{"event":"content-block-delta","index":1,"delta":{"type":"text-delta","text":"a\\"\\n😀"}}',
    );
    expect(deltaJSON({ event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "a", id: "x" } })).toBeUndefined();
  });
});

describe("toResponse writes what the per-event encoders write", () => {
  // A sync source gives the body many events per turn: they go out in few chunks, same bytes.
  it.each(["sse", "ndjson"] as const)("%s: for any event sequence", async (format) => {
    const frame = format === "sse" ? (i: number, e: unknown) => sseFrame(i + 1, e).frame : (i: number, e: unknown) => ndjsonLine(i, e).line;
    await fc.assert(
      fc.asyncProperty(eventSequence, async (events) => {
        const [read, written] = await Promise.all([eventsRead(events), body(toResponse(ChatModelStream.from(events as ProtocolEvent[]), { format }))]);
        expect({ text: written.text, error: written.error }).toEqual({ text: expected(read, frame), error: undefined });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("text: for any event sequence, the text read, or the error", async () => {
    await fc.assert(
      fc.asyncProperty(eventSequence, async (events) => {
        const reader = ChatModelStream.from(events as ProtocolEvent[]).text.getReader();
        let text = "";
        let error: unknown;
        try {
          for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
        } catch (e) {
          error = e;
        }
        const written = await body(toResponse(ChatModelStream.from(events as ProtocolEvent[]), { format: "text" }));
        // A lone surrogate becomes U+FFFD in UTF-8 either way.
        if (error === undefined) expect(written).toEqual({ chunks: written.chunks, text: decoder.decode(new TextEncoder().encode(text)), error: undefined });
        else expect(String(written.error)).toBe(String(error));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("sse: the same bytes as SSEEncoderStream, in far fewer chunks", async () => {
    const events = deltas(200);
    const [written, encoded] = await Promise.all([
      body(toResponse(ChatModelStream.from(events), { format: "sse" })),
      readAll(ChatModelStream.from(events).events.pipeThrough(new SSEEncoderStream())),
    ]);
    expect({ text: written.text, few: written.chunks <= 20 }).toEqual({ text: decoder.decode(concatBytes(encoded)), few: true });
    expect(encoded.length).toBe(events.length);
  });

  it("ndjson: the same bytes as NDJSONEncoderStream, in far fewer chunks", async () => {
    const events = deltas(200);
    const [written, encoded] = await Promise.all([
      body(toResponse(ChatModelStream.from(events), { format: "ndjson" })),
      readAll(ChatModelStream.from(events).events.pipeThrough(new NDJSONEncoderStream())),
    ]);
    expect({ text: written.text, few: written.chunks <= 20 }).toEqual({ text: decoder.decode(concatBytes(encoded)), few: true });
  });

  it.each(["ui-message-stream", "openai-chat", "anthropic", "ag-ui"] as const)("%s: the same bytes as FormatEncoderStream, in fewer chunks", async (format) => {
    const events = deltas(200);
    const [written, encoded] = await Promise.all([
      body(toResponse(ChatModelStream.from(events, { messageId: "m" }), { format })),
      readAll(ChatModelStream.from(events, { messageId: "m" }).events.pipeThrough(new FormatEncoderStream(format))),
    ]);
    // Each writer names its message and stamps its time: the same bytes but for those.
    const plain = (text: string): string => text.replace(/[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/g, "<id>").replace(/"(created|timestamp)":\d+/g, '"$1":0');
    expect({ text: plain(written.text), few: written.chunks <= 20 }).toEqual({ text: plain(decoder.decode(concatBytes(encoded))), few: true });
  });

  it("sse: one network chunk of provider bytes makes one chunk of body", async () => {
    const sse = (await body(toResponse(ChatModelStream.from(deltas(50)), { format: "sse" }))).text;
    // The whole transcript in one network chunk: one turn, so one chunk (a body chunk holds up to 32K characters).
    const oneChunk = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(sse));
        controller.close();
      },
    });
    const client = fromResponse(new Response(oneChunk, { headers: { "content-type": "text/event-stream" } }));
    const relayed = await body(toResponse(client, { format: "sse" }));
    expect({ chunks: relayed.chunks, same: relayed.text === sse }).toEqual({ chunks: 1, same: true });
  });

  it("writes each event as its own chunk when each comes in a turn of its own", async () => {
    const events = deltas(5);
    const written = await body(toResponse(pulled(events), { format: "sse" }));
    expect(written.chunks).toBe(events.length);
  });

  it("text: deltas from an async generator, which answers in microtasks, share chunks", async () => {
    async function* generate(): AsyncGenerator<Event> {
      for (const event of deltas(100)) yield event;
    }
    const written = await body(toResponse(ChatModelStream.from(generate()), { format: "text" }));
    expect({ few: written.chunks <= 10, text: written.text }).toEqual({ few: true, text: Array.from({ length: 100 }, (_, i) => `w${i} `).join("") });
  });

  it("sse: events that come in turns of their own (I/O between them) go out at once, each its own chunk", async () => {
    const events = deltas(3);
    const source = scriptedSource(events, { gapMs: 2 });
    const written = await body(toResponse(ChatModelStream.from(source.readable), { format: "sse" }));
    expect(written.chunks).toBe(events.length);
  });

  it("text: what one turn makes is one chunk", async () => {
    const written = await body(toResponse(ChatModelStream.from(deltas(100)), { format: "text" }));
    expect({ few: written.chunks <= 10, text: written.text }).toEqual({ few: true, text: Array.from({ length: 100 }, (_, i) => `w${i} `).join("") });
  });
});

describe("the body's reader of the stream", () => {
  it("writes nothing after a cancel that comes in the same turn as an event", async () => {
    const stream = new ChatModelStream();
    const reader = toResponse(stream, { format: "sse" }).body!.getReader();
    const first = reader.read();
    await stream.ready; // the body waits for an event
    stream.dispatch(textMessage("a")[0]!); // reaches the waiting body, which writes a microtask later
    const cancelled = reader.cancel("client left");
    expect(await first).toEqual({ done: true, value: undefined });
    await cancelled;
    // The body was the only reader: the stream was closed.
    await expect(stream.output).rejects.toMatchObject({ code: "aborted" });
  });

  it("refuses a bad event mid-turn: the frames before it, then the error event, and the source is cancelled", async () => {
    const source = scriptedSource([textMessage("a")[0], { event: "bad\nname" }, ...textMessage("b").slice(1)]);
    const written = await body(toResponse(ChatModelStream.from(source.readable), { format: "sse" }));
    const names = [...written.text.matchAll(/^event: (.*)$/gm)].map((m) => m[1]);
    expect({ names, cancels: source.cancels }).toEqual({ names: ["message-start", "error"], cancels: 1 });
  });

  it("another reader keeps the model going after the body is cancelled", async () => {
    const stream = ChatModelStream.from(deltas(40));
    const reader = toResponse(stream, { format: "sse" }).body!.getReader();
    const text = stream.text; // a second reader
    const reading = readAll(text);
    await reader.read();
    await reader.cancel("client left");
    expect((await reading).join("")).toBe(Array.from({ length: 40 }, (_, i) => `w${i} `).join(""));
  });
});
