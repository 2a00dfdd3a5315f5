/**
 * The JSON of the events a body writes most: text, reasoning and tool-argument deltas. An event of
 * exactly the shape `{event: "content-block-delta", index, delta: {type, <text|reasoning|args>}}`
 * (own keys in that order, plain objects, no `toJSON`) is written from a template, byte for byte
 * what `JSON.stringify` writes for it; anything else is left to `JSON.stringify`.
 *
 * @module
 */

const OBJECT: object = Object.prototype;

/** The delta's one key besides `type`, and the JSON text before its value, by the delta's type. */
function shapeOf(type: unknown): readonly [string, string] | undefined {
  switch (type) {
    case "text-delta":
      return TEXT;
    case "reasoning-delta":
      return REASONING;
    case "tool_call_chunk":
      return TOOL_CALL_CHUNK;
    case "tool-call-delta":
      return TOOL_CALL_DELTA;
    default:
      return undefined;
  }
}

const TEXT = ["text", `,"delta":{"type":"text-delta","text":`] as const;
const REASONING = ["reasoning", `,"delta":{"type":"reasoning-delta","reasoning":`] as const;
const TOOL_CALL_CHUNK = ["args", `,"delta":{"type":"tool_call_chunk","args":`] as const;
const TOOL_CALL_DELTA = ["args", `,"delta":{"type":"tool-call-delta","args":`] as const;

const EVENT_KEYS = ["event", "index", "delta"];

/**
 * @internal The JSON of a hot delta event, or `undefined` when `event` is not one (then
 * `JSON.stringify(event)` is its JSON). Equal to `JSON.stringify(event)` whenever it is a string.
 */
export function deltaJSON(event: unknown): string | undefined {
  const ev = event as Record<string, unknown>;
  if (typeof ev !== "object" || ev === null || ev["event"] !== "content-block-delta") return undefined;
  if (Object.getPrototypeOf(ev) !== OBJECT || ev["toJSON"] !== undefined) return undefined;
  let i = 0;
  for (const key in ev) if (key !== EVENT_KEYS[i++]) return undefined;
  if (i !== 3) return undefined;
  const index = ev["index"];
  // For a finite number, JSON.stringify writes what String() does (-0 included).
  if (typeof index !== "number" || !Number.isFinite(index)) return undefined;
  const d = ev["delta"] as Record<string, unknown>;
  if (typeof d !== "object" || d === null || Object.getPrototypeOf(d) !== OBJECT || d["toJSON"] !== undefined) return undefined;
  const shape = shapeOf(d["type"]);
  if (shape === undefined) return undefined;
  const name = shape[0];
  let n = 0;
  for (const key in d) {
    if (key !== (n === 0 ? "type" : n === 1 ? name : "")) return undefined;
    n++;
  }
  if (n !== 2) return undefined;
  const value = d[name];
  if (typeof value !== "string") return undefined;
  return `{"event":"content-block-delta","index":${index}${shape[1]}${JSON.stringify(value)}}}`;
}

/** @internal The JSON of any event: the template for a hot delta, else `JSON.stringify`. */
export function eventJSON(event: unknown): string {
  return deltaJSON(event) ?? JSON.stringify(event);
}
