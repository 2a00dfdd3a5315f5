// The package in a browser bundle: `lib: ["ES2022", "DOM"]` without DOM.AsyncIterable, bundler
// resolution, `skipLibCheck: false`. Each `@ts-expect-error` fails the type check if the type
// below it decays to `any`. Bundled with esbuild; the test imports the bundle and calls `render`.
import { fromResponse, hasPartial, type AIMessage, type UsageMetadata } from "chat-model-stream";

/** What a page appends text to (an element, or anything with `append`). */
export interface Output {
  append(text: string): void;
}

/** Reads a chat response (SSE or NDJSON from `toResponse`) into `output`; resolves to the usage. */
export async function render(response: Response, output: Output, stop?: AbortSignal): Promise<UsageMetadata | undefined> {
  const stream = fromResponse(response, { signal: stop });
  for await (const text of stream.text) {
    output.append(text);
    // @ts-expect-error a text delta is a string (fails if the iterator yields `any`)
    const n: number = text;
    void n;
  }
  try {
    const message: AIMessage = await stream.output;
    // @ts-expect-error the message's content is a string or blocks, never a number
    const n: number = message.content;
    void n;
  } catch (error) {
    if (hasPartial(error)) output.append(` [stopped: ${error.partial.content.length} blocks]`);
    else throw error;
  }
  return await stream.usage;
}

/** Type checks only: never called. */
export function typeChecks(response: Response): Promise<string> {
  // @ts-expect-error render resolves to the usage, not a string
  return render(response, { append() {} });
}

if (typeof document !== "undefined") {
  const form = document.querySelector("form");
  const out = document.querySelector("output");
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    const stop = new AbortController();
    void fetch("/chat", { method: "POST", body: new FormData(form), signal: stop.signal }).then((response) =>
      render(response, out ?? document.body, stop.signal),
    );
  });
}
