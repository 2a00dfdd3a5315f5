// RedisLog packs a generation's rows at its end (issue 13: storage rows per 1,000-delta answer ≤ 10):
// what stays for the retention is a few packs and the end, read back whole from every offset, and a
// reader in the middle of a read while the rows are packed sees every row exactly once, wherever
// between its commands the packing lands. Node only.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { resumeResponse } from "../../src/index.ts";
import type { AIMessage, ProtocolEvent } from "../../src/protocol.ts";
import { RedisLogStore, type LogRow, type RedisLog, type RedisLogClient } from "../../src/redis.ts";
import { readAll, readOn } from "../helpers.ts";
import { useRedis } from "./use-redis.ts";

const server = useRedis();
let redis: RedisLogClient;

/** A new client of the file's server. */
const connect = (): Promise<RedisLogClient> => server.connect();

beforeAll(async () => {
  redis = await connect();
});

let n = 0;
const freshId = (): string => `packs-${Date.now().toString(36)}-${++n}`;

const WORDS = ["The ", "quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".", " Grüße", " 👋", "\n"];

function delta(text: string): ProtocolEvent {
  return { event: "content-block-delta", index: 0, delta: { type: "text-delta", text } };
}

/**
 * The rows `persist` appends for a 1,000-delta answer at 50 tokens a second with the default flush
 * (one row per 50 ms: 3 deltas, as bench/durable-redis.ts measures it, 335 rows): the start in the
 * first, the block's end, the usage and the finish in the last.
 */
function pacedRows(deltas = 1000, perRow = 3): LogRow[] {
  const words = Array.from({ length: deltas }, (_, i) => WORDS[(i * 7) % WORDS.length]!);
  const rows: ProtocolEvent[][] = [];
  for (let i = 0; i < deltas; i += perRow) rows.push([delta(words.slice(i, i + perRow).join(""))]);
  rows[0]!.unshift({ event: "message-start", id: "m1" }, { event: "content-block-start", index: 0, content: { type: "text", text: "" } });
  rows.push([
    { event: "content-block-finish", index: 0, content: { type: "text", text: words.join("") } },
    { event: "usage", usage: { input_tokens: 20, output_tokens: deltas, total_tokens: deltas + 20 } },
    { event: "message-finish", reason: "stop" },
  ]);
  return rows.map((events, i) => ({ seq: i + 1, events }));
}

const message: AIMessage = { type: "ai", content: "done", tool_calls: [], invalid_tool_calls: [], response_metadata: {} };

async function entries(id: string): Promise<[string, string[]][]> {
  return (await redis.sendCommand(["XRANGE", `cms:{${id}}:rows`, "-", "+"])) as [string, string[]][];
}

/** The text of the deltas of an SSE body. */
function sseText(body: string): string {
  let text = "";
  for (const block of body.split("\n\n")) {
    const data = block.split("\n").find((line) => line.startsWith("data: "));
    if (data === undefined) continue;
    const event = JSON.parse(data.slice(6)) as ProtocolEvent;
    if (event.event === "content-block-delta" && event.delta.type === "text-delta") text += event.delta.text;
  }
  return text;
}

const utf8 = new TextEncoder();

/** The rows' JSON of a pack's field `d`: per row, `<p>\x1f<s>\x1f<middle>\x1e`, the row being the previous row's first p characters, the middle, its last s. */
function unpack(packed: string): string[] {
  const rows: string[] = [];
  let prev = "";
  for (const part of packed.split("\x1e").slice(0, -1)) {
    const [p, s, ...middle] = part.split("\x1f");
    prev = prev.slice(0, Number(p)) + middle.join("\x1f") + (Number(s) === 0 ? "" : prev.slice(-Number(s)));
    rows.push(prev);
  }
  return rows;
}

function textOf(events: readonly ProtocolEvent[]): string {
  return events.map((e) => (e.event === "content-block-delta" && e.delta.type === "text-delta" ? e.delta.text : "")).join("");
}

describe("RedisLog packs its rows at the end", () => {
  it("a paced 1,000-delta answer (335 rows) ends as ≤ 10 entries of ≤ 16 KiB and reads back whole from every offset", { timeout: 60_000 }, async () => {
    const store = new RedisLogStore(redis);
    const id = freshId();
    const log = store.log(id);
    const rows = pacedRows();
    expect(rows).toHaveLength(335);
    await log.open();
    for (const row of rows) await log.append(row);
    expect(await redis.sendCommand(["XLEN", `cms:{${id}}:rows`])).toBe(335);
    await log.close(message);

    const stored = await entries(id);
    expect(stored.length).toBeLessThanOrEqual(10);
    expect(stored.at(-1)).toEqual(["335-1", ["end", "finished"]]);
    // Packs: consecutive rows, each the entry of its last row, with its first; ≤ 16 KiB each.
    let next = 1;
    let packedBytes = 0;
    for (const [entryId, fields] of stored.slice(0, -1)) {
      expect(fields.slice(0, 3)).toEqual(["f", String(next), "d"]);
      const packed = unpack(fields[3]!);
      next += packed.length;
      expect(entryId).toBe(`${next - 1}-0`);
      expect(packed).toEqual(rows.slice(Number(fields[1]) - 1, next - 1).map((row) => JSON.stringify(row.events)));
      packedBytes += utf8.encode(fields[3]!).length;
      expect(utf8.encode(fields[3]!).length).toBeLessThanOrEqual(16 * 1024);
    }
    expect(next).toBe(336);
    // A row costs little more than its text: the packs hold less than 3× the answer's text where
    // its rows' JSON is over 5× (the block's end event, the whole text again, is 1× of it).
    const textBytes = utf8.encode(textOf(rows.flatMap((row) => row.events))).length;
    expect(utf8.encode(rows.map((row) => JSON.stringify(row.events)).join("")).length).toBeGreaterThan(5 * textBytes);
    expect(packedBytes).toBeLessThan(3 * textBytes);

    // Every row offset, read by the log (replay and live) and by another server's store.
    const other = new RedisLogStore(await connect()).log(id);
    for (let after = 0; after <= rows.length; after++) {
      const expected = rows.slice(after);
      expect(await readAll(log.read(after))).toEqual(expected);
      expect(await readAll(other.read(after, { live: true }))).toEqual(expected);
    }
    // Every SSE id `<seq>.<k>` resumeResponse sends, and each bare `<seq>`: the text after it, whole.
    const events = rows.flatMap((row) => row.events.map((event, k) => ({ id: `${row.seq}.${k}`, event })));
    for (let i = 0; i <= events.length; i++) {
      const headers: Record<string, string> = i === 0 ? {} : { "last-event-id": events[i - 1]!.id };
      const response = await resumeResponse(log, new Request("http://test/", { headers }));
      expect(response.status).toBe(200);
      expect(sseText(await response.text())).toBe(textOf(events.slice(i).map((e) => e.event)));
    }
    for (const row of rows) {
      const response = await resumeResponse(log, new Request(`http://test/?offset=${row.seq}`));
      expect(sseText(await response.text())).toBe(textOf(rows.slice(row.seq).flatMap((r) => r.events)));
    }
  });

  it("a row longer than a pack is a pack alone; a generation without rows is just its end", async () => {
    const store = new RedisLogStore(redis);
    const id = freshId();
    const log = store.log(id);
    const big = "x".repeat(20_000);
    const rows: LogRow[] = [
      { seq: 1, events: [delta("a")] },
      { seq: 2, events: [delta(big)] },
      { seq: 3, events: [delta("b")] },
    ];
    await log.open();
    for (const row of rows) await log.append(row);
    await log.close(message);
    expect((await entries(id)).map(([entryId, fields]) => `${entryId}:${fields[0]}${fields[0] === "f" ? fields[1] : ""}`)).toEqual(["1-0:f1", "2-0:f2", "3-0:f3", "3-1:end"]);
    expect(await readAll(log.read(0))).toEqual(rows);
    expect(await readAll(log.read(1))).toEqual(rows.slice(1));

    const empty = store.log(freshId());
    await empty.open();
    await empty.close(message);
    expect(await entries(empty.id)).toEqual([["0-1", ["end", "finished"]]]);
  });
});

describe("a pack's rows", () => {
  it("read back equal whatever their JSON shares with the row before: non-ASCII, surrogate pairs, escapes, a row inside another, equal rows", { timeout: 60_000 }, async () => {
    const store = new RedisLogStore(redis);
    // Texts from pieces that make long shared starts and ends, cut anywhere, with characters of 1 to 4 UTF-8 bytes.
    const piece = fc.constantFrom("a", "ab", "The ", "ü", "Grüße", "👋", "\ud83d", '"', "\\", "\n", "\u0000", "\u001e", "}}]", "x".repeat(50));
    const text = fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(""));
    const event = fc.oneof(
      text.map(delta),
      fc.record({ event: fc.constant("content-block-start" as const), index: fc.nat(3), content: fc.record({ type: fc.constant("text" as const), text }) }),
    );
    const rows = fc.array(fc.array(event, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(rows, async (list) => {
        const log = store.log(freshId());
        const appended = list.map((events, i) => ({ seq: i + 1, events: events as ProtocolEvent[] }));
        await log.open();
        for (const row of appended) await log.append(row);
        await log.close(message);
        expect((await entries(log.id))[0]![1][0]).toBe("f");
        expect(await readAll(log.read(0))).toEqual(appended);
        expect(await readAll(log.read(Math.floor(appended.length / 2)))).toEqual(appended.slice(Math.floor(appended.length / 2)));
      }),
      { seed: 13, numRuns: 150 },
    );
  });
});

/**
 * `client` (and its duplicates), calling `before(args)` before each command it sends, and sending
 * the command once `before` resolved.
 */
function gated(client: RedisLogClient, before: (args: string[]) => Promise<void>): RedisLogClient {
  return {
    sendCommand: async (args) => {
      await before(args);
      return client.sendCommand(args);
    },
    duplicate: () => gated(client.duplicate(), before),
    connect: () => client.connect(),
    destroy: () => client.destroy(),
    on: (event: "error" | "ready", listener: (error: Error) => void) => client.on(event as "error", listener),
    subscribe: (channel, listener) => client.subscribe(channel, listener),
    unsubscribe: (channel, listener) => client.unsubscribe(channel, listener),
  };
}

/** Rows of about 400 bytes of JSON, each text its own: 150 of them are 3 or more packs and 3 batches of a read. */
function wideRows(count: number): LogRow[] {
  const letters = (i: number): string => Array.from({ length: 320 }, (_, j) => String.fromCharCode(97 + ((i * 31 + j * j * 7 + j) % 26))).join("");
  return Array.from({ length: count }, (_, i) => ({ seq: i + 1, events: [delta(`${letters(i)}:${i + 1}`)] }));
}

async function blockedClients(): Promise<number> {
  const info = String(await redis.sendCommand(["INFO", "clients"]));
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

describe("the end reads the rows it packs", () => {
  it("a row appended between that read and the end's script is packed too: the script refuses, the end reads again", async () => {
    const id = freshId();
    const other = new RedisLogStore(redis).log(id);
    let closing = false;
    let raced = 0;
    const client = gated(await connect(), async (args) => {
      if (args[0] === "XRANGE" && closing) raced++;
      // Before the end's first script: another handle appends row 3.
      if (raced === 1 && (args[0] === "EVALSHA" || args[0] === "EVAL")) {
        raced++;
        await other.append({ seq: 3, events: [delta("late")] });
      }
    });
    const log = new RedisLogStore(client).log(id);
    await log.open();
    await log.append({ seq: 1, events: [delta("a")] });
    await log.append({ seq: 2, events: [delta("b")] });
    closing = true;
    await log.close(message);
    expect(raced).toBe(3); // read, refused, read again
    expect((await entries(id)).map(([entryId, fields]) => `${entryId}:${fields[0]}${fields[1]}`)).toEqual(["3-0:f1", "3-1:endfinished"]);
    expect((await readAll(log.read(0))).map((row) => row.events)).toEqual([[delta("a")], [delta("b")], [delta("late")]]);
  });
});

describe("a reader in the middle of a read while the rows are packed", () => {
  const ROWS = 150;

  /**
   * Opens a log of `ROWS` rows, still running, and reads it after `after` on a store of its own
   * whose `k`-th command waits until the producer (another store) has closed the log, packing its
   * rows. Returns the rows read, the command the packing came before, and the entries left.
   */
  async function readAcross(k: number, after: number, live: boolean): Promise<{ rows: LogRow[]; before: string | undefined; left: number }> {
    const id = freshId();
    const producer = new RedisLogStore(redis).log(id);
    const rows = wideRows(ROWS);
    await producer.open();
    for (const row of rows) await producer.append(row);
    let sent = 0;
    let before: string | undefined;
    const readerClient = gated(await connect(), async (args) => {
      if (++sent !== k) return;
      before = args[0] === "EVALSHA" || args[0] === "EVAL" ? "probe" : args[0];
      await producer.close(message);
    });
    const reader: RedisLog = new RedisLogStore(readerClient).log(id);
    const read = readOn(reader.read(after, { live }).getReader());
    if (live) {
      // Past every command: the packing comes while the read waits in XREAD BLOCK.
      let finished = false;
      void read.then(() => (finished = true));
      await expect.poll(async () => finished || (await blockedClients()) === 1).toBe(true);
      if (!finished && before === undefined) {
        before = "(blocked in XREAD)";
        await producer.close(message);
      }
    }
    const { chunks, error } = await read;
    expect(error).toBeUndefined();
    if (before === undefined) await producer.close(message);
    const left = Number(await redis.sendCommand(["XLEN", `cms:{${id}}:rows`]));
    return { rows: chunks, before, left };
  }

  for (const live of [false, true]) {
    for (const after of [0, 37]) {
      it(`${live ? "live" : "replay"} read after ${after}: every row exactly once, whichever command of the read the packing precedes`, { timeout: 60_000 }, async () => {
        const expected = wideRows(ROWS).slice(after);
        const seen: string[] = [];
        for (let k = 1; ; k++) {
          const { rows, before, left } = await readAcross(k, after, live);
          expect(rows.map((row) => row.seq), `packing before command ${k} (${before})`).toEqual(expected.map((row) => row.seq));
          expect(rows).toEqual(expected);
          // Packed: 3 or more packs and the end.
          expect(left).toBeGreaterThanOrEqual(4);
          expect(left).toBeLessThanOrEqual(6);
          if (before === undefined || before === "(blocked in XREAD)") break;
          seen.push(before);
          if (k > 20) throw new Error(`the read sent more than 20 commands: ${seen.join(", ")}`);
        }
        // The packing landed before the first probe, before each XRANGE batch and, live, before
        // the wait and during it.
        expect(seen[0]).toBe("probe");
        expect(seen.filter((c) => c === "XRANGE").length).toBeGreaterThanOrEqual(2);
        if (live) expect(seen).toContain("XREAD");
      });
    }
  }
});
