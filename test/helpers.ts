// Shared helpers for the specification tests. Web-standard APIs only: these run in Node and workerd.
import { ChatModelStream } from "../src/index.ts";

/** A protocol event as `dispatch` accepts it. Fixtures are plain objects cast to it. */
export type Event = Parameters<ChatModelStream["dispatch"]>[0];
/** The assembled message, as `await stream.output` gives it. */
export type Message = Awaited<ChatModelStream["output"]>;
/** A failure as the stream reports it; bad input and aborts carry the message so far. */
export type Failure = Error & { partial?: Message };
type Options = ConstructorParameters<typeof ChatModelStream>[0];

export const messageStart: Event = { event: "message-start" };

/** A text delta for block `index`. */
export function textDelta(index: number, text: string): Event {
  return { event: "content-block-delta", index, delta: { type: "text-delta", text } };
}

/** A reasoning delta for block `index`. */
export function reasoningDelta(index: number, reasoning: string): Event {
  return { event: "content-block-delta", index, delta: { type: "reasoning-delta", reasoning } };
}
export const messageFinish: Event = { event: "message-finish" };

/** An empty text block's start at `index`. */
export function textStart(index: number): Event {
  return { event: "content-block-start", index, content: { type: "text", text: "" } };
}

/** One text block (index 0) fed with these deltas; the block never finishes, so content is a bare string. */
export function textMessage(...deltas: string[]): Event[] {
  return [
    messageStart,
    { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
    ...deltas.map((text): Event => ({ event: "content-block-delta", index: 0, delta: { type: "text-delta", text } })),
    messageFinish,
  ];
}

// -- the scenarios many spec files share ------------------------------------------------------------

/** The smallest message with two deltas: "Hel", then "lo". */
export const hello: readonly Event[] = textMessage("Hel", "lo");
/** The twenty deltas of `long`: more than the default read-ahead, so a reader can lag. */
export const longDeltas: readonly string[] = Array.from({ length: 20 }, (_, i) => `d${i}.`);
/** A message of twenty text deltas. */
export const long: readonly Event[] = textMessage(...longDeltas);

/** Dispatches each value in order (bad input included) into `stream`, without closing it. */
export function feed(stream: ChatModelStream, events: readonly unknown[]): ChatModelStream {
  for (const event of events) stream.dispatch(event as Event);
  return stream;
}

/**
 * A push-fed stream: every event dispatched, then `close()`d. Readers attached afterwards are late
 * readers (API.md §5): they get a compacted catch-up, so assert on what they read joined, not on
 * chunk boundaries.
 */
export function pushAll(events: readonly unknown[], options?: Options): ChatModelStream {
  const stream = feed(new ChatModelStream(options), events);
  stream.close();
  return stream;
}

/**
 * A pull-fed stream read one event at a time, only while a consumer waits (`highWaterMark: 0`),
 * so a reader attached before the first read keeps up and gets each delta as its own chunk
 * (API.md §5 "Chunks"). Use it to assert on chunk boundaries.
 */
export function pulled(events: readonly unknown[], options?: Options): ChatModelStream {
  return ChatModelStream.from(eventSource(events), { ...options, highWaterMark: 0 });
}

/** The events as an async generator. */
export async function* eventSource(events: readonly unknown[]): AsyncGenerator<Event, void, undefined> {
  for (const event of events) yield event as Event;
}

/** The events as a closed ReadableStream. */
export function readableOf(events: readonly unknown[]): ReadableStream<Event> {
  return new ReadableStream<Event>({
    start(controller) {
      for (const event of events) controller.enqueue(event as Event);
      controller.close();
    },
  });
}

/** Every chunk until the stream closes; rejects if it errors. */
export async function readAll<T>(readable: ReadableStream<T>): Promise<T[]> {
  const reader = readable.getReader();
  const chunks: T[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

/** The chunks read before the stream errored, and the error (`undefined` if it closed normally). */
export function readUntilError<T>(readable: ReadableStream<T>): Promise<{ chunks: T[]; error: unknown }> {
  return readOn(readable.getReader());
}

/** Reads on with a reader already taken until the end: the chunks, and the error if the stream failed. */
export async function readOn<T>(reader: ReadableStreamDefaultReader<T>): Promise<{ chunks: T[]; error: unknown }> {
  const chunks: T[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { chunks, error: undefined };
      chunks.push(value);
    }
  } catch (error) {
    return { chunks, error };
  }
}

/** The rejection reason of a thenable; throws if it fulfils instead. */
export async function failure(thenable: PromiseLike<unknown>): Promise<Failure> {
  try {
    await thenable;
  } catch (error) {
    return error as Failure;
  }
  throw new Error("expected a rejection, but it fulfilled");
}

/**
 * Resolves after one macrotask turn, by which time every pending microtask (and so every chain of
 * stream reads that needs no outside input) has run. Use it to show that something did NOT happen
 * or has finished happening, never to wait for a condition.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Whether a thenable has settled once pending work ran (see `settle`). Handles the rejection. */
export async function promiseState(thenable: PromiseLike<unknown>): Promise<"pending" | "fulfilled" | "rejected"> {
  let state: "pending" | "fulfilled" | "rejected" = "pending";
  // `then` is called now, not in a later job, so an await made here counts as pending at once.
  thenable.then(
    () => (state = "fulfilled"),
    () => (state = "rejected"),
  );
  await settle();
  return state;
}

/** A scripted model: a ReadableStream source that counts what its consumer takes and can be held. */
export interface ScriptedSource {
  readonly readable: ReadableStream<Event>;
  /** Events handed out so far. */
  readonly pulled: number;
  /** Calls of the underlying `cancel`. */
  readonly cancels: number;
  /** Resolves when a read reaches `holdAt`. */
  readonly held: Promise<void>;
  /** Lets the source go past `holdAt`. */
  release(): void;
}

export interface Script {
  /** The read of this event (or of the end) waits for `release()`. */
  holdAt?: number;
  /** What the held read does once released: go on, or throw (a connection reset). */
  afterHold?: "pass" | "throw";
  /** After the events: close, or never answer again (a model gone quiet, a connection left open). */
  end?: "close" | "hang";
  /** Each read waits this long first (fake timers advance it). */
  gapMs?: number;
}

/**
 * The events as a ReadableStream that hands out one event per read and reads nothing ahead
 * (`highWaterMark: 0`), so `pulled` is what the consumer asked for; see `Script` for holds, gaps
 * and how it ends. The one scripted source of the spec tests.
 */
export function scriptedSource(events: readonly unknown[], script: Script = {}): ScriptedSource {
  const { holdAt = Infinity, afterHold = "pass", end = "close", gapMs = 0 } = script;
  let pulled = 0;
  let cancels = 0;
  let reached!: () => void;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const readable = new ReadableStream<Event>(
    {
      async pull(controller) {
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        if (pulled === holdAt) {
          reached();
          await released;
          if (afterHold === "throw") throw new Error("the connection reset");
        }
        if (pulled < events.length) controller.enqueue(events[pulled++] as Event);
        else if (end === "close") controller.close();
        else await new Promise<void>(() => {});
      },
      cancel() {
        cancels++;
      },
    },
    { highWaterMark: 0 },
  );
  return {
    readable,
    get pulled() {
      return pulled;
    },
    get cancels() {
      return cancels;
    },
    held,
    release,
  };
}

/** Reasoning, text and two tool calls whose argument slices interleave, then a finish with usage. */
export const reasoningAndTools: Event[] = [
  { event: "message-start", id: "msg_1", metadata: { model_provider: "openai", model_name: "gpt-test" } },
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "Two cities, " } },
  { event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: "two calls." } },
  { event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: "Two cities, two calls." } },
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "Checking " } },
  { event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "both." } },
  { event: "content-block-finish", index: 1, content: { type: "text", text: "Checking both." } },
  { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "call_a", name: "weather", args: "" } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '{"city":' } },
  { event: "content-block-start", index: 3, content: { type: "tool_call_chunk", id: "call_b", name: "weather", args: "" } },
  { event: "content-block-delta", index: 3, delta: { type: "tool_call_chunk", args: '{"city":"Lima"}' } },
  { event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args: '"Oslo"}' } },
  { event: "content-block-finish", index: 2, content: { type: "tool_call", id: "call_a", name: "weather", args: { city: "Oslo" } } },
  { event: "content-block-finish", index: 3, content: { type: "tool_call", id: "call_b", name: "weather", args: { city: "Lima" } } },
  { event: "message-finish", reason: "tool_calls", usage: { input_tokens: 12, output_tokens: 30, total_tokens: 42 } },
];
