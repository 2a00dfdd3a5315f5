/**
 * `resumeResponse`: a stored generation as the SSE `toResponse` writes, from where a viewer left
 * off, then live.
 *
 * @module
 */
import { queuedEvent, queueEvent, type EventQueue } from "../coalesce.ts";
import { isRecord, isTerminal, type ProtocolEvent, type RawEvent } from "../protocol.ts";
import { eventSize } from "./persist.ts";
import { Heartbeat } from "../encoders/heartbeat.ts";
import { DEFAULT_HEARTBEAT_MS, PING, sseFrame } from "../encoders/sse-encoder-stream.ts";
import { appendHeaders, type HeaderList } from "../encoders/to-response.ts";
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
  headers?: HeaderList | undefined;
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
 * cut in the middle of a row resumes at the next event of that row. What was stored before the
 * request is replayed merged: consecutive deltas of a block, across rows, become one delta event
 * (up to about 8 KiB, carrying the id of the last delta it holds, so that resuming after it is
 * exact), written in chunks of up to about 64 KiB; a row appended while the viewer waits goes out
 * as one chunk. Never one chunk per delta. A `usage` snapshot right before a `message-finish` that
 * has no usage of its own goes out as that finish's `usage`, under the finish's id: the same
 * message (`usage_metadata` is the finish's usage, else the latest snapshot) in one frame less. While the viewer waits, a `: ping` comment goes out
 * after `heartbeatMs` of silence.
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
 * id this server sends, or lies past the last row of a generation still running, is a 400 (`code:
 * "bad_input"`). An offset past what an ended generation stored (rows its viewer had, lost when a
 * Durable Object restarted before writing them) gets the generation's end (its terminal event, or
 * the closing event below) under an id past the offset, so the viewer ends with the stored status. When
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
  let from = offset;
  let past: string | undefined;
  if (offset.seq > snapshot.seq) {
    if (snapshot.status === "running") return jsonError(400, `offset ${offset.seq} is past the last row (${snapshot.seq})`, "bad_input");
    // Rows the viewer had are not stored (an object restarted before writing them), and the
    // generation ended since: the viewer gets its end, under an id past its own.
    from = { seq: snapshot.seq, event: -1 };
    past = offset.event >= 0 ? `${offset.seq}.${offset.event + 1}` : `${offset.seq + 1}.0`;
  }

  const headers = new Headers();
  if (options.headers !== undefined) appendHeaders(headers, options.headers);
  const defaults: [string, string][] = [
    ["content-type", "text/event-stream"],
    ["cache-control", "no-cache"],
    ["content-encoding", "identity"],
    ["x-accel-buffering", "no"],
  ];
  for (const [name, value] of defaults) if (!headers.has(name)) headers.set(name, value);
  const source = new ReplaySource(log, from, past, snapshot.seq, options.live ?? true, request.signal, heartbeat);
  return new Response(new ReadableStream<Uint8Array>(source, { highWaterMark: 0 }), { status: 200, headers });
}

const noop = (): void => {};

/** A replay's chunk is cut once its events hold about this many bytes. */
const REPLAY_CHUNK_BYTES = 64 * 1024;
/**
 * A merged delta stops growing at about this many bytes: an event is what a cut connection keeps
 * or loses whole, so a viewer on a network that drops often still gets on.
 */
const MERGED_EVENT_BYTES = 8 * 1024;

/**
 * Events on their way out, with the SSE id of each: consecutive growing deltas merge (as the
 * coalescer merges a lagging reader's queue), and a merged delta carries the id of the last event
 * it holds, so that resuming after it means after all of them.
 */
class Batch {
  readonly #queue: EventQueue = { items: [], usage: undefined, usageAt: -1 };
  #ids: string[] = [];
  /** Frames of events that can merge no more. */
  #frames = "";
  /** About how many bytes the batch holds, and its events not yet framed. */
  bytes = 0;
  #open = 0;
  /** The last event queued, not framed yet, is a usage snapshot. */
  #usageLast = false;

