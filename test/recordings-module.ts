// The recorded provider streams (test/fixtures/recorded/<provider>/<name>) as one module, made by
// vitest's and the runtimes runner's bundlers alike: `import recordings from "virtual:recordings"`.
// Each file holds the bytes exactly as the provider sent them; its directory's SOURCES file has one
// line per recording saying where it was taken from. Node-only: this runs in the bundlers, not the tests.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The id the tests import. */
export const RECORDINGS_ID = "virtual:recordings";


/**
 * The module's source: `default` maps "<provider>/<name>" to the recording's bytes (decoded from
 * base64 when the module loads), `sources` maps the same keys to their SOURCES line.
 * `root` is the project's directory.
 */
export function recordingsModule(root: string): string {
  const dir = join(root, "test", "fixtures", "recorded");
  const bytes: string[] = [];
  const sources: string[] = [];
  let providers: string[] = [];
  try {
    providers = readdirSync(dir).sort();
  } catch {
    // no recordings yet
  }
  for (const provider of providers) {
    const folder = join(dir, provider);
    if (!statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder).sort()) {
      if (name === "SOURCES") continue;
      const key = JSON.stringify(`${provider}/${name}`);
      bytes.push(`  ${key}: b(${JSON.stringify(readFileSync(join(folder, name)).toString("base64"))}),`);
    }
    let listed = "";
    try {
      listed = readFileSync(join(folder, "SOURCES"), "utf8");
    } catch {
      // no SOURCES file: the test that every recording has a source says so
    }
    for (const line of listed.split("\n")) {
      const match = /^(\S+)\s+(.+)$/.exec(line.trim());
      if (match) sources.push(`  ${JSON.stringify(`${provider}/${match[1]}`)}: ${JSON.stringify(match[2])},`);
    }
  }
  return [
    "const b = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));",
    `export default {\n${bytes.join("\n")}\n};`,
    `export const sources = {\n${sources.join("\n")}\n};`,
    "",
  ].join("\n");
}
