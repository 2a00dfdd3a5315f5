// `npm run test:runtimes [runtime...] [spec file...] [--out DIR]`: the spec files in Node and workerd
// (vitest's node and workers projects) and, bundled with esbuild, in Deno, Bun and a headless Chromium
// page (test/runtimes/{deno,bun,chromium}.ts); then a runtime × passed/failed table. With `--out`,
// each runtime's result is also written to DIR/<runtime>.json for .ci/run to add up. Node only.
import { spawn } from "node:child_process";
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { chromium } from "playwright-core";
import { RESULT_MARKER, type RuntimeResult } from "./result.ts";
import { CHROMIUM, CHROMIUM_FLAGS } from "../chromium.ts";
import { RECORDINGS_ID, recordingsModule } from "../recordings-module.ts";

interface NodeProcess {
  readonly argv: string[];
  readonly env: Record<string, string | undefined>;
  readonly version: string;
  exitCode: number | undefined;
  cwd(): string;
}
const { process } = globalThis as unknown as { process: NodeProcess };

const RUNTIMES = ["node", "workers", "deno", "bun", "chromium"] as const;
type Runtime = (typeof RUNTIMES)[number];

/** A whole runtime's run; the suite takes well under a minute in each. */
const RUN_TIMEOUT_MS = 5 * 60_000;
const root = process.cwd();
const outDir = join(root, ".runtimes");
const bin = (name: string): string => join(root, "node_modules", ".bin", name);

function parseArgs(argv: string[]): { runtimes: Runtime[]; files: string[]; out: string | undefined } {
  const runtimes: Runtime[] = [];
  const files: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--out") out = argv[++i];
    else if ((RUNTIMES as readonly string[]).includes(arg)) runtimes.push(arg as Runtime);
    else if (arg.endsWith(".ts")) files.push(arg.replace(/^\.\//, ""));
    else throw new Error(`unknown argument ${arg}: expected ${RUNTIMES.join(", ")}, a test file, or --out DIR`);
  }
  return { runtimes: runtimes.length > 0 ? runtimes : [...RUNTIMES], files, out };
}

async function specFiles(filter: string[]): Promise<string[]> {
  const all = (await readdir(join(root, "test")))
    .filter((name) => name.endsWith(".test.ts"))
    .sort()
    .map((name) => `test/${name}`);
  return all.filter((file) => filter.length === 0 || filter.includes(file));
}

/** The "runtimes:specs" module: each spec file as a lazy import, so the harness runs them one by one. */
function specsPlugin(files: string[]): Plugin {
  return {
    name: "runtimes-specs",
    setup(b) {
      b.onResolve({ filter: /^runtimes:specs$/ }, () => ({ path: "specs", namespace: "runtimes" }));
      // The recorded provider streams, as vitest's config makes them (test/recordings-module.ts).
      b.onResolve({ filter: new RegExp(`^${RECORDINGS_ID}$`) }, () => ({ path: "recordings", namespace: "runtimes" }));
      b.onLoad({ filter: /^recordings$/, namespace: "runtimes" }, () => ({ contents: recordingsModule(root), loader: "js" }));
      b.onLoad({ filter: /^specs$/, namespace: "runtimes" }, () => ({
        contents: `export default {\n${files.map((f) => `  ${JSON.stringify(f)}: () => import(${JSON.stringify(`./${f}`)}),`).join("\n")}\n};\n`,
        resolveDir: root,
        loader: "js",
      }));
      // @sinonjs/fake-timers requires Node's "util" where `process` exists, only to give the fake
      // setTimeout a `promisify.custom`; the spec files don't promisify it.
      b.onResolve({ filter: /^util$/ }, () => ({ path: "util", namespace: "runtimes" }));
      b.onLoad({ filter: /^util$/, namespace: "runtimes" }, () => ({ contents: "module.exports = {};", loader: "js" }));
      // The `ai` package's gateway reads Vercel's OIDC token files through Node's fs; the spec files
      // use its UI-stream client only, which never asks for a token.
      b.onResolve({ filter: /^@vercel\/oidc$/ }, () => ({ path: "oidc", namespace: "runtimes" }));
      b.onLoad({ filter: /^oidc$/, namespace: "runtimes" }, () => ({ contents: "module.exports = {};", loader: "js" }));
    },
  };
}

/**
 * One bundle per runtime. `target: "es2022"` is the package's own build target (tsconfig.json), so
 * `await using` in a spec file is lowered as in the built package and the runtime's
 * `Symbol.asyncDispose` is what is tested, as it is for users.
 */
async function bundle(runtime: "deno" | "bun" | "chromium", files: string[]): Promise<string> {
  const outfile = join(outDir, `${runtime}.mjs`);
  await build({
    entryPoints: [join(root, "test", "runtimes", `${runtime}.ts`)],
    outfile,
    bundle: true,
    format: "esm",
    platform: runtime === "chromium" ? "browser" : "neutral",
    mainFields: ["module", "main"],
    conditions: runtime === "chromium" ? ["browser"] : [runtime],
    target: "es2022",
    // Bun's runtime transpiler rewrites non-ASCII characters in template literals as \u escapes, which
    // String.raw (the provider fixtures) then returns verbatim. Lowered, they are plain string literals.
    supported: runtime === "bun" ? { "template-literal": false } : {},
    // The demo Worker's module exports its Durable Object class (test/stubs/cloudflare-workers.ts says why).
    alias: { vitest: join(root, "test", "runtimes", "vitest.ts"), "cloudflare:workers": join(root, "test", "stubs", "cloudflare-workers.ts") },
    // Deno and Bun have Node's builtins themselves; the SDK clients that judge our formats import some.
    external: runtime === "chromium" ? [] : ["node:*"],
    plugins: [specsPlugin(files)],
    sourcemap: "inline",
    logLevel: "warning",
  });
  return outfile;
}

/** Runs a command; resolves with its stdout, its stderr's tail and exit code (or kills it at the timeout). */
function exec(command: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: `${stderr}\n${error.message}`, code: null });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** The result line of a harness run, and the log before it (printed as it is). */
function resultOf(runtime: string, output: string, problem: string): RuntimeResult {
  let result: RuntimeResult | undefined;
  for (const line of output.split("\n")) {
    if (line.startsWith(RESULT_MARKER)) result = JSON.parse(line.slice(RESULT_MARKER.length)) as RuntimeResult;
    else if (line.startsWith("FAIL ") || line.startsWith("    ")) console.log(`  ${line}`);
  }
  return result ?? crashed(runtime, problem || output.slice(-4_000));
}

