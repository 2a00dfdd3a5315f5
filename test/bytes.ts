// Helpers for the "bytes in" tests: bodies made of chosen chunks, and the re-chunkings a network may produce.
// Web-standard APIs only: these run in Node and workerd. Bytes are `Uint8Array<ArrayBuffer>`, what
// `TextEncoder` gives and what `TextDecoderStream` accepts.

/** Bytes as the tests make them. */
export type Bytes = Uint8Array<ArrayBuffer>;

const encoder = new TextEncoder();

/** The chunks' bytes one after another, in one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Bytes {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The UTF-8 bytes of a text. */
export function bytesOf(text: string): Bytes {
  return encoder.encode(text);
}

/** A body that hands out exactly these chunks, one per read, and records whether it was cancelled. */
export interface ChunkedBody {
  readonly body: ReadableStream<Bytes>;
  /** Chunks handed out so far. */
  readonly pulled: number;
  /** The reason of the underlying `cancel`, if it was called. */
  readonly cancelled: { reason: unknown } | undefined;
}

/**
 * A pull body whose reader takes what `next` gives (`"end"` closes it, `"hang"` never answers
 * again); `pulled` adds up `measure` of each chunk taken, `cancelled` records the cancel's reason.
 */
function countedBody(next: () => Bytes | "end" | "hang", measure: (chunk: Bytes) => number): ChunkedBody {
  let pulled = 0;
  let cancelled: { reason: unknown } | undefined;
  const body = new ReadableStream<Bytes>(
    {
      pull(controller) {
        const chunk = next();
        if (chunk === "end") controller.close();
        else if (chunk === "hang") return new Promise<void>(() => {}); // nothing more, ever
        else {
          pulled += measure(chunk);
          controller.enqueue(chunk);
        }
        return undefined;
      },
      cancel(reason) {
        cancelled = { reason };
      },
    },
    { highWaterMark: 0 },
  );
  return {
    body,
    get pulled() {
      return pulled;
    },
    get cancelled() {
      return cancelled;
    },
  };
}

/** A body with these chunks; `endless` keeps it open after them (a stream that never finishes). */
export function chunkedBody(chunks: readonly Bytes[], endless = false): ChunkedBody {
  let i = 0;
  return countedBody(() => (i < chunks.length ? chunks[i++]! : endless ? "hang" : "end"), () => 1);
}

/** The bytes as a body in the given chunks. */
export function bodyOf(...chunks: Bytes[]): ReadableStream<Bytes> {
  return chunkedBody(chunks).body;
}

/** The bytes split into two chunks at `at` (either may be empty). */
export function splitAt(bytes: Bytes, at: number): Bytes[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

/** The bytes one per chunk. */
export function oneByteChunks(bytes: Bytes): Bytes[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

/** A `Response` with an event-stream content type (or `contentType`) and this text as its body. */
export function responseOf(text: string, init: ResponseInit & { contentType?: string } = {}): Response {
  const { contentType = "text/event-stream", ...rest } = init;
  return new Response(bodyOf(bytesOf(text)), {
    ...rest,
    headers: { "content-type": contentType, ...(rest.headers as Record<string, string> | undefined) },
  });
}

/**
 * A body of `total` bytes of `fill` (an ASCII character) after `prefix`, in chunks of `chunk`
 * bytes, generated as read: a hostile stream that never ends its line. `pulled` counts the bytes
 * handed out; `cancelled` says whether (and why) the reader gave up on it.
 */
export function endlessLine(
  prefix: string,
  total: number,
  { fill = "x", chunk = 64 * 1024 }: { fill?: string; chunk?: number } = {},
): ChunkedBody {
  const block = new Uint8Array(chunk).fill(fill.charCodeAt(0));
  let sent = -1; // the prefix comes first
  return countedBody(
    () => {
      if (sent < 0) {
        sent = 0;
        return bytesOf(prefix);
      }
      if (sent >= total) return "end";
      const n = Math.min(chunk, total - sent);
      sent += n;
      // A fresh copy each time: a reader that keeps chunks must pay for them.
      return block.slice(0, n);
    },
    (bytes) => bytes.length,
  );
}
