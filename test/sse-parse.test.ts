// The SSE parser, per the WHATWG HTML "server-sent events" interpretation rules.
import { describe, expect, it } from "vitest";
import { SSEParser, SSEParserStream, type ServerSentEvent, type SSEParserOptions } from "../src/index.ts";
import { bodyOf, bytesOf, oneByteChunks, splitAt, type Bytes } from "./bytes.ts";
import { readAll, settle } from "./helpers.ts";

/** The events a stream of text pieces dispatches, parsed with the state machine directly. */
function parse(pieces: readonly string[], options?: SSEParserOptions): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = new SSEParser((event) => events.push(event), options);
  for (const piece of pieces) parser.write(piece);
  parser.end();
  return events;
}

/** The events of a text, whole. */
const events = (text: string, options?: SSEParserOptions): ServerSentEvent[] => parse([text], options);

/** Every split of the text into two pieces that dispatches something else than the whole text. */
function badSplits(text: string): number[] {
  const whole = JSON.stringify(events(text));
  const bad: number[] = [];
  for (let at = 0; at <= text.length; at++) {
    if (JSON.stringify(parse([text.slice(0, at), text.slice(at)])) !== whole) bad.push(at);
  }
  return bad;
}

const sample = "\uFEFF: hello\r\nretry: 1500\nevent: add\r\ndata: a\rdata\n\ndata:  b\r\n\r\nid: 9\ndata: é€𝄞\n\n";

describe("fields", () => {
  it("a data line followed by a blank line dispatches one event", () => {
    expect(events("data: hello\n\n")).toEqual([{ data: "hello" }]);
  });

  it("data lines join with a line feed", () => {
    expect(events("data: one\ndata: two\ndata: three\n\n")).toEqual([{ data: "one\ntwo\nthree" }]);
  });

  it("the event field names the event", () => {
    expect(events("event: add\ndata: 1\n\n")).toEqual([{ event: "add", data: "1" }]);
  });

  it("the event name does not carry over to the next event", () => {
    expect(events("event: add\ndata: 1\n\ndata: 2\n\n")).toEqual([{ event: "add", data: "1" }, { data: "2" }]);
  });

  it("the last event id carries over to later events", () => {
    expect(events("id: 7\ndata: a\n\ndata: b\n\n")).toEqual([
      { id: "7", data: "a" },
      { id: "7", data: "b" },
    ]);
  });

  it("an empty id field resets the last event id", () => {
    expect(events("id: 7\ndata: a\n\nid\ndata: b\n\n")).toEqual([{ id: "7", data: "a" }, { data: "b" }]);
  });

  it("an id containing NUL is ignored", () => {
    expect(events("id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n").map((e) => e.id)).toEqual(["1", "1"]);
  });

  it("a retry of ASCII digits is reported on the event of its block", () => {
    expect(events("retry: 3000\ndata: x\n\n")).toEqual([{ data: "x", retry: 3000 }]);
  });

  it("a retry that is not all digits is ignored", () => {
    expect(events("retry: 3s\ndata: x\n\nretry: -1\ndata: y\n\n")).toEqual([{ data: "x" }, { data: "y" }]);
  });

  it("onRetry hears every valid retry, also in a block that dispatches nothing", () => {
    const heard: number[] = [];
    events("retry: 1000\n\nretry: x\n\nretry: 2000\ndata: a\n\n", { onRetry: (ms) => heard.push(ms) });
    expect(heard).toEqual([1000, 2000]);
  });

  it("a field without a colon has an empty value", () => {
    expect(events("data\n\n")).toEqual([{ data: "" }]);
  });

  it("exactly one space after the colon is dropped", () => {
    expect(events("data:no space\n\ndata:  two spaces\n\ndata:\ttab\n\n").map((e) => e.data)).toEqual([
      "no space",
      " two spaces",
      "\ttab",
    ]);
  });

  it("only the first colon separates the field from the value", () => {
    expect(events('data: {"a":"b:c"}\n\n')).toEqual([{ data: '{"a":"b:c"}' }]);
  });

  it("unknown fields are ignored", () => {
    expect(events("foo: bar\nDATA: shout\ndata: x\n\n")).toEqual([{ data: "x" }]);
  });

  it("a block without data dispatches nothing", () => {
    expect(events("event: add\nid: 3\n\n")).toEqual([]);
  });
});

