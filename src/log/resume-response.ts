/**
 * `resumeResponse`: a stored generation as the SSE `toResponse` writes, from where a viewer left
 * off, then live.
 *
 * @module
 */
import { isTerminal, type ProtocolEvent } from "../protocol.ts";
import { Heartbeat } from "../encoders/heartbeat.ts";
import { DEFAULT_HEARTBEAT_MS, PING, sseFrame } from "../encoders/sse-encoder-stream.ts";
import type { LogRow, LogSnapshot, StreamLog } from "./stream-log.ts";

/** Options of `resumeResponse`; all are optional. */
export interface ResumeResponseOptions {
  /**
   * Go on with each new row until the generation ends; `false` answers with what is stored now.
   * @default true
   */
  live?: boolean | undefined;
  /**
   * Idle time in milliseconds after which a `: ping` comment is sent while the viewer waits for
   * the next row (0 turns heartbeats off).
   * @default 15000
   */
  heartbeatMs?: number | undefined;
  /** Headers to add (a name that is a default, such as `cache-control`, replaces it). */
  headers?: HeadersInit | undefined;
}

/** Where a viewer resumes: after event `event` of row `seq` (`event` -1: after the whole row). */
interface Offset {
  readonly seq: number;
  readonly event: number;
}

const OFFSET = /^(\d{1,15})(?:\.(\d{1,9}))?$/;

/** The offset a request asks for: `Last-Event-ID`, else `?offset=`; none is the start. */
function offsetOf(request: Request): Offset | string {
  let text = request.headers.get("last-event-id");
  if (text === null) {
    try {
      text = new URL(request.url).searchParams.get("offset");
    } catch {
      text = null;
    }
  }
  if (text === null || text === "") return { seq: 0, event: -1 };
  const match = OFFSET.exec(text.trim());
  if (match === null) return `offset must be "<seq>" or "<seq>.<event>" (an SSE id this server sent), got ${JSON.stringify(text.slice(0, 40))}`;
  return { seq: Number(match[1]), event: match[2] === undefined ? -1 : Number(match[2]) };
}

