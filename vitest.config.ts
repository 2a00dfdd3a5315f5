import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig, type Plugin } from "vitest/config";
import { RECORDINGS_ID, recordingsModule } from "./test/recordings-module.ts";

// The workers pool runs Miniflare/wrangler code in this process; there is no network for telemetry.
process.env["WRANGLER_SEND_METRICS"] ??= "false";

// The same test files run in Node and in workerd; `vitest run --project <name>` picks one.
// test/e2e holds the end-to-end tests of the example Worker, each in the one place it can run.
const include = ["test/**/*.test.ts"];
const exclude = ["test/e2e/**", "test/durable-object/**", "**/node_modules/**"];

/** `import recordings from "virtual:recordings"`: the recorded provider streams, as bytes. */
function recordings(): Plugin {
  const resolved = `\0${RECORDINGS_ID}`;
  return {
    name: "recordings",
    resolveId: (id) => (id === RECORDINGS_ID ? resolved : undefined),
    load: (id) => (id === resolved ? recordingsModule(process.cwd()) : undefined),
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [recordings()],
        test: {
          name: "node",
          include,
          exclude,
          // The demo Worker's module exports its Durable Object class (test/stubs/cloudflare-workers.ts says why).
          alias: { "cloudflare:workers": new URL("./test/stubs/cloudflare-workers.ts", import.meta.url).pathname },
          environment: "node",
          setupFiles: ["./test/setup/node.ts"],
          // test/leaks.test.ts measures the heap after a full collection.
          execArgv: ["--expose-gc"],
        },
      },
      {
        // The plugin sets this project's pool to workerd and its resolve conditions to "workerd"/"worker";
        // keep it out of the root config so the node project is untouched.
        plugins: [
          recordings(),
          cloudflareTest({
            miniflare: {
              compatibilityDate: "2025-09-01",
              compatibilityFlags: ["nodejs_compat", "enable_request_signal"],
            },
          }),
        ],
        test: {
          name: "workers",
          setupFiles: ["./test/setup/workers.ts"],
          include,
          // test/redis starts a redis-server and talks to it over TCP with the `redis` client: Node only.
          exclude: [...exclude, "test/redis/**"],
        },
      },
      {
        // The example Worker in workerd with the top-level wrangler.toml (what `wrangler dev` serves,
        // its KV namespace included), reached through SELF and its fetch handler. SELF skips the static
        // assets (the page's browser module): the "browser" project checks those under wrangler dev.
        plugins: [
          recordings(),
          cloudflareTest({
            main: "./examples/worker/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { MODEL: "scripted", MODEL_DELAY_MS: "5" } },
          }),
        ],
        test: {
          name: "example",
          // The page's browser module (the config's assets directory must exist), and a fake OpenAI /
          // Anthropic on 127.0.0.1 for the Worker's real-provider branch.
          globalSetup: ["./test/e2e/build-demo.ts", "./test/e2e/fake-provider.ts"],
          setupFiles: ["./test/setup/workers.ts"],
          include: ["test/e2e/worker.test.ts", "test/e2e/shared-chat.test.ts"],
        },
      },
      {
        // StreamLogObject, the Durable Object engine of durable streams, in workerd: the test Worker
        // exports it, and its wrangler.toml binds it with a SQLite migration, as a user's does.
        plugins: [
          cloudflareTest({
            main: "./test/durable-object/worker.ts",
            wrangler: { configPath: "./test/durable-object/wrangler.toml" },
          }),
        ],
        test: {
          name: "durable-object",
          setupFiles: ["./test/setup/workers.ts"],
          include: ["test/durable-object/**/*.test.ts"],
        },
      },
      {
        // `wrangler dev` on a free port, driven over HTTP and by Debian's chromium (see .ci/run).
        test: {
          name: "browser",
          include: ["test/e2e/wrangler-dev.test.ts"],
          environment: "node",
          setupFiles: ["./test/setup/node.ts"],
          // Generous for a busy machine; test/e2e/wrangler-dev.ts gives up on a wrangler dev that
          // is not ready in 120 s, before the hook does.
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The packed tarball installed into test/consumer/'s Node, browser and Worker projects, and
        // the README's and doc comments' ts examples compiled: what users get, checked as they use it.
        test: {
          name: "consumer",
          include: ["test/e2e/consumer.test.ts", "test/e2e/snippets.test.ts"],
          environment: "node",
          setupFiles: ["./test/setup/node.ts"],
          // Each test runs tsc, a runtime or a bundler in a child process: slow on a busy machine.
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
