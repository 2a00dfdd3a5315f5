// Placeholder example Worker: streams a few Server-Sent Events, one every 200 ms.
// text/event-stream because Miniflare/wrangler dev gzip (and so buffer) text/plain.
const encoder = new TextEncoder();

export default {
  fetch(request: Request): Response {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        let n = 0;
        const tick = (): void => {
          if (request.signal.aborted) return;
          n += 1;
          controller.enqueue(encoder.encode(`data: chunk ${n}\n\n`));
          if (n < 5) timer = setTimeout(tick, 200);
          else controller.close();
        };
        // The body's cancel() is not called on disconnect in workerd; request.signal is.
        request.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
        tick();
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  },
};
