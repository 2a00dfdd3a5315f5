// Starts `wrangler dev` on the example Worker (what `npm start` runs) on a free localhost port, with
// a fresh local state directory, and collects its log. wrangler.toml's [build] builds the page's
// browser module first. Node only.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface NodeProcess {
  readonly execPath: string;
  readonly env: Record<string, string | undefined>;
  kill(pid: number, signal?: string): void;
  cwd(): string;
}
const { process } = globalThis as unknown as { process: NodeProcess };

export interface WranglerDev {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every line wrangler and the Worker printed so far. */
  readonly lines: string[];
  /** Resolves with the first line from index `from` on that matches (waiting for it if needed). */
  waitForLine(pattern: RegExp, from?: number): Promise<string>;
  /** Stops wrangler (and its workerd) and removes the state directory. */
  stop(): Promise<void>;
}

/** How long wrangler dev may take to be ready (a busy machine is slow to start workerd). */
export const READY_DEADLINE_MS = 120_000;

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * How to start it: `wrangler dev --config wrangler.toml` (the default); `wrangler dev` with no config
 * and no entry point, as a user types it in the repository (`plain`); or `npm start` with the port
 * in `PORT` or after `--`.
 */
export type Launch = "wrangler" | "plain" | "npm start, PORT" | "npm start -- --port";

/** Starts wrangler dev with these extra `--var`s (and `extraArgs`); resolves once it is ready. */
export async function startWranglerDev(
  vars: Record<string, string> = {},
  launch: Launch = "wrangler",
  extraArgs: string[] = [],
): Promise<WranglerDev> {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const state = await mkdtemp(join(tmpdir(), "chat-model-stream-wrangler-"));
  // Every launch gets its own inspector port and state directory, so runs side by side don't collide.
  const common = [
    "--inspector-port", String(inspectorPort),
    "--persist-to", state,
    "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
    ...extraArgs,
  ];
  const wrangler = [join(process.cwd(), "node_modules/wrangler/bin/wrangler.js"), "dev"];
  const [command, args, extraEnv]: [string, string[], Record<string, string>] =
    launch === "wrangler"
      ? [process.execPath, [...wrangler, "--config", "wrangler.toml", "--ip", "127.0.0.1", "--port", String(port), ...common], {}]
      : launch === "plain"
        ? [process.execPath, [...wrangler, "--port", String(port), ...common], {}]
        : launch === "npm start, PORT"
          ? ["npm", ["start", "--", ...common], { PORT: String(port) }]
          : ["npm", ["start", "--", "--port", String(port), ...common], {}];
  // A PORT in the caller's environment would reach `npm start` too.
  const { PORT: _ambientPort, ...env } = process.env;
  const child: ChildProcess = spawn(command, args, {
    // Its own process group, so stop() ends workerd too.
    detached: true,
    env: {
      ...env,
      ...extraEnv,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      // No banner, and so no registry lookup for a newer wrangler.
      WRANGLER_HIDE_BANNER: "true",
      FORCE_COLOR: "0",
      NO_COLOR: "1",
      CI: "true",
    },
  });

  const lines: string[] = [];
  const watchers: { pattern: RegExp; from: number; resolve(line: string): void }[] = [];
  let partial = "";
  const onData = (chunk: { toString(): string }): void => {
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (let i = watchers.length - 1; i >= 0; i--) {
        const w = watchers[i]!;
        if (lines.length - 1 >= w.from && w.pattern.test(line)) {
          watchers.splice(i, 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on("exit", () => {
      exited = true;
      resolve();
    }),
  );

  const waitForLine = (pattern: RegExp, from = 0): Promise<string> => {
    const found = lines.slice(from).find((line) => pattern.test(line));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => watchers.push({ pattern, from, resolve }));
  };

  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      await exit;
    }
    await rm(state, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  // A deadline below the tests' own timeouts, so a wrangler that never gets ready is stopped here
  // rather than left running (it is detached) after the test gave up on it.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = await Promise.race([
    waitForLine(new RegExp(`Ready on ${url.replace(/\./g, "\\.")}`)).then(() => "ready" as const),
    exit.then(() => "exited" as const),
    new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), READY_DEADLINE_MS))),
  ]);
  clearTimeout(timer);
  if (ready !== "ready") {
    await stop();
    const why = ready === "exited" ? "exited before it was ready" : `was not ready within ${READY_DEADLINE_MS / 1000} s`;
    throw new Error(`wrangler dev ${why}:\n${lines.join("\n")}`);
  }
  return { url, lines, waitForLine, stop };
}
