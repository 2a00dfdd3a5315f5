/**
 * The example Worker: a chat answer streamed to a browser, to curl, or to another program.
 *
 *   npm start                                          # wrangler dev on http://127.0.0.1:8787 (PORT=… or -- --port …)
 *   open http://127.0.0.1:8787/                        # the demo page: reasoning, text, tool calls live, in a Durable Object
 *   curl -N 'http://127.0.0.1:8787/text?q=hello'       # the text, word by word
 *   curl -sN -D - 'http://127.0.0.1:8787/chat?q=hello' # every protocol event as SSE, after the headers
 *   curl -N -d 'hello' http://127.0.0.1:8787/chat      # the same, with the prompt as a POST body
 *   curl 'http://127.0.0.1:8787/messages/<id>'         # the saved message (id: the x-message-id header)
 *   open http://127.0.0.1:8787/ui                      # the same chat, driven by the AI SDK's own chat client
 *
 * The built-in scripted model needs no key. With OPENAI_API_KEY or ANTHROPIC_API_KEY in `.dev.vars`
 * (next to wrangler.toml) the Worker calls that provider instead (see `providers.ts`).
 *
 * The page's chats run in a Durable Object, one per chat (`/chats/:id`, shared-chat.ts): the answer
 * outlives the tab, any number of tabs watch it, a reload resumes it, and Stop from any tab stops it.
 * `/chat`, `/text` and `/ui-chat` are the plain, single-connection way: the answer lives in this
 * request. Press Ctrl-C in curl: `request.signal` aborts (with the compatibility flag
 * `enable_request_signal`), the stream cancels the model call, and the partial message is saved with
 * status "aborted". Let it finish: the final message is saved by `ctx.waitUntil`, after the response,
 * even if the client stopped reading.
 */
import { ChatModelStream, hasPartial, toResponse, type AIMessage, type ResponseFormat } from "../../src/index.ts";
import { PAGE } from "./page.ts";
import { UI_PAGE } from "./ui-page.ts";
import { callProvider, type ProviderEnv } from "./providers.ts";
import { ScriptedModel } from "./scripted-model.ts";
import { isSharedChatPath, sharedChat, type StreamNamespace } from "./shared-chat.ts";

// The Durable Object of the page's chats, the model call inside it (wrangler.toml binds it as STREAMS).
export { SharedChats } from "./shared-chat.ts";

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
  /** The page's chats (/chats/:id), one Durable Object each (wrangler.toml). */
  STREAMS?: StreamNamespace;
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

/** The longest prompt a POST body may carry, in bytes. */
const MAX_PROMPT_BYTES = 16_384;
/** KV refuses longer keys. */
const MAX_KEY_BYTES = 512;

/** Routes one request. */
export async function handle(request: Request, env: Env, ctx: Context, options: Options = {}): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname.startsWith("/messages/")) {
    if (request.method !== "GET") return methodNotAllowed("GET");
    return savedMessage(env, url.pathname.slice("/messages/".length), options);
  }
  if (url.pathname === "/ui") {
    if (request.method !== "GET") return methodNotAllowed("GET");
    return new Response(UI_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
  }
  if (url.pathname === "/ui-chat") {
    // What the AI SDK's DefaultChatTransport (useChat) posts; it reads the UI message stream back.
    if (request.method !== "POST") return methodNotAllowed("POST");
    const prompt = await readChatPrompt(request);
    if (prompt === undefined) return new Response("Expected the AI SDK chat request: {messages: [...]}, the last one the user's\n", { status: 400 });
    return answer(request, prompt, env, ctx, "ui-message-stream", options);
  }
  if (url.pathname === "/shared") {
    // The durable chat page's old address: it is the page at / now. A browser keeps the link's hash
    // (the chat id) across the redirect.
    if (request.method !== "GET") return methodNotAllowed("GET");
    return new Response(null, { status: 301, headers: { location: "/" } });
  }
  if (isSharedChatPath(url.pathname)) {
    // The chat's object calls the model itself (SharedChats.generate), with this Worker's env.
    return sharedChat(request, { streams: env.STREAMS, log: options.log ?? console.log });
  }
  const format = url.pathname === "/chat" ? "sse" : url.pathname === "/text" || url.pathname === "/" ? "text" : undefined;
  if (format === undefined) return new Response("Not Found\n", { status: 404 });
  if (request.method !== "GET" && request.method !== "POST") return methodNotAllowed("GET, POST");
  // Browsers get the demo page (its chats go through /chats/:id); curl and programs get the streamed text, as before.
  if (url.pathname === "/" && request.method === "GET" && request.headers.get("accept")?.includes("text/html")) {
    return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
  }
  const prompt = await readPrompt(request);
  if (prompt === undefined) return new Response(`The prompt is longer than ${MAX_PROMPT_BYTES} bytes\n`, { status: 413 });
  return answer(request, prompt, env, ctx, format, options);
}

