/**
 * W(N): a deterministic, chat-like event stream of N deltas — 90% text (3–6 characters), 5%
 * reasoning, 5% tool-call argument slices — wrapped in message-start, block starts and finishes,
 * a usage snapshot and message-finish. Reasoning comes first, then text, then the tool call, as
 * models send them. The same workload is also given in the AI SDK's stream-part form.
 */
import type { ProtocolEvent } from "../src/index.ts";

export interface Workload {
  events: ProtocolEvent[];
  /** The same response as LanguageModelV3 stream parts, for the AI SDK's mock model. */
  aiSdkParts: unknown[];
  text: string;
  reasoning: string;
  args: string;
}

/** A small linear congruential generator: the same sequence on every run and machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x100000000;
  };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz      ";

export function workload(n: number, seed = 1): Workload {
  const rnd = random(seed);
  const piece = (): string => {
    const length = 3 + Math.floor(rnd() * 4);
    let out = "";
    for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    return out;
  };
  const reasoningCount = Math.round(n * 0.05);
  const toolCount = Math.max(2, Math.round(n * 0.05));
  const textCount = n - reasoningCount - toolCount;
  const reasoning: string[] = [];
  const text: string[] = [];
  for (let i = 0; i < reasoningCount; i++) reasoning.push(piece());
  for (let i = 0; i < textCount; i++) text.push(piece());
  // Valid JSON cut into slices: an opening, string content, a closing.
  const slices = ['{"query": "'];
  for (let i = 0; i < toolCount - 2; i++) slices.push(piece());
  slices.push('"}');
  const usage = { input_tokens: 25, output_tokens: n, total_tokens: n + 25 };

  const events: ProtocolEvent[] = [
    { event: "message-start", id: "msg-bench", metadata: { provider: "bench", model: "w" } },
    { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  ];
  for (const r of reasoning) events.push({ event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: r } });
  events.push({ event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: reasoning.join("") } });
  events.push({ event: "content-block-start", index: 1, content: { type: "text", text: "" } });
  for (const t of text) events.push({ event: "content-block-delta", index: 1, delta: { type: "text-delta", text: t } });
  events.push({ event: "content-block-finish", index: 1, content: { type: "text", text: text.join("") } });
  events.push({ event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "call-1", name: "search", args: "" } });
  for (const s of slices) events.push({ event: "content-block-delta", index: 2, delta: { type: "tool-call-delta", args: s } });
  const args = slices.join("");
  events.push({
    event: "content-block-finish",
    index: 2,
    content: { type: "tool_call", id: "call-1", name: "search", args: JSON.parse(args) as Record<string, unknown> },
  });
  events.push({ event: "usage", usage });
  events.push({ event: "message-finish", reason: "tool_calls", usage });

  const aiSdkParts: unknown[] = [
    { type: "stream-start", warnings: [] },
    { type: "response-metadata", id: "msg-bench", modelId: "w" },
    { type: "reasoning-start", id: "r" },
  ];
  for (const r of reasoning) aiSdkParts.push({ type: "reasoning-delta", id: "r", delta: r });
  aiSdkParts.push({ type: "reasoning-end", id: "r" }, { type: "text-start", id: "t" });
  for (const t of text) aiSdkParts.push({ type: "text-delta", id: "t", delta: t });
  aiSdkParts.push({ type: "text-end", id: "t" }, { type: "tool-input-start", id: "call-1", toolName: "search" });
  for (const s of slices) aiSdkParts.push({ type: "tool-input-delta", id: "call-1", delta: s });
  aiSdkParts.push(
    { type: "tool-input-end", id: "call-1" },
    { type: "tool-call", toolCallId: "call-1", toolName: "search", input: args },
    {
      type: "finish",
      finishReason: { unified: "tool-calls", raw: "tool_calls" },
      usage: {
        inputTokens: { total: 25, noCache: 25, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: n, text: n, reasoning: undefined },
      },
    },
  );
  return { events, aiSdkParts, text: text.join(""), reasoning: reasoning.join(""), args };
}

/** A pull `ReadableStream` over an array: one item per read, like a network source. */
export function readableOf<T>(items: readonly T[]): ReadableStream<T> {
  let i = 0;
  return new ReadableStream<T>(
    {
      pull(controller) {
        if (i < items.length) controller.enqueue(items[i++]!);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** An async generator over an array. */
export async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
