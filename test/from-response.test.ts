// fromResponse: our own SSE and NDJSON wire formats, read back into a ChatModelStream.
import { describe, expect, it } from "vitest";
import { ChatModelStream, fromAnthropic, fromResponse, HTTPError, NDJSONDecoderStream, SSEDecoderStream, toResponse } from "../src/index.ts";
import { bodyOf, bytesOf, chunkedBody, endlessLine, oneByteChunks, responseOf, splitAt, type Bytes } from "./bytes.ts";
import * as anthropic from "./fixtures/anthropic.ts";
import * as openaiChat from "./fixtures/openai-chat.ts";
import * as openaiResponses from "./fixtures/openai-responses.ts";
import { failure, readAll, readUntilError, settle, type Event } from "./helpers.ts";
import { outcome } from "./rechunk.ts";

const usage = { input_tokens: 12, output_tokens: 9, total_tokens: 21, input_token_details: { cache_read: 4 } };

/** A message with reasoning, non-ASCII text, a tool call and usage. */
const events = [
  { event: "message-start", role: "ai", id: "m1", metadata: { model_provider: "test", model_name: "scripted" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Greet, then search." } },
  { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Greet, then search." } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Grüß" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: " dich 👋\n" } },
  { event: "content-block-finish", index: 1, content: { type: "text", text: "Grüß dich 👋\n" } },
  { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "c1", name: "search", args: "" } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '{"q":' } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '"Köln"}' } },
  { event: "content-block-finish", index: 2, content: { type: "tool_call", id: "c1", name: "search", args: { q: "Köln" } } },
  { event: "usage", usage },
  { event: "message-finish", reason: "tool_calls", usage },
] as Event[];

