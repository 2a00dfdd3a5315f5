// The example Worker, driven directly: the same module wrangler dev serves, in Node and in workerd.
import { describe, expect, it } from "vitest";
import { handle } from "../examples/worker/index.ts";
import { ScriptedModel } from "../examples/worker/scripted-model.ts";

function context(): { waitUntil(promise: Promise<unknown>): void; settled(): Promise<unknown[]> } {
  const pending: Promise<unknown>[] = [];
  return { waitUntil: (promise) => void pending.push(promise), settled: () => Promise.all(pending) };
}

async function readChunks(body: ReadableStream<Uint8Array>, limit = Infinity): Promise<string[]> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const chunks: string[] = [];
  while (chunks.length < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(decoder.decode(value));
  }
  reader.releaseLock();
  return chunks;
}

describe("the example Worker", () => {
  it("streams the model's text as separate byte chunks", async () => {
    const model = new ScriptedModel({ delayMs: 1 });
    const response = handle(new Request("http://example/?q=hi"), context(), model, () => {});
    const chunks = await readChunks(response.body!);
    expect({ text: chunks.join(""), apart: chunks.length > 10 }).toEqual({ text: ScriptedModel.answer, apart: true });
  });

  it("serves text/plain without compression, so proxies pass chunks through", () => {
    const response = handle(new Request("http://example/"), context(), new ScriptedModel({ delayMs: 1 }), () => {});
    void response.body!.cancel();
    expect([response.headers.get("content-type"), response.headers.get("content-encoding")]).toEqual([
      "text/plain; charset=utf-8",
      "identity",
    ]);
  });

  it("logs the final message after the response, via waitUntil", async () => {
    const lines: string[] = [];
    const ctx = context();
    const response = handle(new Request("http://example/?q=hi"), ctx, new ScriptedModel({ delayMs: 1 }), (l) => lines.push(l));
    await readChunks(response.body!);
    await ctx.settled();
    expect(lines).toEqual([expect.stringMatching(/^final message .*"get_weather".*"finish_reason":"tool_calls"/)]);
  });

  it("stops the model when the client goes away (request.signal)", async () => {
    const model = new ScriptedModel({ delayMs: 1 });
    const client = new AbortController();
    const lines: string[] = [];
    const ctx = context();
    const response = handle(new Request("http://example/?q=hi", { signal: client.signal }), ctx, model, (l) => lines.push(l));
    await readChunks(response.body!, 3);
    client.abort();
    await ctx.settled();
    const total = model.script("hi").length;
    expect({ cancelled: model.cancelled, stoppedEarly: model.steps < total, log: lines[0] }).toEqual({
      cancelled: 1,
      stoppedEarly: true,
      log: expect.stringMatching(/^stream ended early \(AbortError\); partial message /),
    });
  });
});
