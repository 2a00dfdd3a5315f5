// fromOllama / OllamaDecoderStream: Ollama's NDJSON streams as protocol events.
import recordings from "virtual:recordings";
import { describe, expect, it } from "vitest";
import { fromAnthropic, fromOllama, fromOpenAIChat, fromResponse, HTTPError, OllamaDecoderStream } from "../src/index.ts";
import { bodyOf, bytesOf, chunkedBody, endlessLine, responseOf } from "./bytes.ts";
import * as fixtures from "./fixtures/ollama.ts";
import { failure, readAll, settle } from "./helpers.ts";
import { itRefusesHostileInput } from "./hostile.ts";
import { itGivesTheFixturesOutcomes, itGivesTheRecordingsOutcomes, type Outcome } from "./rechunk.ts";

const NDJSON = "application/x-ndjson";

/** A response as Ollama sends its stream. */
function ndjson(text: string, init: ResponseInit = {}): Response {
  return responseOf(text, { ...init, contentType: NDJSON });
}

/** A recording's text. */
function bytesText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** One line per object. */
function lines(...objects: object[]): string {
  return objects.map((o) => `${JSON.stringify(o)}\n`).join("");
}

const meta = (model: string) => ({ model_provider: "ollama", model_name: model });

const recorded: Record<string, Outcome> = {
  "count-gemma3.ndjson": {
    output: {
      type: "ai",
      id: "ollama-2025-08-20T13:48:24.316155Z",
      content: [{ type: "text", text: "Okay, here we go!\n\n1, 2, 3, 4, 5\n", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 16, output_tokens: 22, total_tokens: 38 },
      response_metadata: {
        ...meta("gemma3:1b"),
        finish_reason: "stop",
        created_at: "2025-08-20T13:48:24.421331Z",
        total_duration: 171946792,
        load_duration: 38473250,
        prompt_eval_duration: 27608250,
        eval_duration: 105611917,
        output_version: "v1",
      },
    },
  },
  "generate-gemma3.ndjson": {
    output: {
      type: "ai",
      id: "ollama-2025-08-20T13:48:22.164615Z",
      content: [{ type: "text", text: "Okay, here we go!\n\n1, 2, 3, 4, 5\n", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 16, output_tokens: 22, total_tokens: 38 },
      response_metadata: {
        ...meta("gemma3:1b"),
        finish_reason: "stop",
        created_at: "2025-08-20T13:48:22.273149Z",
        total_duration: 190084083,
        load_duration: 40691625,
        prompt_eval_duration: 40168500,
        eval_duration: 108922125,
        context: [
          105, 2364, 107, 4377, 699, 236743, 236770, 531, 236743, 236810, 106, 107, 105, 4368, 107, 19058, 236764, 1590, 692, 817, 236888, 108, 236770,
          236764, 236743, 236778, 236764, 236743, 236800, 236764, 236743, 236812, 236764, 236743, 236810, 107,
        ],
        output_version: "v1",
      },
    },
  },
  "thinking-cloud.ndjson": {
    output: {
      type: "ai",
      id: "ollama-2026-03-03T23:25:47.655153627Z",
      content: [
        {
          type: "reasoning",
          reasoning: 'User asks: "Count from 1 to 5". Simple. Respond with numbers: 1 2 3 4 5. Possibly each on separate line. Provide answer.',
          index: 0,
        },
        { type: "text", text: "1  \n2  \n3  \n4  \n5", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 74, output_tokens: 57, total_tokens: 131 },
      response_metadata: {
        ...meta("gpt-oss:120b"),
        finish_reason: "stop",
        created_at: "2026-03-03T23:25:48.032202121Z",
        total_duration: 922983240,
        output_version: "v1",
      },
    },
  },
  "tool-call-unstreamed.json": (() => {
    const call = { type: "tool_call", id: "call_mo1wm122", name: "getWeather", args: { location: "San Francisco, CA" } };
    return {
      output: {
        type: "ai",
        id: "ollama-2026-03-03T23:44:44.118089028Z",
        content: [{ type: "reasoning", reasoning: "User asks about weather in San Francisco. Use function getWeather.", index: 0 }, call],
        tool_calls: [call],
        invalid_tool_calls: [],
        usage_metadata: { input_tokens: 145, output_tokens: 44, total_tokens: 189 },
        response_metadata: {
          ...meta("gpt-oss:120b"),
          finish_reason: "stop",
          created_at: "2026-03-03T23:44:44.118089028Z",
          total_duration: 603200867,
          output_version: "v1",
        },
      },
    } as Outcome;
  })(),
  "error-no-tools.json": {
    error: {
      name: "Error",
      message: "registry.ollama.ai/library/gemma3:1b does not support tools",
      // Ollama's errors carry no code; nothing arrived before it, so the partial is an empty message.
      code: undefined,
      partial: { type: "ai", content: "", tool_calls: [], invalid_tool_calls: [], response_metadata: { output_version: "v1" } },
    },
  },
};

describe("the recorded streams", () => {
  itGivesTheRecordingsOutcomes("ollama", recorded, fromOllama, NDJSON);
});

const expected: Record<keyof typeof fixtures, Outcome> = {
  text: {
    output: {
      type: "ai",
      id: "ollama-2025-08-20T10:00:00.1Z",
      content: [{ type: "text", text: "Grüße aus Köln 👋", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 11, output_tokens: 5, total_tokens: 16 },
      response_metadata: {
        ...meta("llama3.2"),
        finish_reason: "stop",
        created_at: "2025-08-20T10:00:00.3Z",
        total_duration: 1200,
        load_duration: 100,
        prompt_eval_duration: 300,
        eval_duration: 700,
        output_version: "v1",
      },
    },
  },
  toolCalls: (() => {
    const id = "ollama-2025-08-20T10:01:00.1Z";
    const calls = [
      { type: "tool_call", id: `${id}_0`, name: "get_weather", args: { city: "Paris" } },
      { type: "tool_call", id: `${id}_1`, name: "get_weather", args: { city: "Bogotá" } },
    ];
    return {
      output: {
        type: "ai",
        id,
        content: [{ type: "reasoning", reasoning: "Two cities: call twice.", index: 0 }, ...calls],
        tool_calls: calls,
        invalid_tool_calls: [],
        usage_metadata: { input_tokens: 140, output_tokens: 40, total_tokens: 180 },
        response_metadata: { ...meta("qwen3"), finish_reason: "stop", created_at: "2025-08-20T10:01:00.3Z", output_version: "v1" },
      },
    } as Outcome;
  })(),
  midStreamError: {
    error: {
      name: "Error",
      message: "an error was encountered while running the model: unexpected EOF",
      code: undefined,
      partial: {
        type: "ai",
        id: "ollama-2025-08-20T10:02:00.1Z",
        content: [{ type: "text", text: "Once upon", index: 0 }],
        tool_calls: [],
        invalid_tool_calls: [],
        response_metadata: { ...meta("llama3.2"), output_version: "v1" },
      },
    },
  },
};

describe("the fixtures", () => {
  itGivesTheFixturesOutcomes(fixtures, expected, (input) => fromOllama(input));
});

describe("the events", () => {
  it("the first line gives the message start: an id from its created_at, the provider and the model", async () => {
    const events = await readAll(bodyOf(bytesOf(fixtures.text)).pipeThrough(new OllamaDecoderStream()));
    expect(events[0]).toEqual({
      event: "message-start",
      role: "ai",
      id: "ollama-2025-08-20T10:00:00.1Z",
      metadata: { model_provider: "ollama", model_name: "llama3.2" },
    });
  });

  it("a tool call arrives whole: its block starts with the arguments and finishes at once", async () => {
    const events = await readAll(bodyOf(bytesOf(fixtures.toolCalls)).pipeThrough(new OllamaDecoderStream()));
    expect(events.filter((e) => e.event.startsWith("content-block")).map((e) => [e.event, "index" in e ? e.index : undefined])).toEqual([
      ["content-block-start", 0],
      ["content-block-delta", 0],
      ["content-block-start", 1],
      ["content-block-delta", 1],
      ["content-block-finish", 1],
      ["content-block-start", 2],
      ["content-block-delta", 2],
      ["content-block-finish", 2],
      ["content-block-finish", 0],
    ]);
  });

  it("the decoder stream ends at the done line and cancels the rest of its input", async () => {
    const source = chunkedBody([bytesOf(fixtures.text), bytesOf(fixtures.text)], true);
    const events = await readAll(source.body.pipeThrough(new OllamaDecoderStream()));
    await settle();
    expect({ last: events.at(-1)?.event, cancelled: source.cancelled !== undefined }).toEqual({ last: "message-finish", cancelled: true });
  });
});

describe("content", () => {
  it("an /api/generate stream reads as well: `response` is text and `thinking` reasoning", async () => {
    const text = lines(
      { model: "deepseek-r1", created_at: "t0", response: "", thinking: "Hmm.", done: false },
      { model: "deepseek-r1", created_at: "t1", response: "Blue.", done: false },
      { model: "deepseek-r1", created_at: "t2", response: "", done: true, done_reason: "stop", prompt_eval_count: 3, eval_count: 4 },
    );
    const output = await fromOllama(ndjson(text)).output;
    expect(output.content).toEqual([
      { type: "reasoning", reasoning: "Hmm.", index: 0 },
      { type: "text", text: "Blue.", index: 1 },
    ]);
  });

  it("arguments sent as a JSON string are parsed like an object's", async () => {
    const text = lines(
      { model: "m", created_at: "t", message: { role: "assistant", content: "", tool_calls: [{ function: { name: "f", arguments: '{"x":1}' } }] }, done: false },
      { model: "m", created_at: "t", message: { role: "assistant", content: "" }, done: true, done_reason: "stop" },
    );
    expect(await fromOllama(ndjson(text)).toolCalls).toEqual([{ type: "tool_call", id: "ollama-t_0", name: "f", args: { x: 1 } }]);
  });

  it("a done_reason of length is the finish reason", async () => {
    const text = lines(
      { model: "m", created_at: "t", message: { role: "assistant", content: "Once" }, done: false },
      { model: "m", created_at: "t", message: { role: "assistant", content: "" }, done: true, done_reason: "length", eval_count: 1 },
    );
    expect((await fromOllama(ndjson(text)).output).response_metadata["finish_reason"]).toBe("length");
  });

  it("a stream cut off before its done line finishes with what arrived, without usage", async () => {
    const text = lines({ model: "m", created_at: "t", message: { role: "assistant", content: "Once upon" }, done: false });
    const output = await fromOllama(ndjson(text)).output;
    expect([output.content, output.usage_metadata, output.response_metadata]).toEqual([
      [{ type: "text", text: "Once upon", index: 0 }],
      undefined,
      { model_provider: "ollama", model_name: "m", output_version: "v1" },
    ]);
  });

  it("CRLF line ends and blank lines are read as Ollama's LF lines", async () => {
    const text = fixtures.text.replaceAll("\n", "\r\n\r\n");
    expect(await fromOllama(ndjson(text)).output).toEqual((expected.text as { output: unknown }).output);
  });
});

describe("flow", () => {
  it("is lazy: nothing is read before something consumes", async () => {
    const source = chunkedBody([bytesOf(fixtures.text)]);
    const stream = fromOllama(source.body);
    void stream.text;
    await settle();
    expect(source.pulled).toBe(0);
    expect(await stream.text).toBe("Grüße aus Köln 👋");
  });

  it("cancelling the stream cancels the response body", async () => {
    const source = chunkedBody([bytesOf(lines({ model: "m", created_at: "t", message: { role: "assistant", content: "a" }, done: false }))], true);
    const stream = fromOllama(source.body);
    await stream.text.getReader().read();
    await stream.aclose();
    await settle();
    expect(source.cancelled).toBeDefined();
  });
});

describe("failures", () => {
  it("a non-OK response fails with an HTTPError carrying Ollama's error text", async () => {
    const response = new Response('{"error":"model \\"llama9\\" not found, try pulling it first"}', {
      status: 404,
      statusText: "Not Found",
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    const error = (await failure(fromOllama(response).output)) as HTTPError;
    expect([error instanceof HTTPError, error.status, error.message]).toEqual([true, 404, 'HTTP 404 Not Found: model "llama9" not found, try pulling it first']);
  });

  it("the recorded 400 body, with its status, is an HTTPError with Ollama's text", async () => {
    const response = new Response(recordings["ollama/error-no-tools.json"]!, {
      status: 400,
      statusText: "Bad Request",
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    const error = (await failure(fromOllama(response).output)) as HTTPError;
    expect([error.status, error.isRetryable, error.message]).toEqual([400, false, "HTTP 400 Bad Request: registry.ollama.ai/library/gemma3:1b does not support tools"]);
  });

  it("an error line mid-stream fails the stream with its message, the text so far on the partial", async () => {
    const error = await failure(fromOllama(ndjson(fixtures.midStreamError)).output);
    expect([error.message, error.partial?.content]).toEqual([
      "an error was encountered while running the model: unexpected EOF",
      [{ type: "text", text: "Once upon", index: 0 }],
    ]);
  });

  it("a line that is not JSON fails with a TypeError naming its position", async () => {
    const error = await failure(fromOllama(ndjson(`${fixtures.text.split("\n")[0]}\n{nope\n`)).output);
    expect([error.name, error.message]).toEqual(["TypeError", 'Invalid Ollama line at position 1: not JSON: "{nope"']);
  });

  it("a JSON body that is not Ollama's fails with a TypeError that says so", async () => {
    const response = responseOf('{"id":"chatcmpl-1","object":"chat.completion","choices":[]}', { contentType: "application/json" });
    const error = await failure(fromOllama(response).output);
    expect([error.name, error.message]).toEqual([
      "TypeError",
      'Expected an Ollama chat stream, got application/json that is not an Ollama reply (no "done" and "message")',
    ]);
  });
});

describe("Ollama's lines handed to another reader", () => {
  it("fromResponse, whose NDJSON is protocol events, says whose lines they are", async () => {
    const error = await failure(fromResponse(ndjson(fixtures.text)).output);
    expect([error.name, error.message]).toEqual(["TypeError", "Expected this package's protocol events, got an Ollama chat stream (read it with fromOllama)"]);
  });


  it("an SSE adapter reads Ollama's error line as the error it says, not as an empty message", async () => {
    const error = await failure(fromOpenAIChat(responseOf(bytesText(recordings["ollama/error-no-tools.json"]!))).output);
    expect([error.name, error.message]).toEqual(["Error", "registry.ollama.ai/library/gemma3:1b does not support tools"]);
  });

  it("an SSE adapter fails on a first JSON line that never ends once it passes maxLineBytes, and cancels the body", async () => {
    const source = endlessLine('{"model":"', 50 * 1024 * 1024);
    const error = await failure(fromAnthropic(source.body, { maxLineBytes: 1024 * 1024 }).output);
    await settle();
    expect([error.name, source.pulled <= 2 * 1024 * 1024, source.cancelled !== undefined]).toEqual(["RangeError", true, true]);
  }, 30_000);

  it("an SSE adapter skips whitespace before the first line, as it does before SSE", async () => {
    const error = await failure(fromOpenAIChat(responseOf(`\n \r\n${fixtures.text}`)).output);
    expect(error.message).toBe("Expected an OpenAI Chat Completions stream, got an Ollama chat stream (read it with fromOllama)");
  });
});

describe("hostile and foreign input", () => {
  itRefusesHostileInput({
    kind: "an Ollama chat stream",
    from: fromOllama,
    decoder: () => new OllamaDecoderStream(),
    // Ollama numbers nothing itself; the tool call's index is its own, and ignored.
    hugeIndex:
      '{"model":"m","created_at":"t","message":{"content":"hi","tool_calls":[{"function":{"index":4294967294,"name":"f","arguments":{}}}]},"done":true}\n',
  });
});