  add(event: ProtocolEvent, id: string): void {
    // A usage snapshot right before a message-finish that has no usage of its own goes out as that
    // finish's usage: one frame instead of two, and the same message (`usage_metadata` is the
    // finish's usage, else the latest snapshot). Only when nothing comes between them: a frame in
    // between would carry an id past the snapshot, so a cut after it would lose the usage.
    const usage = this.#usageLast ? foldableUsage(event, this.#queue.items.at(-1)) : undefined;
    if (usage !== undefined) {
      this.#queue.items.pop();
      this.#ids.pop();
      event = { ...event, usage } as ProtocolEvent;
    }
    if (this.#open >= MERGED_EVENT_BYTES) this.#frame();
    const items = this.#queue.items;
    const before = items.length;
    queueEvent(this.#queue, event, 0);
    // A usage snapshot stays where it is: the events around it keep their ids.
    this.#queue.usageAt = -1;
    if (items.length > before) this.#ids.push(id);
    else this.#ids[before - 1] = id;
    this.#usageLast = event.event === "usage";
    const size = eventSize(event as unknown as RawEvent);
    this.bytes += size;
    this.#open += size;
  }

  /** The SSE frames of the events, and an empty batch. */
  take(): string {
    this.#frame();
    const frames = this.#frames;
    this.#frames = "";
    this.bytes = 0;
    return frames;
  }

  /** Frames the events queued so far: nothing more merges into them. */
  #frame(): void {
    const items = this.#queue.items;
    const ids = this.#ids;
    for (let i = 0; i < items.length; i++) this.#frames += sseFrame(ids[i]!, queuedEvent(items[i]), i).frame;
    this.#queue.items = [];
    this.#ids = [];
    this.#open = 0;
    this.#usageLast = false;
  }
}

/**
 * The usage `snapshot` carries, when `event` is a `message-finish` without usage that may take it:
 * a record whose counts are numbers or missing, so that the fold reads it there as it read it in
 * the snapshot (one it would reject stays an event of its own, and fails where it did).
 */
function foldableUsage(event: ProtocolEvent, snapshot: unknown): unknown {
  if (event.event !== "message-finish" || (event as RawEvent)["usage"] !== undefined) return undefined;
  const usage = (snapshot as RawEvent)["usage"];
  if (!isRecord(usage)) return undefined;
  for (const count of ["input_tokens", "output_tokens", "total_tokens"]) {
    const n = usage[count];
    if (n != null && typeof n !== "number") return undefined;
  }
  return usage;
}

/** The body: rows as chunks, pings while waiting, a closing event from the snapshot if needed. */
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
  /** The log's last row when the request came: rows up to it are replayed in batches. */
  readonly #storedSeq: number;
  readonly #batch = new Batch();
  /**
   * When the viewer's offset lies past what row `#skipSeq` holds (rows it had were lost, and other
   * rows, or none, stored in their place): the id of the generation's end, sent again to it.
   */
  #pastId: string | undefined;

  constructor(log: StreamLog, offset: Offset, past: string | undefined, storedSeq: number, live: boolean, signal: AbortSignal | undefined, heartbeatMs: number) {
    this.#log = log;
    this.#storedSeq = storedSeq;
    this.#pastId = past;
    // Row `seq` is read again even when the viewer holds all of it (`?offset=<seq>`): its length
    // gives the ids after it, so a closing event made from the snapshot cannot reuse one of its ids.
    const partial = offset.seq > 0;
    this.#skipSeq = partial ? offset.seq : 0;
    this.#skipThrough = offset.event >= 0 ? offset.event : Infinity;
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
        if (!this.#done) this.#flush(controller);
        return this.#close(controller);
      } finally {
        this.#waiting = false;
      }
      if (this.#done) return;
      if (result.done) return this.#end(controller);
      const row = result.value;
      const terminal = this.#add(row);
      // Rows stored before the request are replayed together, up to a chunk's worth: a viewer that
      // resumes a slowly written answer gets its many small rows as one run of merged deltas.
      if (!terminal && row.seq < this.#storedSeq && this.#batch.bytes < REPLAY_CHUNK_BYTES) continue;
      const wrote = this.#flush(controller);
      if (terminal) {
        this.#rows.cancel().catch(noop);
        return this.#close(controller);
      }
      if (wrote) return;
    }
  }

  cancel(reason: unknown): void {
    this.#done = true;
    this.#heartbeat.stop();
    this.#rows.cancel(reason).catch(noop);
  }

  /** Adds a row's events (those after the offset) to the batch; returns whether the row ends the generation. */
  #add(row: LogRow): boolean {
    const { seq, events } = row;
    const from = seq === this.#skipSeq ? this.#skipThrough + 1 : 0;
    this.#lastSeq = seq;
    this.#lastCount = events.length;
    // An offset naming an event this row does not have: the viewer's row was another one, lost.
    if (seq === this.#skipSeq && this.#skipThrough !== Infinity && this.#skipThrough >= events.length) this.#pastId ??= `${seq}.${this.#skipThrough + 1}`;
    // The row ends the generation even when the viewer had its last event already.
    if (isTerminal((events[events.length - 1] as { event?: unknown } | undefined)?.event)) {
      // A viewer past the row never got this end: it gets it now.
      if (from >= events.length && this.#pastId !== undefined) this.#batch.add(events[events.length - 1]!, this.#pastId);
      for (let k = from; k < events.length; k++) this.#batch.add(events[k]!, `${seq}.${k}`);
      return true;
    }
    for (let k = from; k < events.length; k++) {
      const event = events[k]!;
      this.#batch.add(event, `${seq}.${k}`);
      if (isTerminal(event.event)) return true;
    }
    return false;
  }

  /** Writes the batch as one chunk; returns whether anything was written. */
  #flush(controller: ReadableStreamDefaultController<Uint8Array>): boolean {
    const frames = this.#batch.take();
    if (frames === "") return false;
    controller.enqueue(this.#encoder.encode(frames));
    this.#heartbeat.mark();
    return true;
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
    // Rows read in a batch before the rows ended (a log deleted mid-read) still go out.
    this.#flush(controller);
    const closing = snapshot === undefined ? undefined : closingEvent(snapshot);
    if (closing !== undefined) {
      const past = this.#lastSeq === this.#skipSeq ? this.#pastId : undefined;
      const { frame } = sseFrame(past ?? `${this.#lastSeq}.${this.#lastCount}`, closing, this.#lastCount);
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

