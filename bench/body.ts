/**
 * The body-path rows of `npm run bench`: each body read to the end as a client does, the
 * contenders interleaved run by run in one process (no forced gc between them), in Node and in
 * workerd; and the heap one in-flight body holds, 1,000 of them at once, each case in a fresh
 * process.
 */
import { bodyCase, bodyCaseNames, drainBody, holdHalfRead, inFlightCases, lastBody } from "./body-cases.ts";
import { openAIChatBytes } from "./sse.ts";
import { workload } from "./workload.ts";

export interface BodyRow {
  where: "node" | "workerd";
  case: string;
  n: number;
  nsPerEvent: number;
  chunks: number;
}

/** What each row is compared with, and the target of that ratio (Infinity: none). */
export const comparisons: { case: string; versus: string; limit: number }[] = [
  { case: "text: ours, toResponse text (events from an async generator)", versus: "text: LangChain.js text in a one-layer pull ReadableStream", limit: 0.7 },
  { case: "text: ours, toResponse text (events from an async generator)", versus: "text: AI SDK toTextStreamResponse (mock model)", limit: Infinity },
  { case: "text: ours, stream.text.pipeThrough(new TextEncoderStream())", versus: "text: LangChain.js text in a one-layer pull ReadableStream", limit: Infinity },
  { case: "sse: ours, toResponse sse (events from an async generator)", versus: "text: ours, toResponse text (events from an async generator)", limit: Infinity },
  { case: "bytes→SSE: ours, fromOpenAIChat → toResponse sse", versus: "bytes→SSE: floor, eventsource-parser + JSON.parse + re-encode", limit: 0.75 },
  { case: "bytes→SSE: ours, fromOpenAIChat → toResponse sse", versus: "bytes→SSE: AI SDK @ai-sdk/openai → toUIMessageStreamResponse", limit: Infinity },
  { case: "bytes→SSE: ours, fromOpenAIChat → toResponse sse", versus: "bytes→text: ours, fromOpenAIChat → toResponse text", limit: Infinity },
  { case: "bytes→text: ours, fromOpenAIChat → toResponse text", versus: "bytes→text: floor, eventsource-parser + JSON.parse + encode", limit: 0.7 },
  { case: "bytes→text: ours, fromOpenAIChat → toResponse text", versus: "bytes→text: AI SDK @ai-sdk/openai → toTextStreamResponse", limit: Infinity },
];

const isAiSdk = (name: string): boolean => name.includes("AI SDK");
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Every body case at each N, interleaved: one run of each in turn (the order rotating), `runs`
 * times after two warm-up rounds. The AI SDK (76 µs per event and more) runs up to `aiMaxN`.
 */
export async function nodeBodyRows(sizes: number[], runs: number, aiMaxN: number): Promise<BodyRow[]> {
  const rows: BodyRow[] = [];
  for (const n of sizes) {
    const w = workload(n);
    const names = bodyCaseNames.filter((name) => n <= aiMaxN || !isAiSdk(name));
    const samples = new Map<string, number[]>(names.map((name) => [name, []]));
    const chunks = new Map<string, number>();
    const expected = new Map<string, number>();
    for (let r = -2; r < runs; r++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + Math.max(r, 0)) % names.length]!;
        const start = performance.now();
        const bytes = await drainBody(bodyCase(name)(w));
        const ms = performance.now() - start;
        if (expected.has(name) && expected.get(name) !== bytes) throw new Error(`${name}: ${bytes} bytes, then ${expected.get(name)}`);
        expected.set(name, bytes);
        chunks.set(name, lastBody.chunks);
        if (r >= 0) samples.get(name)!.push(ms);
      }
    }
    for (const name of names) {
      const row: BodyRow = { where: "node", case: name, n, nsPerEvent: (median(samples.get(name)!) * 1e6) / w.events.length, chunks: chunks.get(name)! };
      rows.push(row);
      process.stderr.write(`${String(n).padStart(8)}  body ${name.padEnd(72)} ${row.nsPerEvent.toFixed(0).padStart(7)} ns/event ${String(row.chunks).padStart(7)} chunks\n`);
    }
  }
  return rows;
}

// -- memory per in-flight stream --------------------------------------------------------------

/** Bytes retained per in-flight body: `streams` bodies of W(`n`), each read halfway, held at once. */
export async function inFlightBytes(name: string, streams: number, n: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with node --expose-gc");
  const make = inFlightCases[name]!;
  const w = workload(n);
  openAIChatBytes(w);
  const total = await drainBody(make(w)); // warms the path up, and sizes the body
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
    }
  };
  await settle();
  const before = process.memoryUsage().heapUsed;
  const held = await holdHalfRead(() => make(w), streams, total, name);
  await settle();
  const retained = process.memoryUsage().heapUsed - before;
  (globalThis as { held?: unknown }).held = held;
  return retained / streams;
}

