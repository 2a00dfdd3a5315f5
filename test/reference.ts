// A reference model of API.md §3, for the property tests: a deliberately simple fold of an event array
// into what the stream must give. It is written from the contract alone and shares no code with src/:
// where the two disagree, one of them misreads API.md. Where API.md leaves a point open, it follows the
// README's design notes, and says so. It takes well-formed events only (bad input is test/bad-input*).

type Obj = Record<string, unknown>;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

export interface Chunk {
  type: "tool_call_chunk";
  index: number;
  id?: string;
  name?: string;
  args?: string;
}

export interface RefMessage {
  type: "ai";
  id?: string;
  content: string | Obj[];
  tool_calls: Obj[];
  invalid_tool_calls: Obj[];
  usage_metadata?: Usage;
  response_metadata: Obj;
}

/** What a stream fed these events must give. */
export interface Reference {
  /** How the message ended: a finish (given or added at the end of the source) or a failure. */
  outcome: "finished" | "failed";
  /** The failure: an `error` event's message and code, or "No generation chunks were returned". */
  error?: { message: string; code?: string };
  /** Final values (the awaits). On failure: the values the partial message holds. */
  text: string;
  reasoning: string;
  toolCalls: Obj[];
  usage: Usage | undefined;
  /** The message; on failure, the partial message (open tool-call chunks swept, as at a finish). */
  output: RefMessage;
  /** What a text / reasoning reader attached from the start reads, delta by delta. */
  textDeltas: string[];
  reasoningDeltas: string[];
  /** What a toolCalls reader attached from the start reads. */
  toolChunks: Chunk[];
  /** What a usage reader attached from the start reads: every snapshot. */
  usageSnapshots: Usage[];
  /** What an events reader attached from the start reads (a missing finish is added as a bare one). */
  events: unknown[];
  /** How many of the given events the stream takes: up to and including the first finish or error. */
  taken: number;
}

interface Block {
  index: number;
  /** text / reasoning / tool (tool_call_chunk) / server (server_tool_call_chunk) / other. */
  kind: "text" | "reasoning" | "tool" | "server" | "other";
  text: string;
  id: string | undefined;
  name: string | undefined;
  args: string;
  data: string;
  /** A start's fields, for blocks that finish with more than a text. */
  fields: Obj;
  /** A tool-call chunk that neither finished nor was swept. */
  open: boolean;
  /** A tool-call chunk reached readers (README: a call that arrives whole reaches them at its finish). */
  emitted: boolean;
  finished: Obj | undefined;
}

const INVALID = "Failed to parse tool call arguments as JSON";

function kindOf(type: unknown): Block["kind"] {
  if (type === "text") return "text";
  if (type === "reasoning") return "reasoning";
  if (type === "tool_call_chunk" || type === "tool-call-delta") return "tool";
  if (type === "server_tool_call_chunk") return "server";
  return "other";
}

