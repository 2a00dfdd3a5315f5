/** The /ui page: a form and the messages, driven by public/ui-chat.js (examples/worker/ui-chat.ts). */
export const UI_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>chat-model-stream with the AI SDK's chat client</title>
  <style>
    body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
    li { list-style: none; margin: .5rem 0; }
    li.user { color: #555; }
    .reasoning { color: #777; font-style: italic; }
    [class^="tool-"] { font-family: ui-monospace, monospace; }
    #error { color: #b00; }
  </style>
</head>
<body data-status="ready">
  <h1>The AI SDK's chat client, fed by this Worker</h1>
  <p>The messages below are assembled by the <code>ai</code> package's <code>AbstractChat</code> and
  <code>DefaultChatTransport</code> (what <code>useChat</code> runs) from <code>/ui-chat</code>, which
  answers with <code>toResponse(stream, { format: "ui-message-stream" })</code>.</p>
  <form id="form">
    <input id="q" value="How do I stream a chat answer on the edge?" size="50">
    <button type="submit">Send</button>
    <button type="button" id="stop" disabled>Stop</button>
  </form>
  <ul id="messages"></ul>
  <p id="error"></p>
  <script type="module" src="/ui-chat.js"></script>
</body>
</html>
`;
