/**
 * Durable streams (issue 13) on the Durable Object engine.
 *
 * - Storage rows written per 1,000-delta answer (target ≤ 10), in workerd: bench/durable-object-worker.ts
 *   run by Miniflare, its `StreamLogObject` subclass on SQLite storage as a user deploys it, the
 *   bench's answer at 20 ms a delta (50 tokens a second, real time: 20 s) and all at once, with
 *   `persist`'s defaults, the producer inside the object (`stub.start`) and in the Worker
 *   (`DurableStreamLog`). What Durable Objects bill as rows written: the SQL rows its statements
 *   wrote (as their cursors report them, SQLite's schema rows included) plus one per `setAlarm`,
 *   counted by the object (`stats()`). Each run also checks that a viewer reads the whole answer
 *   back after the object restarted.
 * - The JavaScript heap the object holds for 100 live viewers of one answer, each answered by
 *   `resumeResponse` as the object's `fetch` does. This one runs the same
 *   code (`SqlLog`) in Node over a stand-in for `ctx.storage.sql` (its few statements, the rows in a
 *   Map that is there before the viewers come, so that it does not count): the heap after a full
 *   collection with the viewers attached and waiting for the next row, minus the heap without them.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { ChatModelStream, persist, resumeResponse } from "../src/index.ts";
import { SqlLog, type SqlLogStorage } from "../src/log/sql-log.ts";
import { answer, type DurableRow } from "./durable.ts";

type Value = ArrayBuffer | string | number | null;
type Row = Record<string, Value>;

/** The statements SqlLog runs, on a Map. */
class SqlStandIn {
  table = false;
  readonly rows = new Map<number, Row>();

  exec(query: string, ...b: Value[]): { toArray(): Row[]; rowsWritten: number } {
    const result = (rows: Row[], rowsWritten = 0): { toArray(): Row[]; rowsWritten: number } => ({ toArray: () => rows, rowsWritten });
    const q = query.replace(/\s+/g, " ").trim();
    if (q.startsWith("CREATE TABLE IF NOT EXISTS log")) {
      const fresh = !this.table;
      this.table = true;
      return result([], fresh ? 2 : 0);
    }
    if (q.startsWith("SELECT name, sql FROM sqlite_master")) return result(this.table ? [{ name: "log", sql: "CREATE TABLE log (more)" }] : []);
    if (q.startsWith("INSERT INTO log")) {
      const names = /\(([^)]*)\) VALUES/.exec(q)![1]!.split(",").map((name) => name.trim());
      this.rows.set(b[0] as number, Object.fromEntries(names.map((name, i) => [name, b[i]!])));
      return result([], 1);
    }
    if (q.startsWith("SELECT * FROM log WHERE n > coalesce((SELECT n FROM log WHERE n < (SELECT max(n) FROM log) AND more = 0")) {
      // The last pack's SQL rows (the bench's packs are one SQL row each).
      const last = [...this.rows.values()].at(-1);
      return result(last === undefined ? [] : [{ ...last }]);
    }
    if (q.startsWith("SELECT n, first_seq, rows, more FROM log WHERE last_seq >")) {
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

/** The Durable Object engine's rows of `npm run bench`: storage in workerd; the heap measured twice, the first run warms up (compiles) the code. */
export async function durableObjectRows(): Promise<DurableRow[]> {
  const storage = await storageRows();
  await viewersHeap();
  return [...storage, ...(await viewersHeap())];
}

/** What bench/durable-object-worker.ts answers for one generation. */
interface Stored {
  status: string;
  logRows: number;
  packs: number;
  rowsWritten: number;
  alarmsSet: number;
  whole: boolean;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../bench/durable-object-worker.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["node:*", "cloudflare:*"],
    // The Worker takes bench/durable.ts's answer(); that module's fake timers are for Node's runs only.
    plugins: [
      {
        name: "no-fake-timers",
        setup(build) {
          build.onResolve({ filter: /^@sinonjs\/fake-timers$/ }, () => ({ path: "fake-timers", namespace: "unused" }));
          build.onLoad({ filter: /.*/, namespace: "unused" }, () => ({ contents: "export default undefined;" }));
        },
      },
    ],
    write: false,
    logLevel: "error",
  });
  return result.outputFiles[0]!.text;
}

/** The storage rows of the answer at 20 ms a delta and all at once, the producer in the object and in the Worker, all four at the same time. */
async function storageRows(): Promise<DurableRow[]> {
  const mf = new Miniflare({
    modules: true,
    script: await bundle(),
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat", "enable_request_signal"],
    durableObjects: { CHATS: { className: "BenchChats", useSQLite: true } },
  });
  try {
    const base = await mf.ready;
    const run = async (mode: "start" | "worker", delayMs: number): Promise<Stored> => {
      const url = new URL("/", base);
      url.search = new URLSearchParams({ id: `${mode}-${delayMs}`, mode, delayMs: String(delayMs) }).toString();
      const response = await fetch(url);
      if (!response.ok) throw new Error(`durable-object bench ${mode} ${delayMs}: ${response.status} ${await response.text()}`);
      const stored = (await response.json()) as Stored;
      if (stored.status !== "finished" || !stored.whole) throw new Error(`durable-object bench ${mode} ${delayMs}: ${JSON.stringify(stored)}`);
      return stored;
    };
    const [inObject, inWorker, inObjectAtOnce, inWorkerAtOnce] = await Promise.all([run("start", 20), run("worker", 20), run("start", 0), run("worker", 0)]);
    const rows: DurableRow[] = [];
    for (const [name, s, paced] of [
      ["20 ms a delta (50 tok/s), generated in the object (stub.start)", inObject, true],
      ["20 ms a delta (50 tok/s), producer in the Worker (DurableStreamLog)", inWorker, true],
      ["at once, generated in the object", inObjectAtOnce, false],
      ["at once, producer in the Worker", inWorkerAtOnce, false],
    ] as const) {
      const of = `the 1,000-delta answer, ${name}`;
      rows.push({ case: `Durable Object (workerd): storage rows written for ${of} (SQL rows + setAlarm calls)`, value: s.rowsWritten + s.alarmsSet, unit: " rows", limit: 10 });
      if (!paced) continue;
      rows.push({ case: `(no target) Durable Object (workerd): SQL rows written for ${of} (the table's 2 + its packs)`, value: s.rowsWritten, unit: " rows" });
      rows.push({ case: `(no target) Durable Object (workerd): log rows of ${of} (live latency units, kept in memory, written in the packs)`, value: s.logRows, unit: " rows" });
    }
    return rows;
  } finally {
    await mf.dispose();
  }
}

async function viewersHeap(): Promise<DurableRow[]> {
  const sql = new SqlStandIn();
  const storage: SqlLogStorage = { sql, transactionSync: (closure) => closure(), setAlarm: async () => {}, deleteAll: async () => {} };
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
    { case: "(no target) Durable Object: log rows of that answer held in memory for its live viewers (all of them)", value: Math.min(log.stats.tailRows, snapshot.seq), unit: " rows" },
  ];
}

type ProtocolEventOf<T> = T extends readonly (infer E)[] ? E : never;
