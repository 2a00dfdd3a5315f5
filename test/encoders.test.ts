// Bytes out: toResponse in its three formats, and the standalone SSE / NDJSON encoder streams.
// The wire formats are the contract with fromResponse: SSE is `id: <n>` (from 1), `event: <name>`,
// `data: <JSON>`, blank line, `: ping` comments while idle; NDJSON is one JSON event per line; both
// end with the terminal event, and a failure without an `error` event gets a closing one.
import { afterEach, describe, expect, it } from "vitest";
import { ChatModelStream, fromResponse, NDJSONEncoderStream, SSEEncoderStream, toResponse } from "../src/index.ts";
import { scriptedSource, type Event, feed, pulled, pushAll, readableOf, readAll, textMessage, hello } from "./helpers.ts";
import { concatBytes } from "./bytes.ts";

const decoder = new TextDecoder();

/** The body's chunks, each decoded on its own (none of them splits a character here). */
async function chunksOf(body: ReadableStream<Uint8Array>): Promise<string[]> {
  return (await readAll(body)).map((bytes) => decoder.decode(bytes));
}

async function bodyText(response: Response): Promise<string> {
  return decoder.decode(concatBytes(await readAll(response.body!)));
}

/** What is left to read, decoded. */
async function rest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return decoder.decode(concatBytes(chunks));
}

interface SSEMessage {
  id?: string;
  event?: string;
  data?: unknown;
  comment?: string;
}

/** A minimal reading of our own SSE output: messages split on blank lines, one field per line. */
function sseMessages(text: string): SSEMessage[] {
  return text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      const message: SSEMessage = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) message.comment = line.slice(1).trim();
        else if (line.startsWith("id: ")) message.id = line.slice(4);
        else if (line.startsWith("event: ")) message.event = line.slice(7);
        else if (line.startsWith("data: ")) message.data = JSON.parse(line.slice(6));
        else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
      }
      return message;
    });
}

function ndjsonLines(text: string): unknown[] {
  expect(text.endsWith("\n")).toBe(true);
  return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

/** Counts the intervals that are set and not yet cleared, through the globals the encoders call. */
function trackIntervals(): { readonly live: number; readonly started: number; restore(): void } {
  const g = globalThis as { setInterval: typeof setInterval; clearInterval: typeof clearInterval };
  const { setInterval: set, clearInterval: clear } = g;
  const live = new Set<unknown>();
  let started = 0;
  g.setInterval = ((handler: () => void, ms?: number) => {
    const id = set(handler, ms);
    live.add(id);
    started++;
    return id;
  }) as typeof setInterval;
  g.clearInterval = ((id: Parameters<typeof clearInterval>[0]) => {
    live.delete(id);
    clear(id);
  }) as typeof clearInterval;
  return {
    get live() {
      return live.size;
    },
    get started() {
      return started;
    },
    restore() {
      g.setInterval = set;
      g.clearInterval = clear;
    },
  };
}

let timers: ReturnType<typeof trackIntervals> | undefined;
afterEach(() => {
  timers?.restore();
  timers = undefined;
});

const CONTENT_TYPE = { sse: "text/event-stream", ndjson: "application/x-ndjson" } as const;

const usage = { input_tokens: 3, output_tokens: 4, total_tokens: 7 };

// A message with every kind of payload: reasoning, text with a line break and non-ASCII, a tool call.
const message: Event[] = [
  { event: "message-start", id: "m1", metadata: { provider: "test", model: "t-1" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Think." } },
  { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Think." } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Line one,\r\nline two: " } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "olá 🌍\u2028." } },
  { event: "content-block-finish", index: 1, content: { type: "text", text: "Line one,\r\nline two: olá 🌍\u2028." } },
  { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "c1", name: "weather", args: "" } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '{"city":"Lisbon"}' } },
  { event: "message-finish", reason: "tool_calls", usage },
];


