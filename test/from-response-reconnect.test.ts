// fromResponse's reconnect: a dropped connection is asked again from the last SSE id, so readers see
// the message with no gap and no duplicate.
import { describe, expect, it } from "vitest";
import { ChatModelStream, fromResponse, HTTPError } from "../src/index.ts";
import { MemoryLogStore } from "../src/log/memory-log.ts";
import { persist } from "../src/log/persist.ts";
import { resumeResponse } from "../src/log/resume-response.ts";
import type { StreamLog } from "../src/log/stream-log.ts";
import { failure, readAll, textMessage, type Event } from "./helpers.ts";

const store = new MemoryLogStore();
let n = 0;
/**
 * Forty deltas that alternate between two text blocks, so that none merges with the one before it
 * and every event stays under 200 bytes: each connection cut at 200 bytes or more brings one.
 */
const answer = [
  { event: "message-start" },
  ...Array.from({ length: 40 }, (_, i) => ({ event: "content-block-delta", index: i % 2, delta: { type: "text-delta", text: `w${i} ` } })),
  { event: "message-finish" },
] as Event[];
const full = await ChatModelStream.from(answer).text;

/** A finished log of the message, in rows of a few events. */
async function storedLog(): Promise<StreamLog> {
  const log = store.log(`rc${++n}`);
  await persist(ChatModelStream.from(answer), log, { flushBytes: 12 });
  return log;
}

/** `response` with its body cut after `at` bytes: an error (a network failure) or a clean end. */
function cut(response: Response, at: number, how: "error" | "end" = "error"): Response {
  const reader = response.body!.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const room = at - sent;
      if (value.length < room) {
        sent += value.length;
        return controller.enqueue(value);
      }
      if (room > 0) controller.enqueue(value.subarray(0, room));
      void reader.cancel();
      if (how === "end") controller.close();
      else controller.error(new TypeError("network error"));
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}

function request(lastEventId: string): Request {
  return new Request("http://example.test/chat", { headers: lastEventId === "" ? {} : { "last-event-id": lastEventId } });
}

