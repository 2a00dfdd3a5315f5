// A seeded fault fuzz over a StreamLog engine: a producer runs a generated answer into the log through
// `persist`; viewers read it through `resumeResponse`, their bodies cut at random byte offsets (a
// network error or a clean end), reconnecting through `fromResponse`'s `reconnect`. Every case checks
// that each viewer saw exactly the stored events (no gap, no duplicate, so its text is the final
// text), that the ids it was sent only grew and each reconnect asked for the last one it read, and
// that nothing is left waiting on the log at the end. Web-standard APIs only: runs in Node and workerd.
import { ChatModelStream, fromResponse } from "../src/index.ts";
import { persist } from "../src/log/persist.ts";
import { resumeResponse } from "../src/log/resume-response.ts";
import type { StreamLog } from "../src/log/stream-log.ts";
import type { ProtocolEvent } from "../src/protocol.ts";
import { readUntilError } from "./helpers.ts";

export interface LogFuzzOptions {
  /** How many cases; case `i` uses seed `seed + i`. */
  cases: number;
  /** @default 1 */
  seed?: number;
  /** How many live reads of log `id` the engine still holds (checked to be 0 at the end of each case). */
  heldReads?: (id: string) => number | Promise<number>;
  /** A prefix for the log ids. */
  idPrefix?: string;
  /**
   * Answers a viewer's request for log `id` (default: `resumeResponse(log, request)` here): an
   * engine whose viewers are answered elsewhere (a Durable Object's own fetch) passes its own.
   */
  respond?: (id: string, log: StreamLog, request: Request) => Response | Promise<Response>;
}

export interface LogFuzzReport {
  cases: number;
  viewers: number;
  /** Connections cut (reconnects made). */
  cuts: number;
  rows: number;
  /** Cases the producer was stopped mid-answer. */
  stopped: number;
}

/** mulberry32: small, fast, and the same in every runtime. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ["a", "b ", "Grüß ", "dich", " 👋", "\n", "日本", "é", '"q"', "\\", "😀😀", "x".repeat(40), "\u2028"];

/** A generated answer: maybe reasoning, text in many deltas, maybe a tool call; always finished. */
function answer(rnd: () => number): ProtocolEvent[] {
  const events: ProtocolEvent[] = [{ event: "message-start", id: "m", metadata: { model_provider: "fuzz" } }];
  let index = 0;
  const pick = (): string => PIECES[Math.floor(rnd() * PIECES.length)]!;
  if (rnd() < 0.4) {
    events.push({ event: "content-block-start", index, content: { type: "reasoning", reasoning: "" } });
    let reasoning = "";
    for (let i = Math.floor(rnd() * 20); i >= 0; i--) {
      const r = pick();
      reasoning += r;
      events.push({ event: "content-block-delta", index, delta: { type: "reasoning-delta", reasoning: r } });
    }
    events.push({ event: "content-block-finish", index, content: { type: "reasoning", reasoning } });
    index++;
  }
  events.push({ event: "content-block-start", index, content: { type: "text", text: "" } });
  let text = "";
  for (let i = 1 + Math.floor(rnd() * (rnd() < 0.1 ? 1000 : 80)); i > 0; i--) {
    const t = pick();
    text += t;
    events.push({ event: "content-block-delta", index, delta: { type: "text-delta", text: t } });
    if (rnd() < 0.03) events.push({ event: "usage", usage: { input_tokens: 3, output_tokens: i, total_tokens: 3 + i } });
  }
  events.push({ event: "content-block-finish", index, content: { type: "text", text } });
  index++;
  if (rnd() < 0.3) {
    events.push({ event: "content-block-start", index, content: { type: "tool_call_chunk", id: "c1", name: "search", args: "" } });
    for (const args of ['{"q":', '"Köln', '"}']) events.push({ event: "content-block-delta", index, delta: { type: "tool_call_chunk", args } });
  }
  // Often a last usage snapshot right before the finish, as providers send it (chosen without a draw,
  // so that the seeds' other choices stay as they were).
  if (text.length % 3 !== 0) events.push({ event: "usage", usage: { input_tokens: 3, output_tokens: text.length, total_tokens: 3 + text.length } });
  events.push({ event: "message-finish", reason: "stop" });
  return events;
}

/** Yields the events with microtask and macrotask gaps, so that appends and reads interleave. */
async function* paced(events: readonly ProtocolEvent[], rnd: () => number, onIndex: (i: number) => void): AsyncGenerator<ProtocolEvent> {
  for (let i = 0; i < events.length; i++) {
    onIndex(i);
    const r = rnd();
    if (r < 0.02) await new Promise((resolve) => setTimeout(resolve, 0));
    else if (r < 0.3) await null;
    yield events[i]!;
  }
}

/** The SSE ids of the complete events in `text` (what a parser dispatched before a cut). */
function completeIds(text: string): string[] {
  const ids: string[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf("\n\n", at);
    if (end === -1) return ids;
    const block = text.slice(at, end);
    at = end + 2;
    if (block.startsWith("id: ") && block.includes("\ndata: ")) ids.push(block.slice(4, block.indexOf("\n")));
  }
}