function crashed(runtime: string, error: string): RuntimeResult {
  console.log(`  ${runtime}: no result\n${error}`);
  return { runtime, version: "?", passed: 0, failed: 1, skipped: 0, durationMs: 0, failures: [{ name: `${runtime}: the run ended without a result`, error }], known: [] };
}

async function runDeno(files: string[]): Promise<RuntimeResult> {
  const file = await bundle("deno", files);
  // Reading the environment is the one permission: vitest's colours and the spec files' knobs
  // (FUZZ_RUNS, PRINT_MATRIX) read it. No config, lock file, npm or remote imports: the bundle is all.
  const { stdout, stderr, code } = await exec(bin("deno"), ["run", "--no-prompt", "--no-config", "--no-lock", "--no-npm", "--no-remote", "--allow-env", file], {
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  });
  return resultOf("deno", stdout, code === 0 ? "" : `exit ${code}\n${stderr}`);
}

async function runBun(files: string[]): Promise<RuntimeResult> {
  const file = await bundle("bun", files);
  // The platform package's binary works whether or not npm ran bun's postinstall (which moves it to
  // node_modules/bun/bin); node_modules/.bin/bun works only if it did.
  const platformBinary = join(root, "node_modules", "@oven", "bun-linux-x64", "bin", "bun");
  const bun = await access(platformBinary).then(() => platformBinary, () => bin("bun"));
  const { stdout, stderr, code } = await exec(bun, ["--no-install", "run", file], { DO_NOT_TRACK: "1", NO_COLOR: "1" });
  return resultOf("bun", stdout, code === 0 ? "" : `exit ${code}\n${stderr}`);
}

