/**
 * The demo page: plain HTML and one small inline module. Every answer runs in a Durable Object
 * (shared-chat.ts): Ask picks a new chat id, puts it in the URL's hash and POSTs `/chats/:id`,
 * which starts the answer in the chat's object and streams it; the page reads it with the package's
 * own client, `fromResponse`, from `/chat-model-stream.js` (src/index.ts bundled for the browser by
 * `npm run build:demo`, served as a static asset), which reconnects after a dropped connection
 * with `Last-Event-ID`. The URL is the chat: another tab that opens it, or this one reloaded, GETs
 * `/chats/:id` and gets the answer from its start, then live. Stop POSTs `/chats/:id/stop`, which
 * stops the model in the object for every tab. The page shows reasoning, text and tool calls live
 * in their own panes, the usage at the end, and a link to the stored message.
 */
const SCRIPT = String.raw`
import { fromResponse } from "/chat-model-stream.js";

const $ = (id) => document.getElementById(id);
/** The current view's controller: a new question or another chat id replaces the view. */
let view;

const chatUrl = (id) => "/chats/" + encodeURIComponent(id);

/** Shows chat id: starts it with question, or watches it (another tab, a reload). */
async function watch(id, question) {
  view?.abort();
  const current = (view = new AbortController());
  for (const pane of ["reasoning", "text", "tools", "usage", "link"]) $(pane).textContent = "";
  setStatus("streaming");
  $("stop").disabled = false;
  const url = chatUrl(id);
  try {
    const first = question === undefined
      ? fetch(url, { signal: current.signal })
      : fetch(url + "?q=" + encodeURIComponent(question), { method: "POST", signal: current.signal });
    // A refusal (404 for a chat that expired, 501 without the binding) is not a stream: fromResponse
    // fails with its status and message. A dropped connection is resumed after the last event read.
    const stream = fromResponse(await first, {
      signal: current.signal,
      reconnect: { fetch: (last) => fetch(url, { headers: last ? { "last-event-id": last } : {}, signal: current.signal }) },
    });
    // Read the projections side by side: one left unread would hold the others back.
    await Promise.all([
      appendAll(stream.reasoning, $("reasoning")),
      appendAll(stream.text, $("text")),
      showToolCalls(stream.toolCalls),
    ]);
    const message = await stream.output;
    const u = message.usage_metadata;
    $("usage").textContent = u ? u.input_tokens + " in · " + u.output_tokens + " out · " + u.total_tokens + " total tokens" : "no usage reported";
    const reason = message.response_metadata.finish_reason;
    setStatus("done" + (reason ? " (" + reason + ")" : ""));
  } catch (error) {
    // A question asked again aborts this one: the new one owns the status line.
    if (view === current) setStatus(error.code === "aborted" || error.name === "AbortError" ? "stopped" : "failed: " + error.message);
  } finally {
    if (view === current) $("stop").disabled = true;
  }
  if (view === current) await linkStored(id, current);
}

async function appendAll(projection, element) {
  for await (const delta of projection) element.append(delta);
}

async function showToolCalls(projection) {
  const calls = [];
  for await (const chunk of projection) {
    let call = calls[chunk.index];
    if (call === undefined) {
      call = calls[chunk.index] = document.createElement("div");
      call.className = "tool";
      call.append(Object.assign(document.createElement("b"), { textContent: chunk.name || "tool" }), "(", "", ")");
      $("tools").append(call);
    }
    call.childNodes[2].textContent += chunk.args ?? "";
  }
}

function setStatus(text) {
  $("status").textContent = text;
  document.body.dataset.status = text.split(/[ :]/)[0];
}

/** Links the chat's stored message once its object has it (it stores the end before it sends it); a failed fetch is tried again. */
async function linkStored(id, asked) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && view === asked) {
    const stored = await fetch(chatUrl(id) + "/message").then((reply) => (reply.ok ? reply.json() : null), () => ({ status: "running" }));
    if (stored === null) return;
    if (stored.status !== "running") {
      const a = Object.assign(document.createElement("a"), { href: chatUrl(id) + "/message", textContent: "stored message (" + stored.status + ")" });
      $("link").append(a);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

$("ask").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = crypto.randomUUID();
  history.replaceState(null, "", "#" + id);
  $("share").href = location.href;
  void watch(id, $("q").value);
});

// Stop reaches the model in the chat's object, whichever tab (or device) presses it.
$("stop").addEventListener("click", () => {
  const id = location.hash.slice(1);
  if (id) void fetch(chatUrl(id) + "/stop", { method: "POST" });
});

function watchHash() {
  const id = location.hash.slice(1);
  if (!id) return;
  $("share").href = location.href;
  void watch(id);
}
window.addEventListener("hashchange", watchHash);
watchHash();
`;

const STYLE = `
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  form { display: flex; gap: .5rem; }
  input { flex: 1; padding: .4rem .6rem; font: inherit; }
  button { font: inherit; padding: .4rem 1rem; }
  .panes { display: grid; grid-template-columns: 1fr 2fr; gap: 1rem; margin-top: 1rem; }
  section { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .8rem; min-height: 6rem; }
  section h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #888; margin: 0 0 .3rem; }
  #reasoning { color: #666; font-style: italic; white-space: pre-wrap; }
  #text { white-space: pre-wrap; }`;

/** The whole page. */
export const PAGE: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chat-model-stream demo</title>
<style>
${STYLE}
  .wide { grid-column: 1 / -1; }
  .tool { font-family: ui-monospace, monospace; }
  footer { margin-top: .8rem; color: #666; display: flex; gap: 1.5rem; }
</style>
</head>
<body>
<h1>chat-model-stream</h1>
<p>Each answer runs in a Durable Object: open <a id="share" href="#">this chat's link</a> in another tab, reload mid-answer, or press Stop in either tab.
(<code>/chat</code> and <code>/text</code> are the plain, single-connection endpoints: see the README.)</p>
<form id="ask">
  <input id="q" name="q" value="How do I stream a chat answer on the edge?" aria-label="Question">
  <button type="submit">Ask</button>
  <button type="button" id="stop" disabled>Stop</button>
</form>
<div class="panes">
  <section><h2>Reasoning</h2><div id="reasoning"></div></section>
  <section><h2>Answer</h2><div id="text"></div></section>
  <section class="wide"><h2>Tool calls</h2><div id="tools"></div></section>
</div>
<footer><span id="status">ready</span><span id="usage"></span><span id="link"></span></footer>
<script type="module">${SCRIPT}</script>
</body>
</html>
`;