/** Our SSE format: `id` from 1, `event` = the event's name, `data` = the event as JSON; `:` heartbeats. */
function sseOf(list: readonly Event[], heartbeat = false): string {
  return list.map((e, i) => `${heartbeat ? ":\n\n" : ""}id: ${i + 1}\nevent: ${e.event}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

function ndjsonOf(list: readonly Event[], newline = "\n"): string {
  return list.map((e) => JSON.stringify(e) + newline).join("");
}

const expected = await ChatModelStream.from(events).output;

describe("our SSE format", () => {
  it("rehydrates the message the events make", async () => {
    expect(await fromResponse(responseOf(sseOf(events))).output).toEqual(expected);
  });

  it("gives the same deltas to a text reader", async () => {
    expect((await readAll(fromResponse(responseOf(sseOf(events))).text)).join("")).toBe("Grüß dich 👋\n");
  });

  it("skips heartbeat comments", async () => {
    expect(await fromResponse(responseOf(sseOf(events, true))).output).toEqual(expected);
  });

  it("gives the same message however the bytes are split in two", async () => {
    const bytes = bytesOf(sseOf(events));
    const bad: number[] = [];
    for (let at = 0; at <= bytes.length; at++) {
      const got = await fromResponse(bodyOf(...splitAt(bytes, at))).output;
      if (JSON.stringify(got) !== JSON.stringify(expected)) bad.push(at);
    }
    expect(bad).toEqual([]);
  });

  it("gives the same message from one-byte chunks", async () => {
    expect(await fromResponse(bodyOf(...oneByteChunks(bytesOf(sseOf(events))))).output).toEqual(expected);
  });

  it("stops reading after the terminal event and cancels the rest of the body", async () => {
    const source = chunkedBody([bytesOf(sseOf(events)), bytesOf("data: not read\n\n")], true);
    await fromResponse(source.body).output;
    await settle();
    expect({ pulled: source.pulled, cancelled: source.cancelled !== undefined }).toEqual({ pulled: 1, cancelled: true });
  });

  it("fails with a TypeError naming the position when data is not JSON", async () => {
    const error = await failure(fromResponse(responseOf(`${sseOf(events.slice(0, 2))}data: {oops\n\n`)).output);
    expect([error.name, error.message]).toEqual(["TypeError", 'Invalid SSE event data at position 2: not JSON: "{oops"']);
  });

  it("hands readers what arrived before the bad data, then the error", async () => {
    const text = [events[0]!, events[4]!, events[5]!, events[6]!];
    const { chunks, error } = await readUntilError(fromResponse(responseOf(`${sseOf(text)}data: nope\n\n`)).text);
    expect({ text: chunks.join(""), error: (error as Error).name }).toEqual({ text: "Grüß dich 👋\n", error: "TypeError" });
  });

  it("fails with the body's own error when the connection breaks", async () => {
    const broken = new Error("connection reset");
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(broken);
        sent = true;
        controller.enqueue(bytesOf(sseOf(events.slice(0, 6))));
      },
    });
    expect(await failure(fromResponse(body).output)).toBe(broken);
  });

  it("fails with the error an error event carries", async () => {
    const failed = [events[0]!, { event: "error", message: "model overloaded", code: "overloaded" } as Event];
    const error = (await failure(fromResponse(responseOf(sseOf(failed))).output)) as Error & { code?: string };
    expect([error.message, error.code]).toEqual(["model overloaded", "overloaded"]);
  });

  it("adds the missing finish when the body ends without a terminal event", async () => {
    const message = await fromResponse(responseOf(sseOf(events.slice(0, 8)))).output;
    expect(message.content).toEqual([expected.content[0], expected.content[1]]);
  });
});

describe("NDJSON", () => {
  const ndjson = { contentType: "application/x-ndjson" };

  it("rehydrates the message the events make", async () => {
    expect(await fromResponse(responseOf(ndjsonOf(events), ndjson)).output).toEqual(expected);
  });

  it("accepts CRLF line ends, blank lines and a last line without a line end", async () => {
    const text = `\r\n${ndjsonOf(events, "\r\n\r\n").trimEnd()}`;
    expect(await fromResponse(responseOf(text, ndjson)).output).toEqual(expected);
  });

  it("gives the same message however the bytes are split in two", async () => {
    const bytes = bytesOf(ndjsonOf(events));
    const bad: number[] = [];
    for (let at = 0; at <= bytes.length; at++) {
      const got = await fromResponse(bodyOf(...splitAt(bytes, at))).output;
      if (JSON.stringify(got) !== JSON.stringify(expected)) bad.push(at);
    }
    expect(bad).toEqual([]);
  });

  it("fails with a TypeError naming the line when a line is not JSON", async () => {
    const error = await failure(fromResponse(responseOf(`${ndjsonOf(events.slice(0, 3))}oops\n`, ndjson)).output);
    expect(error.message).toBe('Invalid NDJSON line at position 3: not JSON: "oops"');
  });
});

describe("choosing the format", () => {
  it("text/event-stream with parameters is SSE", async () => {
    const response = responseOf(sseOf(events), { contentType: "Text/Event-Stream; charset=utf-8" });
    expect(await fromResponse(response).output).toEqual(expected);
  });

  it("application/x-ndjson with parameters is NDJSON", async () => {
    const response = responseOf(ndjsonOf(events), { contentType: "application/x-ndjson; charset=utf-8" });
    expect(await fromResponse(response).output).toEqual(expected);
  });

  it("a bare body starting with { is NDJSON", async () => {
    expect(await fromResponse(bodyOf(bytesOf(ndjsonOf(events)))).output).toEqual(expected);
  });

  it("a bare body starting with a field or a comment is SSE", async () => {
    const outputs = await Promise.all(
      [sseOf(events), `: hi\n\n${sseOf(events)}`].map((text) => fromResponse(bodyOf(bytesOf(text))).output),
    );
    expect(outputs).toEqual([expected, expected]);
  });

  it("leading whitespace and a BOM do not decide, even split across chunks", async () => {
    const bytes = bytesOf(`\uFEFF \n\t${ndjsonOf(events)}`);
    expect(await fromResponse(bodyOf(...oneByteChunks(bytes))).output).toEqual(expected);
  });

  it("application/octet-stream is sniffed", async () => {
    const response = responseOf(ndjsonOf(events), { contentType: "application/octet-stream" });
    expect(await fromResponse(response).output).toEqual(expected);
  });

  it.each([
    ["an HTML page", "text/html; charset=utf-8", "<!doctype html><p>Bad gateway</p>", "text/html"],
    ["a JSON body", "application/json", '{"choices":[]}', "application/json"],
    ["plain text", "text/plain; charset=utf-8", "Hello there", "text/plain"],
  ])("a 200 response that is not a stream (%s) fails with a TypeError naming its content type", async (_what, contentType, body, named) => {
    const error = await failure(fromResponse(responseOf(body, { contentType })).output);
    expect([error.name, error.message.includes(`got ${named}`)]).toEqual(["TypeError", true]);
  });

  it("an empty body fails as an empty source does", async () => {
    expect((await failure(fromResponse(responseOf("")).output)).message).toBe("No generation chunks were returned");
  });
});

describe("HTTP errors", () => {
  it("a non-OK response fails with an HTTPError carrying status, message and code", async () => {
    const body = JSON.stringify({ error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } });
    const response = new Response(body, { status: 429, statusText: "Too Many Requests", headers: { "retry-after": "2" } });
    const error = (await failure(fromResponse(response).output)) as HTTPError;
    expect({
      isHTTPError: error instanceof HTTPError,
      status: error.status,
      message: error.message,
      code: error.code,
      providerCode: error.providerCode,
      retryAfter: error.headers.get("retry-after"),
    }).toEqual({
      isHTTPError: true,
      status: 429,
      message: "HTTP 429 Too Many Requests: Rate limit reached",
      code: "http",
      providerCode: "rate_limit_exceeded",
      retryAfter: "2",
    });
  });

  it("a non-JSON error body is quoted in the message", async () => {
    const error = await failure(fromResponse(new Response("upstream timed out\n", { status: 504, statusText: "Gateway Timeout" })).output);
    expect(error.message).toBe("HTTP 504 Gateway Timeout: upstream timed out");
  });

  it("a response whose body was already read is refused at once", async () => {
    const response = responseOf(sseOf(events));
    await response.text();
    expect(() => fromResponse(response)).toThrow(TypeError);
  });
});
describe("HTTPError says whether and when to retry", () => {
  const refused = (status: number, headers: Record<string, string> = {}): Promise<HTTPError> =>
    failure(fromResponse(new Response("{}", { status, headers })).output) as Promise<HTTPError>;

  it.each([408, 409, 429, 500, 503, 529])("%i is retryable", async (status) => {
    expect((await refused(status)).isRetryable).toBe(true);
  });

  it.each([400, 401, 403, 404, 422])("%i is not", async (status) => {
    expect((await refused(status)).isRetryable).toBe(false);
  });

  it("x-should-retry overrides the status", async () => {
    expect([(await refused(500, { "x-should-retry": "false" })).isRetryable, (await refused(400, { "x-should-retry": "true" })).isRetryable]).toEqual([
      false,
      true,
    ]);
  });

  it("retryAfterMs reads retry-after-ms, then retry-after in seconds or as a date", async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    const fromDate = (await refused(503, { "retry-after": inTenSeconds })).retryAfterMs!;
    expect({
      ms: (await refused(429, { "retry-after-ms": "250", "retry-after": "9" })).retryAfterMs,
      seconds: (await refused(429, { "retry-after": "2" })).retryAfterMs,
      date: fromDate > 5_000 && fromDate <= 10_000,
      none: (await refused(429)).retryAfterMs,
      garbage: (await refused(429, { "retry-after": "soon" })).retryAfterMs,
    }).toEqual({ ms: 250, seconds: 2000, date: true, none: undefined, garbage: undefined });
  });

  it("isInstance knows an instance from another copy of the package by its marker", async () => {
    const error = await refused(429);
    const copy = Object.create(Object.getPrototypeOf(Object.getPrototypeOf(error)) as object) as object;
    for (const key of Object.getOwnPropertySymbols(error)) Object.defineProperty(copy, key, { value: (error as unknown as Record<symbol, unknown>)[key] });
    expect([HTTPError.isInstance(error), HTTPError.isInstance(copy), HTTPError.isInstance(new Error("x")), HTTPError.isInstance(null)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});


describe("laziness and cancellation", () => {
  const firstEvents = bytesOf(sseOf(events.slice(0, 6)));

  it("reads nothing before something consumes", async () => {
    const source = chunkedBody([firstEvents]);
    const stream = fromResponse(source.body);
    void stream.text; // a view that is never read
    await settle();
    expect(source.pulled).toBe(0);
  });

  it("aclose() cancels the body", async () => {
    const source = chunkedBody([firstEvents], true);
    const stream = fromResponse(source.body);
    await stream.text.getReader().read();
    await stream.aclose();
    await settle();
    expect(source.cancelled).toBeDefined();
  });

  it("aborting the signal cancels the body", async () => {
    const source = chunkedBody([firstEvents], true);
    const controller = new AbortController();
    const stream = fromResponse(source.body, { signal: controller.signal });
    await stream.text.getReader().read();
    controller.abort(new Error("client went away"));
    await settle();
    expect(source.cancelled).toBeDefined();
  });

  it("a signal aborted before anything was read cancels the unread body", async () => {
    const source = chunkedBody([firstEvents], true);
    fromResponse(source.body, { signal: AbortSignal.abort() });
    await settle();
    expect({ pulled: source.pulled, cancelled: source.cancelled !== undefined }).toEqual({ pulled: 0, cancelled: true });
  });

  it("the last reader cancelling cancels the body", async () => {
    const source = chunkedBody([firstEvents], true);
    const reader = fromResponse(source.body).text.getReader();
    await reader.read();
    await reader.cancel();
    await settle();
    expect(source.cancelled).toBeDefined();
  });

  it("an await keeps reading after the last reader cancelled", async () => {
    const source = chunkedBody(oneByteChunks(bytesOf(sseOf(events))));
    const stream = fromResponse(source.body);
    const output = stream.output.then((message) => message); // a pending await
    const reader = stream.text.getReader();
    await reader.read();
    await reader.cancel();
    expect(await output).toEqual(expected);
  });
});

describe("the decoder streams", () => {
  it("SSEDecoderStream turns our SSE bytes into the events", async () => {
    expect(await readAll(bodyOf(...oneByteChunks(bytesOf(sseOf(events)))).pipeThrough(new SSEDecoderStream()))).toEqual(events);
  });

  it("NDJSONDecoderStream turns NDJSON bytes into the events", async () => {
    expect(await readAll(bodyOf(...oneByteChunks(bytesOf(ndjsonOf(events)))).pipeThrough(new NDJSONDecoderStream()))).toEqual(
      events,
    );
  });

  it("SSEDecoderStream ends at the terminal event and cancels the rest of its input", async () => {
    const source = chunkedBody([bytesOf(sseOf(events)), bytesOf("data: {}\n\n")], true);
    const decoded = await readAll(source.body.pipeThrough(new SSEDecoderStream()));
    await settle();
    expect({ count: decoded.length, cancelled: source.cancelled !== undefined }).toEqual({ count: events.length, cancelled: true });
  });
});

describe("a round trip through toResponse", () => {
  for (const format of ["sse", "ndjson"] as const) {
    it(`${format}: a provider stream re-served and read back ends the same, failures included`, async () => {
      const names = Object.keys(anthropic) as (keyof typeof anthropic)[];
      const direct = await Promise.all(names.map((name) => outcome(fromAnthropic(responseOf(anthropic[name])))));
      const served = await Promise.all(
        names.map((name) => outcome(fromResponse(toResponse(fromAnthropic(responseOf(anthropic[name])), { format })))),
      );
      expect(served).toEqual(direct);
    });
  }
});

// `gc` and the heap size exist in the node project only; elsewhere the bound is checked, not the heap.
const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage;
const MB = 1024 * 1024;

/** The body passed through, with the heap sampled at each chunk: the most it grew over `base`. */
function sampled(body: ReadableStream<Bytes>): { readonly body: ReadableStream<Bytes>; readonly peak: number } {
  gc?.();
  const base = heapUsed?.().heapUsed ?? 0;
  let peak = 0;
  const out = body.pipeThrough(
    new TransformStream<Bytes, Bytes>({
      transform(chunk, controller) {
        if (heapUsed !== undefined) peak = Math.max(peak, heapUsed().heapUsed - base);
        controller.enqueue(chunk);
      },
    }),
  );
  return {
    body: out,
    get peak() {
      return peak;
    },
  };
}

describe("a body that never ends its line", () => {
  const FIFTY_MB = 50 * MB;

  it.each([
    ["SSE", "text/event-stream", "data: "],
    ["NDJSON", "application/x-ndjson", '{"event":"'],
    ["a body of no stated type", undefined, "data: "],
  ])("%s: 50 MB without a line break fails with a RangeError naming maxLineBytes, the heap growing ≤ 16 MB", async (_what, type, prefix) => {
    const source = endlessLine(prefix, FIFTY_MB);
    const heap = sampled(source.body);
    const input = type === undefined ? heap.body : new Response(heap.body, { headers: { "content-type": type } });
    const error = await failure(fromResponse(input).output);
    await settle();
    expect({
      name: error.name,
      message: error.message,
      stoppedEarly: source.pulled <= 9 * MB,
      cancelled: source.cancelled !== undefined,
      heapWithinBound: heap.peak <= 16 * MB,
    }).toEqual({
      name: "RangeError",
      message: "maxLineBytes exceeded: the stream has a line longer than maxLineBytes (8388608 bytes)",
      stoppedEarly: true,
      cancelled: true,
      heapWithinBound: true,
    });
  }, 60_000);

  it("counts toward maxBytes when that is smaller, and names it", async () => {
    const source = endlessLine("data: ", FIFTY_MB);
    const error = await failure(fromResponse(source.body, { maxBytes: 1_000_000 }).output);
    expect([error.name, error.message, source.pulled <= 2 * MB]).toEqual([
      "RangeError",
      "The chat model stream received more than maxBytes (1000000) bytes: a line of the response is longer than that",
      true,
    ]);
  }, 60_000);

  it("maxLineBytes sets the bound, in UTF-8 bytes", async () => {
    // 2 bytes a character: 600 characters are 1200 bytes, over a bound of 1024.
    const line = `data: ${JSON.stringify({ event: "message-start", id: "é".repeat(600) })}\n\n`;
    const error = await failure(fromResponse(responseOf(line), { maxLineBytes: 1024 }).output);
    expect(error.message).toBe("maxLineBytes exceeded: the stream has a line longer than maxLineBytes (1024 bytes)");
  });

  it("a line under the bound arrives whole", async () => {
    const text = "é".repeat(300_000); // 600 000 bytes, under a bound of 700 000
    const list = [events[0]!, events[4]!, { event: "content-block-delta", index: 1, delta: { type: "text-delta", text } } as Event];
    expect(await fromResponse(responseOf(sseOf(list)), { maxLineBytes: 700_000 }).text).toBe(text);
  });

  it("refuses a maxLineBytes that is not a positive integer", () => {
    expect(() => fromResponse(responseOf(sseOf(events)), { maxLineBytes: 0 })).toThrow(RangeError);
  });
});

describe("the decoder streams error their output on bad input, with no unhandled rejection", () => {
  it.each([
    ["SSEDecoderStream, data that is not JSON", () => new SSEDecoderStream(), "data: {oops\n\n", "TypeError"],
    ["NDJSONDecoderStream, a line that is not JSON", () => new NDJSONDecoderStream(), "{oops\n", "TypeError"],
    ["SSEDecoderStream, a line over maxLineBytes", () => new SSEDecoderStream({ maxLineBytes: 64 }), `data: ${"x".repeat(100)}`, "RangeError"],
    ["NDJSONDecoderStream, a line over maxLineBytes", () => new NDJSONDecoderStream({ maxLineBytes: 64 }), `{"a":"${"x".repeat(100)}`, "RangeError"],
  ])("%s", async (_what, make, text, name) => {
    // The input stays open after the bad bytes: the error, not its end, must stop the pipe.
    const source = chunkedBody([bytesOf(text)], true);
    const { error } = await readUntilError(source.body.pipeThrough(make()));
    await settle();
    expect([(error as Error | undefined)?.name, source.cancelled !== undefined]).toEqual([name, true]);
  });

  it("NDJSONDecoderStream, a last line without a line end that is not JSON", async () => {
    const { error } = await readUntilError(bodyOf(bytesOf("{oops")).pipeThrough(new NDJSONDecoderStream()));
    expect((error as Error | undefined)?.name).toBe("TypeError");
  });
});

describe("aclose() while a non-OK response's error body is read", () => {
  it("cancels the body", async () => {
    let cancels = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"error":'));
      },
      pull: () => new Promise<void>(() => {}),
      cancel() {
        cancels++;
      },
    });
    const stream = fromResponse(new Response(body, { status: 500 }));
    stream.output.then(undefined, () => {});
    await settle();
    await stream.aclose();
    await settle();
    expect(cancels).toBe(1);
  });
});

describe("a provider's own stream handed to fromResponse", () => {
  it.each([
    ["an OpenAI Chat Completions stream", openaiChat.text, "fromOpenAIChat"],
    ["an OpenAI Responses stream", openaiResponses.reasoningAndText, "fromOpenAIResponses"],
    ["an Anthropic Messages stream", anthropic.text, "fromAnthropic"],
  ])("(%s) fails with a TypeError naming it and the adapter that reads it", async (kind, body, adapter) => {
    const error = await failure(fromResponse(responseOf(body)).output);
    expect({ type: error instanceof TypeError, code: (error as { code?: unknown }).code, message: error.message }).toEqual({
      type: true,
      code: "bad_input",
      message: `Expected this package's protocol events, got ${kind} (read it with ${adapter})`,
    });
  });
});
