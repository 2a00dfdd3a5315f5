/**
 * The demo page: plain HTML and one small inline module. It fetches `/chat` (our SSE of protocol
 * events) and reads it with the package's own client, `fromResponse`, from `/chat-model-stream.js`
 * (src/index.ts bundled for the browser by `npm run build:demo`, served as a static asset). It shows
 * reasoning, text and tool calls live in their own panes and the usage at the end. Stop aborts the
 * fetch, which aborts the Worker's `request.signal` and so stops the model; the link to the saved
 * message appears once the Worker saved it.
 */
const SCRIPT = String.raw`
import { fromResponse } from "/chat-model-stream.js";

const $ = (id) => document.getElementById(id);
let controller;

$("ask").addEventListener("submit", async (e) => {
  e.preventDefault();
  controller?.abort();
  const current = (controller = new AbortController());
  for (const id of ["reasoning", "text", "tools", "usage", "link"]) $(id).textContent = "";
  setStatus("streaming");
  $("stop").disabled = false;
  let id = null;
  try {
    const response = await fetch("/chat?q=" + encodeURIComponent($("q").value), { signal: current.signal });
    id = response.headers.get("x-message-id");
    // A refusal (429, 502) is not a stream: fromResponse fails with its status and message.
    const stream = fromResponse(response, { signal: current.signal });
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
    if (controller === current) setStatus(error.name === "AbortError" ? "stopped" : "failed: " + error.message);
  } finally {
    if (controller === current) $("stop").disabled = true;
  }
  if (id) await linkWhenSaved(id, current);
});

$("stop").addEventListener("click", () => controller?.abort());

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

/** The Worker saves the message after the response (ctx.waitUntil): ask until it is there. */
async function linkWhenSaved(id, asked) {
  const deadline = Date.now() + 15000;
  // Until it is saved, or a later question replaced this one.
  while (Date.now() < deadline && controller === asked) {
    const reply = await fetch("/messages/" + encodeURIComponent(id));
    if (reply.ok) {
      const saved = await reply.json();
      const a = Object.assign(document.createElement("a"), { href: "/messages/" + id, textContent: "saved message (" + saved.status + ")" });
      $("link").append(a);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
`;

/** The panes' style, shared with the /shared page (shared-page.ts). */
export const PANES_CSS: string = `
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
${PANES_CSS}
  .wide { grid-column: 1 / -1; }
  .tool { font-family: ui-monospace, monospace; }
  footer { margin-top: .8rem; color: #666; display: flex; gap: 1.5rem; }
</style>
</head>
<body>
<h1>chat-model-stream</h1>
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
