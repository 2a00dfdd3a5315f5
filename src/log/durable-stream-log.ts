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
  append(seq: number, events: string): Promise<StreamLogObjectReply>;
  close(message: string): Promise<StreamLogObjectReply>;
  fail(status: "failed" | "aborted", failure: LogFailure, partial?: string): Promise<StreamLogObjectReply>;
  snapshot(): Promise<StreamLogObjectReply>;
  stop(reason?: string): Promise<StreamLogObjectReply>;
  stopped(listener: string): Promise<string | undefined>;
  unlisten(listener: string): Promise<StreamLogObjectReply>;
  endRead(read: string): Promise<StreamLogObjectReply>;
  fetch(input: Request | string): Promise<Response>;
}

const ERRORS: Record<string, new (message: string) => Error> = { TypeError, RangeError };

/** The error a refusing reply stands for: its class (TypeError, RangeError, else Error), message and code. */
function refusal(reply: StreamLogObjectReply & { ok: false }): Error {
  return coded(new (ERRORS[reply.name] ?? Error)(reply.message), (reply.code ?? "invalid_state") as ErrorCode);
}

async function value(pending: Promise<StreamLogObjectReply>): Promise<string | undefined> {
  const reply = await pending;
  if (!reply.ok) throw refusal(reply);
  return reply.value;
}

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
 * const log = new DurableStreamLog(stub, { retentionMs: 15 * 60_000 });
 * ctx.waitUntil(persist(ChatModelStream.from(callModel(request)), log));
 * // Every viewer (this client, a second tab, a reload with Last-Event-ID): the object answers.
 * const answer: Response = await stub.fetch(request);
 * // Stop, from any isolate that has the chat's id.
 * await new DurableStreamLog(stub).stop("user pressed Stop");
 * ```
 *
 * Cancellation and errors: a refusal of the object (append after the end, a seq out of order,
 * a log that does not exist) rejects with the same `TypeError` and `code` as any engine's; an RPC
 * or storage failure rejects with workerd's error. `read`'s signal errors the stream with its
 * reason and cancels the fetch, which releases the object's reader; a read of a log that does not
 * exist errors with a `TypeError` (code `not_found`). `stopped`'s signal resolves it with
 * `undefined` and tells the object to forget the listener.
 */
export class DurableStreamLog implements StreamLog {
  readonly #stub: StreamLogObjectStub;
  readonly #options: StreamLogObjectOptions;

  /** `options` are the generation's timers, sent with `open`. */
  constructor(stub: StreamLogObjectStub, options: StreamLogObjectOptions = {}) {
    this.#stub = stub;
    this.#options = options;
  }

  async open(): Promise<void> {
    await value(this.#stub.open(this.#options));
  }

  async append(row: LogRow): Promise<void> {
    await value(this.#stub.append(row.seq, JSON.stringify(row.events)));
  }

  async close(message: AIMessage): Promise<void> {
    await value(this.#stub.close(JSON.stringify(message)));
  }

  async fail(status: "failed" | "aborted", failure: LogFailure, partial: AIMessage | undefined): Promise<void> {
    const plain: LogFailure = failure.code === undefined ? { message: failure.message } : { message: failure.message, code: failure.code };
    await value(this.#stub.fail(status, plain, partial === undefined ? undefined : JSON.stringify(partial)));
  }

  async snapshot(): Promise<LogSnapshot | undefined> {
    const json = await value(this.#stub.snapshot());
    return json === undefined ? undefined : (JSON.parse(json) as LogSnapshot);
  }

  async stop(reason?: string): Promise<void> {
    await value(reason === undefined ? this.#stub.stop() : this.#stub.stop(reason));
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
      this.#stub.stopped(listener).then(
        (reason) => {
          signal.removeEventListener("abort", onAbort);
          resolve(reason);
        },
        () => {
          signal.removeEventListener("abort", onAbort);
          resolve(undefined);
        },
      );
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
    const response = await this.#stub.fetch(new Request(url, { headers: { "x-stream-log": "rows", "x-stream-log-read": id } }));
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
