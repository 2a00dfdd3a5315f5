// The AWS event stream framing (application/vnd.amazon.eventstream): CRC-32, frames, headers, and
// the errors for each way the bytes can be wrong.
import { afterEach, describe, expect, it, vi } from "vitest";
import { crc32 } from "../src/eventstream/crc32.ts";
import { EventStreamDecoder, type EventStreamFrame, type EventStreamHeaderValue } from "../src/eventstream/decoder.ts";
import { bytesOf, oneByteChunks, splitAt } from "./bytes.ts";
import { concat, event, frame, rawFrame } from "./fixtures/bedrock-frames.ts";

/** What a frame decodes to, as plain data. */
interface Decoded {
  headers: Record<string, EventStreamHeaderValue>;
  payload: string;
  offset: number;
}

function plain(f: EventStreamFrame): Decoded {
  return { headers: Object.fromEntries(f.headers), payload: new TextDecoder().decode(f.payload), offset: f.offset };
}

/** The frames of the bytes handed over in these chunks (`end()` included). */
function decode(chunks: Uint8Array[], options?: { maxFrameBytes?: number }): Decoded[] {
  const out: Decoded[] = [];
  const decoder = new EventStreamDecoder((f) => out.push(plain(f)), options);
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return out;
}

/** The error the bytes give, as name, code and message. */
function refusal(chunks: Uint8Array[], options?: { maxFrameBytes?: number }): [string, unknown, string] {
  try {
    decode(chunks, options);
  } catch (caught) {
    const error = caught as Error & { code?: unknown };
    return [error.name, error.code, error.message];
  }
  return ["none", undefined, ""];
}

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
}

// Encoded messages of botocore's event stream tests (boto/botocore, tests/unit/test_eventstream.py).
const vectors = {
  empty: hex("000000100000000005c248eb7d98c8ff"),
  int8: hex("000000170000000729860158046279746502ffc2f869dc"),
  int16: hex("0000001900000009710e923e0573686f727403ffffb27cb6cc"),
  int32: hex("0000001d0000000d83e3f0e707696e746567657204ffffffff8b8e12eb"),
  int64: hex("0000001e0000000e5d4adb8d046c6f6e6705ffffffffffffffff4bc232da"),
  payloadNoHeaders: hex("0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936"),
  payloadOneHeader: hex("0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1"),
  allHeaderTypes: hex(
    "000000620000005203b5cb9c0130000131010132020201330300030134040000000401350500000000000000050136060005627974657301370700047574663801380800000000000000080139093031323334353637383961626364656663353671",
  ),
  errorMessage: hex("0000005200000042bf23637e0d3a6d6573736167652d747970650700056572726f720b3a6572726f722d636f6465070004636f64650e3a6572726f722d6d6573736167650700076d6573736167656b6cea3d"),
};
const corrupted = {
  headerLength: hex("0000003dff00010207fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1"),
  headers: hex("0000003d0000002007fd83960c636f6e74656e742b747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1"),
  length: hex("0100001d00000000fd528c5a7b27666f6f273a27626172277dc3653936"),
  payload: hex("0000001d00000000fd528c5a7b27666f6f273a27626172278dc3653936"),
  duplicateHeader: hex("00000024000000144bb982d00474657374046173646604746573740461736466f3f47563"),
};

describe("crc32", () => {
  it.each([
    ["", 0],
    ["a", 0xe8b7be43],
    ["123456789", 0xcbf43926],
    ["The quick brown fox jumps over the lazy dog", 0x414fa339],
  ])("of %j is the IEEE CRC-32", (text, expected) => {
    expect(crc32(bytesOf(text))).toBe(expected);
  });

  it("continues from a previous checksum over a range", () => {
    const bytes = bytesOf("The quick brown fox jumps over the lazy dog");
    expect(crc32(bytes, 10, bytes.length, crc32(bytes, 0, 10))).toBe(0x414fa339);
  });
});

