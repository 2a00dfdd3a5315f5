/**
 * Durable chats: every answer runs into a Durable Object (`StreamLogObject`, one per chat id), so it
 * outlives the request that started it. Open `/shared` in two tabs (the chat id is the URL's hash):
 * both stream the same answer; reload mid-answer and it resumes; Stop in either tab stops it.
 *
 *   curl -N -X POST 'http://127.0.0.1:8787/chats/<id>?q=hello'  # starts the answer, then streams it (SSE)
 *   curl -N 'http://127.0.0.1:8787/chats/<id>'                  # any viewer: from the start, or after Last-Event-ID
 *   curl -X POST 'http://127.0.0.1:8787/chats/<id>/stop'        # Stop, from anywhere
 */
import { DurableStreamLog, type StreamLogObjectStub } from "../../src/cloudflare.ts";
import { errorCode } from "../../src/errors.ts";
import { persist, type ChatModelStream } from "../../src/index.ts";

/** The part of the STREAMS Durable Object namespace the Worker uses. */
export interface StreamNamespace {
  getByName(name: string): StreamLogObjectStub;
}

/** What the routes need from the Worker. */
export interface SharedChatContext {
  readonly streams: StreamNamespace | undefined;
  waitUntil(promise: Promise<unknown>): void;
  /** The model's answer to `prompt`, or a Response when it could not be asked. */
  model(prompt: string): Promise<ChatModelStream | Response>;
  log(line: string): void;
}

const CHAT_PATH = /^\/chats\/([A-Za-z0-9_-]{1,64})(\/stop)?$/;
const MAX_PROMPT_CHARS = 16_384;
/** A finished chat stays readable (a reload, a late tab) this long. */
const RETENTION_MS = 10 * 60_000;

/** Whether `path` is one of these routes. */
export function isSharedChatPath(path: string): boolean {
  return CHAT_PATH.test(path);
}

/** `/chats/:id` (POST starts the answer, GET watches it) and `/chats/:id/stop`. */
export async function sharedChat(request: Request, context: SharedChatContext): Promise<Response> {
  const url = new URL(request.url);
  const [, id, stop] = CHAT_PATH.exec(url.pathname) ?? [];
  if (id === undefined) return new Response("Not Found\n", { status: 404 });
  if (context.streams === undefined) return new Response("This Worker has no STREAMS Durable Object binding\n", { status: 501 });
  const stub = context.streams.getByName(id);
  if (stop !== undefined) {
    if (request.method !== "POST") return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "POST" } });
    await new DurableStreamLog(stub).stop("Stopped by a viewer");
    return new Response(null, { status: 204 });
  }
  if (request.method === "POST") {
    const prompt = (url.searchParams.get("q") ?? "").slice(0, MAX_PROMPT_CHARS).trim() || "How do I stream a chat answer on the edge?";
    const started = await start(stub, id, prompt, context);
    if (started !== undefined) return started;
    // This client watches from the start, like any other viewer.
    return stub.fetch(new Request(url.origin + url.pathname, { headers: { accept: "text/event-stream" }, signal: request.signal }));
  }
  if (request.method !== "GET") return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, POST" } });
  return stub.fetch(request);
}

/** Runs the answer into the chat's object; a Response when it could not start. A chat that runs already is left alone. */
async function start(stub: StreamLogObjectStub, id: string, prompt: string, context: SharedChatContext): Promise<Response | undefined> {
  const log = new DurableStreamLog(() => stub, { retentionMs: RETENTION_MS });
  if ((await log.snapshot()) !== undefined) return undefined;
  const stream = await context.model(prompt);
  if (stream instanceof Response) return stream;
  // onDisconnect "continue": a reload or a closed tab does not stop the answer; only Stop does.
  const run = persist(stream, log);
  context.waitUntil(
    run.then(
      (snapshot) => context.log(`chat ${id} ${snapshot.status} after ${snapshot.seq} rows`),
      (error: unknown) => context.log(`chat ${id} not stored: ${String(error)}`),
    ),
  );
  try {
    await run.opened;
  } catch (error) {
    // Another request started this chat between the snapshot and here: watch that one.
    if (errorCode(error) !== "invalid_state") throw error;
  }
  return undefined;
}
