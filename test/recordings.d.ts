// The module test/recordings-module.ts makes for vitest and the runtimes runner.
declare module "virtual:recordings" {
  /** "<provider>/<file>" → the bytes the provider sent. */
  const recordings: Record<string, Uint8Array<ArrayBuffer>>;
  export default recordings;
  /** "<provider>/<file>" → where the recording was taken from (its line in SOURCES). */
  export const sources: Record<string, string>;
}

// The Node APIs test/recordings-module.ts uses beyond those test/e2e/*.d.ts declare (the tsconfig
// loads no ambient types, so that src can't reach for Node).
declare module "node:fs" {
  export function readFileSync(path: string): { toString(encoding: "base64"): string };
  export function readFileSync(path: string, encoding: "utf8"): string;
  export function readdirSync(path: string): string[];
  export function statSync(path: string): { isDirectory(): boolean };
}
