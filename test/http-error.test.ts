// HTTPError reads the provider's message and code from each provider's error body.
import { describe, expect, it } from "vitest";
import { fromResponse, HTTPError } from "../src/index.ts";

/** The HTTPError a non-OK response fails the stream with (a fixed status text: workerd fills one in). */
async function errorOf(status: number, body: string, headers: Record<string, string> = {}): Promise<HTTPError> {
  const stream = fromResponse(new Response(body, { status, statusText: "S", headers: { "content-type": "application/json", ...headers } }));
  try {
    await stream.output;
  } catch (error) {
    return error as HTTPError;
  }
  throw new Error("the stream did not fail");
}

describe("HTTPError from each provider's error body", () => {
  it("Gemini: the numeric code repeats the status; the status name is the code", async () => {
    const e = await errorOf(400, '{"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}');
    expect([e.message, e.providerCode]).toEqual(["HTTP 400 S: API key not valid.", "INVALID_ARGUMENT"]);
  });

  it("AWS Bedrock: a top-level message, the code from x-amzn-errortype", async () => {
    const e = await errorOf(400, '{"message":"The provided model identifier is invalid."}', {
      "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    });
    expect([e.message, e.providerCode]).toEqual(["HTTP 400 S: The provided model identifier is invalid.", "ValidationException"]);
    const upper = await errorOf(403, '{"Message":"User is not authorized"}', { "x-amzn-errortype": "AccessDeniedException" });
    expect([upper.message, upper.providerCode]).toEqual(["HTTP 403 S: User is not authorized", "AccessDeniedException"]);
  });

  it("Ollama: the error is a string", async () => {
    const e = await errorOf(404, '{"error":"model \\"llama9\\" not found, try pulling it first"}');
    expect([e.message, e.providerCode]).toEqual(['HTTP 404 S: model "llama9" not found, try pulling it first', undefined]);
  });

  it("Cloudflare: the first of its errors", async () => {
    const e = await errorOf(400, '{"errors":[{"message":"AiError: Bad input","code":5006}],"success":false,"result":{},"messages":[]}');
    expect([e.message, e.providerCode]).toEqual(["HTTP 400 S: AiError: Bad input", "5006"]);
  });

  it("OpenAI keeps its code over its type", async () => {
    const e = await errorOf(429, '{"error": {"message": "Slow down", "type": "requests", "code": "rate_limit_exceeded"}}');
    expect([e.message, e.providerCode]).toEqual(["HTTP 429 S: Slow down", "rate_limit_exceeded"]);
  });
});
