/**
 * The real models behind the demo: with `OPENAI_API_KEY` or `ANTHROPIC_API_KEY` set (in `.dev.vars`
 * next to wrangler.toml, or as a secret), or a Workers AI binding named `AI`, `/chat`, `/text` and the
 * page's chats (called from their Durable Object, shared-chat.ts) stream that model's answer through
 * this package's adapters instead of the scripted model.
 *
 *   # wrangler.toml, for Workers AI (wrangler dev then runs the model on Cloudflare: it needs a login)
 *   [ai]
 *   binding = "AI"
 *   # optional: WORKERS_AI_MODEL in [vars] (default @cf/meta/llama-3.3-70b-instruct-fp8-fast)
 *
 *   # .dev.vars (cp examples/worker/.dev.vars.example .dev.vars)
 *   OPENAI_API_KEY=sk-...
 *   # optional: OPENAI_MODEL=gpt-4.1-mini, OPENAI_BASE_URL=https://api.openai.com/v1 (any
 *   # OpenAI-compatible server), ANTHROPIC_MODEL=claude-sonnet-4-5, ANTHROPIC_BASE_URL, MODEL=scripted
 */
import { fromAnthropic, fromOpenAIChat, fromWorkersAI, type ChatModelStream } from "../../src/index.ts";

/** The part of the Workers AI binding (`env.AI`) the demo uses: with `stream: true`, `run` gives SSE bytes. */
export interface WorkersAI {
  run(model: string, inputs: Record<string, unknown>): Promise<unknown>;
}

export interface ProviderEnv {
  /**
   * "scripted", "openai", "anthropic" or "workers-ai"; by default the provider whose key is set,
   * else Workers AI when the `AI` binding is there, else "scripted".
   */
  MODEL?: string;
  /** The Workers AI binding (`[ai] binding = "AI"` in wrangler.toml). */
  AI?: WorkersAI;
  /** Default @cf/meta/llama-3.3-70b-instruct-fp8-fast. */
  WORKERS_AI_MODEL?: string;
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
export function chooseModel(env: ProviderEnv): "scripted" | "openai" | "anthropic" | "workers-ai" {
  const named = env.MODEL?.trim().toLowerCase();
  if (named === "scripted" || named === "openai" || named === "anthropic" || named === "workers-ai") return named;
  if (env.OPENAI_API_KEY) return "openai";
  if (env.ANTHROPIC_API_KEY) return "anthropic";
  if (env.AI !== undefined) return "workers-ai";
  return "scripted";
}

/**
 * Starts the provider's streaming call and returns its answer as a `ChatModelStream`, or
 * `undefined` when the scripted model should answer. `signal` (the request's) aborts the call and
 * cancels the stream, so a client that leaves stops the billing. A provider that refuses (a status
 * that is not 2xx: a bad key, a rate limit, an overload) has no stream to relay: that becomes the
 * `Response` to send instead (see `refusal`). Only a fetch that fails outright (no network) rejects.
 */
export async function callProvider(env: ProviderEnv, prompt: string, signal: AbortSignal): Promise<ChatModelStream | Response | undefined> {
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
      if (!response.ok) return refusal(response);
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
      if (!response.ok) return refusal(response);
      return fromAnthropic(response, { signal });
    }
    case "workers-ai": {
      if (env.AI === undefined) return new Response('MODEL is "workers-ai" but there is no AI binding in wrangler.toml\n', { status: 500 });
      // The binding answers with the stream itself (a failure to start throws, as fetch does).
      const body = await env.AI.run(env.WORKERS_AI_MODEL || "@cf/meta/llama-3.3-70b-instruct-fp8-fast", {
        stream: true,
        messages: [
          { role: "system", content: SYSTEM },
          { role: "user", content: prompt },
        ],
        tools: [{ type: "function", function: WEATHER }],
      });
      if (!(body instanceof ReadableStream)) throw new TypeError("Workers AI did not stream: is the model a text generation model?");
      return fromWorkersAI(body as ReadableStream<Uint8Array>, { signal });
    }
    default:
      return undefined;
  }
}

/**
 * What the client gets when the provider refuses: a 429 stays a 429 (with its `retry-after`, so the
 * client can wait and retry); anything else is the gateway's failure, 502. The body is JSON with the
 * provider's status and the start of its message (never the key or the request).
 */
async function refusal(upstream: Response): Promise<Response> {
  const text = (await upstream.text()).slice(0, 2000);
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const found = typeof parsed.error === "object" ? parsed.error.message : parsed.error ?? parsed.message;
    if (typeof found === "string") message = found;
  } catch {
    // Not JSON: keep the text.
  }
  const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
  const retryAfter = upstream.headers.get("retry-after");
  if (retryAfter !== null) headers.set("retry-after", retryAfter);
  const status = upstream.status === 429 ? 429 : 502;
  return new Response(JSON.stringify({ error: { upstream_status: upstream.status, message } }), { status, headers });
}

function trimSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}
