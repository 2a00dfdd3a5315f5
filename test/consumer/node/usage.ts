// The package as a Node 20 user installs it from its tarball, typed by @types/node alone (no DOM
// library) with `skipLibCheck: false`. Each `@ts-expect-error` fails the type check if the type
// below it decays to `any`. Compiled by tsc, then run under Node, Deno and Bun: it throws on
// any wrong value and prints one line at the end.
import {
  ChatModelStream,
  fromBedrock,
  fromGemini,
  fromOllama,
  fromOpenAIChat,
  fromResponse,
  fromWorkersAI,
  PartialJSON,
  smooth,
  type JSONValue,
  type PartialToolCall,
  hasPartial,
  HTTPError,
  Projection,
  TextDeltaStream,
  toResponse,
  type AIMessage,
  type ChatModelStreamOptions,
  type ChatModelStreamState,
  type ErrorCode,
  type ProtocolEvent,
  type ToolCall,
  type UsageMetadata,
} from "chat-model-stream";

const events: ProtocolEvent[] = [
  { event: "message-start", id: "m1", metadata: { provider: "openai", model: "gpt-4.1" } },
  { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
  { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "lo" } },
  { event: "content-block-finish", index: 0, content: { type: "text", text: "Hello" } },
  { event: "content-block-start", index: 1, content: { type: "tool_call_chunk", id: "c1", name: "add", args: "" } },
  { event: "content-block-delta", index: 1, delta: { type: "tool_call_chunk", args: '{"a":1}' } },
  { event: "message-finish", reason: "tool_calls", usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } },
];

let checks = 0;
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`consumer check failed: ${what}`);
  checks += 1;
}

// Awaiting a projection gives its final value, typed.
const text: string = await ChatModelStream.from(events).text;
check(text === "Hello", "await stream.text");
// @ts-expect-error a projection awaits to a string, not a number (fails if the type is `any`)
const notNumber: number = await ChatModelStream.from(events).text;
check(typeof notNumber === "string", "the value under @ts-expect-error is the text");

const calls: ToolCall[] = await ChatModelStream.from(events).toolCalls;
check(calls.length === 1 && calls[0]?.name === "add" && calls[0].args["a"] === 1, "await stream.toolCalls");
const usage: UsageMetadata | undefined = await ChatModelStream.from(events).usage;
check(usage?.total_tokens === 5, "await stream.usage");

// Iterating a projection yields its delta type.
const deltas: string[] = [];
for await (const delta of ChatModelStream.from(events).text) {
  deltas.push(delta);
  // @ts-expect-error a text delta is a string (fails if the iterator yields `any`)
  const n: number = delta;
  void n;
}
check(deltas.join("") === "Hello", "for await over stream.text");
const iterator: AsyncIterableIterator<string> = ChatModelStream.from(events).text.values();
const first = await iterator.next();
check(first.done === false && "Hello".startsWith(first.value), "values() is an AsyncIterableIterator<string>");
await iterator.return?.();

for await (const event of ChatModelStream.from(events)) {
  // @ts-expect-error an event is a ProtocolEvent, its `event` a string union
  const n: number = event.event;
  void n;
}

// A projection is a ReadableStream (and a Projection) at runtime.
const projection = ChatModelStream.from(events).text;
check(projection instanceof Projection, "instanceof Projection");
check(projection instanceof ReadableStream, "instanceof ReadableStream");
await projection.cancel();
export function construct(): unknown {
  // @ts-expect-error projections are made by the stream's getters, not constructed
  return new Projection();
}

// exactOptionalPropertyTypes: every optional option accepts `undefined`.
const maybeSignal: AbortSignal | undefined = undefined;
const options: ChatModelStreamOptions = { signal: maybeSignal, messageId: undefined, idleTimeoutMs: undefined };
const message: AIMessage = await ChatModelStream.from(events, options).output;
check(message.id === "m1" && message.response_metadata["finish_reason"] === "tool_calls", "await stream.output");

// Bytes out and back in.
const response = toResponse(ChatModelStream.from(events), { format: "sse", headers: undefined, heartbeatMs: undefined });
check(response.headers.get("content-type") === "text/event-stream", "toResponse content-type");
check((await fromResponse(response).text) === "Hello", "fromResponse(toResponse(...)).text");
const piped = ChatModelStream.from(events).events.pipeThrough(new TextDeltaStream());
let pipedText = "";
for await (const chunk of piped) pipedText += chunk;
check(pipedText === "Hello", "events.pipeThrough(new TextDeltaStream())");

