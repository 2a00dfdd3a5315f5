/**
 * The body paths, what a Worker spends its time on: events or provider bytes in, `Response` body
 * bytes out. Our `toResponse` against the same job done by LangChain.js (its text in a one-layer
 * pull stream), by the AI SDK (`toTextStreamResponse`, `toUIMessageStreamResponse` over its own
 * OpenAI provider fed the same bytes) and by a floor (eventsource-parser + JSON.parse + re-encode
 * in one `TransformStream`). No Node API here: bench/worker.ts runs the same makers in workerd.
 */
import { createOpenAI } from "@ai-sdk/openai";
import { ChatModelStream as LangChainStream } from "@langchain/core/language_models/stream";
import { jsonSchema, streamText, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { createParser } from "eventsource-parser";
import { ChatModelStream, fromOpenAIChat, toResponse } from "../src/index.ts";
import { openAIChatBytes } from "./sse.ts";
import { iterate, readableOf, type Workload } from "./workload.ts";

/** Chunks and bytes of the last body read, for the chunks-per-response column. */
export const lastBody = { chunks: 0, bytes: 0 };

/** Reads a body to the end as a client does; returns its byte length. */
export async function drainBody(body: ReadableStream<Uint8Array> | null): Promise<number> {
  const reader = body!.getReader();
  let bytes = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    chunks++;
  }
  lastBody.chunks = chunks;
  lastBody.bytes = bytes;
  return bytes;
}

/** The README's own example: the text projection through a `TextEncoderStream`. */
export const oursTextEncoderStream = (w: Workload): ReadableStream<Uint8Array> =>
  ChatModelStream.from(iterate(w.events)).text.pipeThrough(new TextEncoderStream());

/** LangChain.js's text deltas as bytes in one pull `ReadableStream`: the least a wrapper can do. */
export function langChainTextBody(w: Workload): ReadableStream<Uint8Array> {
  const it = new LangChainStream(iterate(w.events as never[])).text[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await it.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value as string));
      },
      cancel() {
        void it.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

const tools = { search: tool({ inputSchema: jsonSchema<{ query: string }>({ type: "object", properties: { query: { type: "string" } } }) }) };

/** The AI SDK's `toTextStreamResponse` over its mock model fed W(N)'s parts. */
export function aiSdkTextBody(w: Workload): ReadableStream<Uint8Array> {
  const model = new MockLanguageModelV3({ doStream: async () => ({ stream: readableOf(w.aiSdkParts as never[]) }) });
  return streamText({ model, prompt: "bench", tools }).toTextStreamResponse().body!;
}

/** The AI SDK's own OpenAI provider, whose `fetch` answers with the same SSE bytes. */
function aiSdkOpenAI(w: Workload): ReturnType<typeof streamText> {
  const bytes = openAIChatBytes(w);
  const provider = createOpenAI({
    apiKey: "bench",
    fetch: async () => new Response(readableOf(bytes), { headers: { "content-type": "text/event-stream" } }),
  });
  return streamText({ model: provider.chat("w"), prompt: "bench", tools });
}

export const aiSdkUIBody = (w: Workload): ReadableStream<Uint8Array> => aiSdkOpenAI(w).toUIMessageStreamResponse().body!;
export const aiSdkOpenAITextBody = (w: Workload): ReadableStream<Uint8Array> => aiSdkOpenAI(w).toTextStreamResponse().body!;

export const oursTextBody = (w: Workload): ReadableStream<Uint8Array> =>
  toResponse(ChatModelStream.from(iterate(w.events)), { format: "text" }).body!;
export const oursSSEBody = (w: Workload): ReadableStream<Uint8Array> =>
  toResponse(ChatModelStream.from(iterate(w.events)), { format: "sse" }).body!;
export const oursSSEBytesBody = (w: Workload): ReadableStream<Uint8Array> =>
  toResponse(fromOpenAIChat(readableOf(openAIChatBytes(w))), { format: "sse" }).body!;
export const oursTextBytesBody = (w: Workload): ReadableStream<Uint8Array> =>
  toResponse(fromOpenAIChat(readableOf(openAIChatBytes(w))), { format: "text" }).body!;

/**
 * The floor of bytes → bytes: eventsource-parser and JSON.parse in one `TransformStream`, each
 * delta re-encoded as it comes (an SSE frame of ours, or its text).
 */
export function floorBody(w: Workload, sse: boolean): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let id = 0;
  let controller!: TransformStreamDefaultController<Uint8Array>;
  const parser = createParser({
    onEvent(event) {
      if (event.data === "[DONE]") return;
      const delta = JSON.parse(event.data).choices[0]?.delta;
      if (delta === undefined) return;
      const text: string | undefined = delta.content ?? delta.reasoning_content ?? delta.tool_calls?.[0]?.function?.arguments;
      if (!text) return;
      if (!sse) {
        if (delta.content) controller.enqueue(encoder.encode(text));
        return;
      }
      const frame = { event: "content-block-delta", index: 0, delta: { type: "text-delta", text } };
      controller.enqueue(encoder.encode(`id: ${++id}\nevent: content-block-delta\ndata: ${JSON.stringify(frame)}\n\n`));
    },
  });
  return readableOf(openAIChatBytes(w)).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(c) {
        controller = c;
      },
      transform(chunk) {
        parser.feed(decoder.decode(chunk, { stream: true }));
      },
    }),
  );
}

