// resumeResponse: a stored generation as SSE from a viewer's offset, then live.
import { describe, expect, it } from "vitest";
import { ChatModelStream, fromResponse } from "../src/index.ts";
import { MemoryLogStore } from "../src/log/memory-log.ts";
import { persist } from "../src/log/persist.ts";
import { resumeResponse } from "../src/log/resume-response.ts";
import type { LogRow, StreamLog } from "../src/log/stream-log.ts";
import { readAll, textMessage, type Event } from "./helpers.ts";

const store = new MemoryLogStore();
let n = 0;

const deltas = Array.from({ length: 12 }, (_, i) => `part ${i}, `);
const message = textMessage(...deltas);

/** A finished log whose rows are small (one per two deltas), so that offsets fall inside and between rows. */
async function finishedLog(): Promise<StreamLog> {
  const log = store.log(`r${++n}`);
  await log.open();
  const rows: Event[][] = [[message[0]!, message[1]!]];
  for (let i = 2; i < message.length; i += 2) rows.push(message.slice(i, i + 2));
  for (const [i, events] of rows.entries()) await log.append({ seq: i + 1, events });
  await log.close(await ChatModelStream.from(message).output);
  return log;
}

function textOf(list: readonly Event[]): string {
  return list.map((e) => (e.event === "content-block-delta" && e.delta.type === "text-delta" ? e.delta.text : "")).join("");
}

function request(init: { offset?: string; lastEventId?: string; signal?: AbortSignal } = {}): Request {
  const url = init.offset === undefined ? "http://example.test/chat" : `http://example.test/chat?offset=${encodeURIComponent(init.offset)}`;
  const headers = init.lastEventId === undefined ? {} : { "last-event-id": init.lastEventId };
  return new Request(url, init.signal === undefined ? { headers } : { headers, signal: init.signal });
}

/** The SSE messages of a body: id, event name and the parsed data. */
function messages(text: string): { id: string; event: string; data: Event }[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("id: "))
    .map((block) => {
      const [id, event, data] = block.split("\n");
      return { id: id!.slice(4), event: event!.slice(7), data: JSON.parse(data!.slice(6)) as Event };
    });
}

describe("resumeResponse: replay", () => {
  it("a finished generation replays as SSE that fromResponse reads back to the same message", async () => {
    const log = await finishedLog();
    const response = await resumeResponse(log, request());
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await fromResponse(response).output).toEqual(await ChatModelStream.from(message).output);
  });

  it("ids are <seq>.<k>: a replay merges the deltas of many rows, each merged delta with the id of its last", async () => {
    const log = await finishedLog();
    const got = messages(await (await resumeResponse(log, request())).text());
    // message-start and the block's start (row 1), one delta for the twelve (rows 2–7), the finish (row 8).
    expect(got.map((m) => m.id)).toEqual(["1.0", "1.1", "7.1", "8.0"]);
    expect(textOf(got.map((m) => m.data))).toBe(deltas.join(""));
    expect(got.every((m) => m.event === m.data.event)).toBe(true);
  });

  it("a stored generation replays as one chunk of bytes, not one per row or per delta", async () => {
    const log = await finishedLog();
    const chunks = await readAll((await resumeResponse(log, request())).body!);
    expect(chunks.length).toBe(1);
    expect(chunks[0]).toBeInstanceOf(Uint8Array);
  });

  it("after every stored event's id, Last-Event-ID resumes at exactly the next event", async () => {
    const log = await finishedLog();
    const rows = await readAll(log.read(0));
    const stored = rows.flatMap((row) => row.events.map((data, k) => ({ id: `${row.seq}.${k}`, data: data as Event })));
    for (const [i, m] of stored.entries()) {
      const rest = messages(await (await resumeResponse(log, request({ lastEventId: m.id }))).text());
      const expected = stored.slice(i + 1).map((e) => e.data);
      expect(textOf(rest.map((r) => r.data)), m.id).toBe(textOf(expected));
      expect(rest.at(-1)?.data.event ?? "nothing").toBe(expected.length === 0 ? "nothing" : "message-finish");
      if (expected.length > 0) expect(rest.at(-1)!.id).toBe(stored.at(-1)!.id);
    }
  });

  it("?offset= does the same for clients that cannot set headers; Last-Event-ID wins over it", async () => {
    const log = await finishedLog();
    const byQuery = messages(await (await resumeResponse(log, request({ offset: "3.0" }))).text());
    expect(textOf(byQuery.map((m) => m.data))).toBe(deltas.slice(3).join(""));
    const both = messages(await (await resumeResponse(log, request({ offset: "1.0", lastEventId: "5.1" }))).text());
    expect(textOf(both.map((m) => m.data))).toBe(deltas.slice(8).join(""));
  });

  it("a bare row number means after that whole row", async () => {
    const log = await finishedLog();
    const rest = messages(await (await resumeResponse(log, request({ offset: "2" }))).text());
    expect(textOf(rest.map((m) => m.data))).toBe(deltas.slice(2).join(""));
  });

  it("an unknown log is a 404 with a JSON body (code not_found)", async () => {
    const response = await resumeResponse(store.log("never"), request());
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("a malformed offset, or one past the last row of a running generation, is a 400", async () => {
    const log = await finishedLog();
    for (const offset of ["abc", "1.x", "-1", "1.2.3"]) {
      const response = await resumeResponse(log, request({ offset }));
      expect(response.status, offset).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "bad_input" } });
    }
    const running = store.log(`r${++n}`);
    await running.open();
    await running.append({ seq: 1, events: message.slice(0, 3) });
    const response = await resumeResponse(running, request({ offset: "2" }));
    expect([response.status, await response.json()]).toEqual([400, { error: { message: "offset 2 is past the last row (1)", code: "bad_input" } }]);
  });

  it("a log that ended without a terminal event gets a closing error from its stored failure", async () => {
    const log = store.log(`r${++n}`);
    await log.open();
    await log.append({ seq: 1, events: message.slice(0, 3) });
    await log.fail("failed", { message: "the producer vanished", code: "producer_lost" }, undefined);
    const got = messages(await (await resumeResponse(log, request())).text());
    expect(got.at(-1)).toEqual({ id: "1.3", event: "error", data: { event: "error", message: "the producer vanished", code: "producer_lost" } });
  });

  it("after a bare row number that is the last row, the closing error gets an id past that row's events", async () => {
    const log = store.log(`r${++n}`);
    await log.open();
    await log.append({ seq: 1, events: message.slice(0, 3) });
    await log.fail("failed", { message: "the producer vanished" }, undefined);
    const got = messages(await (await resumeResponse(log, request({ offset: "1" }))).text());
    expect(got).toEqual([{ id: "1.3", event: "error", data: { event: "error", message: "the producer vanished" } }]);
  });
});

