// Builds the demo pages' browser modules, examples/worker/public/chat-model-stream.js from
// src/index.ts and public/ui-chat.js from examples/worker/ui-chat.ts (the AI SDK's chat client):
// `npm run build:demo`, which wrangler.toml's [build] runs before every `wrangler dev`.
//
// The file is written only when its bytes change. Every `wrangler dev` runs this build, and a
// second one (the tests start several) rewriting the assets of a first one that is serving them made
// that first one reload mid-request: a fetch of the module then hung until the test timed out.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The `ai` package's gateway reads Vercel's OIDC token files through Node's fs; the page uses its
 * chat client only, which never asks for a token.
 */
const noOIDC = {
  name: "no-oidc",
  setup(b) {
    b.onResolve({ filter: /^@vercel\/oidc$/ }, () => ({ path: "oidc", namespace: "demo" }));
    b.onLoad({ filter: /^oidc$/, namespace: "demo" }, () => ({ contents: "module.exports = {};", loader: "js" }));
  },
};

/** Bundles `entry` for the browser into `out`, written only when its bytes change. */
async function bundle(entry, out) {
  const outfile = join(root, out);
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    outfile,
    logLevel: "warning",
    plugins: [noOIDC],
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
}

// The package for the demo page, and the AI SDK chat client for the /ui page.
await bundle("src/index.ts", "examples/worker/public/chat-model-stream.js");
await bundle("examples/worker/ui-chat.ts", "examples/worker/public/ui-chat.js");
