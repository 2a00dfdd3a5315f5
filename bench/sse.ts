/**
 * The SSE path: W(N) as an OpenAI Chat Completions stream (`stream: true` with usage), as bytes in
 * network-sized chunks, read by our adapter and, as the baseline, by eventsource-parser with
 * JSON.parse doing the same accumulation.
 */
import { createParser } from "eventsource-parser";
import { fromOpenAIChat, SSEParser } from "../src/index.ts";
import { readableOf, type Workload } from "./workload.ts";

const transcripts = new WeakMap<Workload, Uint8Array[]>();

/** The workload as OpenAI SSE bytes, cut into 16 KiB chunks (made once per workload). */
export function openAIChatBytes(w: Workload): Uint8Array[] {
  let chunks = transcripts.get(w);
  if (chunks !== undefined) return chunks;
  const base = { id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1754300000, model: "w" };
  const lines: string[] = [];
  const send = (delta: unknown, finish: string | null = null): void => {
    lines.push(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  };
  let named = false;
  for (const ev of w.events as unknown as Record<string, any>[]) {
    if (ev["event"] !== "content-block-delta") continue;
    const d = ev["delta"];
    if (d.type === "text-delta") send({ content: d.text });
    else if (d.type === "reasoning-delta") send({ reasoning_content: d.reasoning });
    else if (d.type === "tool-call-delta") {
      // The first slice names the call, as OpenAI sends it (the AI SDK's provider requires it).
      const call = named ? { index: 0, function: { arguments: d.args } } : { index: 0, id: "call-1", type: "function", function: { name: "search", arguments: d.args } };
      named = true;
      send({ tool_calls: [call] });
    }
  }
  send({}, "tool_calls");
  lines.push(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 25, completion_tokens: 1, total_tokens: 26 } })}\n\n`);
  lines.push("data: [DONE]\n\n");
  const bytes = new TextEncoder().encode(lines.join(""));
  chunks = [];
  for (let i = 0; i < bytes.length; i += 16384) chunks.push(bytes.subarray(i, i + 16384));
  transcripts.set(w, chunks);
  return chunks;
}

/** Reads the transcript as a client does, handing each decoded piece of text to `write`. */
async function readText(w: Workload, write: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = readableOf(openAIChatBytes(w)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    write(decoder.decode(value, { stream: true }));
  }
}

/** What both parsers do with each event: JSON.parse and keep the text. */
function collect(parts: string[]): (event: { data: string }) => void {
  return (event) => {
    if (event.data === "[DONE]") return;
    const content = JSON.parse(event.data).choices[0]?.delta?.content;
    if (content) parts.push(content);
  };
}

/** eventsource-parser and JSON.parse, accumulating text: what a hand-written client does. */
export async function eventsourceParserText(w: Workload): Promise<number> {
  const parts: string[] = [];
  const parser = createParser({ onEvent: collect(parts) });
  await readText(w, (text) => parser.feed(text));
  return parts.join("").length;
}

/** Our SSE parser alone (its push form, as eventsource-parser's), with the same JSON.parse and accumulation. */
export async function ourParserText(w: Workload): Promise<number> {
  const parts: string[] = [];
  const parser = new SSEParser(collect(parts));
  await readText(w, (text) => parser.write(text));
  parser.end();
  return parts.join("").length;
}

/** The whole path: bytes → our adapter → `await stream.text`. */
export async function adapterText(w: Workload): Promise<number> {
  return (await fromOpenAIChat(readableOf(openAIChatBytes(w))).text).length;
}