describe("frames", () => {
  it("every header type of the format decodes to its value", () => {
    expect(decode([vectors.allHeaderTypes])[0]!.headers).toEqual({
      "0": true,
      "1": false,
      "2": 2,
      "3": 3,
      "4": 4,
      "5": 5n,
      "6": bytesOf("bytes"),
      "7": "utf8",
      "8": new Date(8),
      "9": "30313233-3435-3637-3839-616263646566",
    });
  });

  it("signed integer headers keep their sign", () => {
    const values = [vectors.int8, vectors.int16, vectors.int32, vectors.int64].map((v) => Object.values(decode([v])[0]!.headers)[0]);
    expect(values).toEqual([-1, -1, -1, -1n]);
  });

  it("a frame with no headers and no payload, and one with a payload, decode in order with their offsets", () => {
    const out = decode([concat(vectors.empty, vectors.payloadOneHeader)]);
    expect(out).toEqual([
      { headers: {}, payload: "", offset: 0 },
      { headers: { "content-type": "application/json" }, payload: "{'foo':'bar'}", offset: 16 },
    ]);
  });

  it("an error message's headers are there as sent", () => {
    expect(decode([vectors.errorMessage])[0]!.headers).toEqual({ ":message-type": "error", ":error-code": "code", ":error-message": "message" });
  });

  const all = concat(...Object.values(vectors), event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "¡Hola! 😊" } }));
  const whole = decode([all]);

  it("split in two at every byte, give the same frames", () => {
    const differ: number[] = [];
    for (let at = 0; at <= all.length; at++) if (JSON.stringify(decode(splitAt(all, at)), replacer) !== JSON.stringify(whole, replacer)) differ.push(at);
    expect([whole.length, differ]).toEqual([10, []]);
  });

  it("from one-byte chunks, give the same frames", () => {
    expect(JSON.stringify(decode(oneByteChunks(all)), replacer)).toBe(JSON.stringify(whole, replacer));
  });
});

/** JSON for frames: bigints and bytes as text. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return Array.from(value);
  return value;
}

describe("bad frames", () => {
  it("a prelude whose checksum does not match is a bad_input TypeError naming the offset (zlib gives 0x31f88cc4 for those 8 bytes)", () => {
    expect(refusal([vectors.empty, corrupted.length])).toEqual([
      "TypeError",
      "bad_input",
      "Invalid event stream frame at byte offset 16: the prelude checksum does not match (the frame says 0xfd528c5a, its bytes give 0x31f88cc4)",
    ]);
  });

  it("a corrupted headers length fails its prelude checksum", () => {
    expect(refusal([corrupted.headerLength])[2]).toMatch(/^Invalid event stream frame at byte offset 0: the prelude checksum does not match/);
  });

  it.each([
    ["payload", corrupted.payload],
    ["headers", corrupted.headers],
  ])("a message checksum that does not match (corrupted %s) is a bad_input TypeError", (_what, bytes) => {
    const [name, code, message] = refusal([bytes]);
    expect([name, code, message.startsWith("Invalid event stream frame at byte offset 0: the message checksum does not match")]).toEqual(["TypeError", "bad_input", true]);
  });

  it("a header named twice is a bad_input TypeError", () => {
    expect(refusal([corrupted.duplicateHeader])).toEqual(["TypeError", "bad_input", 'Invalid event stream frame at byte offset 0: the header "test" appears twice']);
  });

  it("an unknown header type is a bad_input TypeError naming it", () => {
    const bad = rawFrame([1, 0x78, 10, 0, 0]);
    expect(refusal([vectors.empty, bad])).toEqual([
      "TypeError",
      "bad_input",
      'Invalid event stream frame at byte offset 16: the header "x" has type 10 (byte 14 of the frame), which is none of the format\'s types 0 to 9',
    ]);
  });

  it("a header running past the headers' end is a bad_input TypeError", () => {
    const bad = rawFrame([1, 0x78, 7, 0, 200, 0x61]);
    expect(refusal([bad])[2]).toBe('Invalid event stream frame at byte offset 0: the value of the header "x" at byte 17 of the frame runs past the end of its headers (byte 18)');
  });

  it("a frame shorter than 16 bytes is a bad_input TypeError", () => {
    const prelude = new Uint8Array(12);
    const view = new DataView(prelude.buffer);
    view.setUint32(0, 12);
    view.setUint32(8, crc32(prelude, 0, 8));
    expect(refusal([prelude])[2]).toBe("Invalid event stream frame at byte offset 0: its total length 12 is less than the 16 bytes of prelude and checksum");
  });

  it("a truncated final frame is a bad_input TypeError at end()", () => {
    const last = frame({ a: "b" }, "payload");
    expect(refusal([vectors.empty, last.subarray(0, last.length - 3)])).toEqual([
      "TypeError",
      "bad_input",
      `Invalid event stream frame at byte offset 16: the stream ended inside the frame, after ${last.length - 3} of its ${last.length} bytes`,
    ]);
  });

  it("input ending inside a prelude is a bad_input TypeError too", () => {
    expect(refusal([vectors.empty.subarray(0, 5)])[2]).toBe("Invalid event stream frame at byte offset 0: the stream ended inside the frame, after 5 of its 12-byte prelude bytes");
  });

  it("a frame declared larger than maxFrameBytes fails as soon as its prelude is read", () => {
    const prelude = new Uint8Array(12);
    const view = new DataView(prelude.buffer);
    view.setUint32(0, 1024 * 1024 * 1024);
    view.setUint32(8, crc32(prelude, 0, 8));
    const frames: unknown[] = [];
    const decoder = new EventStreamDecoder((f) => frames.push(f));
    let error: (Error & { code?: unknown }) | undefined;
    try {
      decoder.push(prelude);
    } catch (caught) {
      error = caught as Error;
    }
    expect([error?.name, error?.code, error?.message]).toEqual([
      "RangeError",
      "max_line",
      "maxFrameBytes exceeded: the event stream frame at byte offset 0 declares 1073741824 bytes, more than maxFrameBytes (16777216 bytes)",
    ]);
  });

  it("after an error the decoder keeps failing with it", () => {
    const decoder = new EventStreamDecoder(() => {});
    const first = (() => {
      try {
        decoder.push(corrupted.payload);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(() => decoder.push(vectors.empty)).toThrow(first as Error);
  });
});

describe("linear time", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Bytes copied by `Uint8Array.prototype.set` while `run` runs: the decoder's only copying. */
  function copied(run: () => void): number {
    let bytes = 0;
    const set = Uint8Array.prototype.set;
    vi.spyOn(Uint8Array.prototype, "set").mockImplementation(function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
      bytes += source.length;
      set.call(this, source, offset);
    });
    run();
    return bytes;
  }

  it("a 4 MiB frame in 1 KiB chunks copies each byte once", () => {
    const big = frame({ ":event-type": "contentBlockDelta" }, "x".repeat(4 * 1024 * 1024));
    const chunks = Array.from({ length: Math.ceil(big.length / 1024) }, (_, i) => big.subarray(i * 1024, (i + 1) * 1024));
    let frames = 0;
    const work = copied(() => {
      const decoder = new EventStreamDecoder(() => frames++);
      for (const chunk of chunks) decoder.push(chunk);
      decoder.end();
    });
    expect([frames, work]).toEqual([1, big.length]);
  });

  it("frames that arrive whole are read in place: 5000 frames in one chunk copy nothing", () => {
    const one = event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "token" } });
    const body = concat(...Array.from({ length: 5000 }, () => one));
    let frames = 0;
    const work = copied(() => {
      const decoder = new EventStreamDecoder(() => frames++);
      decoder.push(body);
      decoder.end();
    });
    expect([frames, work]).toEqual([5000, 0]);
  });

  it("5000 frames in 7-byte chunks copy each byte once, plus each split prelude once more", () => {
    const one = event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "token" } });
    const body = concat(...Array.from({ length: 5000 }, () => one));
    const chunks = Array.from({ length: Math.ceil(body.length / 7) }, (_, i) => body.subarray(i * 7, (i + 1) * 7));
    let frames = 0;
    const work = copied(() => {
      const decoder = new EventStreamDecoder(() => frames++);
      for (const chunk of chunks) decoder.push(chunk);
      decoder.end();
    });
    expect([frames, work <= body.length + 5000 * 12]).toEqual([5000, true]);
  });
});

