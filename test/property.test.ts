// Property tests (fast-check): over generated event sequences, the stream agrees with the reference fold
// of API.md §3 (test/reference.ts), whatever way it is fed, however its readers attach and read, and
// wherever it is cancelled. The CI run is small and seeded; `npm run fuzz` runs FUZZ_RUNS cases per
// property in the node project (FUZZ_SEED replays one). A failure prints the seed and the shrunk events.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import { eventSequence, sequences } from "./arbitraries.ts";
import { promiseState, settle } from "./helpers.ts";
import { type Chunk, foldChunks, partialOf, reference, type Reference } from "./reference.ts";

// -- run settings: read from the environment where there is one (Node), else the CI defaults --------

const env: Record<string, string | undefined> =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
const FUZZ_RUNS = Number(env["FUZZ_RUNS"] ?? 0);
const RUNS = FUZZ_RUNS > 0 ? FUZZ_RUNS : 250;
const SEED = env["FUZZ_SEED"] !== undefined ? Number(env["FUZZ_SEED"]) : FUZZ_RUNS > 0 ? Date.now() % 2 ** 31 : 20260707;
const settings: fc.Parameters<unknown> = { numRuns: RUNS, seed: SEED };
const TIMEOUT = Math.max(20_000, RUNS * 20);

type Obj = Record<string, unknown>;
type Mode = "push" | "pump" | "readable" | "generator" | "array";
const projections = ["text", "reasoning", "toolCalls", "usage", "output", "events"] as const;
type Kind = (typeof projections)[number];
const awaitables = ["text", "reasoning", "toolCalls", "usage", "output"] as const;
type Awaitable = (typeof awaitables)[number];
type Settled = { value: unknown } | { error: unknown };

// -- actors ------------------------------------------------------------------------------------

/** One reader of one projection: reads one chunk per step, or to its end when drained. */
class Reader {
  readonly kind: Kind;
  readonly chunks: unknown[] = [];
  state: "open" | "closed" | "errored" = "open";
  error: unknown = undefined;
  #stream: ReadableStream<unknown>;
  #reader: ReadableStreamDefaultReader<unknown> | undefined = undefined;
  #pending: Promise<void> | undefined = undefined;

  constructor(kind: Kind, stream: ChatModelStream) {
    this.kind = kind;
    // The view is made now; it joins the stream on its first read (README, design notes).
    this.#stream = stream[kind] as ReadableStream<unknown>;
  }

  step(): void {
    if (this.state !== "open" || this.#pending !== undefined) return;
    const reader = (this.#reader ??= this.#stream.getReader());
    this.#pending = reader.read().then(
      (result) => {
        this.#pending = undefined;
        if (result.done) this.state = "closed";
        else this.chunks.push(result.value);
      },
      (error: unknown) => {
        this.#pending = undefined;
        this.state = "errored";
        this.error = error;
      },
    );
  }

  async drain(): Promise<void> {
    while (this.state === "open") {
      this.step();
      await this.#pending;
    }
  }

  /** Cancels the reader; on a stream that already failed, that rejects with its error (WHATWG). */
  cancel(): Promise<void> {
    const cancelled = this.#reader?.cancel("the reader left") ?? this.#stream.cancel("the reader left");
    return cancelled.catch(() => {});
  }
}

/** Lets a pull source hand out one event per producer step; once released, without waiting. */
class Gate {
  #credits = 0;
  #waiters: (() => void)[] = [];
  #open = false;