describe("comments", () => {
  it("a line starting with a colon is a comment, not an event", () => {
    expect(events(": heartbeat\n\n:\n\n")).toEqual([]);
  });

  it("a comment inside a block does not break it", () => {
    expect(events("data: a\n: keep-alive\ndata: b\n\n")).toEqual([{ data: "a\nb" }]);
  });

  it("onComment hears each comment's text", () => {
    const heard: string[] = [];
    events(": ping\n:pong\n\n", { onComment: (text) => heard.push(text) });
    expect(heard).toEqual(["ping", "pong"]);
  });
});

describe("line ends", () => {
  it("LF, CRLF and CR each end a line", () => {
    const expected = [{ event: "e", data: "a\nb" }, { data: "c" }];
    expect([events("event: e\ndata: a\ndata: b\n\ndata: c\n\n"), events("event: e\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"), events("event: e\rdata: a\rdata: b\r\rdata: c\r\r")]).toEqual([
      expected,
      expected,
      expected,
    ]);
  });

  it("a CR at the end of one chunk and an LF at the start of the next are one line end", () => {
    expect(parse(["data: a\r", "\ndata: b\n\n"])).toEqual([{ data: "a\nb" }]);
  });

  it("a CR at the end of a chunk followed by other text still ends the line", () => {
    expect(parse(["data: a\r", "data: b\r", "\r"])).toEqual([{ data: "a\nb" }]);
  });

  it("an event the input ends in the middle of is discarded", () => {
    expect(events("data: complete\n\ndata: partial\n")).toEqual([{ data: "complete" }]);
  });
});

describe("the byte order mark", () => {
  it("one leading BOM is ignored", () => {
    expect(events("\uFEFFdata: x\n\n")).toEqual([{ data: "x" }]);
  });

  it("a second BOM is part of the first field's name", () => {
    expect(events("\uFEFF\uFEFFdata: x\n\n")).toEqual([]);
  });

  it("a BOM later in the stream is kept", () => {
    expect(events("data: \uFEFFx\n\n")).toEqual([{ data: "\uFEFFx" }]);
  });
});

describe("chunk boundaries", () => {
  it("every split of a stream into two pieces dispatches the same events", () => {
    expect(badSplits(sample)).toEqual([]);
  });

  it("one character per piece dispatches the same events", () => {
    expect(parse(Array.from(sample))).toEqual(events(sample));
  });

  it("the sample dispatches what the rules say", () => {
    expect(events(sample)).toEqual([
      { event: "add", data: "a\n", retry: 1500 },
      { data: " b" },
      { id: "9", data: "é€𝄞" },
    ]);
  });
});

describe("SSEParserStream", () => {
  it("parses text chunks", async () => {
    const text = new ReadableStream<string>({
      start(controller) {
        controller.enqueue("data: hel");
        controller.enqueue("lo\n\n");
        controller.close();
      },
    });
    expect(await readAll(text.pipeThrough(new SSEParserStream()))).toEqual([{ data: "hello" }]);
  });

  it("decodes bytes split inside a UTF-8 sequence and inside the BOM", async () => {
    const bytes = bytesOf(sample);
    expect(await readAll(bodyOf(...oneByteChunks(bytes)).pipeThrough(new SSEParserStream()))).toEqual(events(sample));
  });

  it("every split of the bytes into two chunks gives the same events", async () => {
    const bytes = bytesOf(sample);
    const whole = JSON.stringify(events(sample));
    const bad: number[] = [];
    for (let at = 0; at <= bytes.length; at++) {
      const got = await readAll(bodyOf(...splitAt(bytes, at)).pipeThrough(new SSEParserStream()));
      if (JSON.stringify(got) !== whole) bad.push(at);
    }
    expect(bad).toEqual([]);
  });

  it("works behind a TextDecoderStream", async () => {
    const parsed = bodyOf(bytesOf("data: ok\n\n")).pipeThrough(new TextDecoderStream()).pipeThrough(new SSEParserStream());
    expect(await readAll(parsed)).toEqual([{ data: "ok" }]);
  });

  it("passes its options to the parser", async () => {
    const heard: string[] = [];
    await readAll(bodyOf(bytesOf(": tick\n\n")).pipeThrough(new SSEParserStream({ onComment: (c) => heard.push(c) })));
    expect(heard).toEqual(["tick"]);
  });
});

