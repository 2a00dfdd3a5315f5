/**
 * The real models behind the demo: with `OPENAI_API_KEY` or `ANTHROPIC_API_KEY` set (in
 * `examples/worker/.dev.vars`, or as a secret), `/chat` and `/text` stream that provider's answer
 * through this package's adapters instead of the scripted model.
 *
 *   # examples/worker/.dev.vars
 *   OPENAI_API_KEY=sk-...
 *   # optional: OPENAI_MODEL=gpt-4.1-mini, OPENAI_BASE_URL=https://api.openai.com/v1 (any
 *   # OpenAI-compatible server), ANTHROPIC_MODEL=claude-sonnet-4-5, ANTHROPIC_BASE_URL, MODEL=scripted
 */
import { fromAnthropic, fromOpenAIChat, type ChatModelStream } from "../../src/index.ts";

export interface ProviderEnv {
  /** "scripted", "openai" or "anthropic"; by default the provider whose key is set, else "scripted". */
  MODEL?: string;
  OPENAI_API_KEY?: string;
  /** Default https://api.openai.com/v1; any server that speaks Chat Completions. */
  OPENAI_BASE_URL?: string;
  /** Default gpt-4.1-mini. */
  OPENAI_MODEL?: string;
  ANTHROPIC_API_KEY?: string;
  /** Default https://api.anthropic.com/v1. */
  ANTHROPIC_BASE_URL?: string;
  /** Default claude-sonnet-4-5 (with extended thinking, so the reasoning pane fills). */
  ANTHROPIC_MODEL?: string;
}

const SYSTEM = "You are a concise assistant. When the user asks about the weather, call get_weather.";

const WEATHER = {
  name: "get_weather",
  description: "The current weather in a city.",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
    required: ["city"],
  },
};

/** Which model answers: the one `MODEL` names, else the provider whose key is set. */
export function chooseModel(env: ProviderEnv): "scripted" | "openai" | "anthropic" {
  const named = env.MODEL?.trim().toLowerCase();
  if (named === "scripted" || named === "openai" || named === "anthropic") return named;
  if (env.OPENAI_API_KEY) return "openai";
  if (env.ANTHROPIC_API_KEY) return "anthropic";
  return "scripted";
}

/**
 * Starts the provider's streaming call and returns its answer as a `ChatModelStream`, or
 * `undefined` when the scripted model should answer. `signal` (the request's) aborts the call and
 * cancels the stream, so a client that leaves stops the billing. A provider that answers with an
 * error status fails the stream with an `HTTPError`, which the SSE body ends with as an `error`
 * event; only a fetch that fails outright (no network) rejects here.
 */
export async function callProvider(env: ProviderEnv, prompt: string, signal: AbortSignal): Promise<ChatModelStream | undefined> {
  switch (chooseModel(env)) {
    case "openai": {
      const response = await fetch(`${trimSlash(env.OPENAI_BASE_URL ?? "https://api.openai.com/v1")}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${env.OPENAI_API_KEY ?? ""}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: env.OPENAI_MODEL || "gpt-4.1-mini",
          stream: true,
          stream_options: { include_usage: true },
          messages: [
            { role: "system", content: SYSTEM },
            { role: "user", content: prompt },
          ],
          tools: [{ type: "function", function: WEATHER }],
        }),
        signal,
      });
      return fromOpenAIChat(response, { signal });
    }
    case "anthropic": {
      const response = await fetch(`${trimSlash(env.ANTHROPIC_BASE_URL ?? "https://api.anthropic.com/v1")}/messages`, {
        method: "POST",
        headers: {
          "x-api-key": env.ANTHROPIC_API_KEY ?? "",
          "anthropic-version": "2023-06-01",
          "content-type": "application/json",
        },
        body: JSON.stringify({
          model: env.ANTHROPIC_MODEL || "claude-sonnet-4-5",
          max_tokens: 4096,
          stream: true,
          thinking: { type: "enabled", budget_tokens: 1024 },
          system: SYSTEM,
          messages: [{ role: "user", content: prompt }],
          tools: [{ name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters }],
        }),
        signal,
      });
      return fromAnthropic(response, { signal });
    }
    default:
      return undefined;
  }
}

function trimSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}
