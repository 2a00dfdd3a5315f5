// The package as its users get it: `npm pack` from the files a fresh clone has (dist/ is built by
// `prepare`), installed from the tarball into the three consumer projects of test/consumer/ (Node,
// a browser bundle, a Cloudflare Worker), each type-checked with `skipLibCheck: false` against the
// published `.d.ts`, then run or bundled the way that kind of project is. Every tool is the root's
// (typescript, @types/node, @cloudflare/workers-types, esbuild, wrangler, miniflare, deno, bun):
// nothing is fetched, the tarball has no dependencies. Node only (project "consumer").
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

interface NodeProcess {
  readonly execPath: string;
  readonly env: Record<string, string | undefined>;
  cwd(): string;
}
const { process } = globalThis as unknown as { process: NodeProcess };

const root = process.cwd();
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
/** What a clone has that `npm pack` reads (dist/ is not among them: `prepare` builds it). */
const CLONE_FILES = ["package.json", "README.md", "LICENSE", "tsconfig.json", "tsconfig.build.json", "scripts", "src"];
const CONSUMERS = ["node", "browser", "worker"] as const;

interface Run {
  code: number | null;
  stdout: string;
  /** stdout and stderr, for failure messages. */
  output: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs = 100_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        DENO_NO_UPDATE_CHECK: "1",
        NO_UPDATE_NOTIFIER: "1",
        npm_config_update_notifier: "false",
      },
    });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, output: `$ ${command} ${args.join(" ")}  (in ${cwd})\n${output}` });
    });
  });
}

function expectSuccess(result: Run): void {
  expect(result.code, result.output).toBe(0);
}

/** miniflare's entry file, as a file URL for `import`. */
function miniflareEntry(): string {
  const pkg = JSON.parse(readFileSync(join(root, "node_modules", "miniflare", "package.json"), "utf8")) as { main: string };
  return `file://${join(root, "node_modules", "miniflare", pkg.main)}`;
}

let work = "";
let tarball = "";
let packFiles: string[] = [];
const consumer = (name: (typeof CONSUMERS)[number], ...path: string[]): string => join(work, name, ...path);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cms-consumer-"));
  const clone = join(work, "clone");
  await mkdir(clone);
  for (const file of CLONE_FILES) await cp(join(root, file), join(clone, file), { recursive: true });
  await symlink(join(root, "node_modules"), join(clone, "node_modules"), "dir");
  const packed = await run("npm", ["pack", "--json", "--pack-destination", work], clone, 120_000);
  expectSuccess(packed);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  packFiles = info!.files.map((f) => f.path);

  for (const name of CONSUMERS) {
    await cp(join(root, "test", "consumer", name), consumer(name), { recursive: true });
    // The tarball has no dependencies, so this installs it without the network.
    expectSuccess(
      await run(
        "npm",
        ["install", "--offline", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", tarball],
        consumer(name),
      ),
    );
  }
  // The type packages each consumer names in `types`, from the root's node_modules.
  await mkdir(consumer("node", "node_modules", "@types"), { recursive: true });
  await symlink(join(root, "node_modules", "@types", "node"), consumer("node", "node_modules", "@types", "node"), "dir");
  await mkdir(consumer("worker", "node_modules", "@cloudflare"), { recursive: true });
  await symlink(
    join(root, "node_modules", "@cloudflare", "workers-types"),
    consumer("worker", "node_modules", "@cloudflare", "workers-types"),
    "dir",
  );
}, 240_000);

afterAll(async () => {
  if (work !== "") await rm(work, { recursive: true, force: true });
});

