// Builds the demo page's browser module, examples/worker/public/chat-model-stream.js, from
// src/index.ts: `npm run build:demo`, which wrangler.toml's [build] runs before every `wrangler dev`.
//
// The file is written only when its bytes change. Every `wrangler dev` runs this build, and a
// second one (the tests start several) rewriting the assets of a first one that is serving them made
// that first one reload mid-request: a fetch of the module then hung until the test timed out.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "examples/worker/public/chat-model-stream.js");

const result = await build({
  entryPoints: [join(root, "src/index.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  outfile,
  logLevel: "warning",
});
const next = result.outputFiles[0].contents;
let current;
try {
  current = readFileSync(outfile);
} catch {
  current = undefined;
}
if (current === undefined || !Buffer.from(next).equals(current)) {
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, next);
}
