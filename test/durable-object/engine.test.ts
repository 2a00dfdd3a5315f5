// What only the Durable Object engine promises, in workerd with the object bound as a user binds
// it: packed SQL rows, the retention alarm, the alarm that finishes a vanished producer, Stop from
// another stub, viewers through the object (many, resumed, leaving), and an object that restarts
// mid-generation.
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { DurableStreamLog, type LogRow, type StreamLogObject, type StreamLogObjectStub } from "../../src/cloudflare.ts";
import { ChatModelStream, fromResponse, type AIMessage, type ContentBlock, type ProtocolEvent } from "../../src/index.ts";
import { persist } from "../../src/log/persist.ts";
import { cutText, DEFAULT_TIMERS, SqlLog, type SqlLogStorage } from "../../src/log/sql-log.ts";
import type { Stub } from "./stub.ts";

let n = 0;
const freshId = (name: string): string => `${name}-${Date.now().toString(36)}-${++n}`;
const stubOf = (id: string): Stub<StreamLogObject> => env.STREAMS.getByName(id);

function delta(text: string): ProtocolEvent {
  return { event: "content-block-delta", index: 0, delta: { type: "text-delta", text } };
}

const START: ProtocolEvent[] = [
  { event: "message-start", id: "m1" },
  { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
];

/** The words of an answer of `count` deltas. */
const words = (count: number): string[] => Array.from({ length: count }, (_, i) => `w${i} `);

/** A model that sends `texts` as deltas, waiting for `gate` (when given) before delta `at`. */
async function* model(texts: readonly string[], gate?: { at: number; open: Promise<void> }): AsyncGenerator<ProtocolEvent> {
  yield* START;
  for (let i = 0; i < texts.length; i++) {
    if (gate !== undefined && i === gate.at) await gate.open;
    yield delta(texts[i]!);
  }
  yield { event: "content-block-finish", index: 0, content: { type: "text", text: texts.join("") } };
  yield { event: "message-finish", reason: "stop" };
}

/** `model`, waiting 1 ms before each delta. */
async function* paced(texts: readonly string[]): AsyncGenerator<ProtocolEvent> {
  for await (const event of model(texts)) {
    if (event.event === "content-block-delta") await new Promise((resolve) => setTimeout(resolve, 1));
    yield event;
  }
}

/** A gate the test opens. */
function gate(): { open: Promise<void>; release: () => void } {
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  return { open, release };
}

function sql(id: string, query: string): Promise<Record<string, unknown>[]> {
  return runInDurableObject(stubOf(id), (_, state) => state.storage.sql.exec(query).toArray());
}

async function rowCount(id: string): Promise<number> {
  return (await sql(id, "SELECT count(*) AS n FROM log"))[0]!["n"] as number;
}

/** The stored log rows' events, unpacked from the SQL rows (a pack's text joined over its SQL rows). */
async function storedEvents(id: string): Promise<ProtocolEvent[]> {
  const events: ProtocolEvent[] = [];
  let rows = "";
  for (const piece of await sql(id, "SELECT rows, more FROM log ORDER BY n")) {
    rows += (piece["rows"] as string | null) ?? "";
    if (piece["more"] === 0) {
      events.push(...(JSON.parse(rows) as ProtocolEvent[][]).flat());
      rows = "";
    }
  }
  return events;
}

async function textOf(response: Response): Promise<string> {
  return await fromResponse(response).text;
}

/** An SSE body's events with their ids. */
async function sseEvents(response: Response): Promise<{ id: string; event: ProtocolEvent }[]> {
  const text = await response.text();
  const out: { id: string; event: ProtocolEvent }[] = [];
  for (const frame of text.split("\n\n")) {
    const id = /^id: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (id !== undefined && data !== undefined) out.push({ id, event: JSON.parse(data) as ProtocolEvent });
  }
  return out;
}

const deltaText = (events: readonly { event: ProtocolEvent }[]): string =>
  events.map(({ event }) => (event.event === "content-block-delta" ? ((event.delta as { text?: string }).text ?? "") : "")).join("");

describe("StreamLogObject storage", () => {
  it("stores a 1,000-delta answer in a handful of SQL rows, each holding many deltas", async () => {
    const id = freshId("packed");
    const texts = words(1000);
    const snapshot = await persist(ChatModelStream.from(model(texts)), new DurableStreamLog(stubOf(id)));
    expect(snapshot.status).toBe("finished");
    const rows = await rowCount(id);
    const { rowsWritten, alarmsSet } = await stubOf(id).stats();
    // Per generation: the table (2 rows of SQLite's schema), then one per pack of log rows (here the
    // whole answer, under 64 KiB, is one), the last one carrying the end; and the alarm set at the
    // end (the one for a vanished producer is set by a first pack written before the end).
    expect({ rows, rowsWritten, alarmsSet }).toEqual({ rows: 1, rowsWritten: 3, alarmsSet: 1 });
    expect(deltaText((await storedEvents(id)).map((event) => ({ event })))).toBe(texts.join(""));
  });

  it("packs a paced 1,000-delta answer (hundreds of log rows) into at most 10 SQL rows", async () => {
    const id = freshId("paced");
    const texts = words(1000);
    // flushMs 1: persist appends a log row almost per delta, far more rows than at the default pace.
    const snapshot = await persist(ChatModelStream.from(paced(texts)), new DurableStreamLog(stubOf(id)), { flushMs: 1 });
    expect(snapshot.status).toBe("finished");
    const rows = await rowCount(id);
    const { rowsWritten } = await stubOf(id).stats();
    expect({ manyLogRows: snapshot.seq > 100, packsAtMost10: rows <= 10, rowsWritten }).toEqual({ manyLogRows: true, packsAtMost10: true, rowsWritten: rows + 2 });
    expect(deltaText((await storedEvents(id)).map((event) => ({ event })))).toBe(texts.join(""));
  });

  it("reads a table written before a pack could take several SQL rows (no column more), and writes on to it, a 3 MB end included", async () => {
    const id = freshId("legacy");
    const image = imageStart(3_000_000);
    const seen = await runInDurableObject(stubOf(id), async (_, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE log (n INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
        at INTEGER NOT NULL, rows TEXT NOT NULL, started_at INTEGER NOT NULL, retention_ms INTEGER NOT NULL,
        producer_timeout_ms INTEGER NOT NULL, local INTEGER NOT NULL, status TEXT NOT NULL, ended_at INTEGER,
        message TEXT, failure TEXT, stop_reason TEXT)`);
      const now = Date.now();
      sql.exec("INSERT INTO log VALUES (1, 1, 1, ?, ?, ?, 60000, 60000, 1, 'running', NULL, NULL, NULL, NULL)", now, JSON.stringify([[...START, delta("Hello")]]), now);
      const log = new SqlLog(storageOf(state));
      const loaded = log.snapshotNow();
      await log.append({ seq: 2, events: [image, { event: "message-finish", reason: "stop" }] });
      await log.close({ ...FINAL, content: [{ type: "text", text: "Hello" }, (image as { content: ContentBlock }).content] });
      const rows: LogRow[] = [];
      const again = new SqlLog(storageOf(state));
      for await (const row of again.read(0)) rows.push(row);
      return { loaded: { status: loaded?.status, seq: loaded?.seq }, stored: again.snapshotNow()?.status, seqs: rows.map((r) => r.seq), image: rows[1]!.events[0] };
    });
    expect(seen).toEqual({ loaded: { status: "running", seq: 1 }, stored: "finished", seqs: [1, 2], image });
  });

  it("reads only the last pack when it loads after a restart, however many packs came before (SQL rows read)", async () => {
    const readAtLoad = async (packs: number): Promise<number> => {
      const id = freshId(`load-${packs}`);
      return runInDurableObject(stubOf(id), async (_, state) => {
        const log = new SqlLog(storageOf(state));
        await log.openWith(DEFAULT_TIMERS, Date.now(), true);
        // 64 KiB a row: each is a pack at once.
        for (let seq = 1; seq <= packs; seq++) await log.append({ seq, events: [delta("x".repeat(64 * 1024))] });
        const storage = storageOf(state);
        let rowsRead = 0;
        const counting: SqlLogStorage = {
          ...storage,
          sql: {
            exec: (query, ...bindings) => {
              const cursor = state.storage.sql.exec(query, ...bindings) as ReturnType<SqlLogStorage["sql"]["exec"]> & { rowsRead: number };
              const rows = cursor.toArray();
              rowsRead += cursor.rowsRead;
              return { toArray: () => rows, rowsWritten: cursor.rowsWritten };
            },
          },
          transactionSync: (closure) => storage.transactionSync(closure),
          setAlarm: (at) => storage.setAlarm(at),
          deleteAll: () => storage.deleteAll(),
        };
        expect(new SqlLog(counting).snapshotNow()).toMatchObject({ status: "running", seq: packs });
        return rowsRead;
      });
    };
    const [two, twenty] = [await readAtLoad(2), await readAtLoad(20)];
    expect({ same: twenty === two, few: two <= 6 }).toEqual({ same: true, few: true });
  });

  it("has every row after a restart once the generation is closed", async () => {
    const id = freshId("restart-closed");
    const texts = words(300);
    const snapshot = await persist(ChatModelStream.from(paced(texts)), new DurableStreamLog(stubOf(id)), { flushMs: 1 });
    expect(snapshot.seq).toBeGreaterThan(10);
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    const after = new DurableStreamLog(stubOf(id));
    expect(await after.snapshot()).toMatchObject({ status: "finished", seq: snapshot.seq });
    const rows: LogRow[] = [];
    for await (const row of after.read(0)) rows.push(row);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: snapshot.seq }, (_, i) => i + 1));
    expect(deltaText(rows.flatMap((r) => r.events).map((event) => ({ event })))).toBe(texts.join(""));
  });

  it("keeps what it stored when the object restarts mid-generation (not the rows still pending), and goes on from there", async () => {
    const id = freshId("restart");
    const log = new DurableStreamLog(stubOf(id));
    await log.open();
    // 64 KiB of events: written at once, as a pack.
    await log.append({ seq: 1, events: [...START, delta("x".repeat(64 * 1024))] });
    await log.append({ seq: 2, events: [delta("pending ")] });
    // The object's instance goes away (as at a deploy or an eviction); its storage stays, without row 2 (pending).
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    const after = new DurableStreamLog(stubOf(id));
    expect(await after.snapshot()).toMatchObject({ status: "running", seq: 1 });
    await after.append({ seq: 2, events: [delta("after"), { event: "message-finish" }] });
    await after.close({ type: "ai", content: "before after", tool_calls: [], invalid_tool_calls: [], response_metadata: {} });
    const rows: LogRow[] = [];
    for await (const row of after.read(0)) rows.push(row);
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
  });

  it("a producer whose generation the object lost in a restart neither appends to nor ends the generation opened again under its id", async () => {
    const id = freshId("reopened");
    const old = new DurableStreamLog(() => stubOf(id));
    await old.open();
    await old.append({ seq: 1, events: [...START, delta("pending")] });
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    // A retry of the request opens the generation again; the old producer (persist) is still there.
    const again = new DurableStreamLog(() => stubOf(id));
    await again.open();
    await again.append({ seq: 1, events: [...START, delta("again")] });
    // Its first call fails on its stub, which the restart broke (it takes a new one for the next).
    await expect(old.append({ seq: 2, events: [delta("old")] })).rejects.toThrow();
    const code = (error: { code?: string }): string | undefined => error.code;
    const refused = [
      await old.append({ seq: 2, events: [delta("old")] }).catch(code),
      // What persist does once an append is refused: end the generation, failed.
      await old.fail("failed", { message: "The log refused row 2" }, undefined).catch(code),
      await old.close(FINAL).catch(code),
    ];
    expect({ refused, snapshot: await again.snapshot() }).toMatchObject({ refused: ["invalid_state", "invalid_state", "invalid_state"], snapshot: { status: "running", seq: 1 } });
    await again.close(FINAL);
    expect(await new DurableStreamLog(stubOf(id)).snapshot()).toMatchObject({ status: "finished", seq: 1 });
  });

  it("loses a generation nothing of which was written yet when the object restarts (it had nothing to resume), and keeps no storage", async () => {
    const id = freshId("restart-unwritten");
    const log = new DurableStreamLog(() => stubOf(id));
    await log.open();
    await log.append({ seq: 1, events: [...START, delta("pending")] });
    // Open and pending: in memory only, so a second producer is refused, and no alarm is set yet.
    await expect(new DurableStreamLog(stubOf(id)).open()).rejects.toMatchObject({ code: "invalid_state" });
    expect(await runInDurableObject(stubOf(id), (_, state) => state.storage.getAlarm())).toBeNull();
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    const after = new DurableStreamLog(stubOf(id));
    expect(await after.snapshot()).toBeUndefined();
    await expect(after.append({ seq: 2, events: [delta("more")] })).rejects.toMatchObject({ code: "not_found" });
    expect(await sql(id, "SELECT name FROM sqlite_master WHERE type = 'table'")).toEqual([]);
  });
});

/** `texts` as a model's deltas, one every 20 ms (50 tokens a second), on whatever timers are installed. */
async function* at50PerSecond(texts: readonly string[]): AsyncGenerator<ProtocolEvent> {
  for await (const event of model(texts)) {
    if (event.event === "content-block-delta") await new Promise((resolve) => setTimeout(resolve, 20));
    yield event;
  }
}

/** Runs `body` inside the object on fake timers (setTimeout and Date: the model's pace, persist's flush, the log's packs), advanced 20 ms at a time until it settles. */
function onFakeTimers<T>(stub: Stub<StreamLogObject>, body: (object: StreamLogObject) => Promise<T>): Promise<T> {
  return runInDurableObject(stub, async (object) => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      let settled = false;
      const run = body(object).finally(() => (settled = true));
      while (!settled) await vi.advanceTimersByTimeAsync(20);
      return await run;
    } finally {
      vi.useRealTimers();
    }
  });
}

/** Every row of the generation `id`, read through a new stub. */
async function readAll(id: string): Promise<LogRow[]> {
  const rows: LogRow[] = [];
  for await (const row of new DurableStreamLog(stubOf(id)).read(0)) rows.push(row);
  return rows;
}

describe("StreamLogObject storage at a model's pace", () => {
  it("writes at most 10 storage rows (SQL rows and alarms) for a 1,000-delta answer at 50 tokens a second with persist's defaults, and reads every delta back after the end and after a restart", async () => {
    const id = freshId("pace");
    const texts = words(1000);
    const { snapshot, stats } = await onFakeTimers(stubOf(id), async (object) => {
      // The producer's calls go to the object as a stub's would (the test runs inside it).
      const snapshot = await persist(ChatModelStream.from(at50PerSecond(texts)), new DurableStreamLog(object as unknown as StreamLogObjectStub));
      return { snapshot, stats: object.stats() };
    });
    const packs = await rowCount(id);
    expect({
      status: snapshot.status,
      // persist's default flush (50 ms): hundreds of log rows, each a unit of live latency.
      manyLogRows: snapshot.seq > 300,
      packs,
      rowsWritten: stats.rowsWritten,
      alarmsSet: stats.alarmsSet,
      atMost10: stats.rowsWritten + stats.alarmsSet <= 10,
    }).toEqual({ status: "finished", manyLogRows: true, packs: 5, rowsWritten: packs + 2, alarmsSet: 2, atMost10: true });
    const before = await readAll(id);
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    const after = await readAll(id);
    const seqs = Array.from({ length: snapshot.seq }, (_, i) => i + 1);
    expect({ before: before.map((r) => r.seq), after: after.map((r) => r.seq), text: deltaText(after.flatMap((r) => r.events).map((event) => ({ event }))) }).toEqual({
      before: seqs,
      after: seqs,
      text: texts.join(""),
    });
    expect(after).toEqual(before);
  });
});

describe("StreamLogObject alarms", () => {
  it("deletes everything retentionMs after the end: the alarm is set then, and running it empties storage", async () => {
    const id = freshId("retention");
    const log = new DurableStreamLog(stubOf(id), { retentionMs: 60_000 });
    const snapshot = await persist(ChatModelStream.from(model(words(5))), log);
    const alarm = await runInDurableObject(stubOf(id), (_, state) => state.storage.getAlarm());
    expect(alarm).toBe(snapshot.endedAt! + 60_000);
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    expect(await log.snapshot()).toBeUndefined();
    expect(await sql(id, "SELECT name FROM sqlite_master WHERE type = 'table'")).toEqual([]);
    expect((await SELF.fetch(`http://viewer/${id}`)).status).toBe(404);
  });

  it("leaves a producer that appends alone: the alarm only moves to its last append + producerTimeoutMs", async () => {
    const id = freshId("alive");
    const log = new DurableStreamLog(stubOf(id), { producerTimeoutMs: 60_000 });
    await log.open();
    // 64 KiB: written at once, which sets the alarm.
    await log.append({ seq: 1, events: [...START, delta("x".repeat(64 * 1024))] });
    const before = Date.now();
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    expect((await log.snapshot())!.status).toBe("running");
    const alarm = await runInDurableObject(stubOf(id), (_, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + 60_000 - 1_000);
  });

  it("finishes a generation whose producer vanished: failed (timeout), the partial folded from its rows, readers ended", async () => {
    const id = freshId("vanished");
    const log = new DurableStreamLog(stubOf(id));
    // Opened and appended in one turn of the object, so that no timer runs between them: three calls
    // could be more than 50 ms apart on a busy machine, and the generation finished before row 2.
    const replies = await runInDurableObject(stubOf(id), (object) =>
      Promise.all([
        object.open({ producerTimeoutMs: 50, retentionMs: 60_000 }),
        object.append(1, JSON.stringify([...START, delta("Hello ")])),
        object.append(2, JSON.stringify([delta("wor")])),
      ]),
    );
    expect(replies).toEqual([{ ok: true, value: expect.stringMatching(/^\d+$/) }, { ok: true }, { ok: true }]);
    const reading = (async () => {
      const rows: LogRow[] = [];
      for await (const row of log.read(0, { live: true })) rows.push(row);
      return rows;
    })();
    const listening = new AbortController();
    const stopped = log.stopped(listening.signal);
    // The producer appends nothing more; 50 ms after the last append, the object's timer for a
    // generation not written yet (no alarm is set before its first pack) finishes it.
    await expect.poll(async () => (await log.snapshot())!.status, { timeout: 5_000, interval: 20 }).toBe("failed");
    const snapshot = (await log.snapshot())!;
    expect(snapshot.failure).toEqual({ message: "The producer appended nothing for 50 ms", code: "timeout" });
    expect(snapshot.message).toMatchObject({ type: "ai", id: "m1", content: [{ type: "text", text: "Hello wor", index: 0 }] });
    const rows = await reading;
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[2]!.events).toEqual([{ event: "error", message: "The producer appended nothing for 50 ms", code: "timeout" }]);
    expect(await stopped).toBeUndefined();
    listening.abort();
    // A viewer now gets the stored answer and the closing error.
    const events = await sseEvents(await SELF.fetch(`http://viewer/${id}`));
    expect({ text: deltaText(events), last: events.at(-1)!.event }).toEqual({
      text: "Hello wor",
      last: { event: "error", message: "The producer appended nothing for 50 ms", code: "timeout" },
    });
  });
});

describe("StreamLogObject before its first pack", () => {
  it("finishes a generation opened and never appended to once producerTimeoutMs passed, though no alarm was set: failed (timeout), stored", async () => {
    const id = freshId("never-appended");
    const log = new DurableStreamLog(stubOf(id));
    // On fake timers in the object: with real ones, 50 ms could pass between the open and the
    // look at the alarm on a busy machine, and the generation be finished (its retention alarm set).
    const { alarm, before, after } = await runInDurableObject(stubOf(id), async (object, state) => {
      const status = async (): Promise<string | undefined> => {
        const reply = await object.snapshot();
        return reply.ok && reply.value !== undefined ? (JSON.parse(reply.value) as { status: string }).status : undefined;
      };
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      try {
        await object.open({ producerTimeoutMs: 50 });
        const alarm = await state.storage.getAlarm();
        await vi.advanceTimersByTimeAsync(49);
        const before = await status();
        await vi.advanceTimersByTimeAsync(1);
        await vi.waitFor(async () => expect(await status()).toBe("failed"));
        return { alarm, before, after: await status() };
      } finally {
        vi.useRealTimers();
      }
    });
    expect({ alarm, before, after }).toEqual({ alarm: null, before: "running", after: "failed" });
    expect((await log.snapshot())?.failure).toEqual({ message: "The producer appended nothing for 50 ms", code: "timeout" });
    // Stored with its end (the closing error row), so a restart keeps it.
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    expect(await new DurableStreamLog(stubOf(id)).snapshot()).toMatchObject({ status: "failed", seq: 1, failure: { code: "timeout" } });
  });
});

describe("StreamLogObject stop", () => {
  it("a stop through another stub reaches the producer: persist ends aborted with the partial", async () => {
    const id = freshId("stop");
    const held = gate();
    const run = persist(ChatModelStream.from(model(["Hel", "lo", " never"], { at: 2, open: held.open })), new DurableStreamLog(stubOf(id)));
    await run.opened;
    // Wait until the first deltas are stored, as a user sees them before pressing Stop.
    await expect.poll(async () => (await new DurableStreamLog(stubOf(id)).snapshot())!.seq, { timeout: 5_000 }).toBeGreaterThan(0);
    await new DurableStreamLog(env.STREAMS.get(env.STREAMS.idFromName(id))).stop("user pressed Stop");
    const snapshot = await run;
    held.release();
    expect(snapshot).toMatchObject({ status: "aborted", failure: { code: "aborted" } });
    expect(JSON.stringify(snapshot.message)).toContain("Hello");
    expect(JSON.stringify(snapshot.message)).not.toContain("never");
  });
});

describe("StreamLogObject stop after a restart", () => {
  it("the producer listens again when the object restarts, and hears a stop asked after it", async () => {
    const id = freshId("restart-stop");
    const log = new DurableStreamLog(() => stubOf(id));
    await log.open();
    // Written (64 KiB, a pack at once): a restart keeps the generation.
    await log.append({ seq: 1, events: [...START, delta("x".repeat(64 * 1024))] });
    const listening = new AbortController();
    const stopped = log.stopped(listening.signal);
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    await new DurableStreamLog(stubOf(id)).stop("after the restart");
    expect(await stopped).toBe("after the restart");
    listening.abort();
  });
});

describe("StreamLogObject viewers", () => {
  it("100 viewers through the object each read the whole answer, live, and none is held after the end", async () => {
    const id = freshId("viewers");
    const held = gate();
    const texts = words(300);
    const run = persist(ChatModelStream.from(model(texts, { at: 100, open: held.open })), new DurableStreamLog(stubOf(id)));
    await run.opened;
    const viewers = await Promise.all(Array.from({ length: 100 }, () => SELF.fetch(`http://viewer/${id}`)));
    const texts$ = viewers.map((response) => textOf(response));
    await expect.poll(async () => (await stubOf(id).stats()).waitingReads, { timeout: 5_000 }).toBe(100);
    held.release();
    expect(new Set(await Promise.all(texts$))).toEqual(new Set([texts.join("")]));
    expect((await run).status).toBe("finished");
    expect((await stubOf(id).stats()).waitingReads).toBe(0);
  });

  it("a viewer who resumes with Last-Event-ID gets exactly the rest: no gap, no duplicate", async () => {
    const id = freshId("resume");
    const texts = words(200);
    await persist(ChatModelStream.from(model(texts)), new DurableStreamLog(stubOf(id)), { flushBytes: 64 });
    const all = await sseEvents(await SELF.fetch(`http://viewer/${id}`));
    const cut = Math.floor(all.length / 2);
    const rest = await sseEvents(await SELF.fetch(`http://viewer/${id}`, { headers: { "last-event-id": all[cut]!.id } }));
    expect(rest.map((e) => e.id)).toEqual(all.slice(cut + 1).map((e) => e.id));
    expect(deltaText(all.slice(0, cut + 1)) + deltaText(rest)).toBe(texts.join(""));
  });

  it("a viewer who leaves is released; the generation goes on", async () => {
    const id = freshId("leave");
    const held = gate();
    const run = persist(ChatModelStream.from(model(["a", "b", "c"], { at: 1, open: held.open })), new DurableStreamLog(stubOf(id)));
    await run.opened;
    await expect.poll(async () => (await new DurableStreamLog(stubOf(id)).snapshot())!.seq, { timeout: 5_000 }).toBeGreaterThan(0);
    const response = await SELF.fetch(`http://viewer/${id}`);
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    await expect.poll(async () => (await stubOf(id).stats()).waitingReads, { timeout: 5_000 }).toBe(1);
    await reader.cancel();
    await expect.poll(async () => (await stubOf(id).stats()).waitingReads, { timeout: 5_000 }).toBe(0);
    held.release();
    expect((await run).status).toBe("finished");
  });

  it("a viewer who reconnects from a row the object lost in a restart gets the stored end (failed), not a 400", async () => {
    const id = freshId("lost-row");
    const log = new DurableStreamLog(stubOf(id));
    await log.open();
    // Row 1 is written at once (64 KiB); row 2 is pending when the object restarts, and lost.
    await log.append({ seq: 1, events: [...START, delta("x".repeat(64 * 1024))] });
    await log.append({ seq: 2, events: [delta("lost "), delta("too ")] });
    const viewer = SELF.fetch(`http://viewer/${id}`);
    const reader = (await viewer).body!.getReader();
    let seen = "";
    while (!seen.includes("id: 2.1")) seen += new TextDecoder().decode((await reader.read()).value);
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    await reader.cancel().catch(() => {});
    // The producer's next row is refused (row 2 is next), and it ends the generation as failed.
    const after = new DurableStreamLog(stubOf(id));
    await expect(after.append({ seq: 3, events: [delta("more")] })).rejects.toMatchObject({ code: "bad_option" });
    await after.fail("failed", { message: "The log refused row 3", code: "bad_option" }, undefined);
    const response = await SELF.fetch(`http://viewer/${id}`, { headers: { "last-event-id": "2.1" } });
    expect({ status: response.status, events: await sseEvents(response) }).toEqual({
      status: 200,
      events: [{ id: "2.2", event: { event: "error", message: "The log refused row 3", code: "bad_option" } }],
    });
  });

  it("an unknown generation is a 404 and leaves no storage behind", async () => {
    const id = freshId("unknown");
    const response = await SELF.fetch(`http://viewer/${id}`);
    expect(response.status).toBe(404);
    await response.body?.cancel();
    expect(await sql(id, "SELECT name FROM sqlite_master WHERE type = 'table'")).toEqual([]);
  });
});

/** A content block's start holding a generated image of `bytes` bytes of base64, as Gemini's image models send it. */
const imageStart = (bytes: number): ProtocolEvent => ({ event: "content-block-start", index: 1, content: { type: "image", mime_type: "image/png", data: "A".repeat(bytes) } });

const FINAL: AIMessage = { type: "ai", content: "Hello", tool_calls: [], invalid_tool_calls: [], response_metadata: {} };

/** The object's storage as `SqlLog` takes it (the tests' types of workerd's are partial). */
const storageOf = (state: { storage: unknown }): SqlLogStorage => state.storage as SqlLogStorage;

/** `storage`, whose SQL refuses (as SQLite refuses a value over its limit) the INSERTs `refuse` picks while it is set. */
function refusing(storage: SqlLogStorage): { storage: SqlLogStorage; refuse: ((bindings: unknown[]) => boolean) | undefined } {
  const wrapper = {
    refuse: undefined as ((bindings: unknown[]) => boolean) | undefined,
    storage: {
      sql: {
        exec: (query: string, ...bindings: (ArrayBuffer | string | number | null)[]) => {
          if (query.startsWith("INSERT") && wrapper.refuse?.(bindings) === true) throw new Error("string or blob too big: SQLITE_TOOBIG");
          return storage.sql.exec(query, ...bindings);
        },
      },
      transactionSync: <T>(closure: () => T): T => storage.transactionSync(closure),
      setAlarm: (at: number) => storage.setAlarm(at),
      deleteAll: () => storage.deleteAll(),
    },
  };
  return wrapper;
}

/** Text of about `bytes` bytes of UTF-8 mixing 1-, 2-, 3- and 4-byte characters (a surrogate pair), so that a cut may fall anywhere. */
const mixedText = (bytes: number): string => "aé€😀".repeat(Math.ceil(bytes / 10));

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

describe("StreamLogObject and SQLite's 2 MB limit on a value", () => {
  it("cuts a pack's text into pieces within the budget, never inside a surrogate pair, that join back to it (fast-check, seed 13)", () => {
    const encoder = new TextEncoder();
    const text = fc.array(fc.constantFrom("a", "é", "€", "😀", "\u{10ffff}", '"', "x".repeat(9)), { maxLength: 40 }).map((pieces) => pieces.join(""));
    const values = fc.array(fc.option(text, { nil: null }), { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(values, fc.integer({ min: 4, max: 64 }), (list, budget) => {
        const pieces = cutText(list, budget);
        const bytes = pieces.map((piece) => piece.reduce((sum, value) => sum + (value === null ? 0 : encoder.encode(value).length), 0));
        // A lone surrogate at a piece's edge would be stored as U+FFFD.
        const split = pieces.some((piece) => piece.some((value) => value !== null && (/^[\udc00-\udfff]/.test(value) || /[\ud800-\udbff]$/.test(value))));
        const back = list.map((_, column) => {
          const parts = pieces.map((piece) => piece[column]).filter((value) => value !== null);
          return parts.length === 0 ? null : parts.join("");
        });
        expect({ within: bytes.every((b) => b <= budget), split, back }).toEqual({ within: true, split: false, back: list });
      }),
      { seed: 13, numRuns: 500 },
    );
    // Within the budget at 3 bytes a code unit: one piece, no encoding.
    expect(cutText(["[[1]]", null], 15)).toEqual([["[[1]]", null]]);
    expect(cutText(["[[1]]", null], 4)).toEqual([["[[1]", null], ["]", null]]);
  });

  // SqlLog itself, inside the object (no RPC between): what its storage refuses is a rejection here,
  // not an RPC error that workerd also reports as uncaught.
  it("an append whose pack its storage refuses leaves the log as it was, so the generation still ends and its end is stored", async () => {
    const id = freshId("refused-row");
    const seen = await runInDurableObject(stubOf(id), async (_, state) => {
      const sql = refusing(storageOf(state));
      const log = new SqlLog(sql.storage);
      // local: the object keeps the alarm (no timer of the log's own runs on after the test).
      await log.openWith(DEFAULT_TIMERS, Date.now(), true);
      await log.append({ seq: 1, events: [...START, delta("Hello")] });
      sql.refuse = () => true;
      // 64 KiB: packed (with row 1) at once, which the storage refuses.
      const refused = await log.append({ seq: 2, events: [delta("x".repeat(64 * 1024))] }).then(
        () => "appended",
        (error: unknown) => String(error),
      );
      sql.refuse = undefined;
      const seq = log.snapshotNow()!.seq;
      const rows: number[] = [];
      for await (const row of log.read(0)) rows.push(row.seq);
      // The producer (persist) gives up and ends the generation; that must be stored.
      await log.fail("failed", { message: "The log refused a row" }, FINAL);
      const stored = new SqlLog(storageOf(state)).snapshotNow();
      return { refused: refused.includes("SQLITE_TOOBIG"), seq, rows, stored: { status: stored?.status, seq: stored?.seq } };
    });
    expect(seen).toEqual({ refused: true, seq: 1, rows: [1], stored: { status: "failed", seq: 1 } });
  });

  it("stores a pack cut over several SQL rows whole or not at all: its last SQL row refused, none of them is stored", async () => {
    const id = freshId("refused-piece");
    const seen = await runInDurableObject(stubOf(id), async (_, state) => {
      const sql = refusing(storageOf(state));
      const log = new SqlLog(sql.storage);
      await log.openWith(DEFAULT_TIMERS, Date.now(), true);
      await log.append({ seq: 1, events: [...START, delta("Hello")] });
      // A pack's last SQL row has more = 0 (the last binding); its first ones are written before it.
      let inserts = 0;
      sql.refuse = (bindings) => (inserts++, bindings[bindings.length - 1] === 0);
      const big = delta("x".repeat(5_000_000));
      const refused = await log.append({ seq: 2, events: [big] }).then(
        () => "appended",
        (error: unknown) => String(error),
      );
      sql.refuse = undefined;
      const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'log'").toArray().length;
      await log.append({ seq: 2, events: [big] });
      const rows = state.storage.sql.exec("SELECT count(*) AS n FROM log").toArray()[0]!["n"];
      await log.close(FINAL);
      return { refused: refused.includes("SQLITE_TOOBIG"), inserts, tables, rows, seq: new SqlLog(storageOf(state)).snapshotNow()?.seq };
    });
    // 5 MB in 3 SQL rows; the refused one was the third: the transaction took back the 2 before it and the table.
    expect(seen).toEqual({ refused: true, inserts: 3, tables: 0, rows: 3, seq: 2 });
  });

  it("stores a generation whose answer holds two 1.5 MB generated images: each row, and the final message (3 MB) with the rows pending, read back whole after a restart", async () => {
    const id = freshId("big-answer");
    const first = imageStart(1_500_000);
    const second = { ...imageStart(1_500_000), index: 2 } as ProtocolEvent;
    const blocks = [first, second].map((event) => (event as { content: ContentBlock }).content);
    const final: AIMessage = { ...FINAL, content: [{ type: "text", text: "Hello" }, ...blocks] };
    const rows: LogRow[] = [
      { seq: 1, events: [...START, delta("Hello")] },
      { seq: 2, events: [first] },
      { seq: 3, events: [second] },
      { seq: 4, events: [{ event: "message-finish", reason: "stop" }] },
    ];
    const log = new DurableStreamLog(stubOf(id));
    await log.open();
    for (const row of rows) await log.append(row);
    await log.close(final);
    // Rows 1-2 and 3 packed at once (each over 64 KiB, one SQL row each); the end (row 4 and the 3 MB message) in 2.
    const pieces = await sql(id, "SELECT n, first_seq, last_seq, more, status FROM log ORDER BY n");
    expect(pieces).toEqual([
      { n: 1, first_seq: 1, last_seq: 2, more: 0, status: "running" },
      { n: 2, first_seq: 3, last_seq: 3, more: 0, status: "running" },
      { n: 3, first_seq: 4, last_seq: 4, more: 1, status: "finished" },
      { n: 4, first_seq: 4, last_seq: 4, more: 0, status: "finished" },
    ]);
    const read = async (): Promise<{ snapshot: unknown; rows: LogRow[] }> => {
      const reader = new DurableStreamLog(stubOf(id));
      const back: LogRow[] = [];
      for await (const row of reader.read(0)) back.push(row);
      return { snapshot: await reader.snapshot(), rows: back };
    };
    const expected = { snapshot: expect.objectContaining({ status: "finished", seq: 4, message: final }), rows };
    expect(await read()).toEqual(expected);
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    expect(await read()).toEqual(expected);
  });

  it("stores a single 5 MB row (text of 1- to 4-byte characters) over several SQL rows: a viewer reads it back whole, before and after a restart", async () => {
    const id = freshId("big-row");
    const text = mixedText(5_000_000);
    const log = new DurableStreamLog(stubOf(id));
    await log.open();
    await log.append({ seq: 1, events: [...START, delta(text)] });
    // Packed at once (over 64 KiB): 5 MB of UTF-8 in 3 SQL rows, each within SQLite's 2 MB.
    const pieces = await sql(id, "SELECT more, length(CAST(rows AS BLOB)) AS bytes FROM log ORDER BY n");
    expect({ more: pieces.map((p) => p["more"]), each: pieces.every((p) => (p["bytes"] as number) <= 2_000_000), total: pieces.reduce((sum, p) => sum + (p["bytes"] as number), 0) }).toEqual({
      more: [2, 1, 0],
      each: true,
      total: utf8Bytes(JSON.stringify([[...START, delta(text)]])),
    });
    // A live viewer reads it (from memory), and waits for the end.
    const live = SELF.fetch(`http://viewer/${id}`).then(textOf);
    await expect.poll(async () => (await stubOf(id).stats()).waitingReads, { timeout: 5_000 }).toBe(1);
    await log.append({ seq: 2, events: [{ event: "content-block-finish", index: 0, content: { type: "text", text } }, { event: "message-finish", reason: "stop" }] });
    await log.close({ ...FINAL, content: text });
    expect(await live).toBe(text);
    expect(await textOf(await SELF.fetch(`http://viewer/${id}`))).toBe(text);
    await runInDurableObject(stubOf(id), (_, state) => state.abort("restart")).catch(() => {});
    expect(await textOf(await SELF.fetch(`http://viewer/${id}`))).toBe(text);
    expect(await new DurableStreamLog(stubOf(id)).snapshot()).toMatchObject({ status: "finished", seq: 2, message: { content: text } });
  });
});

describe("DurableStreamLog.stopped", () => {
  it("calls the object no more once its signal aborted, though a failed call's retry was waiting", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const calls: string[] = [];
      // An object that restarted: its pending stopped() call fails (then the log waits 100 ms to call again).
      const stub = {
        stopped: () => {
          calls.push("stopped");
          return Promise.reject(new Error("The object restarted"));
        },
        unlisten: () => {
          calls.push("unlisten");
          return Promise.resolve({ ok: true });
        },
      } as unknown as StreamLogObjectStub;
      const listening = new AbortController();
      const stopped = new DurableStreamLog(stub).stopped(listening.signal);
      await vi.advanceTimersByTimeAsync(0);
      // The producer finished while the retry waited: it no longer listens.
      listening.abort();
      expect(await stopped).toBeUndefined();
      await vi.advanceTimersByTimeAsync(5_000);
      // A call made now would stay pending in the object until the generation ends, for nobody.
      expect(calls).toEqual(["stopped", "unlisten"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