function compareIds(a: string, b: string): number {
  const [a1, a2] = a.split(".").map(Number) as [number, number];
  const [b1, b2] = b.split(".").map(Number) as [number, number];
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

class FuzzFailure extends Error {}

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new FuzzFailure(message());
}

/** One viewer: connections cut at random offsets, read through fromResponse's reconnect. */
class Viewer {
  readonly asked: string[] = [];
  /** Per connection: the ids of the events it delivered whole. */
  readonly delivered: string[][] = [];
  cuts = 0;

  constructor(
    readonly respond: (request: Request) => Response | Promise<Response>,
    readonly rnd: () => number,
  ) {}

  /** A response for `lastEventId`, its body maybe cut; records what it delivered. */
  async connect(lastEventId: string): Promise<Response> {
    const headers = lastEventId === "" ? undefined : { "last-event-id": lastEventId };
    const response = await this.respond(new Request("http://fuzz.test/", headers === undefined ? {} : { headers }));
    if (!response.ok) return response;
    // Up to six cuts a viewer, then its connections run to the end.
    const cutAt = this.cuts < 6 && this.rnd() < 0.7 ? Math.floor(this.rnd() * 1500) : Infinity;
    const how = this.rnd() < 0.5 ? "error" : "end";
    if (cutAt !== Infinity) this.cuts++;
    const seen: string[] = [];
    this.delivered.push(seen);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let sent = 0;
    let text = "";
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          seen.push(...completeIds(text));
          return controller.close();
        }
        const room = cutAt - sent;
        const chunk = value.length < room ? value : value.subarray(0, room);
        sent += chunk.length;
        const before = text;
        text += decoder.decode(chunk, { stream: true });
        if (chunk.length > 0) controller.enqueue(chunk);
        if (chunk !== value) {
          await reader.cancel();
          if (how === "end") {
            controller.close();
            seen.push(...completeIds(text));
          } else {
            // error() empties the queue (WHATWG streams): a last chunk enqueued while no read was
            // waiting, and not read since, never reaches the reader, as a network error loses what
            // was buffered. Whether a read came in time is the runtime's scheduling (seed 157: in Bun
            // and Chromium the cancel() above settles before the reader's next read, in Deno after).
            // With the default high-water mark of one chunk, pull() is called only with an empty
            // queue, so that chunk is all that can be in it.
            const lost = chunk.length > 0 && controller.desiredSize! <= 0;
            controller.error(new TypeError("network error (fuzz cut)"));
            seen.push(...completeIds(lost ? before : text));
          }
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: response.status, headers: response.headers });
  }

  async run(): Promise<{ events: ProtocolEvent[]; error: unknown }> {
    const stream = fromResponse(await this.connect(""), {
      reconnect: {
        retries: 8,
        delayMs: 0,
        fetch: (id) => {
          this.asked.push(id);
          return this.connect(id);
        },
      },
    });
    const { chunks: events, error } = await readUntilError(stream.events);
    return { events, error };
  }
}

/** Runs the cases; throws the first failure, naming its seed. */
export async function runLogFuzz(makeLog: (id: string) => StreamLog | Promise<StreamLog>, options: LogFuzzOptions): Promise<LogFuzzReport> {
  const report: LogFuzzReport = { cases: 0, viewers: 0, cuts: 0, rows: 0, stopped: 0 };
  const first = options.seed ?? 1;
  const prefix = `${options.idPrefix ?? "fuzz"}-${Date.now().toString(36)}`;
  for (let i = 0; i < options.cases; i++) {
    const seed = first + i;
    try {
      await runCase(seed, `${prefix}-${seed}`, makeLog, options, report);
    } catch (error) {
      throw new Error(`log fuzz case with seed ${seed} failed: ${(error as Error).message}`, { cause: error });
    }
    report.cases++;
  }
  return report;
}

