/**
 * `/shared`: the demo chat on a Durable Object. The chat id is the URL's hash, so the URL is the
 * chat: open it in a second tab and both stream the same answer; reload and the answer resumes
 * (replayed, then live); Stop in any tab stops it for all. The page reads `/chats/:id` with the
 * package's `fromResponse`, which reconnects after a dropped connection from the last event id.
 */
import { PANES_CSS } from "./page.ts";

const SCRIPT = String.raw`
import { fromResponse } from "/chat-model-stream.js";

const $ = (id) => document.getElementById(id);
/** The current view's controller: a new question or another chat id replaces the view. */
let view;

async function watch(id, question) {
  view?.abort();
  const current = (view = new AbortController());
  for (const pane of ["reasoning", "text"]) $(pane).textContent = "";
  setStatus("streaming");
  $("stop").disabled = false;
  const url = "/chats/" + encodeURIComponent(id);
  try {
    const first = question === undefined
      ? fetch(url, { signal: current.signal })
      : fetch(url + "?q=" + encodeURIComponent(question), { method: "POST", signal: current.signal });
    const stream = fromResponse(await first, {
      signal: current.signal,
      reconnect: { fetch: (last) => fetch(url, { headers: last ? { "last-event-id": last } : {}, signal: current.signal }) },
    });
    await Promise.all([appendAll(stream.reasoning, $("reasoning")), appendAll(stream.text, $("text"))]);
    const message = await stream.output;
    setStatus("done" + (message.response_metadata.finish_reason ? " (" + message.response_metadata.finish_reason + ")" : ""));
  } catch (error) {
    if (view === current) setStatus(error.code === "aborted" || error.name === "AbortError" ? "stopped" : "failed: " + error.message);
  } finally {
    if (view === current) $("stop").disabled = true;
  }
}

async function appendAll(projection, element) {
  for await (const delta of projection) element.append(delta);
}

function setStatus(text) {
  $("status").textContent = text;
  document.body.dataset.status = text.split(/[ :]/)[0];
}

$("ask").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = crypto.randomUUID();
  history.replaceState(null, "", "#" + id);
  $("share").href = location.href;
  void watch(id, $("q").value);
});

$("stop").addEventListener("click", () => {
  const id = location.hash.slice(1);
  if (id) void fetch("/chats/" + encodeURIComponent(id) + "/stop", { method: "POST" });
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

/** The whole page. */
export const SHARED_PAGE: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chat-model-stream: a shared chat</title>
<style>
${PANES_CSS}
  footer { margin-top: .8rem; color: #666; display: flex; gap: 1.5rem; }
</style>
</head>
<body>
<h1>A shared chat</h1>
<p>The answer runs in a Durable Object: open <a id="share" href="#">this chat's link</a> in another tab, reload, or press Stop anywhere.</p>
<form id="ask">
  <input id="q" name="q" value="How do I stream a chat answer on the edge?" aria-label="Question">
  <button type="submit">Ask</button>
  <button type="button" id="stop" disabled>Stop</button>
</form>
<div class="panes">
  <section><h2>Reasoning</h2><div id="reasoning"></div></section>
  <section><h2>Answer</h2><div id="text"></div></section>
</div>
<footer><span id="status">ready</span></footer>
<script type="module">${SCRIPT}</script>
</body>
</html>
`;
