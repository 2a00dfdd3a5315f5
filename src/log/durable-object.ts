/**
 * `StreamLogObject`: the Durable Object that stores one generation's log (one object per
 * generation, addressed by `idFromName(generationId)`), on SQLite-backed storage.
 *
 * @module
 */
import { DurableObject } from "cloudflare:workers";
import { ChatModelStream } from "../chat-model-stream.ts";
import { coded, errorCode } from "../errors.ts";
import type { ProtocolEvent } from "../protocol.ts";
import { persist } from "./persist.ts";
import type { LogFailure, StreamLog } from "./stream-log.ts";
import { resumeResponse } from "./resume-response.ts";
import { DEFAULT_TIMERS, SqlLog, type SqlLogStats } from "./sql-log.ts";

/** The timers of one generation, chosen by its producer when it opens the log. */
export interface StreamLogObjectOptions {
  /**
   * How long the generation's rows and final message stay after its end; then the object's alarm
   * deletes everything it stored.
   * @default 600_000 (10 minutes)
   */
  readonly retentionMs?: number;
  /**
   * How long a running generation may go without an append before the object's alarm finishes it
   * as `failed` (code `timeout`), with the partial message folded from its rows: the producer
   * vanished (its isolate was evicted, it crashed, or it forgot to close). Keep it above the
   * longest silence of the model (a reasoning model may think for minutes before its first token).
   * @default 600_000 (10 minutes)
   */
  readonly producerTimeoutMs?: number;
}

/**
 * What each of the object's RPC methods returns: the value, or the error the log refused with
 * (its class name, message and `code`, which an RPC error would not carry across).
 */
export type StreamLogObjectReply =
  | { readonly ok: true; readonly value?: string }
  | { readonly ok: false; readonly name: string; readonly message: string; readonly code?: string };

/** What `StreamLogObject.stats()` counts. */
export interface StreamLogObjectStats {
  /** Live reads (viewers, `DurableStreamLog.read`) waiting for the next row. */
  readonly waitingReads: number;
  /** Rows kept in memory for live readers. */
  readonly tailRows: number;
  /** SQL rows written by this instance since it started (what Durable Objects bill as rows written). */
  readonly rowsWritten: number;
  /** Alarms set by this instance since it started (Durable Objects bill each as a row written). */
  readonly alarmsSet: number;
}

/** The header that asks the object's `fetch` for rows (NDJSON) rather than an SSE response. */
const ROWS_HEADER = "x-stream-log";
/** The header that names a row read, for `endRead`. */
const READ_HEADER = "x-stream-log-read";

const OK: StreamLogObjectReply = { ok: true };

/**
 * How often the object's alarm fires while a generation runs inside it: an incoming event, so an
 * object whose clients all left is not evicted as idle in the middle of the provider's answer.
 */
const HEARTBEAT_MS = 30_000;

/** A source whose first read throws `error`: the stream of a `generate` that threw. */
async function* failing(error: unknown): AsyncGenerator<ProtocolEvent> {
  yield* [];
  throw error;
}

/** `log` as `persist` sees it when the object opened the log itself: `open` does nothing more. */
function opened(log: SqlLog): StreamLog {
  return {
    open: () => Promise.resolve(),
    append: (row) => log.append(row),
    close: (message) => log.close(message),
    fail: (status, failure, partial) => log.fail(status, failure, partial),
    snapshot: () => log.snapshot(),
    read: (after, options) => log.read(after, options),
    stop: (reason) => log.stop(reason),
    stopped: (signal) => log.stopped(signal),
  };
}

/** Runs `body`; a refusal of the log (an error with a `code`) becomes a reply, anything else throws. */
async function reply(body: () => string | undefined | void | Promise<string | undefined | void>): Promise<StreamLogObjectReply> {
  try {
    const value = await body();
    return typeof value === "string" ? { ok: true, value } : OK;
  } catch (error) {
    const code = errorCode(error);
    if (code === undefined || !(error instanceof Error)) throw error;
    return { ok: false, name: error.name, message: error.message, code };
  }
}

