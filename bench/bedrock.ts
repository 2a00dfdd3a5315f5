/**
 * The Bedrock binary path: W(N) as a ConverseStream body (AWS event-stream frames with both
 * checksums), in 16 KiB chunks, read by `fromBedrock`; and its floor: each frame's two CRC-32s
 * checked, its headers skipped, its payload decoded and `JSON.parse`d, the text kept, over the
 * whole body in one piece (no chunk boundaries to handle, no events, no fold).
 */
import { fromBedrock } from "../src/index.ts";
import { crc32 } from "../src/eventstream/crc32.ts";
import { concat, event } from "../test/fixtures/bedrock-frames.ts";
import { readableOf, type Workload } from "./workload.ts";

const bodies = new WeakMap<Workload, { chunks: Uint8Array[]; whole: Uint8Array }>();

/** The workload as Bedrock frames: text in block 0, reasoning in 1, the tool call's input in 2. */
function bedrockBody(w: Workload): { chunks: Uint8Array[]; whole: Uint8Array } {
  let body = bodies.get(w);
  if (body !== undefined) return body;
  const frames: Uint8Array[] = [event("messageStart", { role: "assistant" })];
  let tool = false;
  for (const ev of w.events as unknown as Record<string, any>[]) {
    if (ev["event"] !== "content-block-delta") continue;
    const d = ev["delta"];
    if (d.type === "text-delta") frames.push(event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: d.text } }));
    else if (d.type === "reasoning-delta") frames.push(event("contentBlockDelta", { contentBlockIndex: 1, delta: { reasoningContent: { text: d.reasoning } } }));
    else if (d.type === "tool-call-delta") {
      if (!tool) frames.push(event("contentBlockStart", { contentBlockIndex: 2, start: { toolUse: { toolUseId: "tooluse_bench", name: "bench" } } }));
      tool = true;
      frames.push(event("contentBlockDelta", { contentBlockIndex: 2, delta: { toolUse: { input: d.args } } }));
    }
  }
  frames.push(event("messageStop", { stopReason: "tool_use" }));
  frames.push(event("metadata", { usage: { inputTokens: 25, outputTokens: 1, totalTokens: 26 }, metrics: { latencyMs: 1 } }));
  const whole = concat(...frames);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < whole.length; i += 16384) chunks.push(whole.subarray(i, i + 16384));
  body = { chunks, whole };
  bodies.set(w, body);
  return body;
}

/** The floor: both checksums, the payload parsed, the text kept; returns the text's length. */
export function bedrockFloorText(w: Workload): Promise<number> {
  const bytes = bedrockBody(w).whole;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    const total = view.getUint32(at);
    const headers = view.getUint32(at + 4);
    if (crc32(bytes, at, at + 8) !== view.getUint32(at + 8)) throw new Error("prelude checksum");
    if (crc32(bytes, at, at + total - 4) !== view.getUint32(at + total - 4)) throw new Error("message checksum");
    const payload = JSON.parse(decoder.decode(bytes.subarray(at + 12 + headers, at + total - 4))) as { delta?: { text?: string } };
    const text = payload.delta?.text;
    if (text) parts.push(text);
    at += total;
  }
  return Promise.resolve(parts.join("").length);
}

/** The whole path: bytes in 16 KiB chunks → fromBedrock → `await stream.text`. */
export async function bedrockText(w: Workload): Promise<number> {
  return (await fromBedrock(readableOf(bedrockBody(w).chunks)).text).length;
}
