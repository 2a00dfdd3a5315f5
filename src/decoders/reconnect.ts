/**
 * `fromResponse`'s reconnect: a source of protocol events over a series of responses, the next one
 * asked for with the last SSE id seen when a connection drops, so that its readers see one stream
 * with no gap and no duplicate.
 *
 * @module
 */
import { coded, errorCode } from "../errors.ts";
import { HTTPError } from "../http-error.ts";
import { isTerminal } from "../protocol.ts";
import type { PullSource } from "../source-loop.ts";

/** Options of `fromResponse`'s `reconnect`. */
export interface ReconnectOptions {
  /**
   * Asks the server again, for the events after `lastEventId` (`""` when no event came yet: from
   * the start). Send it as the `Last-Event-ID` header or `?offset=` (`resumeResponse` reads both).
   */
  fetch: (lastEventId: string) => Response | Promise<Response>;
  /**
   * Reconnects in a row without an event in between before giving up; an event read resets it.
   * @default 5
   */
  retries?: number | undefined;
  /**
   * The wait before the first reconnect; it doubles for each further one in a row.
   * @default 250
   */
  delayMs?: number | undefined;
  /**
   * The longest wait between two reconnects (a server's `retry-after` on a 429 / 503 counts too, up to this).
   * @default 5000
   */
  maxDelayMs?: number | undefined;
}

/** @internal What the decoder gives a reconnecting source for each connection. */
export interface Connection {
  readonly source: PullSource;
  /** The SSE id of each event the source will give, in order (`undefined`: none); emptied as read. */
  readonly ids: (string | undefined)[];
}

/** Errors of the data itself: reading it again would fail again. */
const FATAL = new Set(["bad_input", "max_line", "max_bytes", "max_events", "no_chunks", "invalid_state"]);

/** An SSE id as numbers (`7`, `3.12`), compared part by part; undefined for an id of another form. */
function idParts(id: string): [number, number] | undefined {
  const dot = id.indexOf(".");
  const head = Number(dot === -1 ? id : id.slice(0, dot));
  const tail = dot === -1 ? -1 : Number(id.slice(dot + 1));
  if (!Number.isInteger(head) || !Number.isInteger(tail) || id === "" || id.trim() !== id) return undefined;
  return [head, tail];
}

function isAfter(id: [number, number], last: [number, number]): boolean {
  return id[0] > last[0] || (id[0] === last[0] && id[1] > last[1]);
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw coded(new RangeError(`fromResponse: reconnect.${name} must be a number ≥ 0, got ${String(value)}`), "bad_option");
  }
  return value;
}

/** @internal The options, checked, with their defaults. */
export interface ReconnectSettings {
  readonly fetch: (lastEventId: string) => Response | Promise<Response>;
  readonly retries: number;
  readonly delayMs: number;
  readonly maxDelayMs: number;
}