function jsonError(status: number, message: string, code: string): Response {
  return new Response(JSON.stringify({ error: { message, code } }), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/**
 * Answers a viewer of a stored generation with Server-Sent Events: what the log holds after the
 * request's offset, then each new row as the producer (`persist`) appends it, until the
 * generation ends; a finished generation replays and ends. Any number of viewers may read one log
 * at once, each at its own pace. The events are the ones `toResponse(stream, { format: "sse" })`
 * writes (so `fromResponse` reads them back), with ids `<seq>.<k>`: event `k` of row `seq`. The
 * offset is the `Last-Event-ID` header (what `EventSource` sends when it reconnects) or the
 * `?offset=` query parameter (for `fetch` clients), and means "after this event": a connection
 * cut in the middle of a row resumes at the next event of that row. Replay sends the stored rows,
 * each as one chunk of bytes, never one chunk per delta. While the viewer waits, a `: ping`
 * comment goes out after `heartbeatMs` of silence.
 *
 * @example
 * ```ts
 * const logs = new MemoryLogStore();
 * // GET /chat/stream?id=… — a reload, a second tab, another device:
 * const id = new URL(request.url).searchParams.get("id") ?? "";
 * const viewer: Response = await resumeResponse(logs.log(id), request);
 *
 * // In the browser: new EventSource(url), or with fetch and reconnects:
 * const url = "/chat/stream?id=chat-42";
 * const stream = fromResponse(await fetch(url), {
 *   reconnect: { fetch: (lastEventId) => fetch(url, { headers: { "last-event-id": lastEventId } }) },
 * });
 * ```
 *
 * Cancellation and errors: `request.signal` (a viewer that leaves; workerd needs the
 * `enable_request_signal` flag) and cancelling the body cancel the read and release what the log
 * held for it; the generation goes on. A log that does not exist (never opened, or deleted after its
 * retention) is a 404 with `{"error": {"message", "code": "not_found"}}`; an offset that is not an
 * id this server sends, or lies past the log's last row, is a 400 (`code: "bad_input"`). When
 * the log ended without a terminal event (a producer that vanished, finished by the engine), a
 * closing `error` event made from the stored failure ends the body. When the log's storage fails
 * mid-read, the body ends without a terminal event: a client that reconnects resumes.
 */
export async function resumeResponse(log: StreamLog, request: Request, options: ResumeResponseOptions = {}): Promise<Response> {
  const heartbeat = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  // Checked before anything else: a bad value throws the encoders' RangeError.
  new Heartbeat(heartbeat, () => false).stop();
  const offset = offsetOf(request);
  if (typeof offset === "string") return jsonError(400, offset, "bad_input");
  const snapshot = await log.snapshot();
  if (snapshot === undefined) return jsonError(404, "No such generation (never started, or deleted after its retention)", "not_found");
  if (offset.seq > snapshot.seq) return jsonError(400, `offset ${offset.seq} is past the last row (${snapshot.seq})`, "bad_input");

  const headers = new Headers(options.headers);
  const defaults: [string, string][] = [
    ["content-type", "text/event-stream"],
    ["cache-control", "no-cache"],
    ["content-encoding", "identity"],
    ["x-accel-buffering", "no"],
  ];
  for (const [name, value] of defaults) if (!headers.has(name)) headers.set(name, value);
  const source = new ReplaySource(log, offset, options.live ?? true, request.signal, heartbeat);
  return new Response(new ReadableStream<Uint8Array>(source, { highWaterMark: 0 }), { status: 200, headers });
}

const noop = (): void => {};

/** The body: one chunk per row, pings while waiting, a closing event from the snapshot if needed. */
class ReplaySource implements UnderlyingDefaultSource<Uint8Array> {
  readonly #log: StreamLog;
  readonly #rows: ReadableStreamDefaultReader<LogRow>;
  readonly #encoder = new TextEncoder();
  readonly #heartbeat: Heartbeat;
  /** Events of row `#skipSeq` up to and including this index were sent before. */
  readonly #skipSeq: number;
  readonly #skipThrough: number;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  /** A pull waits for the next row. */
  #waiting = false;
  #done = false;
  /** The last row read, and how many events it had: a closing event continues its ids. */
  #lastSeq = 0;
  #lastCount = 0;

  constructor(log: StreamLog, offset: Offset, live: boolean, signal: AbortSignal | undefined, heartbeatMs: number) {
    this.#log = log;
    const partial = offset.event >= 0 && offset.seq > 0;
    this.#skipSeq = partial ? offset.seq : 0;
    this.#skipThrough = offset.event;
    this.#lastSeq = offset.seq;
    const options = signal === undefined ? { live } : { live, signal };
    this.#rows = log.read(partial ? offset.seq - 1 : offset.seq, options).getReader();
    this.#heartbeat = new Heartbeat(heartbeatMs, () => this.#ping());
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    this.#heartbeat.start();
    while (!this.#done) {
      let result: ReadableStreamReadResult<LogRow>;
      this.#waiting = true;
      try {
        result = await this.#rows.read();
      } catch {
        // The viewer left (request.signal), or the storage failed: end without a terminal event,
        // so that a client that is still there reconnects and resumes.
        return this.#close(controller);
      } finally {
        this.#waiting = false;
      }
      if (this.#done) return;
      if (result.done) return this.#end(controller);
      if (this.#write(controller, result.value)) return;
    }
  }

  cancel(reason: unknown): void {
    this.#done = true;
    this.#heartbeat.stop();
    this.#rows.cancel(reason).catch(noop);
  }

  /** Writes one row as one chunk; returns whether anything was written. */
  #write(controller: ReadableStreamDefaultController<Uint8Array>, row: LogRow): boolean {
    const { seq, events } = row;
    const from = seq === this.#skipSeq ? this.#skipThrough + 1 : 0;
    this.#lastSeq = seq;
    this.#lastCount = events.length;
    let frames = "";
    // The row ends the generation even when the viewer had its last event already.
    let terminal = isTerminal((events[events.length - 1] as { event?: unknown } | undefined)?.event);
    for (let k = from; k < events.length; k++) {
      const { frame, name } = sseFrame(`${seq}.${k}`, events[k], k);
      frames += frame;
      if (isTerminal(name)) {
        terminal = true;
        break;
      }
    }
    if (frames !== "") {
      controller.enqueue(this.#encoder.encode(frames));
      this.#heartbeat.mark();
    }
    if (terminal) {
      this.#rows.cancel().catch(noop);
      this.#close(controller);
    }
    return frames !== "" || terminal;
  }

  /** The rows ended: a log that ended without a terminal event gets one from its snapshot. */
  async #end(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    let snapshot: LogSnapshot | undefined;
    try {
      snapshot = await this.#log.snapshot();
    } catch {
      snapshot = undefined;
    }
    if (this.#done) return;
    const closing = snapshot === undefined ? undefined : closingEvent(snapshot);
    if (closing !== undefined) {
      const { frame } = sseFrame(`${this.#lastSeq}.${this.#lastCount}`, closing, this.#lastCount);
      controller.enqueue(this.#encoder.encode(frame));
    }
    this.#close(controller);
  }

  #close(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.#done) return;
    this.#done = true;
    this.#heartbeat.stop();
    controller.close();
  }

  #ping(): boolean {
    if (this.#done || !this.#waiting) return false;
    this.#controller!.enqueue(this.#encoder.encode(PING));
    return true;
  }
}

/** The terminal event of a log that ended without one in its rows (a running or live-less read: none). */
function closingEvent(snapshot: LogSnapshot): ProtocolEvent | undefined {
  if (snapshot.status === "running") return undefined;
  if (snapshot.status === "finished") return { event: "message-finish" };
  const failure = snapshot.failure ?? { message: `The generation ${snapshot.status === "aborted" ? "was stopped" : "failed"}` };
  return failure.code === undefined
    ? { event: "error", message: failure.message }
    : { event: "error", message: failure.message, code: failure.code };
}

