/**
 * The body paths in workerd: bench/worker.ts run by Miniflare, each response streamed to a client
 * socket (Node's `fetch`) and read to the end, the contenders interleaved run by run. Wall time
 * per event on the client; chunks per response counted on the way to the socket in a separate run.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";

export interface WorkerdRow {
  case: string;
  n: number;
  nsPerEvent: number;
  chunks: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../bench/worker.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["node:*"],
    write: false,
    logLevel: "error",
  });
  return result.outputFiles[0]!.text;
}

/** Runs `cases` at `n` events, `runs` times each, interleaved; `names` filters the Worker's cases. */
export async function workerdRows(n: number, runs: number, names: (all: string[]) => string[]): Promise<WorkerdRow[]> {
  const mf = new Miniflare({
    modules: true,
    script: await bundle(),
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat", "enable_request_signal"],
  });
  try {
    const base = await mf.ready;
    const all = (await (await fetch(new URL("/?case=list", base))).json()) as string[];
    const cases = names(all);
    const get = async (name: string, count: boolean): Promise<Response> => {
      const url = new URL("/", base);
      url.searchParams.set("case", name);
      url.searchParams.set("n", String(n));
      if (count) url.searchParams.set("count", "1");
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${name}: ${response.status} ${await response.text()}`);
      return response;
    };
    const chunks = new Map<string, number>();
    let events = 0;
    for (const name of cases) {
      const reader = (await get(name, true)).body!.getReader();
      while (!(await reader.read()).done);
      const counted = (await (await get("count", false)).json()) as { chunks: number; events: number };
      chunks.set(name, counted.chunks);
      events = counted.events;
    }
    const samples = new Map<string, number[]>(cases.map((c) => [c, []]));
    for (let r = -1; r < runs; r++) {
      for (let i = 0; i < cases.length; i++) {
        const name = cases[(i + Math.max(r, 0)) % cases.length]!;
        const start = performance.now();
        const reader = (await get(name, false)).body!.getReader();
        while (!(await reader.read()).done);
        const ms = performance.now() - start;
        if (r >= 0) samples.get(name)!.push(ms); // run -1 warms up
      }
    }
    return cases.map((name) => ({ case: name, n, nsPerEvent: (median(samples.get(name)!) * 1e6) / events, chunks: chunks.get(name)! }));
  } finally {
    await mf.dispose();
  }
}
