// The StreamLog contract as a suite every engine runs (MemoryLog, the Durable Object engine, Redis):
// `describeStreamLogContract("memory", (id) => store.log(id))`. Web-standard APIs only: it runs in
// Node and in workerd. Each test uses fresh log ids, so engines need no cleanup between tests.
import { describe, expect, it } from "vitest";
import type { AIMessage, ProtocolEvent } from "../src/protocol.ts";
import type { LogRow, StreamLog } from "../src/log/stream-log.ts";
import { failure as rejection, readAll } from "./helpers.ts";

/** Options of `describeStreamLogContract`. */
export interface StreamLogContractOptions {
  /** Per-test timeout in milliseconds (engines over a network or a Durable Object may need more). */
  timeoutMs?: number;
  /**
   * How many reads the engine still holds for log `id` (waiting live readers, subscriptions,
   * connections): checked to drop back to 0 after reads are cancelled. Leave it out when the
   * engine cannot say.
   */
  heldReads?: (id: string) => number | Promise<number>;
  /** A prefix for the log ids the suite makes (default: the engine's name). */
  idPrefix?: string;
}

const message: AIMessage = {
  type: "ai",
  id: "m1",
  content: [{ type: "text", text: "Hello, wörld 👋", index: 0 }],
  tool_calls: [],
  invalid_tool_calls: [],
  usage_metadata: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
  response_metadata: { finish_reason: "stop", output_version: "v1" },
};

const partial: AIMessage = {
  type: "ai",
  content: "Hel",
  tool_calls: [],
  invalid_tool_calls: [],
  response_metadata: { output_version: "v1" },
};

function text(index: number, value: string): ProtocolEvent {
  return { event: "content-block-delta", index, delta: { type: "text-delta", text: value } };
}

/** Row `seq` with a few events, some of them awkward for storage (non-ASCII, line breaks, nesting). */
function row(seq: number, size = 2): LogRow {
  const events: ProtocolEvent[] = [];
  if (seq === 1) events.push({ event: "message-start", id: "m1", metadata: { model_provider: "test", nested: { a: [1, null, "x"] } } });
  for (let i = 0; i < size; i++) events.push(text(0, `r${seq}.${i} ü\n"😀"\u2028`));
  return { seq, events };
}

const finish: ProtocolEvent = { event: "message-finish", reason: "stop" };

function seqs(rows: readonly LogRow[]): number[] {
  return rows.map((r) => r.seq);
}

/**
 * The contract every `StreamLog` engine passes. `makeLog(id)` gives a handle to log `id`; two calls
 * with one id must reach the same generation (as two isolates or two servers would).
 */
