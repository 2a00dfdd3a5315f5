/**
 * A built-in model for the example: it needs no key and no network, and it streams a realistic
 * answer (reasoning, text, a tool call, usage) as protocol events, one every `delayMs`, like a
 * provider would. It stops producing as soon as its stream is cancelled, and counts its steps so
 * tests can see that cancelling really stops it.
 */
import { ChatModelStream, type ChatModelStreamOptions, type ProtocolEvent } from "../../src/index.ts";

export interface ScriptedModelOptions {
  /** Pause before each event, in milliseconds (default 30). */
  delayMs?: number;
}

const REASONING = "The user asks about streaming on the edge. I should explain memory and cancellation, then check the weather tool works.";
const ANSWER =
  "Streaming a chat answer on the edge comes down to two things. First, memory: a Worker has 128 MB, so every " +
  "delta should flow straight to the client instead of piling up in buffers. Second, cancellation: when the " +
  "user presses stop, the model call must stop too, or the provider keeps billing for tokens nobody reads. " +
  "Let me also look up the weather in Lisbon for you.";
const TOOL_ARGS = ['{"city":', ' "Lisbon",', ' "unit":', ' "celsius"}'];

export class ScriptedModel {
  readonly delayMs: number;
  /** Events produced so far, across all calls. */
  steps = 0;
  /** Calls whose stream was cancelled before the end. */
  cancelled = 0;

  constructor(options: ScriptedModelOptions = {}) {
    this.delayMs = options.delayMs ?? 30;
  }

  /** The text the model answers with, as a reader of `stream.text` gets it. */
  static readonly answer: string = ANSWER;

  /** The whole script of one answer. */
  script(prompt: string): ProtocolEvent[] {
    const id = `msg-${hash(prompt)}`;
    const events: ProtocolEvent[] = [
      { event: "message-start", id, metadata: { provider: "scripted", model: "scripted-1" } },
      { event: "content-block-start", index: 0, content: { type: "reasoning", reasoning: "" } },
    ];
    for (const piece of words(REASONING)) {
      events.push({ event: "content-block-delta", index: 0, delta: { type: "reasoning-delta", reasoning: piece } });
    }
    events.push({ event: "content-block-finish", index: 0, content: { type: "reasoning", reasoning: REASONING } });
    events.push({ event: "content-block-start", index: 1, content: { type: "text", text: "" } });
    for (const piece of words(ANSWER)) {
      events.push({ event: "content-block-delta", index: 1, delta: { type: "text-delta", text: piece } });
    }
    events.push({ event: "content-block-finish", index: 1, content: { type: "text", text: ANSWER } });
    events.push({
      event: "content-block-start",
      index: 2,
      content: { type: "tool_call_chunk", id: "call-1", name: "get_weather", args: "" },
    });
    for (const args of TOOL_ARGS) {
      events.push({ event: "content-block-delta", index: 2, delta: { type: "tool_call_chunk", args } });
    }
    const usage = { input_tokens: prompt.length, output_tokens: events.length, total_tokens: prompt.length + events.length };
    events.push({ event: "message-finish", reason: "tool_calls", usage });
    return events;
  }

  /**
   * The answer as a `ChatModelStream` fed like a `ReadableStream`'s underlying source: `pull` gives
   * one event per `delayMs` while readers or an await want more; `cancel` (Stop, a client gone, a
   * failure) stops the model at once, as a provider call should be stopped.
   */
  chat(prompt: string, options: ChatModelStreamOptions = {}): ChatModelStream {
    const script = this.script(prompt);
    let next = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    return new ChatModelStream({
      ...options,
      pull: async (controller) => {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, this.delayMs);
        });
        if (next === -1) return; // cancelled while waiting
        const event = script[next++];
        if (event === undefined) return controller.close();
        this.steps++;
        controller.enqueue(event);
      },
      cancel: () => {
        if (next < script.length) this.cancelled++;
        next = -1;
        clearTimeout(timer);
        wake?.();
      },
    });
  }
}

/** Splits text into word-sized deltas that keep their spaces. */
function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