describe("npm pack from a fresh clone", () => {
  test("ships dist/ with the .js and .d.ts of index, LICENSE and README, and no sources or tests", () => {
    expect(packFiles).toEqual(
      expect.arrayContaining(["package.json", "LICENSE", "README.md", "dist/index.js", "dist/index.d.ts", "dist/projection.d.ts"]),
    );
    expect(packFiles.filter((f) => !/^(dist\/.*\.(js|d\.ts)|package\.json|LICENSE|README\.md)$/.test(f))).toEqual([]);
  });

  test("package.json names the license, repository, keywords, top-level types and exports conditions", () => {
    const pkg = JSON.parse(readFileSync(consumer("node", "node_modules", "chat-model-stream", "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(pkg).toMatchObject({
      license: "MIT",
      type: "module",
      types: "./dist/index.d.ts",
      repository: { type: "git", url: "git+https://github.com/chat-model-stream/chat-model-stream.git" },
      exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js", default: "./dist/index.js" } },
    });
    expect(Object.keys((pkg["exports"] as Record<string, Record<string, string>>)["."]!)[0]).toBe("types"); // must come first
    expect((pkg["keywords"] as string[]).length).toBeGreaterThan(3);
    expect(readFileSync(consumer("node", "node_modules", "chat-model-stream", "LICENSE"), "utf8")).toContain(
      "Copyright (c) 2026 chat-model-stream contributors",
    );
  });

  test("the declarations import .js paths, never .ts", () => {
    const dist = consumer("node", "node_modules", "chat-model-stream", "dist");
    const withTs = readdirSync(dist, { recursive: true })
      .filter((f) => f.endsWith(".d.ts"))
      .filter((f) => /from\s+["']\.{1,2}\/[^"']*\.ts["']|import\(["']\.{1,2}\/[^"']*\.ts["']\)/.test(readFileSync(join(dist, f), "utf8")));
    expect(withTs).toEqual([]);
  });

  test("the declarations a consumer loads name no internal class (the hub, cursors, the accumulator)", async () => {
    const listed = await run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", ".", "--noEmit", "--listFilesOnly"], consumer("node"));
    expectSuccess(listed);
    const loaded = listed.stdout.split("\n").filter((f) => f.includes("/chat-model-stream/dist/"));
    expect(loaded.map((f) => f.slice(f.indexOf("/dist/") + 1))).toContain("dist/index.d.ts");
    const leaks = loaded.filter((f) =>
      /\b(Hub|Cursor|CursorSink|MessageAccumulator|SourceOpener|StringBuilder)\b/.test(readFileSync(f, "utf8")),
    );
    expect(leaks).toEqual([]);
  });
});

const tsc = (project: string, cwd: string): Promise<Run> =>
  run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", project], cwd);

describe("a Node 20 project (lib ES2022 + @types/node, nodenext)", () => {
  test("type-checks its usage file with skipLibCheck: false", async () => {
    expectSuccess(await tsc("tsconfig.json", consumer("node")));
  });

  test("type-checks it with module node16 as well", async () => {
    expectSuccess(await tsc("tsconfig.node16.json", consumer("node")));
  });

  for (const [runtime, command, args] of [
    ["Node", process.execPath, ["out/usage.js"]],
    ["Deno", bin("deno"), ["run", "--allow-read", "--allow-env", "out/usage.js"]],
    ["Bun", bin("bun"), ["out/usage.js"]],
  ] as const) {
    test(`runs it under ${runtime}`, async () => {
      expect(existsSync(consumer("node", "out", "usage.js")), "tsc emitted out/usage.js").toBe(true);
      const result = await run(command, [...args], consumer("node"));
      expectSuccess(result);
      expect(result.stdout).toMatch(/consumer node: \d+ checks passed/);
    });
  }
});

describe("chat-model-stream/redis in a Node project without the redis package (an optional peer)", () => {
  test("its usage file (type-checked with usage.ts above) runs under Node", async () => {
    const result = await run(process.execPath, ["out/redis.js"], consumer("node"));
    expectSuccess(result);
    expect(result.stdout).toMatch(/consumer redis: \d+ checks passed/);
    expect(existsSync(consumer("node", "node_modules", "redis"))).toBe(false);
  });
});

describe("a browser bundle (lib ES2022 + DOM without DOM.AsyncIterable, bundler resolution)", () => {
  test("type-checks its usage file with skipLibCheck: false", async () => {
    expectSuccess(await tsc("tsconfig.json", consumer("browser")));
  });

  test("type-checks it with ESNext, DOM.Iterable and DOM.AsyncIterable as well", async () => {
    expectSuccess(await tsc("tsconfig.dom-async-iterable.json", consumer("browser")));
  });

  test("esbuild bundles it for the browser, and the bundle reads a toResponse body", async () => {
    expectSuccess(
      await run(
        bin("esbuild"),
        ["usage.ts", "--bundle", "--format=esm", "--platform=browser", "--target=es2022", "--outfile=out/usage.js", "--log-level=warning"],
        consumer("browser"),
      ),
    );
    const bundle = readFileSync(consumer("browser", "out", "usage.js"), "utf8");
    expect(bundle).not.toMatch(/from\s*["'](node:|chat-model-stream)/);
    // An SSE body as toResponse writes it, read by the bundle's `render`.
    const driver = `
      import { render } from "./out/usage.js";
      const frames = [
        { event: "message-start", id: "m1" },
        { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
        { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "lo" } },
        { event: "message-finish", reason: "stop", usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } },
      ].map((e, i) => "id: " + (i + 1) + "\\nevent: " + e.event + "\\ndata: " + JSON.stringify(e) + "\\n\\n").join("");
      const response = new Response(frames, { headers: { "content-type": "text/event-stream" } });
      let text = "";
      const usage = await render(response, { append: (t) => (text += t) });
      console.log(JSON.stringify({ text, usage }));`;
    const result = await run(process.execPath, ["--input-type=module", "-e", driver], consumer("browser"));
    expectSuccess(result);
    expect(JSON.parse(result.stdout)).toEqual({ text: "Hello", usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } });
  });
});

describe("a Cloudflare Worker (@cloudflare/workers-types, no DOM library)", () => {
  test("type-checks its usage file with skipLibCheck: false", async () => {
    expectSuccess(await tsc("tsconfig.json", consumer("worker")));
  });

  test("wrangler deploy --dry-run bundles it, and the bundle answers in workerd", async () => {
    expectSuccess(await run(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "out"], consumer("worker")));
    const bundle = readFileSync(consumer("worker", "out", "index.js"), "utf8");
    expect(bundle).not.toMatch(/from\s*["']chat-model-stream["']/);
    // In a process of its own: workerd fails to start from inside vitest's module runner.
    const driver = `
      import { Miniflare } from "miniflare";
      const mf = new Miniflare({
        modules: true,
        scriptPath: "out/index.js",
        compatibilityDate: "2025-09-01",
        compatibilityFlags: ["enable_request_signal"],
      });
      try {
        const response = await mf.dispatchFetch("http://localhost/?q=hi%20there");
        console.log(JSON.stringify({ header: response.headers.get("x-consumer"), body: await response.text() }));
      } finally {
        await mf.dispose();
      }`;
    // Resolved from the root's node_modules (the consumer has only the tarball).
    const script = driver.replace('"miniflare"', JSON.stringify(miniflareEntry()));
    const result = await run(process.execPath, ["--input-type=module", "-e", script], consumer("worker"));
    expectSuccess(result);
    const { header, body } = JSON.parse(result.stdout) as { header: string | null; body: string };
    expect(header).toBe("worker");
    const events = body
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)) as { event: string; delta?: { text?: string } });
    expect(events.map((e) => (e.event === "content-block-delta" ? e.delta?.text : "")).join("")).toBe("You said: hi there");
    expect(events.at(-1)?.event).toBe("message-finish");
  });
});
