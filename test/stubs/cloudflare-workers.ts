// "cloudflare:workers" outside workerd (the node project, Deno, Bun, Chromium): the demo Worker's
// module exports its Durable Object class, and test/example-worker.test.ts drives the Worker's other
// routes there. Only the base class's shape is given; no object is run outside workerd.
export class DurableObject<Env = unknown> {
  protected readonly ctx: unknown;
  protected readonly env: Env;

  constructor(ctx: unknown, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }
}
