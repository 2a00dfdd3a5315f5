/**
 * The bench's Worker, run by bench/workerd.ts in workerd through Miniflare: `GET /?case=<name>&n=<N>`
 * answers W(N) through one body path, streamed to the client's socket. With `&count=1` the body
 * goes through a counting `TransformStream` on its way out (what workerd pumps to the socket, one
 * layer more), and `/?case=count` then answers how many chunks the last counted response had.
 *
 * The in-flight heap (bench/workerd-heap.ts measures the isolate's heap through the inspector):
 * `/?inflight=<case>&warm=1` reads one body of W(2,000) to the end and answers its bytes;
 * `/?inflight=<case>&streams=<k>&bytes=<b>` makes k bodies, reads each until b/2 bytes arrived and
 * holds them in this module; `/?control=<kind>&streams=<k>` holds k known 10 KiB objects instead.
 */
import { bodyCase, bodyCaseNames, drainBody, holdHalfRead, inFlightCases } from "./body-cases.ts";
import { openAIChatBytes } from "./sse.ts";
import { workload, type Workload } from "./workload.ts";

/** What the in-flight cases hold, reachable from the module so that a gc keeps it. */
const held: unknown[] = [];

/** Known allocations of 10 KiB each, to check the heap measurement itself. */
const controls: Record<string, (i: number) => unknown> = {
  // A flat one-byte string of 10,240 characters (a distinct one each).
  string: (i) => {
    const bytes = new Uint8Array(10_240).fill(97);
    new TextEncoder().encodeInto(String(i), bytes);
    return new TextDecoder().decode(bytes);
  },
  // 1,280 doubles: 8 bytes each with or without pointer compression.
  doubles: (i) => new Array<number>(1_280).fill(i + 0.5),
};

async function inFlight(url: URL): Promise<Response> {
  const streams = Number(url.searchParams.get("streams") ?? 0);
  const control = url.searchParams.get("control");
  if (control !== null) {
    for (let i = 0; i < streams; i++) held.push(controls[control]!(i));
    return Response.json({ held: held.length });
  }
  const name = url.searchParams.get("inflight")!;
  const make = inFlightCases[name];
  if (make === undefined) return new Response(`no in-flight case ${name}`, { status: 404 });
  let w = workloads.get(2000);
  if (w === undefined) workloads.set(2000, (w = workload(2000)));
  openAIChatBytes(w);
  if (url.searchParams.get("warm") !== null) return Response.json({ bytes: await drainBody(make(w)) });
  const total = Number(url.searchParams.get("bytes"));
  held.push(...(await holdHalfRead(() => make(w), streams, total, name)));
  return Response.json({ held: held.length });
}

const workloads = new Map<number, Workload>();
/** Chunks of the last response sent with `&count=1`. */
let counted = -1;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 1000);
    const name = url.searchParams.get("case") ?? "";
    if (name === "list") return Response.json(bodyCaseNames);
    if (url.searchParams.has("noop")) return Response.json({ held: held.length });
    if (url.searchParams.has("inflight") || url.searchParams.has("control")) return inFlight(url);
    let w = workloads.get(n);
    if (w === undefined) workloads.set(n, (w = workload(n)));
    if (name === "count") return Response.json({ chunks: counted, events: w.events.length });
    let body = bodyCase(name)(w);
    if (url.searchParams.get("count") !== null) {
      let chunks = 0;
      body = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            chunks++;
            controller.enqueue(chunk);
          },
          flush() {
            counted = chunks;
          },
        }),
      );
    }
    return new Response(body, { headers: { "content-type": "application/octet-stream", "content-encoding": "identity" } });
  },
};
