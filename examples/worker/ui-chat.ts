/**
 * The demo's second page, /ui: a chat driven by the AI SDK's own client code, `AbstractChat` with
 * `DefaultChatTransport` (what `useChat` runs, without React), against the Worker's /ui-chat, which
 * answers with `toResponse(stream, { format: "ui-message-stream" })`. Bundled for the browser into
 * public/ui-chat.js by `npm run build:demo`.
 *
 * The chat's state is plain arrays here; every change re-renders the messages. The chat is on
 * `window.chat` for the browser test, which compares its message parts with the Worker's output.
 */
import { AbstractChat, DefaultChatTransport, type ChatState, type ChatStatus, type UIMessage } from "ai";

/** The chat's state, kept in plain arrays; `onChange` runs after every change. */
class PlainState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  pushMessage = (message: UIMessage): void => {
    this.messages = [...this.messages, message];
    this.#onChange();
  };

  popMessage = (): void => {
    this.messages = this.messages.slice(0, -1);
    this.#onChange();
  };

  replaceMessage = (index: number, message: UIMessage): void => {
    this.messages = this.messages.map((m, i) => (i === index ? message : m));
    this.#onChange();
  };

  snapshot = <T>(thing: T): T => structuredClone(thing);
}

/** The smallest subclass: the state above, and the transport `useChat` uses by default. */
class Chat extends AbstractChat<UIMessage> {
  constructor(onChange: () => void) {
    super({ state: new PlainState(onChange), transport: new DefaultChatTransport({ api: "/ui-chat" }) });
  }

  protected override setStatus(update: { status: ChatStatus; error?: Error }): void {
    super.setStatus(update);
    render();
  }
}

const $ = (id: string): HTMLElement => document.getElementById(id)!;

function render(): void {
  const chat = (globalThis as { chat?: Chat }).chat;
  if (chat === undefined) return;
  document.body.dataset["status"] = chat.status;
  const list = $("messages");
  list.textContent = "";
  for (const message of chat.messages) {
    const item = document.createElement("li");
    item.className = message.role;
    for (const part of message.parts) {
      const line = document.createElement("div");
      line.className = part.type;
      if (part.type === "text" || part.type === "reasoning") line.textContent = part.text;
      else if (part.type.startsWith("tool-")) line.textContent = `${part.type.slice(5)}(${JSON.stringify((part as { input?: unknown }).input ?? {})})`;
      else continue;
      item.append(line);
    }
    list.append(item);
  }
  $("error").textContent = chat.error?.message ?? "";
  ($("stop") as HTMLButtonElement).disabled = chat.status !== "streaming" && chat.status !== "submitted";
}

const chat = new Chat(render);
(globalThis as { chat?: Chat }).chat = chat;

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("q") as HTMLInputElement;
  void chat.sendMessage({ text: input.value });
});
$("stop").addEventListener("click", () => void chat.stop());
render();
