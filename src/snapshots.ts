/**
 * Snapshot views: the tool calls with their arguments parsed as they grow, and a JSON answer's
 * value as it grows. Each is a `ReadableStream` of snapshots that can also be awaited.
 *
 * A snapshot view reads the fan-out through a cursor of its own, as a projection does, with a sink
 * that folds each delta into its state. Everything a read finds queued is folded at once and gives
 * one snapshot per thing that changed, so a reader that falls behind gets the newest snapshot per
 * tool call, not every step in between; each slice is parsed once, however late it is read.
 *
 * @module
 */
import { Cursor, type CursorSink, TEXT, TOOL_CALLS } from "./cursor.ts";
import { coded } from "./errors.ts";
import type { Hub } from "./hub.ts";
import { type JSONValue, PartialJSON } from "./partial-json.ts";
import type { ToolCall, ToolCallChunk } from "./protocol.ts";

/**
 * A tool call as far as it has arrived: its arguments parsed so far (see {@link PartialJSON}).
 * `args` is one object updated in place as slices arrive: copy it to keep how it was.
 */
export interface PartialToolCall {
  /** The call's block index, which identifies it within the message. */
  index: number;
  id?: string;
  name?: string;
  /** The arguments so far; `undefined` until they begin. */
  args: JSONValue | undefined;
  /** The arguments stopped being JSON: `args` stays as it was before that. */
  invalid?: true;
}

/** What a snapshot view folds its cursor's chunks into. */
interface Folder<S> {
  /** Folds one chunk; a failure errors this view only. */
  add(chunk: unknown): void;
  /** The snapshots of what changed since the last call, in order. */
  take(): S[];
}

/** @internal How `ChatModelStream` makes its snapshot views. */
export let newSnapshots: <S, F>(hub: Hub, kind: number, folder: Folder<S>, final: () => Promise<F>) => Snapshots<S, F>;

/**
 * A stream of snapshots that can also be awaited for the final value: `stream.partialToolCalls`
 * and `stream.partialJSON` make one each time they are read. Reading it reads the message as any
 * projection does (cancelling it detaches this reader only); awaiting it awaits the message.
 */
export class Snapshots<S, F> extends ReadableStream<S> implements PromiseLike<F> {
  readonly #final: () => Promise<F>;

  /** Not constructed by users: `ChatModelStream`'s getters make them. */
  protected constructor();
  /** @internal */
  protected constructor(hub: Hub, kind: number, folder: Folder<S>, final: () => Promise<F>);
  protected constructor(hub?: Hub, kind?: number, folder?: Folder<S>, final?: () => Promise<F>) {
    const sink = new SnapshotSink<S>(hub as Hub, new Cursor(kind as number), folder as Folder<S>);
    super(sink, { highWaterMark: 0 });
    this.#final = final as () => Promise<F>;
  }

  static {
    newSnapshots = <S, F>(hub: Hub, kind: number, folder: Folder<S>, final: () => Promise<F>) =>
      new Snapshots<S, F>(hub, kind, folder, final);
  }

  /** Resolves with the final value once the message finished; starts the stream if needed. */
  then<A = F, B = never>(
    onfulfilled?: ((value: F) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#final().then(onfulfilled, onrejected);
  }

  /** Like `Promise.prototype.catch` on the final value. */
  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<F | B> {
    return this.then(undefined, onrejected);
  }

  /** Like `Promise.prototype.finally` on the final value. */
  finally(onfinally?: (() => void) | null): Promise<F> {
    return this.#final().finally(onfinally);
  }
}

/**
 * The view's underlying source and its cursor's sink: the fan-out writes chunks here, one at a
 * time to a waiting reader or all that were queued during a pull, and the view's stream gets the
 * snapshots of what they changed.
 */
class SnapshotSink<S> implements UnderlyingDefaultSource<S>, CursorSink {
  readonly #hub: Hub;
  readonly #cursor: Cursor;
  readonly #folder: Folder<S>;
  #controller: ReadableStreamDefaultController<S> | undefined;
  /** Inside a pull: chunks queued for this reader arrive together; their snapshots go out after. */
  #pulling = false;
  /** A chunk could not be folded: the view errored and takes nothing more. */
  #failed = false;
  /** Chunks came outside a pull (to a waiting reader, or at the end): a flush is due. */
  #due = false;
  /** The stream was closed or errored. */
  #closed = false;

  constructor(hub: Hub, cursor: Cursor, folder: Folder<S>) {
    this.#hub = hub;
    this.#cursor = cursor;
    this.#folder = folder;
  }

  start(controller: ReadableStreamDefaultController<S>): void {
    this.#controller = controller;
    this.#cursor.controller = this;
  }

