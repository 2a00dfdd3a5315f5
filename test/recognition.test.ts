// fromResponse handed a provider's own stream says whose it is and which reader reads it, for
// every recorded stream of every provider (rather than resolving to an empty message).
import recordings from "virtual:recordings";
import { describe, expect, it } from "vitest";
import { fromResponse } from "../src/index.ts";
import { bodyOf } from "./bytes.ts";
import { failure } from "./helpers.ts";

/** The reader fromResponse should name for each provider's recordings, and the content type it sends. */
const readers: Record<string, { reader: string; contentType: string }> = {
  "openai-chat": { reader: "fromOpenAIChat", contentType: "text/event-stream" },
  "openai-responses": { reader: "fromOpenAIResponses", contentType: "text/event-stream" },
  anthropic: { reader: "fromAnthropic", contentType: "text/event-stream" },
  gemini: { reader: "fromGemini", contentType: "text/event-stream" },
  bedrock: { reader: "fromBedrock", contentType: "application/vnd.amazon.eventstream" },
  ollama: { reader: "fromOllama", contentType: "application/x-ndjson" },
  "workers-ai": { reader: "fromWorkersAI", contentType: "text/event-stream" },
};

describe("fromResponse names the reader of every recorded provider stream", () => {
  const keys = Object.keys(recordings);

  it("knows every provider that has recordings", () => {
    expect([...new Set(keys.map((k) => k.split("/")[0]!))].sort()).toEqual(Object.keys(readers).sort());
  });

  // A recorded error body (Ollama's 400) is not a stream: it comes with its status, and fails as an HTTPError.
  const bodies = new Set(["ollama/error-no-tools.json"]);

  it("ollama/error-no-tools.json: sent with its 400, an HTTPError with Ollama's message", async () => {
    const body = recordings["ollama/error-no-tools.json"]! as Uint8Array<ArrayBuffer>;
    const error = await failure(fromResponse(new Response(bodyOf(body), { status: 400, headers: { "content-type": "application/json" } })).output);
    expect({ name: error.name, message: error.message }).toEqual({ name: "HTTPError", message: expect.stringMatching(/^HTTP 400.*: .*does not support tools/) });
  });

  for (const key of keys) {
    if (bodies.has(key)) continue;
    const { reader, contentType } = readers[key.split("/")[0]!]!;
    it(`${key}: ${reader}`, async () => {
      const body = recordings[key]! as Uint8Array<ArrayBuffer>;
      const typed = await failure(fromResponse(new Response(bodyOf(body), { headers: { "content-type": contentType } })).output);
      expect({ name: typed.name, message: typed.message }).toEqual({ name: "TypeError", message: expect.stringContaining(`read it with ${reader})`) });
    });
  }
});
