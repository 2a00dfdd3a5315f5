/**
 * The example Worker: a chat answer from the built-in scripted model, streamed as plain text.
 *
 *   npm start                      # wrangler dev on http://127.0.0.1:8787
 *   curl -N 'http://127.0.0.1:8787/?q=hello'
 *
 * Press Ctrl-C in curl: `request.signal` aborts, the stream cancels the model, and the log shows
 * the partial message. Let it finish: the log shows the final message, saved after the response.
 */
import { ChatModelStream, type AIMessage, type ErrorWithPartial } from "../../src/index.ts";
import { ScriptedModel } from "./scripted-model.ts";

export interface Env {
  /** Pause between the model's events in milliseconds (default 30). */
  MODEL_DELAY_MS?: string;
}

/** The part of `ExecutionContext` the handler uses. */
export interface Context {
  waitUntil(promise: Promise<unknown>): void;
}

/** Answers one request with the model's text, streamed; logs the final (or partial) message. */
export function handle(request: Request, ctx: Context, model: ScriptedModel, log: (line: string) => void = console.log): Response {
  const prompt = new URL(request.url).searchParams.get("q") ?? "How do I stream a chat answer on the edge?";
  // The client going away aborts request.signal; the stream then cancels the model call.
  const stream = ChatModelStream.from(model.stream(prompt), { signal: request.signal });

  // Runs after the response is sent: the message is kept even if nobody reads the body to the end.
  ctx.waitUntil(
    stream.output.then(
      (message) => log(`final message ${summary(message)}`),
      (error: unknown) => {
        const { name, partial } = error as ErrorWithPartial;
        log(`stream ended early (${name}); partial message ${partial ? summary(partial) : "none"}`);
      },
    ),
  );

  // text/plain with identity encoding: wrangler dev would otherwise gzip, and so buffer, the body.
  return new Response(stream.text.pipeThrough(new TextEncoderStream()), {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-encoding": "identity",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    },
  });
}

function summary(message: AIMessage): string {
  return JSON.stringify({
    id: message.id,
    text: typeof message.content === "string" ? message.content.length : message.content.length + " blocks",
    tool_calls: message.tool_calls,
    usage: message.usage_metadata,
    finish_reason: message.response_metadata["finish_reason"],
  });
}

export default {
  fetch(request: Request, env: Env, ctx: Context): Response {
    const delayMs = Number(env.MODEL_DELAY_MS ?? 30);
    return handle(request, ctx, new ScriptedModel({ delayMs }));
  },
};
