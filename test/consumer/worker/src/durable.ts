// chat-model-stream/cloudflare in a Worker, as published: the Durable Object exported and bound,
// a DurableStreamLog over the binding's stub (the stub's RPC types must fit StreamLogObjectStub),
// persist into it, viewers answered by the object. Type-checked with skipLibCheck: false.
import { ChatModelStream, type ProtocolEvent } from "chat-model-stream";
import { DurableStreamLog, StreamLogObject, type LogSnapshot, type StreamLog } from "chat-model-stream/cloudflare";
export { StreamLogObject };

interface Env {
  STREAMS: DurableObjectNamespace<StreamLogObject>;
}

async function* model(): AsyncGenerator<ProtocolEvent> {
  yield { event: "message-start" };
  yield { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "hi" } };
}

export default {
  async fetch(request, env): Promise<Response> {
    const id = new URL(request.url).searchParams.get("id") ?? "none";
    const stub = env.STREAMS.getByName(id);
    const log: StreamLog = new DurableStreamLog(stub, { retentionMs: 60_000, producerTimeoutMs: 120_000 });
    if (request.method === "DELETE") {
      await log.stop("user pressed Stop");
      return new Response(null, { status: 204 });
    }
    const snapshot: LogSnapshot | undefined = await log.snapshot();
    // @ts-expect-error a snapshot's seq is a number (fails if snapshot() decays to any)
    const seq: string | undefined = snapshot?.seq;
    void seq;
    void ChatModelStream.from(model());
    return stub.fetch(request);
  },
} satisfies ExportedHandler<Env>;

/** A subclass whose generations run inside the object: `generate` overrides, `this.env` is typed. */
export class Chats extends StreamLogObject<{ OPENAI_API_KEY: string }> {
  override async generate(input: unknown, signal: AbortSignal): Promise<ChatModelStream> {
    void input;
    void signal;
    const key: string = this.env.OPENAI_API_KEY;
    void key;
    return ChatModelStream.from(model());
  }
}

/** Type checks only: never called. A subclass's stub starts a generation; the reply is typed. */
export async function startChat(chats: DurableObjectNamespace<Chats>): Promise<boolean> {
  const reply = await chats.getByName("x").start({ prompt: "hi" }, { retentionMs: 60_000 });
  // @ts-expect-error the reply's ok is a boolean (fails if start() decays to any)
  const ok: string = reply.ok;
  void ok;
  return reply.ok;
}

/** Type checks only: never called. */
export async function stats(env: Env): Promise<number> {
  const { waitingReads } = await env.STREAMS.getByName("x").stats();
  return waitingReads;
}
