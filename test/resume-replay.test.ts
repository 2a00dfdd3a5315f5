// resumeResponse's replay against the events it stands for: what a client folds from a replay (from
// the start, after any stored id, after a cut at any byte) is what it would have folded from the
// generation itself, over the recorded provider streams and a generated answer; and a replay costs
// one frame per run of deltas plus the closing frames, whatever the number of rows.
import { describe, expect, it } from "vitest";
import {
  ChatModelStream,
  fromResponse,
  MemoryLogStore,
  persist,
  resumeResponse,
  type ProtocolEvent,
  type StreamLog,
} from "../src/index.ts";
import { readAll, readUntilError } from "./helpers.ts";
import { openRecording, providerOf, recordedAdapters, recordedNames } from "./recorded.ts";

const store = new MemoryLogStore();
let n = 0;
const utf8 = new TextEncoder();

/** An SSE message of a replay: its id, event name and event. */
interface Frame {
  id: string;
  event: string;
  data: ProtocolEvent;
  /** The frame's bytes. */
  bytes: number;
}

/** The complete messages of an SSE text (a message is complete at its blank line). */
function framesOf(text: string): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf("\n\n", at);
    if (end === -1) return frames;
    const block = text.slice(at, end);
    const bytes = utf8.encode(text.slice(at, end + 2)).length;
    at = end + 2;
    if (block.startsWith(":")) continue;
    const fields = new Map(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)] as const));
    frames.push({ id: fields.get("id")!, event: fields.get("event")!, data: JSON.parse(fields.get("data")!) as ProtocolEvent, bytes });
  }
}

function request(lastEventId?: string): Request {
  return new Request("http://replay.test/", lastEventId === undefined ? {} : { headers: { "last-event-id": lastEventId } });
}

async function replay(log: StreamLog, lastEventId?: string): Promise<Frame[]> {
  return framesOf(await (await resumeResponse(log, request(lastEventId))).text());
}

