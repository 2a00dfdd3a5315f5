/**
 * `DurableStreamLog`: the `StreamLog` a Worker uses, over a `StreamLogObject`'s stub.
 *
 * @module
 */
import { coded, type ErrorCode } from "../errors.ts";
import type { AIMessage } from "../protocol.ts";
import type { StreamLogObjectOptions, StreamLogObjectReply } from "./durable-object.ts";
import type { LogFailure, LogReadOptions, LogRow, LogSnapshot, StreamLog } from "./stream-log.ts";

/**
 * What `DurableStreamLog` calls on a `StreamLogObject`: its stub, `env.STREAMS.getByName(id)`
 * (or `env.STREAMS.get(env.STREAMS.idFromName(id))`).
 */
export interface StreamLogObjectStub {
  open(options: StreamLogObjectOptions): Promise<StreamLogObjectReply>;
  append(seq: number, events: string, generation?: number): Promise<StreamLogObjectReply>;
  close(message: string, generation?: number): Promise<StreamLogObjectReply>;
  fail(status: "failed" | "aborted", failure: LogFailure, partial?: string, generation?: number): Promise<StreamLogObjectReply>;
  snapshot(): Promise<StreamLogObjectReply>;
  stop(reason?: string): Promise<StreamLogObjectReply>;
  stopped(listener: string): Promise<string | undefined>;
  unlisten(listener: string): Promise<StreamLogObjectReply>;
  endRead(read: string): Promise<StreamLogObjectReply>;
  fetch(input: Request | string): Promise<Response>;
}

const ERRORS: Record<string, new (message: string) => Error> = { TypeError, RangeError };

/** How many times in a row `stopped` calls the object again after the call failed. */
const LISTEN_RETRIES = 5;

/** The error a refusing reply stands for: its class (TypeError, RangeError, else Error), message and code. */
function refusal(reply: StreamLogObjectReply & { ok: false }): Error {
  return coded(new (ERRORS[reply.name] ?? Error)(reply.message), (reply.code ?? "invalid_state") as ErrorCode);
}

/** What `DurableStreamLog` takes: the object's stub, or a function that gets it (again). */
export type StreamLogObjectStubSource = StreamLogObjectStub | (() => StreamLogObjectStub);

/**
 * A `StreamLog` stored in a `StreamLogObject` (a Durable Object, one per generation): what a
 * Worker hands to `persist`, and reads or stops from any isolate. Every call is an RPC to the
 * object; `read` is a streamed fetch to it (newline-delimited rows). Viewers need no log on the
 * Worker side: `return stub.fetch(request)` answers them with the generation's SSE, from the
 * object.
 *
 * @example
 * ```ts
 * import { ChatModelStream, persist } from "chat-model-stream";
 * import { DurableStreamLog, type StreamLogObjectStub } from "chat-model-stream/cloudflare";
 *
 * // env.STREAMS.getByName(chatId): the object of this chat's generation.
 * declare const stub: StreamLogObjectStub;
 *
 * // The request that starts the answer: the model runs into the object, whoever watches.
 * // (A function that gets the stub lets the log take a new one after the object restarted.)
 * const log = new DurableStreamLog(() => stub, { retentionMs: 15 * 60_000 });
 * ctx.waitUntil(persist(ChatModelStream.from(callModel(request)), log));
 * // Every viewer (this client, a second tab, a reload with Last-Event-ID): the object answers.
 * const answer: Response = await stub.fetch(request);
 * // Stop, from any isolate that has the chat's id.
 * await new DurableStreamLog(stub).stop("user pressed Stop");
 * ```
 *
 * Cancellation and errors: a refusal of the object (append after the end, a seq out of order,
 * a log that does not exist) rejects with the same `TypeError` and `code` as any engine's; so do
 * the `append`, `close` and `fail` of a log that opened a generation the object then lost in a
 * restart (before its first pack), once another producer opened it again (`invalid_state`); an RPC
 * or storage failure rejects with workerd's error. `read`'s signal errors the stream with its
 * reason and cancels the fetch, which releases the object's reader; a read of a log that does not
 * exist errors with a `TypeError` (code `not_found`). `stopped`'s signal resolves it with
 * `undefined` and tells the object to forget the listener; when the pending call fails (the object
 * restarted), it is made again up to 5 times, 0.1 to 1.6 s apart, then resolves with `undefined`.
 */
