// The fault fuzz (test/log-fuzz.ts) on the Durable Object engine, in workerd: the producer persists
// through DurableStreamLog's RPCs; viewers read the object's own SSE (`stub.fetch`, as a Worker
// answers them), cut at random byte offsets and reconnecting; the stored rows are read back through
// DurableStreamLog's streamed fetch; at the end of each case the object holds no read.
//
// Cases take their objects from a small pool, each deleted by its retention alarm before it is
// used again (which the fuzz checks too: a generation after the last one's deletion starts
// clean): workerd slows down with every live object it holds, 1,000 objects took minutes.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DurableStreamLog } from "../../src/cloudflare.ts";
import { runLogFuzz } from "../log-fuzz.ts";

const CASES = 1000;

/**
 * `body`, whose cancel waits for the read under way to finish: workerd reports the rejected pending
 * read of a cancelled fetched body as an unhandled rejection for a moment, though it is handled. A
 * Worker that returns `stub.fetch(request)` has no such read (the runtime pipes the body); the
 * fuzz's viewers read it in JavaScript and cut it mid-read. The object ends every read at the end of
 * the generation, which the fuzz's last check (no read held) sees.
 */
function cancelWhenIdle(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let reading = false;
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reading = true;
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          if (!cancelled) controller.error(error);
          return;
        } finally {
          reading = false;
        }
        if (cancelled) reader.cancel().catch(() => {});
        else if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      cancel() {
        cancelled = true;
        if (!reading) reader.cancel().catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
const POOL = 8;

describe("StreamLogObject fault fuzz", () => {
  it(`${CASES} seeded cases: every viewer reads the log exactly, whatever its cuts`, { timeout: 300_000 }, async () => {
    const slots = new Map<string, string>();
    /** The object of fuzz log `id`: the next pool slot, emptied by its alarm, for a new id. */
    const objectOf = async (id: string): Promise<string> => {
      let name = slots.get(id);
      if (name === undefined) {
        name = `do-fuzz-${slots.size % POOL}`;
        slots.set(id, name);
        await runDurableObjectAlarm(env.STREAMS.getByName(name));
      }
      return name;
    };
    const report = await runLogFuzz(async (id) => new DurableStreamLog(env.STREAMS.getByName(await objectOf(id))), {
      cases: CASES,
      idPrefix: "do-fuzz",
      heldReads: async (id) => (await env.STREAMS.getByName(await objectOf(id)).stats()).waitingReads,
      // Viewers as a Worker answers them: the object's own SSE, through its stub.
      respond: async (id, _, request) => {
        const response = await env.STREAMS.getByName(await objectOf(id)).fetch(request);
        return response.body === null ? response : new Response(cancelWhenIdle(response.body), response);
      },
    });
    expect(report.cases).toBe(CASES);
    expect(report.cuts).toBeGreaterThan(CASES);
  });
});
