// The example Worker as `npm start` serves it: `wrangler dev` on a free localhost port, reached over
// real HTTP (where Miniflare would gzip, and so buffer, a body without the right headers) and by a
// real browser, Debian's chromium driven by playwright-core. The "browser" vitest project, Node only.
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SavedMessage } from "../../examples/worker/index.ts";
import { ScriptedModel } from "../../examples/worker/scripted-model.ts";
import { ChatModelStream, fromAnthropic, fromOpenAIChat, fromResponse, type AIMessage, type LogSnapshot } from "../../src/index.ts";
import * as anthropicFixtures from "../fixtures/anthropic.ts";
import * as openaiFixtures from "../fixtures/openai-chat.ts";
import startFakeProvider from "./fake-provider.ts";
import { startWranglerDev, type Launch, type WranglerDev } from "./wrangler-dev.ts";
import { CHROMIUM, CHROMIUM_FLAGS } from "../chromium.ts";

const { process } = globalThis as unknown as { process: { env: Record<string, string | undefined> } };

const DELAY_MS = 30; // the demo's own pace: about 3 s per answer
const EVENTS = new ScriptedModel().script("hi").length;

// CI installs chromium (.ci/run) and must run these; elsewhere a machine without it skips them.
const haveChromium = await access(CHROMIUM).then(
  () => true,
  () => false,
);
const requireBrowser = process.env["CI"] !== undefined && process.env["CI"] !== "false";

let dev: WranglerDev;

beforeAll(async () => {
  dev = await startWranglerDev({ MODEL: "scripted", MODEL_DELAY_MS: String(DELAY_MS) });
});

afterAll(async () => {
  await dev?.stop();
});

/** Resolves with the Worker's "saved message" log line for this message id. */
function saved(id: string): Promise<{ status: string; steps: number; total: number }> {
  return dev.waitForLine(new RegExp(`saved message ${id} `)).then((line) => {
    const [, status, steps, total] = /\((\w+)\); the scripted model took (\d+) of (\d+) steps/.exec(line)!;
    return { status: status!, steps: Number(steps), total: Number(total) };
  });
}

/** Resolves with the demo chat object's "ended" log line for chat `id` (shared-chat.ts). */
function chatEnded(server: WranglerDev, id: string): Promise<{ status: string; steps: number; total: number }> {
  return server.waitForLine(new RegExp(`chat ${id} ended `)).then((line) => {
    const [, status, steps, total] = /\((\w+)\); the scripted model took (\d+) of (\d+) steps/.exec(line)!;
    return { status: status!, steps: Number(steps), total: Number(total) };
  });
}

/** The chat id of a demo page: its URL's hash. */
function chatId(page: Page): string {
  return new URL(page.url()).hash.slice(1);
}

/** The text blocks of a message joined, as a reader of `text` saw them. */
function textOf(message: AIMessage | null | undefined): string {
  if (message == null) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((block) => (block.type === "text" ? (block as { text: string }).text : "")).join("");
}

describe("starting the demo", () => {
  // Each starts its own wrangler dev (and a build of the page's module): slow on a busy machine.
  it.each(["npm start, PORT", "npm start -- --port", "plain"] as const satisfies readonly Launch[])(
    "%s: serves the demo page on the port it was asked for",
    async (launch) => {
      const other = await startWranglerDev({ MODEL: "scripted" }, launch);
      try {
        const page = await fetch(`${other.url}/`, { headers: { accept: "text/html" } });
        const module = await fetch(`${other.url}/chat-model-stream.js`);
        expect({
          page: [page.status, (await page.text()).includes("<title>chat-model-stream demo</title>")],
          module: [module.status, (await module.text()).includes("fromResponse")],
          readyLine: other.lines.some((line) => line.includes(`Ready on ${other.url}`)),
        }).toEqual({ page: [200, true], module: [200, true], readyLine: true });
      } finally {
        await other.stop();
      }
    },
    180_000,
  );
});