describe("header blocks seen before", () => {
  /** Every frame's headers and payload, decoded from the frames in one chunk. */
  function decodeAll(...frames: Uint8Array[]): { headers: [string, EventStreamHeaderValue][]; payload: string }[] {
    const out: { headers: [string, EventStreamHeaderValue][]; payload: string }[] = [];
    const decoder = new EventStreamDecoder((f) => out.push({ headers: [...f.headers], payload: new TextDecoder().decode(f.payload) }));
    decoder.push(concat(...frames));
    decoder.end();
    return out;
  }

  it("blocks of the same length but other bytes, alternating, each give their own headers", () => {
    const types = ["contentBlockStop", "contentBlockXyzw", "contentBlockStop", "contentBlockXyzw", "messageStart", "contentBlockStop"];
    const decoded = decodeAll(...types.map((type, i) => event(type, { i })));
    expect(decoded.map((d) => [Object.fromEntries(d.headers)[":event-type"], d.payload])).toEqual(types.map((type, i) => [type, JSON.stringify({ i })]));
  });

  it("many distinct blocks (more than the table holds) all decode right, twice over", () => {
    const types = Array.from({ length: 300 }, (_, i) => `event${i}`);
    const frames = types.map((type) => event(type, {}));
    const decoded = decodeAll(...frames, ...frames);
    expect(decoded.map((d) => Object.fromEntries(d.headers)[":event-type"])).toEqual([...types, ...types]);
  });

  it("a block holding bytes is never shared: each frame gets its own value", () => {
    const withBytes = frame({ ":event-type": "x", blob: { type: 6, value: new Uint8Array([1, 2, 3]) } }, "{}");
    const frames: EventStreamFrame[] = [];
    const decoder = new EventStreamDecoder((f) => frames.push(f));
    decoder.push(concat(withBytes, withBytes));
    const [a, b] = frames.map((f) => f.headers.get("blob"));
    expect([a, b]).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])]);
    expect(a).not.toBe(b);
  });
});