describe("toResponse headers", () => {
  it.each([
    ["text", "text/plain; charset=utf-8", "nosniff"],
    ["sse", "text/event-stream", null],
    ["ndjson", "application/x-ndjson", null],
  ] as const)("%s: content-type, no caching, no compression, no proxy buffering", (format, type, nosniff) => {
    const response = toResponse(pushAll(hello), { format });
    void response.body!.cancel();
    const h = response.headers;
    expect({
      type: h.get("content-type"),
      cache: h.get("cache-control"),
      encoding: h.get("content-encoding"),
      accel: h.get("x-accel-buffering"),
      nosniff: h.get("x-content-type-options"),
      status: response.status,
    }).toEqual({ type, cache: "no-cache", encoding: "identity", accel: "no", nosniff, status: 200 });
  });

  it("adds the given headers, replaces defaults of the same name, and uses the given status", () => {
    const response = toResponse(pushAll(hello), {
      format: "sse",
      status: 201,
      headers: { "x-message-id": "m1", "Cache-Control": "no-store" },
    });
    void response.body!.cancel();
    expect([response.status, response.headers.get("x-message-id"), response.headers.get("cache-control")]).toEqual([
      201,
      "m1",
      "no-store",
    ]);
  });

  it("refuses an unknown format with a TypeError", () => {
    expect(() => toResponse(pushAll(hello), { format: "xml" as "sse" })).toThrow(TypeError);
  });

  it("refuses a negative heartbeatMs with a RangeError", () => {
    expect(() => toResponse(pushAll(hello), { format: "sse", heartbeatMs: -1 })).toThrow(RangeError);
  });
});

describe("toResponse is lazy", () => {
  it("reads nothing from the model before the body is read", async () => {
    const source = scriptedSource(hello);
    const response = toResponse(ChatModelStream.from(source.readable), { format: "sse" });
    await Promise.resolve();
    const before = source.pulled;
    await bodyText(response);
    expect([before, source.pulled]).toEqual([0, hello.length]);
  });
});

describe("format: text", () => {
  it("is the text projection as UTF-8 bytes, one chunk per delta", async () => {
    const response = toResponse(pulled(textMessage("Hel", "lo ", "wörld")), { format: "text" });
    expect(await chunksOf(response.body!)).toEqual(["Hel", "lo ", "wörld"]);
  });

  it("keeps a character whose UTF-16 halves arrive in two deltas", async () => {
    const [high, low] = ["🌍".charAt(0), "🌍".charAt(1)];
    const response = toResponse(pulled(textMessage(`a${high}`, `${low}b`)), { format: "text" });
    expect(await bodyText(response)).toBe("a🌍b");
  });

  it("errors the body after the text so far when the stream fails", async () => {
    const stream = new ChatModelStream();
    const response = toResponse(stream, { format: "text" });
    const reader = response.body!.getReader();
    feed(stream, hello.slice(0, 3));
    const first = decoder.decode((await reader.read()).value);
    stream.fail(new Error("provider went away"));
    const error = await reader.read().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect([first, error?.message]).toEqual(["Hel", "provider went away"]);
  });
  it("ends the body where the text stopped when the stream is aborted (the client is gone)", async () => {
    const stream = new ChatModelStream();
    const reader = toResponse(stream, { format: "text" }).body!.getReader();
    feed(stream, hello.slice(0, 3));
    const first = decoder.decode((await reader.read()).value);
    void stream.aclose("client left");
    expect([first, await rest(reader)]).toEqual(["Hel", ""]);
  });
});