export class DurableStreamLog implements StreamLog {
  /** The stub calls go through; replaced by a new one from `#source` after a call failed. */
  #current: StreamLogObjectStub;
  readonly #source: (() => StreamLogObjectStub) | undefined;
  readonly #options: StreamLogObjectOptions;
  /**
   * The generation this log opened (its start, which the object's `open` answers): its appends
   * and its end are refused by a generation opened again under the same id after the object lost
   * this one in a restart. Undefined for a log that did not open (it writes to whatever runs).
   */
  #generation: number | undefined;

  /**
   * `stub` is the object's stub, or better a function that gets it, `() => env.STREAMS.getByName(id)`:
   * workerd breaks a stub for good when its object restarts (a deploy, an eviction), and the log
   * then takes a new one for the next call. `options` are the generation's timers, sent with `open`.
   */
  constructor(stub: StreamLogObjectStubSource, options: StreamLogObjectOptions = {}) {
    this.#source = typeof stub === "function" ? stub : undefined;
    this.#current = typeof stub === "function" ? stub() : stub;
    this.#options = options;
  }

  get #stub(): StreamLogObjectStub {
    return this.#current;
  }

  /** Runs a call of the stub; a failed one (not a refusal) makes the next call take a new stub. */
  async #call(call: (stub: StreamLogObjectStub) => Promise<StreamLogObjectReply>): Promise<string | undefined> {
    const stub = this.#current;
    let reply: StreamLogObjectReply;
    try {
      reply = await call(stub);
    } catch (error) {
      this.#renew(stub);
      throw error;
    }
    if (!reply.ok) throw refusal(reply);
    return reply.value;
  }

  /** After `stub` failed: a new stub, when the log can get one and has not yet. */
  #renew(stub: StreamLogObjectStub): void {
    if (this.#source !== undefined && this.#current === stub) this.#current = this.#source();
  }

  async open(): Promise<void> {
    const generation = await this.#call((stub) => stub.open(this.#options));
    this.#generation = generation === undefined ? undefined : Number(generation);
  }

  async append(row: LogRow): Promise<void> {
    const events = JSON.stringify(row.events);
    await this.#call((stub) => stub.append(row.seq, events, this.#generation));
  }

  async close(message: AIMessage): Promise<void> {
    const json = JSON.stringify(message);
    await this.#call((stub) => stub.close(json, this.#generation));
  }

  async fail(status: "failed" | "aborted", failure: LogFailure, partial: AIMessage | undefined): Promise<void> {
    const plain: LogFailure = failure.code === undefined ? { message: failure.message } : { message: failure.message, code: failure.code };
    const json = partial === undefined ? undefined : JSON.stringify(partial);
    await this.#call((stub) => stub.fail(status, plain, json, this.#generation));
  }

  async snapshot(): Promise<LogSnapshot | undefined> {
    const json = await this.#call((stub) => stub.snapshot());
    return json === undefined ? undefined : (JSON.parse(json) as LogSnapshot);
  }

  async stop(reason?: string): Promise<void> {
    await this.#call((stub) => (reason === undefined ? stub.stop() : stub.stop(reason)));
  }

  stopped(signal: AbortSignal): Promise<string | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    const listener = crypto.randomUUID();
    return new Promise((resolve) => {
      const onAbort = (): void => {
        resolve(undefined);
        this.#stub.unlisten(listener).catch(() => {});
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const settle = (reason: string | undefined): void => {
        signal.removeEventListener("abort", onAbort);
        resolve(reason);
      };
      // The call is pending for the whole generation; an object that restarts (a deploy, an
      // eviction) drops it, so it is made again, a few times, while the producer still listens.
      const listen = (failures: number): void => {
        const stub = this.#current;
        stub.stopped(listener).then(settle, () => {
          this.#renew(stub);
          if (signal.aborted) return;
          if (failures >= LISTEN_RETRIES) {
            settle(undefined);
            return;
          }
          // Not again once the producer stopped listening while the retry waited: that call would
          // stay pending in the object, for nobody, until the generation ends.
          setTimeout(() => {
            if (!signal.aborted) listen(failures + 1);
          }, 100 * 2 ** failures);
        });
      };
      listen(0);
    });
  }

  read(after: number, options: LogReadOptions = {}): ReadableStream<LogRow> {
    const { signal } = options;
    const url = `https://stream-log/rows?after=${encodeURIComponent(String(after))}${options.live === true ? "&live=1" : ""}`;
    const id = crypto.randomUUID();
    let lines: ReadableStreamDefaultReader<Uint8Array> | undefined;
    /** A read of `lines` is pending: ending it is asked of the object (see `endRead`), not done by a cancel. */
    let reading = false;
    const decoder = new TextDecoder();
    let buffer = "";
    let onAbort: (() => void) | undefined;
    /** Set once cancelled or aborted: a fetch that answers after that is cancelled at once. */
    let released: { reason: unknown } | undefined;
    const release = (reason: unknown): void => {
      released = { reason };
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
      const body = lines;
      if (body === undefined) return;
      if (!reading) body.cancel(reason).catch(() => {});
      else this.#stub.endRead(id).catch(() => body.cancel(reason).catch(() => {}));
    };
    return new ReadableStream<LogRow>(
      {
        // Synchronous: workerd may pull before an async start settles. The fetch is made at the first pull.
        start: (controller) => {
          if (signal?.aborted === true) {
            released = { reason: signal.reason };
            controller.error(signal.reason);
          } else if (signal !== undefined) {
            onAbort = () => {
              controller.error(signal.reason);
              release(signal.reason);
            };
            signal.addEventListener("abort", onAbort, { once: true });
          }
        },
        // pull never rejects: workerd reports a rejected pull as unhandled, even on a stream that
        // errored already (the abort above, then the cancelled body's read rejecting).
        pull: async (controller) => {
          try {
            lines ??= await this.#open(url, id);
            if (released !== undefined) {
              release(released.reason);
              return;
            }
            for (;;) {
              let end = buffer.indexOf("\n");
              if (end >= 0) {
                let start = 0;
                do {
                  controller.enqueue(JSON.parse(buffer.slice(start, end)) as LogRow);
                  start = end + 1;
                  end = buffer.indexOf("\n", start);
                } while (end >= 0);
                buffer = buffer.slice(start);
                return;
              }
              reading = true;
              const { done, value: bytes } = await lines.read().finally(() => (reading = false));
              if (released !== undefined) return;
              if (done) {
                if (buffer !== "") throw new Error("StreamLogObject's rows ended in the middle of a row");
                if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
                controller.close();
                return;
              }
              buffer += decoder.decode(bytes, { stream: true });
            }
          } catch (error) {
            if (released !== undefined) return;
            release(error);
            controller.error(error);
          }
        },
        cancel: (reason) => release(reason),
      },
      { highWaterMark: 0 },
    );
  }

  /** The object's rows after `url`'s offset, as NDJSON bytes. */
  async #open(url: string, id: string): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const stub = this.#current;
    let response: Response;
    try {
      response = await stub.fetch(new Request(url, { headers: { "x-stream-log": "rows", "x-stream-log-read": id } }));
    } catch (error) {
      this.#renew(stub);
      throw error;
    }
    if (response.status === 404) {
      await response.body?.cancel();
      throw coded(new TypeError("No stored generation here: it was never opened, or it was deleted"), "not_found");
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new Error(`StreamLogObject answered ${response.status} to a read`);
    }
    return response.body.getReader();
  }
}
