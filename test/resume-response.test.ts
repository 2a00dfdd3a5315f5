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

  it("ids are <seq>.<k>, event k of row seq, and the events are the stored ones", async () => {
    const log = await finishedLog();
    const got = messages(await (await resumeResponse(log, request())).text());
    expect(got.slice(0, 3).map((m) => m.id)).toEqual(["1.0", "1.1", "2.0"]);
    expect(got.map((m) => m.data)).toEqual(message);
    expect(got.every((m) => m.event === m.data.event)).toBe(true);
  });

  it("each row is one chunk of bytes", async () => {
    const log = await finishedLog();
    const chunks = await readAll((await resumeResponse(log, request())).body!);
    expect(chunks.length).toBe((await log.snapshot())!.seq);
    expect(chunks.every((c) => c instanceof Uint8Array)).toBe(true);
  });

  it("after every id, Last-Event-ID resumes at exactly the next event", async () => {
    const log = await finishedLog();
    const all = messages(await (await resumeResponse(log, request())).text());
    for (const [i, m] of all.entries()) {
      const rest = messages(await (await resumeResponse(log, request({ lastEventId: m.id }))).text());
      expect(rest.map((r) => r.id)).toEqual(all.slice(i + 1).map((r) => r.id));
    }
  });

  it("?offset= does the same for clients that cannot set headers; Last-Event-ID wins over it", async () => {
    const log = await finishedLog();
    const byQuery = messages(await (await resumeResponse(log, request({ offset: "3.0" }))).text());
    expect(byQuery[0]!.id).toBe("3.1");
    const both = messages(await (await resumeResponse(log, request({ offset: "1.0", lastEventId: "5.1" }))).text());
    expect(both[0]!.id).toBe("6.0");
  });

  it("a bare row number means after that whole row", async () => {
    const log = await finishedLog();
    const rest = messages(await (await resumeResponse(log, request({ offset: "2" }))).text());
    expect(rest[0]!.id).toBe("3.0");
  });

  it("an unknown log is a 404 with a JSON body (code not_found)", async () => {
    const response = await resumeResponse(store.log("never"), request());
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("a malformed offset, or one past the last row, is a 400", async () => {
    const log = await finishedLog();
    for (const offset of ["abc", "1.x", "-1", "1.2.3", "99"]) {
      const response = await resumeResponse(log, request({ offset }));
      expect(response.status, offset).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "bad_input" } });
    }
  });

  it("a log that ended without a terminal event gets a closing error from its stored failure", async () => {
    const log = store.log(`r${++n}`);
    await log.open();
    await log.append({ seq: 1, events: message.slice(0, 3) });
    await log.fail("failed", { message: "the producer vanished", code: "producer_lost" }, undefined);
    const got = messages(await (await resumeResponse(log, request())).text());
    expect(got.at(-1)).toEqual({ id: "1.3", event: "error", data: { event: "error", message: "the producer vanished", code: "producer_lost" } });
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
