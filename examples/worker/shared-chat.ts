/**
 * The demo's chats: every answer the page at `/` asks for runs inside a Durable Object
 * (`SharedChats`, a `StreamLogObject`, one per chat id), so it outlives the request that started it,
 * and the tab too: the object calls the model and stores the answer while nobody watches. The chat
 * id is the page's URL hash: open that link in two tabs and both stream the same answer; reload
 * mid-answer and it resumes; Stop in either tab stops it. (`/chat` and `/text` stay plain,
 * single-connection examples: the answer lives and dies with that one response.)
 *
 *   curl -N -X POST 'http://127.0.0.1:8787/chats/<id>?q=hello'  # starts the answer, then streams it (SSE)
 *   curl -N 'http://127.0.0.1:8787/chats/<id>'                  # any viewer: from the start, or after Last-Event-ID / ?offset=
 *   curl -X POST 'http://127.0.0.1:8787/chats/<id>/stop'        # Stop, from anywhere
 *   curl 'http://127.0.0.1:8787/chats/<id>/message'             # the stored message: status, final or partial message
 */
import { DurableStreamLog, StreamLogObject, type StreamLogObjectOptions, type StreamLogObjectReply, type StreamLogObjectStub } from "../../src/cloudflare.ts";
import type { ChatModelStream } from "../../src/index.ts";
import type { Env } from "./index.ts";
import { callProvider } from "./providers.ts";
import { ScriptedModel } from "./scripted-model.ts";

/** What the Worker asks a chat's object to answer. */
export interface SharedChatInput {
  readonly prompt: string;
  /** The chat's id, for the object's log lines. */
  readonly chat?: string;
}

/**
 * The chats' Durable Object: the package's `StreamLogObject` with the model call inside it
 * (`generate`), so the answer runs in the object, not in the Worker request that started it.
 */
export class SharedChats extends StreamLogObject<Env> {
  override async generate(input: unknown, signal: AbortSignal): Promise<ChatModelStream> {
    const { prompt, chat = "?" } = input as SharedChatInput;
    const called = await callProvider(this.env, prompt, signal);
    if (called instanceof Response) throw new Error(`The model could not be asked: ${(await called.text()).trim()}`);
    if (called !== undefined) {
      logEnd(chat, called, () => "");
      return called;
    }
    const model = new ScriptedModel({ delayMs: Number(this.env.MODEL_DELAY_MS ?? 30) });
    const stream = model.chat(prompt, { signal });
    logEnd(chat, stream, () => `; the scripted model took ${model.steps} of ${model.script(prompt).length} steps`);
    return stream;
  }
}

/**
 * Logs how the chat's answer ended, once it did: `chat <id> ended (finished|aborted|failed)`, and
 * for the scripted model how far it got (a Stop stops it early).
 */
function logEnd(chat: string, stream: ChatModelStream, detail: () => string): void {
  stream.output.then(
    () => console.log(`chat ${chat} ended (finished)${detail()}`),
    (error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      const status = code === "aborted" || (error as { name?: unknown } | null)?.name === "AbortError" ? "aborted" : "failed";
      console.log(`chat ${chat} ended (${status})${detail()}`);
    },
  );
}

/** A chat object's stub, as the Worker calls it. */
export interface SharedChatStub extends StreamLogObjectStub {
  start(input: SharedChatInput, options?: StreamLogObjectOptions): Promise<StreamLogObjectReply>;
}

/** The part of the STREAMS Durable Object namespace the Worker uses. */
export interface StreamNamespace {
  getByName(name: string): SharedChatStub;
}

/** What the routes need from the Worker. */
export interface SharedChatContext {
  readonly streams: StreamNamespace | undefined;
  log(line: string): void;
}

const CHAT_PATH = /^\/chats\/([A-Za-z0-9_-]{1,64})(?:\/(stop|message))?$/;
const MAX_PROMPT_CHARS = 16_384;
/** A finished chat stays readable (a reload, a late tab) this long. */
const RETENTION_MS = 10 * 60_000;

/** Whether `path` is one of these routes. */
export function isSharedChatPath(path: string): boolean {
  return CHAT_PATH.test(path);
}

/**
 * `/chats/:id` (POST starts the answer, GET watches it), `/chats/:id/stop` (POST) and
 * `/chats/:id/message` (GET: the chat's stored snapshot as JSON, `status` "running", "finished",
 * "aborted" or "failed", with the final or partial `message`; 404 for an unknown or expired chat).
 */
export async function sharedChat(request: Request, context: SharedChatContext): Promise<Response> {
  const url = new URL(request.url);
  const [, id, action] = CHAT_PATH.exec(url.pathname) ?? [];
  if (id === undefined) return new Response("Not Found\n", { status: 404 });
  if (context.streams === undefined) return new Response("This Worker has no STREAMS Durable Object binding\n", { status: 501 });
  const stub = context.streams.getByName(id);
  if (action === "stop") {
    if (request.method !== "POST") return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "POST" } });
    await new DurableStreamLog(stub).stop("Stopped by a viewer");
    return new Response(null, { status: 204 });
  }
  if (action === "message") {
    if (request.method !== "GET") return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET" } });
    const snapshot = await stub.snapshot();
    if (!snapshot.ok) return new Response(`${snapshot.message}\n`, { status: 500 });
    if (snapshot.value === undefined) return new Response("No such chat (or it expired)\n", { status: 404 });
    return new Response(snapshot.value, { headers: { "content-type": "application/json; charset=utf-8" } });
  }
  if (request.method === "POST") {
    const prompt = (url.searchParams.get("q") ?? "").slice(0, MAX_PROMPT_CHARS).trim() || "How do I stream a chat answer on the edge?";
    // The object opens the chat's log and answers; the model runs on in the object. A chat that
    // runs (or ran) already is refused with invalid_state: this client watches that one.
    const started = await stub.start({ prompt, chat: id } satisfies SharedChatInput, { retentionMs: RETENTION_MS });
    if (started.ok) context.log(`chat ${id} started`);
    else if (started.code !== "invalid_state") return new Response(`${started.message}\n`, { status: 500 });
    // This client watches from the start, like any other viewer.
    return stub.fetch(new Request(url.origin + url.pathname, { headers: { accept: "text/event-stream" }, signal: request.signal }));
  }
  if (request.method !== "GET") return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, POST" } });
  return stub.fetch(request);
}
