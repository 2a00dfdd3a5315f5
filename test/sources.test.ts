// Sources that answer synchronously (arrays, sync generators) run the whole fold inside one read;
// a source that cannot be opened fails the stream.
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import { type Event, promiseState, readAll, readUntilError, settle, textMessage, hello } from "./helpers.ts";

// More deltas than the default highWaterMark, so the fold pauses and resumes inside later reads.
const long = textMessage(...Array.from({ length: 50 }, (_, i) => `${i} `));
const longText = Array.from({ length: 50 }, (_, i) => `${i} `).join("");

describe("a sync source", () => {
  it("an array read by a text reader gives the text", async () => {
    expect((await readAll(ChatModelStream.from(hello).text)).join("")).toBe("Hello");
  });

  it("an array read by a text reader with highWaterMark 0 gives each delta", async () => {
    expect(await readAll(ChatModelStream.from(hello, { highWaterMark: 0 }).text)).toEqual(["Hel", "lo"]);
  });

  it("a sync generator piped to a sink delivers everything once", async () => {
    function* events(): Generator<(typeof long)[number]> {
      yield* long;
    }
    let text = "";
    await ChatModelStream.from(events()).text.pipeTo(new WritableStream({ write: (chunk) => void (text += chunk) }));
    expect(text).toBe(longText);
  });

  it("a long array read chunk by chunk ends cleanly", async () => {
    expect((await readAll(ChatModelStream.from(long).text)).join("")).toBe(longText);
  });

  it("an array read by an output reader gives the one message", async () => {
    const messages = await readAll(ChatModelStream.from(hello).output);
    expect(messages.map((m) => m.content)).toEqual(["Hello"]);
  });

  it("every projection of one array stream, read at once, agrees with the awaits", async () => {
    const stream = ChatModelStream.from(hello);
    const [text, output] = await Promise.all([readAll(stream.text), readAll(stream.output)]);
    expect({ text: text.join(""), content: output[0]?.content }).toEqual({ text: "Hello", content: "Hello" });
  });
});

describe("a source that cannot be opened", () => {
  const locked = (): ReadableStream<Event> => {
    const body = new ReadableStream<Event>();
    body.getReader();
    return body;
  };

  it("fails every await, not only the first", async () => {
    const stream = ChatModelStream.from(locked());
    await stream.text.catch(() => {});
    expect(await promiseState(stream.output)).toBe("rejected");
  });

  it("fails a reader", async () => {
    const stream = ChatModelStream.from(locked());
    expect((await readUntilError(stream.events)).error).toBeInstanceOf(TypeError);
  });

  it("fails the stream after an async setStart, without an unhandled rejection", async () => {
    const stream = ChatModelStream.from(locked());
    stream.setStart(async () => {});
    expect(await promiseState(stream.output)).toBe("rejected");
  });
});

describe("a sync source after the finish", () => {
  it("is ended, not read on, once the message finished", async () => {
    let after = 0;
    function* events(): Generator<Event> {
      yield* textMessage("a");
      // A long (in real life: endless) tail after the messageFinish must not be read.
      for (let i = 0; i < 10_000; i++) {
        after++;
        yield { event: "provider", provider: "p", name: "after", payload: null };
      }
    }
    await ChatModelStream.from(events()).output;
    await settle();
    expect(after).toBe(0);
  });
});