  wait(): Promise<void> | undefined {
    if (this.#open) return undefined;
    if (this.#credits > 0) {
      this.#credits--;
      return undefined;
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  step(): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter();
    else this.#credits++;
  }

  release(): void {
    this.#open = true;
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** A stream fed `events` the given way; `step` lets the producer hand out one more event. */
function feedBy(mode: Mode, events: readonly Obj[], taken: number, highWaterMark: number): {
  stream: ChatModelStream;
  step(): void;
  release(): void;
} {
  const gate = new Gate();
  const options = { highWaterMark };
  let i = 0;
  switch (mode) {
    case "array":
      return { stream: ChatModelStream.from(events as never[], options), step() {}, release() {} };
    case "readable": {
      const readable = new ReadableStream<never>(
        {
          async pull(controller) {
            await gate.wait();
            if (i < events.length) controller.enqueue(events[i++] as never);
            else controller.close();
          },
        },
        { highWaterMark: 0 },
      );
      return { stream: ChatModelStream.from(readable, options), step: () => gate.step(), release: () => gate.release() };
    }
    case "generator": {
      async function* generate(): AsyncGenerator<never> {
        for (const event of events) {
          await gate.wait();
          yield event as never;
        }
      }
      return { stream: ChatModelStream.from(generate(), options), step: () => gate.step(), release: () => gate.release() };
    }
    case "pump": {
      const stream = new ChatModelStream(options);
      stream.setRequestMore(async () => {
        await gate.wait();
        if (i >= taken) return false;
        stream.dispatch(events[i++] as never);
        return undefined;
      });
      return { stream, step: () => gate.step(), release: () => gate.release() };
    }
    case "push": {
      // dispatch() after the end throws, so a push producer stops at the finish or error.
      const stream = new ChatModelStream(options);
      const next = (): void => {
        if (i < taken) stream.dispatch(events[i++] as never);
        else if (i++ === taken) stream.close();
      };
      return {
        stream,
        step: next,
        release() {
          while (i <= taken) next();
        },
      };
    }
  }
}

/** Awaits now: `then` is called at once, so the stream counts the await as pending from here on. */
function settleAs(thenable: PromiseLike<unknown>): Promise<Settled> {
  return (thenable as Promise<unknown>).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Resolves true if `work` is still pending once every microtask ran: nothing left could finish it. */
async function stuck(work: Promise<unknown>): Promise<boolean> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return !done;
}

// -- comparing with the reference ------------------------------------------------------------------

/** What a reader read, reduced to what API.md promises about it. */
function readerView(r: Reader, ref: Reference): unknown {
  switch (r.kind) {
    case "text":
    case "reasoning":
      return { text: (r.chunks as string[]).join(""), emptyChunks: r.chunks.filter((c) => c === "").length };
    case "toolCalls":
      return foldChunks(r.chunks as Chunk[]);
    case "usage": {
      // A late reader starts with the latest snapshot so far: it reads a suffix of all snapshots.
      const all = ref.usageSnapshots;
      const suffix = r.chunks.length <= all.length && (all.length === 0 || r.chunks.length > 0);
      return suffix ? all.slice(all.length - r.chunks.length) : { notASuffix: r.chunks };
    }
    case "output":
      return r.chunks;
    case "events":
      // A late reader gets a replay; either way, what it read folds to the same message (cut short,
      // with its open blocks finished, when the reader ended in an error).
      return reference(r.chunks, { cutShort: r.state === "errored" }).output;
  }
}

function expectedView(kind: Kind, ref: Reference, read: number): unknown {
  switch (kind) {
    case "text":
      return { text: ref.textDeltas.join(""), emptyChunks: 0 };
    case "reasoning":
      return { text: ref.reasoningDeltas.join(""), emptyChunks: 0 };
    case "toolCalls":
      return foldChunks(ref.toolChunks);
    case "usage":
      return ref.usageSnapshots.slice(ref.usageSnapshots.length - read);
    case "output":
      return ref.outcome === "finished" ? [ref.output] : [];
    case "events":
      return ref.output;
  }
}

function expectedFinal(kind: Awaitable, ref: Reference): unknown {
  return { text: ref.text, reasoning: ref.reasoning, toolCalls: ref.toolCalls, usage: ref.usage, output: ref.output }[kind];
}

const errorView = (error: unknown): unknown => {
  const e = error as Error & { code?: string; partial?: unknown };
  return { name: e?.name, message: e?.message, ...(typeof e?.code === "string" ? { code: e.code } : {}) };
};

// -- plans -----------------------------------------------------------------------------------------

const mode = fc.constantFrom<Mode>("push", "pump", "readable", "generator", "array");

const readingPlan = fc.record({
  mode,
  highWaterMark: fc.nat(32),
  readers: fc.array(fc.constantFrom(...projections), { maxLength: 5 }),
  awaits: fc.array(fc.tuple(fc.constantFrom(...awaitables), fc.nat(60)), { maxLength: 3 }),
  // Who moves at each step (0: the producer; i: reader i), and how many microtasks then pass.
  steps: fc.array(fc.tuple(fc.nat(6), fc.nat(3)), { maxLength: 60 }),
});

describe("any event sequence (property)", () => {
  it(
    "awaiting each projection gives the reference fold, whatever way the stream is fed",
    async () => {
      await fc.assert(
        fc.asyncProperty(eventSequence, mode, fc.nat(32), async (events, how, highWaterMark) => {
          const ref = reference(events);
          const { stream, release } = feedBy(how, events, ref.taken, highWaterMark);
          release();
          const finals = await Promise.all(awaitables.map((kind) => settleAs(stream[kind])));
          if (ref.outcome === "finished") {
            expect(finals).toEqual(awaitables.map((kind) => ({ value: expectedFinal(kind, ref) })));
          } else {
            const error = (finals[0] as { error?: unknown }).error;
            expect({ sameError: finals.every((f) => "error" in f && f.error === error), error: errorView(error) }).toEqual({
              sameError: true,
              error: { name: "Error", ...ref.error },
            });
          }
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    "an error event fails every await with an error whose partial is the reference fold so far",
    async () => {
      const failing = eventSequence.filter((events) => events.some((e) => e["event"] === "error"));
      await fc.assert(
        fc.asyncProperty(failing, mode, async (events, how) => {
          const ref = reference(events);
          const { stream, release } = feedBy(how, events, ref.taken, 16);
          release();
          const error = (await settleAs(stream.output)) as { error?: { partial?: unknown } };
          expect(error.error?.partial).toEqual(ref.output);
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    "every reader reads what a reader from the start reads, wherever it attached and however fast it read",
    async () => {
      await fc.assert(
        fc.asyncProperty(eventSequence, readingPlan, async (events, plan) => {
          const ref = reference(events);
          const { stream, step, release } = feedBy(plan.mode, events, ref.taken, plan.highWaterMark);
          const readers = plan.readers.map((kind) => new Reader(kind, stream));
          const finals: [Awaitable, Promise<Settled>][] = [];
          for (const [at, [who, pause]] of plan.steps.entries()) {
            for (const [kind, when] of plan.awaits) if (when === at) finals.push([kind, settleAs(stream[kind])]);
            const actor = who % (readers.length + 1);
            if (actor === 0) step();
            else readers[actor - 1]!.step();
            for (let i = 0; i < pause; i++) await null;
          }
          // Stalled readers resume; the producer runs free; late awaits join.
          release();
          const drained = Promise.all(readers.map((r) => r.drain()));
          expect(await stuck(drained)).toBe(false);
          for (const kind of awaitables) finals.push([kind, settleAs(stream[kind])]);
          const settled = await Promise.all(finals.map(([, p]) => p));

          const failed = ref.outcome === "failed";
          const error = failed ? (settled[0] as { error?: unknown }).error : undefined;
          const observed = {
            awaits: settled.map((s) => ("value" in s ? s : { error: s.error === error ? "the error" : errorView(s.error) })),
            readers: readers.map((r) => ({
              kind: r.kind,
              state: r.state,
              ...(r.state === "errored" ? { error: r.error === error ? "the error" : errorView(r.error) } : {}),
              read: readerView(r, ref),
            })),
          };
          const expected = {
            awaits: finals.map(([kind]) => (failed ? { error: "the error" } : { value: expectedFinal(kind, ref) })),
            readers: readers.map((r) => ({
              kind: r.kind,
              state: failed ? "errored" : "closed",
              ...(failed ? { error: "the error" } : {}),
              read: expectedView(r.kind, ref, r.chunks.length),
            })),
          };
          expect(observed).toEqual(expected);
        }),
        settings,
      );
    },
    TIMEOUT,
  );
});

// -- cancellation ---------------------------------------------------------------------------------

type Trigger = "reader cancel" | "aclose" | "signal" | "pump rejection" | "source error" | "error event";

const cancelPlan = fc.record({
  mode: fc.constantFrom<Exclude<Mode, "array">>("push", "pump", "readable", "generator"),
  trigger: fc.constantFrom<Trigger>("reader cancel", "aclose", "signal", "pump rejection", "source error", "error event"),
  at: fc.nat(),
  highWaterMark: fc.nat(32),
  readers: fc.array(fc.constantFrom(...projections), { maxLength: 3 }),
  awaitsBefore: fc.subarray([...awaitables]),
  syncPump: fc.boolean(),
});

describe("cancellation at any point (property)", () => {
  it(
    "cancels the source once or lets it finish, settles every await, and puts the fold so far on the error",
    async () => {
      await fc.assert(
        fc.asyncProperty(eventSequence, cancelPlan, async (generated, plan) => {
          let events = generated;
          let trigger = plan.trigger;
          // Triggers that only exist for one kind of source pick that source.
          let how = plan.mode;
          if (trigger === "pump rejection") how = "pump";
          if (trigger === "source error" && (how === "push" || how === "pump")) how = "readable";
          const k = plan.at % (events.length + 1); // the trigger fires when event k is due
          if (trigger === "error event") events = [...events.slice(0, k), { event: "error", message: "cut" }, ...events.slice(k)];
          const n = events.length;
          const ref = reference(events);
          const terminalAt = events.slice(0, ref.taken).some((e) => e["event"] === "message-finish" || e["event"] === "error")
            ? ref.taken - 1
            : n;

          const boom = new Error("the source broke");
          const controller = new AbortController();
          let fired = trigger === "error event";
          let cancels = 0;
          let ended = false; // the source handed out its last event and ended
          let stream!: ChatModelStream;
          const readers: Reader[] = [];
          const fire = (): void => {
            fired = true;
            if (trigger === "aclose") void stream.aclose("stop");
            else if (trigger === "signal") controller.abort("stop");
            else if (trigger === "reader cancel") for (const r of readers) void r.cancel();
          };
          const options = { highWaterMark: plan.highWaterMark, ...(trigger === "signal" ? { signal: controller.signal } : {}) };
          let i = 0;
          let push: (() => Promise<void>) | undefined;
          if (how === "readable") {
            const readable = new ReadableStream<never>(
              {
                pull(c) {
                  if (i === k && !fired) {
                    if (trigger === "source error") {
                      fired = true;
                      c.error(boom);
                      return;
                    }
                    fire();
                    if (cancels > 0) return;
                  }
                  if (i < n) c.enqueue(events[i++] as never);
                  else {
                    ended = true;
                    c.close();
                  }
                },
                cancel() {
                  cancels++;
                },
              },
              { highWaterMark: 0 },
            );
            stream = ChatModelStream.from(readable, options);
          } else if (how === "generator") {
            async function* generate(): AsyncGenerator<never> {
              let stopped = false;
              try {
                for (; i <= n; i++) {
                  if (i === k && !fired) {
                    if (trigger === "source error") {
                      fired = true;
                      stopped = true;
                      throw boom;
                    }
                    fire();
                  }
                  if (i < n) yield events[i] as never;
                }
                stopped = ended = true;
              } finally {
                if (!stopped) cancels++;
              }
            }
            stream = ChatModelStream.from(generate(), options);
          } else if (how === "pump") {
            stream = new ChatModelStream(options);
            const pump = (): boolean | undefined => {
              if (i === k && !fired) {
                if (trigger === "pump rejection") {
                  fired = true;
                  throw boom;
                }
                fire();
              }
              if (stream.signal.aborted) return undefined;
              if (i >= ref.taken) return false;
              stream.dispatch(events[i++] as never);
              return undefined;
            };
            stream.setRequestMore(plan.syncPump ? pump : () => Promise.resolve().then(pump));
          } else {
            stream = new ChatModelStream(options);
            // A push producer that waits for `ready`, as a well-behaved one does.
            push = async () => {
              for (; i <= ref.taken; i++) {
                await stream.ready;
                if (i === k && !fired) fire();
                if (stream.signal.aborted) return;
                if (i < ref.taken) stream.dispatch(events[i] as never);
                else if (terminalAt === n) stream.close();
              }
              if (!fired) fire(); // after the end
            };
          }

          for (const kind of plan.readers) readers.push(new Reader(kind, stream));
          if (readers.length === 0 && plan.awaitsBefore.length === 0) readers.push(new Reader("text", stream));
          const before = plan.awaitsBefore.map((kind) => settleAs(stream[kind]));
          const raw = plan.awaitsBefore.map((kind) => stream[kind]);
          const work = Promise.all([...readers.map((r) => r.drain()), ...before, push?.()]);
          expect(await stuck(work)).toBe(false);
          const after = awaitables.map((kind) => stream[kind]);
          const pending = (await Promise.all([...raw, ...after].map((p) => promiseState(p)))).filter((s) => s === "pending");
          const finals = await Promise.all(after.map(settleAs));

          // What should have happened.
          const early = fired && k <= terminalAt && trigger !== "error event";
          const aborted =
            early &&
            (trigger === "aclose" ||
              trigger === "signal" ||
              (trigger === "reader cancel" && plan.awaitsBefore.length === 0 && readers.length > 0));
          const broke = early && (trigger === "source error" || trigger === "pump rejection");
          const failed = aborted || broke || ref.outcome === "failed";
          const sourceOpen = how === "readable" || how === "generator";
          // A failure cancels a source still open; one that ended, errored or threw is not cancelled.
          const cancelled = aborted || (!broke && ref.outcome === "failed" && ref.taken > 0);
          // aclose() after the finish cancels the rest of a source still open (API.md §5, revision 2).
          const closedAfterEnd = fired && !early && trigger === "aclose";

          const error = (finals[0] as { error?: unknown }).error;
          const observed = {
            pending,
            ...(sourceOpen ? { source: cancels > 1 ? `cancelled ${cancels} times` : cancels === 1 ? "cancelled" : ended ? "ended" : "open" } : {}),
            aborted: stream.signal.aborted,
            awaits: failed
              ? { sameError: finals.every((f) => "error" in f && f.error === error), error: errorView(error) }
              : finals,
            // A reader that cancelled is closed, whatever happened to the stream after.
            readers: readers.map((r) =>
              trigger === "reader cancel" && fired && r.state === "closed"
                ? "left"
                : r.state + (r.state === "errored" && r.error !== error ? ": another error" : ""),
            ),
            partial: aborted || (ref.outcome === "failed" && ref.taken > 0 && !broke) ? (error as { partial?: unknown }).partial : "n/a",
          };
          const expected = {
            pending: [],
            // A generator told to stop while it runs its last step ends instead: that is fine too.
            ...(sourceOpen
              ? {
                  source: cancelled
                    ? k === n
                      ? expect.stringMatching(/^(cancelled|ended)$/)
                      : "cancelled"
                    : expect.stringMatching(closedAfterEnd ? /^(ended|cancelled)$/ : /^(ended|open)$/),
                }
              : {}),
            aborted: failed,
            awaits: aborted
              ? { sameError: true, error: { name: "AbortError", message: expect.stringContaining("closed"), code: "aborted" } }
              : broke
                ? { sameError: true, error: errorView(boom) }
                : failed
                  ? { sameError: true, error: { name: "Error", ...ref.error } }
                  : awaitables.map((kind) => ({ value: expectedFinal(kind, ref) })),
            readers: readers.map((r) =>
              trigger === "reader cancel" && fired && r.state === "closed" ? "left" : failed ? "errored" : "closed",
            ),
            partial: aborted ? partialOf(events.slice(0, k)) : ref.outcome === "failed" && ref.taken > 0 && !broke ? ref.output : "n/a",
          };
          expect(observed).toEqual(expected);
        }),
        settings,
      );
    },
    TIMEOUT,
  );
});

describe("a late toolCalls reader after a block-delta snapshot rewrote the args (property)", () => {
  it(
    "reads what a reader from the start reads, folded per index",
    async () => {
      await fc.assert(
        fc.asyncProperty(sequences({ rewrites: true }), fc.nat(), async (events, at) => {
          const ref = reference(events);
          const stream = new ChatModelStream();
          const attachAt = at % (ref.taken + 1);
          for (const event of events.slice(0, attachAt)) stream.dispatch(event as never);
          const late = new Reader("toolCalls", stream);
          const drained = late.drain();
          for (const event of events.slice(attachAt, ref.taken)) stream.dispatch(event as never);
          stream.close();
          await drained;
          expect(foldChunks(late.chunks as Chunk[])).toEqual(foldChunks(ref.toolChunks));
        }),
        settings,
      );
    },
    TIMEOUT,
  );
});

// The smallest cases the properties found where src/ and API.md disagree, kept as plain examples.
describe("counterexamples found by the properties", () => {
  it("ready resolves when a reader starts waiting, with highWaterMark 0 (§4: resolves when consumers want more)", async () => {
    const stream = new ChatModelStream({ highWaterMark: 0 });
    const ready = stream.ready; // nothing consumes yet: desiredSize is 0
    void stream.text.getReader().read(); // now a reader waits: desiredSize is 1
    expect(await promiseState(ready)).toBe("fulfilled");
  });

  it("a reader gets the chunks queued for it before the error event (§3), with highWaterMark 2", async () => {
    const events = [
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", id: "c1", name: "f", args: '{"a"' } },
      { event: "content-block-delta", index: 0, delta: { type: "tool_call_chunk", args: ":1}" } },
      { event: "error", message: "boom" },
    ];
    const reader = new Reader("toolCalls", ChatModelStream.from(events as never[], { highWaterMark: 2 }));
    await reader.drain();
    expect(foldChunks(reader.chunks as Chunk[])).toEqual([{ type: "tool_call_chunk", index: 0, id: "c1", name: "f", args: '{"a":1}' }]);
  });

  it("a late events reader reads what folds to the same message when text arrived out of index order (§5)", async () => {
    const events = [
      { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "B" } },
      { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "A" } },
    ];
    const stream = new ChatModelStream();
    for (const event of events) stream.dispatch(event as never);
    stream.close();
    const late = new Reader("events", stream);
    await late.drain();
    expect(reference(late.chunks).output.content).toBe("BA");
  });

  it("a late toolCalls reader reads what a reader from the start reads after a rewriting snapshot (§5)", async () => {
    const snapshot = (args: string): Obj => ({
      event: "content-block-delta",
      index: 0,
      delta: { type: "block-delta", fields: { type: "tool_call_chunk", id: "c1", name: "f", args } },
    });
    const events = [snapshot('{"a":1'), snapshot('{"b":2}')]; // the second does not extend the first
    const fromStart = new ChatModelStream();
    const early = new Reader("toolCalls", fromStart);
    const drained = early.drain();
    await fromStart.ready;
    for (const event of events) fromStart.dispatch(event as never);
    fromStart.close();
    await drained;
    const late = new Reader("toolCalls", pushed(events));
    await late.drain();
    expect(foldChunks(late.chunks as Chunk[])).toEqual(foldChunks(early.chunks as Chunk[]));
  });
});

function pushed(events: readonly Obj[]): ChatModelStream {
  const stream = new ChatModelStream();
  for (const event of events) stream.dispatch(event as never);
  stream.close();
  return stream;
}
