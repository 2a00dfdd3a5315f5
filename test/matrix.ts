// The cancellation matrix (issue 6): for each way a stream can stop, what happens to the source, the
// signal, each await, the readers and `partial`. `observeMatrix()` runs every row and returns the table;
// `markdown()` renders it for the README. Web-standard APIs only: it runs in Node and in workerd.
import { ChatModelStream, type ChatModelStreamOptions } from "../src/index.ts";
import { type Event, messageStart, scriptedSource, settle } from "./helpers.ts";

/** One row of the table, as observed. */
export interface MatrixRow {
  what: string;
  /** How many times the source's `cancel` ran; "—" for a pump, which has no cancel. */
  sourceCancelled: number | "—";
  signalAborted: boolean;
  /** Each projection's await, made after the event: "value" or the error's name. */
  text: string;
  reasoning: string;
  toolCalls: string;
  usage: string;
  output: string;
  /** The text reader and the toolCalls reader, each read from the start. */
  readers: string;
  /** Whether the awaits' error carries `partial`, the message so far. */
  partial: "yes" | "no" | "—";
}

const HOLD = 8; // the source stops before this event until the row acts

const delta = (index: number, d: Record<string, unknown>): Event => ({ event: "content-block-delta", index, delta: d } as Event);
const message: Event[] = [
  { ...messageStart, id: "m1" } as Event,
  { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
  delta(0, { type: "reasoning-delta", reasoning: "Weather." }),
  { event: "content-block-start", index: 1, content: { type: "text", text: "" } },
  delta(1, { type: "text-delta", text: "Let me check" }),
  { event: "content-block-start", index: 2, content: { type: "tool_call_chunk", id: "c1", name: "weather", args: "" } },
  delta(2, { type: "tool_call_chunk", args: '{"city":"Paris"}' }),
  { event: "usage", usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 } },
  delta(1, { type: "text-delta", text: "." }), // HOLD
  { event: "message-finish", reason: "tool_calls" },
];

/** A reader that reads to the end in the background; its `state` says how it ended. */
function backgroundReader(readable: ReadableStream<unknown>): { state(): Promise<string>; cancel(): Promise<void> } {
  const reader = readable.getReader();
  let cancelled = false;
  const ended = (async (): Promise<string> => {
    try {
      while (!(await reader.read()).done);
      return cancelled ? "closed (cancelled)" : "closed";
    } catch (error) {
      return `errored (${(error as Error).name})`;
    }
  })();
  return {
    state: () => ended,
    cancel() {
      cancelled = true;
      return reader.cancel("the reader left");
    },
  };
}

const awaitables = ["text", "reasoning", "toolCalls", "usage", "output"] as const;

interface Setup {
  stream: ChatModelStream;
  /** Resolves when the stream waits for the event before which the row acts. */
  held: Promise<void>;
  /** Lets the source go on past that point. */
  go(): void;
  cancels(): number | "—";
}

/** How each row builds its stream and what it does at the held point. */
interface Row {
  what: string;
  options?: ChatModelStreamOptions;
  setup?: (options: ChatModelStreamOptions) => Setup;
  act(stream: ChatModelStream, readers: ReturnType<typeof backgroundReader>[], setup: Setup, controller: AbortController): Promise<void>;
}

function fromSource(events: readonly Event[], atHold: "pass" | "throw" = "pass") {
  return (options: ChatModelStreamOptions): Setup => {
    // It stops before event HOLD: `held` resolves then; `go()` lets it on.
    const source = scriptedSource(events, { holdAt: HOLD, afterHold: atHold });
    return {
      stream: ChatModelStream.from(source.readable, options),
      held: source.held,
      go: source.release,
      cancels: () => source.cancels,
    };
  };
}

/** A pump that dispatches one event per call and rejects at the held point. */
function rejectingPump(options: ChatModelStreamOptions): Setup {
  const stream = new ChatModelStream(options);
  let i = 0;
  let reached!: () => void;
  let go!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (go = resolve));
  stream.setRequestMore(async () => {
    if (i === HOLD) {
      reached();
      await released;
      throw new Error("the model call failed");
    }
    stream.dispatch(message[i++]!);
  });
  return { stream, held, go, cancels: () => "—" };
}

