import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// The workers pool runs Miniflare/wrangler code in this process; there is no network for telemetry.
process.env["WRANGLER_SEND_METRICS"] ??= "false";

// The same test files run in Node and in workerd; `vitest run --project <name>` picks one.
const include = ["test/**/*.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include,
          environment: "node",
          setupFiles: ["./test/setup/node.ts"],
        },
      },
      {
        // The plugin sets this project's pool to workerd and its resolve conditions to "workerd"/"worker";
        // keep it out of the root config so the node project is untouched.
        plugins: [
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
        },
      },
    ],
  },
});
