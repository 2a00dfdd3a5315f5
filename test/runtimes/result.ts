// What a runtime's run reports: the harness prints it, run.ts reads it and .ci/run adds it up.

/** One runtime's outcome, counted as .ci/run counts vitest's JSON report. */
export interface RuntimeResult {
  runtime: string;
  version: string;
  passed: number;
  failed: number;
  /** Skipped tests, known failures included. */
  skipped: number;
  durationMs: number;
  failures: { name: string; error: string }[];
  /** Failures listed in test/runtimes/known.ts, with their reason. */
  known: { name: string; reason: string }[];
}

/** Prefixes the one line of JSON (a `RuntimeResult`) that ends a harness run. */
export const RESULT_MARKER = "@@runtime-result ";

/** The global the runtimes runner sets to its runtime's name while it runs the spec files. */
export const RUNTIMES_HARNESS = "__chatModelStreamRuntimesHarness";