/** `null` counts as absent (§6). */
const given = (value: unknown): boolean => value !== undefined && value !== null;
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Folds `events` as a stream that reads them all and then ends (a missing finish is added). */
export function reference(events: readonly unknown[], options: { messageId?: string; cutShort?: boolean } = {}): Reference {
  const blocks = new Map<number, Block>();
  const textDeltas: string[] = [];
  const reasoningDeltas: string[] = [];
  const toolChunks: Chunk[] = [];
  const usageSnapshots: Usage[] = [];
  const seen: unknown[] = [];
  const finishedCalls: Obj[] = [];
  const finishedInvalid: Obj[] = [];
  let id = options.messageId;
  let startMeta: Obj | undefined;
  let reason: string | undefined;
  let finishMeta: Obj | undefined;
  let error: { message: string; code?: string } | undefined;
  let finished = false;

  const block = (index: number, kind: Block["kind"]): Block => {
    let b = blocks.get(index);
    if (b === undefined) {
      b = { index, kind, text: "", id: undefined, name: undefined, args: "", data: "", fields: {}, open: false, emitted: false, finished: undefined };
      b.open = kind === "tool" || kind === "server";
      blocks.set(index, b);
    }
    return b;
  };

  // Empty deltas are dropped; a delta reaches readers in arrival order.
  const append = (b: Block, piece: string): void => {
    if (piece === "") return;
    b.text += piece;
    (b.kind === "text" ? textDeltas : reasoningDeltas).push(piece);
  };

  // Older tool_call_chunk slices: args concatenate, the first non-empty id and name stick.
  const slice = (b: Block, d: Obj): void => {
    const sid = str(d["id"]);
    const sname = str(d["name"]);
    const sargs = str(d["args"]);
    if (sid && b.id === undefined) b.id = sid;
    if (sname && b.name === undefined) b.name = sname;
    if (sargs) b.args += sargs;
    if (b.kind !== "tool" || !(sid || sname || sargs)) return;
    const chunk: Chunk = { type: "tool_call_chunk", index: b.index };
    if (sid) chunk.id = sid;
    if (sname) chunk.name = sname;
    if (sargs) chunk.args = sargs;
    toolChunks.push(chunk);
    b.emitted = true;
  };

  // block-delta on a tool call: each defined field is a snapshot (README: readers get the added tail
  // of args that extend the old ones; a snapshot that rewrites them is not sent, as for text).
  const snapshot = (b: Block, fields: Obj): void => {
    const chunk: Chunk = { type: "tool_call_chunk", index: b.index };
    let changed = false;
    for (const key of ["id", "name"] as const) {
      const value = str(fields[key]);
      if (value === undefined || value === b[key]) continue;
      b[key] = value;
      chunk[key] = value;
      changed = true;
    }
    const args = str(fields["args"]);
    if (args !== undefined && args !== b.args) {
      if (args.startsWith(b.args)) {
        chunk.args = args.slice(b.args.length);
        changed = true;
      }
      b.args = args;
    }
    if (changed && b.kind === "tool") {
      toolChunks.push(chunk);
      b.emitted = true;
    }
  };

  const sweep = (): void => {
    for (const b of [...blocks.values()].sort((x, y) => x.index - y.index)) {
      if (!b.open) continue;
      b.open = false;
      let args: unknown;
      try {
        args = b.args === "" ? {} : JSON.parse(b.args);
      } catch {
        // An empty id or name counts as none, as for slices (a block-delta snapshot can set "").
        const invalid: Obj = { type: "invalid_tool_call", args: b.args, error: INVALID };
        if (b.id) invalid["id"] = b.id;
        if (b.name) invalid["name"] = b.name;
        finishedInvalid.push(invalid);
        b.finished = invalid;
        continue;
      }
      // README: a swept call without id or name gets "", as in LangChain.
      const call = { type: b.kind === "tool" ? "tool_call" : "server_tool_call", id: b.id ?? "", name: b.name ?? "", args };
      if (b.kind === "tool") {
        finishedCalls.push(call);
        b.finished = call;
      } else {
        b.finished = { ...call, index: b.index };
      }
    }
  };

  let taken = 0;
  for (const value of events) {
    if (finished || error !== undefined) break;
    taken++;
    seen.push(value);
    const ev = value as Obj;
    const index = ev["index"] as number;
    switch (ev["event"]) {
      case "message-start":
        if (typeof ev["id"] === "string") id = ev["id"];
        if (given(ev["metadata"])) startMeta = ev["metadata"] as Obj;
        if (given(ev["usage"])) usageSnapshots.push(ev["usage"] as Usage);
        break;
      case "content-block-start": {
        const content = (ev["content"] ?? ev["content_block"]) as Obj;
        const kind = kindOf(content["type"]);
        const b = block(index, kind);
        if (kind === "text" || kind === "reasoning") {
          const { [kind]: _seed, ...fields } = content;
          b.fields = { ...b.fields, ...fields };
          append(b, str(content[kind]) ?? "");
        }
        else if (kind === "tool" || kind === "server") slice(b, content);
        else b.fields = { ...content };
        break;
      }
      case "content-block-delta": {
        const d = (ev["delta"] ?? ev["content"] ?? ev["content_block"]) as Obj;
        switch (d["type"]) {
          case "text-delta":
          case "text":
            append(block(index, "text"), str(d["text"]) ?? "");
            break;
          case "reasoning-delta":
          case "reasoning":
            append(block(index, "reasoning"), str(d["reasoning"]) ?? "");
            break;
          case "tool-call-delta":
          case "tool_call_chunk":
            slice(block(index, "tool"), d);
            break;
          case "server_tool_call_chunk":
            slice(block(index, "server"), d);
            break;
          case "data-delta":
            block(index, "other").data += d["data"] as string;
            break;
          case "block-delta": {
            const fields = d["fields"] as Obj;
            snapshot(block(index, kindOf(fields["type"])), fields);
            break;
          }
        }
        break;
      }
      case "content-block-finish": {
        const content = (ev["content"] ?? ev["content_block"]) as Obj;
        const type = content["type"] as string;
        const b = block(index, kindOf(type));
        if (type === "text" || type === "reasoning") {
          const full = str(content[type]) ?? "";
          // No deltas: all of it is emitted; it extends them: the tail; it differs: it replaces them
          // silently; it is empty: the deltas stay.
          if (full !== "" && full.startsWith(b.text)) append(b, full.slice(b.text.length));
          else if (full !== "") b.text = full;
          b.finished = { ...content, [type]: b.text, index };
        } else if (type === "tool_call") {
          b.open = false;
          const { index: _dropped, ...rest } = content;
          // README: a finished tool_call without id or name takes those of its chunk.
          const call = { ...rest, type, id: str(content["id"]) ?? b.id ?? "", name: str(content["name"]) ?? b.name ?? "", args: content["args"] ?? {} };
          finishedCalls.push(call);
          b.finished = call;
          if (!b.emitted) {
            // README: a call that arrives whole reaches toolCalls readers as one chunk, args as JSON.
            toolChunks.push({ type: "tool_call_chunk", index, id: call.id, name: call.name, args: JSON.stringify(call.args) });
            b.emitted = true;
          }
        } else if (type === "invalid_tool_call") {
          b.open = false;
          const { index: _dropped, ...rest } = content;
          finishedInvalid.push(rest);
          b.finished = rest;
        } else {
          if (type === "server_tool_call") b.open = false;
          const merged: Obj = { ...b.fields };
          if (b.data !== "") merged["data"] = b.data;
          for (const [key, v] of Object.entries(content)) if (given(v)) merged[key] = v;
          merged["index"] = index;
          b.finished = merged;
        }
        break;
      }
      case "usage":
        usageSnapshots.push(ev["usage"] as Usage);
        break;
      case "message-finish":
        reason = str(ev["reason"]);
        if (given(ev["usage"])) usageSnapshots.push(ev["usage"] as Usage);
        finishMeta = (given(ev["metadata"]) ? ev["metadata"] : given(ev["responseMetadata"]) ? ev["responseMetadata"] : undefined) as Obj | undefined;
        finished = true;
        break;
      case "error":
        error = { message: ev["message"] as string };
        if (typeof ev["code"] === "string") error.code = ev["code"];
        break;
      default:
      // provider events and unknown events only reach raw-event readers
    }
  }

  if (!finished && error === undefined) {
    if (taken === 0) error = { message: "No generation chunks were returned", code: "no_chunks" };
    else seen.push({ event: "message-finish" }); // the source ended: a bare finish is added
  }
  sweep(); // at the finish, or for the partial message on a failure

  const ordered = [...blocks.values()].sort((x, y) => x.index - y.index);
  const join = (kind: "text" | "reasoning"): string =>
    ordered.filter((b) => b.kind === kind).map((b) => b.text).join("");
  // API.md §5 (revision 2): a message cut short (a failure, a cancel) finishes every open block with
  // what arrived; a normal finish leaves an unfinished text block out of content.
  const cutShort = error !== undefined || options.cutShort === true;
  const contentBlocks: Obj[] = [];
  const openCalls: Obj[] = [];
  for (const b of ordered) {
    if (b.finished !== undefined) contentBlocks.push(b.finished);
    else if (!cutShort) continue;
    else if (b.kind === "text" || b.kind === "reasoning") {
      if (b.text !== "") contentBlocks.push({ ...b.fields, type: b.kind, [b.kind]: b.text, index: b.index });
    } else if (b.kind === "other" && b.fields["type"] === "tool_call") {
      // A whole tool call that never finished: as at its finish, without index, and in tool_calls.
      const { index: _index, ...call } = b.fields;
      const args = call["args"] ?? {};
      if (typeof args !== "object" || args === null || Array.isArray(args)) continue;
      const finished = { ...call, type: "tool_call", id: str(call["id"]) ?? "", name: str(call["name"]) ?? "", args };
      contentBlocks.push(finished);
      openCalls.push(finished);
    } else if (b.kind === "other" && b.fields["type"] !== undefined && b.fields["type"] !== "invalid_tool_call") {
      contentBlocks.push({ ...b.fields, ...(b.data !== "" ? { data: b.data } : {}), index: b.index });
    }
  }

  const meta: Obj = {};
  if (startMeta !== undefined) {
    const provider = startMeta["model_provider"] ?? startMeta["provider"];
    if (provider !== undefined) meta["model_provider"] = provider;
    const model = startMeta["model_name"] ?? startMeta["model"];
    if (model !== undefined) meta["model_name"] = model;
  }
  if (reason !== undefined) meta["finish_reason"] = reason;
  for (const [key, v] of Object.entries(finishMeta ?? {})) meta[key] = v; // a repeated key keeps its place
  delete meta["output_version"];
  meta["output_version"] = "v1";

  const usage = usageSnapshots.at(-1);
  const toolCalls = [...finishedCalls, ...openCalls].map((c) => ({ type: "tool_call", id: c["id"], name: c["name"], args: c["args"] }));
  const output: RefMessage = {
    type: "ai",
    ...(id !== undefined ? { id } : {}),
    content: contentBlocks.length > 0 ? contentBlocks : textDeltas.join(""),
    tool_calls: toolCalls,
    invalid_tool_calls: finishedInvalid,
    ...(usage !== undefined ? { usage_metadata: usage } : {}),
    response_metadata: meta,
  };

  return {
    outcome: error === undefined ? "finished" : "failed",
    ...(error !== undefined ? { error } : {}),
    text: join("text"),
    reasoning: join("reasoning"),
    toolCalls,
    usage,
    output,
    textDeltas,
    reasoningDeltas,
    toolChunks,
    usageSnapshots,
    events: seen,
    taken,
  };
}

