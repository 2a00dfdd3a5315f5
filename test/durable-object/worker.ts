// The Worker the "durable-object" vitest project runs in workerd (its `main`): it exports the
// package's Durable Object, as a user's Worker does, bound as STREAMS by wrangler.toml next to it.
// Its fetch handler is the one-line viewer route of the README: the object answers.
import type { StreamLogObject } from "../../src/cloudflare.ts";
export { StreamLogObject } from "../../src/cloudflare.ts";

export interface Env {
  STREAMS: DurableObjectNamespaceLike<StreamLogObject>;
}

/** The part of a DurableObjectNamespace the tests use (the tsconfig loads no workers types). */
export interface DurableObjectNamespaceLike<T> {
  idFromName(name: string): DurableObjectIdLike;
  get(id: DurableObjectIdLike): import("./stub.ts").Stub<T>;
  getByName(name: string): import("./stub.ts").Stub<T>;
}

/** A Durable Object's id, opaque here. */
export interface DurableObjectIdLike {
  toString(): string;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const id = new URL(request.url).pathname.slice(1);
    return env.STREAMS.getByName(id).fetch(request);
  },
};
