/**
 * The benchmark cases. Each takes the workload and returns a value derived from the result (a
 * length), so no work can be skipped and a wrong result shows up as a mismatch.
 */
import { ChatModelStream as LangChainStream } from "@langchain/core/language_models/stream";
import { jsonSchema, streamText, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { ChatModelStream } from "../src/index.ts";
import { adapterText, eventsourceParserText, ourParserText } from "./sse.ts";
import { bedrockFloorText, bedrockText } from "./bedrock.ts";
import { iterate, readableOf, type Workload } from "./workload.ts";

export interface Case {
  name: string;
  group: "floor" | "baseline" | "ours" | "langchain" | "ai-sdk" | "sse";
  /** The LangChain.js case (or, for the SSE path, the eventsource-parser case) it is compared with. */
  versus?: string;
  /** The largest N it runs at (the AI SDK's cost per event grows with N: 172 µs at 1M, once). */
  maxN?: number;
  run(w: Workload): Promise<number>;
}

async function drain(stream: ReadableStream<unknown>): Promise<number> {
  const reader = stream.getReader();
  let count = 0;
  while (!(await reader.read()).done) count++;
  return count;
}

async function drainIterable(iterable: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of iterable) count++;
  return count;
}

/** The same accumulation as a plain loop: the floor no streaming design can beat. */
function floor(w: Workload): number {
  const text: string[] = [];
  const reasoning: string[] = [];
  let args = "";
  let usage: unknown;
  for (const ev of w.events as unknown as Record<string, any>[]) {
    if (ev["event"] === "content-block-delta") {
      const d = ev["delta"];
      if (d.type === "text-delta") text.push(d.text);
      else if (d.type === "reasoning-delta") reasoning.push(d.reasoning);
      else if (d.type === "tool-call-delta") args += d.args;
    } else if (ev["event"] === "usage" || ev["event"] === "message-finish") usage = ev["usage"] ?? usage;
  }
  return text.join("").length + reasoning.join("").length + Object.keys(JSON.parse(args)).length + (usage ? 0 : 1);
}

/** The literal design: the source tee()d into four branches, each through its own TransformStream. */
async function teeDesign(w: Workload): Promise<number> {
  const [a, rest1] = readableOf(w.events).tee();
  const [b, rest2] = rest1.tee();
  const [c, d] = rest2.tee();
  const project = (branch: ReadableStream<any>, pick: (ev: any) => unknown): ReadableStream<unknown> =>
    branch.pipeThrough(
      new TransformStream({
        transform(ev, controller) {
          const out = pick(ev);
          if (out !== undefined) controller.enqueue(out);
        },
      }),
    );
  const counts = await Promise.all([
    drain(project(a, (ev) => (ev.delta?.type === "text-delta" ? ev.delta.text : undefined))),
    drain(project(b, (ev) => (ev.delta?.type === "reasoning-delta" ? ev.delta.reasoning : undefined))),
    drain(project(c, (ev) => (ev.delta?.type === "tool-call-delta" ? ev.delta : undefined))),
    drain(project(d, (ev) => ev.usage)),
  ]);
  return counts.reduce((x, y) => x + y, 0);
}

/** Every projection read at once with `for await`, as the LangChain.js case reads its own. */
function allOfOurs(stream: ChatModelStream): Promise<number> {
  const all = [stream.text, stream.reasoning, stream.toolCalls, stream.usage, stream.output];
  return Promise.all(all.map((projection) => drainIterable(projection))).then((counts) => counts.reduce((x, y) => x + y, 0));
}

function aiSdkModel(w: Workload): MockLanguageModelV3 {
  return new MockLanguageModelV3({ doStream: async () => ({ stream: readableOf(w.aiSdkParts as never[]) }) });
}

const tools = { search: tool({ inputSchema: jsonSchema<{ query: string }>({ type: "object", properties: { query: { type: "string" } } }) }) };

