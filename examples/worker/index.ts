/**
 * The example Worker: a chat answer streamed to a browser, to curl, or to another program.
 *
 *   npm start                                         # wrangler dev on http://127.0.0.1:8787
 *   open http://127.0.0.1:8787/                       # the demo page: reasoning, text, tool calls live
 *   curl -N 'http://127.0.0.1:8787/text?q=hello'      # the text, word by word
 *   curl -N 'http://127.0.0.1:8787/chat?q=hello'      # every protocol event, as SSE
 *   curl 'http://127.0.0.1:8787/messages/<id>'        # the saved message (id: the x-message-id header)
 *
 * The built-in scripted model needs no key. With OPENAI_API_KEY or ANTHROPIC_API_KEY in
 * `examples/worker/.dev.vars` the Worker calls that provider instead (see `providers.ts`).
 *
 * Press Ctrl-C in curl, or Stop on the page: `request.signal` aborts, the stream cancels the model
 * call, and the partial message is saved with status "aborted". Let it finish: the final message is
 * saved by `ctx.waitUntil`, after the response, even if the client stopped reading.
 */
import { ChatModelStream, toResponse, type AIMessage, type ErrorWithPartial, type ResponseFormat } from "../../src/index.ts";
import { PAGE } from "./page.ts";
import { callProvider, type ProviderEnv } from "./providers.ts";
import { ScriptedModel } from "./scripted-model.ts";

/** The part of a KV namespace the Worker uses. */
export interface MessageStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
}

export interface Env extends ProviderEnv {
  /** Where finished (and stopped) messages are kept: a KV namespace (wrangler.toml). */
  MESSAGES?: MessageStore;
  /** Pause between the scripted model's events in milliseconds (default 30). */
  MODEL_DELAY_MS?: string;
}

/** The part of `ExecutionContext` the handler uses. */
export interface Context {
  waitUntil(promise: Promise<unknown>): void;
}

/** What `/messages/:id` returns. */
export interface SavedMessage {
  /** "complete": the message finished; "aborted": the client left or pressed Stop; "failed": the model failed. */
  status: "complete" | "aborted" | "failed";
  /** The message, or what had arrived of it when it stopped. */
  message: AIMessage | null;
  /** Why it stopped, when it did. */
  error?: string;
}

/** For tests: a model to use instead of the one `env` chooses, and where log lines go. */
export interface Options {
  model?: ScriptedModel;
  log?: (line: string) => void;
}

const DEFAULT_PROMPT = "How do I stream a chat answer on the edge?";
/** Saved messages expire after a day. */
const TTL_SECONDS = 86_400;

/** Routes one request. */
export async function handle(request: Request, env: Env, ctx: Context, options: Options = {}): Promise<Response> {
  const url = new URL(request.url);
  if (request.method !== "GET") return new Response("Method Not Allowed", { status: 405, headers: { allow: "GET" } });
  if (url.pathname === "/chat") return answer(request, env, ctx, "sse", options);
  if (url.pathname === "/text") return answer(request, env, ctx, "text", options);
  if (url.pathname === "/") {
    // Browsers get the demo page; curl and programs get the streamed text, as before.
    if (request.headers.get("accept")?.includes("text/html")) {
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return answer(request, env, ctx, "text", options);
  }
  if (url.pathname.startsWith("/messages/")) return savedMessage(env, decodeURIComponent(url.pathname.slice(10)));
  return new Response("Not Found", { status: 404 });
}

/** Streams the model's answer in `format`, and saves the message once it ended. */
async function answer(request: Request, env: Env, ctx: Context, format: ResponseFormat, options: Options): Promise<Response> {
  const prompt = new URL(request.url).searchParams.get("q") || DEFAULT_PROMPT;
  const log = options.log ?? console.log;
  const key = crypto.randomUUID();

  // request.signal is workerd's only sign that the client went away: it cancels the model call.
  const signal = request.signal;
  let stream: ChatModelStream | undefined;
  if (options.model === undefined) {
    try {
      stream = await callProvider(env, prompt, signal);
    } catch (error) {
      // The provider could not be asked at all (no network): nothing was streamed yet.
      log(`provider request failed: ${String(error)}`);
      return new Response(`The model could not be reached: ${String(error)}\n`, { status: 502 });
    }
  }
  let model: ScriptedModel | undefined;
  if (stream === undefined) {
    model = options.model ?? new ScriptedModel({ delayMs: Number(env.MODEL_DELAY_MS ?? 30) });
    stream = ChatModelStream.from(model.stream(prompt), { signal });
  }

  // An await on `output`: the message is saved after the response is sent, even if the client
  // stops reading. (A client that leaves aborts request.signal: the model stops, the partial is saved.)
  ctx.waitUntil(
    stream.output
      .then(
        (message): SavedMessage => {
          log(`final message ${summary(message)}`);
          return { status: "complete", message };
        },
        (error: unknown): SavedMessage => {
          const { name, message, partial } = error as ErrorWithPartial;
          log(`stream ended early (${name}); partial message ${partial ? summary(partial) : "none"}`);
          return { status: name === "AbortError" ? "aborted" : "failed", message: partial ?? null, error: message };
        },
      )
      .then(async (record) => {
        await env.MESSAGES?.put(key, JSON.stringify(record), { expirationTtl: TTL_SECONDS });
        const steps = model === undefined ? "" : `; the scripted model took ${model.steps} of ${model.script(prompt).length} steps`;
        log(`saved message ${key} (${record.status})${steps}`);
      }),
  );

  return toResponse(stream, { format, headers: { "x-message-id": key } });
}

async function savedMessage(env: Env, key: string): Promise<Response> {
  const saved = (await env.MESSAGES?.get(key)) ?? null;
  if (saved === null) return new Response("No such message (yet)\n", { status: 404 });
  return new Response(saved, { headers: { "content-type": "application/json; charset=utf-8" } });
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
  fetch(request: Request, env: Env, ctx: Context): Promise<Response> {
    return handle(request, env, ctx);
  },
};
