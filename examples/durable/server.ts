// Durable streams in one process, with MemoryLog: `deno serve examples/durable/server.ts` (or
// `bun run examples/durable/server.ts`). Start an answer, reload, watch it from a second terminal,
// stop it from a third:
//
//   curl -N -X POST 'localhost:8000/chat?id=42'             # starts the answer and watches it
//   curl -N 'localhost:8000/chat?id=42'                     # another viewer, from the start
//   curl -N -H 'last-event-id: 3.0' 'localhost:8000/chat?id=42'  # resumes after event 3.0
//   curl -X POST 'localhost:8000/stop?id=42'                # stops it, for every viewer
import { ChatModelStream, MemoryLogStore, persist, resumeResponse, type ProtocolEvent } from "../../src/index.ts";

/** A stand-in for a model: a few words a second. */
async function* slowModel(): AsyncGenerator<ProtocolEvent> {
  yield { event: "message-start" };
  yield { event: "content-block-start", index: 0, content: { type: "text", text: "" } };
  for (const word of "Durable streams outlive the connection that started them, and the isolate too.".split(" ")) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    yield { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: `${word} ` } };
  }
  yield { event: "message-finish", reason: "stop" };
}

// One store for the process: the producer and every viewer of an id meet here.
const logs = new MemoryLogStore({ retentionMs: 5 * 60_000 });

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const id = url.searchParams.get("id") ?? "";
    if (request.method === "POST" && url.pathname === "/chat") {
      // The answer runs into the log whether or not anyone watches: a client that leaves can come back.
      const run = persist(ChatModelStream.from(slowModel()), logs.log(id), { signal: request.signal, onDisconnect: "continue" });
      run.catch(() => {}); // an id already in use: the viewer below shows that generation
      await run.opened.catch(() => {});
      return resumeResponse(logs.log(id), request);
    }
    if (request.method === "POST" && url.pathname === "/stop") {
      await logs.log(id).stop("stopped by the user");
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/chat") return resumeResponse(logs.log(id), request);
    return new Response("not found", { status: 404 });
  },
};
