// Every error the package makes carries a string `code` to switch on, whatever its class, and
// toResponse sends that code to clients.
import { describe, expect, it } from "vitest";
import { ChatModelStream, fromOpenAIChat, fromResponse, HTTPError, toResponse } from "../src/index.ts";
import { type Event, failure, feed, messageStart, pulled, pushAll, scriptedSource, textMessage, hello } from "./helpers.ts";

const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code;
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
};

const failures: [string, () => Promise<unknown>, string][] = [
  ["a malformed event", () => failure(pushAll([messageStart, { event: "content-block-delta", index: -1 }]).output), "bad_input"],
  ["a value that is not an event", () => failure(pushAll([messageStart, 42]).output), "bad_input"],
  ["aclose()", async () => {
    const stream = feed(new ChatModelStream(), [messageStart]);
    void stream.aclose();
    return failure(stream.output);
  }, "aborted"],
  ["an abort whose reason is a TimeoutError", async () => {
    const stream = feed(new ChatModelStream(), [messageStart]);
    void stream.aclose(new DOMException("too slow", "TimeoutError"));
    return failure(stream.output);
  }, "timeout"],
  ["idleTimeoutMs", () => failure(ChatModelStream.from(scriptedSource([messageStart], { end: "hang" }).readable, { idleTimeoutMs: 20 }).output), "timeout"],
  ["maxEvents", () => failure(ChatModelStream.from(hello, { maxEvents: 2 }).output), "max_events"],
  ["maxBytes", () => failure(ChatModelStream.from(hello, { maxBytes: 2 }).output), "max_bytes"],
  ["a line over maxLineBytes", () => failure(fromResponse(new Response(`data: ${"x".repeat(100)}`, { headers: { "content-type": "text/event-stream" } }), { maxLineBytes: 10 }).output), "max_line"],
  ["a source with no event", () => failure(ChatModelStream.from([]).output), "no_chunks"],
  ["a body that is not a stream", () => failure(fromOpenAIChat(new Response("<html>", { headers: { "content-type": "text/html" } })).output), "bad_input"],
  ["a non-OK response", () => failure(fromOpenAIChat(new Response("{}", { status: 500 })).output), "http"],
];

describe("every failure carries its code", () => {
  it.each(failures)("%s", async (_what, fail, code) => {
    expect(codeOf(await fail())).toBe(code);
  });

  it("a provider's error event keeps the provider's code", async () => {
    const error = await failure(pushAll([messageStart, { event: "error", message: "Overloaded", code: "overloaded_error" }]).output);
    expect(codeOf(error)).toBe("overloaded_error");
  });

  it("an HTTPError is an HTTPError with code http", async () => {
    const error = await failure(fromOpenAIChat(new Response("{}", { status: 429 })).output);
    expect([HTTPError.isInstance(error), codeOf(error)]).toEqual([true, "http"]);
  });
});

describe("every misuse throws with its code", () => {
  it.each([
    ["dispatch() after the end", () => pushAll(hello).dispatch(messageStart), "invalid_state"],
    ["setStart() after the start", () => {
      const stream = pulled(hello);
      void stream.output.then(() => {}); // an await is consumption: the stream started
      stream.setStart(() => {});
    }, "invalid_state"],
    ["setRequestMore() on a from() stream", () => ChatModelStream.from(hello).setRequestMore(() => {}), "invalid_state"],
    ["from() given something else", () => ChatModelStream.from(42 as never), "bad_input"],
    ["a negative highWaterMark", () => new ChatModelStream({ highWaterMark: -1 }), "bad_option"],
    ["a zero timeout", () => new ChatModelStream({ idleTimeoutMs: 0 }), "bad_option"],
    ["an unknown toResponse format", () => toResponse(pushAll(hello), { format: "xml" as never }), "bad_option"],
  ] as const)("%s", (_what, misuse, code) => {
    expect(codeOf(thrown(misuse))).toBe(code);
  });
});

describe("toResponse sends the code, whatever the error's class", () => {
  it.each([
    ["maxEvents", { maxEvents: 2 }, "max_events"],
    ["maxBytes", { maxBytes: 2 }, "max_bytes"],
  ] as const)("%s", async (_what, options, code) => {
    const client = fromResponse(toResponse(ChatModelStream.from(hello, options)));
    expect(codeOf(await failure(client.output))).toBe(code);
  });

  it("an error the producer threw is a source_error", async () => {
    async function* broken(): AsyncGenerator<Event> {
      yield messageStart;
      throw new Error("the model crashed");
    }
    const client = fromResponse(toResponse(ChatModelStream.from(broken())));
    expect(codeOf(await failure(client.output))).toBe("source_error");
  });
});
