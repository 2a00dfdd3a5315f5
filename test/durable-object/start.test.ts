// Generations that run inside the object (`StreamLogObject.start` and a subclass's `generate`), in
// workerd: they go on with no client connected, viewers join and resume, Stop reaches them from
// another stub, a `generate` that throws ends the log as failed, a second start is refused.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { DurableStreamLog, type StreamLogObject } from "../../src/cloudflare.ts";
import { fromResponse, type ProtocolEvent } from "../../src/index.ts";
import type { Stub } from "./stub.ts";
import { testWords, type TestChats, type TestInput } from "./worker.ts";

let n = 0;
const freshId = (name: string): string => `${name}-${Date.now().toString(36)}-${++n}`;
const chats = (id: string): Stub<TestChats> => env.CHATS.getByName(id);
const logOf = (id: string): DurableStreamLog => new DurableStreamLog(() => chats(id));
const start = (id: string, input: TestInput): ReturnType<Stub<TestChats>["start"]> => chats(id).start(input);

/** Waits (polling the object, as a monitor would) until the generation ended; its snapshot. */
async function ended(id: string): Promise<NonNullable<Awaited<ReturnType<DurableStreamLog["snapshot"]>>>> {
  await expect.poll(async () => (await logOf(id).snapshot())?.status, { timeout: 10_000, interval: 20 }).not.toBe("running");
  return (await logOf(id).snapshot())!;
}

/** A viewer through the object's own SSE, as a Worker's one-line route answers it. */
function viewer(id: string, lastEventId?: string): Promise<Response> {
  return chats(id).fetch(new Request(`http://object/${id}`, { headers: lastEventId === undefined ? {} : { "last-event-id": lastEventId } }));
}

/** An SSE body's frames: id and event. */
function sseFrames(body: string): { id: string; event: ProtocolEvent }[] {
  return body
    .split("\n\n")
    .map((frame) => [/^id: (.+)$/m.exec(frame)?.[1], /^data: (.+)$/m.exec(frame)?.[1]] as const)
    .filter((pair): pair is readonly [string, string] => pair[0] !== undefined && pair[1] !== undefined)
    .map(([id, data]) => ({ id, event: JSON.parse(data) as ProtocolEvent }));
}

const deltaText = (frames: readonly { event: ProtocolEvent }[]): string =>
  frames.map(({ event }) => (event.event === "content-block-delta" ? ((event.delta as { text?: string }).text ?? "") : "")).join("");

const textOfMessage = (snapshot: { message?: { content: unknown } }): string => {
  const content = snapshot.message?.content;
  return typeof content === "string" ? content : (content as { text?: string }[]).map((b) => b.text ?? "").join("");
};