function compareIds(a: string, b: string): number {
  const [a1, a2] = a.split(".").map(Number) as [number, number];
  const [b1, b2] = b.split(".").map(Number) as [number, number];
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/** A value or how it failed (message, code, partial message), to compare. */
async function settled(value: PromiseLike<unknown>): Promise<unknown> {
  try {
    return { value: await value };
  } catch (caught) {
    const error = caught as Error & { code?: unknown; partial?: unknown };
    return { error: { message: error.message, code: error.code, partial: error.partial } };
  }
}

/** What a consumer of a stream ends with: the message and the final value of each projection. */
async function folded(stream: ChatModelStream): Promise<unknown> {
  const [output, text, reasoning, toolCalls, usage] = await Promise.all([
    settled(stream.output),
    settled(stream.text),
    settled(stream.reasoning),
    settled(stream.toolCalls),
    settled(stream.usage),
  ]);
  return { output, text, reasoning, toolCalls, usage };
}

function foldOf(events: readonly ProtocolEvent[]): Promise<unknown> {
  return folded(ChatModelStream.from(events));
}

/** The text and reasoning deltas joined, per block and kind: what a reader of the deltas sees. */
function deltasOf(events: readonly ProtocolEvent[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) {
    if (e.event !== "content-block-delta") continue;
    const d = e.delta as unknown as Record<string, unknown>;
    const grown = d["text"] ?? d["reasoning"] ?? d["args"] ?? d["data"];
    const key = `${e.index}:${String(d["type"])}`;
    out[key] = (out[key] ?? "") + (typeof grown === "string" ? grown : JSON.stringify(d));
  }
  return out;
}

/** The events other than deltas, a usage snapshot right before a finish without usage folded into it. */
function othersOf(events: readonly ProtocolEvent[]): ProtocolEvent[] {
  const out: ProtocolEvent[] = [];
  for (const e of events) {
    if (e.event === "content-block-delta") continue;
    const last = out.at(-1);
    if (e.event === "message-finish" && e.usage === undefined && last?.event === "usage") out[out.length - 1] = { ...e, usage: last.usage };
    else out.push(e);
  }
  return out;
}

/** The stored events with their ids. */
async function storedOf(log: StreamLog): Promise<{ id: string; event: ProtocolEvent }[]> {
  const rows = await readAll(log.read(0));
  return rows.flatMap((row) => row.events.map((event, k) => ({ id: `${row.seq}.${k}`, event })));
}

/** Ids only grow within a replay, and each frame's id is that of an event the log holds. */
function expectIds(frames: readonly Frame[], stored: ReadonlySet<string>, after = ""): void {
  let last = after;
  for (const f of frames) {
    expect(stored.has(f.id), f.id).toBe(true);
    if (last !== "") expect(compareIds(f.id, last), `${f.id} after ${last}`).toBeGreaterThan(0);
    last = f.id;
  }
}

describe("resumeResponse replays the recorded provider streams as they folded", () => {
  it("has recordings of every provider", () => {
    expect(new Set(recordedNames.map(providerOf))).toEqual(new Set(Object.keys(recordedAdapters)));
  });

  for (const name of recordedNames) {
    it(`${name}: from the start and after every stored id, the replay folds to the same message and projections`, async () => {
      const direct = await folded(openRecording(name));
      // Small rows (a flush every 64 bytes), so that the replay merges across many of them.
      const log = store.log(`rec${++n}`);
      await persist(openRecording(name), log, { flushBytes: 64 }).catch(() => undefined);
      const stored = await storedOf(log);
      const ids = new Set(stored.map((s) => s.id));
      const whole = await replay(log);
      expectIds(whole, ids);
      expect(await folded(fromResponse(await resumeResponse(log, request()))), "fromResponse of the replay").toEqual(direct);
      const events = whole.map((f) => f.data);
      expect(await foldOf(events), "the replay's events").toEqual(direct);
      // What readers of the format see: the same deltas, joined, and the same other events (a usage
      // snapshot right before the finish travels as the finish's usage).
      const all = stored.map((s) => s.event);
      expect(deltasOf(events)).toEqual(deltasOf(all));
      expect(othersOf(events)).toEqual(othersOf(all));
      for (const [i, { id }] of stored.entries()) {
        const rest = await replay(log, id);
        expectIds(rest, ids, id);
        const resumed = [...all.slice(0, i + 1), ...rest.map((f) => f.data)];
        expect(await foldOf(resumed), `after ${id}`).toEqual(direct);
        expect(deltasOf(resumed), `after ${id}`).toEqual(deltasOf(all));
      }
    }, 60_000);
  }
});

/** A generated answer: reasoning, text in many deltas, a usage snapshot mid-answer, a tool call, usage then finish. */
function answer(deltas: number): ProtocolEvent[] {
  const pieces = ["Grüß ", "dich", " 👋", "\n", '"q" ', "\\", "日本", "\u2028", "x"];
  const events: ProtocolEvent[] = [
    { event: "message-start", id: "m", metadata: { model_provider: "test", model_name: "replay" } },
    { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
    { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "think " } },
    { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "hard" } },
    { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "think hard" } },
    { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  ];
  let text = "";
  for (let i = 0; i < deltas; i++) {
    const piece = pieces[i % pieces.length]!;
    text += piece;
    events.push({ event: "content-block-delta", index: 1, delta: { type: "text-delta", text: piece } });
    if (i === Math.floor(deltas / 3)) events.push({ event: "usage", usage: { input_tokens: 7, output_tokens: i, total_tokens: 7 + i } });
  }
  events.push({ event: "content-block-finish", index: 1, content: { type: "text", text } });
  events.push({ event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "c1", name: "search", args: "" } });
  for (const args of ['{"q":', '"Köln', '"}']) events.push({ event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args } });
  events.push({ event: "usage", usage: { input_tokens: 7, output_tokens: deltas, total_tokens: 7 + deltas } });
  events.push({ event: "message-finish", reason: "tool_calls" });
  return events;
}

/** `events` stored `perRow` to a row, as a slowly written answer is. */
async function rowsOf(events: readonly ProtocolEvent[], perRow: number): Promise<StreamLog> {
  const log = store.log(`gen${++n}`);
  await log.open();
  let seq = 0;
  for (let i = 0; i < events.length; i += perRow) await log.append({ seq: ++seq, events: events.slice(i, i + perRow) });
  await log.close(await ChatModelStream.from(events).output);
  return log;
}

