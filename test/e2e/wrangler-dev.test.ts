// The example Worker as `npm start` serves it: `wrangler dev` on a free localhost port, reached over
// real HTTP (where Miniflare would gzip, and so buffer, a body without the right headers) and by a
// real browser, Debian's chromium driven by playwright-core. The "browser" vitest project, Node only.
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedModel } from "../../examples/worker/scripted-model.ts";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev.ts";
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
  function whenTextAppears(): Promise<{ status: string; text: string }> {
    return page
      .waitForFunction(() => {
        const text = document.getElementById("text")!.textContent ?? "";
        return text.length > 0 && { status: document.body.dataset["status"] ?? "", text };
      })
      .then((handle) => handle.jsonValue() as Promise<{ status: string; text: string }>);
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
    // The screenshot for the README (SCREENSHOT=examples/worker/screenshot.png, npm run screenshot).
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

  it("Stop aborts the fetch, and the model stops", async () => {
    await ask("Stop me");
    await whenTextAppears();
    await page.click("#stop");
    await page.waitForFunction(() => document.body.dataset["status"] === "stopped");
    const href = (await page.getAttribute("#link a", "href"))!;
    const log = await saved(href.slice("/messages/".length));
    const record = (await (await fetch(`${dev.url}${href}`)).json()) as { status: string };
    expect({ logged: log.status, stored: record.status, stoppedEarly: log.steps < log.total }).toEqual({
      logged: "aborted",
      stored: "aborted",
      stoppedEarly: true,
    });
  });
});
