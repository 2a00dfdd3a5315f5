// What the spec files import from "vitest", for Deno, Bun and Chromium: the bundles alias "vitest" to
// this module. `describe`/`it` and the hooks are vitest's own runner (@vitest/runner, the one vitest's
// browser mode runs in a page), `expect` is vitest's own chai-based expect built the way vitest builds
// it, and `vi` is the fake-timer part of vitest's `vi` over the same library (@sinonjs/fake-timers)
// with vitest's defaults. So a spec file means the same thing in all five runtimes.
import * as FakeTimers from "@sinonjs/fake-timers";
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  chai,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
  type ExpectStatic,
} from "@vitest/expect";
import { getCurrentTest, type Test } from "@vitest/runner";
import { getSafeTimers } from "@vitest/utils/timers";

export { afterAll, afterEach, beforeAll, beforeEach, describe, it, onTestFailed, onTestFinished, suite, test } from "@vitest/runner";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

type Expect = ExpectStatic & { getState(): ReturnType<typeof getState>; setState(state: object): void };
type Global = Record<symbol, unknown>;

/** Matchers `expect.poll` refuses, as vitest does: they would throw on a value that may yet change. */
const POLL_UNSUPPORTED = new Set([
  "matchSnapshot",
  "toMatchSnapshot",
  "toMatchInlineSnapshot",
  "toThrowErrorMatchingSnapshot",
  "toThrowErrorMatchingInlineSnapshot",
  "throws",
  "Throw",
  "throw",
  "toThrow",
  "toThrowError",
]);

/**
 * vitest's `expect.poll`: each matcher, once awaited, calls `fn` (awaiting it) and asserts on its
 * value, again every `interval` ms (real timers, advancing fake ones by as much) until it passes;
 * the first attempt that starts after `timeout` ms is the last, and its failure is thrown (with
 * the cause "Matcher did not succeed in time." and the matcher call's stack). A matcher that is
 * never awaited never runs, and fails its test.
 */
function createPoll(expect: Expect): Expect["poll"] {
  return ((fn: () => unknown, options: { interval?: number; timeout?: number; message?: string } = {}) => {
    // vitest's defaults (its config's expect.poll is not set in this package).
    const { interval = 50, timeout = 1000, message } = options;
    type Flagged = Chai.Assertion & { withContext(context: object): Flagged };
    const assertion = (expect(null, message) as unknown as Flagged).withContext({ poll: true });
    const poll = fn.bind(assertion);
    const test = chai.util.flag(assertion, "vitest-test") as (Test & { onFinished?: (() => unknown)[] }) | undefined;
    if (!test) throw new Error("expect.poll() must be called inside a test");
    const proxy: Flagged = new Proxy(assertion, {
      get(target, key, receiver) {
        const matcher: unknown = Reflect.get(target, key, receiver);
        if (typeof matcher !== "function") return matcher instanceof chai.Assertion ? proxy : matcher;
        if (key === "assert") return matcher;
        if (typeof key === "string" && POLL_UNSUPPORTED.has(key)) {
          throw new SyntaxError(`expect.poll() is not supported in combination with .${key}(). Use vi.waitFor() if your assertion condition is unstable.`);
        }
        return (...args: unknown[]) => {
          const callSite = new Error("STACK_TRACE_ERROR");
          const fail = (error: unknown): never => {
            if (error instanceof Error) {
              error.cause ??= new Error("Matcher did not succeed in time.");
              if (callSite.stack !== undefined) error.stack = callSite.stack.replace(callSite.message, error.message);
            }
            throw error;
          };
          const attempt = async (): Promise<unknown> => {
            chai.util.flag(assertion, "_name", key);
            chai.util.flag(assertion, "error", callSite);
            const { setTimeout, clearTimeout } = getSafeTimers();
            let timedOut = false;
            const timer = setTimeout(() => {
              timedOut = true;
            }, timeout);
            try {
              for (;;) {
                const last = timedOut;
                if (last) chai.util.flag(assertion, "_isLastPollAttempt", true);
                try {
                  chai.util.flag(assertion, "object", await poll());
                  return await (matcher as (...a: unknown[]) => unknown).apply(assertion, args);
                } catch (error) {
                  if (last) fail(error);
                  await new Promise((resolve) => setTimeout(resolve, interval));
                  if (vi.isFakeTimers()) vi.advanceTimersByTime(interval);
                }
              }
            } finally {
              clearTimeout(timer);
            }
          };
          let awaited = false;
          let result: Promise<unknown> | undefined;
          const run = (): Promise<unknown> => {
            awaited = true;
            return (result ??= attempt());
          };
          (test.onFinished ??= []).push(() => {
            if (awaited) return;
            const name = `expect.poll(assertion).${chai.util.flag(assertion, "negate") ? "not." : ""}${String(key)}()`;
            fail(new Error(`${name} was not awaited. This assertion is asynchronous and must be awaited; otherwise, it is not executed to avoid unhandled rejections:\n\nawait ${name}\n`));
          });
          return {
            then: (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) => run().then(onFulfilled, onRejected),
            catch: (onRejected?: (reason: unknown) => unknown) => run().catch(onRejected),
            finally: (onFinally?: () => void) => run().finally(onFinally),
            [Symbol.toStringTag]: "Promise",
          };
        };
      },
    });
    return proxy;
  }) as unknown as Expect["poll"];
}

