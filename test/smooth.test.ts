// smooth(): text and reasoning re-chunked and paced; every other event at once and in order.
// Time is vitest's fake clock, so each pause is exact and no test sleeps.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChatModelStream } from "../src/chat-model-stream.ts";
import { toResponse } from "../src/encoders/to-response.ts";
import type { ProtocolEvent } from "../src/protocol.ts";
import { smooth, type SmoothOptions } from "../src/smooth.ts";
import { pulled, scriptedSource, textMessage } from "./helpers.ts";

const start: ProtocolEvent = { event: "message-start" };
const text = (t: string, index = 0): ProtocolEvent => ({ event: "content-block-delta", index, delta: { type: "text-delta", text: t } });
const reasoning = (r: string, index = 0): ProtocolEvent => ({ event: "content-block-delta", index, delta: { type: "reasoning-delta", reasoning: r } });
const finishText = (t: string, index = 0): ProtocolEvent => ({ event: "content-block-finish", index, content: { type: "text", text: t } });
const toolSlice: ProtocolEvent = { event: "content-block-delta", index: 1, delta: { type: "tool_call_chunk", id: "c1", name: "f", args: "{" } };
const finish: ProtocolEvent = { event: "message-finish", reason: "stop" };

/** What left the transform so far: text and reasoning as their pieces, other events by name. */
function shown(events: readonly ProtocolEvent[]): string[] {
  return events.map((e) => {
    if (e.event !== "content-block-delta") return `<${e.event}>`;
    const d = e.delta as { type: string; text?: string; reasoning?: string };
    return d.type === "text-delta" ? d.text! : d.type === "reasoning-delta" ? `r:${d.reasoning!}` : `<${d.type}>`;
  });
}

/** A smooth() with a reader that reads all the time, and a writer. */
function harness(options?: SmoothOptions) {
  const transform = smooth(options);
  const writer = transform.writable.getWriter();
  const reader = transform.readable.getReader();
  const out: ProtocolEvent[] = [];
  let error: unknown;
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        out.push(value);
      }
    } catch (caught) {
      error = caught;
    }
  })();
  return {
    out,
    reader,
    reading,
    error: () => error,
    write: (...events: ProtocolEvent[]) => {
      for (const e of events) writer.write(e).catch(() => {});
    },
    close: () => writer.close().catch(() => {}),
  };
}

/** Advances the fake clock, running what it makes due and the promises that follow. */
const at = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("smooth: pacing by word", () => {
  it("sends the first word at once and each next one after a 10 ms pause; a partial word waits", async () => {
    const h = harness();
    h.write(start, text("Hello big world, how are"));
    await at(0);
    expect(shown(h.out)).toEqual(["<message-start>", "Hello "]);
    await at(10);
    expect(shown(h.out).slice(1)).toEqual(["Hello ", "big "]);
    await at(20);
    expect(shown(h.out).slice(1)).toEqual(["Hello ", "big ", "world, ", "how "]);
    await at(1000);
    expect(shown(h.out).slice(1)).toEqual(["Hello ", "big ", "world, ", "how "]);
    expect(vi.getTimerCount()).toBe(0); // no deadline for a partial word without maxDelayMs
  });

  it("text arriving during a pause waits for it: the rate holds across deltas", async () => {
    const h = harness({ delayMs: 20 });
    h.write(text("one "));
    await at(0);
    h.write(text("two "), text("three "));
    await at(0);
    expect(shown(h.out)).toEqual(["one "]);
    await at(20);
    expect(shown(h.out)).toEqual(["one ", "two "]);
    await at(20);
    expect(shown(h.out)).toEqual(["one ", "two ", "three "]);
  });

  it("reasoning is smoothed as text is", async () => {
    const h = harness();
    h.write(reasoning("think about it"));
    await at(100);
    expect(shown(h.out)).toEqual(["r:think ", "r:about "]);
  });

  it("delayMs 0 (or null) sends every whole word at once", async () => {
    for (const delayMs of [0, null]) {
      const h = harness({ delayMs });
      h.write(text("a b c d"));
      await at(0);
      expect(shown(h.out)).toEqual(["a ", "b ", "c "]);
    }
  });
});