describe("format: sse", () => {
  it("writes each event as id, event name and JSON data, then a blank line", async () => {
    const response = toResponse(pulled(hello), { format: "sse" });
    expect(await bodyText(response)).toBe(
      hello.map((e, i) => `id: ${i + 1}\nevent: ${e.event}\ndata: ${JSON.stringify(e)}\n\n`).join(""),
    );
  });

  it("carries every event losslessly, line breaks and non-ASCII text included", async () => {
    const messages = sseMessages(await bodyText(toResponse(pulled(message), { format: "sse" })));
    expect(messages).toEqual(message.map((data, i) => ({ id: String(i + 1), event: data.event, data })));
  });

  it("sends each event as its own chunk when the client keeps up", async () => {
    const chunks = await chunksOf(toResponse(pulled(hello), { format: "sse" }).body!);
    expect(chunks.map((c) => sseMessages(c).length)).toEqual(hello.map(() => 1));
  });

  it("ends after message-finish", async () => {
    const messages = sseMessages(await bodyText(toResponse(pushAll(hello), { format: "sse" })));
    expect(messages.at(-1)?.event).toBe("message-finish");
  });

  it("ends with the stream's own error event, and adds none", async () => {
    const events: Event[] = [...hello.slice(0, 3), { event: "error", message: "overloaded", code: "overloaded_error" }];
    const messages = sseMessages(await bodyText(toResponse(pulled(events), { format: "sse" })));
    expect(messages.slice(-2).map((m) => m.data)).toEqual([
      hello[2],
      { event: "error", message: "overloaded", code: "overloaded_error" },
    ]);
  });

  it("writes a closing error event when the stream fails without one", async () => {
    const stream = feed(new ChatModelStream(), hello.slice(0, 2));
    const reader = toResponse(stream, { format: "sse" }).body!.getReader();
    const first = decoder.decode((await reader.read()).value);
    stream.fail(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const messages = sseMessages(first + (await rest(reader)));
    expect(messages.at(-1)).toEqual({
      id: String(messages.length),
      event: "error",
      data: { event: "error", message: "socket hang up", code: "ECONNRESET" },
    });
  });

  it("ends with the error event, not a finish, when the body is read only after the stream failed", async () => {
    const stream = feed(new ChatModelStream(), hello.slice(0, 3));
    stream.fail(new Error("provider went away"));
    const messages = sseMessages(await bodyText(toResponse(stream, { format: "sse" })));
    expect(messages.map((m) => m.event).slice(-2)).toEqual(["content-block-delta", "error"]);
  });

  it.each([
    ["aclose()", "aborted", (s: ChatModelStream) => void s.aclose()],
    ["an abort with a TimeoutError", "timeout", (s: ChatModelStream) => void s.aclose(new DOMException("late", "TimeoutError"))],
    ["a malformed event", "bad_input", (s: ChatModelStream) => s.dispatch({ event: "content-block-delta" } as Event)],
    ["a failure without a code", "source_error", (s: ChatModelStream) => s.fail(new Error("boom"))],
  ])("gives the closing error event a code: %s → %s", async (_what, code, breakIt) => {
    const stream = feed(new ChatModelStream(), hello.slice(0, 2));
    const response = toResponse(stream, { format: "sse" });
    const reader = response.body!.getReader();
    await reader.read();
    breakIt(stream);
    const last = sseMessages(await rest(reader)).at(-1);
    expect((last?.data as { code?: string }).code).toBe(code);
  });

  it("lets onError choose what a client sees of a failure", async () => {
    const stream = feed(new ChatModelStream(), hello.slice(0, 2));
    const reader = toResponse(stream, { format: "sse", onError: () => ({ message: "Something went wrong." }) }).body!.getReader();
    await reader.read();
    stream.fail(new Error("upstream 500: internal details"));
    const last = sseMessages(await rest(reader)).at(-1);
    expect(last?.data).toEqual({ event: "error", message: "Something went wrong." });
  });

  it("sends a ping comment while the client waits and the model is silent, without using an id", async () => {
    const source = scriptedSource(hello, { holdAt: 1 });
    const response = toResponse(ChatModelStream.from(source.readable), { format: "sse", heartbeatMs: 5 });
    const reader = response.body!.getReader();
    const first = decoder.decode((await reader.read()).value);
    const second = decoder.decode((await reader.read()).value); // the model holds its second event
    source.release();
    expect(sseMessages(first + second + (await rest(reader))).map((m) => m.comment ?? m.id)).toEqual(["1", "ping", "2", "3", "4", "5"]);
  });
});

describe("format: ndjson", () => {
  it("writes one event per line, and ends after message-finish", async () => {
    const text = await bodyText(toResponse(pulled(message), { format: "ndjson" }));
    expect(ndjsonLines(text)).toEqual(message);
  });

  it("writes a closing error line when the stream fails without one", async () => {
    const stream = feed(new ChatModelStream(), hello.slice(0, 2));
    const response = toResponse(stream, { format: "ndjson" });
    void stream.aclose("user pressed stop");
    const lines = ndjsonLines(await bodyText(response));
    expect(lines.at(-1)).toEqual({
      event: "error",
      message: "The chat model stream was closed: user pressed stop",
      code: "aborted",
    });
  });
});

describe("a round trip through fromResponse", () => {
  it.each(["sse", "ndjson"] as const)("%s: the client's output equals the server's", async (format) => {
    const [received, original] = await Promise.all([
      fromResponse(toResponse(pulled(message), { format })).output,
      ChatModelStream.from(message).output,
    ]);
    expect(received).toEqual(original);
  });

  it.each(["sse", "ndjson"] as const)("%s: a stream stopped on the server fails on the client with its message and code", async (format) => {
    const stream = pulled(message);
    const reader = toResponse(stream, { format }).body!.getReader();
    const bytes: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) bytes.push((await reader.read()).value!);
    void stream.aclose("user pressed stop");
    for (let r = await reader.read(); !r.done; r = await reader.read()) bytes.push(r.value);
    const error = (await fromResponse(new Response(concatBytes(bytes), { headers: { "content-type": CONTENT_TYPE[format] } })).output.then(
      () => undefined,
      (e: unknown) => e,
    )) as (Error & { code?: string; partial?: { content: unknown } }) | undefined;
    expect({ message: error?.message, code: error?.code, partial: error?.partial?.content }).toEqual({
      message: "The chat model stream was closed: user pressed stop",
      code: "aborted",
      // API.md §5 (revision 2): the open text block is finished with what arrived.
      partial: [
        { type: "reasoning", reasoning: "Think.", index: 0 },
        { type: "text", text: "Line one,\r\nline two: ", index: 1 },
      ],
    });
  });

  it("sse: heartbeat comments are invisible to the client", async () => {
    const source = scriptedSource(message, { holdAt: 3 });
    const response = toResponse(ChatModelStream.from(source.readable), { format: "sse", heartbeatMs: 5 });
    const [bytes, teeBranch] = response.body!.tee();
    const reader = bytes.getReader();
    let seen = "";
    while (!seen.includes(": ping")) seen += decoder.decode((await reader.read()).value);
    source.release();
    reader.cancel().catch(() => {});
    const [received, original] = await Promise.all([fromResponse(teeBranch).output, ChatModelStream.from(message).output]);
    expect(received).toEqual(original);
  });
});

