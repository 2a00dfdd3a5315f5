// The package in a Cloudflare Worker: @cloudflare/workers-types without the DOM library,
// `skipLibCheck: false`. Each `@ts-expect-error` fails the type check if the type below it decays
// to `any`. `wrangler deploy --dry-run` bundles it.
import { ChatModelStream, hasPartial, toResponse, type AIMessage, type ProtocolEvent } from "chat-model-stream";

interface Env {
  MESSAGES?: KVNamespace;
}

async function* model(prompt: string): AsyncGenerator<ProtocolEvent> {
  yield { event: "message-start", id: crypto.randomUUID() };
  yield { event: "content-block-start", index: 0, content: { type: "text", text: "" } };
  for (const word of `You said: ${prompt}`.split(/(?<= )/)) {
    yield { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: word } };
  }
  yield { event: "message-finish", reason: "stop" };
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const prompt = new URL(request.url).searchParams.get("q") ?? "hello";
    const stream = ChatModelStream.from(model(prompt), { signal: request.signal, messageId: undefined });
    ctx.waitUntil(
      stream.output.then(
        (message: AIMessage) => env.MESSAGES?.put(message.id ?? "unknown", JSON.stringify(message)),
        (error: unknown) => {
          if (hasPartial(error)) return env.MESSAGES?.put("aborted", JSON.stringify(error.partial));
        },
      ),
    );
    return toResponse(stream, { format: "sse", headers: { "x-consumer": "worker" }, heartbeatMs: undefined });
  },
} satisfies ExportedHandler<Env>;

/** Type checks only: never called. */
export async function typeChecks(stream: ChatModelStream): Promise<void> {
  for await (const text of stream.text) {
    // @ts-expect-error a text delta is a string (fails if the iterator yields `any`)
    const n: number = text;
    void n;
  }
  // @ts-expect-error toResponse returns a Response, not a string
  const wrong: string = toResponse(stream, { format: "text" });
  void wrong;
  // @ts-expect-error awaiting the usage gives UsageMetadata | undefined, not a number
  const tokens: number = await stream.usage;
  void tokens;
}