// -- the section of `npm run bench` -----------------------------------------------------------

export interface InFlightRow {
  where: "node" | "workerd";
  case: string;
  streams: number;
  events: number;
  /** JS heap retained per body (Node: `heapUsed`; workerd: the inspector's `usedSize` + `embedderHeapUsedSize`). */
  kib: number;
  /** workerd only: its process's resident memory grown per body (C++ side and slack included). */
  rssKib?: number;
}

export interface Target {
  target: string;
  value: number | undefined;
  limit: number;
  unit: string;
}

/** What a child process of the bench runs: `--body <quick>` or `--inflight <case> <streams>`. */
export async function bodyChild(args: string[]): Promise<unknown> {
  if (args[0] === "--body") {
    const quick = args[1] === "quick";
    return nodeBodyRows(quick ? [10_000] : [10_000, 100_000], quick ? 3 : 7, 10_000);
  }
  return { bytes: await inFlightBytes(args[1]!, Number(args[2]), 2000) };
}

/**
 * The body path: Node rows in a fresh process, workerd rows through Miniflare, the heap of 1,000
 * in-flight bodies per case in fresh processes; the table, and the targets.
 */
export async function bodyBench(
  child: (args: string[]) => unknown,
  quick: boolean,
): Promise<{ rows: BodyRow[]; inFlight: InFlightRow[]; targets: Target[]; markdown: string[] }> {
  const rows = child(["--body", quick ? "quick" : "full"]) as BodyRow[];
  const { workerdRows } = await import("./workerd.ts");
  const wn = quick ? 2_000 : 10_000;
  for (const r of await workerdRows(wn, quick ? 3 : 5, (all) => all)) {
    rows.push({ where: "workerd", ...r });
    process.stderr.write(`${String(wn).padStart(8)}  workerd ${r.case.padEnd(69)} ${r.nsPerEvent.toFixed(0).padStart(7)} ns/event ${String(r.chunks).padStart(7)} chunks\n`);
  }
  const streams = quick ? 100 : 1_000;
  const inFlight: InFlightRow[] = [];
  for (const name of Object.keys(inFlightCases)) {
    const { bytes } = child(["--inflight", name, String(streams)]) as { bytes: number };
    inFlight.push({ where: "node", case: name, streams, events: 2000, kib: bytes / 1024 });
    process.stderr.write(`in flight ${name}: ${(bytes / 1024).toFixed(1)} KiB per stream\n`);
  }
  const { workerdHeapRows } = await import("./workerd-heap.ts");
  // The AI SDK holds ~1.2 MB per body in workerd: 1,000 of them (1.2 GB) did not answer within
  // the client's 5-minute headers timeout, so it holds 100.
  const heapRows = [
    ...(await workerdHeapRows(Object.keys(inFlightCases).filter((n) => !isAiSdk(n)), streams)),
    ...(await workerdHeapRows(Object.keys(inFlightCases).filter(isAiSdk), Math.min(streams, 100), false)),
  ];
  for (const r of heapRows) {
    const label = r.streams === streams ? r.case : `${r.case} (${r.streams} bodies)`;
    const row: InFlightRow = { where: "workerd", case: label, streams: r.streams, events: 2000, kib: r.bytes / 1024 };
    if (r.rss !== undefined) row.rssKib = r.rss / 1024;
    inFlight.push(row);
    process.stderr.write(`in flight (workerd) ${r.case}: ${row.kib.toFixed(1)} KiB per stream (process +${row.rssKib?.toFixed(1) ?? "?"} KiB)\n`);
  }

  const at = (where: string, name: string, n: number): BodyRow | undefined => rows.find((r) => r.where === where && r.case === name && r.n === n);
  const ratio = (where: string, a: string, b: string, n: number): number | undefined => {
    const x = at(where, a, n);
    const y = at(where, b, n);
    return x && y ? x.nsPerEvent / y.nsPerEvent : undefined;
  };
  const md: string[] = [];
  md.push(``, `Body path (issue 15): each body read to the end, contenders interleaved run by run (no forced gc); Node in a fresh process, workerd through Miniflare streamed to a client socket:`, ``);
  md.push(`| where | case | N | ns/event | chunks | ratio |`, `| --- | --- | ---: | ---: | ---: | --- |`);
  for (const r of rows) {
    const cmp = comparisons.filter((c) => c.case === r.case).map((c) => {
      const v = ratio(r.where, c.case, c.versus, r.n);
      return v === undefined ? "" : `${v.toFixed(2)}× ${c.versus.split(":")[0]}: ${c.versus.split(": ")[1]!.split(",")[0]}`;
    });
    md.push(`| ${r.where} | ${r.case} | ${r.n.toLocaleString("en")} | ${r.nsPerEvent.toFixed(0)} | ${r.chunks.toLocaleString("en")} | ${cmp.filter((x) => x !== "").join("; ")} |`);
  }
  md.push(
    ``,
    `Heap retained per in-flight body (${streams.toLocaleString("en")} bodies of 2,000 events, each read until half its bytes arrived, held at once): Node in a fresh process each (\`heapUsed\` after gc);` +
      ` workerd through Miniflare, a fresh workerd each, its isolate's JS heap read over the V8 inspector (\`collectGarbage\`, \`getHeapUsage\` usedSize; pointer compression), and the workerd process's resident growth beside (its C++ side: native stream state, byte buffers; upper bound with allocator slack). Controls: known 10 KiB objects held the same way:`,
    ``,
  );
  md.push(`| where | case | KiB per stream | workerd process, KiB per stream |`, `| --- | --- | ---: | ---: |`);
  for (const m of inFlight) md.push(`| ${m.where} | ${m.case} | ${m.kib.toFixed(1)} | ${m.rssKib === undefined ? "" : m.rssKib.toFixed(1)} |`);

  const T = {
    text: "text: ours, toResponse text (events from an async generator)",
    lc: "text: LangChain.js text in a one-layer pull ReadableStream",
    sse: "sse: ours, toResponse sse (events from an async generator)",
    bSSE: "bytes→SSE: ours, fromOpenAIChat → toResponse sse",
    bSSEFloor: "bytes→SSE: floor, eventsource-parser + JSON.parse + re-encode",
    bSSEAi: "bytes→SSE: AI SDK @ai-sdk/openai → toUIMessageStreamResponse",
    bText: "bytes→text: ours, fromOpenAIChat → toResponse text",
    bTextFloor: "bytes→text: floor, eventsource-parser + JSON.parse + encode",
    bTextAi: "bytes→text: AI SDK @ai-sdk/openai → toTextStreamResponse",
  };
  const sizes = quick ? [10_000] : [10_000, 100_000];
  const targets: Target[] = [];
  for (const n of sizes) targets.push({ target: `Node: text body ≤ 0.7× LangChain.js's one-layer pull wrapper, at ${n / 1000}k`, value: ratio("node", T.text, T.lc, n), limit: 0.7, unit: "×" });
  for (const n of sizes) targets.push({ target: `Node: bytes → bytes SSE ≤ 0.75× eventsource-parser + JSON.parse + re-encode, at ${n / 1000}k`, value: ratio("node", T.bSSE, T.bSSEFloor, n), limit: 0.75, unit: "×" });
  for (const n of sizes) targets.push({ target: `Node: bytes → text ≤ 0.7× its floor, at ${n / 1000}k`, value: ratio("node", T.bText, T.bTextFloor, n), limit: 0.7, unit: "×" });
  targets.push(
    { target: `workerd: SSE ≤ 1.5× our text body per event, both from provider bytes, at ${wn / 1000}k`, value: ratio("workerd", T.bSSE, T.bText, wn), limit: 1.5, unit: "×" },
    { target: `workerd: SSE ≤ 1.5× our text body per event, both from events (async generator), at ${wn / 1000}k`, value: ratio("workerd", T.sse, T.text, wn), limit: 1.5, unit: "×" },
    { target: `workerd: SSE ≤ 0.1× the AI SDK's UI message stream, from the same bytes, at ${wn / 1000}k`, value: ratio("workerd", T.bSSE, T.bSSEAi, wn), limit: 0.1, unit: "×" },
    { target: `workerd: text ≤ 0.1× the AI SDK's toTextStreamResponse, from the same bytes, at ${wn / 1000}k`, value: ratio("workerd", T.bText, T.bTextAi, wn), limit: 0.1, unit: "×" },
  );
  for (const m of inFlight.filter((x) => x.case.startsWith("ours"))) {
    targets.push({ target: `${m.where === "node" ? "Node" : "workerd (JS heap)"}: ≤ 16 KiB retained per in-flight stream: ${m.case}`, value: m.kib, limit: 16, unit: " KiB" });
  }
  return { rows, inFlight, targets, markdown: md };
}
