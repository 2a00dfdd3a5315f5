// API.md §6 over the corpus in test/fixtures/bad-input.ts: every field of every event type mutated to
// each wrong type, missing, null, huge, deep or not JSON. Each bad value fails the stream with a
// TypeError that names the field and the event's position, keeps what came before it (the readers
// got it; the error's `partial` holds it), and stays short; each value §6 allows is folded as the
// reference fold says. One test per field, listing what each mutation did.
import { describe, expect, it } from "vitest";
import { ChatModelStream } from "../src/index.ts";
import { type Event, readUntilError } from "./helpers.ts";
import {
  type Field,
  mutate,
  mutations,
  nonJsonArgs,
  notEvents,
  oddButAccepted,
  type Template,
  templates,
  verdict,
} from "./fixtures/bad-input.ts";
import { partialOf, reference } from "./reference.ts";

// Positions 0..2; the value under test is event 3.
const POSITION = 3;
const before: Event[] = [
  { event: "content-block-start", index: 0, content: { type: "text", text: "" } },
  { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "Hel" } },
  { event: "checkpoint", at: 1 } as unknown as Event,
];
const after: Event[] = [
  { event: "content-block-delta", index: 0, delta: { type: "text-delta", text: "lo" } },
  { event: "message-finish", reason: "stop" },
];

/** Feeds `before`, the value, then `after` (as far as the stream takes them), and reports what happened. */
async function outcomeOf(value: unknown, field?: string): Promise<string> {
  const stream = new ChatModelStream();
  const read = readUntilError(stream.text);
  for (const event of before) stream.dispatch(event);
  stream.dispatch(value as Event);
  for (const event of after) {
    try {
      stream.dispatch(event);
    } catch {
      break; // the value ended the stream: dispatch() after the end throws
    }
  }
  stream.close();
  let text: string | undefined;
  let error: (Error & { partial?: unknown }) | undefined;
  try {
    text = await stream.text;
  } catch (e) {
    error = e as Error;
  }
  const { chunks, error: readerError } = await read;
  // Only a value the stream accepted is folded by the reference (it takes well-formed events).
  // Where even the reference cannot fold it (JSON.stringify of a 10k-deep tool_call's args
  // overflows), fold without it: such a value is in a block of its own, so the text is the same.
  const folded = (): ReturnType<typeof reference> => {
    try {
      return reference([...before, value, ...after]);
    } catch {
      return reference([...before, ...after]);
    }
  };
  if (error === undefined) {
    const ref = folded();
    if (ref.outcome === "finished" && text === ref.text && chunks.join("") === ref.textDeltas.join("")) return "accepted";
    return `accepted, but text ${JSON.stringify(text?.slice(0, 40))} is not ${JSON.stringify(ref.text.slice(0, 40))}`;
  }
  if (!(error instanceof TypeError)) {
    // An error event fails the stream with its own error: that is acceptance of a valid event.
    const ref = folded();
    if (ref.outcome === "failed" && error.message === ref.error?.message) return "accepted";
    return `${error.name}: ${error.message.slice(0, 120)}`;
  }
  const problems: string[] = [];
  if (field !== undefined && !error.message.includes(field)) problems.push("the field is not named");
  if (!new RegExp(`\\bposition ${POSITION}\\b`).test(error.message)) problems.push("the position is not named");
  if (error.message.length > 300) problems.push(`the message is ${error.message.length} characters long`);
  if (chunks.join("") !== "Hel" || readerError !== error) problems.push("the reader lost what came before");
  let partialOk = false;
  try {
    expect(error.partial).toEqual(partialOf(before));
    partialOk = true;
  } catch {
    // reported below
  }
  if (!partialOk) problems.push("partial is not the message before it");
  return problems.length === 0 ? "TypeError" : `TypeError, but ${problems.join(", ")}: ${error.message.slice(0, 120)}`;
}

const fieldCases: [string, Template, Field][] = templates.flatMap((t) =>
  t.fields.map((f): [string, Template, Field] => [`${t.name}: ${f.path} (${f.kind})`, t, f]),
);

describe("a field of a protocol event, mutated", () => {
  it.each(fieldCases)("%s: a TypeError naming it where §6 says so, else accepted", async (_name, template, field) => {
    const observed: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [mutation, value] of mutations) {
      observed[mutation] = await outcomeOf(mutate(template.event(), field.path, value()), field.path);
      expected[mutation] = verdict(field.kind, mutation);
    }
    expect(observed).toEqual(expected);
  });
});

describe("a value that is not a protocol event", () => {
  it.each(notEvents)("(%s) fails the stream with a TypeError naming its position", async (_name, value) => {
    expect(await outcomeOf(value())).toBe("TypeError");
  });
});

describe("an odd value §6 accepts", () => {
  it.each(oddButAccepted)("(%s) is folded like any event", async (_name, value) => {
    expect(await outcomeOf(value())).toBe("accepted");
  });
});

describe("a finished tool_call whose args are not JSON", () => {
  it.each(nonJsonArgs)("(%s) fails the stream with a TypeError naming content.args", async (_name, args) => {
    const finish = { event: "content-block-finish", index: 1, content: { type: "tool_call", id: "c1", name: "f", args: args() } };
    expect(await outcomeOf(finish, "content.args")).toBe("TypeError");
  });
});

describe("a 50 MB single delta", () => {
  it("is accepted and reaches a reader and the await whole", async () => {
    const size = 50 * 1024 * 1024;
    const stream = new ChatModelStream();
    const read = readUntilError(stream.text);
    for (const event of before) stream.dispatch(event);
    stream.dispatch({ event: "content-block-delta", index: 1, delta: { type: "text-delta", text: "y".repeat(size) } });
    for (const event of after) stream.dispatch(event);
    const text = await stream.text;
    const { chunks, error } = await read;
    const joined = chunks.join("");
    expect({
      length: text.length,
      ends: [text.slice(0, 5), text.slice(-3)],
      readerLength: joined.length,
      readerEnds: [joined.slice(0, 3), joined.slice(-2)],
      error,
    }).toEqual({ length: size + 5, ends: ["Hello", "yyy"], readerLength: size + 5, readerEnds: ["Hel", "lo"], error: undefined });
  }, 60_000);
});
