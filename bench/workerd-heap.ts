/**
 * The heap one in-flight body holds in workerd (V8 with pointer compression, as on Cloudflare):
 * bench/worker.ts run by Miniflare with its inspector on, each case in a fresh workerd. Over the
 * V8 inspector (a WebSocket: undici's client, Node 20 has no global one) it asks for
 * `HeapProfiler.collectGarbage` and reads `Runtime.getHeapUsage` before and after the Worker made
 * and held the bodies; retained per body = the difference in `usedSize` (+ `embedderHeapUsedSize`,
 * workerd's cppgc objects) / bodies. As with Node's
 * `heapUsed`, this is the JS heap. What workerd keeps outside it (its streams are C++ objects, a JS
 * wrapper each; `ArrayBuffer` backing stores) only shows in the process: the growth of workerd's
 * resident memory over the same span is kept beside, as an upper bound (allocator slack included).
 * Controls check the method: k held 10 KiB strings, and arrays of 1,280 doubles, read ~10 KiB each.
 */
import { readdirSync, readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { WebSocket } from "undici";
import { bundle } from "./workerd.ts";

export interface WorkerdHeapRow {
  case: string;
  streams: number;
  /** V8's heap retained per body, bytes: `usedSize` plus `embedderHeapUsedSize` (workerd's cppgc objects). */
  bytes: number;
  /** The workerd process's resident memory grown per body, bytes: what workerd's C++ side (its
   * streams' native state, `ArrayBuffer` backing stores) adds to the JS heap; undefined off Linux. */
  rss: number | undefined;
}

interface HeapUsage {
  usedSize: number;
  totalSize: number;
  embedderHeapUsedSize?: number;
}

/** Resident bytes of the workerd process Miniflare started (a child of this one), Linux only. */
function workerdRss(): number | undefined {
  try {
    const children = readdirSync(`/proc/${process.pid}/task`).flatMap((t) => readFileSync(`/proc/${process.pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter((x) => x !== ""));
    const pid = children.find((c) => readFileSync(`/proc/${c}/comm`, "utf8").trim() === "workerd");
    if (pid === undefined) return undefined;
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** One inspector session: `send(method)` answers the result of that call. */
async function inspect(url: string): Promise<{ send: (method: string, params?: object) => Promise<any>; close: () => void }> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector: cannot connect to ${url}`)), { once: true });
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return; // an event
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error !== undefined) p?.reject(new Error(`inspector: ${msg.error.message}`));
    else p?.resolve(msg.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/**
 * In a fresh workerd: warms the case up (one body read to the end), then heap before, `streams`
 * bodies made and held, heap after. `control` cases hold known 10 KiB objects instead.
 */
async function measure(kind: "inflight" | "control", name: string, streams: number): Promise<WorkerdHeapRow> {
  const mf = new Miniflare({
    modules: true,
    script: await bundle(),
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat", "enable_request_signal"],
    inspectorPort: 0,
  });
  try {
    const base = await mf.ready;
    const inspectorURL = await mf.getInspectorURL();
    // workerd lists one target per Worker; Miniflare's user Worker is the one named "core:user:".
    const targets = (await (await fetch(new URL("/json/list", inspectorURL.href.replace(/^ws/, "http")))).json()) as { id: string; title?: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => t.id === "core:user:") ?? targets.find((t) => t.id.startsWith("core:user:"));
    if (target === undefined) throw new Error(`inspector: no user Worker among ${targets.map((t) => t.id).join(", ")}`);
    const session = await inspect(target.webSocketDebuggerUrl);
    const get = async (params: Record<string, string>): Promise<any> => {
      const url = new URL("/", base);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${name}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    // V8 runs the collection `collectGarbage` asks for as a platform task, and workerd pumps those
    // only while the isolate handles a request: so it sends no-op requests until the collection
    // answered, and reads the heap after it did (a no-op request's garbage is a few KiB in all).
    const collect = async (): Promise<void> => {
      let done = false;
      const gc = session.send("HeapProfiler.collectGarbage").finally(() => (done = true));
      while (!done) {
        await get({ noop: "1" });
        await Promise.race([gc, new Promise((resolve) => setTimeout(resolve, 5))]);
      }
      await gc;
    };
    const heap = async (): Promise<HeapUsage> => {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        await collect();
      }
      return (await session.send("Runtime.getHeapUsage")) as HeapUsage;
    };
    try {
      let total = "0";
      if (kind === "inflight") total = String(((await get({ inflight: name, warm: "1" })) as { bytes: number }).bytes);
      else await get({ control: name, streams: "1" }); // warms the maker up
      const before = await heap();
      const rssBefore = workerdRss();
      await get(kind === "inflight" ? { inflight: name, streams: String(streams), bytes: total } : { control: name, streams: String(streams) });
      const after = await heap();
      const rssAfter = workerdRss();
      return {
        case: kind === "control" ? `control: ${name === "string" ? "a 10 KiB string" : "an array of 1,280 doubles (10 KiB)"}` : name,
        streams,
        bytes: (after.usedSize + (after.embedderHeapUsedSize ?? 0) - before.usedSize - (before.embedderHeapUsedSize ?? 0)) / streams,
        rss: rssBefore !== undefined && rssAfter !== undefined ? (rssAfter - rssBefore) / streams : undefined,
      };
    } finally {
      session.close();
    }
  } finally {
    await mf.dispose();
  }
}

/** The controls (unless `controls` is false), then each in-flight case (`names`), `streams` at once, each in a fresh workerd. */
export async function workerdHeapRows(names: string[], streams: number, controls = true): Promise<WorkerdHeapRow[]> {
  const rows: WorkerdHeapRow[] = [];
  if (controls) for (const c of ["string", "doubles"]) rows.push(await measure("control", c, streams));
  for (const name of names) rows.push(await measure("inflight", name, streams));
  return rows;
}