/**
 * The Durable Object behind `DurableStreamLog`: one generation's rows in SQLite (one SQL row per
 * run of the rows the producer appends: written at 64 KiB, or 2.5 s after the first for the first
 * run and 5 s for the others, and with the end, in the row that stores the end; a run or an end
 * over SQLite's 2 MB a row, such as a generated image, takes several rows, written together; so a restart
 * mid-generation loses at most those last 5 s, or the whole generation if nothing of it was written
 * yet), its status and final or partial message, the last rows in memory for live viewers, and an alarm that deletes it all `retentionMs` after the end and
 * finishes a generation whose producer vanished. Its `fetch` answers viewers: the SSE of the
 * generation after the request's `Last-Event-ID` (or `?offset=`), then live, until the end.
 *
 * Export it from your Worker's main module, bind it, and give it SQLite storage:
 *
 * @example
 * ```ts
 * // The Worker's main module exports the class, so that workerd can make its objects.
 * export { StreamLogObject } from "chat-model-stream/cloudflare";
 * ```
 * ```toml
 * # wrangler.toml
 * [[durable_objects.bindings]]
 * name = "STREAMS"
 * class_name = "StreamLogObject"
 *
 * [[migrations]]
 * tag = "v1"
 * new_sqlite_classes = ["StreamLogObject"]
 * ```
 *
 * To run the generation inside the object (so that it does not depend on the Worker request that
 * started it), subclass it, override `generate`, bind and export the subclass, and call
 * `stub.start(input)` (see `generate`). Otherwise a producer elsewhere writes into it through
 * `DurableStreamLog` (each method returns a `StreamLogObjectReply`). Call `fetch` yourself to answer
 * a viewer: `return env.STREAMS.getByName(id).fetch(request)`.
 *
 * Cancellation and errors: a viewer who disconnects releases its read (through `request.signal`,
 * which needs the `enable_request_signal` compatibility flag, and through the body's cancel);
 * a refused call (append after the end, a seq out of order, a log that does not exist) comes back
 * as `{ ok: false, name, message, code }`; a storage error throws, as an RPC error.
 */
export class StreamLogObject<Env = unknown> extends DurableObject<Env> {
  #log: SqlLog | undefined;
  /** The pending `stopped` calls, by listener. */
  readonly #listeners = new Map<string, AbortController>();
  /** The open row reads of `DurableStreamLog.read`, by read id, to end from `endRead`. */
  readonly #reads = new Map<string, AbortController>();
  /** The generation `start` runs in this instance, until it ended. */
  #generation: Promise<void> | undefined;
  /** The stream of the generation running here, once `generate` gave it. */
  #current: ChatModelStream | undefined;

  /** The generation's log; read from storage on the object's first call since it started. */
  get #local(): SqlLog {
    return (this.#log ??= new SqlLog(this.ctx.storage));
  }

  /**
   * Creates the generation's log (status `running`) with its timers; refuses (`invalid_state`) if
   * it exists. Its value is the generation (its start, ms since the epoch), for the producer's
   * `append`, `close` and `fail`.
   */
  open(options: StreamLogObjectOptions = {}): Promise<StreamLogObjectReply> {
    return reply(async () => {
      const log = this.#local;
      await log.openWith({
        retentionMs: options.retentionMs ?? DEFAULT_TIMERS.retentionMs,
        producerTimeoutMs: options.producerTimeoutMs ?? DEFAULT_TIMERS.producerTimeoutMs,
      });
      return String(log.snapshotNow()!.startedAt);
    });
  }

