// The example Worker, driven directly: the same module wrangler dev serves, in Node and in workerd,
// with an in-memory stand-in for its KV namespace. (test/e2e runs it with its wrangler config.)
import { describe, expect, it } from "vitest";
import { handle, type Env, type MessageStore, type SavedMessage } from "../examples/worker/index.ts";
import { ScriptedModel } from "../examples/worker/scripted-model.ts";
import { ChatModelStream } from "../src/index.ts";

function context(): { waitUntil(promise: Promise<unknown>): void; settled(): Promise<unknown[]> } {
  const pending: Promise<unknown>[] = [];
  return { waitUntil: (promise) => void pending.push(promise), settled: () => Promise.all(pending) };
}

function memoryStore(): MessageStore {
  const map = new Map<string, string>();
  return {
    get: async (key) => map.get(key) ?? null,
    put: async (key, value) => void map.set(key, value),
  };
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

/** A request to the Worker with a fast scripted model, a fresh store, and the log collected. */
async function call(path: string, init: RequestInit = {}) {
  const model = new ScriptedModel({ delayMs: 1 });
  const env: Env = { MESSAGES: memoryStore() };
  const ctx = context();
  const lines: string[] = [];
  const response = await handle(new Request(`http://example${path}`, init), env, ctx, { model, log: (l) => lines.push(l) });
  return { model, env, ctx, lines, response };
}

async function saved(env: Env, response: Response): Promise<SavedMessage> {
  const reply = await handle(new Request(`http://example/messages/${response.headers.get("x-message-id")}`), env, context());
  return (await reply.json()) as SavedMessage;
}

describe("the example Worker", () => {
  it.each(["/text?q=hi", "/?q=hi"])("streams the model's text as separate byte chunks at %s", async (path) => {
    const { response } = await call(path);
    const chunks = await readChunks(response.body!);
    expect({ text: chunks.join(""), apart: chunks.length > 10 }).toEqual({ text: ScriptedModel.answer, apart: true });
  });

  it("serves text/plain without compression, so proxies pass chunks through", async () => {
    const { response } = await call("/text");
    void response.body!.cancel();
    expect([response.headers.get("content-type"), response.headers.get("content-encoding")]).toEqual([
      "text/plain; charset=utf-8",
      "identity",
    ]);
  });

  it("serves the model's protocol events as SSE at /chat", async () => {
    const { model, response } = await call("/chat?q=hi");
    const body = (await readChunks(response.body!)).join("");
    const events = body
      .split("\n\n")
      .filter((m) => m !== "")
      .map((m) => JSON.parse(m.split("\n").find((l) => l.startsWith("data: "))!.slice(6)));
    expect([response.headers.get("content-type"), events]).toEqual(["text/event-stream", model.script("hi")]);
  });

  it("serves the demo page to browsers at /, whose chats go through their Durable Object (/chats/:id)", async () => {
    const { response } = await call("/", { headers: { accept: "text/html,application/xhtml+xml" } });
    const html = await response.text();
    expect({
      type: response.headers.get("content-type"),
      panes: ["reasoning", "text", "tools", "usage", "stop", "share"].every((id) => html.includes(`id="${id}"`)),
      startsInTheObject: html.includes('"/chats/" + encodeURIComponent(id)') && html.includes('method: "POST"'),
      stopsInTheObject: html.includes('"/stop", { method: "POST" }'),
      resumes: html.includes('"last-event-id": last'),
      notThePlainEndpoint: html.includes('fetch("/chat?'),
    }).toEqual({ type: "text/html; charset=utf-8", panes: true, startsInTheObject: true, stopsInTheObject: true, resumes: true, notThePlainEndpoint: false });
  });

  it("redirects /shared, the durable page's old address, to /", async () => {
    const { response } = await call("/shared");
    expect([response.status, response.headers.get("location")]).toEqual([301, "/"]);
  });

  it("logs the final message after the response, via waitUntil", async () => {
    const { ctx, lines, response } = await call("/text?q=hi");
    await readChunks(response.body!);
    await ctx.settled();
    expect(lines[0]).toMatch(/^final message .*"get_weather".*"finish_reason":"tool_calls"/);
  });

  it("saves the final message, which /messages/:id returns", async () => {
    const { model, env, ctx, response } = await call("/chat?q=hi");
    await readChunks(response.body!);
    await ctx.settled();
    const expected = await ChatModelStream.from(model.script("hi")).output;
    expect(await saved(env, response)).toEqual({ status: "complete", message: expected });
  });

  it("stops the model when the client goes away (request.signal), and saves the partial message", async () => {
    const client = new AbortController();
    const { model, env, ctx, lines, response } = await call("/chat?q=hi", { signal: client.signal });
    await readChunks(response.body!, 3);
    client.abort();
    await ctx.settled();
    const record = await saved(env, response);
    const total = model.script("hi").length;
    expect({
      cancelled: model.cancelled,
      stoppedEarly: model.steps < total,
      log: lines[0],
      status: record.status,
      partialId: record.message?.id,
    }).toEqual({
      cancelled: 1,
      stoppedEarly: true,
      log: expect.stringMatching(/^stream ended early \(AbortError\); partial message /),
      status: "aborted",
      partialId: (model.script("hi")[0] as { id: string }).id,
    });
  });

  it("answers 404 for a message it does not have, and for other paths", async () => {
    const env: Env = { MESSAGES: memoryStore() };
    const statuses = await Promise.all(
      ["/messages/nope", "/favicon.ico"].map(async (p) => (await handle(new Request(`http://example${p}`), env, context())).status),
    );
    expect(statuses).toEqual([404, 404]);
  });
});