function sse(list: readonly Event[], ids: readonly string[]): Response {
  const text = list.map((e, i) => `id: ${ids[i]}\nevent: ${e.event}\ndata: ${JSON.stringify(e)}\n\n`).join("");
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

describe("fromResponse reconnect", () => {
  it("a body that fails mid-row resumes after the last id, with no gap and no duplicate", async () => {
    const log = await storedLog();
    const asked: string[] = [];
    const first = cut(await resumeResponse(log, request("")), 300);
    const stream = fromResponse(first, {
      reconnect: {
        delayMs: 0,
        fetch: async (id) => {
          asked.push(id);
          return cut(await resumeResponse(log, request(id)), 250);
        },
      },
    });
    const events = readAll(stream.events);
    expect(await stream.text).toBe(full);
    expect(asked.length).toBeGreaterThan(2);
    expect(asked[0]).toMatch(/^\d+\.\d+$/);
    const deltasRead = (await events).filter((e) => e.event === "content-block-delta");
    expect(deltasRead).toEqual(answer.filter((e) => e.event === "content-block-delta"));
  });

  it("a body that ends before the terminal event reconnects too", async () => {
    const log = await storedLog();
    let calls = 0;
    const stream = fromResponse(cut(await resumeResponse(log, request("")), 200, "end"), {
      reconnect: { delayMs: 0, fetch: async (id) => (++calls, resumeResponse(log, request(id))) },
    });
    expect(await stream.text).toBe(full);
    expect(calls).toBe(1);
  });

  it("a drop before any event asks again with an empty id, from the start", async () => {
    const log = await storedLog();
    const asked: string[] = [];
    const stream = fromResponse(cut(await resumeResponse(log, request("")), 5), {
      reconnect: { delayMs: 0, fetch: (id) => (asked.push(id), resumeResponse(log, request(id))) },
    });
    expect(await stream.text).toBe(full);
    expect(asked).toEqual([""]);
  });

  it("events a server sends again (ids not after the last one read) are skipped", async () => {
    const message = textMessage("a", "b", "c", "d");
    const ids = message.map((_, i) => String(i + 1));
    const first = cut(sse(message, ids), 200, "end");
    const stream = fromResponse(first, { reconnect: { delayMs: 0, fetch: () => sse(message, ids) } });
    expect(await stream.text).toBe("abcd");
  });

  it("gives up after `retries` reconnects in a row that bring nothing", async () => {
    let calls = 0;
    const empty = (): Response => new Response("", { headers: { "content-type": "text/event-stream" } });
    const stream = fromResponse(sse(textMessage("a").slice(0, 3), ["1", "2", "3"]), {
      reconnect: { retries: 3, delayMs: 0, fetch: () => (++calls, empty()) },
    });
    const error = await failure(stream.output);
    expect(error.message).toMatch(/reconnects/);
    expect(calls).toBe(3);
  });

  it("an event read resets the count: each reconnect that brings progress may be followed by another", async () => {
    const log = await storedLog();
    let calls = 0;
    const stream = fromResponse(cut(await resumeResponse(log, request("")), 200), {
      reconnect: { retries: 1, delayMs: 0, fetch: async (id) => (++calls, cut(await resumeResponse(log, request(id)), 200)) },
    });
    expect(await stream.text).toBe(full);
    expect(calls).toBeGreaterThan(3);
  });

  it("a 404 on reconnect fails the stream with the HTTPError, without more attempts", async () => {
    let calls = 0;
    const stream = fromResponse(sse(textMessage("a").slice(0, 3), ["1.0", "1.1", "1.2"]), {
      reconnect: {
        delayMs: 0,
        fetch: () => (++calls, resumeResponse(store.log("gone"), request("1.2"))),
      },
    });
    const error = await failure(stream.output);
    expect(HTTPError.isInstance(error) && error.status).toBe(404);
    expect(calls).toBe(1);
  });

  it("a 503 on reconnect is retried", async () => {
    const log = await storedLog();
    const answers = [new Response("busy", { status: 503 })];
    const stream = fromResponse(cut(await resumeResponse(log, request("")), 150), {
      reconnect: { delayMs: 0, fetch: (id) => answers.shift() ?? resumeResponse(log, request(id)) },
    });
    expect(await stream.text).toBe(full);
  });

  it("data that is not JSON fails at once: reading it again would fail again", async () => {
    let calls = 0;
    const bad = new Response("id: 1\nevent: x\ndata: {nope\n\n", { headers: { "content-type": "text/event-stream" } });
    const stream = fromResponse(bad, { reconnect: { delayMs: 0, fetch: () => (++calls, bad) } });
    expect((await failure(stream.output) as { code?: unknown }).code).toBe("bad_input");
    expect(calls).toBe(0);
  });

  it("a body aborted by the caller (its fetch's signal: a Stop) ends the stream at once, without reconnecting", async () => {
    let calls = 0;
    const abort = new DOMException("The user aborted a request.", "AbortError");
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("id: 1\nevent: message-start\ndata: {}\n\n"));
        controller.error(abort);
      },
    });
    const stream = fromResponse(new Response(body, { headers: { "content-type": "text/event-stream" } }), {
      reconnect: { delayMs: 0, fetch: () => (++calls, sse([], [])) },
    });
    expect((await failure(stream.output)).name).toBe("AbortError");
    expect(calls).toBe(0);
  });

  it("a reconnect whose fetch is aborted ends the stream instead of trying again", async () => {
    let calls = 0;
    const stream = fromResponse(sse(textMessage("a").slice(0, 3), ["1", "2", "3"]), {
      reconnect: {
        delayMs: 0,
        fetch: () => {
          calls++;
          throw new DOMException("The operation was aborted.", "AbortError");
        },
      },
    });
    expect((await failure(stream.output)).name).toBe("AbortError");
    expect(calls).toBe(1);
  });

  it("aclose() during the backoff asks nothing more", async () => {
    let calls = 0;
    // A JS body: workerd reports an unhandled rejection of its own when a native body is
    // cancelled while a read waits on it (with or without reconnect).
    const body = sse(textMessage("a").slice(0, 3), ["1", "2", "3"]).body!.pipeThrough(new TransformStream());
    const stream = fromResponse(new Response(body, { headers: { "content-type": "text/event-stream" } }), {
      reconnect: { delayMs: 60_000, maxDelayMs: 60_000, fetch: () => (++calls, sse([], [])) },
    });
    const reader = stream.text.getReader();
    expect((await reader.read()).value).toBe("a");
    const next = reader.read().catch((e: unknown) => e);
    await stream.aclose("user left");
    expect(await next).toBeInstanceOf(Error);
    expect(calls).toBe(0);
  });

  it("events without ids (NDJSON) cannot be resumed exactly: a drop fails instead of reading them twice", async () => {
    let calls = 0;
    const ndjson = textMessage("a", "b").slice(0, 4).map((e) => JSON.stringify(e) + "\n").join("");
    const stream = fromResponse(new Response(ndjson, { headers: { "content-type": "application/x-ndjson" } }), {
      reconnect: { delayMs: 0, fetch: () => (++calls, new Response(ndjson, { headers: { "content-type": "application/x-ndjson" } })) },
    });
    const error = await failure(stream.output);
    expect((error as { code?: unknown }).code).toBe("invalid_state");
    expect(calls).toBe(0);
  });

  it("bad options throw at once", () => {
    const body = sse([], []);
    expect(() => fromResponse(body, { reconnect: { fetch: undefined as never } })).toThrow(TypeError);
    expect(() => fromResponse(body, { reconnect: { fetch: () => body, retries: -1 } })).toThrow(RangeError);
  });
});
