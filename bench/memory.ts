/**
 * Heap retained by one stream at the end of a long message, measured in a fresh process
 * (`node --expose-gc`), after gc, with the stream and its projections still referenced and the
 * workload's own event array released.
 */
import { streamText } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { ChatModelStream, toResponse } from "../src/index.ts";
import { iterate, readableOf, workload } from "./workload.ts";

export const memoryCases: Record<string, (n: number) => Promise<number>> = {
  "ours: text piped": (n) => measure(n, async (events, keep) => {
    const stream = ChatModelStream.from(iterate(events));
    keep.push(stream);
    await stream.text.pipeTo(sink());
  }),
  "ours: text piped + reasoning accessed, never read": (n) => measure(n, async (events, keep) => {
    const stream = ChatModelStream.from(iterate(events));
    keep.push(stream, stream.reasoning);
    await stream.text.pipeTo(sink());
  }),
  "ours: await text": (n) => measure(n, async (events, keep) => {
    const stream = ChatModelStream.from(iterate(events));
    keep.push(stream, await stream.text);
  }),
  // The README's Worker: an SSE body whose client took one chunk and stalled, while
  // ctx.waitUntil(stream.output…) drives the model to the end. N one-character deltas.
  "ours: SSE body, client stalled after one event, await output": (n) => measure(n, async (_events, keep) => {
    const stream = ChatModelStream.from(oneCharDeltas(n));
    const reader = toResponse(stream, { format: "sse" }).body!.getReader();
    await reader.read();
    keep.push(stream, reader);
    await stream.output;
  }),
  "ai-sdk: await text": (n) => measure(n, async (_events, keep, parts) => {
    const model = new MockLanguageModelV3({ doStream: async () => ({ stream: readableOf(parts as never[]) }) });
    const result = streamText({ model, prompt: "bench" });
    keep.push(result, await result.text);
  }),
};

function* oneCharDeltas(n: number): Generator<unknown> {
  yield { event: "message-start" };
  yield { event: "content-block-start", index: 0, content: { type: "text", text: "" } };
  for (let i = 0; i < n; i++) yield { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "a" } };
  yield { event: "message-finish", reason: "stop" };
}

function sink(): WritableStream<string> {
  return new WritableStream({ write() {} });
}

type Body = (events: any[], keep: unknown[], aiSdkParts: unknown[]) => Promise<void>;

async function measure(n: number, body: Body): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with node --expose-gc");
  gc();
  const before = process.memoryUsage().heapUsed;
  let w: ReturnType<typeof workload> | undefined = workload(n);
  const keep: unknown[] = [];
  await body(w.events, keep, w.aiSdkParts);
  w = undefined;
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
  }
  const retained = process.memoryUsage().heapUsed - before;
  (globalThis as { keep?: unknown }).keep = keep;
  return retained;
}