export const cases: Case[] = [
  { name: "floor: plain loop", group: "floor", run: async (w) => floor(w) },
  { name: "literal design: tee×4 + TransformStream", group: "baseline", run: teeDesign },
  {
    name: "ours: await text (async generator)",
    group: "ours",
    versus: "langchain: await text",
    run: async (w) => (await ChatModelStream.from(iterate(w.events)).text).length,
  },
  {
    name: "ours: await text (push dispatch)",
    group: "ours",
    versus: "langchain: await text",
    run: async (w) => {
      const stream = new ChatModelStream();
      const text = stream.text.then((t) => t.length);
      for (const ev of w.events) stream.dispatch(ev);
      return text;
    },
  },
  {
    name: "ours: await text (from readable)",
    group: "ours",
    run: async (w) => (await ChatModelStream.from(readableOf(w.events)).text).length,
  },
  {
    name: "ours: text for await (async generator)",
    group: "ours",
    versus: "langchain: text iterated",
    run: (w) => drainIterable(ChatModelStream.from(iterate(w.events)).text),
  },
  { name: "ours: text getReader() (async generator)", group: "ours", run: (w) => drain(ChatModelStream.from(iterate(w.events)).text) },
  { name: "ours: text getReader() (from readable)", group: "ours", run: (w) => drain(ChatModelStream.from(readableOf(w.events)).text) },
  {
    name: "ours: all projections read (async generator)",
    group: "ours",
    versus: "langchain: all projections",
    run: (w) => allOfOurs(ChatModelStream.from(iterate(w.events))),
  },
  { name: "ours: all projections read (from readable)", group: "ours", run: (w) => allOfOurs(ChatModelStream.from(readableOf(w.events))) },
  { name: "ours: await output (from readable)", group: "ours", run: async (w) => (await ChatModelStream.from(readableOf(w.events)).output).tool_calls.length },
  { name: "langchain: await text", group: "langchain", run: async (w) => (await new LangChainStream(iterate(w.events as never[])).text).length },
  {
    name: "langchain: text iterated",
    group: "langchain",
    run: (w) => drainIterable(new LangChainStream(iterate(w.events as never[])).text),
  },
  {
    name: "langchain: all projections",
    group: "langchain",
    run: async (w) => {
      const stream = new LangChainStream(iterate(w.events as never[]));
      const counts = await Promise.all([
        drainIterable(stream.text),
        drainIterable(stream.reasoning),
        drainIterable(stream.toolCalls),
        drainIterable(stream.usage),
        stream.output.then((m) => m.content.length),
      ]);
      return counts.reduce((x, y) => x + y, 0);
    },
  },
  {
    name: "ai-sdk: await text",
    group: "ai-sdk",
    maxN: 100_000,
    run: async (w) => (await streamText({ model: aiSdkModel(w), prompt: "bench", tools }).text).length,
  },
  {
    name: "ai-sdk: textStream + fullStream",
    group: "ai-sdk",
    maxN: 100_000,
    run: async (w) => {
      const result = streamText({ model: aiSdkModel(w), prompt: "bench", tools });
      const counts = await Promise.all([drain(result.textStream), drain(result.fullStream)]);
      return counts[0]! + counts[1]!;
    },
  },
  { name: "sse: eventsource-parser + JSON.parse", group: "sse", maxN: 100_000, run: eventsourceParserText },
  {
    name: "sse: our SSEParser + JSON.parse",
    group: "sse",
    maxN: 100_000,
    versus: "sse: eventsource-parser + JSON.parse",
    run: ourParserText,
  },
  {
    name: "sse: fromOpenAIChat → await text",
    group: "sse",
    maxN: 100_000,
    versus: "sse: eventsource-parser + JSON.parse",
    run: adapterText,
  },
  { name: "bedrock: its CRC-32s + JSON.parse (floor)", group: "sse", maxN: 100_000, run: bedrockFloorText },
  {
    name: "bedrock: fromBedrock → await text",
    group: "sse",
    maxN: 100_000,
    versus: "bedrock: its CRC-32s + JSON.parse (floor)",
    run: bedrockText,
  },
];