// Re-scanning the buffered line per chunk would make these quadratic: minutes, not milliseconds. The
// bounds leave room for a loaded machine (about 50 ms each when alone on Node).
describe("linear time", () => {
  const size = 1 << 20;
  const payload = "x".repeat(size);

  it("a 1 MB event fed one character at a time parses in under two seconds", () => {
    const text = `data: ${payload}\n\n`;
    const parsed: ServerSentEvent[] = [];
    const parser = new SSEParser((event) => parsed.push(event));
    const started = performance.now();
    for (let i = 0; i < text.length; i++) parser.write(text[i]!);
    const elapsed = performance.now() - started;
    expect({ length: parsed[0]?.data.length, fast: elapsed < 2000 }).toEqual({ length: size, fast: true });
  });

  it("a 1 MB chunk of many short lines parses in under two seconds", () => {
    const lines = "data: 0123456789\n\n".repeat(size / 18);
    let count = 0;
    const parser = new SSEParser(() => count++);
    const started = performance.now();
    parser.write(lines);
    const elapsed = performance.now() - started;
    expect({ count, fast: elapsed < 2000 }).toEqual({ count: Math.floor(size / 18), fast: true });
  });

  it("a 1 MB event in 1 KB byte chunks through SSEParserStream arrives whole", async () => {
    const bytes = bytesOf(`data: ${payload}\n\n`);
    const chunks: Bytes[] = [];
    for (let at = 0; at < bytes.length; at += 1024) chunks.push(bytes.subarray(at, at + 1024));
    const [event] = await readAll(bodyOf(...chunks).pipeThrough(new SSEParserStream()));
    expect(event?.data.length).toBe(size);
  });
});

describe("maxLineBytes", () => {
  const tooLong = (limit: number, what = "a line"): string =>
    `maxLineBytes exceeded: the stream has ${what} longer than maxLineBytes (${limit} bytes)`;

  it("is 8 MiB unless set: a longer line throws a RangeError naming the bound", () => {
    const parser = new SSEParser(() => {});
    const piece = "x".repeat(1 << 20);
    parser.write("data: ");
    let thrown: unknown;
    try {
      for (let i = 0; i < 9; i++) parser.write(piece);
    } catch (error) {
      thrown = error;
    }
    expect([(thrown as Error).name, (thrown as Error).message]).toEqual(["RangeError", tooLong(8 * 1024 * 1024)]);
  });

  it("counts UTF-8 bytes: a line of exactly the bound passes, one byte more throws", () => {
    // "data: " is 6 bytes, "é" 2: 6 + 2 × 5 = 16.
    expect(events("data: ééééé\n\n", { maxLineBytes: 16 })).toEqual([{ data: "ééééé" }]);
    expect(() => events("data: ééééé!\n\n", { maxLineBytes: 16 })).toThrow(tooLong(16));
  });

  it("counts a line split across pieces as one", () => {
    expect(parse(["data: éé", "éé", "é\n\n"], { maxLineBytes: 16 })).toEqual([{ data: "ééééé" }]);
    expect(() => parse(["data: éé", "éé", "éé\n\n"], { maxLineBytes: 16 })).toThrow(tooLong(16));
  });

  it("bounds what the data lines of one event add up to", () => {
    const lines = "data: 0123456789\n".repeat(10); // 10 lines of 10 bytes: 109 bytes of data
    expect(() => events(`${lines}\n`, { maxLineBytes: 100 })).toThrow(tooLong(100, "an event whose data is"));
    expect(events(`${lines}\n`, { maxLineBytes: 109 })[0]?.data.length).toBe(109);
  });

  it("drops what it held of the line, so the parser goes on after the error", () => {
    const seen: string[] = [];
    const parser = new SSEParser((event) => seen.push(event.data), { maxLineBytes: 16 });
    expect(() => parser.write(`data: ${"x".repeat(20)}`)).toThrow(RangeError);
    parser.write("\n\ndata: ok\n\n");
    expect(seen).toEqual(["ok"]);
  });

  it("Infinity lifts the bound; zero, a fraction or a string is refused", () => {
    expect(events(`data: ${"x".repeat(100)}\n\n`, { maxLineBytes: Infinity })[0]?.data.length).toBe(100);
    for (const bad of [0, 1.5, "8" as unknown as number]) expect(() => new SSEParser(() => {}, { maxLineBytes: bad })).toThrow(RangeError);
  });

  it("SSEParserStream errors its output (no unhandled rejection) and cancels its input", async () => {
    let cancelled = false;
    const input = new ReadableStream<string>({
      start(controller) {
        controller.enqueue(`data: ${"x".repeat(100)}`);
      },
      cancel() {
        cancelled = true;
      },
    });
    let error: unknown;
    try {
      await readAll(input.pipeThrough(new SSEParserStream({ maxLineBytes: 64 })));
    } catch (caught) {
      error = caught;
    }
    await settle();
    expect([(error as Error).message, cancelled]).toEqual([tooLong(64), true]);
  });
});