  pull(): void {
    this.#pulling = true;
    try {
      this.#hub.pull(this.#cursor);
    } finally {
      this.#pulling = false;
    }
    this.#flush();
  }

  cancel(reason: unknown): void {
    this.#hub.cancel(this.#cursor, reason);
  }

  // -- the cursor's sink ---------------------------------------------------------------------

  get desiredSize(): number | null {
    return this.#controller!.desiredSize;
  }

  enqueue(chunk: unknown): void {
    if (this.#failed) return;
    try {
      this.#folder.add(chunk);
    } catch (error) {
      // The view errors; its reader leaves as a cancelled one does, once the fan-out is out of
      // this delivery (it walks the list of readers this would change).
      this.#failed = true;
      this.#controller!.error(error);
      queueMicrotask(() => this.#hub.cancel(this.#cursor, error));
      return;
    }
    if (this.#pulling || this.#due) return;
    // One chunk to a waiting reader, or all that were queued when the message ended: their
    // snapshots go out together once the fan-out is out of this delivery.
    this.#due = true;
    queueMicrotask(() => this.#flush());
  }

  close(): void {
    if (this.#failed) return;
    this.#flush();
    this.#closed = true;
    this.#controller!.close();
  }

  error(error: unknown): void {
    if (this.#failed) return;
    this.#closed = true;
    this.#controller!.error(error);
  }

  /** Hands the snapshots of what changed to the stream. */
  #flush(): void {
    this.#due = false;
    if (this.#failed || this.#closed) return;
    const snapshots = this.#folder.take();
    for (let i = 0; i < snapshots.length; i++) this.#controller!.enqueue(snapshots[i]!);
  }
}

/** @internal Tool-call chunks folded into one {@link PartialToolCall} per call. */
export class ToolCallFolder implements Folder<PartialToolCall> {
  readonly #calls = new Map<number, { call: PartialToolCall; parser: PartialJSON }>();
  /** Calls changed since the last `take`, in the order they changed first. */
  #changed: { call: PartialToolCall; parser: PartialJSON }[] = [];

  add(chunk: unknown): void {
    const { index, id, name, args } = chunk as ToolCallChunk;
    // The fold numbers every tool-call chunk it emits by its block index.
    const at = index as number;
    let entry = this.#calls.get(at);
    if (entry === undefined) {
      entry = { call: { index: at, args: undefined }, parser: new PartialJSON() };
      this.#calls.set(at, entry);
    }
    const { call, parser } = entry;
    let changed = false;
    if (id && call.id === undefined) changed = (call.id = id) !== undefined;
    if (name && call.name === undefined) changed = (call.name = name) !== undefined;
    if (args && call.invalid === undefined) {
      try {
        parser.write(args);
      } catch {
        call.invalid = true;
      }
      changed = true;
    }
    if (changed && !this.#changed.includes(entry)) this.#changed.push(entry);
  }

  take(): PartialToolCall[] {
    const changed = this.#changed;
    if (changed.length === 0) return [];
    this.#changed = [];
    // The arguments are made once per read, however many slices came; each snapshot is its own
    // object (the arguments inside are shared and grow in place).
    return changed.map(({ call, parser }) => {
      call.args = parser.value;
      return { ...call };
    });
  }
}

/** @internal Text deltas folded into the value of the JSON text so far. */
export class JSONFolder implements Folder<JSONValue> {
  readonly #parser = new PartialJSON();
  #changed = false;
  /** The value last given, for a string, number or literal at the top that did not change. */
  #last: JSONValue | undefined;

  add(chunk: unknown): void {
    if ((chunk as string) === "") return;
    this.#parser.write(chunk as string);
    this.#changed = true;
  }

  take(): JSONValue[] {
    if (!this.#changed) return [];
    this.#changed = false;
    const value = this.#parser.value;
    // A container grows in place; a string, number or literal at the top is a new value.
    if (value === undefined || (typeof value !== "object" && value === this.#last)) return [];
    this.#last = value;
    return [value];
  }
}

/** @internal The final value of a JSON text answer: a clear error when the answer is not JSON. */
export function parseAnswer(text: string): JSONValue {
  const parser = new PartialJSON();
  try {
    parser.push(text);
    return parser.end() as JSONValue;
  } catch (error) {
    throw coded(new SyntaxError(`The answer is not JSON: ${(error as Error).message}`), "bad_input");
  }
}

/** @internal */
export function finalToolCalls(hub: Hub): () => Promise<ToolCall[]> {
  return () => hub.final(TOOL_CALLS) as Promise<ToolCall[]>;
}

/** @internal */
export function finalJSON(hub: Hub): () => Promise<JSONValue> {
  return () => (hub.final(TEXT) as Promise<string>).then(parseAnswer);
}
