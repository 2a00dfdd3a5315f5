// fast-check generators of protocol event sequences, for the property tests. Each generates the plain
// event array (so a failure prints the shrunk events themselves): random blocks at random indices,
// interleaved; text re-chunked anywhere (inside surrogate pairs too); finishes that repeat, extend,
// replace or omit the text; tool-call args sliced anywhere, valid or invalid JSON, as older slices,
// LangChain.js tool-call-delta or block-delta snapshots; usage, provider and unknown events; an error
// event, a finish, or neither; events after the end; and no events at all.
import fc from "fast-check";

type Obj = Record<string, unknown>;

// Few characters, so shrunk counterexamples stay readable; two astral ones (surrogate pairs), so cuts
// fall inside a character; JSON's own delimiters and escapes.
const chars = ["a", "b", " ", "é", "中", "😀", "𝄞", "\n", '"', "\\", "{", "}"];
const text = (maxLength = 8): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...chars), maxLength });

/** Cuts a string at arbitrary UTF-16 offsets (empty pieces included). */
export function cut(s: string, at: readonly number[]): string[] {
  const points = at.map((n) => n % (s.length + 1)).sort((x, y) => x - y);
  const pieces: string[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(s.slice(from, p));
    from = p;
  }
  pieces.push(s.slice(from));
  return pieces;
}

const cuts = fc.array(fc.nat(), { maxLength: 5 });
/** null, or absent: both count as absent (§6). */
const absent = fc.constantFrom<"null" | "absent">("null", "absent");

function put(obj: Obj, key: string, value: unknown, how: "null" | "absent" | "value"): Obj {
  if (how === "value" && value !== undefined) obj[key] = value;
  else if (how === "null") obj[key] = null;
  return obj;
}

/** A start's or finish's block under `content`, or under the older `content_block`. */
const blockKey = fc.constantFrom("content", "content", "content_block");
/** A delta's payload under `delta`, or under `content` / `content_block`. */
const deltaKey = fc.constantFrom("delta", "delta", "delta", "content", "content_block");

// -- one block's events, in its own order ---------------------------------------------------------

type BlockEvents = (index: number) => Obj[];

const textBlock = (finishes = true): fc.Arbitrary<BlockEvents> => fc
  .record({
    kind: fc.constantFrom<"text" | "reasoning">("text", "reasoning"),
    body: text(),
    cuts,
    // A text block always has its text; a reasoning block may come without (LangChain's redacted reasoning).
    start: fc.constantFrom("none", "empty", "seed", "null", "absent"),
    seed: fc.nat(),
    older: fc.array(fc.boolean(), { maxLength: 6 }),
    key: blockKey,
    dkey: deltaKey,
    finish: finishes ? fc.constantFrom("none", "same", "extend", "replace", "empty", "absent") : fc.constant("none"),
    other: text(),
  })
  .map((b) => (index: number): Obj[] => {
    const field = b.kind;
    const out: Obj[] = [];
    const bare = b.start === "null" || b.start === "absent";
    const startForm = b.kind === "text" && bare ? "empty" : b.start;
    const finishForm = b.kind === "text" && b.finish === "absent" ? "empty" : b.finish;
    let body = b.body;
    if (startForm !== "none") {
      const content: Obj = { type: b.kind };
      if (startForm === "empty") content[field] = "";
      if (startForm === "null") content[field] = null;
      if (startForm === "seed") {
        const seed = body.slice(0, b.seed % (body.length + 1));
        content[field] = seed;
        body = body.slice(seed.length);
      }
      out.push({ event: "content-block-start", index, [b.key]: content });
    }
    cut(body, b.cuts).forEach((piece, i) => {
      const delta = b.older[i] ? { type: b.kind, [field]: piece } : { type: `${b.kind}-delta`, [field]: piece };
      out.push({ event: "content-block-delta", index, [b.dkey]: delta });
    });
    const full = b.body;
    const finished: Record<string, Obj | undefined> = {
      none: undefined,
      same: { type: b.kind, [field]: full },
      extend: { type: b.kind, [field]: full + b.other },
      replace: { type: b.kind, [field]: b.other },
      empty: { type: b.kind, [field]: "" },
      absent: { type: b.kind },
    };
    const content = finished[finishForm];
    if (content !== undefined) out.push({ event: "content-block-finish", index, [b.key]: content });
    return out;
  });

const jsonValue = fc.oneof(fc.integer({ min: -9, max: 99 }), text(4), fc.boolean(), fc.constant(null), fc.array(fc.nat(9), { maxLength: 3 }));
const argsObject = fc.dictionary(fc.string({ unit: fc.constantFrom("a", "b", "é", "😀"), maxLength: 3 }), jsonValue, { maxKeys: 3 });
/** Arguments as JSON text: an object, nothing, JSON that is not an object, or text that is not JSON. */
const argsText = fc.oneof(
  { weight: 4, arbitrary: argsObject.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.constantFrom("null", "[1]", "3", '"s"') },
  { weight: 2, arbitrary: fc.constantFrom('{"a":', "{a:1}", "not json", '{"x": "😀', '{"a":1}}', "[1,") },
);
const callId = fc.constantFrom("call_1", "c2", "");
const callName = fc.constantFrom("get_weather", "f", "");