export function describeStreamLogContract(
  engine: string,
  makeLog: (id: string) => StreamLog | Promise<StreamLog>,
  options: StreamLogContractOptions = {},
): void {
  const timeout = options.timeoutMs ?? 10_000;
  const prefix = options.idPrefix ?? engine;
  let n = 0;
  const freshId = (): string => `${prefix}-contract-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${++n}`;
  /** A new, opened log. */
  const opened = async (): Promise<{ id: string; log: StreamLog }> => {
    const id = freshId();
    const log = await makeLog(id);
    await log.open();
    return { id, log };
  };
  /** A log with rows 1..count appended. */
  const withRows = async (count: number): Promise<{ id: string; log: StreamLog; rows: LogRow[] }> => {
    const { id, log } = await opened();
    const rows: LogRow[] = [];
    for (let seq = 1; seq <= count; seq++) {
      const r = row(seq);
      rows.push(r);
      await log.append(r);
    }
    return { id, log, rows };
  };

  describe(`StreamLog contract: ${engine}`, { timeout }, () => {
    describe("open, append, close, fail, snapshot", () => {
      it("a log that was never opened has no snapshot", async () => {
        const log = await makeLog(freshId());
        expect(await log.snapshot()).toBeUndefined();
      });

      it("an opened log is running at seq 0, with its start time", async () => {
        const before = Date.now();
        const { log } = await opened();
        const snapshot = await log.snapshot();
        expect(snapshot).toMatchObject({ status: "running", seq: 0 });
        expect(snapshot!.startedAt).toBeGreaterThanOrEqual(before - 1000);
        expect(snapshot!.endedAt).toBeUndefined();
      });

      it("opening a log that exists rejects (another producer has it)", async () => {
        const { id } = await opened();
        const other = await makeLog(id);
        await expect(other.open()).rejects.toBeInstanceOf(Error);
      });

      it("each append moves the snapshot's seq", async () => {
        const { log } = await withRows(3);
        expect((await log.snapshot())!.seq).toBe(3);
      });

      it("a row whose seq is not the next one is refused with a TypeError (bad_option)", async () => {
        const { log } = await withRows(2);
        for (const seq of [2, 4, 0]) {
          const error = await rejection(log.append(row(seq)));
          expect(error).toBeInstanceOf(TypeError);
          expect((error as { code?: unknown }).code).toBe("bad_option");
        }
        expect((await log.snapshot())!.seq).toBe(2);
      });

      it("close stores the final message, status finished, with its end time", async () => {
        const { log } = await withRows(1);
        await log.append({ seq: 2, events: [finish] });
        await log.close(message);
        const snapshot = await log.snapshot();
        expect(snapshot).toMatchObject({ status: "finished", seq: 2, message });
        expect(snapshot!.endedAt).toBeGreaterThanOrEqual(snapshot!.startedAt);
        expect(snapshot!.failure).toBeUndefined();
      });

      it("fail stores the status, the failure and the partial message", async () => {
        const { log } = await withRows(1);
        await log.fail("failed", { message: "upstream went away", code: "source_error" }, partial);
        expect(await log.snapshot()).toMatchObject({
          status: "failed",
          seq: 1,
          failure: { message: "upstream went away", code: "source_error" },
          message: partial,
        });
      });

      it("a stopped generation is aborted; a failure without code or partial keeps neither", async () => {
        const { log } = await opened();
        await log.fail("aborted", { message: "Stopped" }, undefined);
        const snapshot = await log.snapshot();
        expect(snapshot).toMatchObject({ status: "aborted", failure: { message: "Stopped" } });
        expect(snapshot!.message).toBeUndefined();
        expect(snapshot!.failure!.code).toBeUndefined();
      });

      it("append after the end is refused with a TypeError (invalid_state), and changes nothing", async () => {
        for (const end of ["close", "fail"] as const) {
          const { log } = await withRows(1);
          if (end === "close") await log.close(message);
          else await log.fail("failed", { message: "x" }, partial);
          const error = await rejection(log.append(row(2)));
          expect(error).toBeInstanceOf(TypeError);
          expect((error as { code?: unknown }).code).toBe("invalid_state");
          expect((await log.snapshot())!.seq).toBe(1);
        }
      });

      it("closing or failing an ended log is refused (invalid_state) and keeps the first end", async () => {
        const { log } = await withRows(1);
        await log.close(message);
        const error = await rejection(log.fail("failed", { message: "late" }, partial));
        expect((error as { code?: unknown }).code).toBe("invalid_state");
        expect((await log.snapshot())!.status).toBe("finished");
      });

      it("a second handle of the same id sees the same generation", async () => {
        const { id, log } = await withRows(2);
        const other = await makeLog(id);
        expect((await other.snapshot())!.seq).toBe(2);
        await log.close(message);
        expect(await other.snapshot()).toMatchObject({ status: "finished", message });
      });
    });

    describe("read", () => {
      it("gives the stored rows in order, equal to what was appended, and closes", async () => {
        const { log, rows } = await withRows(3);
        expect(await readAll(log.read(0))).toEqual(rows);
      });

      it("gives only the rows strictly after `after`", async () => {
        const { log, rows } = await withRows(5);
        expect(seqs(await readAll(log.read(2)))).toEqual([3, 4, 5]);
        expect(await readAll(log.read(4))).toEqual([rows[4]]);
        expect(await readAll(log.read(5))).toEqual([]);
        expect(await readAll(log.read(9))).toEqual([]);
      });

      it("a row of many events and large strings comes back whole", async () => {
        const { log } = await opened();
        const big: LogRow = { seq: 1, events: Array.from({ length: 300 }, (_, i) => text(i % 3, "x".repeat(i * 10) + "é")) };
        await log.append(big);
        expect(await readAll(log.read(0))).toEqual([big]);
      });

      it("a second handle reads what the first appended", async () => {
        const { id, rows } = await withRows(3);
        const other = await makeLog(id);
        expect(await readAll(other.read(1))).toEqual(rows.slice(1));
      });

      it("reading a log that does not exist errors with a TypeError (not_found)", async () => {
        const log = await makeLog(freshId());
        for (const live of [false, true]) {
          const error = await rejection(readAll(log.read(0, { live })));
          expect(error).toBeInstanceOf(TypeError);
          expect((error as { code?: unknown }).code).toBe("not_found");
        }
      });

      it("a finished generation replays and ends, live or not", async () => {
        const { log, rows } = await withRows(2);
        await log.close(message);
        expect(await readAll(log.read(0, { live: true }))).toEqual(rows);
        expect(await readAll(log.read(1, { live: true }))).toEqual([rows[1]]);
        expect(await readAll(log.read(2, { live: true }))).toEqual([]);
      });

      it("a failed generation replays and ends, live or not", async () => {
        const { log, rows } = await withRows(2);
        await log.fail("aborted", { message: "Stopped", code: "aborted" }, partial);
        expect(await readAll(log.read(0, { live: true }))).toEqual(rows);
      });

      it("without live, a running log's read closes after the rows stored now", async () => {
        const { log } = await withRows(2);
        expect(seqs(await readAll(log.read(0)))).toEqual([1, 2]);
      });
    });

    describe("live read", () => {
      it("gives the stored rows, then each row appended later, and closes at close", async () => {
        const { log } = await withRows(1);
        const reading = readAll(log.read(0, { live: true }));
        for (let seq = 2; seq <= 5; seq++) {
          await log.append(row(seq));
          // Let the reader catch up between some appends and not others.
          if (seq % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await log.close(message);
        expect(seqs(await reading)).toEqual([1, 2, 3, 4, 5]);
      });

      it("a reader that waits on an empty running log gets the first row when it comes", async () => {
        const { log } = await opened();
        const reader = log.read(0, { live: true }).getReader();
        const first = reader.read();
        await log.append(row(1));
        expect((await first).value).toEqual(row(1));
        await log.close(message);
        expect((await reader.read()).done).toBe(true);
      });

      it("closes at fail too, after every row", async () => {
        const { log } = await withRows(1);
        const reading = readAll(log.read(0, { live: true }));
        await log.append(row(2));
        await log.fail("failed", { message: "boom" }, partial);
        expect(seqs(await reading)).toEqual([1, 2]);
      });

      it("a live reader on another handle gets rows appended on the first", async () => {
        const { id, log } = await withRows(1);
        const other = await makeLog(id);
        const reading = readAll(other.read(1, { live: true }));
        await log.append(row(2));
        await log.append(row(3));
        await log.close(message);
        expect(seqs(await reading)).toEqual([2, 3]);
      });

      it("a slow reader still gets every row, in order", async () => {
        const { log } = await opened();
        const stream = log.read(0, { live: true });
        for (let seq = 1; seq <= 40; seq++) await log.append(row(seq, 1));
        await log.close(message);
        const got: number[] = [];
        const reader = stream.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          got.push(value.seq);
          if (value.seq % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      });

      it("many concurrent readers, from every offset, each get the same rows", async () => {
        const { id, log } = await withRows(2);
        const handles = await Promise.all(Array.from({ length: 24 }, async (_, i) => (i % 2 === 0 ? log : await makeLog(id))));
        const readers = handles.map((handle, i) => readAll(handle.read(i % 4, { live: true })));
        for (let seq = 3; seq <= 8; seq++) await log.append(row(seq));
        await log.close(message);
        const results = await Promise.all(readers);
        results.forEach((rows, i) => {
          expect(seqs(rows)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].filter((s) => s > i % 4));
        });
      });
    });

    describe("cancelled reads", () => {
      it("aborting the signal errors the read with the signal's reason", async () => {
        const { log } = await withRows(1);
        const controller = new AbortController();
        const reader = log.read(0, { live: true, signal: controller.signal }).getReader();
        expect((await reader.read()).value!.seq).toBe(1);
        const waiting = reader.read();
        const reason = new Error("viewer left");
        controller.abort(reason);
        expect(await rejection(waiting)).toBe(reason);
      });

      it("a signal aborted before the read errors it at once", async () => {
        const { log } = await withRows(1);
        const reason = new Error("gone already");
        expect(await rejection(readAll(log.read(0, { live: true, signal: AbortSignal.abort(reason) })))).toBe(reason);
      });

      it("cancelled and aborted reads release what they held, and the log goes on", async () => {
        const { id, log } = await withRows(1);
        const controllers = Array.from({ length: 10 }, () => new AbortController());
        const readers = controllers.map((c) => log.read(0, { live: true, signal: c.signal }).getReader());
        // Each waits for row 2.
        await Promise.all(readers.map((r) => r.read()));
        const waits = readers.map((r) => r.read().catch(() => "cancelled"));
        readers.forEach((r, i) => {
          if (i % 2 === 0) void r.cancel("left").catch(() => {});
          else controllers[i]!.abort(new Error("left"));
        });
        await Promise.all(waits);
        if (options.heldReads !== undefined) {
          await expect.poll(() => options.heldReads!(id), { timeout: timeout / 2 }).toBe(0);
        }
        const late = readAll(log.read(0, { live: true }));
        await log.append(row(2));
        await log.close(message);
        expect(seqs(await late)).toEqual([1, 2]);
        if (options.heldReads !== undefined) {
          await expect.poll(() => options.heldReads!(id), { timeout: timeout / 2 }).toBe(0);
        }
      });
    });

    describe("stop", () => {
      it("a stop on another handle reaches the producer's stopped() with its reason", async () => {
        const { id, log } = await opened();
        const listening = new AbortController();
        const stopped = log.stopped(listening.signal);
        const other = await makeLog(id);
        await other.stop("user pressed Stop");
        expect(await stopped).toBe("user pressed Stop");
        listening.abort();
      });

      it("stop without a reason still resolves stopped() with a string", async () => {
        const { id, log } = await opened();
        const listening = new AbortController();
        const stopped = log.stopped(listening.signal);
        await (await makeLog(id)).stop();
        expect(typeof (await stopped)).toBe("string");
        listening.abort();
      });

      it("stopped() resolves with undefined once its signal aborts", async () => {
        const { log } = await opened();
        const listening = new AbortController();
        const stopped = log.stopped(listening.signal);
        listening.abort();
        expect(await stopped).toBeUndefined();
      });

      it("a stop asked before the producer listens is not lost while the generation runs", async () => {
        const { id, log } = await opened();
        await (await makeLog(id)).stop("early");
        const listening = new AbortController();
        expect(await log.stopped(listening.signal)).toBe("early");
        listening.abort();
      });

      it("stop after the end is a no-op", async () => {
        const { id, log } = await withRows(1);
        await log.close(message);
        await (await makeLog(id)).stop("too late");
        expect(await log.snapshot()).toMatchObject({ status: "finished", message });
      });

      it("every listener of the generation hears one stop", async () => {
        const { id, log } = await opened();
        const listening = new AbortController();
        const both = Promise.all([log.stopped(listening.signal), (await makeLog(id)).stopped(listening.signal)]);
        await log.stop("both");
        expect(await both).toEqual(["both", "both"]);
        listening.abort();
      });
    });
  });
}
