// The part of workerd's "cloudflare:workers" module that src/log/durable-object.ts uses, for this
// package's own compile only: the tsconfig loads no ambient types (the rest of src must not see
// @cloudflare/workers-types, whose globals clash with the DOM library's). A `.d.ts` file is not
// emitted, so users type the module with their own @cloudflare/workers-types, which declares the
// same class with more members; test/consumer/worker checks that the published declarations agree.
declare module "cloudflare:workers" {
  /** A cursor over a statement's result rows (`ctx.storage.sql.exec`). */
  interface SqlCursor {
    toArray(): Record<string, ArrayBuffer | string | number | null>[];
    readonly rowsWritten: number;
  }

  /** A SQLite-backed Durable Object's storage, the part of it the log uses. */
  interface DurableObjectStorage {
    readonly sql: { exec(query: string, ...bindings: (ArrayBuffer | string | number | null)[]): SqlCursor };
    transactionSync<T>(closure: () => T): T;
    setAlarm(scheduledTime: number | Date): Promise<void>;
    deleteAlarm(): Promise<void>;
    deleteAll(): Promise<void>;
    get<T = unknown>(key: string): Promise<T | undefined>;
    put<T>(key: string, value: T): Promise<void>;
  }

  interface DurableObjectState {
    readonly storage: DurableObjectStorage;
  }

  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
    fetch?(request: Request): Response | Promise<Response>;
    alarm?(): void | Promise<void>;
  }
}