describe("SSEEncoderStream", () => {
  it("encodes piped events as toResponse does", async () => {
    const piped = decoder.decode(concatBytes(await readAll(pushAll(message).events.pipeThrough(new SSEEncoderStream()))));
    expect(piped).toBe(await bodyText(toResponse(pushAll(message), { format: "sse" })));
  });

  it("closes its output after the terminal event, even if more input comes", async () => {
    const after: Event = { event: "usage", usage };
    const bytes = await readAll(readableOf([...hello, after]).pipeThrough(new SSEEncoderStream()));
    const messages = sseMessages(decoder.decode(concatBytes(bytes)));
    expect(messages.map((m) => m.event)).toEqual(hello.map((e) => e.event));
  });

  it("errors with a TypeError naming the position of a value that is not an event", async () => {
    const output = readableOf([hello[0], "hello"]).pipeThrough(new SSEEncoderStream());
    const error = await readAll(output).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect([error instanceof TypeError, /position 1\b/.test(error?.message ?? "")]).toEqual([true, true]);
  });

  it("refuses an event name with a line break, which would split the message", async () => {
    const output = readableOf([{ event: "x\ndata: injected" }]).pipeThrough(new SSEEncoderStream());
    await expect(readAll(output)).rejects.toThrow(TypeError);
  });

  it("sends a ping comment when no event came for heartbeatMs", async () => {
    const encoder = new SSEEncoderStream({ heartbeatMs: 5 });
    const writer = encoder.writable.getWriter();
    const reader = encoder.readable.getReader();
    void writer.write(hello[0]!);
    await reader.read();
    const ping = decoder.decode((await reader.read()).value);
    void writer.abort();
    expect(ping).toBe(": ping\n\n");
  });
});

describe("NDJSONEncoderStream", () => {
  it("encodes piped events as toResponse does", async () => {
    const piped = decoder.decode(concatBytes(await readAll(pushAll(message).events.pipeThrough(new NDJSONEncoderStream()))));
    expect(piped).toBe(await bodyText(toResponse(pushAll(message), { format: "ndjson" })));
  });

  it("closes its output after the terminal event, even if more input comes", async () => {
    const error: Event = { event: "error", message: "overloaded" };
    const bytes = await readAll(readableOf([hello[0], error, hello[1]]).pipeThrough(new NDJSONEncoderStream()));
    expect(ndjsonLines(decoder.decode(concatBytes(bytes)))).toEqual([hello[0], error]);
  });

  it("errors with a TypeError naming the position of a value that is not an event", async () => {
    const output = readableOf([hello[0], hello[1], 42]).pipeThrough(new NDJSONEncoderStream());
    await expect(readAll(output)).rejects.toThrow(/position 2\b/);
  });
});

