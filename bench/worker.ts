/**
 * The bench's Worker, run by bench/workerd.ts in workerd through Miniflare: `GET /?case=<name>&n=<N>`
 * answers W(N) through one body path, streamed to the client's socket. With `&count=1` the body
 * goes through a counting `TransformStream` on its way out (what workerd pumps to the socket, one
 * layer more), and `/?case=count` then answers how many chunks the last counted response had.
 */
import { bodyCase, bodyCaseNames } from "./body-cases.ts";
import { workload, type Workload } from "./workload.ts";

const workloads = new Map<number, Workload>();
/** Chunks of the last response sent with `&count=1`. */
let counted = -1;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 1000);
    const name = url.searchParams.get("case") ?? "";
    if (name === "list") return Response.json(bodyCaseNames);
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