async function runCase(
  seed: number,
  id: string,
  makeLog: (id: string) => StreamLog | Promise<StreamLog>,
  options: LogFuzzOptions,
  report: LogFuzzReport,
): Promise<void> {
  const rnd = random(seed);
  const events = answer(rnd);
  const stopAt = rnd() < 0.1 ? 1 + Math.floor(rnd() * (events.length - 1)) : -1;
  const log = await makeLog(id);
  let produced = -1;
  let onProduced: (() => void) | undefined;
  const source = paced(events, rnd, (index) => {
    produced = index;
    onProduced?.();
  });
  const run = persist(ChatModelStream.from(source), log, {
    flushBytes: 16 + Math.floor(rnd() * 4096),
    flushMs: rnd() < 0.1 ? 1 : 10_000,
  });
  await run.opened;
  /** Resolves once the producer reached event `index` (or ended). */
  const reached = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const test = (): void => {
        if (produced >= index) {
          onProduced = undefined;
          resolve();
        }
      };
      onProduced = test;
      test();
      void run.then(() => resolve(), () => resolve());
    });

  const viewers: Promise<{ viewer: Viewer; result: { events: ProtocolEvent[]; error: unknown } }>[] = [];
  const count = 1 + Math.floor(rnd() * 3);
  const joins = Array.from({ length: count }, () => (rnd() < 0.25 ? Infinity : Math.floor(rnd() * events.length))).sort((a, b) => a - b);
  let stopping: Promise<void> | undefined;
  for (const join of joins) {
    if (stopAt >= 0 && stopAt <= join && stopping === undefined) {
      await reached(stopAt);
      stopping = (async () => (await makeLog(id)).stop("fuzz stop"))();
    }
    if (join === Infinity) await run.catch(() => {});
    else await reached(join);
    const log = await makeLog(id);
    const respond = options.respond;
    const viewer = new Viewer(
      (request) => (respond === undefined ? resumeResponse(log, request, { heartbeatMs: 0 }) : respond(id, log, request)),
      random(seed * 7919 + viewers.length),
    );
    viewers.push(viewer.run().then((result) => ({ viewer, result })));
  }
  if (stopAt >= 0 && stopping === undefined) {
    await reached(stopAt);
    stopping = (async () => (await makeLog(id)).stop("fuzz stop"))();
  }
  const snapshot = await run;
  await stopping;
  const results = await Promise.all(viewers);

  // What the log holds: the reference every viewer must have seen exactly.
  const stored: ProtocolEvent[] = [];
  const rows = (await makeLog(id)).read(0).getReader();
  for (;;) {
    const { done, value } = await rows.read();
    if (done) break;
    stored.push(...value.events);
    report.rows++;
  }
  const last = stored.at(-1);
  check(last?.event === "message-finish" || last?.event === "error", () => `the log does not end with its terminal event: ${JSON.stringify(last)}`);
  if (snapshot.status === "aborted") report.stopped++;
  else check(snapshot.status === "finished", () => `status ${snapshot.status}`);
  const finalText = textOf(stored);
  if (snapshot.status === "finished") check(finalText === textOf(events), () => "the stored text is not the answer's text");

  for (const [v, { viewer, result }] of results.entries()) {
    report.viewers++;
    report.cuts += viewer.cuts;
    const got = result.events;
    const where = `viewer ${v}`;
    // A replay merges consecutive deltas of a block (across rows): compare what they add up to.
    const gotDigest = digest(got);
    const storedDigest = digest(stored);
    check(gotDigest.others === storedDigest.others, () => `${where}: other events differ from the log's (asked ${JSON.stringify(viewer.asked)})`);
    check(gotDigest.deltas === storedDigest.deltas, () => `${where}: deltas differ from the log's (asked ${JSON.stringify(viewer.asked)})`);
    check(textOf(got) === finalText, () => `${where}: text differs`);
    if (snapshot.status === "aborted") check(result.error !== undefined, () => `${where}: a stopped generation read as a success`);
    else check(result.error === undefined, () => `${where}: failed with ${String(result.error)}`);
    // Ids: each connection's ids grow, each reconnect asks for the last id read, and goes on after it.
    let lastRead = "";
    for (const [c, ids] of viewer.delivered.entries()) {
      if (c > 0) check(viewer.asked[c - 1] === lastRead, () => `${where}: reconnect ${c} asked for ${viewer.asked[c - 1]}, the last id read was ${lastRead}`);
      for (const nextId of ids) {
        check(lastRead === "" || compareIds(nextId, lastRead) > 0, () => `${where}: id ${nextId} after ${lastRead}`);
        lastRead = nextId;
      }
    }
  }
  if (options.heldReads !== undefined) {
    const held = await options.heldReads(id);
    check(held === 0, () => `${held} reads still held after the end`);
  }
}

/**
 * The events other than deltas, in order, and each block's deltas joined per kind. A replay sends a
 * usage snapshot right before a finish without usage as that finish's usage: both count as the finish
 * with the usage.
 */
function digest(events: readonly ProtocolEvent[]): { others: string; deltas: string } {
  const others: ProtocolEvent[] = [];
  const deltas: Record<string, string> = {};
  for (const e of events) {
    if (e.event !== "content-block-delta") {
      const last = others.at(-1);
      if (e.event === "message-finish" && e.usage === undefined && last?.event === "usage") others[others.length - 1] = { ...e, usage: last.usage };
      else others.push(e);
      continue;
    }
    const d = e.delta as unknown as Record<string, unknown>;
    const key = `${e.index}:${String(d["type"])}`;
    const grown = d["text"] ?? d["reasoning"] ?? d["args"] ?? d["data"];
    deltas[key] = (deltas[key] ?? "") + (typeof grown === "string" ? grown : JSON.stringify(d));
  }
  return { others: JSON.stringify(others), deltas: JSON.stringify(Object.entries(deltas).sort()) };
}

function textOf(events: readonly ProtocolEvent[]): string {
  let text = "";
  for (const e of events) if (e.event === "content-block-delta" && e.delta.type === "text-delta") text += e.delta.text;
  return text;
}