  /**
   * The log, for a call of the producer of `generation` (when given): refused (`invalid_state`)
   * when the log holds another generation, opened under the same id after this object lost that
   * producer's in a restart (before its first pack), so that the old producer's rows and end do
   * not land in it.
   */
  #producing(generation: number | undefined): SqlLog {
    const log = this.#local;
    const startedAt = log.startedAt;
    if (generation !== undefined && startedAt !== undefined && startedAt !== generation) {
      throw coded(new TypeError("This generation was opened again since this producer opened it (the object restarted and lost it): it is not this producer's"), "invalid_state");
    }
    return log;
  }

  /**
   * The model's answer to `input` (what the Worker passed to `start`), for a generation that runs
   * inside the object: override it in a subclass; `this.env` holds the Worker's bindings and
   * secrets. `signal` aborts when a Stop arrives before the stream was returned (pass it to the
   * provider's `fetch`) and once the generation ended. The default throws (code `invalid_state`).
   *
   * @example
   * ```ts
   * import { StreamLogObject } from "chat-model-stream/cloudflare";
   * import { fromOpenAIChat, type ChatModelStream } from "chat-model-stream";
   *
   * interface Env { OPENAI_API_KEY: string }
   *
   * export class Chats extends StreamLogObject<Env> {
   *   override async generate(input: unknown, signal: AbortSignal): Promise<ChatModelStream> {
   *     const { prompt } = input as { prompt: string };
   *     const response = await fetch("https://api.openai.com/v1/chat/completions", {
   *       method: "POST",
   *       headers: { authorization: `Bearer ${this.env.OPENAI_API_KEY}`, "content-type": "application/json" },
   *       body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: prompt }] }),
   *       signal,
   *     });
   *     return fromOpenAIChat(response, { signal });
   *   }
   * }
   * ```
   *
   * Cancellation and errors: a Stop cancels the returned stream (stored as `aborted`, with the
   * partial message); a `generate` that throws, or a stream that errors, ends the log as `failed`
   * with that error, which its viewers get as the last event.
   */
  generate(input: unknown, signal: AbortSignal): ChatModelStream | Promise<ChatModelStream> {
    void input;
    void signal;
    throw coded(
      new TypeError("StreamLogObject.generate is not implemented: subclass StreamLogObject, override generate(input, signal), and bind the subclass"),
      "invalid_state",
    );
  }

  /**
   * Starts a generation inside the object: opens the log (as `open`), answers, and runs
   * `generate(input, signal)` into it with `persist`, here, while no client needs to stay
   * connected: the object keeps running the answer (its alarm fires every 30 s meanwhile, so
   * that it is not evicted as idle). Viewers read it through `fetch`; `stop` stops it.
   *
   * Refuses (`invalid_state`) when the generation's log exists already: it runs (watch it), or
   * ended and is still retained.
   */
  start(input: unknown, options: StreamLogObjectOptions = {}): Promise<StreamLogObjectReply> {
    return reply(async () => {
      const log = this.#local;
      const now = Date.now();
      // Marked as run here in its packs; the heartbeat is its alarm until the end.
      await log.openWith(
        {
          retentionMs: options.retentionMs ?? DEFAULT_TIMERS.retentionMs,
          producerTimeoutMs: options.producerTimeoutMs ?? DEFAULT_TIMERS.producerTimeoutMs,
        },
        now,
        true,
      );
      await log.setAlarm(now + HEARTBEAT_MS);
      const run = this.#run(log, input);
      this.#generation = run;
      void run.finally(() => {
        if (this.#generation === run) this.#generation = undefined;
      });
    });
  }

  /** Runs `generate(input)` into the opened `log`; stores a failure of `generate` as the generation's. */
  async #run(log: SqlLog, input: unknown): Promise<void> {
    const aborting = new AbortController();
    const listening = new AbortController();
    let running = false;
    // A Stop before the stream exists aborts the signal of `generate`; after, persist cancels the stream.
    void log.stopped(listening.signal).then((reason) => {
      if (reason !== undefined && !running) aborting.abort(coded(new Error(reason), "aborted"));
    });
    try {
      let stream: ChatModelStream;
      try {
        stream = await this.generate(input, aborting.signal);
      } catch (error) {
        stream = ChatModelStream.from(failing(aborting.signal.aborted ? aborting.signal.reason : error));
      }
      running = true;
      this.#current = stream;
      await persist(stream, opened(log));
    } catch (error) {
      // The log refused (the alarm ended the generation first): nothing more to store.
      console.error("StreamLogObject: the generation was not stored to its end:", error);
    } finally {
      this.#current = undefined;
      listening.abort();
      aborting.abort(coded(new Error("The generation ended"), "aborted"));
    }
  }

  /** Appends row `seq`, its events as a JSON array (stored as given); with `generation` (what `open` answered), only to that generation. */
  append(seq: number, events: string, generation?: number): Promise<StreamLogObjectReply> {
    return reply(() => this.#producing(generation).appendJson(seq, events));
  }

  /** Ends the generation as `finished`, with its final message as JSON; with `generation`, only that generation. */
  close(message: string, generation?: number): Promise<StreamLogObjectReply> {
    return reply(() => this.#producing(generation).closeJson(message));
  }

  /** Ends the generation as `failed` or `aborted`, with the partial message as JSON; with `generation`, only that generation. */
  fail(status: "failed" | "aborted", failure: LogFailure, partial?: string, generation?: number): Promise<StreamLogObjectReply> {
    return reply(() => this.#producing(generation).failJson(status, failure, partial));
  }

  /** The generation's `LogSnapshot` as JSON, or no value before `open` and after deletion. */
  snapshot(): Promise<StreamLogObjectReply> {
    return reply(() => this.#local.snapshotJson());
  }

  /** Asks the producer to stop: its pending `stopped()` call resolves with `reason`. */
  stop(reason?: string): Promise<StreamLogObjectReply> {
    return reply(() => this.#local.stop(reason));
  }

  /**
   * For the producer: resolves with the reason once `stop` was called, or with `undefined` once
   * the generation ended (or was never opened), or `unlisten(listener)` was called. The call stays
   * pending until then.
   */
  async stopped(listener: string): Promise<string | undefined> {
    const listening = new AbortController();
    this.#listeners.set(listener, listening);
    try {
      return await this.#local.stopped(listening.signal);
    } finally {
      this.#listeners.delete(listener);
    }
  }

  /** Resolves the pending `stopped(listener)` call with `undefined`: its producer no longer listens. */
  unlisten(listener: string): Promise<StreamLogObjectReply> {
    this.#listeners.get(listener)?.abort();
    return Promise.resolve(OK);
  }

  /**
   * Ends the row read `read` (the `x-stream-log-read` header of its fetch): its body closes, so its
   * reader's pending read resolves instead of being cancelled (workerd reports the rejected read
   * of a cancelled body as unhandled for a moment, though it is handled).
   */
  endRead(read: string): Promise<StreamLogObjectReply> {
    this.#reads.get(read)?.abort();
    return Promise.resolve(OK);
  }

  /**
   * What this instance of the object holds and did since it started (for monitoring, and for
   * tests): live reads waiting for the next row, rows kept in memory, and SQL rows written.
   */
  stats(): StreamLogObjectStats {
    return this.#local.stats;
  }

  /**
   * Answers a viewer with the generation's SSE after the request's `Last-Event-ID` (or
   * `?offset=`), then live; with the header `x-stream-log: rows`, answers `DurableStreamLog.read`
   * with its rows as NDJSON after `?after=` (live with `&live=1`).
   */
  override async fetch(request: Request): Promise<Response> {
    const log = this.#local;
    const url = new URL(request.url);
    if (request.headers.get(ROWS_HEADER) === "rows") {
      if (log.snapshotJson() === undefined) return new Response("not found", { status: 404 });
      const after = Number(url.searchParams.get("after") ?? "0");
      const id = request.headers.get(READ_HEADER) ?? "";
      const ending = new AbortController();
      if (id !== "") this.#reads.set(id, ending);
      const lines = log.readLines(after, {
        live: url.searchParams.get("live") === "1",
        signal: AbortSignal.any([request.signal, ending.signal]),
        onEnd: () => this.#reads.delete(id),
      });
      return new Response(lines, { headers: { "content-type": "application/x-ndjson" } });
    }
    return resumeResponse(log, request);
  }

  /**
   * The alarm: deletes an ended generation; finishes a running one whose producer vanished (at once
   * for a generation `start` ran in an earlier instance of the object, which a restart ended).
   */
  override async alarm(): Promise<void> {
    const log = this.#local;
    if (log.snapshotNow()?.status === "running" && log.local) {
      if (this.#generation !== undefined) {
        const now = Date.now();
        const timeout = log.timers?.producerTimeoutMs ?? DEFAULT_TIMERS.producerTimeoutMs;
        if (now - log.lastHeardAt >= timeout) {
          // The model went silent (a provider that holds its connection open and sends nothing):
          // end the generation as a vanished producer's, and stop its call.
          await log.alarm(now);
          this.#current?.cancel(coded(new DOMException(`The model sent nothing for ${timeout} ms`, "TimeoutError"), "timeout"));
          return;
        }
        // The generation runs here: the heartbeat that keeps the object awake.
        await log.setAlarm(now + HEARTBEAT_MS);
        return;
      }
      // It ran in an instance of this object that is gone (a deploy, an eviction): so is its model call.
      await log.alarm(Date.now(), { message: "The object restarted while the generation ran in it: its model call was lost", code: "timeout" });
      return;
    }
    await log.alarm();
  }
}