describe("wrangler dev over HTTP", () => {
  it.each(["/text", "/chat"])("%s: chunks arrive apart in time, uncompressed, to a client that accepts gzip", async (path) => {
    const response = await fetch(`${dev.url}${path}?q=hi`, { headers: { "accept-encoding": "gzip, deflate, br" } });
    const reader = response.body!.getReader();
    const times: number[] = [];
    while (!(await reader.read()).done) times.push(performance.now());
    const spread = times.at(-1)! - times[0]!;
    // A buffered (gzipped) body arrives in one go; this one takes the model's time, in many chunks.
    expect({
      encoding: response.headers.get("content-encoding"),
      manyChunks: times.length > 20,
      spreadOverTheAnswer: spread >= (EVENTS * DELAY_MS) / 2,
    }).toEqual({ encoding: "identity", manyChunks: true, spreadOverTheAnswer: true });
  });

  it("without the enable_request_signal flag, a client that disconnects does NOT stop the model (why the README requires it)", async () => {
    // The same Worker with only nodejs_compat: request.signal never aborts, and waitUntil(output) drives the model on.
    const unflagged = await startWranglerDev({ MODEL: "scripted", MODEL_DELAY_MS: String(DELAY_MS) }, "wrangler", [
      "--compatibility-flags", "nodejs_compat",
    ]);
    try {
      const client = new AbortController();
      const response = await fetch(`${unflagged.url}/chat?q=hi`, { signal: client.signal });
      const id = response.headers.get("x-message-id")!;
      const reader = response.body!.getReader();
      for (let i = 0; i < 5; i++) await reader.read();
      client.abort();
      const line = await unflagged.waitForLine(new RegExp(`saved message ${id} `));
      const [, status, steps, total] = /\((\w+)\); the scripted model took (\d+) of (\d+) steps/.exec(line)!;
      expect({ status, ranToTheEnd: steps === total }).toEqual({ status: "complete", ranToTheEnd: true });
    } finally {
      await unflagged.stop();
    }
  }, 180_000);

  it("serves the package to the page as one browser module, /chat-model-stream.js, with no bare imports", async () => {
    const response = await fetch(`${dev.url}/chat-model-stream.js`);
    const source = await response.text();
    expect({
      status: response.status,
      type: response.headers.get("content-type"),
      exportsFromResponse: /export\s*\{[^}]*\bfromResponse\b/.test(source),
      bareImports: /^import\b.*\bfrom\s*["'][^./]/m.test(source),
    }).toEqual({ status: 200, type: expect.stringMatching(/javascript/), exportsFromResponse: true, bareImports: false });
  });

  it("/messages/:id answers 400 for a key KV can't hold and 404 for one it never saved, never 500", async () => {
    const statuses = await Promise.all(
      ["x".repeat(600), "%ZZ", "", "00000000-0000-4000-8000-000000000000"].map(
        async (id) => (await fetch(`${dev.url}/messages/${id}`)).status,
      ),
    );
    expect(statuses).toEqual([400, 400, 400, 404]);
  });

  it("a client that disconnects stops the built-in model, and the partial message is saved", async () => {
    const client = new AbortController();
    const response = await fetch(`${dev.url}/chat?q=hi`, { signal: client.signal });
    const id = response.headers.get("x-message-id")!;
    const reader = response.body!.getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    client.abort();
    const log = await saved(id);
    const record = (await (await fetch(`${dev.url}/messages/${id}`)).json()) as { status: string };
    expect({ logged: log.status, stored: record.status, stoppedEarly: log.steps < log.total }).toEqual({
      logged: "aborted",
      stored: "aborted",
      stoppedEarly: true,
    });
  });
});

describe("the page's chats with a provider key: the object calls the provider (wrangler dev, a fake OpenAI and Anthropic on 127.0.0.1)", () => {
  let fake = "";
  let stopFake: (() => Promise<void>) | undefined;
  let keyed: WranglerDev[] = [];

  beforeAll(async () => {
    stopFake = await startFakeProvider({ provide: (_key, value) => void (fake = value) });
    keyed = await Promise.all([
      startWranglerDev({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: `${fake}/openai/v1` }),
      startWranglerDev({ ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: `${fake}/anthropic/v1` }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(keyed.map((server) => server.stop()));
    await stopFake?.();
  });

  it.each([
    ["openai", "toolCalls", 0],
    ["anthropic", "thinking", 1],
  ] as const)("%s %s: POST /chats/:id streams, and the object stores, what the adapter makes of the provider's bytes", async (provider, fixture, server) => {
    const dev = keyed[server]!;
    const bytes = provider === "openai" ? openaiFixtures[fixture as "toolCalls"] : anthropicFixtures[fixture as "thinking"];
    const adapter = provider === "openai" ? fromOpenAIChat : fromAnthropic;
    const expected = await adapter(new Response(bytes, { headers: { "content-type": "text/event-stream" } })).output;
    const id = crypto.randomUUID();
    const received = await fromResponse(await fetch(`${dev.url}/chats/${id}?q=${fixture}`, { method: "POST" })).output;
    const record = (await (await fetch(`${dev.url}/chats/${id}/message`)).json()) as LogSnapshot;
    const line = await dev.waitForLine(new RegExp(`chat ${id} ended `));
    expect({ received, stored: [record.status, record.message], line }).toEqual({
      received: expected,
      stored: ["finished", expected],
      line: expect.stringMatching(new RegExp(`chat ${id} ended \\(finished\\)$`)),
    });
  });
});

describe.skipIf(!haveChromium && !requireBrowser)("the demo page in chromium", () => {
  let profile: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), "chat-model-stream-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1000, height: 640 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  });

  async function ask(question: string): Promise<void> {
    await page.goto(`${dev.url}/`);
    await page.fill("#q", question);
    await page.click("button[type=submit]");
  }

  /** The page's state the first time the answer pane has text, read in one go. */
  function whenTextAppears(): Promise<{ status: string; text: string; linked: boolean }> {
    return page
      .waitForFunction(() => {
        const text = document.getElementById("text")!.textContent ?? "";
        const linked = document.querySelector("#link a") !== null;
        return text.length > 0 && { status: document.body.dataset["status"] ?? "", text, linked };
      })
      .then((handle) => handle.jsonValue() as Promise<{ status: string; text: string; linked: boolean }>);
  }

  it("shows the text while the answer still streams, then all of it, the tool call and the usage", async () => {
    await ask("How do I stream a chat answer on the edge?");
    const early = await whenTextAppears();
    await page.waitForFunction(() => document.body.dataset["status"] === "done");
    const final = await page.evaluate(() => ({
      reasoning: document.getElementById("reasoning")!.textContent,
      text: document.getElementById("text")!.textContent,
      tools: document.getElementById("tools")!.textContent,
      usage: document.getElementById("usage")!.textContent,
    }));
    // The screenshot for the README (SCREENSHOT=examples/worker/screenshot.png, npm run screenshot),
    // once the link to the saved message is there too.
    await page.waitForSelector("#link a");
    await page.screenshot({ path: process.env["SCREENSHOT"] ?? join(profile, "demo.png") });
    expect({
      earlyStatus: early.status,
      earlyIsPartial: early.text.length < ScriptedModel.answer.length,
      ...final,
    }).toEqual({
      earlyStatus: "streaming",
      earlyIsPartial: true,
      reasoning: expect.stringMatching(/^The user asks about streaming/),
      text: ScriptedModel.answer,
      tools: 'get_weather({"city": "Lisbon", "unit": "celsius"})',
      usage: expect.stringMatching(/^\d+ in · \d+ out · \d+ total tokens$/),
    });
  });

  it("links the chat's stored message (its object's snapshot) once the answer ended", async () => {
    await ask("Link me");
    const streaming = await whenTextAppears();
    await page.waitForFunction(() => document.body.dataset["status"] === "done");
    const href = (await page.waitForSelector("#link a").then((a) => a.getAttribute("href")))!;
    const reply = await fetch(`${dev.url}${href}`);
    const record = (await reply.json()) as LogSnapshot;
    expect({ linkedWhileStreaming: streaming.linked, href, status: reply.status, stored: record.status, text: textOf(record.message) }).toEqual({
      linkedWhileStreaming: false,
      href: `/chats/${chatId(page)}/message`,
      status: 200,
      stored: "finished",
      text: ScriptedModel.answer,
    });
  });

  it("Stop reaches the model in the chat's object: it stops, and the stored message holds the text that was on screen", async () => {
    await ask("Stop me");
    await whenTextAppears();
    await page.click("#stop");
    await page.waitForFunction(() => document.body.dataset["status"] === "stopped");
    const onScreen = (await page.textContent("#text"))!;
    const href = (await page.waitForSelector("#link a").then((a) => a.getAttribute("href")))!;
    const log = await chatEnded(dev, chatId(page));
    const record = (await (await fetch(`${dev.url}${href}`)).json()) as LogSnapshot;
    // Every row the object stored reached the page before the closing error event: the same text.
    expect({
      logged: log.status,
      stored: record.status,
      stoppedEarly: log.steps < log.total,
      stoppedMidAnswer: onScreen.length > 0 && onScreen.length < ScriptedModel.answer.length,
      saved: textOf(record.message),
    }).toEqual({ logged: "aborted", stored: "aborted", stoppedEarly: true, stoppedMidAnswer: true, saved: onScreen });
  });

  /** /ui: sends `question` through the AI SDK's chat client on the page. */
  async function askUI(question: string): Promise<void> {
    await page.goto(`${dev.url}/ui`);
    await page.fill("#q", question);
    await page.click("button[type=submit]");
  }

  /** The assistant message's parts as the AI SDK's chat client holds them, once its status is ready again. */
  async function uiAnswer(): Promise<{ parts: unknown[]; error: string | undefined; shown: string }> {
    await page.waitForFunction(() => {
      const chat = (window as unknown as { chat: { status: string; messages: unknown[] } }).chat;
      return chat.status === "ready" && chat.messages.length === 2;
    });
    return page.evaluate(() => {
      const chat = (window as unknown as { chat: { messages: { parts: unknown[] }[]; error?: Error } }).chat;
      return {
        parts: JSON.parse(JSON.stringify(chat.messages[1]!.parts)) as unknown[],
        error: chat.error?.message,
        shown: [...document.querySelectorAll("li.assistant .text")].map((e) => e.textContent).join(""),
      };
    });
  }

  it("/ui: the AI SDK's own chat client (AbstractChat + DefaultChatTransport) assembles our output from /ui-chat", async () => {
    const question = "How do I stream a chat answer on the edge?";
    await askUI(question);
    const { parts, error, shown } = await uiAnswer();
    const output = await ChatModelStream.from(new ScriptedModel().script(question)).output;
    // The parts useChat shows for our message, block by block (the text of a step, its reasoning, its tool calls).
    const expected: unknown[] = [{ type: "step-start" }];
    for (const block of output.content as Record<string, unknown>[]) {
      if (block["type"] === "text") expected.push({ type: "text", text: block["text"], state: "done" });
      else if (block["type"] === "reasoning") expected.push({ type: "reasoning", id: `reasoning-${String(block["index"])}`, text: block["reasoning"], state: "done" });
      else if (block["type"] === "tool_call") {
        expected.push({ type: `tool-${String(block["name"])}`, toolCallId: block["id"], state: "input-available", input: block["args"] });
      }
    }
    expect({ parts, error, shown }).toEqual({ parts: expected, error: undefined, shown: ScriptedModel.answer });
  });

  it("/ui: Stop in the AI SDK's chat client stops the model mid-answer; the client keeps the text it had", async () => {
    // This answer's message id: the line of the previous test's answer, saved after its response, may come later.
    const answered = page.waitForResponse((response) => new URL(response.url()).pathname === "/ui-chat");
    await askUI("Stop me from the chat client");
    const id = (await answered).headers()["x-message-id"]!;
    await page.waitForFunction(() => (document.querySelector("li.assistant .text")?.textContent ?? "").length > 0);
    await page.click("#stop");
    const { error, shown } = await uiAnswer();
    const { status, steps, total } = await saved(id);
    expect({
      error,
      status,
      stoppedEarly: steps < total,
      prefix: ScriptedModel.answer.startsWith(shown) && shown.length < ScriptedModel.answer.length,
    }).toEqual({ error: undefined, status: "aborted", stoppedEarly: true, prefix: true });
  });

  it("the README's browser snippet, run as written against the demo's /chat, prints the answer and the usage", async () => {
    const readme = await readFile("README.md", "utf8");
    const snippet = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('fetch("/chat"'));
    await page.goto(`${dev.url}/`);
    // The page's module path stands in for the package name; `stop`, `output` and console.log are the snippet's free names.
    const code = snippet!.replace(/^import \{([^}]*)\} from "chat-model-stream";$/m, 'const {$1} = await import("/chat-model-stream.js");');
    const ran = (await page.evaluate(`(async () => {
      const stop = new AbortController();
      const output = document.createElement("div");
      const logged = [];
      const console = { log: (...values) => logged.push(values) };
      ${code}
      return { text: output.textContent, logged };
    })()`)) as { text: string; logged: unknown[][] };
    expect(ran).toEqual({
      text: ScriptedModel.answer,
      logged: [[{ input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number) }]],
    });
  });
});