// Rows a viewer had can be missing from the log: a Durable Object that restarts loses the rows it
// had not written yet (its last 5 s), and its producer then ends the generation (its next append is
// refused) or the alarm does. A viewer that reconnects from such a row gets the stored end.
describe("resumeResponse: an offset past what an ended generation stored", () => {
  const finish = message.at(-1)!;

  it("a finished generation: its stored end (the terminal event of its last row) under an id past the offset", async () => {
    const log = await finishedLog();
    const got = async (offset: string): Promise<{ id: string; data: Event }[]> => messages(await (await resumeResponse(log, request({ offset }))).text()).map(({ id, data }) => ({ id, data }));
    expect({ bare: await got("99"), event: await got("99.2"), inRow: await got("8.5"), had: await got("8.0") }).toEqual({
      bare: [{ id: "100.0", data: finish }],
      event: [{ id: "99.3", data: finish }],
      // Row 8 stored has one event: an id naming its sixth was of a row that was lost.
      inRow: [{ id: "8.6", data: finish }],
      // A viewer that had the end gets nothing more.
      had: [],
    });
  });

  it("a failed generation whose rows have no terminal event: the closing error from its stored failure, under an id past the offset", async () => {
    const log = store.log(`r${++n}`);
    await log.open();
    await log.append({ seq: 1, events: message.slice(0, 3) });
    await log.fail("failed", { message: "row 3 must be 2", code: "bad_option" }, undefined);
    for (const [offset, id] of [["4.1", "4.2"], ["1.7", "1.8"], ["2", "3.0"]] as const) {
      const got = messages(await (await resumeResponse(log, request({ lastEventId: offset }))).text());
      expect(got, offset).toEqual([{ id, event: "error", data: { event: "error", message: "row 3 must be 2", code: "bad_option" } }]);
    }
  });

  it("fromResponse whose reconnect names a row the log lost ends with the stored failure instead of a 400", async () => {
    // The viewer's first connection read rows 1-3; the log kept row 1 (2-3 were lost) and failed.
    const before = store.log(`r${++n}`);
    await before.open();
    for (let seq = 1; seq <= 3; seq++) await before.append({ seq, events: message.slice(seq === 1 ? 0 : seq, seq === 1 ? 2 : seq + 1) });
    const after = store.log(`r${++n}`);
    await after.open();
    await after.append({ seq: 1, events: message.slice(0, 2) });
    await after.fail("failed", { message: "The object restarted: rows were lost", code: "timeout" }, undefined);
    const asked: string[] = [];
    const first = await resumeResponse(before, request());
    const reader = first.body!.getReader();
    // The first connection drops once it sent rows 1-3 (row 4 never comes).
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value } = await reader.read();
        controller.enqueue(value!);
        if (new TextDecoder().decode(value).includes("id: 3.0")) {
          void reader.cancel();
          controller.error(new TypeError("network error"));
        }
      },
    });
    const stream = fromResponse(new Response(body, { headers: first.headers }), {
      reconnect: {
        delayMs: 0,
        fetch: (id) => {
          asked.push(id);
          return resumeResponse(after, request({ lastEventId: id }));
        },
      },
    });
    const error = await stream.text.then(
      () => undefined,
      (e: unknown) => e as { message: string; code?: string },
    );
    expect({ asked, error: { message: error?.message, code: error?.code } }).toEqual({
      asked: ["3.0"],
      error: { message: "The object restarted: rows were lost", code: "timeout" },
    });
  });
});