describe("smooth: other events are never delayed or reordered", () => {
  it("a tool-call delta goes right after the text before it, which is sent whole at once", async () => {
    const h = harness();
    h.write(text("a b c d e f"));
    await at(0);
    h.write(toolSlice);
    await at(0);
    expect(shown(h.out)).toEqual(["a ", "b c d e f", "<tool_call_chunk>"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a block's finish sends its text at once, then itself; the message's finish follows", async () => {
    const h = harness();
    h.write(start, text("Hello wor"), finishText("Hello wor"), finish);
    await at(0);
    expect(shown(h.out)).toEqual(["<message-start>", "Hello ", "wor", "<content-block-finish>", "<message-finish>"]);
  });

  it("text of another block sends the buffered text of the first one first", async () => {
    const h = harness();
    h.write(text("Hel", 0), text("Other block ", 1));
    await at(0);
    expect(h.out.map((e) => (e as { index: number }).index)).toEqual([0, 1]);
    expect(shown(h.out)).toEqual(["Hel", "Other "]);
  });

  it("closing the writable side sends what is buffered and leaves no timer", async () => {
    const h = harness();
    h.write(text("a b c"));
    await at(0);
    h.close();
    await h.reading;
    expect(shown(h.out)).toEqual(["a ", "b c"]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("smooth: maxDelayMs caps the latency it adds", () => {
  it("text that has waited maxDelayMs goes out at once, all of it", async () => {
    const h = harness({ delayMs: 10, maxDelayMs: 25 });
    h.write(text("w0 w1 w2 w3 w4 w5 w6 "));
    await at(0);
    await at(10);
    await at(10);
    expect(shown(h.out)).toEqual(["w0 ", "w1 ", "w2 "]);
    await at(10);
    expect(shown(h.out)).toEqual(["w0 ", "w1 ", "w2 ", "w3 w4 w5 w6 "]);
  });

  it("is measured from when the text arrived: a late delta gets its own allowance", async () => {
    const h = harness({ delayMs: 10, maxDelayMs: 15 });
    h.write(text("a "));
    await at(100);
    h.write(text("b c d "));
    await at(0);
    await at(10);
    expect(shown(h.out)).toEqual(["a ", "b ", "c "]);
    await at(10);
    expect(shown(h.out)).toEqual(["a ", "b ", "c ", "d "]);
  });

  it("a partial word that waits maxDelayMs goes out alone", async () => {
    const h = harness({ maxDelayMs: 50 });
    h.write(text("Hel"));
    await at(49);
    expect(shown(h.out)).toEqual([]);
    await at(1);
    expect(shown(h.out)).toEqual(["Hel"]);
    h.write(text("lo there "));
    await at(0);
    expect(shown(h.out)).toEqual(["Hel", "lo "]);
  });
});

describe("smooth: chunking", () => {
  it("by line", async () => {
    const h = harness({ chunking: "line", delayMs: 0 });
    h.write(text("one\ntwo\n\nthr"), finishText(""));
    await at(0);
    expect(shown(h.out)).toEqual(["one\n", "two\n\n", "thr", "<content-block-finish>"]);
  });

  it("by an Intl.Segmenter of words: words and the spaces between them, the last held", async () => {
    const h = harness({ chunking: new Intl.Segmenter("en", { granularity: "word" }), delayMs: 0 });
    h.write(text("Hello, world"));
    await at(0);
    expect(shown(h.out)).toEqual(["Hello", ",", " "]);
  });

  it("by graphemes: a skin-toned emoji is one chunk", async () => {
    const h = harness({ chunking: new Intl.Segmenter("en", { granularity: "grapheme" }), delayMs: 0 });
    h.write(text("a👋🏽b"));
    await at(0);
    expect(shown(h.out)).toEqual(["a", "👋🏽"]);
  });

  it("by a RegExp, or a function returning a prefix", async () => {
    const h = harness({ chunking: /[.!?]\s*/g, delayMs: 0 });
    h.write(text("Hi. Bye! Now"));
    await at(0);
    expect(shown(h.out)).toEqual(["Hi. ", "Bye! "]);
    const f = harness({ chunking: (b) => (b.length >= 2 ? b.slice(0, 2) : null), delayMs: 0 });
    f.write(text("abcde"));
    await at(0);
    expect(shown(f.out)).toEqual(["ab", "cd"]);
  });

  it("a chunking function that returns something other than a prefix errors the stream", async () => {
    const h = harness({ chunking: () => "nope", delayMs: 0 });
    h.write(text("abc"));
    await h.reading;
    expect(h.error()).toBeInstanceOf(TypeError);
  });

  it("rejects a bad option at once", () => {
    expect(() => smooth({ delayMs: -1 })).toThrow(RangeError);
    expect(() => smooth({ maxDelayMs: Number.NaN })).toThrow(RangeError);
    expect(() => smooth({ chunking: "sentence" as "word" })).toThrow(TypeError);
  });
});

describe("smooth: each block's text reaches readers unchanged, surrogate pairs whole", () => {
  const pieces = ["Hé", "llo 👋", "🏽 wo", "rld\n", "\uD83D", "\uDE00 ok", " 𝄞𝄞 ", "end"];

  for (const [name, chunking] of [
    ["word", "word"],
    ["line", "line"],
    ["one code unit", /[^]/],
    ["graphemes", new Intl.Segmenter("en", { granularity: "grapheme" })],
  ] as const) {
    it(`by ${name}, with and without maxDelayMs`, async () => {
      for (const maxDelayMs of [Infinity, 5]) {
        const h = harness({ chunking, delayMs: 3, maxDelayMs });
        for (const p of pieces) {
          h.write(text(p));
          await at(2);
        }
        h.write(finishText(pieces.join("")));
        h.close();
        await vi.runAllTimersAsync();
        await h.reading;
        const chunks = shown(h.out).slice(0, -1);
        expect(chunks.join("")).toBe(pieces.join(""));
        for (const c of chunks) {
          expect(/^[\uDC00-\uDFFF]/.test(c) || /[\uD800-\uDBFF]$/.test(c)).toBe(false);
        }
      }
    });
  }

  it("a pair's first half that has waited maxDelayMs waits on for its second", async () => {
    const h = harness({ maxDelayMs: 5 });
    h.write(text("ab\uD83D"));
    await at(50);
    expect(shown(h.out)).toEqual(["ab"]);
    h.write(text("\uDE00 "));
    await at(0);
    expect(shown(h.out)).toEqual(["ab", "😀 "]);
  });
});

describe("smooth: cancel and abort stop the timers", () => {
  it("cancelling the readable side in a pause leaves no timer and sends nothing more", async () => {
    const h = harness({ maxDelayMs: 1000 });
    h.write(text("a b c d e"));
    await at(0);
    expect(vi.getTimerCount()).toBe(1);
    await h.reader.cancel("gone");
    expect(vi.getTimerCount()).toBe(0);
    expect(shown(h.out)).toEqual(["a "]);
  });

  it("cancelling while a partial word waits for its deadline leaves no timer", async () => {
    const h = harness({ maxDelayMs: 1000 });
    h.write(text("partial"));
    await at(0);
    expect(vi.getTimerCount()).toBe(1);
    await h.reader.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborting the signal stops the timers and errors the stream with its reason", async () => {
    const controller = new AbortController();
    const h = harness({ signal: controller.signal });
    h.write(text("a b c d e"));
    await at(0);
    const reason = new Error("stop");
    controller.abort(reason);
    await h.reading;
    expect(h.error()).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(shown(h.out)).toEqual(["a "]);
  });

  it("an already aborted signal errors the stream before anything is sent", async () => {
    const h = harness({ signal: AbortSignal.abort() });
    h.write(text("a b"));
    await h.reading;
    expect((h.error() as DOMException).name).toBe("AbortError");
    expect(h.out).toEqual([]);
  });
});

describe("smooth in front of a ChatModelStream", () => {
  it("the message folds to the same output as without it", async () => {
    const events: ProtocolEvent[] = [
      start,
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
      reasoning("Think twice, ", 0),
      reasoning("answer once.", 0),
      { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Think twice, answer once." } },
      { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
      text("The answer ", 1),
      text("is 42 👋.", 1),
      finishText("The answer is 42 👋.", 1),
      finish,
    ];
    const plain = await ChatModelStream.from(events).output;
    let i = 0;
    const source = new ReadableStream<ProtocolEvent>({ pull: (c) => (i < events.length ? c.enqueue(events[i++]!) : c.close()) });
    const smoothed = ChatModelStream.from(source.pipeThrough(smooth()));
    const output = smoothed.output;
    await vi.runAllTimersAsync();
    expect(await output).toEqual(plain);
  });
});

describe("a run with no chunk boundary", () => {
  it("goes out in chunks of at most 1024 characters, all of it, not held without bound", async () => {
    const h = harness({ delayMs: 0 });
    const run = "A".repeat(1000);
    h.write(start, ...Array.from({ length: 40 }, () => text(run)));
    await at(0);
    const sent = shown(h.out).filter((s) => !s.startsWith("<"));
    expect(sent.every((piece) => piece.length <= 1024)).toBe(true);
    expect(sent.join("").length).toBeGreaterThanOrEqual(40_000 - 1024);
    expect(run.repeat(40).startsWith(sent.join(""))).toBe(true);
  });
});

describe("toResponse's smooth option", () => {
  beforeEach(() => {
    vi.useRealTimers(); // a whole body, end to end
  });

  it("paces the text word by word in the body, the same text, other events untouched", async () => {
    const source = pulled(textMessage("Hello wide", " world, here", " we go"));
    const text = await toResponse(source, { format: "ndjson", smooth: { delayMs: 0 } }).text();
    const events = text.trim().split("\n").map((line) => JSON.parse(line) as { event: string; delta?: { text?: string } });
    const deltas = events.filter((e) => e.event === "content-block-delta").map((e) => e.delta?.text);
    expect(deltas.join("")).toBe("Hello wide world, here we go");
    expect(deltas.length).toBeGreaterThan(3);
    expect(events.map((e) => e.event).filter((n) => n !== "content-block-delta")).toEqual(["message-start", "content-block-start", "message-finish"]);
  });

  it("Stop still ends the body with the aborted error event and cancels the model call", async () => {
    const source = scriptedSource(textMessage("one two ", "three"), { holdAt: 3 });
    const stream = ChatModelStream.from(source.readable);
    const body = toResponse(stream, { format: "ndjson", smooth: true }).text();
    await source.held;
    await stream.cancel();
    const last = JSON.parse((await body).trim().split("\n").at(-1)!) as { event: string; code?: string };
    expect([last.event, last.code, source.cancels]).toEqual(["error", "aborted", 1]);
  });
});