const toolBlock = (rewrites: boolean): fc.Arbitrary<BlockEvents> => fc
  .record({
    server: fc.boolean(),
    id: callId,
    name: callName,
    args: argsText,
    cuts,
    start: fc.constantFrom("none", "ids", "seed", "nulls"),
    idsOn: fc.constantFrom("first", "every", "last"),
    style: fc.constantFrom("chunk", "tool-call-delta", "block-delta"),
    rewrite: rewrites ? fc.option(fc.nat(), { nil: undefined }) : fc.constant(undefined),
    key: blockKey,
    dkey: deltaKey,
    nulls: absent,
    finish: fc.constantFrom("none", "none", "call", "call-bare", "invalid"),
  })
  .map((b) => (index: number): Obj[] => {
    const type = b.server ? "server_tool_call_chunk" : "tool_call_chunk";
    const style = b.server && b.style === "tool-call-delta" ? "chunk" : b.style;
    const out: Obj[] = [];
    let pieces = cut(b.args, b.cuts);
    let idsGiven = false;
    if (b.start !== "none") {
      const content: Obj = { type };
      if (b.start === "nulls") Object.assign(content, { id: null, name: null, args: null });
      else {
        Object.assign(content, { id: b.id, name: b.name });
        idsGiven = true;
        if (b.start === "seed" && style !== "block-delta") {
          content["args"] = pieces[0];
          pieces = pieces.slice(1);
        } else content["args"] = "";
      }
      out.push({ event: "content-block-start", index, [b.key]: content });
    }
    let sofar = "";
    pieces.forEach((piece, i) => {
      const ids = b.idsOn === "every" || (b.idsOn === "first" && i === 0) || (b.idsOn === "last" && i === pieces.length - 1);
      const withIds = (d: Obj): Obj => {
        if (ids && !idsGiven) return { ...d, id: b.id, name: b.name };
        return put(put(d, "id", undefined, b.nulls), "name", undefined, b.nulls);
      };
      let delta: Obj;
      if (style === "block-delta") {
        sofar += piece;
        // A snapshot of all the args so far; one of them may rewrite the earlier ones.
        const snapshot = b.rewrite !== undefined && b.rewrite % pieces.length === i && i < pieces.length - 1 ? `${sofar}~` : sofar;
        delta = { type: "block-delta", fields: withIds({ type, args: snapshot }) };
      } else if (style === "tool-call-delta") delta = withIds({ type: "tool-call-delta", args: piece });
      else delta = withIds({ type, args: piece });
      out.push({ event: "content-block-delta", index, [b.dkey]: delta });
    });
    if (b.finish === "none") return out;
    let parsed: unknown;
    try {
      parsed = b.args === "" ? {} : JSON.parse(b.args);
    } catch {
      parsed = undefined;
    }
    // A finished tool_call's args must be an object (README): other JSON only reaches the sweep.
    const isObject = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
    if (b.finish === "invalid" || !isObject) {
      const content = { type: "invalid_tool_call", id: b.id, name: b.name, args: b.args, error: "bad arguments" };
      out.push({ event: "content-block-finish", index, [b.key]: content });
    } else {
      const content: Obj = { type: b.server ? "server_tool_call" : "tool_call", args: parsed };
      if (b.finish === "call") Object.assign(content, { id: b.id, name: b.name });
      out.push({ event: "content-block-finish", index, [b.key]: content });
    }
    return out;
  });

/** A tool call that arrives whole, at its finish. */
const wholeCall: fc.Arbitrary<BlockEvents> = fc
  .record({ id: callId, name: callName, args: argsObject, key: blockKey })
  .map((b) => (index: number): Obj[] => [
    { event: "content-block-finish", index, [b.key]: { type: "tool_call", id: b.id, name: b.name, args: b.args } },
  ]);

/** An image streamed as data-deltas, or a provider block that arrives at its finish. */
const otherBlock: fc.Arbitrary<BlockEvents> = fc
  .record({ image: fc.boolean(), data: fc.string({ unit: fc.constantFrom("Q", "U", "J", "="), maxLength: 8 }), cuts, start: fc.boolean(), finish: fc.boolean(), value: jsonValue })
  .map((b) => (index: number): Obj[] => {
    const head = b.image ? { type: "image", mime_type: "image/png" } : { type: "non_standard", value: { v: b.value } };
    const out: Obj[] = [];
    if (b.start) out.push({ event: "content-block-start", index, content: head });
    if (b.image) for (const data of cut(b.data, b.cuts)) out.push({ event: "content-block-delta", index, delta: { type: "data-delta", data } });
    if (b.finish || !b.start) out.push({ event: "content-block-finish", index, content: head });
    return out;
  });

const anyBlock = (rewrites: boolean): fc.Arbitrary<BlockEvents> => fc.oneof(
  { weight: 5, arbitrary: textBlock() },
  { weight: 4, arbitrary: toolBlock(rewrites) },
  { weight: 1, arbitrary: wholeCall },
  { weight: 1, arbitrary: otherBlock },
);