/**
 * The partial message a stream that received `events` and was then cancelled carries on its error:
 * the fold so far with every open block finished: text and reasoning with what arrived, tool-call
 * chunks swept as at a finish (API.md §5 "aclose", revision 2).
 */
export function partialOf(events: readonly unknown[], options: { messageId?: string } = {}): RefMessage {
  const received = [...events];
  const end = received.findIndex((e) => (e as Obj)["event"] === "error");
  // An error event adds nothing to the message; the fold stops before it.
  return reference(end >= 0 ? received.slice(0, end) : received, { ...options, cutShort: true }).output;
}

/**
 * Tool-call chunks folded per index, as a reader assembles parallel calls: args concatenated, the
 * first non-empty id and name kept (§3's rule for slices). What a late reader reads must fold like what a reader from the start reads.
 */
export function foldChunks(chunks: readonly Chunk[]): Chunk[] {
  const byIndex = new Map<number, Chunk>();
  for (const c of chunks) {
    const sofar = byIndex.get(c.index) ?? { type: "tool_call_chunk", index: c.index };
    if (c.id && sofar.id === undefined) sofar.id = c.id;
    if (c.name && sofar.name === undefined) sofar.name = c.name;
    if (c.args !== undefined) sofar.args = (sofar.args ?? "") + c.args;
    byIndex.set(c.index, sofar);
  }
  return [...byIndex.values()].sort((x, y) => x.index - y.index);
}
