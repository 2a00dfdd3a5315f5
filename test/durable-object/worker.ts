// The Worker the "durable-object" vitest project runs in workerd (its `main`): it exports the
// package's Durable Object, as a user's Worker does, bound as STREAMS by wrangler.toml next to it.
// Its fetch handler is the one-line viewer route of the README: the object answers.
import { StreamLogObject } from "../../src/cloudflare.ts";
import { ChatModelStream, type ProtocolEvent } from "../../src/index.ts";
export { StreamLogObject } from "../../src/cloudflare.ts";

export interface Env {
  STREAMS: DurableObjectNamespaceLike<StreamLogObject>;
  CHATS: DurableObjectNamespaceLike<TestChats>;
}

/** What the tests ask `TestChats` for: `words` deltas `delayMs` apart, or a `generate` that throws `throws`. */
export interface TestInput {
  readonly words?: number;
  readonly delayMs?: number;
  readonly throws?: string;
}

/** The words of the test model's answer. */
export const testWords = (count: number): string[] => Array.from({ length: count }, (_, i) => `w${i} `);

/** A user's subclass, as the README shows it: the producer runs inside the object. */
export class TestChats extends StreamLogObject<Env> {
  override generate(input: unknown, signal: AbortSignal): ChatModelStream {
    const { words = 5, delayMs = 0, throws } = input as TestInput;
    if (throws !== undefined) throw new RangeError(throws);
    const texts = testWords(words);
    return ChatModelStream.from(
      (async function* (): AsyncGenerator<ProtocolEvent> {
        yield { event: "message-start", id: "m1" };
        yield { event: "content-block-start", index: 0, content: { type: "text", text: "" } };
        for (const text of texts) {
          if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
          signal.throwIfAborted();
          yield { event: "content-block-delta", index: 0, delta: { type: "text-delta", text } };
        }
        yield { event: "content-block-finish", index: 0, content: { type: "text", text: texts.join("") } };
        yield { event: "message-finish", reason: "stop" };
      })(),
    );
  }
}

/** The part of a DurableObjectNamespace the tests use (the tsconfig loads no workers types). */
export interface DurableObjectNamespaceLike<T> {
  idFromName(name: string): DurableObjectIdLike;
  get(id: DurableObjectIdLike): import("./stub.ts").Stub<T>;
  getByName(name: string): import("./stub.ts").Stub<T>;
}

/** A Durable Object's id, opaque here. */
export interface DurableObjectIdLike {
  toString(): string;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const id = new URL(request.url).pathname.slice(1);
    return env.STREAMS.getByName(id).fetch(request);
  },
};
