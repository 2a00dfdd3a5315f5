/**
 * The demo page: plain HTML and one small inline script, no build step. It fetches `/chat` (our
 * SSE of protocol events), shows reasoning, text and tool calls live in their own panes and the
 * usage at the end; Stop aborts the fetch, which aborts the Worker's `request.signal` and so stops
 * the model. The script reads only this Worker's own SSE (LF line ends, one `data:` line per
 * message), so a dozen lines parse it; a client of any SSE should use `fromResponse`.
 */
const SCRIPT = String.raw`
const $ = (id) => document.getElementById(id);
let controller;

$("ask").addEventListener("submit", async (e) => {
  e.preventDefault();
  controller?.abort();
  controller = new AbortController();
  for (const id of ["reasoning", "text", "tools", "usage", "link"]) $(id).textContent = "";
  setStatus("streaming");
  $("stop").disabled = false;
  try {
    const response = await fetch("/chat?q=" + encodeURIComponent($("q").value), { signal: controller.signal });
    const id = response.headers.get("x-message-id");
    if (id) showLink(id);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const data = buffer.slice(0, end).split("\n").find((line) => line.startsWith("data: "));
        buffer = buffer.slice(end + 2);
        if (data) onEvent(JSON.parse(data.slice(6)));
      }
    }
  } catch (error) {
    setStatus(error.name === "AbortError" ? "stopped" : "failed: " + error.message);
  } finally {
    $("stop").disabled = true;
  }
});

$("stop").addEventListener("click", () => controller?.abort());

const tools = [];
function onEvent(ev) {
  if (ev.event === "content-block-start" && ev.content.type === "tool_call_chunk") {
    const el = document.createElement("div");
    el.className = "tool";
    el.append(Object.assign(document.createElement("b"), { textContent: ev.content.name || "tool" }), "(", "", ")");
    $("tools").append(el);
    tools[ev.index] = el;
  } else if (ev.event === "content-block-delta") {
    const d = ev.delta;
    if (d.type === "reasoning-delta" || d.type === "reasoning") $("reasoning").append(d.reasoning ?? "");
    else if (d.type === "text-delta" || d.type === "text") $("text").append(d.text ?? "");
    else if ((d.type === "tool_call_chunk" || d.type === "tool-call-delta") && tools[ev.index]) {
      const args = tools[ev.index].childNodes[2];
      args.textContent += d.args ?? "";
    }
  } else if (ev.event === "message-finish") {
    const u = ev.usage;
    $("usage").textContent = u ? u.input_tokens + " in · " + u.output_tokens + " out · " + u.total_tokens + " total tokens" : "no usage reported";
    setStatus("done" + (ev.reason ? " (" + ev.reason + ")" : ""));
  } else if (ev.event === "error") {
    setStatus("failed: " + ev.message);
  }
}

function setStatus(text) {
  $("status").textContent = text;
  document.body.dataset.status = text.split(/[ :]/)[0];
}

function showLink(id) {
  const a = Object.assign(document.createElement("a"), { href: "/messages/" + id, textContent: "saved message" });
  $("link").append(a);
}
`;

/** The whole page. */
export const PAGE: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chat-model-stream demo</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  form { display: flex; gap: .5rem; }
  input { flex: 1; padding: .4rem .6rem; font: inherit; }
  button { font: inherit; padding: .4rem 1rem; }
  .panes { display: grid; grid-template-columns: 1fr 2fr; gap: 1rem; margin-top: 1rem; }
  section { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .8rem; min-height: 6rem; }
  section h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #888; margin: 0 0 .3rem; }
  #reasoning { color: #666; font-style: italic; white-space: pre-wrap; }
  #text { white-space: pre-wrap; }
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
