// The Node APIs test/e2e/consumer.test.ts and snippets.test.ts use beyond those of node.d.ts (the
// declarations merge). The tsconfig loads no ambient types, so that src can't reach for Node.
declare module "node:fs/promises" {
  export function cp(from: string, to: string, options?: { recursive?: boolean }): Promise<void>;
  export function mkdir(path: string, options?: { recursive?: boolean }): Promise<string | undefined>;
  export function symlink(target: string, path: string, type?: "dir" | "file" | "junction"): Promise<void>;
  export function writeFile(path: string, data: string): Promise<void>;
}

declare module "node:fs" {
  export function readFileSync(path: string, encoding: "utf8"): string;
  export function readdirSync(path: string, options: { recursive: true }): string[];
  export function existsSync(path: string): boolean;
}
