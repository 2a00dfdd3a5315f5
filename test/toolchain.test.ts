// Temporary: proves both projects run and that Web streams behave. Delete once real tests exist.
import { describe, expect, it } from "vitest";

describe("toolchain", () => {
  it("reads a Response built from a ReadableStream of encoded chunks", async () => {
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("hello, "));
        controller.enqueue(encoder.encode("world"));
        controller.close();
      },
    });
    await expect(new Response(stream).text()).resolves.toBe("hello, world");
  });
});
