// The parts of the workers pool's "cloudflare:test" module the durable-object tests use (the
// declarations merge with test/e2e/cloudflare.d.ts's).
declare module "cloudflare:test" {
  export const env: import("./worker.ts").Env;
  export function runDurableObjectAlarm(stub: unknown): Promise<boolean>;
  export function runInDurableObject<O, R>(stub: import("./stub.ts").Stub<O>, callback: (instance: O, state: DurableObjectStateLike) => R | Promise<R>): Promise<R>;
  /** The part of a Durable Object's state the tests read. */
  export interface DurableObjectStateLike {
    readonly storage: {
      readonly sql: { exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[]; readonly rowsWritten: number } };
      getAlarm(): Promise<number | null>;
    };
    abort(reason?: string): void;
  }
}
