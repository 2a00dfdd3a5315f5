// `for await` on a projection takes chunks from the fan-out directly; it must behave as the
// standard ReadableStream iterator does.
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import { promiseState, scriptedSource, pulled, readAll, readUntilError, settle, textMessage, hello } from "./helpers.ts";


describe("for await over a projection", () => {
  it("leaves the stream closed and unlocked when it completes", async () => {
    const text = ChatModelStream.from(hello).text;
    for await (const _ of text);
    expect({ locked: text.locked, rest: await readAll(text) }).toEqual({ locked: false, rest: [] });
  });

  it("leaves the stream errored when the message fails", async () => {
    const stream = new ChatModelStream();
    const text = stream.text;
    stream.dispatch({ event: "message-start" });
    stream.fail(new Error("boom"));
    await expect((async () => { for await (const _ of text); })()).rejects.toThrow("boom");
    expect((await readUntilError(text)).error).toEqual(new Error("boom"));
  });

  it("answers next() calls made at once, in order", async () => {
    const iterator = pulled(hello).text[Symbol.asyncIterator]();
    const results = await Promise.all([iterator.next(), iterator.next(), iterator.next()]);
    expect(results.map((r) => r.value)).toEqual(["Hel", "lo", undefined]);
  });

  it("gives each delta as its own chunk to a reader that keeps up", async () => {
    const chunks: string[] = [];
    for await (const delta of pulled(hello).text) chunks.push(delta);
    expect(chunks).toEqual(["Hel", "lo"]);
  });

  it("continues where a released reader stopped", async () => {
    const text = pulled(hello).text;
    const reader = text.getReader();
    const first = await reader.read();
    reader.releaseLock();
    const rest: string[] = [];
    for await (const delta of text) rest.push(delta);
    expect([first.value, ...rest]).toEqual(["Hel", "lo"]);
  });

  it("with preventCancel, leaves the source running when it stops early", async () => {
    const source = scriptedSource([...hello.slice(0, -1), ...textMessage("!").slice(2)]);
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 0 });
    const text = stream.text;
    for await (const _ of text.values({ preventCancel: true })) break;
    await settle();
    expect({ cancels: source.cancels, aborted: stream.signal.aborted }).toEqual({ cancels: 0, aborted: false });
  });

  it("cancels the source when it stops early (the only reader, nothing awaits)", async () => {
    const source = scriptedSource(hello);
    const stream = ChatModelStream.from(source.readable, { highWaterMark: 0 });
    for await (const _ of stream.text) break;
    await settle();
    expect(source.cancels).toBe(1);
  });
});

describe("for await over the stream", () => {
  it("gives the raw events", async () => {
    const names: string[] = [];
    for await (const event of ChatModelStream.from(hello)) names.push(event.event);
    expect(names).toEqual(hello.map((event) => event.event));
  });
});

describe("for await on a view cancelled before its first read", () => {
  it("ends at once", async () => {
    const text = ChatModelStream.from(textMessage("Hel", "lo")).text;
    await text.cancel();
    expect(await promiseState(text[Symbol.asyncIterator]().next())).toBe("fulfilled");
  });
});