function methodNotAllowed(allow: string): Response {
  return new Response("Method Not Allowed\n", { status: 405, headers: { allow } });
}

/** The prompt: a POST's body (`fetch("/chat", { method: "POST", body })`), else `?q=`; undefined when too long. */
async function readPrompt(request: Request): Promise<string | undefined> {
  const query = new URL(request.url).searchParams.get("q");
  if (request.method !== "POST" || request.body === null) return query || DEFAULT_PROMPT;
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let prompt = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > MAX_PROMPT_BYTES) {
      await reader.cancel();
      return undefined;
    }
    prompt += decoder.decode(value, { stream: true });
  }
  prompt += decoder.decode();
  return prompt.trim() || query || DEFAULT_PROMPT;
}

/**
 * The last user message's text of an AI SDK chat request (`{id, messages, trigger, …}`, each message
 * `{role, parts: [{type: "text", text}]}`), or undefined for anything else. The whole request is
 * bounded (the history grows with the chat): 256 KiB.
 */
async function readChatPrompt(request: Request): Promise<string | undefined> {
  const body = await readBounded(request, 262_144);
  if (body === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const messages = (parsed as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return undefined;
  const last = messages.findLast((m: { role?: unknown }) => m?.role === "user") as { parts?: unknown } | undefined;
  if (!Array.isArray(last?.parts)) return undefined;
  const text = last.parts.map((p: { type?: unknown; text?: unknown }) => (p?.type === "text" && typeof p.text === "string" ? p.text : "")).join("");
  return text.trim().slice(0, MAX_PROMPT_BYTES) || DEFAULT_PROMPT;
}

/** A request body as text, or undefined when it is longer than `limit` bytes. */
async function readBounded(request: Request, limit: number): Promise<string | undefined> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Streams the model's answer in `format`, and saves the message once it ended. */
async function answer(request: Request, prompt: string, env: Env, ctx: Context, format: ResponseFormat, options: Options): Promise<Response> {
  const log = options.log ?? console.log;
  const key = crypto.randomUUID();

  // request.signal is workerd's only sign that the client went away: it cancels the model call.
  const signal = request.signal;
  let stream: ChatModelStream | undefined;
  if (options.model === undefined) {
    let called: Awaited<ReturnType<typeof callProvider>>;
    try {
      called = await callProvider(env, prompt, signal);
    } catch (error) {
      // The provider could not be asked at all (no network): nothing was streamed yet.
      log(`provider request failed: ${String(error)}`);
      return new Response(`The model could not be reached: ${String(error)}\n`, { status: 502 });
    }
    if (called instanceof Response) {
      log(`the provider refused: HTTP ${called.status}`);
      return called;
    }
    stream = called;
  }
  let model: ScriptedModel | undefined;
  if (stream === undefined) {
    model = options.model ?? new ScriptedModel({ delayMs: Number(env.MODEL_DELAY_MS ?? 30) });
    stream = model.chat(prompt, { signal });
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
          // On Stop, `partial` holds every block finished with what had arrived: the answer on screen.
          const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
          const partial = hasPartial(error) ? error.partial : undefined;
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

  const response = toResponse(stream, { format, headers: { "x-message-id": key } });
  // SSE ends a failed stream with an `error` event. A text body has no way to say "failed" once it
  // started (on Workers it just ends, with status 200), so wait for its first bytes: a model that
  // fails before answering then gets a real status.
  return format === "text" ? withFirstChunk(response) : response;
}

/**
 * `response` once its body produced its first chunk (or ended); a body that fails before that
 * becomes a 502 with the error's message.
 */
async function withFirstChunk(response: Response): Promise<Response> {
  if (response.body === null) return response;
  const reader = response.body.getReader();
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await reader.read();
  } catch (error) {
    return new Response(`The model failed: ${error instanceof Error ? error.message : String(error)}\n`, {
      status: 502,
      headers: { "x-message-id": response.headers.get("x-message-id") ?? "" },
    });
  }
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (first.done) controller.close();
        else controller.enqueue(first.value);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: response.status, headers: response.headers });
}

/** `/messages/:id`: 400 for a key KV can't hold, 404 for one it does not have (yet). */
async function savedMessage(env: Env, encodedKey: string, options: Options): Promise<Response> {
  let key: string;
  try {
    key = decodeURIComponent(encodedKey);
  } catch {
    return new Response("Bad message id: malformed percent-encoding\n", { status: 400 });
  }
  if (key === "" || key === "." || key === "..") return new Response("Bad message id: empty\n", { status: 400 });
  if (new TextEncoder().encode(key).byteLength > MAX_KEY_BYTES) {
    return new Response(`Bad message id: longer than ${MAX_KEY_BYTES} bytes\n`, { status: 400 });
  }
  let saved: string | null;
  try {
    saved = (await env.MESSAGES?.get(key)) ?? null;
  } catch (error) {
    (options.log ?? console.log)(`reading message ${key} failed: ${String(error)}`);
    return new Response("The message store is unavailable\n", { status: 503 });
  }
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
