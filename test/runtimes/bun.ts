// The spec files under `bun`: Bun reports unhandled rejections through Node's `process` events.
import specs from "runtimes:specs";
import { RESULT_MARKER, run } from "./harness.ts";

interface BunProcess {
  on(event: "unhandledRejection", listener: (reason: unknown) => void): unknown;
  off(event: "unhandledRejection", listener: (reason: unknown) => void): unknown;
  exit(code: number): never;
}
const { Bun, process } = globalThis as unknown as { Bun: { version: string }; process: BunProcess };

const result = await run({
  runtime: "bun",
  version: Bun.version,
  specs,
  subscribe(record) {
    process.on("unhandledRejection", record);
    return () => process.off("unhandledRejection", record);
  },
  log: console.log,
});
console.log(RESULT_MARKER + JSON.stringify(result));
// A test may leave a timer or a pending read behind; the run is over either way.
process.exit(0);