async function runChromium(files: string[]): Promise<RuntimeResult> {
  const file = await bundle("chromium", files);
  const script = await readFile(file, "utf8");
  const profile = await mkdtemp(join(tmpdir(), "chat-model-stream-runtimes-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    // Served from http://localhost, a secure context, by the page's own router: no server, no network.
    await page.route("http://localhost/**", (route) => {
      const html = `<!doctype html><meta charset="utf-8"><title>chat-model-stream specs</title><script type="module" src="/specs.mjs"></script>`;
      return new URL(route.request().url()).pathname === "/specs.mjs"
        ? route.fulfill({ contentType: "text/javascript", body: script })
        : route.fulfill({ contentType: "text/html", body: html });
    });
    let output = "";
    const done = new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve(`timed out after ${RUN_TIMEOUT_MS} ms`), RUN_TIMEOUT_MS);
      page.on("console", (message) => {
        output += `${message.text()}\n`;
        if (message.text().startsWith(RESULT_MARKER)) {
          clearTimeout(timer);
          resolve("");
        }
      });
      page.on("pageerror", (error) => {
        clearTimeout(timer);
        resolve(`page error: ${error.stack ?? error.message}`);
      });
      page.on("crash", () => resolve("the page crashed"));
    });
    await page.goto("http://localhost/");
    const problem = await done;
    return resultOf("chromium", output, problem);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** vitest's own run of one project, read from its JSON report the way .ci/run reads it. */
async function runVitest(project: "node" | "workers", files: string[]): Promise<RuntimeResult> {
  const dir = await mkdtemp(join(tmpdir(), "chat-model-stream-vitest-"));
  const report = join(dir, "report.json");
  try {
    const started = Date.now();
    const { stdout, stderr, code } = await exec(
      bin("vitest"),
      ["run", "--project", project, "--reporter=dot", "--reporter=json", `--outputFile=${report}`, ...files],
      { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    );
    let json: VitestReport;
    try {
      json = JSON.parse(await readFile(report, "utf8")) as VitestReport;
    } catch {
      return crashed(project, `exit ${code}\n${stdout.slice(-4_000)}\n${stderr}`);
    }
    const failures: RuntimeResult["failures"] = [];
    for (const file of json.testResults ?? []) {
      const name = file.name.slice(root.length + 1);
      const failed = (file.assertionResults ?? []).filter((t) => t.status === "failed");
      for (const t of failed) failures.push({ name: `${name} > ${t.fullName}`, error: (t.failureMessages ?? []).join("\n") });
      if (file.status === "failed" && failed.length === 0) failures.push({ name: `${name} (outside any test)`, error: file.message ?? "" });
    }
    if (code !== 0 && failures.length === 0) failures.push({ name: `vitest exited ${code}`, error: stderr.slice(-4_000) });
    for (const f of failures) console.log(`  FAIL ${f.name}\n${f.error.split("\n").slice(0, 40).map((l) => `      ${l}`).join("\n")}`);
    return {
      runtime: project,
      version: project === "node" ? process.version.slice(1) : await workerdVersion(),
      passed: json.numPassedTests ?? 0,
      failed: failures.length,
      skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
      durationMs: Date.now() - started,
      failures,
      known: [],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface VitestReport {
  numPassedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: { name: string; status: string; message?: string; assertionResults?: { status: string; fullName: string; failureMessages?: string[] }[] }[];
}

async function workerdVersion(): Promise<string> {
  const { version } = JSON.parse(await readFile(join(root, "node_modules", "workerd", "package.json"), "utf8")) as { version: string };
  return `workerd ${version}`;
}

function table(results: RuntimeResult[]): string {
  const rows = [
    ["runtime", "version", "passed", "failed", "skipped", "known", "time"],
    ...results.map((r) => [
      r.runtime,
      r.version,
      String(r.passed),
      String(r.failed),
      String(r.skipped),
      String(r.known.length),
      `${(r.durationMs / 1000).toFixed(1)} s`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}

const { runtimes, files, out } = parseArgs(process.argv.slice(2));
const specs = await specFiles(files);
if (specs.length === 0) throw new Error(`no spec file matches ${files.join(" ")}`);
await mkdir(outDir, { recursive: true });
if (out !== undefined) await mkdir(out, { recursive: true });

const runners: Record<Runtime, () => Promise<RuntimeResult>> = {
  node: () => runVitest("node", files),
  workers: () => runVitest("workers", files),
  deno: () => runDeno(specs),
  bun: () => runBun(specs),
  chromium: () => runChromium(specs),
};
const results: RuntimeResult[] = [];
for (const runtime of runtimes) {
  console.log(`${runtime}…`);
  let result: RuntimeResult;
  try {
    result = await runners[runtime]();
  } catch (error) {
    result = crashed(runtime, error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  results.push(result);
  if (out !== undefined) await writeFile(join(out, `${runtime}.json`), JSON.stringify(result, null, 2));
}

console.log(`\n${table(results)}\n`);
for (const r of results) for (const k of r.known) console.log(`known failure in ${r.runtime}: ${k.name}\n  ${k.reason}`);
if (results.some((r) => r.failed > 0)) process.exitCode = 1;
