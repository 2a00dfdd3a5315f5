// The fault fuzz (test/log-fuzz.ts) on the Durable Object engine, in workerd: the producer persists
// through DurableStreamLog's RPCs, viewers read through its streamed fetch of rows, cut at random
// byte offsets and reconnecting; at the end of each case the object holds no read.
//
// Cases take their objects from a small pool, each deleted by its retention alarm before it is
// used again (which the fuzz checks too: a generation after the last one's deletion starts
// clean): workerd slows down with every live object it holds, 1,000 objects took minutes.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DurableStreamLog } from "../../src/cloudflare.ts";
import { runLogFuzz } from "../log-fuzz.ts";

const CASES = 1000;
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
    });
    expect(report.cases).toBe(CASES);
    expect(report.cuts).toBeGreaterThan(CASES);
  });
});
