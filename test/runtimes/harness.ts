// Runs the bundled spec files with vitest's own runner in a runtime that has no vitest (Deno, Bun, a
// Chromium page), one file at a time as vitest does, with the same unhandled-rejection guard as the
// node and workers projects, and sums the outcome up the way .ci/run reads vitest's JSON report.
import { getState, setState } from "@vitest/expect";
import { startTests, type Suite, type Test, type VitestRunner, type VitestRunnerConfig } from "@vitest/runner";
import { getFullName, getNames, getSuites, getTests } from "@vitest/runner/utils";
import { setSafeTimers } from "@vitest/utils/timers";
import { failOnUnhandledRejections, type Subscribe } from "../setup/unhandled-rejections.ts";
import { KNOWN_FAILURES } from "./known.ts";
import { RUNTIMES_HARNESS, type RuntimeResult } from "./result.ts";
import { createExpect, describe, expect, it } from "./vitest.ts";

export { RESULT_MARKER } from "./result.ts";

/** The spec files of a bundle: path (relative to the package root) to a lazy import of the module. */
export type Specs = Readonly<Record<string, () => Promise<unknown>>>;

export interface RunOptions {
  runtime: string;
  version: string;
  specs: Specs;
  /** How this runtime reports unhandled rejections (see test/setup/unhandled-rejections.ts). */
  subscribe: Subscribe;
  /** When they have all been reported, if not after one macrotask turn. */
  settle?: () => Promise<void>;
  /** Where progress and failures go (console.log, which the runner script reads). */
  log: (line: string) => void;
}

// vitest's defaults for what the spec files depend on: hooks in stack order (a file's afterEach that
// restores real timers runs before the setup's afterEach, which needs them), 5 s per test.
const config: VitestRunnerConfig = {
  root: "/",
  setupFiles: ["setup"],
  name: undefined,
  passWithNoTests: false,
  testNamePattern: undefined,
  allowOnly: false,
  sequence: { shuffle: false, concurrent: false, seed: 0, hooks: "stack", setupFiles: "list" },
  chaiConfig: undefined,
  maxConcurrency: 5,
  testTimeout: 5_000,
  hookTimeout: 10_000,
  retry: 0,
  includeTaskLocation: false,
  tags: [],
  tagsFilter: undefined,
  strictTags: false,
};

const CANARY = "(harness) unhandled-rejection guard";

// A test that leaks a rejection between two that don't: in every runtime it must fail and they pass,
// or the guard is missing or blames the wrong test.
function canary(): void {
  describe("an unhandled rejection", () => {
    it("leaves the tests before it alone", () => {});
    it("fails the test during which it surfaced", async () => {
      void Promise.reject(new Error("canary: a rejection nobody handles"));
    });
    it("and not the next one", () => {});
  });
}