/** @internal Checks the options now, so that a bad one throws from `fromResponse`. */
export function reconnectOptions(options: ReconnectOptions): ReconnectSettings {
  if (typeof options?.fetch !== "function") {
    throw coded(new TypeError("fromResponse: reconnect.fetch must be a function (lastEventId) => Response"), "bad_option");
  }
  return {
    fetch: options.fetch,
    retries: checkCount("retries", options.retries, 5),
    delayMs: checkCount("delayMs", options.delayMs, 250),
    maxDelayMs: checkCount("maxDelayMs", options.maxDelayMs, 5000),
  };
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * @internal The events of one connection after another. A connection that ends without a terminal
 * event, or whose body fails (a network error, a retryable HTTP status), is replaced by
 * `fetch(lastEventId)`, after a backoff; events whose id is not after the last one seen before the
 * reconnect are skipped (a server that sends some again).
 */
export class ReconnectingSource implements PullSource {
  readonly #options: ReconnectSettings;
  readonly #connect: (response: Response) => Connection;
  #connection: Connection;
  /** Events of this connection read so far, the index into its `ids`. */
  #taken = 0;
  /** The last id read, sent on a reconnect. */
  #lastId = "";
  /** After a reconnect: events not after this id were read already. Cleared at the first new one. */
  #skipThrough: [number, number] | undefined = undefined;
  /** Reconnects in a row with no event read in between. */
  #attempts = 0;
  /** An event without an SSE id was read (NDJSON, or a server that sends none): no resume can be exact. */
  #unidentified = false;
  #ended = false;
  #cancelled = false;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #wake: (() => void) | undefined = undefined;

  constructor(first: Connection, options: ReconnectSettings, connect: (response: Response) => Connection) {
    this.#connection = first;
    this.#options = options;
    this.#connect = connect;
  }

  read(): IteratorResult<unknown> | Promise<IteratorResult<unknown>> {
    if (this.#ended) return DONE;
    let result: IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
    try {
      result = this.#connection.source.read();
    } catch (error) {
      return this.#next(Promise.reject(error));
    }
    if (result instanceof Promise) return this.#next(result);
    const taken = this.#accept(result);
    return taken ?? this.#next(undefined);
  }

  cancel(reason: unknown): unknown {
    this.#cancelled = true;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#wake?.();
    return this.#connection.source.cancel(reason);
  }

  /** An event to give, or undefined when this one was skipped or the connection ended. */
  #accept(result: IteratorResult<unknown>): IteratorResult<unknown> | undefined {
    if (result.done) return undefined;
    const ids = this.#connection.ids;
    const id = ids[this.#taken++];
    if (this.#taken >= ids.length) {
      ids.length = 0;
      this.#taken = 0;
    }
    if (id !== undefined) {
      const skip = this.#skipThrough;
      if (skip !== undefined) {
        const parts = idParts(id);
        if (parts !== undefined && !isAfter(parts, skip)) return undefined;
        this.#skipThrough = undefined;
      }
      this.#lastId = id;
    } else {
      this.#unidentified = true;
    }
    this.#attempts = 0;
    if (isTerminal((result.value as { event?: unknown } | null)?.event)) this.#ended = true;
    return result;
  }

  /** Reads on (across reconnects) until an event to give, the end, or a failure. */
  async #next(pending: Promise<IteratorResult<unknown>> | undefined): Promise<IteratorResult<unknown>> {
    for (;;) {
      if (pending === undefined) {
        if (this.#cancelled) return DONE;
        // The connection ended without a terminal event, or the last event was skipped: read on,
        // or reconnect once its events are exhausted.
        pending = Promise.resolve(this.#connection.source.read());
      }
      let result: IteratorResult<unknown>;
      try {
        result = await pending;
      } catch (error) {
        if (this.#cancelled) return DONE;
        if (!retryable(error)) throw error;
        await this.#reconnect(error);
        pending = undefined;
        continue;
      }
      pending = undefined;
      if (this.#cancelled) return DONE;
      if (result.done) {
        await this.#reconnect(undefined);
        continue;
      }
      const taken = this.#accept(result);
      if (taken !== undefined) return taken;
    }
  }

  /** Waits, asks `fetch` again and reads the new response; throws once the retries are used up. */
  async #reconnect(cause: unknown): Promise<void> {
    const { retries, delayMs, maxDelayMs } = this.#options;
    if (this.#unidentified) {
      // Asking again would give events this reader has already read, with nothing to skip them by.
      throw coded(
        new TypeError("The connection dropped, and the events read had no SSE ids to resume after (reconnect needs resumeResponse's SSE)", {
          cause,
        }),
        "invalid_state",
      );
    }
    for (;;) {
      if (this.#attempts >= retries) {
        throw cause ?? new Error(`The connection ended before the message did, and ${retries} reconnects in a row brought nothing more`);
      }
      const attempt = this.#attempts++;
      let wait = Math.min(maxDelayMs, delayMs * 2 ** attempt);
      const asked = (cause as HTTPError | undefined)?.retryAfterMs;
      if (HTTPError.isInstance(cause) && asked !== undefined) wait = Math.min(maxDelayMs, Math.max(wait, asked));
      await this.#sleep(wait);
      if (this.#cancelled) return;
      quietly(() => this.#connection.source.cancel(cause));
      let response: Response;
      try {
        response = await this.#options.fetch(this.#lastId);
      } catch (error) {
        // A fetch the caller aborted (its Stop) ends the stream; a network failure is tried again.
        if (!retryable(error)) throw error;
        cause = error;
        continue;
      }
      if (this.#cancelled) {
        void response.body?.cancel().catch(() => {});
        return;
      }
      this.#connection = this.#connect(response);
      this.#taken = 0;
      this.#skipThrough = this.#lastId === "" ? undefined : idParts(this.#lastId);
      return;
    }
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        resolve();
      };
      this.#timer = setTimeout(this.#wake, ms);
    });
  }
}

/** Runs a cancel whose failure (of a body that broke already) changes nothing. */
function quietly(cancel: () => unknown): void {
  try {
    void Promise.resolve(cancel()).catch(() => {});
  } catch {
    // Same.
  }
}

/**
 * Whether reading again may help: a network failure or a retryable HTTP status, not bad data, and
 * not an abort (a fetch's signal, the user's Stop: a `DOMException` whose numeric legacy `code` is
 * not ours) or a timeout the caller set.
 */
function retryable(error: unknown): boolean {
  if (HTTPError.isInstance(error)) return error.isRetryable;
  const name = (error as { name?: unknown } | null | undefined)?.name;
  if (name === "AbortError" || name === "TimeoutError") return false;
  const code = errorCode(error);
  return code === undefined || !FATAL.has(code);
}
