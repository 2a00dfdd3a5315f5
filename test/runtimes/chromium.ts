// The spec files in a Chromium page (a module script on a localhost origin, so a secure context):
// the window dispatches `unhandledrejection`. The runner script reads the console.
import specs from "runtimes:specs";
import { RESULT_MARKER, run } from "./harness.ts";

// The user agent string says 156.0.0.0; the full version is a high-entropy hint.
interface UAData {
  getHighEntropyValues(hints: string[]): Promise<{ fullVersionList?: { brand: string; version: string }[] }>;
}
const { userAgentData } = navigator as Navigator & { userAgentData?: UAData };
const brands = (await userAgentData?.getHighEntropyValues(["fullVersionList"]))?.fullVersionList ?? [];
const version = brands.find((b) => /^Chrom(e|ium)$/.test(b.brand))?.version ?? "unknown";

// Chromium dispatches `unhandledrejection` from a task of its own, which can run after a
// setTimeout(0) queued later, so a test's leak would be blamed on the next test. The events come in
// the order the rejections went unhandled: once a probe rejected now is reported, every earlier one is.
const PROBE = Symbol("unhandled-rejection probe");
let probed: (() => void) | undefined;

const result = await run({
  runtime: "chromium",
  version,
  specs,
  subscribe(record) {
    const listener = (event: PromiseRejectionEvent): void => {
      event.preventDefault();
      if (event.reason === PROBE) probed?.();
      else record(event.reason);
    };
    globalThis.addEventListener("unhandledrejection", listener);
    return () => globalThis.removeEventListener("unhandledrejection", listener);
  },
  settle: () =>
    new Promise<void>((resolve) => {
      probed = resolve;
      void Promise.reject(PROBE);
    }),
  log: console.log,
});
console.log(RESULT_MARKER + JSON.stringify(result));
