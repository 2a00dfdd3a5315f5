/**
 * `npm run bench [-- --quick]`: every case on W(10k), W(100k) and W(1M) in one process, the median
 * of 5 runs after warm-up, as ns/event with ratios to LangChain.js and to the floor; then the heap
 * retained at the end of a long message, each case in a fresh process. Prints a table and writes
 * bench/RESULTS.md and bench/results.json. A benchmark, not a test: nothing here fails a build.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { bodyBench, bodyChild } from "./body.ts";
import { cases } from "./cases.ts";
import { durableRows } from "./durable.ts";
import { redisRows } from "./durable-redis.ts";
import { durableObjectRows } from "./durable-object.ts";
import { memoryCases } from "./memory.ts";
import { parserRows, type ParserRow } from "./parsers.ts";
import { workload } from "./workload.ts";

const args = process.argv.slice(2);

if (args[0] === "--parsers") {
  console.log(JSON.stringify(parserRows(args.includes("--quick"))));
  process.exit(0);
}

if (args[0] === "--memory") {
  const bytes = await memoryCases[args[1]!]!(Number(args[2]));
  console.log(JSON.stringify({ bytes }));
  process.exit(0);
}

// The workerd in-flight heap alone (bench/workerd-heap.ts): `-- --workerd-heap [streams] [case...]`.
if (args[0] === "--workerd-heap") {
  const { workerdHeapRows } = await import("./workerd-heap.ts");
  const { inFlightCases } = await import("./body-cases.ts");
  const names = args.length > 2 ? args.slice(2) : Object.keys(inFlightCases);
  for (const r of await workerdHeapRows(names, Number(args[1] ?? 1000))) {
    process.stderr.write(`in flight (workerd) ${r.case}: ${(r.bytes / 1024).toFixed(1)} KiB JS heap, process +${r.rss === undefined ? "?" : (r.rss / 1024).toFixed(1)} KiB per stream\n`);
  }
  process.exit(0);
}

if (args[0] === "--body" || args[0] === "--inflight") {
  console.log(JSON.stringify(await bodyChild(args)));
  process.exit(0);
}

const quick = args.includes("--quick");
const sizes = quick ? [10_000] : [10_000, 100_000, 1_000_000];
const runs = quick ? 3 : 5;
const memoryN = quick ? 100_000 : 1_000_000;

interface Row {
  case: string;
  n: number;
  nsPerEvent: number;
  vsLangChain?: number;
  vsFloor?: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(run: () => Promise<number>, expected: number | undefined): Promise<{ ms: number; value: number }> {
  const start = performance.now();
  const value = await run();
  const ms = performance.now() - start;
  if (expected !== undefined && value !== expected) throw new Error(`result changed between runs: ${value} vs ${expected}`);
  return { ms, value };
}

const rows: Row[] = [];
for (const n of sizes) {
  const w = workload(n);
  const events = w.events.length;
  const byName = new Map<string, number>();
  for (const c of cases) {
    if (c.maxN !== undefined && n > c.maxN) {
      process.stderr.write(`${String(n).padStart(8)}  ${c.name.padEnd(48)} skipped above N=${c.maxN}\n`);
      continue;
    }
    // Warm-up: twice on small sizes, once on 1M (the peers take seconds there).
    const warm = await time(() => c.run(w), undefined);
    if (n < 1_000_000) await time(() => c.run(w), warm.value);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push((await time(() => c.run(w), warm.value)).ms);
    const ns = (median(samples) * 1e6) / events;
    byName.set(c.name, ns);
    rows.push({ case: c.name, n, nsPerEvent: ns });
    process.stderr.write(`${String(n).padStart(8)}  ${c.name.padEnd(48)} ${ns.toFixed(0).padStart(7)} ns/event\n`);
  }
  const floorNs = byName.get("floor: plain loop")!;
  for (const row of rows.filter((r) => r.n === n)) {
    const c = cases.find((x) => x.name === row.case)!;
    if (c.versus !== undefined) row.vsLangChain = row.nsPerEvent / byName.get(c.versus)!;
    if (c.group !== "floor") row.vsFloor = row.nsPerEvent / floorNs;
  }
}

const self = fileURLToPath(import.meta.url);
const memory: { case: string; n: number; mb: number }[] = [];
for (const name of Object.keys(memoryCases)) {
  const out = execFileSync(process.execPath, ["--expose-gc", self, "--memory", name, String(memoryN)], { encoding: "utf8" });
  const { bytes } = JSON.parse(out.trim().split("\n").pop()!) as { bytes: number };
  memory.push({ case: name, n: memoryN, mb: bytes / 1e6 });
  process.stderr.write(`memory ${name}: ${(bytes / 1e6).toFixed(2)} MB\n`);
}

// In a fresh process, as the memory cases: the heap the cases above leave (their 1M-event
// workloads) made the parsers' allocations cost more to collect, and skewed their ratios.
const parsers = JSON.parse(
  execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--parsers", ...(quick ? ["--quick"] : [])], { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop()!,
) as ParserRow[];
for (const p of parsers) process.stderr.write(`parser ${p.case}: ${p.us.toFixed(0)} µs${p.ratio !== undefined ? `, ${p.ratio.toFixed(2)}× ${p.versus}` : ""}\n`);

// Durable streams (issue 13): counts on MemoryLog, see bench/durable.ts, the Durable Object engine's
// log (bench/durable-object.ts), and on Redis, bench/durable-redis.ts.
const durable = [...(await durableRows()), ...(await durableObjectRows()), ...(await redisRows())];
for (const d of durable) process.stderr.write(`${d.case}: ${d.value.toFixed(2)}${d.unit}\n`);

// The body path (issue 15): Node cases and in-flight heaps in fresh processes, workerd through Miniflare.
const child = (childArgs: string[]): unknown =>
  JSON.parse(execFileSync(process.execPath, ["--expose-gc", self, ...childArgs], { encoding: "utf8", maxBuffer: 1 << 26 }).trim().split("\n").pop()!);
const body = await bodyBench(child, quick);

// -- targets ---------------------------------------------------------------------------------
const at = (name: string, n: number): Row | undefined => rows.find((r) => r.case === name && r.n === n);
const biggest = sizes[sizes.length - 1]!;
const awaitText = at("ours: await text (async generator)", biggest);
const allProjections = at("ours: all projections read (async generator)", biggest);
const small = at("ours: await text (async generator)", 10_000);
const memText = memory.find((m) => m.case === "ours: text piped")!;
const memUnread = memory.find((m) => m.case === "ours: text piped + reasoning accessed, never read")!;
const memStalled = memory.find((m) => m.case === "ours: SSE body, client stalled after one event, await output")!;
const targets = [
  { target: "await stream.text ≤ 0.75× LangChain.js (stretch ≤ 0.5×)", value: awaitText?.vsLangChain, limit: 0.75, unit: "×" },
  { target: "all projections ≤ 0.75× LangChain.js's all projections", value: allProjections?.vsLangChain, limit: 0.75, unit: "×" },
  {
    target: "(no target) text read with for await vs LangChain.js's text iteration",
    value: at("ours: text for await (async generator)", biggest)?.vsLangChain,
    limit: Infinity,
    unit: "×",
  },
  {
    target: `per-event cost at ${biggest / 1000}k ≤ 1.25× at 10k (await text)`,
    value: awaitText && small ? awaitText.nsPerEvent / small.nsPerEvent : undefined,
    limit: 1.25,
    unit: "×",
  },
  {
    target: "SSE path (bytes → fromOpenAIChat → text) ≤ 1.5× eventsource-parser + JSON.parse, at 100k",
    value: at("sse: fromOpenAIChat → await text", 100_000)?.vsLangChain ?? at("sse: fromOpenAIChat → await text", 10_000)?.vsLangChain,
    limit: 1.5,
    unit: "×",
  },
  ...parsers
    .filter((p) => p.ratio !== undefined && !p.case.startsWith("(no target)"))
    .map((p) => ({ target: `${p.case} ≤ ${p.versus === "JSON.parse" ? 3 : 1.25}×`, value: p.ratio, limit: p.versus === "JSON.parse" ? 3 : 1.25, unit: "×" })),
  {
    target: "Bedrock binary path (bytes → fromBedrock → text) ≤ 1.5× its own CRC-32s + JSON.parse, at 100k",
    value: at("bedrock: fromBedrock → await text", 100_000)?.vsLangChain ?? at("bedrock: fromBedrock → await text", 10_000)?.vsLangChain,
    limit: 1.5,
    unit: "×",
  },
  { target: `≤ 8 MB retained at ${memoryN / 1000}k events with only text piped`, value: memText.mb, limit: 8, unit: " MB" },
  { target: "≈ 0 B more for a projection accessed but never read (≤ 0.25 MB noise)", value: memUnread.mb - memText.mb, limit: 0.25, unit: " MB" },
  { target: `≤ 8 MB held by an SSE body stalled after one event while an await drives ${memoryN / 1000}k one-character deltas`, value: memStalled.mb, limit: 8, unit: " MB" },
  ...durable.map((d) => ({ target: d.limit === undefined ? d.case : `${d.case} ≤ ${d.limit}${d.unit}`, value: d.value, limit: d.limit ?? Infinity, unit: d.unit })),
  ...body.targets,
];

// -- output ----------------------------------------------------------------------------------
const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? "" : x.toFixed(digits));
const lines: string[] = [];
lines.push(`# Benchmark results`, ``);
lines.push(
  `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), ${new Date().toISOString().slice(0, 10)}.` +
    ` ${quick ? "Quick run (--quick)." : "Full run."} Median of ${runs} runs after warm-up; ns per event of W(N).`,
  ``,
);
lines.push(`| case | N | ns/event | × LangChain.js (SSE rows: × eventsource-parser) | × floor |`, `| --- | ---: | ---: | ---: | ---: |`);
for (const r of rows) lines.push(`| ${r.case} | ${r.n.toLocaleString("en")} | ${r.nsPerEvent.toFixed(0)} | ${fmt(r.vsLangChain)} | ${fmt(r.vsFloor, 1)} |`);
lines.push(``, `Heap retained after gc at the end of W(${memoryN.toLocaleString("en")}), stream still referenced, each in a fresh process:`, ``);
lines.push(`| case | MB retained |`, `| --- | ---: |`);
for (const m of memory) lines.push(`| ${m.case} | ${m.mb.toFixed(2)} |`);
lines.push(``, `Parsers, interleaved in one process (median of ${quick ? 5 : 11} alternating runs):`, ``);
lines.push(`| case | µs | ratio |`, `| --- | ---: | ---: |`);
for (const p of parsers) lines.push(`| ${p.case} | ${p.us.toFixed(0)} | ${p.ratio === undefined ? "" : `${p.ratio.toFixed(2)}× ${p.versus}`} |`);
lines.push(...body.markdown);
lines.push(``, `| target | measured | met |`, `| --- | ---: | :---: |`);
for (const t of targets) {
  const met = t.value !== undefined && t.value <= t.limit;
  const verdict = t.value === undefined || t.limit === Infinity ? "—" : met ? "yes" : "no";
  lines.push(`| ${t.target} | ${t.value === undefined ? "n/a" : t.value.toFixed(2) + t.unit} | ${verdict} |`);
}
const report = lines.join("\n") + "\n";
console.log(report);
const dir = fileURLToPath(new URL("../bench/", import.meta.url));
writeFileSync(`${dir}RESULTS.md`, report);
writeFileSync(
  `${dir}results.json`,
  JSON.stringify({ node: process.version, cores: os.cpus().length, quick, runs, rows, memory, parsers, durable, body: { rows: body.rows, inFlight: body.inFlight }, targets }, null, 2) + "\n",
);
