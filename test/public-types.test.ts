// What the published types promise at run time: every optional option may be passed as `undefined`
// (users with exactOptionalPropertyTypes write `signal: maybe`), and `hasPartial` narrows exactly
// the errors that carry the message so far. Web-standard APIs only: Node, workerd, Deno, Bun, Chromium.
import { describe, expect, test } from "vitest";
import {
  ChatModelStream,
  fromResponse,
  hasPartial,
  NDJSONDecoderStream,
  Projection,
  SSEDecoderStream,
  SSEEncoderStream,
  SSEParser,
  toResponse,
  type ChatModelStreamOptions,
  type ProtocolEvent,
  type ToResponseOptions,
} from "../src/index.ts";
import { failure, readAll, readableOf, textMessage } from "./helpers.ts";

const EVERY_STREAM_OPTION_UNDEFINED: Required<{ [K in keyof ChatModelStreamOptions]: undefined }> = {
  namespace: undefined,
  node: undefined,
  messageId: undefined,
  signal: undefined,
  keepAlive: undefined,
  highWaterMark: undefined,
  idleTimeoutMs: undefined,
  firstTokenTimeoutMs: undefined,
  totalTimeoutMs: undefined,
  maxEvents: undefined,
  maxBytes: undefined,
};

const hello = (): ProtocolEvent[] => textMessage("Hel", "lo") as ProtocolEvent[];

describe("every optional option accepts undefined, as if it were left out", () => {
  test("new ChatModelStream and ChatModelStream.from", async () => {
    const pushed = new ChatModelStream(EVERY_STREAM_OPTION_UNDEFINED);
    for (const event of hello()) pushed.dispatch(event);
    const pulled = ChatModelStream.from(hello(), EVERY_STREAM_OPTION_UNDEFINED);
    expect({
      pushed: await pushed.text,
      pulled: await pulled.text,
      namespace: pulled.namespace,
      node: pulled.node,
      messageId: pulled.messageId,
    }).toEqual({ pushed: "Hello", pulled: "Hello", namespace: [], node: undefined, messageId: undefined });
  });

  test("toResponse: the defaults (SSE, status 200) with every option undefined", async () => {
    const options: Required<{ [K in keyof ToResponseOptions]: undefined }> = {
      format: undefined,
      headers: undefined,
      status: undefined,
      heartbeatMs: undefined,
      onError: undefined,
      smooth: undefined,
      threadId: undefined,
      runId: undefined,
    };
    const response = toResponse(ChatModelStream.from(hello()), options);
    expect({ status: response.status, type: response.headers.get("content-type") }).toEqual({
      status: 200,
      type: "text/event-stream",
    });
    expect(await fromResponse(response, { ...EVERY_STREAM_OPTION_UNDEFINED, maxLineBytes: undefined }).text).toBe("Hello");
  });

  test("the encoder, decoder and parser classes", async () => {
    const sse = readableOf(hello()).pipeThrough(new SSEEncoderStream({ heartbeatMs: undefined }));
    const decoded = await readAll(sse.pipeThrough(new SSEDecoderStream({ maxLineBytes: undefined })));
    const ndjson = new TextEncoder().encode(hello().map((e) => JSON.stringify(e) + "\n").join(""));
    const fromNdjson = await readAll(
      new Response(ndjson).body!.pipeThrough(new NDJSONDecoderStream({ maxLineBytes: undefined })),
    );
    const comments: string[] = [];
    const parser = new SSEParser(() => {}, { onRetry: undefined, onComment: (c) => comments.push(c), maxLineBytes: undefined });
    parser.write(": ping\n\n");
    expect({ sse: decoded, ndjson: fromNdjson, comments }).toEqual({ sse: hello(), ndjson: hello(), comments: ["ping"] });
  });
});

describe("hasPartial", () => {
  test("is true for a cancellation's AbortError, whose partial is the message so far", async () => {
    const stream = new ChatModelStream();
    stream.dispatch({ event: "message-start" });
    stream.dispatch({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } });
    await stream.aclose();
    const error: unknown = await failure(stream.output);
    expect(hasPartial(error) ? { name: error.name, text: JSON.stringify(error.partial.content) } : "no partial").toEqual({
      name: "AbortError",
      text: expect.stringContaining("Hel"),
    });
  });

  test("is false for a source's own error, passed through unchanged", async () => {
    const own = new Error("the model is down");
    const stream = ChatModelStream.from(
      (async function* () {
        yield { event: "message-start" } as ProtocolEvent;
        throw own;
      })(),
    );
    const error = await failure(stream.text);
    expect({ same: error === own, hasPartial: hasPartial(error) }).toEqual({ same: true, hasPartial: false });
  });

  test("checks the value, not the class: a partial from another copy counts, a malformed one does not", () => {
    const message = { type: "ai", content: "", tool_calls: [], invalid_tool_calls: [], response_metadata: {} };
    expect([
      hasPartial(Object.assign(new Error("x"), { partial: message })),
      hasPartial({ name: "AbortError", message: "", partial: message }),
      hasPartial(Object.assign(new Error("x"), { partial: "text" })),
      hasPartial(Object.assign(new Error("x"), { partial: { type: "human" } })),
      hasPartial(null),
      hasPartial("AbortError"),
    ]).toEqual([true, true, false, false, false, false]);
  });
});

describe("projections", () => {
  test("are instances of Projection and ReadableStream, made only by the stream's getters", async () => {
    const stream = ChatModelStream.from(hello());
    const text = stream.text;
    expect([text instanceof Projection, text instanceof ReadableStream, stream.events instanceof Projection]).toEqual([
      true,
      true,
      false,
    ]);
    await stream.aclose();
  });
});