describe("resumeResponse: a log whose storage fails mid-read", () => {
  it("sends the rows it read, then ends without a terminal event, so that the client reconnects", async () => {
    const log = await finishedLog();
    const failing: StreamLog = Object.assign(Object.create(null) as StreamLog, {
      snapshot: () => log.snapshot(),
      read: (after: number) => {
        const rows = log.read(after).getReader();
        let sent = 0;
        return new ReadableStream<LogRow>({
          async pull(controller) {
            if (++sent > 3) return controller.error(new Error("storage down"));
            const { done, value } = await rows.read();
            if (done) controller.close();
            else controller.enqueue(value);
          },
        });
      },
    });
    const got = messages(await (await resumeResponse(failing, request())).text());
    expect(got.at(-1)!.id).toBe("3.1");
    expect(got.some((m) => m.event === "message-finish" || m.event === "error")).toBe(false);
  });
});

describe("resumeResponse: live", () => {
  it("a viewer that joins mid-answer gets the rest as it is written, and the body ends with it", async () => {
    const log = store.log(`live${++n}`);
    const stream = new ChatModelStream();
    const run = persist(stream, log, { flushMs: 1 });
    await run.opened;
    stream.dispatch(message[0]!);
    stream.dispatch(message[1]!);
    const viewers = [fromResponse(await resumeResponse(log, request())), fromResponse(await resumeResponse(log, request()))];
    const texts = viewers.map((v) => v.text.then((t) => t));
    for (const e of message.slice(2)) stream.dispatch(e);
    stream.close();
    await run;
    expect(await Promise.all(texts)).toEqual([deltas.join(""), deltas.join("")]);
  });

  it("each row appended while a viewer waits reaches it as one chunk", async () => {
    const log = store.log(`chunk${++n}`);
    await log.open();
    const reader = (await resumeResponse(log, request())).body!.getReader();
    for (let seq = 1; seq <= 3; seq++) {
      const next = reader.read();
      await log.append({ seq, events: seq === 1 ? message.slice(0, 3) : message.slice(seq + 1, seq + 2) });
      const text = new TextDecoder().decode((await next).value);
      expect(messages(text).map((m) => m.id)).toEqual(seq === 1 ? ["1.0", "1.1", "1.2"] : [`${seq}.0`]);
    }
    await reader.cancel();
  });

  it("a viewer that waits gets : ping heartbeats", async () => {
    const log = store.log(`ping${++n}`);
    await log.open();
    const reader = (await resumeResponse(log, request(), { heartbeatMs: 5 })).body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe(": ping\n\n");
    await reader.cancel();
    expect(store.waitingReads(`ping${n}`)).toBe(0);
  });

  it("request.signal cancels the read and releases it; the generation goes on", async () => {
    const id = `sig${++n}`;
    const log = store.log(id);
    await log.open();
    await log.append({ seq: 1, events: message.slice(0, 2) });
    const viewer = new AbortController();
    const reader = (await resumeResponse(log, request({ signal: viewer.signal }))).body!.getReader();
    await reader.read();
    const next = reader.read();
    await expect.poll(() => store.waitingReads(id)).toBe(1);
    viewer.abort();
    expect((await next).done).toBe(true);
    expect(store.waitingReads(id)).toBe(0);
    expect((await log.snapshot())!.status).toBe("running");
  });

  it("live: false answers with what is stored now", async () => {
    const log = store.log(`now${++n}`);
    await log.open();
    const row: LogRow = { seq: 1, events: message.slice(0, 2) };
    await log.append(row);
    const got = messages(await (await resumeResponse(log, request(), { live: false })).text());
    expect(got.map((m) => m.id)).toEqual(["1.0", "1.1"]);
  });
});
