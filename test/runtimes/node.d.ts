// The Node APIs test/runtimes/run.ts uses beyond those test/e2e/node.d.ts declares. The tsconfig
// loads no ambient types, so that src can't reach for Node by accident.
declare module "node:fs/promises" {
  export function readFile(path: string, encoding: "utf8"): Promise<string>;
  export function writeFile(path: string, data: string): Promise<void>;
  export function mkdir(path: string, options?: { recursive?: boolean }): Promise<string | undefined>;
  export function readdir(path: string): Promise<string[]>;
}

declare module "node:child_process" {
  interface ChildProcess {
    on(event: "error", listener: (error: Error) => void): void;
  }
}