describe("StreamLogObject.start: the producer inside the object", () => {
  it("answers once the log is open, then finishes and stores the answer with no client connected", async () => {
    const id = freshId("alone");
    expect(await start(id, { words: 30, delayMs: 10 })).toEqual({ ok: true });
    // The starting call returned; the generation runs on in the object, nobody reading.
    const running = await logOf(id).snapshot();
    const { waitingReads } = await chats(id).stats();
    expect({ status: running?.status, waitingReads }).toEqual({ status: "running", waitingReads: 0 });
    const snapshot = await ended(id);
    expect({ status: snapshot.status, text: textOfMessage(snapshot) }).toEqual({ status: "finished", text: testWords(30).join("") });
    // A viewer who comes afterwards gets the whole answer from the object.
    expect(await fromResponse(await viewer(id)).text).toBe(testWords(30).join(""));
  });

  it("keeps its alarm at most 30 s away while the generation runs (a heartbeat), and the alarm leaves it running", async () => {
    const id = freshId("heartbeat");
    await start(id, { words: 40, delayMs: 25 });
    const before = Date.now();
    const alarm = await runInDurableObject(chats(id), (_, state) => state.storage.getAlarm());
    expect(alarm! - before).toBeLessThanOrEqual(30_000);
    expect(await runDurableObjectAlarm(chats(id))).toBe(true);
    const after = await runInDurableObject(chats(id), (_, state) => state.storage.getAlarm());
    expect({ status: (await logOf(id).snapshot())?.status, heartbeat: after! - Date.now() <= 30_000 && after! >= alarm! }).toEqual({
      status: "running",
      heartbeat: true,
    });
    const snapshot = await ended(id);
    // Once ended, the alarm is the retention deletion again (10 minutes by default).
    const retention = await runInDurableObject(chats(id), (_, state) => state.storage.getAlarm());
    expect({ status: snapshot.status, retention: retention }).toEqual({ status: "finished", retention: snapshot.endedAt! + 600_000 });
  });

  it("viewers join live and resume after an event id: no gap, no duplicate", async () => {
    const id = freshId("viewers");
    await start(id, { words: 40, delayMs: 5 });
    const whole = sseFrames(await (await viewer(id)).text());
    expect(deltaText(whole)).toBe(testWords(40).join(""));
    for (const cut of [1, Math.floor(whole.length / 2), whole.length - 3]) {
      const rest = sseFrames(await (await viewer(id, whole[cut]!.id)).text());
      expect(deltaText(whole.slice(0, cut + 1)) + deltaText(rest)).toBe(deltaText(whole));
    }
  });

  it("writes at most 10 storage rows (SQL rows and alarms) for a 1,000-delta answer at 50 tokens a second, and every delta is read back after a restart", async () => {
    const id = freshId("pace");
    // Inside the object on fake timers (setTimeout and Date: the model's 20 ms a delta, persist's
    // 50 ms flush, the log's packs), advanced 20 ms at a time until the generation ended.
    const stats = await runInDurableObject(chats(id), async (object) => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      try {
        expect(await object.start({ words: 1000, delayMs: 20 })).toEqual({ ok: true });
        const running = async (): Promise<boolean> => {
          const reply = await object.snapshot();
          return reply.ok && (JSON.parse(reply.value!) as { status: string }).status === "running";
        };
        while (await running()) await vi.advanceTimersByTimeAsync(20);
        return object.stats();
      } finally {
        vi.useRealTimers();
      }
    });
    const packs = await runInDurableObject(chats(id), (_, state) => state.storage.sql.exec("SELECT count(*) AS n FROM log").toArray()[0]!["n"] as number);
    // The table (2), 5 packs, the last carrying the end; the heartbeat alarm at the start and the retention's at the end.
    expect({ packs, rowsWritten: stats.rowsWritten, alarmsSet: stats.alarmsSet, atMost10: stats.rowsWritten + stats.alarmsSet <= 10 }).toEqual({
      packs: 5,
      rowsWritten: 7,
      alarmsSet: 2,
      atMost10: true,
    });
    await runInDurableObject(chats(id), (_, state) => state.abort("restart")).catch(() => {});
    const snapshot = (await logOf(id).snapshot())!;
    const frames = sseFrames(await (await viewer(id)).text());
    expect({ status: snapshot.status, text: deltaText(frames), message: textOfMessage(snapshot) }).toEqual({
      status: "finished",
      text: testWords(1000).join(""),
      message: testWords(1000).join(""),
    });
  });

  it("an object that restarts mid-generation loses the model call: its next alarm ends the log as failed at once, with the partial", async () => {
    const id = freshId("restart");
    await start(id, { words: 2_000, delayMs: 5 });
    // Until a first pack of rows is in SQL (rows are written at most 2.5 s after they are appended).
    const packs = (): Promise<number> => runInDurableObject(chats(id), (_, state) => state.storage.sql.exec("SELECT count(*) AS n FROM log").toArray()[0]!["n"] as number);
    await expect.poll(async () => ((await logOf(id).snapshot())?.seq ?? 0) > 0 && (await packs()) > 0, { timeout: 8_000, interval: 50 }).toBe(true);
    // The instance goes away (a deploy, an eviction); the storage stays (not the rows still pending), the generation in memory does not.
    await runInDurableObject(chats(id), (_, state) => state.abort("restart")).catch(() => {});
    expect((await logOf(id).snapshot())?.status).toBe("running");
    expect(await runDurableObjectAlarm(chats(id))).toBe(true);
    const snapshot = (await logOf(id).snapshot())!;
    expect({ status: snapshot.status, code: snapshot.failure?.code, restarted: snapshot.failure?.message.includes("restarted"), partial: textOfMessage(snapshot).startsWith("w0 ") }).toEqual({
      status: "failed",
      code: "timeout",
      restarted: true,
      partial: true,
    });
  });

  it("a model that goes silent for producerTimeoutMs is ended by the heartbeat alarm: failed (timeout), with the partial, its call cancelled", async () => {
    const id = freshId("silent");
    expect(await chats(id).start({ words: 3, delayMs: 400 }, { producerTimeoutMs: 100 })).toEqual({ ok: true });
    // Wall time must pass the timeout before the alarm runs; nothing else tells the object it did.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await runDurableObjectAlarm(chats(id))).toBe(true);
    const snapshot = await logOf(id).snapshot();
    expect({ status: snapshot?.status, code: snapshot?.failure?.code }).toEqual({ status: "failed", code: "timeout" });
  });

  it("a Stop through another stub stops it: aborted, with the partial answer stored", async () => {
    const id = freshId("stop");
    await start(id, { words: 2_000, delayMs: 5 });
    await expect.poll(async () => (await logOf(id).snapshot())?.seq ?? 0, { timeout: 5_000, interval: 10 }).toBeGreaterThan(0);
    const other: Stub<StreamLogObject> = env.CHATS.get(env.CHATS.idFromName(id)) as unknown as Stub<StreamLogObject>;
    await new DurableStreamLog(other).stop("user pressed Stop");
    const snapshot = await ended(id);
    const partial = textOfMessage(snapshot);
    expect({ status: snapshot.status, stopped: snapshot.failure?.message.includes("user pressed Stop"), partial: partial.startsWith("w0 w1 "), cut: partial.length < testWords(2_000).join("").length }).toEqual({
      status: "aborted",
      stopped: true,
      partial: true,
      cut: true,
    });
  });

  it("a generate that throws ends the log as failed, with its error as the viewers' last event", async () => {
    const id = freshId("throws");
    expect(await start(id, { throws: "no such model" })).toEqual({ ok: true });
    const snapshot = await ended(id);
    expect({ status: snapshot.status, failure: snapshot.failure?.message }).toEqual({ status: "failed", failure: "no such model" });
    const error = await fromResponse(await viewer(id)).text.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe("no such model");
  });

  it("the base class, whose generate is not implemented, ends the log as failed (invalid_state)", async () => {
    const id = freshId("base");
    const stub = env.STREAMS.getByName(id);
    expect(await stub.start({})).toEqual({ ok: true });
    const log = new DurableStreamLog(stub);
    await expect.poll(async () => (await log.snapshot())?.status, { timeout: 5_000, interval: 20 }).toBe("failed");
    expect((await log.snapshot())?.failure).toMatchObject({ code: "invalid_state", message: expect.stringContaining("generate is not implemented") });
  });

  it("refuses a second start while it runs (and after it ended, while retained): the first generation goes on alone", async () => {
    const id = freshId("twice");
    await start(id, { words: 20, delayMs: 5 });
    expect(await start(id, { words: 3 })).toMatchObject({ ok: false, code: "invalid_state" });
    const snapshot = await ended(id);
    expect(await start(id, { words: 3 })).toMatchObject({ ok: false, code: "invalid_state" });
    expect(textOfMessage(snapshot)).toBe(testWords(20).join(""));
  });
});
