// The parts of the workers pool's virtual modules that test/e2e/worker.test.ts uses. The tsconfig
// loads no ambient types (src must not see workers-types), so they are declared here.
declare module "cloudflare:test" {
  export const SELF: { fetch(input: string | Request | URL, init?: RequestInit): Promise<Response> };
  export function createExecutionContext(): { waitUntil(promise: Promise<unknown>): void; passThroughOnException(): void };
  export function waitOnExecutionContext(ctx: unknown): Promise<void>;
}

declare module "cloudflare:workers" {
  export const env: import("../../examples/worker/index.ts").Env;
}
