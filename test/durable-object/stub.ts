// A Durable Object stub as the tests use it, typed without @cloudflare/workers-types (the tsconfig
// loads no ambient types): every method of the object, called over RPC, returns a promise.
export type Stub<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
} & { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
