// examples/node-redis/server.ts as it runs: two chat servers on Node's http module against one
// redis-server, driven over HTTP. A viewer on the other server gets the same answer, a dropped
// connection resumes there, Stop on one server stops the producer on the other. Node only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatServer, serveOnNode, type ChatServer } from "../../examples/node-redis/server.ts";
import { fromResponse } from "../../src/index.ts";
import { startRedis, type RedisServer } from "./redis-server.ts";

const ANSWER = "Durable streams outlive the connection, the request and the server that started them. ";

let redis: RedisServer;
const apps: ChatServer[] = [];
const servers: { port: number; close(): Promise<void> }[] = [];
/** The two servers' base URLs. */
let a = "";
let b = "";

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 2; i++) {
    const app = await chatServer(redis.url, { wordDelayMs: 15 });
    apps.push(app);
    servers.push(await serveOnNode(app.fetch, 0));
  }
  a = `http://127.0.0.1:${servers[0]!.port}`;
  b = `http://127.0.0.1:${servers[1]!.port}`;
});

afterAll(async () => {
  for (const server of servers) await server.close();
  for (const app of apps) app.close();
  await redis?.kill();
});

let n = 0;
const freshId = (): string => `example-${Date.now().toString(36)}-${++n}`;

describe("examples/node-redis", () => {
  it("the answer started on one server streams whole to a viewer on the other", async () => {
    const id = freshId();
    const producer = fromResponse(await fetch(`${a}/chat?id=${id}`, { method: "POST" }));
    const viewer = fromResponse(await fetch(`${b}/chat?id=${id}`));
    expect(await Promise.all([producer.text, viewer.text])).toEqual([ANSWER, ANSWER]);
  });

  it("a connection cut mid-answer resumes on the other server with Last-Event-ID, with no gap or duplicate", async () => {
    const id = freshId();
    const first = await fetch(`${a}/chat?id=${id}`, { method: "POST" });
    // Read until the third word, then drop the connection: the answer goes on without anyone.
    const reader = first.body!.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    while ((seen.match(/text-delta/g) ?? []).length < 3) seen += decoder.decode((await reader.read()).value, { stream: true });
    await reader.cancel();
    const complete = seen.slice(0, seen.lastIndexOf("\n\n") + 2);
    const lastId = [...complete.matchAll(/^id: (.+)$/gm)].at(-1)![1]!;
    const before = [...complete.matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]).join("");
    const rest = await fromResponse(await fetch(`${b}/chat?id=${id}`, { headers: { "last-event-id": lastId } })).text;
    expect(before + rest).toBe(ANSWER);
    expect(before.length).toBeGreaterThan(0);
  });

  it("Stop on one server stops the producer on the other; every viewer ends with the aborted error", async () => {
    const id = freshId();
    const producer = fromResponse(await fetch(`${a}/chat?id=${id}`, { method: "POST" }));
    const produced = producer.text.then(String, (error: unknown) => error);
    const viewer = fromResponse(await fetch(`${b}/chat?id=${id}`));
    const viewed = viewer.text.then(String, (error: unknown) => error);
    // Stop once text is out (a viewer that joins late gets what was stored as one delta).
    const words = fromResponse(await fetch(`${b}/chat?id=${id}`)).text.getReader();
    expect((await words.read()).value).toMatch(/^Durable /);
    expect((await fetch(`${b}/stop?id=${id}`, { method: "POST" })).status).toBe(204);
    for (const ended of [await produced, await viewed]) expect(ended).toMatchObject({ code: "aborted" });
    await words.cancel();
    // A late viewer replays the stopped answer and its end.
    const late = await fromResponse(await fetch(`${a}/chat?id=${id}`)).text.catch((error: unknown) => error);
    expect(late).toMatchObject({ code: "aborted", partial: { type: "ai" } });
  });

  it("an unknown id is a 404 on any server", async () => {
    expect((await fetch(`${b}/chat?id=${freshId()}`)).status).toBe(404);
  });
});
