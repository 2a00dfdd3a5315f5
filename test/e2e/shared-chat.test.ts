// The example Worker's durable chats (/chats/:id on the STREAMS Durable Object, wrangler.toml), what
// the demo page at / runs every answer through, in workerd, through SELF as a browser reaches them:
// the "example" vitest project.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ScriptedModel } from "../../examples/worker/scripted-model.ts";
import { ChatModelStream, fromResponse, type AIMessage, type LogSnapshot } from "../../src/index.ts";

const chat = (): string => `http://example/chats/${crypto.randomUUID()}`;

/** An SSE body's frames: id and event. */
function frames(body: string): { id: string; event: { event: string; delta?: Record<string, unknown> } }[] {
  return body
    .split("\n\n")
    .map((frame) => [/^id: (.+)$/m.exec(frame)?.[1], /^data: (.+)$/m.exec(frame)?.[1]] as const)
    .filter((pair): pair is readonly [string, string] => pair[0] !== undefined && pair[1] !== undefined)
    .map(([id, data]) => ({ id, event: JSON.parse(data) as { event: string; delta?: Record<string, unknown> } }));
}

/** What the frames' deltas add up to: their texts, reasoning and arguments, in order. */
function deltas(list: readonly { event: { event: string; delta?: Record<string, unknown> } }[]): string {
  return list.map(({ event }) => (event.event === "content-block-delta" ? String(event.delta?.["text"] ?? event.delta?.["reasoning"] ?? event.delta?.["args"] ?? "") : "")).join("");
}

describe("the example Worker's durable chats", () => {
  it("POST starts the answer and streams it; a GET meanwhile streams the same answer", async () => {
    const url = chat();
    const started = await SELF.fetch(`${url}?q=hi`, { method: "POST" });
    const watcher = await SELF.fetch(url);
    const [first, second] = await Promise.all([fromResponse(started).text, fromResponse(watcher).text]);
    expect({ first, second, type: started.headers.get("content-type") }).toEqual({
      first: ScriptedModel.answer,
      second: ScriptedModel.answer,
      type: "text/event-stream",
    });
  });

  it("the answer runs on in the chat's object after the client that started it left", async () => {
    const url = chat();
    const started = await SELF.fetch(`${url}?q=hi`, { method: "POST" });
    await started.body!.cancel();
    // Nobody watches now; a viewer who comes later gets the whole answer.
    expect(await fromResponse(await SELF.fetch(url)).text).toBe(ScriptedModel.answer);
  });

  it("a POST to a chat that runs already watches it instead of starting another answer", async () => {
    const url = chat();
    const started = await SELF.fetch(`${url}?q=hi`, { method: "POST" });
    const again = await SELF.fetch(`${url}?q=something else`, { method: "POST" });
    expect(await fromResponse(again).text).toBe(await fromResponse(started).text);
  });

  it("a viewer that resumes after an event id gets the rest of the answer: no gap, no duplicate", async () => {
    const url = chat();
    const whole = frames(await (await SELF.fetch(`${url}?q=hi`, { method: "POST" })).text());
    for (const cut of [5, 12, whole.length - 3]) {
      const rest = frames(await (await SELF.fetch(url, { headers: { "last-event-id": whole[cut]!.id } })).text());
      expect(deltas(whole.slice(0, cut + 1)) + deltas(rest)).toBe(deltas(whole));
    }
  });

  it("Stop from another request stops the answer for every viewer, as aborted", async () => {
    const url = chat();
    const stream = fromResponse(await SELF.fetch(`${url}?q=hi`, { method: "POST" }));
    const reader = stream.text.getReader();
    expect((await reader.read()).done).toBe(false);
    expect((await SELF.fetch(`${url}/stop`, { method: "POST" })).status).toBe(204);
    const error = await (async () => {
      for (;;) if ((await reader.read()).done) return undefined;
    })().catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("aborted");
  });

  it("an unknown chat is a 404, its stored message too", async () => {
    const url = chat();
    const [unknown, message] = await Promise.all([SELF.fetch(url), SELF.fetch(`${url}/message`)]);
    expect([unknown.status, message.status]).toEqual([404, 404]);
    await Promise.all([unknown.body?.cancel(), message.body?.cancel()]);
  });

  it("/chats/:id/message is the stored message: the final one once the answer finished", async () => {
    const url = chat();
    await (await SELF.fetch(`${url}?q=hi`, { method: "POST" })).text();
    const reply = await SELF.fetch(`${url}/message`);
    const stored = (await reply.json()) as LogSnapshot;
    expect({ type: reply.headers.get("content-type"), status: stored.status, message: stored.message }).toEqual({
      type: "application/json; charset=utf-8",
      status: "finished",
      message: await ChatModelStream.from(new ScriptedModel().script("hi")).output,
    });
  });

  it("after a Stop, /chats/:id/message is aborted with the partial message, every delta the viewer got", async () => {
    const url = chat();
    const stream = fromResponse(await SELF.fetch(`${url}?q=hi`, { method: "POST" }));
    const reader = stream.text.getReader();
    let got = "";
    while (got.length < 40) {
      const read = await reader.read();
      if (read.done) break;
      got += read.value;
    }
    await SELF.fetch(`${url}/stop`, { method: "POST" });
    const end = await (async () => {
      for (let read = await reader.read(); !read.done; read = await reader.read()) got += read.value;
    })().catch((e: unknown) => e);
    const stored = (await (await SELF.fetch(`${url}/message`)).json()) as LogSnapshot;
    expect({ end: (end as { code?: string }).code, status: stored.status, text: textOf(stored.message), code: stored.failure?.code }).toEqual({
      end: "aborted",
      status: "aborted",
      text: got,
      code: "aborted",
    });
    expect(got.length).toBeLessThan(ScriptedModel.answer.length);
  });

  it("/chats/:id/message and /chats/:id/stop take one method each", async () => {
    const url = chat();
    const [message, stop] = await Promise.all([SELF.fetch(`${url}/message`, { method: "POST" }), SELF.fetch(`${url}/stop`)]);
    expect([message.status, message.headers.get("allow"), stop.status, stop.headers.get("allow")]).toEqual([405, "GET", 405, "POST"]);
  });

  it("/shared, the page's old address, redirects to the page at /", async () => {
    const old = await SELF.fetch("http://example/shared", { redirect: "manual" });
    const page = await SELF.fetch("http://example/", { headers: { accept: "text/html" } });
    const html = await page.text();
    expect({ status: old.status, location: old.headers.get("location"), page: page.status, startsChats: html.includes('"/chats/"') }).toEqual({
      status: 301,
      location: "/",
      page: 200,
      startsChats: true,
    });
  });
});

/** The text blocks of a message joined, as a reader of `text` saw them. */
function textOf(message: AIMessage | undefined): string {
  if (message === undefined) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((block) => (block.type === "text" ? (block as { text: string }).text : "")).join("");
}
