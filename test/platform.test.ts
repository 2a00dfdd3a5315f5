// Where the runtimes differ (Node 20, workerd, Deno, Bun, Chromium; see test/runtimes/) and what the
// package does about it: each test pins down behaviour that must not depend on the difference.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChatModelStream, SSEEncoderStream, toResponse } from "../src/index.ts";
import { scriptedSource, eventSource, failure, feed, messageStart, pulled, readAll, settle, textMessage, hello } from "./helpers.ts";


/** Runs `body` with `owner[key]` deleted, as in a runtime that lacks it. */
async function without<T extends object>(owner: T, key: keyof T, body: () => Promise<void>): Promise<void> {
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  delete owner[key];
  try {
    await body();
  } finally {
    if (descriptor !== undefined) Object.defineProperty(owner, key, descriptor);
  }
}

describe("ReadableStream.from (Chromium has none)", () => {
  it("is not needed to read an async iterable, an iterable or an array", async () => {
    await without(ReadableStream, "from" as keyof typeof ReadableStream, async () => {
      const texts = await Promise.all([
        ChatModelStream.from(eventSource(hello)).text,
        ChatModelStream.from(hello[Symbol.iterator]()).text,
        ChatModelStream.from(hello).text,
      ]);
      expect(texts).toEqual(["Hello", "Hello", "Hello"]);
    });
  });
});

describe("AbortSignal.any (older browsers have none)", () => {
  it("is not needed for the signal option", async () => {
    await without(AbortSignal, "any" as keyof typeof AbortSignal, async () => {
      const controller = new AbortController();
      const source = scriptedSource(hello, { holdAt: 2 });
      const stream = ChatModelStream.from(source.readable, { signal: controller.signal, highWaterMark: 0 });
      const output = failure(stream.output);
      await settle();
      controller.abort();
      expect({ name: (await output).name, cancels: source.cancels }).toEqual({ name: "AbortError", cancels: 1 });
    });
  });
});

describe("Symbol.asyncDispose (every runtime here has it; `await using` is lowered for Node 20)", () => {
  it("is aclose()", async () => {
    const source = scriptedSource(hello, { holdAt: 2 });
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 0 });
    const output = failure(stream.output);
    await settle();
    await stream[Symbol.asyncDispose]();
    expect({ name: (await output).name, cancels: source.cancels, aborted: stream.signal.aborted }).toEqual({
      name: "AbortError",
      cancels: 1,
      aborted: true,
    });
  });
});

describe("tee() of a projection (runtimes compose the branches' cancel reasons differently)", () => {
  it("cancels the source once when both branches cancel, whatever the reason passed on", async () => {
    const source = scriptedSource(hello, { holdAt: 3 }); // "Hel", then nothing until the end of the test
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 0 });
    const [a, b] = stream.text.tee();
    const reader = a.getReader();
    await reader.read();
    reader.releaseLock();
    // A branch's cancel() settles only once both are cancelled: start both, then await.
    await Promise.all([a.cancel("left"), b.cancel("right")]);
    expect({ cancels: source.cancels, aborted: stream.signal.aborted }).toEqual({ cancels: 1, aborted: true });
  });

  it("keeps reading for the other branch when one branch cancels", async () => {
    const [a, b] = pulled(hello).text.tee();
    void a.cancel("one branch is enough");
    expect((await readAll(b)).join("")).toBe("Hello");
  });
});

describe("byte chunks (Bun's Response takes string chunks; workerd, Node, Deno and Chromium refuse them)", () => {
  it.each(["text", "sse", "ndjson"] as const)("toResponse's %s body is Uint8Array chunks", async (format) => {
    const chunks = await readAll(toResponse(pulled(hello), { format }).body!);
    expect(chunks.length > 0 && chunks.every((chunk) => chunk instanceof Uint8Array)).toBe(true);
  });
});

describe("DOMException (runtimes differ on its stack, not on its fields)", () => {
  it("an AbortError carries the message so far as partial, and the reason as cause", async () => {
    const stream = feed(new ChatModelStream(), hello.slice(0, 3));
    const output = failure(stream.output);
    await stream.aclose("user pressed stop");
    const error = (await output) as DOMException & { partial?: unknown; cause?: unknown };
    expect({ isDOMException: error instanceof DOMException, name: error.name, partial: error.partial, cause: error.cause }).toEqual({
      isDOMException: true,
      name: "AbortError",
      partial: expect.objectContaining({ content: [{ type: "text", text: "Hel", index: 0 }] }),
      cause: "user pressed stop",
    });
  });
});

describe("a Transformer's cancel() (Chromium never calls it)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  type Ends = { reader: ReadableStreamDefaultReader<Uint8Array>; writer: WritableStreamDefaultWriter<unknown> };
  it.each([
    ["its output is cancelled", ({ reader }: Ends) => reader.cancel("client left")],
    ["its input is aborted", ({ writer }: Ends) => writer.abort(new Error("upstream failed"))],
  ])("SSEEncoderStream's heartbeat stops by its next beat when %s", async (_, stop) => {
    vi.useFakeTimers();
    const encoder = new SSEEncoderStream({ heartbeatMs: 1000 });
    const ends: Ends = { reader: encoder.readable.getReader(), writer: encoder.writable.getWriter() };
    void ends.writer.write(messageStart);
    await ends.reader.read();
    await stop(ends);
    // A beat follows at most two intervals of silence; where nothing called cancel(), it fails and stops the timer.
    await vi.advanceTimersByTimeAsync(2000);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("template literals (Bun's transpiler rewrites non-ASCII in them as \\u escapes)", () => {
  // The provider fixtures are String.raw literals; test/runtimes/run.ts lowers them for Bun.
  it("String.raw keeps non-ASCII text as written", () => {
    expect(String.raw`¡Hola! ¿Qué tal? 😊`).toBe("\u00a1Hola! \u00bfQu\u00e9 tal? \u{1f60a}");
  });
});
