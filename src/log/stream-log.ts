/**
 * The `StreamLog` contract: one generation's protocol events, stored so that it outlives the
 * connection and the isolate that produced it. One contract, several engines: `MemoryLog` (one
 * process), the Durable Object engine (Workers) and the Redis engine (Node, Deno, Bun servers).
 *
 * A log is append-only and ordered. The producer (`persist`) appends *rows*: each row holds many
 * events, already coalesced (a run of text deltas is one delta), so a 1,000-delta answer is a
 * handful of rows, not a thousand. Rows are numbered from 1 by `seq`, strictly increasing, with no
 * gap. Readers ask for the rows strictly after a `seq` they already hold.
 *
 * The events are exactly what `toResponse(stream, { format: "sse" })` would send, the terminal
 * `message-finish` or `error` event included, so a replay reads as an ordinary SSE response.
 * Engines store them as they are given (JSON) and give them back equal; they do not interpret them.
 *
 * Every engine runs the same suite: `describeStreamLogContract(engine, makeLog)` in
 * test/log-contract.ts (two `makeLog(id)` calls must reach one generation).
 *
 * Refined (after the first commit, backwards-compatible, checked by the contract suite):
 * - `close` / `fail` of an ended log reject like `append` (`TypeError`, code `invalid_state`) and
 *   keep the first end; `append` / `close` / `fail` of a log that does not exist reject with code
 *   `not_found`.
 * - `stop()` without a reason stops with a non-empty string (engines say `"Stopped"`), so
 *   `stopped` resolves with a string for a stop and with `undefined` only for its signal.
 * - A stop asked while the generation runs but before the producer calls `stopped` is kept:
 *   `stopped` then resolves with it at once. Every `stopped` listener of the generation hears it.
 *
 * @module
 */
import type { AIMessage, ProtocolEvent } from "../protocol.ts";

/** Where a generation stands. */
export type LogStatus = "running" | "finished" | "failed" | "aborted";

/** One stored row: a run of events, appended at once. */
export interface LogRow {
  /** The row's number: 1 for the first row, then one more for each row, with no gap. */
  readonly seq: number;
  /** The row's events, in order; never empty. */
  readonly events: readonly ProtocolEvent[];
}

/** Why a generation ended without finishing: the closing `error` event's fields. */
export interface LogFailure {
  readonly message: string;
  readonly code?: string;
}

/** What a log knows about its generation right now; reading it never waits for the producer. */
export interface LogSnapshot {
  readonly status: LogStatus;
  /** The `seq` of the last row appended; 0 before the first. */
  readonly seq: number;
  /** The final message (`finished`) or the partial one (`failed`, `aborted`), once ended. */
  readonly message?: AIMessage;
  /** Why it failed or was stopped. */
  readonly failure?: LogFailure;
  /** When the generation started and, once it ended, when it ended (ms since the epoch). */
  readonly startedAt: number;
  readonly endedAt?: number;
}

/** Options of `StreamLog.read`. */
export interface LogReadOptions {
  /**
   * Keep the stream open after the last stored row and give each new row as it is appended, until
   * the generation ends; otherwise close after the rows stored now.
   * @default false
   */
  readonly live?: boolean;
  /** Cancels the read: the stream errors with the signal's reason and stops holding the log. */
  readonly signal?: AbortSignal;
}

/**
 * One generation's log. Exactly one producer appends; any number of readers read, before, while
 * and after it is written.
 *
 * Cancellation and errors: every method rejects (and `read`'s stream errors) with the engine's
 * error when its storage fails; `append` after `close`/`fail` rejects with a `TypeError`
 * (code `invalid_state`); a `seq` that is not the next one rejects with a `TypeError` (code
 * `bad_option`). A cancelled read releases whatever the engine held for it.
 */
export interface StreamLog {
  /** Creates the log, status `running`. Rejects if it already exists (another producer has it). */
  open(): Promise<void>;
  /** Appends one row; `row.seq` must be the snapshot's `seq` + 1. */
  append(row: LogRow): Promise<void>;
  /** Ends the generation as `finished` with its final message. */
  close(message: AIMessage): Promise<void>;
  /** Ends the generation as `failed` or `aborted` (stopped), with the partial message. */
  fail(status: "failed" | "aborted", failure: LogFailure, partial: AIMessage | undefined): Promise<void>;
  /** Where the generation stands; `undefined` for a log that was never opened or was deleted. */
  snapshot(): Promise<LogSnapshot | undefined>;
  /**
   * The rows with `seq` > `after`, in order. With `live`, then each new row as it is appended; the
   * stream closes once the generation has ended and every row was given. A log that does not exist
   * gives a stream that errors with a `TypeError` (code `not_found`).
   */
  read(after: number, options?: LogReadOptions): ReadableStream<LogRow>;
  /** Asks the producer, wherever it runs, to stop; a no-op once the generation ended. */
  stop(reason?: string): Promise<void>;
  /**
   * For the producer: resolves with the reason once `stop` was called (by any instance), or with
   * `undefined` once `signal` aborts (the producer finished and no longer listens).
   */
  stopped(signal: AbortSignal): Promise<string | undefined>;
}