describe.skipIf(!haveChromium && !requireBrowser)("the demo page's chats in chromium: one answer in a Durable Object, two tabs, a reload, a Stop", () => {
  let profile: string;
  let context: BrowserContext;
  // A slower model than the demo's (about 10 s an answer), so that a reload and a Stop land mid-answer on a busy machine.
  let slow: WranglerDev;

  beforeAll(async () => {
    slow = await startWranglerDev({ MODEL: "scripted", MODEL_DELAY_MS: "100" });
    profile = await mkdtemp(join(tmpdir(), "chat-model-stream-chromium-chats-"));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });

  afterAll(async () => {
    await context?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    await slow?.stop();
  });

  /** The page's answer and status, once its answer pane has more than `after` characters. */
  async function textBeyond(page: Page, after: number): Promise<{ text: string; status: string }> {
    const handle = await page.waitForFunction((length) => {
      const text = document.getElementById("text")!.textContent ?? "";
      return text.length > length && { text, status: document.body.dataset["status"] ?? "" };
    }, after);
    return handle.jsonValue() as Promise<{ text: string; status: string }>;
  }

  /** What a page shows once its status is `status`. */
  async function shown(page: Page, status: string): Promise<{ reasoning: string; text: string; tools: string; link: string }> {
    await page
      .waitForFunction((wanted) => document.body.dataset["status"] === wanted && document.querySelector("#link a") !== null, status, { timeout: 25_000 })
      .catch(async (error: unknown) => {
        // Say what the page showed instead.
        const state = await page.evaluate(() => [document.getElementById("status")!.textContent, document.getElementById("link")!.textContent, document.getElementById("text")!.textContent]);
        throw new Error(`${page.url()} is not "${status}" with a link: ${JSON.stringify(state)}`, { cause: error });
      });
    return page.evaluate(() => ({
      reasoning: document.getElementById("reasoning")!.textContent ?? "",
      text: document.getElementById("text")!.textContent ?? "",
      tools: document.getElementById("tools")!.textContent ?? "",
      link: document.querySelector("#link a")!.textContent ?? "",
    }));
  }

  /** The chat's stored snapshot, from /chats/:id/message. */
  async function stored(id: string): Promise<LogSnapshot> {
    return (await (await fetch(`${slow.url}/chats/${id}/message`)).json()) as LogSnapshot;
  }

  /** A first tab asks `question` at /; a second opens the chat's link (the URL with its hash) and watches it live. */
  async function twoTabs(question: string): Promise<{ first: Page; second: Page; id: string; secondLive: string }> {
    const first = await context.newPage();
    await first.goto(`${slow.url}/`);
    await first.fill("#q", question);
    await first.click("button[type=submit]");
    await textBeyond(first, 0);
    const second = await context.newPage();
    await second.goto(first.url());
    const watching = await textBeyond(second, 0);
    return { first, second, id: chatId(first), secondLive: watching.status };
  }

  let finishedChat: string | undefined;

  it("both tabs stream the same answer; a reload mid-answer resumes it, with no gap and no duplicate", async () => {
    const from = slow.lines.length;
    const { first, second, id, secondLive } = await twoTabs("Two tabs, one answer");
    // A reload of the first tab mid-answer: the page GETs the chat again, replayed, then live.
    await first.reload();
    const resumed = await textBeyond(first, 0);
    const [a, b] = await Promise.all([shown(first, "done"), shown(second, "done")]);
    const ended = await chatEnded(slow, id);
    const expected = await ChatModelStream.from(new ScriptedModel().script("Two tabs, one answer")).output;
    expect({
      secondLive,
      resumedLive: resumed.status,
      first: a,
      second: b,
      stored: (await stored(id)).status,
      // One answer in one object: the model ran once, to its end; nobody started another.
      ran: ended,
      starts: slow.lines.slice(from).filter((line) => line.includes(`chat ${id} started`)).length,
    }).toEqual({
      secondLive: "streaming",
      resumedLive: "streaming",
      first: { reasoning: textOfReasoning(expected), text: ScriptedModel.answer, tools: 'get_weather({"city": "Lisbon", "unit": "celsius"})', link: "stored message (finished)" },
      second: { reasoning: textOfReasoning(expected), text: ScriptedModel.answer, tools: 'get_weather({"city": "Lisbon", "unit": "celsius"})', link: "stored message (finished)" },
      stored: "finished",
      ran: { status: "finished", steps: EVENTS, total: EVENTS },
      starts: 1,
    });
    finishedChat = id;
    await Promise.all([first.close(), second.close()]);
  });

  it("Stop in the other tab stops the model in the object for both tabs; the stored message is aborted, with the text on screen", async () => {
    const { first, second, id } = await twoTabs("Stop me from the other tab");
    await first.reload();
    const resumed = await textBeyond(first, 0);
    await second.click("#stop");
    const [a, b] = await Promise.all([shown(first, "stopped"), shown(second, "stopped")]);
    const ended = await chatEnded(slow, id);
    const record = await stored(id);
    expect({
      resumedLive: resumed.status,
      sameText: a.text === b.text,
      stoppedMidAnswer: a.text.length > 0 && a.text.length < ScriptedModel.answer.length && ScriptedModel.answer.startsWith(a.text),
      model: ended.status,
      stoppedEarly: ended.steps < ended.total,
      stored: record.status,
      storedText: textOf(record.message),
      links: [a.link, b.link],
    }).toEqual({
      resumedLive: "streaming",
      sameText: true,
      stoppedMidAnswer: true,
      model: "aborted",
      stoppedEarly: true,
      stored: "aborted",
      storedText: a.text,
      links: ["stored message (aborted)", "stored message (aborted)"],
    });
    await Promise.all([first.close(), second.close()]);
  });

  it("a connection dropped mid-answer resumes from Last-Event-ID: the whole answer, once", async () => {
    // The page reaches wrangler dev through a TCP proxy that can cut every open connection.
    const proxy = await tcpProxy(new URL(slow.url));
    const page = await context.newPage();
    try {
      const resumes: string[] = [];
      page.on("request", (request) => {
        const last = request.headers()["last-event-id"];
        if (last !== undefined) resumes.push(last);
      });
      await page.goto(`${proxy.url}/`);
      await page.fill("#q", "Drop my connection");
      await page.click("button[type=submit]");
      const before = await textBeyond(page, 0);
      const cut = proxy.drop();
      const { text, link } = await shown(page, "done");
      expect({ before: before.status, cut: cut > 0, text, link, resumed: resumes.length }).toEqual({
        before: "streaming",
        cut: true,
        text: ScriptedModel.answer,
        link: "stored message (finished)",
        resumed: 1,
      });
    } finally {
      await page.close();
      await proxy.close();
    }
  });

  it("an old /shared#<id> link opens the chat at /#<id>", async () => {
    const id = finishedChat ?? "missing";
    const page = await context.newPage();
    await page.goto(`${slow.url}/shared#${id}`);
    const { text } = await shown(page, "done");
    expect({ url: page.url(), text }).toEqual({ url: `${slow.url}/#${id}`, text: ScriptedModel.answer });
    await page.close();
  });
});

/** The reasoning blocks of a message joined, as a reader of `reasoning` saw them. */
function textOfReasoning(message: AIMessage): string {
  if (typeof message.content === "string") return "";
  return message.content.map((block) => (block.type === "reasoning" ? (block as { reasoning: string }).reasoning : "")).join("");
}

/** A TCP proxy on 127.0.0.1 to `target`; `drop()` cuts every connection open now (and says how many). */
async function tcpProxy(target: URL): Promise<{ url: string; drop(): number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      open.add(from);
      from.pipe(to);
      from.on("error", () => to.destroy());
      from.on("close", () => {
        open.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    drop: () => {
      const count = open.size / 2;
      for (const socket of open) socket.resetAndDestroy();
      return count;
    },
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
