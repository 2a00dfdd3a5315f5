// A redis-server of the tests' own: Debian's binary (.ci/run installs it) on 127.0.0.1, a free
// port, nothing saved to disk. Node only.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A running server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills it (SIGKILL: no goodbye to its clients) and resolves once it exited. */
  kill(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Resolves when `child` exits (call it at once: a killed child's exitCode stays null). */
function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.on("exit", () => resolve()));
}

/** Starts redis-server; rejects with its output if it is not ready in 10 s. */
export async function startRedis(): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exit = exited(child);
    let output = "";
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const read = (chunk: { toString(): string }): void => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      child.on("exit", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    const kill = async (): Promise<void> => {
      child.kill("SIGKILL");
      await exit;
    };
    if (ready) return { port, url: `redis://127.0.0.1:${port}`, kill };
    await kill();
    // Another process may have taken the port between the probe and the server's bind.
    if (attempt === 3 || !output.includes("Address already in use")) {
      throw new Error(`redis-server did not start (is Debian's redis-server installed? .ci/run installs it):\n${output}`);
    }
  }
}