// -- the message -------------------------------------------------------------------------------

const usage = fc.record({ input_tokens: fc.nat(50), output_tokens: fc.nat(50), total_tokens: fc.nat(100) });
const startMeta = fc.record(
  { provider: fc.constant("openai"), model: fc.constant("gpt-4.1"), model_provider: fc.constant("anthropic"), model_name: fc.constant("claude") },
  { requiredKeys: [] },
);
const finishMeta = fc.record(
  { system_fingerprint: fc.constant("fp"), model_name: fc.constant("gpt-4.1-2025"), finish_reason: fc.constant("length"), output_version: fc.constant("v0") },
  { requiredKeys: [] },
);

const messageStart = fc
  .record({ id: fc.constantFrom("m1", null, undefined), meta: fc.option(startMeta, { nil: undefined }), usage: fc.option(usage, { nil: undefined }) })
  .map(({ id, meta, usage: u }): Obj => {
    const ev: Obj = { event: "message-start", role: "ai" };
    if (id !== undefined) ev["id"] = id;
    if (meta !== undefined) ev["metadata"] = meta;
    if (u !== undefined) ev["usage"] = u;
    return ev;
  });

const terminal = fc.oneof(
  fc
    .record({
      reason: fc.constantFrom("stop", "tool_calls", null, undefined),
      usage: fc.option(usage, { nil: undefined }),
      meta: fc.option(finishMeta, { nil: undefined }),
      js: fc.boolean(),
    })
    .map(({ reason, usage: u, meta, js }): Obj => {
      const ev: Obj = { event: "message-finish" };
      if (reason !== undefined) ev["reason"] = reason;
      if (u !== undefined) ev["usage"] = u;
      if (meta !== undefined) ev[js ? "responseMetadata" : "metadata"] = meta;
      return ev;
    }),
  fc.constantFrom<Obj>({ event: "error", message: "boom" }, { event: "error", message: "overloaded", code: "529" }),
  fc.constant(undefined),
);

/** Events that do not fold into blocks: usage snapshots, provider pass-through, unknown events. */
const aside = fc.oneof(
  usage.map((u): Obj => ({ event: "usage", usage: u })),
  fc.constant<Obj>({ event: "provider", provider: "openai", name: "response.created", payload: { id: "r" } }),
  fc.constant<Obj>({ event: "checkpoint", at: 7 }),
);

/** Interleaves lists, keeping each list's order; `picks` choose which list goes next. */
export function interleave<T>(lists: readonly T[][], picks: readonly number[]): T[] {
  const queues = lists.map((l) => [...l]).filter((l) => l.length > 0);
  const out: T[] = [];
  let p = 0;
  while (queues.length > 0) {
    const at = (picks[p++] ?? 0) % queues.length;
    out.push(queues[at]!.shift()!);
    if (queues[at]!.length === 0) queues.splice(at, 1);
  }
  return out;
}

/**
 * A whole event sequence, as a model might send it (or not: errors, missing finish, trailing events).
 * With `rewrites`, a block-delta snapshot of tool-call args may rewrite the args before it.
 */
export const sequences = ({ rewrites = false }: { rewrites?: boolean } = {}): fc.Arbitrary<Obj[]> => fc.oneof(
  { weight: 30, arbitrary: fc
    .record({
      start: fc.option(messageStart, { nil: undefined, freq: 4 }),
      indices: fc.uniqueArray(fc.nat(7), { maxLength: 4 }),
      blocks: fc.array(anyBlock(rewrites), { minLength: 4, maxLength: 4 }),
      picks: fc.array(fc.nat(), { maxLength: 40 }),
      asides: fc.array(fc.tuple(fc.nat(), aside), { maxLength: 3 }),
      end: terminal,
      trailing: fc.array(aside, { maxLength: 2 }),
    })
    .map(({ start, indices, blocks, picks, asides, end, trailing }) => {
      const body = interleave(
        indices.map((index, i) => blocks[i]!(index)),
        picks,
      );
      for (const [at, ev] of asides) body.splice(at % (body.length + 1), 0, ev);
      return [...(start ? [start] : []), ...body, ...(end ? [end, ...trailing] : [])];
    }) },
  // Text and reasoning that never finish, so content stays the bare arrival-order string: blocks
  // arriving out of index order then make arrival order and index order differ.
  { weight: 6, arbitrary: fc
    .record({
      indices: fc.uniqueArray(fc.nat(5), { minLength: 2, maxLength: 3 }),
      blocks: fc.array(textBlock(false), { minLength: 3, maxLength: 3 }),
      picks: fc.array(fc.nat(), { maxLength: 20 }),
      end: terminal,
    })
    .map(({ indices, blocks, picks, end }) => [
      ...interleave(indices.map((index, i) => blocks[i]!(index)), picks),
      ...(end ? [end] : []),
    ]) },
  { weight: 1, arbitrary: fc.constant<Obj[]>([]) },
);

/** Event sequences whose block-delta snapshots only ever extend tool-call args. */
export const eventSequence: fc.Arbitrary<Obj[]> = sequences();