const errorAtHold: Event[] = [...message.slice(0, HOLD), { event: "error", message: "overloaded", code: "529" } as Event, ...message.slice(HOLD)];

export const rows: Row[] = [
  {
    what: "one of two readers cancels",
    async act(_stream, readers, setup) {
      await readers[0]!.cancel();
      setup.go();
    },
  },
  {
    what: "every reader cancels, nothing awaits",
    async act(_stream, readers, setup) {
      await Promise.all(readers.map((r) => r.cancel()));
      setup.go();
    },
  },
  {
    what: "`aclose()` before the finish",
    async act(stream, _readers, setup) {
      await stream.aclose();
      setup.go();
    },
  },
  {
    what: "`aclose()` after the finish",
    async act(stream, readers, setup) {
      setup.go();
      await Promise.all(readers.map((r) => r.state()));
      await stream.aclose();
    },
  },
  {
    what: "the constructor's `signal` aborts",
    async act(_stream, _readers, setup, controller) {
      controller.abort();
      setup.go();
    },
  },
  {
    what: "`await using` scope exit",
    async act(stream, _readers, setup) {
      {
        await using scoped = stream;
        void scoped;
      }
      setup.go();
    },
  },
  {
    what: "the source errors",
    setup: fromSource(message, "throw"),
    async act(_stream, _readers, setup) {
      setup.go();
    },
  },
  {
    what: "an `error` event",
    setup: fromSource(errorAtHold),
    async act(_stream, _readers, setup) {
      setup.go();
    },
  },
  {
    what: "`idleTimeoutMs` passes with no event",
    options: { idleTimeoutMs: 10 },
    async act(_stream, readers) {
      await Promise.all(readers.map((r) => r.state())); // the source stays quiet until the timeout
    },
  },
  {
    what: "`maxEvents` is exceeded",
    options: { maxEvents: HOLD },
    async act(_stream, _readers, setup) {
      setup.go();
    },
  },
  {
    what: "the pump rejects",
    setup: rejectingPump,
    async act(_stream, _readers, setup) {
      setup.go();
    },
  },
];

const outcome = async (thenable: PromiseLike<unknown>): Promise<{ cell: string; error?: unknown }> => {
  try {
    await thenable;
    return { cell: "value" };
  } catch (error) {
    return { cell: (error as Error).name, error };
  }
};

/** Runs one row: a text and a toolCalls reader read from the start; at the held point the row acts. */
export async function observe(row: Row): Promise<MatrixRow> {
  const controller = new AbortController();
  const setup = (row.setup ?? fromSource(message))({ ...row.options, signal: controller.signal });
  const { stream } = setup;
  const readers = [backgroundReader(stream.text), backgroundReader(stream.toolCalls)];
  await setup.held;
  await row.act(stream, readers, setup, controller);
  const states = await Promise.all(readers.map((r) => r.state()));
  const awaits = await Promise.all(awaitables.map((name) => outcome(stream[name])));
  await settle(); // a cancel issued by the stream reaches the source
  const error = awaits.find((a) => a.error !== undefined)?.error as { partial?: unknown } | undefined;
  return {
    what: row.what,
    sourceCancelled: setup.cancels(),
    signalAborted: stream.signal.aborted,
    text: awaits[0]!.cell,
    reasoning: awaits[1]!.cell,
    toolCalls: awaits[2]!.cell,
    usage: awaits[3]!.cell,
    output: awaits[4]!.cell,
    readers: states[0] === states[1] ? `both ${states[0]}` : `${states[0]}, ${states[1]}`,
    partial: error === undefined ? "—" : error.partial !== undefined ? "yes" : "no",
  };
}

/** Every row, observed. */
export async function observeMatrix(): Promise<MatrixRow[]> {
  const table: MatrixRow[] = [];
  for (const row of rows) table.push(await observe(row));
  return table;
}

/** The table as README markdown. */
export function markdown(table: readonly MatrixRow[]): string {
  const head = ["what happens", "source `cancel()` calls", "`signal.aborted`", "`await text`", "`await reasoning`", "`await toolCalls`", "`await usage`", "`await output`", "readers (text, toolCalls)", "error has `partial`"];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  for (const r of table) {
    const cells = [r.what, String(r.sourceCancelled), String(r.signalAborted), r.text, r.reasoning, r.toolCalls, r.usage, r.output, r.readers, r.partial];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}
