// Durable streams on Redis: a chat server of which any number may run against one Redis. The
// producer runs on the server that got the chat request; viewers (a reload, another tab, another
// device) may land on any server and resume where they left off; Stop works from any server.
// examples/node-redis/main.ts starts one on Node's http module; this file is the server itself,
// a fetch handler (what Deno.serve and Bun.serve take as is), and the few lines that put Node's
// http module in front of it.
import { createClient } from "redis";
import { ChatModelStream, persist, resumeResponse, type ProtocolEvent } from "../../src/index.ts";
import { RedisLogStore } from "../../src/redis.ts";

/** A stand-in for a model: one word every `delayMs`. */
async function* slowModel(delayMs: number): AsyncGenerator<ProtocolEvent> {
  yield { event: "message-start" };
  yield { event: "content-block-start", index: 0, content: { type: "text", text: "" } };
  for (const word of "Durable streams outlive the connection, the request and the server that started them.".split(" ")) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    yield { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: `${word} ` } };
  }
  yield { event: "message-finish", reason: "stop" };
}

/** The chat server: `fetch` answers its routes, `close` lets go of Redis. */
export interface ChatServer {
  fetch(request: Request): Promise<Response>;
  close(): void;
}

/**
 * - `POST /chat?id=…` starts the answer (unless that id runs already) and watches it;
 * - `GET /chat?id=…` watches it, from `Last-Event-ID` / `?offset=` when given; 404 for an unknown id;
 * - `POST /stop?id=…` stops it, wherever its producer runs.
 */
export async function chatServer(redisUrl: string, options: { wordDelayMs?: number } = {}): Promise<ChatServer> {
  const redis = createClient({ url: redisUrl });
  redis.on("error", (error: Error) => console.error(`redis: ${error.message}`)); // it reconnects by itself
  await redis.connect();
  // Every server makes the same store: same Redis, same prefix, so an id is one generation everywhere.
  const logs = new RedisLogStore(redis, { retentionMs: 10 * 60_000 });
  return {
    async fetch(request) {
      const url = new URL(request.url);
      const id = url.searchParams.get("id") ?? "";
      if (request.method === "POST" && url.pathname === "/chat") {
        // Runs to the end into Redis; the client leaving does not stop it (onDisconnect: "continue").
        const run = persist(ChatModelStream.from(slowModel(options.wordDelayMs ?? 300)), logs.log(id), { signal: request.signal });
        run.catch(() => {}); // the id is in use: the viewer below shows that generation
        await run.opened.catch(() => {});
        return resumeResponse(logs.log(id), request); // this client is one viewer among many
      }
      if (request.method === "POST" && url.pathname === "/stop") {
        await logs.log(id).stop("stopped by the user"); // published to the producer's server
        return new Response(null, { status: 204 });
      }
      if (url.pathname === "/chat") return resumeResponse(logs.log(id), request);
      return new Response("not found", { status: 404 });
    },
    close: () => redis.destroy(),
  };
}

// Node's http module, typed by what this file uses (a project with @types/node imports it as is).
interface NodeRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: Record<string, string | string[] | undefined>;
}
interface NodeResponse {
  writeHead(status: number, headers: Record<string, string>): void;
  write(chunk: Uint8Array): boolean;
  end(): void;
  on(event: "close" | "drain", listener: () => void): void;
  off(event: "drain", listener: () => void): void;
}
interface NodeServer {
  listen(port: number, host: string, listener: () => void): void;
  address(): { port: number } | string | null;
  close(listener?: () => void): void;
  closeAllConnections(): void;
}
type NodeHttp = { createServer(handler: (req: NodeRequest, res: NodeResponse) => void): NodeServer };

/**
 * Serves `fetch` with Node's http module on 127.0.0.1:`port` (0: any free port). A client that goes
 * away aborts its request's signal and cancels the response body, so its read of the log is released.
 */
export async function serveOnNode(fetch: (request: Request) => Promise<Response>, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer } = (await import("node:http")) as unknown as NodeHttp;
  const server = createServer((req, res) => {
    const gone = new AbortController();
    res.on("close", () => gone.abort(new Error("client went away")));
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const request = new Request(`http://${headers.get("host") ?? "localhost"}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, signal: gone.signal });
    void (async () => {
      const response = await fetch(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body === null) return res.end();
      const reader = response.body.getReader();
      gone.signal.addEventListener("abort", () => void reader.cancel().catch(() => {}), { once: true });
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return res.end();
        // Wait for the socket to drain: a slow client is read at its pace, not buffered for.
        if (!res.write(value)) await new Promise<void>((resolve) => res.on("drain", resolve));
      }
    })().catch(() => res.end());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
