// When the client goes away, the model stops: cancelling a toResponse body, or aborting the
// request's signal (all workerd tells a Worker about a disconnect), reaches aclose() and cancels the
// model call. The built-in scripted model counts the steps it took, so "stops" is observable.
import { describe, expect, it } from "vitest";
import { toResponse, type ResponseFormat } from "../src/index.ts";
import { ScriptedModel } from "../examples/worker/scripted-model.ts";
import { failure } from "./helpers.ts";

const formats: ResponseFormat[] = ["text", "sse", "ndjson"];

/** Reads `n` chunks of the body, so the model is surely running. */
async function readSome(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await reader.read();
}

function setUp(format: ResponseFormat, signal?: AbortSignal) {
  const model = new ScriptedModel({ delayMs: 1 });
  const total = model.script("hi").length;
  const stream = model.chat("hi", signal === undefined ? {} : { signal });
  const reader = toResponse(stream, { format }).body!.getReader();
  return { model, total, stream, reader };
}

describe("cancelling the response body", () => {
  it.each(formats)("%s: stops the model when nothing else holds the stream", async (format) => {
    const { model, total, stream, reader } = setUp(format);
    await readSome(reader, 5);
    await reader.cancel("client left");
    const error = await failure(stream.output);
    expect({ cancelled: model.cancelled, stoppedEarly: model.steps < total, error: error.name }).toEqual({
      cancelled: 1,
      stoppedEarly: true,
      error: "AbortError",
    });
  });

  it("keeps the model running while an await holds the stream (ctx.waitUntil(stream.output...))", async () => {
    const { model, total, stream, reader } = setUp("sse");
    const saved = stream.output; // as ctx.waitUntil(stream.output.then(save)) would
    void saved.then(() => {});
    await readSome(reader, 5);
    await reader.cancel("client left");
    const message = await saved;
    expect({ cancelled: model.cancelled, steps: model.steps, finished: message.response_metadata["finish_reason"] }).toEqual({
      cancelled: 0,
      steps: total,
      finished: "tool_calls",
    });
  });
});

describe("aborting the request's signal", () => {
  it.each(formats)("%s: stops the model, even while an await holds the stream", async (format) => {
    const client = new AbortController();
    const { model, total, stream, reader } = setUp(format, client.signal);
    const saved = failure(stream.output);
    await readSome(reader, 5);
    client.abort();
    const error = await saved;
    reader.cancel().catch(() => {});
    expect({ cancelled: model.cancelled, stoppedEarly: model.steps < total, error: error.name }).toEqual({
      cancelled: 1,
      stoppedEarly: true,
      error: "AbortError",
    });
  });

  it("ends an SSE body with an aborted error event", async () => {
    const client = new AbortController();
    const { reader } = setUp("sse", client.signal);
    await readSome(reader, 3);
    client.abort();
    const decoder = new TextDecoder();
    let last = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) last = decoder.decode(r.value);
    expect(last).toMatch(/^id: \d+\nevent: error\ndata: \{"event":"error","message":".*","code":"aborted"\}\n\n$/);
  });
});
