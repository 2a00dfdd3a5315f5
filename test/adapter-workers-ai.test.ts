// fromWorkersAI / WorkersAIDecoderStream: Cloudflare Workers AI text generation streams as protocol events.
import { describe, expect, it } from "vitest";
import { fromResponse, fromWorkersAI, HTTPError, WorkersAIDecoderStream } from "../src/index.ts";
import { bodyOf, bytesOf, chunkedBody, responseOf } from "./bytes.ts";
import * as fixtures from "./fixtures/workers-ai.ts";
import { failure, readAll, settle } from "./helpers.ts";
import { itRefusesHostileInput } from "./hostile.ts";
import { itGivesTheFixturesOutcomes, itGivesTheRecordingsOutcomes, type Outcome } from "./rechunk.ts";

/** One `data:` message per object, then `[DONE]` unless `done` is false. */
function sse(messages: readonly object[], done = true): string {
  return messages.map((m) => `data: ${JSON.stringify(m)}\n\n`).join("") + (done ? "data: [DONE]\n\n" : "");
}

const PROVIDER = { model_provider: "cloudflare-workers-ai" };

const recorded: Record<string, Outcome> = {
  "native-text.sse": {
    output: {
      type: "ai",
      content: [
        {
          type: "text",
          text: "You're looking at a webpage, but I don't have the specifics of what's on it. Can you please tell me the URL or describe the content you're seeing? That way, I can provide more tailored insights and help.",
          index: 0,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 169, output_tokens: 48, total_tokens: 217 },
      // Workers AI's own shape names no model and no finish reason; the paste stops before [DONE] is closed.
      response_metadata: { ...PROVIDER, output_version: "v1" },
    },
  },
};

describe("the recorded streams", () => {
  itGivesTheRecordingsOutcomes("workers-ai", recorded, fromWorkersAI);
});

const expected: Record<keyof typeof fixtures, Outcome> = {
  text: {
    output: {
      type: "ai",
      content: [{ type: "text", text: "Grüße aus Köln 👋", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 21, output_tokens: 6, total_tokens: 27 },
      response_metadata: { ...PROVIDER, output_version: "v1" },
    },
  },
  toolCall: (() => {
    const call = { type: "tool_call", id: "call_0", name: "get_weather", args: { city: "Paris" } };
    return {
      output: {
        type: "ai",
        content: [call],
        tool_calls: [call],
        invalid_tool_calls: [],
        usage_metadata: { input_tokens: 120, output_tokens: 18, total_tokens: 138 },
        response_metadata: { ...PROVIDER, output_version: "v1" },
      },
    } as Outcome;
  })(),
};

describe("the fixtures", () => {
  itGivesTheFixturesOutcomes(fixtures, expected, (input) => fromWorkersAI(input));
});

/**
 * The chunk shape, built on the chunks of a real `@cf/google/gemma-4-26b-a4b-it` stream quoted
 * (first five and last three events only) in a public write-up: each chunk carries the usage of
 * its own tokens, and a last message in Workers AI's own shape carries the totals and the neurons.
 */
function chunk(delta: object, usage: object, finish_reason: string | null = null): object {
  return {
    choices: [{ delta, finish_reason, index: 0, logprobs: null, matched_stop: null }],
    created: 1791402526,
    id: "f962191d3d2f47418286b60056319eb5",
    model: "@cf/google/gemma-4-26b-a4b-it-external",
    object: "chat.completion.chunk",
    p: "xegr1g9m3x1iz0",
    usage,
  };
}
const step = { prompt_tokens: 0, completion_tokens: 1, total_tokens: 1, prompt_tokens_details: { cached_tokens: 0 }, neurons: 0.027 };
const chunked = [
  chunk({ content: "", reasoning_content: null, role: "assistant" }, { prompt_tokens: 147, completion_tokens: 0, total_tokens: 147, prompt_tokens_details: { cached_tokens: 0 } }),
  chunk({ reasoning: "Greet warmly." }, step),
  chunk({ content: "أهلاً", reasoning_content: null }, step),
  chunk({ content: " بك", reasoning_content: null }, step),
  chunk({ reasoning_content: null }, { ...step, completion_tokens: 0, total_tokens: 0 }, "stop"),
];
const totals = { response: "", usage: { prompt_tokens: 147, completion_tokens: 16, total_tokens: 163, prompt_tokens_details: { cached_tokens: 0 }, neurons: 1.77 } };

describe("the chunk shape", () => {
  it("reads reasoning, text, the finish reason, the id and model, and the final totals with their neurons", async () => {
    const output = await fromWorkersAI(bodyOf(bytesOf(sse([...chunked, totals])))).output;
    expect(output).toEqual({
      type: "ai",
      id: "f962191d3d2f47418286b60056319eb5",
      content: [
        { type: "reasoning", reasoning: "Greet warmly.", index: 0 },
        { type: "text", text: "أهلاً بك", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 147, output_tokens: 16, total_tokens: 163, input_token_details: { cache_read: 0 } },
      response_metadata: {
        ...PROVIDER,
        model_name: "@cf/google/gemma-4-26b-a4b-it-external",
        finish_reason: "stop",
        neurons: 1.77,
        output_version: "v1",
      },
    });
  });

  it("cut off before the totals, the usage is the sum of the chunks' own counts", async () => {
    const output = await fromWorkersAI(bodyOf(bytesOf(sse(chunked, false)))).output;
    expect(output.usage_metadata).toEqual({ input_tokens: 147, output_tokens: 3, total_tokens: 150, input_token_details: { cache_read: 0 } });
  });

  it("streamed tool calls join their argument slices by index; the entry that only says no more is skipped", async () => {
    const text = sse([
      { response: "", tool_calls: [{ id: "chatcmpl-tool-1", type: "function", index: 0, function: { name: "get_weather" } }] },
      { response: "", tool_calls: [{ index: 0, function: { arguments: '{"city": ' } }] },
      { response: "", tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { response: "", tool_calls: [{ id: null, type: null, function: { name: null } }] },
      { response: "", usage: { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 } },
    ]);
    expect(await fromWorkersAI(bodyOf(bytesOf(text))).toolCalls).toEqual([
      { type: "tool_call", id: "chatcmpl-tool-1", name: "get_weather", args: { city: "Paris" } },
    ]);
  });

  it("an OpenAI chunk from a model that is not Workers AI's is another provider's stream", async () => {
    const text = sse([{ ...(chunk({ content: "hi" }, step) as Record<string, unknown>), model: "gpt-4.1-mini" }]);
    const error = await failure(fromWorkersAI(bodyOf(bytesOf(text))).output);
    expect([error.name, error.message]).toEqual([
      "TypeError",
      "Expected a Workers AI stream, got an OpenAI Chat Completions stream (read it with fromOpenAIChat)",
    ]);
  });
});

describe("the events", () => {
  it("the binding's own shape names no message: no id, and no model", async () => {
    const events = await readAll(bodyOf(bytesOf(fixtures.text)).pipeThrough(new WorkersAIDecoderStream()));
    expect(events[0]).toEqual({ event: "message-start", role: "ai", metadata: { model_provider: "cloudflare-workers-ai" } });
  });

  it("the stream's messageId names the message", async () => {
    const output = await fromWorkersAI(bodyOf(bytesOf(fixtures.text)), { messageId: "run-1" }).output;
    expect(output.id).toBe("run-1");
  });
});

describe("flow", () => {
  it("reads the ReadableStream env.AI.run returns, lazily: nothing before something consumes", async () => {
    const source = chunkedBody([bytesOf(fixtures.text)]);
    const stream = fromWorkersAI(source.body);
    void stream.text;
    await settle();
    expect(source.pulled).toBe(0);
    expect(await stream.text).toBe("Grüße aus Köln 👋");
  });

  it("cancelling the stream cancels the body", async () => {
    const source = chunkedBody([bytesOf(sse([{ response: "a" }], false))], true);
    const stream = fromWorkersAI(source.body);
    await stream.text.getReader().read();
    await stream.aclose();
    await settle();
    expect(source.cancelled).toBeDefined();
  });
});

describe("failures", () => {
  it("a non-OK REST response fails with an HTTPError holding Cloudflare's error body", async () => {
    const body = '{"errors":[{"code":7003,"message":"No route for the URI"}],"success":false,"result":{},"messages":[]}';
    const response = new Response(body, { status: 400, statusText: "Bad Request", headers: { "content-type": "application/json" } });
    const error = (await failure(fromWorkersAI(response).output)) as HTTPError;
    expect([error instanceof HTTPError, error.status, error.message.includes("No route for the URI")]).toEqual([true, 400, true]);
  });

  it("an errors message fails the stream with its message and code, the text so far on the partial", async () => {
    const text = sse([{ response: "Once" }, { errors: [{ message: "AiError: model overloaded", code: 3040 }] }], false);
    const error = await failure(fromWorkersAI(bodyOf(bytesOf(text))).output);
    expect([error.message, (error as Error & { code?: unknown }).code, error.partial?.content]).toEqual([
      "AiError: model overloaded",
      "3040",
      [{ type: "text", text: "Once", index: 0 }],
    ]);
  });

  it("an errors message before anything else is the stream's error, not another provider's stream", async () => {
    const text = sse([{ errors: [{ message: "AiError: Input prompt contains NSFW content.", code: 3030 }] }], false);
    const error = await failure(fromWorkersAI(bodyOf(bytesOf(text))).output);
    expect([error.name, error.message, (error as Error & { code?: unknown }).code]).toEqual(["Error", "AiError: Input prompt contains NSFW content.", "3030"]);
  });

  it("a JSON response (a request without stream: true) fails with a TypeError that says so", async () => {
    const response = responseOf('{"response":"Hello","usage":{"prompt_tokens":1,"completion_tokens":1}}', { contentType: "application/json" });
    const error = await failure(fromWorkersAI(response).output);
    expect([error.name, error.message.includes('"stream": true')]).toEqual(["TypeError", true]);
  });
});

describe("Workers AI's stream handed to fromResponse", () => {
  it("fails with a TypeError naming it and the adapter that reads it", async () => {
    const error = await failure(fromResponse(responseOf(fixtures.text)).output);
    expect([error.name, error.message]).toEqual(["TypeError", "Expected this package's protocol events, got a Workers AI stream (read it with fromWorkersAI)"]);
  });
});

describe("hostile and foreign input", () => {
  itRefusesHostileInput({
    kind: "a Workers AI stream",
    from: fromWorkersAI,
    decoder: () => new WorkersAIDecoderStream(),
    hugeIndex: 'data: {"response":"hi","tool_calls":[{"index":4294967294,"id":"c","name":"f","arguments":"{}"}]}\n\ndata: [DONE]\n\n',
  });
});