describe("heartbeat timers never leak", () => {
  it("toResponse clears its timer at the end of the message", async () => {
    timers = trackIntervals();
    await bodyText(toResponse(pulled(hello), { format: "sse", heartbeatMs: 1000 }));
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });

  it("toResponse clears its timer when the stream fails", async () => {
    timers = trackIntervals();
    const stream = feed(new ChatModelStream(), hello.slice(0, 2));
    const response = toResponse(stream, { format: "sse", heartbeatMs: 1000 });
    const reader = response.body!.getReader();
    await reader.read();
    stream.fail(new Error("boom"));
    await rest(reader);
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });

  it("toResponse clears its timer when the body is cancelled", async () => {
    timers = trackIntervals();
    const source = scriptedSource(hello, { holdAt: 2 });
    const response = toResponse(ChatModelStream.from(source.readable), { format: "sse", heartbeatMs: 1000 });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel("client left");
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });

  it("toResponse sets no timer for text, NDJSON, or heartbeatMs: 0", async () => {
    timers = trackIntervals();
    await bodyText(toResponse(pushAll(hello), { format: "text" }));
    await bodyText(toResponse(pushAll(hello), { format: "ndjson" }));
    await bodyText(toResponse(pushAll(hello), { format: "sse", heartbeatMs: 0 }));
    expect(timers.started).toBe(0);
  });

  it("SSEEncoderStream sets no timer before its first event", () => {
    timers = trackIntervals();
    new SSEEncoderStream({ heartbeatMs: 1000 });
    expect(timers.started).toBe(0);
  });

  it("SSEEncoderStream clears its timer at the terminal event", async () => {
    timers = trackIntervals();
    await readAll(readableOf(hello).pipeThrough(new SSEEncoderStream({ heartbeatMs: 1000 })));
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });

  it("SSEEncoderStream clears its timer when its input ends without a terminal event", async () => {
    timers = trackIntervals();
    await readAll(readableOf(hello.slice(0, 2)).pipeThrough(new SSEEncoderStream({ heartbeatMs: 1000 })));
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });

  it("SSEEncoderStream clears its timer when its output is cancelled", async () => {
    timers = trackIntervals();
    const encoder = new SSEEncoderStream({ heartbeatMs: 1000 });
    const writer = encoder.writable.getWriter();
    const reader = encoder.readable.getReader();
    void writer.write(hello[0]!);
    await reader.read();
    await reader.cancel("client left");
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });

  it("SSEEncoderStream clears its timer when its input is aborted", async () => {
    timers = trackIntervals();
    const encoder = new SSEEncoderStream({ heartbeatMs: 1000 });
    const writer = encoder.writable.getWriter();
    const reader = encoder.readable.getReader();
    void writer.write(hello[0]!);
    await reader.read();
    await writer.abort(new Error("upstream failed"));
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });

  it("SSEEncoderStream clears its timer when a value is refused", async () => {
    timers = trackIntervals();
    const output = readableOf([hello[0], 7]).pipeThrough(new SSEEncoderStream({ heartbeatMs: 1000 }));
    await readAll(output).catch(() => {});
    expect([timers.started, timers.live]).toEqual([1, 0]);
  });
});

describe("toResponse without options", () => {
  it("sends SSE, the format that carries every event and a failure", async () => {
    const response = toResponse(pulled(hello));
    const text = await bodyText(response);
    expect([response.headers.get("content-type"), sseMessages(text).map((m) => m.event)]).toEqual([
      "text/event-stream",
      hello.map((e) => e.event),
    ]);
  });
});

describe("toResponse appends the given headers", () => {
  const cookies = ["a=1; Path=/", "b=2; Path=/; HttpOnly"];

  /** The set-cookie values a response carries, each on its own. */
  function setCookies(response: Response): string[] {
    void response.body!.cancel();
    const headers = response.headers as Headers & { getSetCookie?: () => string[] };
    // Runtimes without getSetCookie join the values with ", ".
    return headers.getSetCookie?.() ?? (headers.get("set-cookie")?.split(", ") ?? []);
  }

  // A browser's Response drops set-cookie (a forbidden response header): nothing to see there.
  const keepsCookies = new Response(null, { headers: [["set-cookie", "a=1"]] }).headers.has("set-cookie");

  it("appends a repeated header rather than keeping only its last value", () => {
    const response = toResponse(pushAll(hello), { headers: [["x-tag", "a"], ["X-Tag", "b"]] });
    void response.body!.cancel();
    expect(response.headers.get("x-tag")).toBe("a, b");
  });

  it.skipIf(!keepsCookies)("keeps several set-cookie from a Headers", () => {
    const headers = new Headers();
    for (const cookie of cookies) headers.append("set-cookie", cookie);
    expect(setCookies(toResponse(pushAll(hello), { headers }))).toEqual(cookies);
  });

  it.skipIf(!keepsCookies)("keeps several set-cookie from a list of pairs", () => {
    const headers = cookies.map((cookie) => ["Set-Cookie", cookie] as [string, string]);
    expect(setCookies(toResponse(pushAll(hello), { headers }))).toEqual(cookies);
  });

  it("takes a record, and a given content-type replaces the default rather than joining it", () => {
    const response = toResponse(pushAll(hello), { headers: { "content-type": "text/event-stream; charset=utf-8", "x-id": "m1" } });
    void response.body!.cancel();
    expect([response.headers.get("content-type"), response.headers.get("x-id")]).toEqual(["text/event-stream; charset=utf-8", "m1"]);
  });
});

