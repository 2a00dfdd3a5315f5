// Starts examples/node-redis/server.ts on Node's http module. Run two, on two ports, against one Redis:
//
//   redis-server --save '' --appendonly no &
//   PORT=8000 bun examples/node-redis/main.ts &      # or deno run -A, or Node ≥ 22.6 with
//   PORT=8001 bun examples/node-redis/main.ts &      #   node --experimental-strip-types
//   curl -N -X POST 'localhost:8000/chat?id=42'                  # starts the answer on one server
//   curl -N 'localhost:8001/chat?id=42'                          # watches it from the other
//   curl -N -H 'last-event-id: 3.0' 'localhost:8001/chat?id=42'  # resumes after event 3.0
//   curl -X POST 'localhost:8001/stop?id=42'                     # stops it, on the first server
import { chatServer, serveOnNode } from "./server.ts";

const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const app = await chatServer(env["REDIS_URL"] ?? "redis://127.0.0.1:6379");
const { port } = await serveOnNode(app.fetch, Number(env["PORT"] ?? 8000));
console.log(`chat server on http://127.0.0.1:${port}`);
