// globalSetup of the "example" project: a fake OpenAI and Anthropic on 127.0.0.1 that answer with
// the recorded fixture transcripts, so the Worker's real-provider branch runs with no key and no
// network. The user message names the fixture (`/chat?q=toolCalls`); `status-429` (any status)
// answers that status with a JSON error and `retry-after: 7`, as a provider refusing. Node only.
import { createServer as createHttpServer } from "node:http";
import * as anthropic from "../fixtures/anthropic.ts";
import * as openaiChat from "../fixtures/openai-chat.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The fake provider's origin, `http://127.0.0.1:<port>`. */
    fakeProvider: string;
  }
}

/** Anthropic failing before any text: the Worker's /text must then answer with a real status. */
const ERROR_BEFORE_TEXT = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_fail","type":"message","role":"assistant",' +
    '"content":[],"model":"claude-test","usage":{"input_tokens":3,"output_tokens":0}}}\n\n',
  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
].join("");

const FIXTURES: Record<string, Record<string, string>> = {
  "/openai/v1/chat/completions": openaiChat as unknown as Record<string, string>,
  "/anthropic/v1/messages": { ...(anthropic as unknown as Record<string, string>), errorBeforeText: ERROR_BEFORE_TEXT },
};

/** What the Worker sent, for the tests to check (`GET /requests`). */
const requests: { path: string; headers: Record<string, string>; body: unknown }[] = [];

export default async function setup(project: { provide(key: "fakeProvider", value: string): void }): Promise<() => Promise<void>> {
  const server = createHttpServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.method === "GET" && req.url === "/requests") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(requests));
        return;
      }
      const fixtures = FIXTURES[req.url ?? ""];
      const parsed = JSON.parse(body || "null") as { messages?: { role: string; content: string }[] } | null;
      requests.push({ path: req.url ?? "", headers: req.headers as Record<string, string>, body: parsed });
      const name = parsed?.messages?.findLast((m) => m.role === "user")?.content ?? "";
      const refusal = /^status-(\d{3})$/.exec(name);
      if (refusal !== null) {
        res.writeHead(Number(refusal[1]), { "content-type": "application/json", "retry-after": "7" });
        res.end(JSON.stringify({ type: "error", error: { type: "refused", message: `refused with ${refusal[1]}` } }));
        return;
      }
      const transcript = fixtures?.[name];
      if (transcript === undefined) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `no fixture ${name} at ${req.url}`, type: "not_found" } }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      // One write per SSE message, as a provider streams them.
      for (const message of transcript.split(/(?<=\n\n)/)) res.write(message);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the fake provider has no port");
  project.provide("fakeProvider", `http://127.0.0.1:${address.port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
