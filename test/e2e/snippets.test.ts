// Every ```ts example in the README and in the doc comments of src/ compiles: each is written to a
// module of its own, compiled against the package's source (strict, as a user's project would be),
// and reported by file and line. A fragment that uses names it does not define (`stream`, `request`,
// `env`...) gets them declared from the small list below; one without an import of the package gets
// every export of it. Node only (project "consumer").
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const { process } = globalThis as unknown as { process: { cwd(): string } };
const root = process.cwd();

/**
 * The free names of fragments, declared at the top of each snippet that uses a name without
 * defining it (module scope, so `stop` or `prompt` shadow the DOM's globals). Kept small on purpose.
 */
const FREE_NAMES: Record<string, string> = {
  stream: 'import("chat-model-stream").ChatModelStream',
  events: 'ReadableStream<import("chat-model-stream").ProtocolEvent>',
  request: "Request",
  response: "Response",
  upstream: "Response",
  url: "string",
  init: "RequestInit",
  prompt: "string",
  env: "Env",
  ctx: "ExecutionContext",
  output: "{ append(text: string): void }",
  stop: "AbortController",
  callModel: '(request: Request) => AsyncIterable<import("chat-model-stream").ProtocolEvent>',
};

/** The Workers types the examples use (the DOM library is loaded, @cloudflare/workers-types is not). */
const GLOBAL_TYPES = `
interface ExecutionContext { waitUntil(promise: Promise<unknown>): void }
interface KVNamespace { put(key: string, value: string): Promise<void>; get(key: string): Promise<string | null> }
interface Env { MESSAGES: KVNamespace; ANTHROPIC_API_KEY: string; OPENAI_API_KEY: string }
interface DurableObjectNamespace<T = unknown> { getByName(name: string): import("chat-model-stream/cloudflare").StreamLogObjectStub & (T extends { start(...args: infer A): infer R } ? { start(...args: A): Promise<Awaited<R>> } : {}) }
`;

interface Snippet {
  /** `README.md:61`: the line of the opening fence. */
  where: string;
  /** The first code line's number in its file. */
  line: number;
  file: string;
  code: string;
}

const FENCE_OPEN = /^```(ts|typescript)\s*$/;

/** ```ts blocks of a Markdown file. */
function markdownSnippets(file: string): Snippet[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE_OPEN.test(lines[i]!.trim())) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    found.push({ where: `${file}:${i + 1}`, line: start + 1, file, code: lines.slice(start, end).join("\n") });
    i = end;
  }
  return found;
}

/** ```ts blocks inside the `/** ... *\/` comments of a source file. */
function docCommentSnippets(file: string): Snippet[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const strip = (line: string): string => line.replace(/^\s*\* ?/, "");
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*/.test(lines[i]!) || !FENCE_OPEN.test(strip(lines[i]!).trim())) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && strip(lines[end]!).trim() !== "```" && !lines[end]!.includes("*/")) end++;
    found.push({ where: `${file}:${i + 1}`, line: start + 1, file, code: lines.slice(start, end).map(strip).join("\n") });
    i = end;
  }
  return found;
}

const sources = readdirSync(join(root, "src"), { recursive: true })
  .filter((f) => f.endsWith(".ts"))
  .sort()
  .map((f) => `src/${f}`);
const snippets: Snippet[] = [...markdownSnippets("README.md"), ...sources.flatMap(docCommentSnippets)];

/** Every name src/index.ts exports, values and types. */
function packageExports(): string[] {
  const program = ts.createProgram([join(root, "src", "index.ts")], {
    allowImportingTsExtensions: true,
    noEmit: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  });
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(join(root, "src", "index.ts"))!)!;
  return checker.getExportsOfModule(index).map((s) => s.name);
}

/** The names a snippet declares at its top level (a free name declared there must not be declared again). */
function topLevelNames(code: string): Set<string> {
  const names = new Set<string>();
  const add = (name: ts.BindingName | ts.Identifier | undefined): void => {
    if (name === undefined) return;
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) add(element.name);
  };
  for (const statement of ts.createSourceFile("snippet.ts", code, ts.ScriptTarget.ES2022).statements) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) add(d.name);
    else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) add(statement.name);
    else if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings !== undefined && ts.isNamedImports(bindings)) for (const e of bindings.elements) add(e.name);
    }
  }
  return names;
}

let work = "";
/** The errors of each snippet, as `README.md:64: message`. */
const errors = new Map<Snippet, string[]>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cms-snippets-"));
  const names = packageExports();
  const files = new Map<string, { snippet: Snippet; header: number }>();
  await writeFile(join(work, "prelude.d.ts"), GLOBAL_TYPES);
  for (const [n, snippet] of snippets.entries()) {
    // A doc comment's relative import is relative to its source file.
    const dir = join(root, snippet.file, "..");
    const code = snippet.code.replace(/(from\s+["'])(\.{1,2}\/)/g, (_, head: string, rel: string) => `${head}${join(dir, rel)}/`);
    const header: string[] = [];
    if (!/from\s+["']chat-model-stream["']/.test(code)) header.push(`import { ${names.join(", ")} } from "chat-model-stream";`);
    const declared = topLevelNames(code);
    for (const [name, type] of Object.entries(FREE_NAMES)) {
      if (new RegExp(`\\b${name}\\b`).test(code) && !declared.has(name)) header.push(`declare const ${name}: ${type};`);
    }
    const path = join(work, `snippet-${n}.ts`);
    await writeFile(path, [...header, code, ""].join("\n"));
    files.set(path, { snippet, header: header.length });
    errors.set(snippet, []);
  }
  // src/log/cloudflare-workers.d.ts types "cloudflare:workers" for chat-model-stream/cloudflare.
  const roots = [join(work, "prelude.d.ts"), join(root, "src", "log", "cloudflare-workers.d.ts"), ...files.keys()];
  const program = ts.createProgram(roots, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts", "lib.dom.asynciterable.d.ts", "lib.esnext.disposable.d.ts"],
    types: [],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    baseUrl: work,
    paths: {
      "chat-model-stream": [join(root, "src", "index.ts")],
      "chat-model-stream/cloudflare": [join(root, "src", "cloudflare.ts")],
      "chat-model-stream/redis": [join(root, "src", "redis.ts")],
      // The Redis engine's examples use the `redis` client, a dev dependency of the package.
      redis: [join(root, "node_modules", "redis", "dist", "index.d.ts")],
    },
  });
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file === undefined ? undefined : files.get(diagnostic.file.fileName);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    if (file === undefined) {
      // In the prelude or the package itself: every snippet is suspect.
      for (const list of errors.values()) list.push(`${diagnostic.file?.fileName ?? "(global)"}: ${message}`);
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    errors.get(file.snippet)!.push(`${file.snippet.file}:${file.snippet.line + line - file.header}: ${message}`);
  }
}, 120_000);

afterAll(async () => {
  if (work !== "" && existsSync(work)) await rm(work, { recursive: true, force: true });
});

describe("the ts examples of the README and of the doc comments", () => {
  test("are found: the README's and at least one per exported class's doc comment", () => {
    expect(snippets.filter((s) => s.file === "README.md").length).toBeGreaterThan(4);
    expect(snippets.filter((s) => s.file.startsWith("src/")).length).toBeGreaterThan(10);
  });

  test.each(snippets.map((s) => [s.where, s] as const))("%s compiles", (_, snippet) => {
    expect(errors.get(snippet)).toEqual([]);
  });
});