describe("the stream's own timeouts reach the client as code: timeout", () => {
  // The first token arrives for the idle and total clocks; none for the first-token one.
  const cases = [
    ["idleTimeoutMs", { idleTimeoutMs: 40 }, hello.slice(0, 3)],
    ["firstTokenTimeoutMs", { firstTokenTimeoutMs: 40 }, hello.slice(0, 2)],
    ["totalTimeoutMs", { totalTimeoutMs: 40 }, hello.slice(0, 3)],
  ] as const;

  for (const format of ["sse", "ndjson"] as const) {
    it.each(cases)(`${format}: %s`, async (option, limits, events) => {
      const stream = ChatModelStream.from(scriptedSource(events, { end: "hang" }).readable, limits);
      const client = fromResponse(toResponse(stream, { format }));
      const error = (await client.output.then(
        () => undefined,
        (e: unknown) => e,
      )) as (Error & { code?: unknown }) | undefined;
      expect({ code: error?.code, names: error?.message.includes(option) }).toEqual({ code: "timeout", names: true });
    }, 20_000);
  }
});

describe("a failure whose reason cannot be read still ends the body with an error event", () => {
  it.each([
    ["an object without a prototype", () => Object.create(null) as unknown],
    ["a throwing message getter", () => ({ get message(): string { throw new Error("no"); } })],
    ["a throwing toString", () => ({ toString(): string { throw new Error("no"); } })],
  ])("%s", async (_what, reason) => {
    timers = trackIntervals();
    const stream = feed(new ChatModelStream(), hello.slice(0, 2));
    const reader = toResponse(stream, { heartbeatMs: 1000 }).body!.getReader();
    const first = decoder.decode((await reader.read()).value);
    stream.fail(reason());
    const last = sseMessages(first + (await rest(reader))).at(-1);
    expect({ data: last?.data, live: timers.live }).toEqual({
      data: { event: "error", message: "The chat model stream failed", code: "source_error" },
      live: 0,
    });
  });
});

describe("a limit reaches the client with its code", () => {
  it("maxEvents as max_events", async () => {
    const client = fromResponse(toResponse(pulled(hello, { maxEvents: 2 }), { format: "ndjson" }));
    const error = (await client.output.then(
      () => undefined,
      (e: unknown) => e,
    )) as (Error & { code?: unknown }) | undefined;
    expect([error?.code, error?.message.includes("maxEvents")]).toEqual(["max_events", true]);
  });
});

describe("an onError that fails still ends the body with an error event", () => {
  const cycle: Record<string, unknown> = {};
  cycle["self"] = cycle;
  it.each([
    ["throws", () => { throw new Error("onError broke"); }, { message: "boom", code: "source_error" }],
    ["returns a BigInt message", () => ({ message: 10n }), { message: "boom", code: "source_error" }],
    ["returns a cycle", () => cycle, { message: "boom", code: "source_error" }],
    ["returns a BigInt code", () => ({ message: "Sorry.", code: 1n }), { message: "Sorry." }],
    ["returns a message with a cycle beside it", () => ({ message: "Sorry.", code: "x", extra: cycle }), { message: "Sorry.", code: "x" }],
  ])("when it %s, and clears the heartbeat", async (_what, onError, fields) => {
    timers = trackIntervals();
    const stream = feed(new ChatModelStream(), hello.slice(0, 2));
    const response = toResponse(stream, { heartbeatMs: 1000, onError: onError as unknown as () => { message: string } });
    const reader = response.body!.getReader();
    const first = decoder.decode((await reader.read()).value);
    stream.fail(new Error("boom"));
    const last = sseMessages(first + (await rest(reader))).at(-1);
    expect({ data: last?.data, live: timers.live }).toEqual({ data: { event: "error", ...fields }, live: 0 });
  });
});