// A cancelled stream's error carries the message so far, reachable through hasPartial.
const stopped = new ChatModelStream();
stopped.dispatch(events[0]!);
stopped.dispatch(events[1]!);
stopped.dispatch(events[2]!);
await stopped.aclose();
const error: unknown = await stopped.output.then(
  () => undefined,
  (e: unknown) => e,
);
// @ts-expect-error an unknown error has no `partial` until hasPartial says so
void error.partial;
check(hasPartial(error), "hasPartial(AbortError)");
if (hasPartial(error)) {
  check(error.name === "AbortError", "the cancellation is an AbortError");
  const partial: AIMessage = error.partial;
  check(JSON.stringify(partial.content).includes("Hel"), "partial holds the text so far");
}
check(!hasPartial(new Error("plain")) && !hasPartial(undefined), "hasPartial(other values) is false");

// `await using` closes the stream at the end of the scope.
let scoped: ChatModelStream | undefined;
{
  await using stream = ChatModelStream.from(events);
  scoped = stream;
  check((await stream.text) === "Hello", "await using");
}
check(scoped.signal.aborted === false, "a finished stream stays a success after await using");

// A producer shaped like a ReadableStream's underlying source, with a cancel hook.
let pulledEvents = 0;
const reasons: unknown[] = [];
const pulled = new ChatModelStream({
  pull(controller) {
    const next = events[pulledEvents++];
    if (next === undefined) controller.close();
    else controller.enqueue(next);
  },
  cancel(reason) {
    reasons.push(reason);
  },
});
check((await pulled.text) === "Hello" && reasons.length === 0, "new ChatModelStream({ pull, cancel })");
const state: ChatModelStreamState = pulled.state;
check(state === "finished", "state");
// @ts-expect-error state is a string union (fails if it is `any`)
const stateNumber: number = pulled.state;
void stateNumber;

// Every error carries its code; HTTPError says whether and when to retry.
const refused = await fromOpenAIChat(new Response("{}", { status: 429, headers: { "retry-after": "2" } })).output.then(
  () => undefined,
  (e: unknown) => e,
);
check(HTTPError.isInstance(refused), "HTTPError.isInstance");
if (HTTPError.isInstance(refused)) {
  const code: ErrorCode = refused.code;
  check(code === "http" && refused.isRetryable && refused.retryAfterMs === 2000, "HTTPError code, isRetryable, retryAfterMs");
  // @ts-expect-error retryAfterMs is a number or undefined (fails if it is `any`)
  const retryText: string = refused.retryAfterMs;
  void retryText;
}

// Values that grow: tool calls and JSON as parsed so far.
const growing: PartialToolCall[] = [];
for await (const call of ChatModelStream.from(events).partialToolCalls) growing.push(structuredClone(call));
check(growing.at(-1)?.name === "add" && JSON.stringify(growing.at(-1)?.args) === '{"a":1}', "partialToolCalls");
const finalCalls: ToolCall[] = await ChatModelStream.from(events).partialToolCalls;
check(finalCalls.length === 1, "await partialToolCalls is the tool calls");
const parser = new PartialJSON();
const grown: JSONValue | undefined = parser.push('{"items": [1, 2');
check(JSON.stringify(grown) === '{"items":[1,2]}', "PartialJSON.push");
// @ts-expect-error a JSON value is not a function (fails if it is `any`)
void (() => grown());

// The other providers' readers and the wire formats of other ecosystems.
const readers: ((input: Response) => ChatModelStream)[] = [fromGemini, fromBedrock, fromOllama, fromWorkersAI];
check(readers.every((read) => typeof read === "function"), "fromGemini, fromBedrock, fromOllama, fromWorkersAI");
for (const format of ["ui-message-stream", "openai-chat", "anthropic", "ag-ui"] as const) {
  const body = await toResponse(ChatModelStream.from(events), { format }).text();
  check(body.includes("Hel"), `toResponse format ${format}`);
}
// @ts-expect-error an unknown format is a type error (fails if the option is `any`)
void (() => toResponse(ChatModelStream.from(events), { format: "xml" }));
const smoothed: TransformStream<ProtocolEvent, ProtocolEvent> = smooth({ delayMs: 0 });
check((await ChatModelStream.from(ChatModelStream.from(events).events.pipeThrough(smoothed)).text) === "Hello", "smooth()");

console.log(`consumer node: ${checks} checks passed`);
