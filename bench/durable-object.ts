/**
 * Durable streams (issue 13) on the Durable Object engine's log, `SqlLog`, the code a
 * `StreamLogObject` runs: the JavaScript heap the object holds for 100 live viewers of one answer,
 * each answered by `resumeResponse` as the object's `fetch` does. workerd has no heap API, so this
 * runs the same code in Node over a stand-in for `ctx.storage.sql` (a few statements, the rows in a
 * Map that is there before the viewers come, so that it does not count): the heap after a full
 * collection with the viewers attached and waiting for the next row, minus the heap without them.
 * The SQL rows written are counted as the object counts them (what its cursors report, here what
 * SQLite would: 2 per table created, 1 per row inserted or updated).
 */
import { ChatModelStream, persist, resumeResponse } from "../src/index.ts";
import { SqlLog, type SqlLogStorage } from "../src/log/sql-log.ts";
import { answer, type DurableRow } from "./durable.ts";

type Value = ArrayBuffer | string | number | null;
type Row = Record<string, Value>;

/** The statements SqlLog runs, on Maps. */
class SqlStandIn {
  readonly tables = new Set<string>();
  meta: Row | undefined;
  readonly rows = new Map<number, Row>();

  exec(query: string, ...b: Value[]): { toArray(): Row[]; rowsWritten: number } {
    const result = (rows: Row[], rowsWritten = 0): { toArray(): Row[]; rowsWritten: number } => ({ toArray: () => rows, rowsWritten });
    const q = query.replace(/\s+/g, " ").trim();
    const created = /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(q);
    if (created !== null) {
      const fresh = !this.tables.has(created[1]!);
      this.tables.add(created[1]!);
      return result([], fresh ? 2 : 0);
    }
    if (q.startsWith("SELECT name FROM sqlite_master")) return result(this.tables.has("meta") ? [{ name: "meta" }] : []);
    if (q.startsWith("INSERT INTO meta")) {
      this.meta = { id: 1, status: "running", started_at: b[0]!, ended_at: null, message: null, failure: null, stop_reason: null, retention_ms: b[1]!, producer_timeout_ms: b[2]! };
      return result([], 1);
    }
    if (q.startsWith("INSERT INTO packs")) {
      this.rows.set(b[0] as number, { first_seq: b[0]!, last_seq: b[1]!, at: b[2]!, rows: b[3]! });
      return result([], 1);
    }
    if (q.startsWith("UPDATE meta SET status")) {
      Object.assign(this.meta!, { status: b[0]!, ended_at: b[1]!, message: b[2]!, failure: b[3]! });
      return result([], 1);
    }
    if (q.startsWith("UPDATE meta SET stop_reason")) {
      this.meta!["stop_reason"] = b[0]!;
      return result([], 1);
    }
    if (q.startsWith("SELECT * FROM meta")) return result(this.meta === undefined ? [] : [{ ...this.meta }]);
    if (q.startsWith("SELECT last_seq, at FROM packs ORDER BY first_seq DESC")) {
      const last = [...this.rows.values()].at(-1);
      return result(last === undefined ? [] : [{ last_seq: last["last_seq"]!, at: last["at"]! }]);
    }
    if (q.startsWith("SELECT first_seq, rows FROM packs WHERE last_seq >")) {
      const after = b[0] as number;
      return result([...this.rows.values()].filter((r) => (r["last_seq"] as number) > after).slice(0, 4));
    }
    throw new Error(`SqlStandIn: ${q}`);
  }
}

function heap(): number {
  const { gc } = globalThis as unknown as { gc: () => void };
  gc();
  gc();
  return (globalThis as unknown as { process: { memoryUsage(): { heapUsed: number } } }).process.memoryUsage().heapUsed;
}

/** The Durable Object engine's rows of `npm run bench`: measured twice, the first run warms up (compiles) the code. */
export async function durableObjectRows(): Promise<DurableRow[]> {
  await measure();
  return measure();
}

async function measure(): Promise<DurableRow[]> {
  const sql = new SqlStandIn();
  const storage: SqlLogStorage = { sql, setAlarm: async () => {}, deleteAll: async () => {} };
  const log = new SqlLog(storage);
  const events = answer();
  // The answer up to its middle is stored; the producer then waits, and so do the viewers.
  const half = Math.floor(events.length / 2);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  async function* source(): AsyncGenerator<ProtocolEventOf<typeof events>> {
    for (let i = 0; i < events.length; i++) {
      if (i === half) await held;
      yield events[i]!;
    }
  }
  const run = persist(ChatModelStream.from(source()), log);
  await run.opened;
  // Until the first half is stored (the pending row goes out 50 ms after its first event).
  while ((await log.snapshot())!.seq === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 100));

  const before = heap();
  const viewers = Array.from({ length: 100 }, () => resumeResponse(log, new Request("http://bench/"), { heartbeatMs: 0 }));
  const readers = (await Promise.all(viewers)).map((response) => response.body!.getReader());
  // Each viewer reads what is stored, then waits for the next row.
  await Promise.all(readers.map((reader) => reader.read()));
  const reading = readers.map(async (reader) => {
    while (!(await reader.read()).done);
  });
  while (log.stats.waitingReads < 100) await new Promise((resolve) => setTimeout(resolve, 1));
  const withViewers = heap();
  release();
  const snapshot = await run;
  await Promise.all(reading);
  return [
    { case: "Durable Object: JS heap for 100 live viewers (per viewer)", value: (withViewers - before) / 100 / 1024, unit: " KiB" },
    { case: "Durable Object: SQL rows written for the 1,000-delta answer (its packs of rows + 6)", value: log.stats.rowsWritten, unit: " rows" },
    { case: "Durable Object: stored rows of it, all in memory for live viewers", value: Math.min(log.stats.tailRows, snapshot.seq), unit: " rows", limit: 10 },
  ];
}

type ProtocolEventOf<T> = T extends readonly (infer E)[] ? E : never;
