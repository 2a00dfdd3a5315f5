// The spec files under `deno run` (no permissions): Deno dispatches `unhandledrejection` on the
// global scope and exits on one unless it is prevented.
import specs from "runtimes:specs";
import { RESULT_MARKER, run } from "./harness.ts";

const { Deno } = globalThis as unknown as { Deno: { version: { deno: string }; exit(code: number): never } };

const result = await run({
  runtime: "deno",
  version: Deno.version.deno,
  specs,
  subscribe(record) {
    const listener = (event: PromiseRejectionEvent): void => {
      event.preventDefault();
      record(event.reason);
    };
    globalThis.addEventListener("unhandledrejection", listener);
    return () => globalThis.removeEventListener("unhandledrejection", listener);
  },
  log: console.log,
});
console.log(RESULT_MARKER + JSON.stringify(result));
// A test may leave a timer or a pending read behind; the run is over either way.
Deno.exit(0);
