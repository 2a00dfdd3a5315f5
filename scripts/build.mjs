// Builds dist/ (ESM `.js` and `.d.ts`) from src/, from scratch: `npm run build`, and `prepare`,
// which npm runs before `npm pack`, `npm publish` and an install from git.
//
// tsc's `rewriteRelativeImportExtensions` rewrites `./x.ts` to `./x.js` in the emitted JavaScript
// but not in the declarations, which keep `./x.ts`. TypeScript ≥ 5 happens to resolve those, but
// older compilers and other tools that read `.d.ts` files do not: the declarations get the same
// `.js` specifiers as the code they describe.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

// A file renamed or deleted in src/ must not linger in the package.
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const built = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (built.status !== 0) process.exit(built.status ?? 1);

// `from "./a.ts"`, `import("../b.ts")`, `export * from "./c.ts"`: relative specifiers only.
const RELATIVE_TS = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*?)\.ts(["'])/g;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath ?? entry.path, entry.name);
  const text = readFileSync(file, "utf8");
  const out = text.replace(RELATIVE_TS, "$1$2.js$3");
  if (out !== text) writeFileSync(file, out);
}
