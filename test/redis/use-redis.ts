// A test file's redis-server: started before its tests, killed after them together with every
// client the file connected through it. Node only.
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import type { RedisLogClient } from "../../src/redis.ts";
import { startRedis, type RedisServer } from "./redis-server.ts";

/** What `connect` takes: the server (the file's by default), a name for `CLIENT LIST`, and how to reconnect. */
export interface ConnectOptions {
  url?: string;
  name?: string;
  /** Milliseconds to wait before each reconnection, as `redis`'s `socket.reconnectStrategy`. */
  reconnectAfterMs?: number;
}

async function connectTo(url: string, { name, reconnectAfterMs }: ConnectOptions): Promise<Connected> {
  const client = createClient({
    url,
    ...(name === undefined ? {} : { name }),
    ...(reconnectAfterMs === undefined ? {} : { socket: { reconnectStrategy: () => reconnectAfterMs } }),
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A connected client of the `redis` package, as the Redis engine uses it. */
export type Connected = RedisLogClient;

/** The file's server and a way to connect to it. */
export interface UsedRedis {
  /** The file's server; set once its `beforeAll` ran. */
  readonly server: RedisServer;
  /**
   * A new connected client, destroyed after the file's tests: of the file's server unless `url`
   * says otherwise; `name` names its connections (`CLIENT LIST`), and its duplicates'.
   */
  connect(options?: ConnectOptions): Promise<Connected>;
}

/** Starts a redis-server for the calling test file (beforeAll) and stops it after (afterAll). */
export function useRedis(): UsedRedis {
  let server: RedisServer | undefined;
  const clients: Connected[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.kill();
  });
  return {
    get server(): RedisServer {
      if (server === undefined) throw new Error("useRedis: the server starts in beforeAll");
      return server;
    },
    async connect(options = {}) {
      const client = await connectTo(options.url ?? this.server.url, options);
      clients.push(client);
      return client;
    },
  };
}
