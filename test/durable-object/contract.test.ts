// StreamLogObject through DurableStreamLog passes the StreamLog contract every engine passes: each
// makeLog(id) is a new stub of the object named id, as another isolate would make.
import { env } from "cloudflare:test";
import { DurableStreamLog } from "../../src/cloudflare.ts";
import { describeStreamLogContract } from "../log-contract.ts";

describeStreamLogContract("durable-object", (id) => new DurableStreamLog(env.STREAMS.getByName(id)), {
  heldReads: async (id) => (await env.STREAMS.getByName(id).stats()).waitingReads,
});
