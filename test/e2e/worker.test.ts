// The example Worker in workerd, with its wrangler.toml and its KV namespace (the "example" vitest
// project): through SELF, as a client sees it, and through its fetch handler with an execution
// context, so the test can wait for what ctx.waitUntil saves.
import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import worker, { handle, type SavedMessage } from "../../examples/worker/index.ts";
import { ScriptedModel } from "../../examples/worker/scripted-model.ts";
import { ChatModelStream, fromAnthropic, fromOpenAIChat, fromResponse } from "../../src/index.ts";
import * as anthropic from "../fixtures/anthropic.ts";
import * as openaiChat from "../fixtures/openai-chat.ts";

const DELAY_MS = Number(env.MODEL_DELAY_MS); // 5, from vitest.config.ts

/** Each chunk's arrival time, in ms from the first. */
async function arrivals(body: ReadableStream<Uint8Array>): Promise<number[]> {
  const reader = body.getReader();
  const times: number[] = [];
  while (!(await reader.read()).done) times.push(Date.now());
  return times.map((t) => t - times[0]!);
}

async function stored(response: Response): Promise<SavedMessage> {
  const reply = await SELF.fetch(`http://example/messages/${response.headers.get("x-message-id")}`);
  return (await reply.json()) as SavedMessage;
}

async function readToEnd(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  while (!(await reader.read()).done);
}

describe("the example Worker in workerd", () => {
  it.each(["/text", "/chat"])("%s: chunks arrive apart in time, not as one buffered body", async (path) => {
    const response = await SELF.fetch(`http://example${path}?q=hi`);
    const times = await arrivals(response.body!);
    const events = new ScriptedModel().script("hi").length;
    // The model takes DELAY_MS per event; a buffered body would arrive in one go (span ≈ 0).
    expect({ chunks: times.length > 20, spread: times.at(-1)! >= (events * DELAY_MS) / 2 }).toEqual({
      chunks: true,
      spread: true,
    });
  });

  it("stores the final message in KV, and /messages/:id returns it equal to output", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request("http://example/chat?q=hi"), env, ctx);
    await readToEnd(response.body!);
    await waitOnExecutionContext(ctx);
    const expected = await ChatModelStream.from(new ScriptedModel().script("hi")).output;
    expect(await stored(response)).toEqual({ status: "complete", message: expected });
  });

  it("a client that stops reading (body cancelled, signal not aborted) still gets the whole message stored", async () => {
    const model = new ScriptedModel({ delayMs: DELAY_MS });
    const ctx = createExecutionContext();
    const response = await handle(new Request("http://example/chat?q=hi"), env, ctx, { model, log: () => {} });
    const reader = response.body!.getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    await reader.cancel("the client stopped reading");
    await waitOnExecutionContext(ctx);
    const expected = await ChatModelStream.from(model.script("hi")).output;
    expect({ cancelled: model.cancelled, record: await stored(response) }).toEqual({
      cancelled: 0,
      record: { status: "complete", message: expected },
    });
  });

  it("a client abort (request.signal) stops the model; the partial message is stored", async () => {
    const client = new AbortController();
    const model = new ScriptedModel({ delayMs: DELAY_MS });
    const ctx = createExecutionContext();
    const request = new Request("http://example/chat?q=hi", { signal: client.signal });
    const response = await handle(request, env, ctx, { model, log: () => {} });
    const reader = response.body!.getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    client.abort();
    while (!(await reader.read()).done);
    await waitOnExecutionContext(ctx);
    const record = await stored(response);
    const total = model.script("hi").length;
    expect({
      cancelled: model.cancelled,
      stoppedEarly: model.steps < total,
      status: record.status,
      partialOf: record.message?.id,
    }).toEqual({ cancelled: 1, stoppedEarly: true, status: "aborted", partialOf: (model.script("hi")[0] as { id: string }).id });
  });

  it("SSE from /chat, read back with fromResponse, equals the original output", async () => {
    const response = await SELF.fetch("http://example/chat?q=hi");
    const [received, original] = await Promise.all([
      fromResponse(response).output,
      ChatModelStream.from(new ScriptedModel().script("hi")).output,
    ]);
    expect(received).toEqual(original);
  });
});

describe("the example Worker with a provider key (against a fake provider on 127.0.0.1)", () => {
  const fake = inject("fakeProvider");
  const providers = {
    openai: { keys: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: `${fake}/openai/v1` }, adapter: fromOpenAIChat, fixtures: openaiChat },
    anthropic: { keys: { ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: `${fake}/anthropic/v1` }, adapter: fromAnthropic, fixtures: anthropic },
  } as const;

  /** /chat?q=<fixture> against the provider; the SSE read back, and the stored record. */
  async function chat(provider: keyof typeof providers, fixture: string) {
    const ctx = createExecutionContext();
    const request = new Request(`http://example/chat?q=${fixture}`);
    const response = await worker.fetch(request, { ...env, MODEL: "", ...providers[provider].keys }, ctx);
    const received = await fromResponse(response).output.then(
      (message) => ({ message }),
      (error: unknown) => ({ error: error as Error & { code?: string } }),
    );
    await waitOnExecutionContext(ctx);
    return { received, record: await stored(response) };
  }

  it.each([
    ["openai", "toolCalls"],
    ["openai", "reasoning"],
    ["anthropic", "thinking"],
    ["anthropic", "toolUse"],
  ] as const)("%s %s: the client gets, and KV keeps, what the adapter makes of the provider's bytes", async (provider, fixture) => {
    const { adapter, fixtures } = providers[provider];
    const expected = await adapter(new Response((fixtures as Record<string, string>)[fixture])).output;
    const { received, record } = await chat(provider, fixture);
    expect({ received, record }).toEqual({ received: { message: expected }, record: { status: "complete", message: expected } });
  });

  it.each([
    ["openai", "midStreamError"],
    ["anthropic", "overloaded"],
  ] as const)("%s %s: the provider's error reaches the client as the closing error event", async (provider, fixture) => {
    const { adapter, fixtures } = providers[provider];
    const expected = await adapter(new Response((fixtures as Record<string, string>)[fixture])).output.catch((e: unknown) => e);
    const { received, record } = await chat(provider, fixture);
    const error = "error" in received ? received.error : undefined;
    expect({ message: error?.message, code: error?.code, status: record.status }).toEqual({
      message: (expected as Error).message,
      code: (expected as Error & { code?: string }).code,
      status: "failed",
    });
  });

  it("asks the provider for a stream, with the key, the prompt and the weather tool", async () => {
    await chat("openai", "text");
    await chat("anthropic", "text");
    const sent = (await (await fetch(`${fake}/requests`)).json()) as { path: string; headers: Record<string, string>; body: Record<string, unknown> }[];
    const last = (path: string) => sent.findLast((r) => r.path === path)!;
    const openai = last("/openai/v1/chat/completions");
    const claude = last("/anthropic/v1/messages");
    expect({
      openai: [openai.headers["authorization"], openai.body["stream"], openai.body["stream_options"], (openai.body["tools"] as unknown[]).length],
      anthropic: [claude.headers["x-api-key"], claude.headers["anthropic-version"], claude.body["stream"], (claude.body["tools"] as unknown[]).length],
    }).toEqual({
      openai: ["Bearer sk-test", true, { include_usage: true }, 1],
      anthropic: ["sk-ant-test", "2023-06-01", true, 1],
    });
  });
});
