// globalSetup of the "example" project: builds the demo page's browser module
// (examples/worker/public/chat-model-stream.js) with `npm run build:demo`, the command wrangler.toml's
// [build] runs before `wrangler dev`. The workers pool runs no build, and refuses a wrangler config
// whose assets directory does not exist (as on a fresh clone).
import { spawn } from "node:child_process";

export default async function setup(): Promise<void> {
  const child = spawn("npm", ["run", "--silent", "build:demo"], { stdio: "inherit" });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (status) => resolve(status)));
  if (code !== 0) throw new Error(`npm run build:demo exited with ${code}`);
}