/** Every body path by name (the names are the rows' names). */
const CASES: Record<string, (w: Workload) => ReadableStream<Uint8Array>> = {
  "text: ours, toResponse text (events from an async generator)": oursTextBody,
  "text: ours, stream.text.pipeThrough(new TextEncoderStream())": oursTextEncoderStream,
  "text: LangChain.js text in a one-layer pull ReadableStream": langChainTextBody,
  "text: AI SDK toTextStreamResponse (mock model)": aiSdkTextBody,
  "sse: ours, toResponse sse (events from an async generator)": oursSSEBody,
  "bytes→SSE: ours, fromOpenAIChat → toResponse sse": oursSSEBytesBody,
  "bytes→SSE: floor, eventsource-parser + JSON.parse + re-encode": (w) => floorBody(w, true),
  "bytes→SSE: AI SDK @ai-sdk/openai → toUIMessageStreamResponse": aiSdkUIBody,
  "bytes→text: ours, fromOpenAIChat → toResponse text": oursTextBytesBody,
  "bytes→text: floor, eventsource-parser + JSON.parse + encode": (w) => floorBody(w, false),
  "bytes→text: AI SDK @ai-sdk/openai → toTextStreamResponse": aiSdkOpenAITextBody,
};

export const bodyCaseNames: string[] = Object.keys(CASES);

export function bodyCase(name: string): (w: Workload) => ReadableStream<Uint8Array> {
  const make = CASES[name];
  if (make === undefined) throw new Error(`no body case ${name}`);
  return make;
}

// -- memory per in-flight stream (bench/body.ts in Node, bench/worker.ts in workerd) -------------

/** Bodies of 2,000 events each, read until half their bytes arrived, then held. */
export const inFlightCases: Record<string, (w: Workload) => ReadableStream<Uint8Array>> = {
  "ours: SSE body, OpenAI bytes in (fromOpenAIChat → toResponse)": (w) => toResponse(fromOpenAIChat(readableOf(openAIChatBytes(w))), { format: "sse" }).body!,
  "ours: SSE body, events in (toResponse sse)": (w) => toResponse(ChatModelStream.from(iterate(w.events)), { format: "sse" }).body!,
  "ours: text body, events in (toResponse text)": (w) => toResponse(ChatModelStream.from(iterate(w.events)), { format: "text" }).body!,
  "LangChain.js: text in a one-layer pull ReadableStream, events in": langChainTextBody,
  "AI SDK: UI message stream body, OpenAI bytes in (@ai-sdk/openai)": (w) => {
    const bytes = openAIChatBytes(w);
    const provider = createOpenAI({
      apiKey: "bench",
      fetch: async () => new Response(readableOf(bytes), { headers: { "content-type": "text/event-stream" } }),
    });
    return streamText({ model: provider.chat("w"), prompt: "bench" }).toUIMessageStreamResponse().body!;
  },
};

/**
 * Makes `streams` bodies with `make`, reads each until half of `total` bytes arrived, and returns
 * their readers (to be held while the heap is measured).
 */
export async function holdHalfRead(
  make: () => ReadableStream<Uint8Array>,
  streams: number,
  total: number,
  name: string,
): Promise<ReadableStreamDefaultReader<Uint8Array>[]> {
  const held: ReadableStreamDefaultReader<Uint8Array>[] = [];
  for (let i = 0; i < streams; i++) {
    const reader = make().getReader();
    let bytes = 0;
    while (bytes < total / 2) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`${name}: ended early`);
      bytes += value.byteLength;
    }
    held.push(reader);
  }
  return held;
}