export async function run(options: RunOptions): Promise<RuntimeResult> {
  // The runner's own timeouts must not use the fake timers that limits.test.ts installs.
  setSafeTimers();
  const started = performance.now();
  const runner: VitestRunner = {
    config,
    async importFile(filepath, source) {
      // vitest imports the setup file afresh for every spec file; a bundle's modules run once, so
      // call what the setup module does, per file.
      if (source === "setup") return failOnUnhandledRejections(options.subscribe, options.settle);
      if (filepath === CANARY) return canary();
      const load = options.specs[filepath];
      if (load === undefined) throw new Error(`no spec file ${filepath} in this bundle`);
      return load();
    },
    onBeforeTryTask(test) {
      setState(
        {
          assertionCalls: 0,
          isExpectingAssertions: false,
          isExpectingAssertionsError: null,
          expectedAssertionsNumber: null,
          expectedAssertionsNumberErrorGen: null,
          currentTestName: getFullName(test),
        },
        expect,
      );
    },
    onAfterTryTask() {
      const state = getState(expect);
      if (state.expectedAssertionsNumber !== null && state.assertionCalls !== state.expectedAssertionsNumber) {
        throw state.expectedAssertionsNumberErrorGen?.();
      }
      if (state.isExpectingAssertions === true && state.assertionCalls === 0) throw state.isExpectingAssertionsError;
    },
    extendTaskContext(context) {
      let local: ReturnType<typeof createExpect> | undefined;
      Object.defineProperty(context, "expect", { get: () => (local ??= createExpect(context.task)) });
      return context;
    },
  };

  const { runtime, version } = options;
  // For the spec files whose costliest checks run in the vitest projects only (test/rechunk.ts).
  (globalThis as { [RUNTIMES_HARNESS]?: string })[RUNTIMES_HARNESS] = runtime;
  const known = KNOWN_FAILURES[runtime] ?? {};
  const result: RuntimeResult = { runtime, version, passed: 0, failed: 0, skipped: 0, durationMs: 0, failures: [], known: [] };
  const fail = (name: string, error: string): void => {
    result.failed++;
    result.failures.push({ name, error });
    options.log(`FAIL ${name}\n${indent(error)}`);
  };

  // The guard itself, checked first (Chromium reports late most in a page that has just loaded) and
  // the other way round: the leaking test does nothing that throws, so it fails only if the guard saw
  // the rejection (the runner reports the guard's AggregateError as the errors inside it).
  const [canaryFile] = await startTests([CANARY], runner);
  const [before, leaks, next] = getTests(canaryFile!) as Test[];
  const error = leaks === undefined ? "" : errorsOf(leaks);
  const clean = before?.result?.state === "pass" && next?.result?.state === "pass";
  if (leaks?.result?.state === "fail" && /^Error: canary: a rejection nobody handles$/.test(error) && clean) {
    result.passed++;
  } else {
    fail(`${CANARY}: a leaked rejection did not fail the test that leaked it, and only that one`, `${error}\ntests before and after: ${before?.result?.state}, ${next?.result?.state}`);
  }

  for (const filepath of Object.keys(options.specs)) {
    const [file] = await startTests([filepath], runner);
    const tests = getTests(file!);
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const test of tests) {
      const name = `${filepath} > ${getNames(test).slice(1).join(" > ")}`;
      const state = test.result?.state;
      const reason = known[name];
      if (reason !== undefined && state === "fail") {
        counts.skipped++;
        result.known.push({ name, reason });
      } else if (reason !== undefined && state === "pass") {
        counts.failed++;
        fail(name, `passes now in ${runtime}: remove it from test/runtimes/known.ts`);
      } else if (state === "pass") counts.passed++;
      else if (state === "fail") {
        counts.failed++;
        fail(name, errorsOf(test));
      } else counts.skipped++;
    }
    // Like .ci/run: a file that fails outside any test (an import error, a failing afterAll) is one failure.
    const suiteErrors = getSuites(file!).filter((suite) => (suite.result?.errors?.length ?? 0) > 0);
    if (suiteErrors.length > 0 && counts.failed === 0) {
      counts.failed++;
      fail(`${filepath} (outside any test)`, suiteErrors.map(errorsOf).join("\n"));
    }
    result.passed += counts.passed;
    result.skipped += counts.skipped;
    options.log(`${options.runtime} ${filepath}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }

  result.durationMs = Math.round(performance.now() - started);
  return result;
}

function errorsOf(task: Test | Suite): string {
  const errors = task.result?.errors ?? [];
  const text = errors.map((e) => [`${e.name}: ${e.message}`, e.diff].filter(Boolean).join("\n")).join("\n");
  // Diffs are coloured where tinyrainbow guesses a terminal (in Chromium, always); the log is plain text.
  return text.replace(/\u001b\[\d+m/g, "") || "(no error recorded)";
}

function indent(text: string): string {
  return text
    .split("\n")
    .slice(0, 40)
    .map((line) => `    ${line}`)
    .join("\n");
}