describe("resumeResponse: a replay cut at any byte resumes exactly", () => {
  it("fromResponse with reconnect, its first body cut at every byte: the same message and projections, each reconnect after the last whole event", async () => {
    const events = answer(40);
    const direct = await foldOf(events);
    const log = await rowsOf(events, 3);
    const stored = await storedOf(log);
    const ids = new Set(stored.map((s) => s.id));
    for (const from of [undefined, "9.1"]) {
      const after = stored.slice(from === undefined ? 0 : stored.findIndex((s) => s.id === from) + 1).map((s) => s.event);
      const body = utf8.encode(await (await resumeResponse(log, request(from))).text());
      for (let cut = 0; cut < body.length; cut++) {
        const head = body.subarray(0, cut);
        const before = framesOf(new TextDecoder().decode(head));
        const asked: string[] = [];
        const first = new ReadableStream<Uint8Array>({
          start(controller) {
            if (head.length > 0) controller.enqueue(head.slice());
          },
          pull(controller) {
            controller.error(new TypeError("network error (cut)"));
          },
        });
        const stream = fromResponse(new Response(first, { headers: { "content-type": "text/event-stream" } }), {
          reconnect: {
            delayMs: 0,
            fetch: (id) => {
              asked.push(id);
              return resumeResponse(log, request(id === "" ? from : id));
            },
          },
        });
        const [got, { chunks }] = await Promise.all([folded(stream), readUntilError(stream.events)]);
        if (from === undefined) expect(got, `cut at ${cut}`).toEqual(direct);
        // The same deltas, none twice or missing, and the same other events.
        expect(deltasOf(chunks), `cut at ${cut}`).toEqual(deltasOf(after));
        expect(othersOf(chunks), `cut at ${cut}`).toEqual(othersOf(after));
        // It asked once, after the last event it had whole.
        expect(asked, `cut at ${cut}`).toEqual([before.at(-1)?.id ?? ""]);
        if (before.length > 0) {
          const rest = await replay(log, before.at(-1)!.id);
          expectIds([...before, ...rest], ids);
        }
      }
    }
  }, 120_000);
});

