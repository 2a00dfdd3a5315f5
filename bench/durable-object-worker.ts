/**
 * The Worker bench/durable-object.ts runs in workerd through Miniflare: the Durable Object engine as
 * a user deploys it (`StreamLogObject` on SQLite storage), storing the bench's 1,000-delta answer at
 * a given pace, the producer either inside the object (`stub.start`) or in the Worker (`persist`
 * into a `DurableStreamLog`). `GET /?id=<object>&mode=start|worker&delayMs=<ms>` answers, once the
 * generation ended, what the object wrote (`stats()`, its packs) and whether a viewer reads the
 * whole answer back after the object restarted.
 */
import { DurableStreamLog, StreamLogObject, type StreamLogObjectStats, type StreamLogObjectStub } from "../src/cloudflare.ts";
import { ChatModelStream, fromResponse, persist, type ProtocolEvent } from "../src/index.ts";
import { answer } from "./durable.ts";

interface Env {
  CHATS: DurableObjectNamespaceLike;
}

/** The part of workerd's namespace and stub the bench uses (no workers types in this project). */
interface DurableObjectNamespaceLike {
  getByName(name: string): BenchStub;
}

interface BenchStub extends StreamLogObjectStub {
  start(input: unknown): Promise<{ ok: boolean }>;
  stats(): Promise<StreamLogObjectStats>;
  packs(): Promise<number>;
  restart(): Promise<void>;
}

/** The answer's events, a delta every `delayMs` (none: all at once). */
async function* paced(delayMs: number): AsyncGenerator<ProtocolEvent> {
  for (const event of answer()) {
    if (delayMs > 0 && event.event === "content-block-delta") await new Promise((resolve) => setTimeout(resolve, delayMs));
    yield event;
  }
}

/** The bench's object: its model is the bench's answer at the pace `start` asks for. */
export class BenchChats extends StreamLogObject<Env> {
  override generate(input: unknown): ChatModelStream {
    return ChatModelStream.from(paced((input as { delayMs: number }).delayMs));
  }

  /** The SQL rows of the generation (its packs). */
  packs(): number {
    return this.ctx.storage.sql.exec("SELECT count(*) AS n FROM log").toArray()[0]!["n"] as number;
  }

  /** Ends this instance as a deploy or an eviction would; its storage stays. */
  restart(): void {
    (this.ctx as unknown as { abort(reason: string): void }).abort("restart");
  }
}

const textOf = (events: readonly ProtocolEvent[]): string =>
  events.map((e) => (e.event === "content-block-delta" && e.delta.type === "text-delta" ? e.delta.text : "")).join("");

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const id = url.searchParams.get("id") ?? "";
    const delayMs = Number(url.searchParams.get("delayMs") ?? "0");
    const stub = env.CHATS.getByName(id);
    const log = new DurableStreamLog(() => env.CHATS.getByName(id));
    if (url.searchParams.get("mode") === "start") {
      if (!(await stub.start({ delayMs })).ok) throw new Error("start refused");
      while ((await log.snapshot())?.status === "running") await new Promise((resolve) => setTimeout(resolve, 100));
    } else {
      await persist(ChatModelStream.from(paced(delayMs)), log);
    }
    const snapshot = (await log.snapshot())!;
    const stats = await stub.stats();
    const packs = await stub.packs();
    await stub.restart().catch(() => {});
    const viewer = env.CHATS.getByName(id);
    const replayed = await fromResponse(await viewer.fetch(new Request(`http://object/${id}`))).text;
    return Response.json({ status: snapshot.status, logRows: snapshot.seq, packs, ...stats, whole: replayed === textOf(answer()) });
  },
};
