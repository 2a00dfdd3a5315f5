// The fault fuzz on MemoryLog: viewers cut at random byte offsets reconnect and see the log exactly.
import { describe, expect, it } from "vitest";
import { MemoryLogStore } from "../src/log/memory-log.ts";
import { runLogFuzz } from "./log-fuzz.ts";

// workerd runs fewer cases: the same code, in a slower isolate.
const inWorkerd = typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair === "function";
const CASES = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["LOG_FUZZ_CASES"] ?? (inWorkerd ? 300 : 1000));

describe("MemoryLog fault fuzz", () => {
  it(`${CASES} seeded cases: every viewer reads the log exactly, whatever its cuts`, { timeout: 120_000 }, async () => {
    const store = new MemoryLogStore({ retentionMs: 60_000 });
    const report = await runLogFuzz((id) => store.log(id), { cases: CASES, heldReads: (id) => store.waitingReads(id) });
    expect(report.cases).toBe(CASES);
    // The cases do exercise what they claim: cuts, reconnects, stops, many rows.
    expect(report.cuts).toBeGreaterThan(CASES);
    expect(report.stopped).toBeGreaterThan(0);
  });
});
