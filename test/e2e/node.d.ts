// The few Node APIs the wrangler-dev tests use. The tsconfig loads no ambient types, so that src
// can't reach for Node by accident; these tests run only in the "browser" project (Node).
declare module "node:child_process" {
  interface Readable {
    on(event: "data", listener: (chunk: { toString(): string }) => void): void;
  }
  export interface ChildProcess {
    readonly pid?: number;
    readonly exitCode: number | null;
    readonly stdout: Readable;
    readonly stderr: Readable;
    on(event: "exit", listener: (code: number | null, signal: string | null) => void): void;
    kill(signal?: string): boolean;
  }
  export function spawn(
    command: string,
    args: string[],
    options?: { cwd?: string; env?: Record<string, string | undefined>; detached?: boolean; stdio?: unknown },
  ): ChildProcess;
}

declare module "node:net" {
  export interface Server {
    listen(port: number, host: string, listener: () => void): void;
    address(): { port: number } | string | null;
    close(listener?: () => void): void;
  }
  export interface Socket {
    pipe(destination: Socket): Socket;
    on(event: "error" | "close", listener: () => void): void;
    destroy(): void;
    /** Closes the connection with a TCP RST (the peer sees a reset, not an end). */
    resetAndDestroy(): void;
  }
  export function createServer(listener?: (socket: Socket) => void): Server;
  export function connect(port: number, host: string): Socket;
}

declare module "node:fs/promises" {
  export function mkdtemp(prefix: string): Promise<string>;
  export function rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  export function access(path: string): Promise<void>;
  export function readFile(path: string, encoding: "utf8"): Promise<string>;
}

declare module "node:os" {
  export function tmpdir(): string;
}

declare module "node:path" {
  export function join(...parts: string[]): string;
}

declare module "node:http" {
  interface IncomingMessage {
    readonly method?: string;
    readonly url?: string;
    readonly headers: Record<string, string | string[] | undefined>;
    on(event: "data", listener: (chunk: { toString(): string }) => void): void;
    on(event: "end", listener: () => void): void;
  }
  interface ServerResponse {
    writeHead(status: number, headers?: Record<string, string>): void;
    write(chunk: string): boolean;
    end(chunk?: string): void;
  }
  export interface Server {
    listen(port: number, host: string, listener: () => void): void;
    address(): { port: number } | string | null;
    close(listener?: () => void): void;
  }
  export function createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
}
