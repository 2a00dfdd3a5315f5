// A source that answers in microtasks (a sync pump, a sync iterable, an async generator without
// I/O) must not starve the event loop: the stream's timeouts and the caller's timers still fire.
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import { type Event, failure, messageStart, textDelta } from "./helpers.ts";

/** Far more events than a timeout lets through; without yielding the loop would run them all first. */
const ENDLESS = 5_000_000;
const ping: Event = { event: "provider", provider: "p", name: "ping", payload: null };

function* syncEvents(make: (i: number) => Event): Generator<Event> {
  yield messageStart;
  for (let i = 0; i < ENDLESS; i++) yield make(i);
}

async function* asyncEvents(make: (i: number) => Event): AsyncGenerator<Event> {
  yield messageStart;
  for (let i = 0; i < ENDLESS; i++) yield make(i);
}

/** A push stream whose pump dispatches one event per call, synchronously. */
function syncPump(make: (i: number) => Event, options: ConstructorParameters<typeof ChatModelStream>[0]): ChatModelStream {
  const stream = new ChatModelStream(options);
  let i = 0;
  stream.setRequestMore(() => {
    if (i === 0) stream.dispatch(messageStart);
    if (i++ < ENDLESS) stream.dispatch(make(i));
    else stream.close();
  });
  return stream;
}

const sources: [string, (make: (i: number) => Event, options: ConstructorParameters<typeof ChatModelStream>[0]) => ChatModelStream][] = [
  ["a sync iterable", (make, options) => ChatModelStream.from(syncEvents(make), options)],
  ["an async generator without I/O", (make, options) => ChatModelStream.from(asyncEvents(make), options)],
  ["a sync pump", syncPump],
];

const isTimeout = (error: unknown): boolean => error instanceof DOMException && error.name === "TimeoutError";

describe.each(sources)("%s that never ends", (_name, make) => {
  it("fails an await with totalTimeoutMs on time", async () => {
    const error = await failure(make(() => textDelta(0, "a"), { totalTimeoutMs: 100 }).output);
    expect(isTimeout(error)).toBe(true);
  }, 30_000);

  it("fails a reader with firstTokenTimeoutMs when it sends no token", async () => {
    const stream = make(() => ping, { firstTokenTimeoutMs: 100 });
    let error: unknown;
    try {
      for await (const _event of stream.events);
    } catch (e) {
      error = e;
    }
    expect(isTimeout(error)).toBe(true);
  }, 30_000);

  it("lets the caller's timer stop it", async () => {
    const stream = make(() => textDelta(0, "a"), {});
    const timer = setTimeout(() => void stream.aclose("stopped by a timer"), 50);
    const error = await failure(stream.text);
    clearTimeout(timer);
    expect((error as Error).name).toBe("AbortError");
  }, 30_000);
});
