// `new ChatModelStream({ start, pull, cancel })`: a producer in the shape of a ReadableStream's
// underlying source; `cancel()` as the primary name of `aclose()`; `state` to look without awaiting.
import { describe, expect, it } from "vitest";
import { ChatModelStream, type ChatModelStreamController } from "../src/index.ts";
import { type Event, failure, messageStart, readAll, settle, textMessage, hello } from "./helpers.ts";

/** Without its finish: a producer of it stays open, as a model still answering. */
const unfinished = hello.slice(0, -1);

/** A pull producer over `events`, counting its hooks' calls. */
function producer(events: readonly Event[], options: { keepAlive?: boolean } = {}) {
  const calls = { start: 0, pull: 0, cancel: [] as unknown[] };
  let i = 0;
  const stream = new ChatModelStream({
    ...options,
    start() {
      calls.start++;
    },
    pull(controller: ChatModelStreamController) {
      calls.pull++;
      if (i < events.length) controller.enqueue(events[i++]!);
      else if (events.at(-1)?.event === "message-finish") controller.close();
      // else: nothing yet, as a model that is still thinking
    },
    cancel(reason) {
      calls.cancel.push(reason);
    },
  });
  return { stream, calls };
}

describe("new ChatModelStream({ start, pull, cancel })", () => {
  it("runs start once, then pulls while consumers want events", async () => {
    const { stream, calls } = producer(hello);
    expect({ text: await stream.text, start: calls.start, pulls: calls.pull >= hello.length }).toEqual({ text: "Hello", start: 1, pulls: true });
  });

  it("runs nothing before something consumes", async () => {
    const { calls } = producer(hello);
    await settle();
    expect([calls.start, calls.pull]).toEqual([0, 0]);
  });

  it("hands pull a controller whose desiredSize is positive while a reader waits", async () => {
    const seen: (number | null)[] = [];
    let i = 0;
    const stream = new ChatModelStream({
      highWaterMark: 0,
      pull(controller) {
        seen.push(controller.desiredSize);
        controller.enqueue(hello[i++]!);
      },
    });
    await readAll(stream.text);
    expect(seen.every((size) => size !== null && size > 0)).toBe(true);
  });

  it("calls cancel once with the reason when the stream is cancelled before the finish", async () => {
    const { stream, calls } = producer(unfinished);
    const reader = stream.text.getReader();
    await reader.read();
    await stream.cancel("user pressed stop");
    await stream.cancel("again");
    // It gets what the source of a from() stream gets: the stream's AbortError, the reason as its cause.
    expect(calls.cancel.map((e) => [(e as Error).name, (e as Error).cause])).toEqual([["AbortError", "user pressed stop"]]);
  });

  it("calls cancel when the last reader leaves", async () => {
    const { stream, calls } = producer(unfinished);
    const reader = stream.text.getReader();
    await reader.read();
    await reader.cancel("gone");
    expect(calls.cancel.map((e) => (e as Error).cause)).toEqual(["gone"]);
  });

  it("calls cancel with the error when an error event fails the stream", async () => {
    const { stream, calls } = producer([messageStart, { event: "error", message: "boom" }]);
    const error = await failure(stream.output);
    expect(calls.cancel).toEqual([error]);
  });

  it("does not call cancel after the message finished", async () => {
    const { stream, calls } = producer(hello);
    await stream.output;
    await stream.cancel("late");
    expect(calls.cancel).toEqual([]);
  });

  it("fails the stream when pull rejects", async () => {
    const stream = new ChatModelStream({ pull: () => Promise.reject(new Error("model down")) });
    expect((await failure(stream.text)).message).toBe("model down");
  });

  it("lets a push producer started by start() end with controller.close()", async () => {
    const stream = new ChatModelStream({
      async start(controller) {
        for (const event of hello.slice(0, -1)) {
          await settle();
          controller.enqueue(event);
        }
        controller.close();
      },
    });
    expect(await stream.text).toBe("Hello");
  });
});

describe("cancel() and aclose()", () => {
  it("are the same: both abort the signal and fail awaits with an AbortError", async () => {
    const viaCancel = producer(unfinished).stream;
    const viaAclose = producer(unfinished).stream;
    const pending = [failure(viaCancel.output), failure(viaAclose.output)];
    await settle();
    await viaCancel.cancel("stop");
    await viaAclose.aclose("stop");
    const [a, b] = await Promise.all(pending);
    expect([a!.name, b!.name, a!.message === b!.message, viaCancel.signal.aborted, viaAclose.signal.aborted]).toEqual([
      "AbortError",
      "AbortError",
      true,
      true,
      true,
    ]);
  });
});

describe("state", () => {
  it("is idle, then running, then finished", async () => {
    const { stream } = producer(unfinished);
    const before = stream.state;
    const reader = stream.text.getReader();
    await reader.read();
    const during = stream.state;
    stream.dispatch(hello.at(-1)!); // the model finishes
    await stream.output;
    expect([before, during, stream.state]).toEqual(["idle", "running", "finished"]);
  });

  it("is failed after a cancel", async () => {
    const { stream } = producer(unfinished);
    await stream.cancel();
    expect(stream.state).toBe("failed");
  });
});