describe("resumeResponse: what a replay costs", () => {
  it("a resume from the middle of a slowly written 1,000-delta answer (335 rows) is one merged delta, the block's finish, and the finish with its usage", async () => {
    const words = ["The ", "quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".", " Grüße", " 👋", "\n"];
    let text = "";
    const deltas: ProtocolEvent[] = [];
    for (let i = 0; i < 1000; i++) {
      const word = words[(i * 7) % words.length]!;
      text += word;
      deltas.push({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text: word } });
    }
    const log = store.log(`bench${++n}`);
    await log.open();
    const rows: ProtocolEvent[][] = [[{ event: "message-start", id: "m1" }, { event: "content-block-start", index: 0, content: { type: "text", text: "" } }]];
    for (let i = 0; i < 1000; i += 3) rows.push(deltas.slice(i, i + 3));
    // The block's finish repeats none of the text (persist stores it so), then usage and the finish.
    rows.at(-1)!.push({ event: "content-block-finish", index: 0, content: { type: "text", text: "" } });
    rows.push([{ event: "usage", usage: { input_tokens: 20, output_tokens: 1000, total_tokens: 1020 } }, { event: "message-finish", reason: "stop" }]);
    for (const [i, events] of rows.entries()) await log.append({ seq: i + 1, events });
    await log.close(await ChatModelStream.from(rows.flat()).output);

    // After the delta holding the middle character's row: row 168's last delta.
    const middle = "168.2";
    const frames = await replay(log, middle);
    expect(frames.map((f) => `${f.id} ${f.event}`)).toEqual(["335.0 content-block-delta", "335.1 content-block-finish", "336.1 message-finish"]);
    expect(frames[2]!.data).toEqual({ event: "message-finish", reason: "stop", usage: { input_tokens: 20, output_tokens: 1000, total_tokens: 1020 } });
    const remaining = deltas.slice(3 * (168 - 2) + 3).map((e) => (e.event === "content-block-delta" && e.delta.type === "text-delta" ? e.delta.text : "")).join("");
    expect((frames[0]!.data as { delta: { text: string } }).delta.text).toBe(remaining);
    // The text as JSON (its escapes included), and the fixed frames around it: 125 bytes of the
    // delta's frame, 124 of the block's finish, 152 of the finish with usage.
    const body = frames.reduce((sum, f) => sum + f.bytes, 0);
    const textJSON = utf8.encode(JSON.stringify(remaining)).length - 2;
    expect(body - textJSON).toBeLessThanOrEqual(125 + 124 + 152);
    expect(body / utf8.encode(remaining).length).toBeLessThan(1.2);
  });

  it("a usage snapshot right before the finish goes out as the finish's usage, with the finish's id; a resume after the snapshot gets the finish alone", async () => {
    const events = answer(6);
    const log = await rowsOf(events, 2);
    const stored = await storedOf(log);
    const frames = await replay(log);
    const usageId = stored.find((s, i) => s.event.event === "usage" && stored[i + 1]?.event.event === "message-finish")!.id;
    const finishId = stored.at(-1)!.id;
    expect(frames.at(-1)).toMatchObject({ id: finishId, data: { event: "message-finish", reason: "tool_calls", usage: { input_tokens: 7, output_tokens: 6, total_tokens: 13 } } });
    // The snapshot mid-answer keeps its place and its own frame.
    expect(frames.filter((f) => f.event === "usage").map((f) => f.data)).toEqual([{ event: "usage", usage: { input_tokens: 7, output_tokens: 2, total_tokens: 9 } }]);
    expect((await replay(log, usageId)).map((f) => f.data)).toEqual([{ event: "message-finish", reason: "tool_calls" }]);
    const beforeUsage = stored.at(-3)!.id;
    expect((await replay(log, beforeUsage)).map((f) => f.event)).toEqual(["message-finish"]);
  });

  it("a usage snapshot is kept as its own event when something comes between it and the finish, when the finish has usage, or when its counts are not numbers", async () => {
    const base: ProtocolEvent[] = [
      { event: "message-start" },
      { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "hi" } },
    ];
    const usage: ProtocolEvent = { event: "usage", usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } };
    const provider: ProtocolEvent = { event: "provider", provider: "p", name: "n", payload: {} };
    const cases: ProtocolEvent[][] = [
      [...base, usage, provider, { event: "message-finish" }],
      [...base, usage, { event: "message-finish", usage: { input_tokens: 1, output_tokens: 3, total_tokens: 4 } }],
      [...base, { event: "usage", usage: { input_tokens: "1" } } as unknown as ProtocolEvent, { event: "message-finish" }],
    ];
    for (const events of cases) {
      const log = store.log(`keep${++n}`);
      await log.open();
      await log.append({ seq: 1, events });
      await log.close(await ChatModelStream.from(base).output);
      const frames = await replay(log);
      expect(frames.map((f) => f.data)).toEqual(events);
      expect(frames.map((f) => f.id)).toEqual(events.map((_, k) => `1.${k}`));
    }
  });

  it("live, a snapshot in one row and the finish in the next go out as written", async () => {
    const log = store.log(`live${++n}`);
    await log.open();
    const reader = (await resumeResponse(log, request(), { heartbeatMs: 0 })).body!.getReader();
    const decoder = new TextDecoder();
    const rows: ProtocolEvent[][] = [
      [{ event: "message-start" }, { event: "usage", usage: { input_tokens: 1, output_tokens: 0, total_tokens: 1 } }],
      [{ event: "message-finish", reason: "stop" }],
    ];
    const got: Frame[] = [];
    for (const [i, events] of rows.entries()) {
      const next = reader.read();
      await log.append({ seq: i + 1, events });
      got.push(...framesOf(decoder.decode((await next).value)));
    }
    expect(got.map((f) => [f.id, f.data])).toEqual([
      ["1.0", rows[0]![0]],
      ["1.1", rows[0]![1]],
      ["2.0", rows[1]![0]],
    ]);
    await reader.cancel();
  });
});