/** vitest's `createExpect`, less snapshots (no spec file uses them). */
export function createExpect(task?: Test): Expect {
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect);
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    const assertion = chai.expect(value, message) as Chai.Assertion & { withTest(test: Test): Chai.Assertion };
    const current = task ?? getCurrentTest();
    return current ? assertion.withTest(current) : assertion;
  }) as unknown as Expect;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Global)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect);
  expect.setState = (state) => setState(state, expect);
  const globalState = getState((globalThis as Global)[GLOBAL_EXPECT] as Expect) ?? {};
  setState(
    {
      ...globalState,
      assertionCalls: 0,
      isExpectingAssertions: false,
      isExpectingAssertionsError: null,
      expectedAssertionsNumber: null,
      expectedAssertionsNumberErrorGen: null,
      currentTestName: task ? (task.fullTestName ?? "") : (globalState.currentTestName ?? ""),
    },
    expect,
  );
  Object.assign(expect, {
    assert: chai.assert,
    extend: (matchers: object) => (chai.expect as unknown as { extend(e: Expect, m: object): void }).extend(expect, matchers),
    soft: (value: unknown, message?: string) => (expect(value, message) as unknown as { withContext(c: object): unknown }).withContext({ soft: true }),
    unreachable: (message?: string) => chai.assert.fail(`expected${message ? ` "${message}" ` : " "}not to be reached`),
    poll: createPoll(expect),
  });
  return expect;
}

export const expect: Expect = createExpect();
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: expect, writable: true, configurable: true });

type Clock = ReturnType<ReturnType<typeof FakeTimers.withGlobal>["install"]>;

// vitest/dist FakeTimers: every timer API the global has except nextTick and queueMicrotask, the
// clock starting at the real time, `loopLimit` and `shouldClearNativeTimers` from vitest's defaults.
const fakeTimers = FakeTimers.withGlobal(globalThis);
let clock: Clock | undefined;

function faked(): Clock {
  if (clock === undefined) {
    throw new Error("A function to advance timers was called but the timers APIs are not mocked. Call `vi.useFakeTimers()` in the test file first.");
  }
  return clock;
}

/** A spy as the spec files use one: its calls, a replacement implementation, and its removal. */
interface Spy {
  mock: { calls: unknown[][] };
  mockImplementation(implementation: (...args: never[]) => unknown): Spy;
  mockRestore(): void;
}

const spies = new Set<Spy>();

/** vitest's `spyOn` as far as the spec files go: calls through (or to the implementation given) and records each call. */
function spyOn(target: object, method: string): Spy {
  const owner = target as Record<string, unknown>;
  const original = owner[method] as (...args: unknown[]) => unknown;
  const own = Object.prototype.hasOwnProperty.call(owner, method);
  let implementation: ((...args: never[]) => unknown) | undefined;
  const calls: unknown[][] = [];
  const spy: Spy = {
    mock: { calls },
    mockImplementation(fn) {
      implementation = fn;
      return spy;
    },
    mockRestore() {
      if (own) owner[method] = original;
      else delete owner[method];
      spies.delete(spy);
    },
  };
  owner[method] = function (this: unknown, ...args: unknown[]): unknown {
    calls.push(args);
    return (implementation ?? original).apply(this, args as never[]);
  };
  spies.add(spy);
  return spy;
}

interface Vi {
  spyOn(target: object, method: string): Spy;
  restoreAllMocks(): Vi;
  useFakeTimers(): Vi;
  useRealTimers(): Vi;
  isFakeTimers(): boolean;
  getTimerCount(): number;
  advanceTimersByTime(ms: number): Vi;
  advanceTimersByTimeAsync(ms: number): Promise<Vi>;
  runAllTimers(): Vi;
  runAllTimersAsync(): Promise<Vi>;
}

/** The part of vitest's `vi` the spec files use: spies and fake timers. */
export const vi: Vi = {
  spyOn,
  restoreAllMocks(): Vi {
    for (const spy of [...spies]) spy.mockRestore();
    return vi;
  },
  useFakeTimers(): Vi {
    clock?.uninstall();
    const toFake = Object.keys(fakeTimers.timers).filter((name) => name !== "nextTick" && name !== "queueMicrotask");
    clock = fakeTimers.install({
      now: Date.now(),
      loopLimit: 10_000,
      shouldClearNativeTimers: true,
      toFake: toFake as FakeTimers.FakeMethod[],
      ignoreMissingTimers: true,
    });
    return vi;
  },
  useRealTimers(): Vi {
    clock?.uninstall();
    clock = undefined;
    return vi;
  },
  isFakeTimers: (): boolean => clock !== undefined,
  getTimerCount: (): number => clock?.countTimers() ?? 0,
  advanceTimersByTime(ms: number): Vi {
    faked().tick(ms);
    return vi;
  },
  async advanceTimersByTimeAsync(ms: number): Promise<Vi> {
    await faked().tickAsync(ms);
    return vi;
  },
  runAllTimers(): Vi {
    faked().runAll();
    return vi;
  },
  async runAllTimersAsync(): Promise<Vi> {
    await faked().runAllAsync();
    return vi;
  },
};
