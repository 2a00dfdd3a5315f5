// MemoryLog: the StreamLog contract, and what only the memory engine promises (a shared store, retention).
import { describe, expect, it } from "vitest";
import { MemoryLog, MemoryLogStore } from "../src/log/memory-log.ts";
import { describeStreamLogContract } from "./log-contract.ts";

const store = new MemoryLogStore();
describeStreamLogContract("memory", (id) => store.log(id), { heldReads: (id) => store.waitingReads(id) });

const message = { type: "ai" as const, content: "hi", tool_calls: [], invalid_tool_calls: [], response_metadata: {} };
const row = { seq: 1, events: [{ event: "message-start" as const }] };

describe("MemoryLogStore", () => {
  it("logs of one id in different stores are different generations", async () => {
    const a = new MemoryLogStore().log("same");
    const b = new MemoryLogStore().log("same");
    await a.open();
    expect(await b.snapshot()).toBeUndefined();
  });

  it("MemoryLog without a store shares the module's default store", async () => {
    const id = `default-${Math.random()}`;
    await new MemoryLog(id).open();
    expect((await new MemoryLog(id).snapshot())!.status).toBe("running");
  });

  it("an ended generation is deleted after retentionMs, and a read then is not_found", async () => {
    const logs = new MemoryLogStore({ retentionMs: 20 });
    const log = logs.log("r");
    await log.open();
    await log.append(row);
    await log.close(message);
    expect(logs.size).toBe(1);
    await expect.poll(() => logs.size, { timeout: 2000, interval: 10 }).toBe(0);
    expect(await log.snapshot()).toBeUndefined();
    const error = await log.read(0).getReader().read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: unknown }).code).toBe("not_found");
  });

  it("a running generation is never deleted by retention", async () => {
    const logs = new MemoryLogStore({ retentionMs: 0 });
    await logs.log("run").open();
    expect(logs.size).toBe(1);
  });

  it("retentionMs 0 deletes at the end; the id may then be opened again", async () => {
    const logs = new MemoryLogStore({ retentionMs: 0 });
    const log = logs.log("again");
    await log.open();
    await log.close(message);
    expect(logs.size).toBe(0);
    await log.open();
    expect((await log.snapshot())!.seq).toBe(0);
  });

  it("a bad retentionMs throws a RangeError", () => {
    expect(() => new MemoryLogStore({ retentionMs: -1 })).toThrow(RangeError);
  });

  it("waiting live readers are bounded by the readers: a thousand that leave leave nothing", async () => {
    const logs = new MemoryLogStore();
    const log = logs.log("many");
    await log.open();
    const controllers = Array.from({ length: 1000 }, () => new AbortController());
    const reads = controllers.map((c) => log.read(0, { live: true, signal: c.signal }).getReader().read().catch(() => "left"));
    await expect.poll(() => logs.waitingReads("many")).toBe(1000);
    for (const c of controllers) c.abort(new Error("left"));
    await Promise.all(reads);
    expect(logs.waitingReads("many")).toBe(0);
  });
});
