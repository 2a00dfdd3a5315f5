// fromBedrock / BedrockDecoderStream: Amazon Bedrock ConverseStream responses (binary AWS event
// stream frames) as protocol events.
import { describe, expect, it } from "vitest";
import { BedrockDecoderStream, fromBedrock, fromResponse, HTTPError } from "../src/index.ts";
import { bodyOf, chunkedBody, type Bytes } from "./bytes.ts";
import { concat, event, exception, frame } from "./fixtures/bedrock-frames.ts";
import { failure, readAll, settle } from "./helpers.ts";
import { itRefusesHostileInput } from "./hostile.ts";
import { itGivesTheRecordingsOutcomes, type Outcome } from "./rechunk.ts";

const EVENT_STREAM = "application/vnd.amazon.eventstream";

/** A 200 response with these frames, as Bedrock sends them. */
function responseOf(bytes: Bytes, headers: Record<string, string> = {}): Response {
  return new Response(bodyOf(bytes), { headers: { "content-type": EVENT_STREAM, ...headers } });
}

// Frames built by the test helper around payloads shaped as Bedrock's (see the recordings for real ones).
const start = event("messageStart", { role: "assistant" });
const say = (index: number, text: string) => event("contentBlockDelta", { contentBlockIndex: index, delta: { text } });
const stop = (index: number) => event("contentBlockStop", { contentBlockIndex: index });
const messageStop = (stopReason = "end_turn") => event("messageStop", { stopReason });
const metadata = (usage: Record<string, number> = { inputTokens: 5, outputTokens: 2, totalTokens: 7 }) =>
  event("metadata", { usage, metrics: { latencyMs: 120 } });

/**
 * What each recording ends with, written from the recordings by an independent reading of their
 * frames (a Python script: CRCs checked, deltas joined per block, cache tokens added to the input).
 * The recordings' responses carried no x-amzn-requestid and the stream names no model: no id, no model_name.
 */
const expected: Record<string, Outcome> = {
  "claude-reasoning.bin": {
    "output": {
      "type": "ai",
      "content": [
        {
          "type": "reasoning",
          "reasoning": "The user has greeted me with a simple \"Hello\". I should respond in a friendly and welcoming manner. This is a straightforward greeting, so I'll respond warmly and ask how I can help them today.",
          "extras": {
            "signature": "Eu0CCkgIBxABGAIqQJDccbDQkr81n7QjZ0Fi43umSvw0YvnGkMPEpaGAa2btYHyWw06KhwckvsnKzpKcxiRJT35meoG4/pdrTUiy2UISDPDaEWfOl3+HlRVsCxoMzfiqBp252RMvpmEyIjCbQ97Ac9Epkr5mgxeu1vGtJg+fDWIg0UnpMM8NYknhhvJmsXpYrfquwGL1ZnlBslUq0gHtbAAPwlWPmiQXU7gDQCDW9IdMVyw42b4f5MrAlpWkPWOJc9H+yYv0TpP/jY72SD1opqwkWnBgkzbi7A2jPmEFzIMQSO1KDXha5ADqQ3cLYMmVdNTSH9wlM7G7/JJ2/cqowqkwD6/q1AnYzcPte9iC67fY1LYN0NMCOSABFojP1rmkv9YBEulx5Y6eQpeVXBQiIqcGoCmWSumpGBskS1KxGerUmzUB0JmJnTENv4x3fSGSUSEPqMiz6Ebao8sVkb1wCWuZEXWJGtiQLMIm1o471iEYAQ=="
          },
          "index": 0
        },
        {
          "type": "text",
          "text": "Hello! It's nice to meet you. How can I help you today?",
          "index": 1
        }
      ],
      "tool_calls": [],
      "invalid_tool_calls": [],
      "usage_metadata": {
        "input_tokens": 36,
        "output_tokens": 73,
        "total_tokens": 109
      },
      "response_metadata": {
        "model_provider": "bedrock_converse",
        "finish_reason": "end_turn",
        "metrics": {
          "latencyMs": 1999
        },
        "output_version": "v1"
      }
    }
  },
  "claude-redacted-reasoning.bin": {
    "output": {
      "type": "ai",
      "content": [
        {
          "type": "non_standard",
          "value": {
            "redactedContent": "RXRrRUNrZ0lCeEFCR0FJcVFKVGZxUy9QWXVBRlplT2xzNlI4dUdOMDE0WU5UN1lESUZ1aE55eXdvWDFDamY5b0lZVGhYMXVjVUZKMWNmY2tkTjU1am96bVhpMVBFZ01mdWZQbUQ0NFNESEJ3OFlwNmdKOFlzL0d0M0JvTVlkTGFOVU9xcjdrL01BZVlJakJoUEljOXo4NUhySkFiZVM4SHovNjlSK3ZLSHBSYW5JMG4vQjY5ZG52Mm5lYlJlN0xLWmdIczJBbFZQRXROeXlvcXZnUDQ2M3FKNy9LdkRyQVBTbmhIUXFaOFRIOEpCQzRlWWI0UW93NWVYN2RJM1VYWS9EclEySU9XTEFESnFzaGNYQmc3emJONzhINGw2ZlRQOTdadHp6MHF3NGZhZFR6VGIzNmRSUjdwOHJzMnpBL3BIV2hLKzc1eHZVR2g4SWRMUHZNaWtLY2NIc3NIS2RjZXJ1NEpMRzFjTVZ0cTFDaTdaUEFiSFJVOC9Yc2pGdExXUEhlWUxmS0dKTjMzQzFNcFdYNW5RVTJCallJQ3M1SG4rOFo5U214aHAwNnJaWFRqWkFSaUV4cmQxZGdMbjUvNVBiRXpNTEp2L1EzYzZYSkg3a3g3aVVPNE5Bb25UVDFRM1dZMWNHYTM4VU5HWXVUVWFlM0NORkVaV2pTMjF0V1Jtalg0dDV3OEwwQnRRNURTYVcvWnpHZjB5elVLVWFTL2ZrVmpyMnh6dFFCdnlzRkZiYjdVclgrL2xOdzI2Q0hYS1VJWEZjWnpWOWwwSHJBNnozb1FycVNwbndlbS9wdC9DeGRoNVlRbFhxNkRTZHpzdHF3SkE1M245SGozb3NqVC92aUg0WTZONWRXTExCVFFCdmhVRXkyNEZobHl0RDNzY1lydkFxQ2R4VzlhRFNXK2UrRm9qNXZzalZBOVZGclhxWmVOU083N1FwNWRMdzVYY0E4Q0g2WUZURTZFV2VGVGtpNXZmVGZTSXcrbTRpblpHVnpJUmk4UWs5MEl6VzJFbnJ4R3R4M3dzRW41WEltUXIxdmcxTnBxMmpONnVpT1BPcDhuc0JnQg=="
          },
          "index": 0
        },
        {
          "type": "non_standard",
          "value": {
            "redactedContent": "RXFBRENrZ0lCeEFCR0FJcVFCM2g1R3lISkQ0aG9jUmNoVXEySTQwQ2hSTGRweGpWbDB4Wmt5Vlpycms2SklKV2VJbnVSUWZKRzVuSnltbVFCakg5VkRlVjUzSC9EM1c5eGpJSnZQVVNETHY3alJDRjliNlR4MVo1RUJvTVN2M0NCdzR6VWpqU0RhcWxJakRCcEg3VjNZUUI1dHdVbXVsQXljRHlaUnZQM2xvdXB5Nm8yZXFyZktBWlpqcTNyd2tBcFdEOXFPcUpEM09FZmQ0cWhRSlpmT2NIczlidDV6Q3F6WWpvYUlreEUzcmFYbmhVSE9sd3ExSnE2MGJUUXQyU1FpSHFvWlRFaHQvRGVERUVncEZ5OVozMlp6My9BejBPUmdUaTNRRTU2SzE1T1hvNkdXTVBZcS9DVEoveHpQWGZIMC95b1E0RVAxMDNWZlZxdnltRXBYVXJ1NlJRR2tvdTQxTEtSSTkyZlJzcUNLK2pQT3B4ZUVENGt6N0NGaFFZTUh0dGs3Y09BRjg1U0UzbkNjcGxpQVJyTER2c0FwamdNRkFZbmluZVpRTUx3YXdtbkltNkVCNjFDMjBkQjFGdDd2TEcxVFM2Zm4yN0VCOEpaanIvamVDOE80WnlzS3Y1aVV4cE1sRFppYjhqRnN6Znp4Q1hkRlg3TlZLTzkrZEg4Y1czUnNKODBrekJwNnh5b1FoWFNGeDcyakZsbHdEeThlK1FsSTNPSWh3ZUo4SVlBUT09"
          },
          "index": 1
        },
        {
          "type": "text",
          "text": "I notice you've sent what appears to be some kind of command or trigger string, but I don't respond to special codes or triggers. That string doesn't have any special meaning to me.\n\nIf you have a question you'd like to discuss or need assistance with something, I'd be happy to help in a straightforward conversation. What would you like to talk about today?",
          "index": 2
        }
      ],
      "tool_calls": [],
      "invalid_tool_calls": [],
      "usage_metadata": {
        "input_tokens": 92,
        "output_tokens": 253,
        "total_tokens": 345
      },
      "response_metadata": {
        "model_provider": "bedrock_converse",
        "finish_reason": "end_turn",
        "metrics": {
          "latencyMs": 8069
        },
        "output_version": "v1"
      }
    }
  },
  "gpt-oss-empty-text.bin": {
    "output": {
      "type": "ai",
      "content": [
        {
          "type": "reasoning",
          "reasoning": "The user just says \"Hi\". We need to respond appropriately, friendly greeting. No special instructions. Should be short.",
          "index": 1
        },
        {
          "type": "text",
          "text": "Hello! How can I help you today?",
          "index": 2
        }
      ],
      "tool_calls": [],
      "invalid_tool_calls": [],
      "usage_metadata": {
        "input_tokens": 70,
        "output_tokens": 43,
        "total_tokens": 113
      },
      "response_metadata": {
        "model_provider": "bedrock_converse",
        "finish_reason": "end_turn",
        "metrics": {
          "latencyMs": 753
        },
        "output_version": "v1"
      }
    }
  },
  "nova-code-interpreter.bin": {
    "output": {
      "type": "ai",
      "content": [
        {
          "type": "server_tool_call",
          "id": "tooluse_VQNZJRUFMoqZzszVsRd4og",
          "name": "nova_code_interpreter",
          "args": {
            "snippet": "1234 * 5678"
          },
          "index": 0
        },
        {
          "type": "server_tool_result",
          "tool_call_id": "tooluse_VQNZJRUFMoqZzszVsRd4og",
          "status": "success",
          "output": [
            {
              "json": {
                "stdOut": "7006652",
                "stdErr": "",
                "exitCode": 0,
                "isError": false
              }
            }
          ],
          "extras": {
            "type": "nova_code_interpreter_result"
          },
          "index": 1
        },
        {
          "type": "tool_call",
          "id": "tooluse_ptgCcZ0uQu-UUMz0abqoWw",
          "name": "final_result",
          "args": {
            "result": 7006652.0
          }
        }
      ],
      "tool_calls": [
        {
          "type": "tool_call",
          "id": "tooluse_ptgCcZ0uQu-UUMz0abqoWw",
          "name": "final_result",
          "args": {
            "result": 7006652.0
          }
        }
      ],
      "invalid_tool_calls": [],
      "usage_metadata": {
        "input_tokens": 1002,
        "output_tokens": 59,
        "total_tokens": 1061
      },
      "response_metadata": {
        "model_provider": "bedrock_converse",
        "finish_reason": "tool_use",
        "metrics": {
          "latencyMs": 1600
        },
        "output_version": "v1"
      }
    }
  },
  "nova-degrees.bin": {
    "output": {
      "type": "ai",
      "content": [
        {
          "type": "text",
          "text": "The current temperature in Paris, the capital of France, is 30°C.",
          "index": 0
        }
      ],
      "tool_calls": [],
      "invalid_tool_calls": [],
      "usage_metadata": {
        "input_tokens": 577,
        "output_tokens": 18,
        "total_tokens": 595
      },
      "response_metadata": {
        "model_provider": "bedrock_converse",
        "finish_reason": "end_turn",
        "metrics": {
          "latencyMs": 223
        },
        "output_version": "v1"
      }
    }
  },
  "nova-text.bin": {
    "output": {
      "type": "ai",
      "content": [
        {
          "type": "text",
          "text": "Hello! How can I assist you today? Whether you have a question, need information, or just want to chat, I'm here to help.",
          "index": 0
        }
      ],
      "tool_calls": [],
      "invalid_tool_calls": [],
      "usage_metadata": {
        "input_tokens": 2,
        "output_tokens": 32,
        "total_tokens": 34
      },
      "response_metadata": {
        "model_provider": "bedrock_converse",
        "finish_reason": "end_turn",
        "metrics": {
          "latencyMs": 660
        },
        "output_version": "v1"
      }
    }
  },
  "nova-tool-use.bin": {
    "output": {
      "type": "ai",
      "content": [
        {
          "type": "text",
          "text": "<thinking> To find the temperature of the capital of France, I need to first determine the capital of France and then get the current temperature in that city. The capital of France is Paris. I will use the \"get_temperature\" tool to find the current temperature in Paris.</thinking>\n",
          "index": 0
        },
        {
          "type": "tool_call",
          "id": "tooluse_lAG_zP8QRHmSYOwZzzaCqA",
          "name": "get_temperature",
          "args": {
            "city": "Paris"
          }
        }
      ],
      "tool_calls": [
        {
          "type": "tool_call",
          "id": "tooluse_lAG_zP8QRHmSYOwZzzaCqA",
          "name": "get_temperature",
          "args": {
            "city": "Paris"
          }
        }
      ],
      "invalid_tool_calls": [],
      "usage_metadata": {
        "input_tokens": 471,
        "output_tokens": 91,
        "total_tokens": 562
      },
      "response_metadata": {
        "model_provider": "bedrock_converse",
        "finish_reason": "tool_use",
        "metrics": {
          "latencyMs": 422
        },
        "output_version": "v1"
      }
    }
  },
};

describe("the recordings", () => {
  itGivesTheRecordingsOutcomes("bedrock", expected, fromBedrock, EVENT_STREAM);
});

describe("the events", () => {
  it("messageStart gives the message start, with the request id as id and the model of the option", async () => {
    const bytes = concat(start, say(0, "Hi"), stop(0), messageStop(), metadata());
    const events = await readAll(bodyOf(bytes).pipeThrough(new BedrockDecoderStream({ model: "amazon.nova-micro-v1:0" })));
    expect(events[0]).toEqual({ event: "message-start", role: "ai", metadata: { model_provider: "bedrock_converse", model_name: "amazon.nova-micro-v1:0" } });
  });

  it("the id is the x-amzn-requestid header and the model the modelId of the response's URL", async () => {
    const response = responseOf(concat(start, say(0, "Hi"), stop(0), messageStop(), metadata()), { "x-amzn-requestid": "3f1c0f6e-5c2b-4a7e-9f0d-2b7d1a9c4e11" });
    Object.defineProperty(response, "url", { value: "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream" });
    const output = await fromBedrock(response).output;
    expect([output.id, output.response_metadata["model_name"]]).toEqual(["3f1c0f6e-5c2b-4a7e-9f0d-2b7d1a9c4e11", "us.anthropic.claude-sonnet-4-20250514-v1:0"]);
  });

  it("without a request id, the stream's messageId is the id", async () => {
    const output = await fromBedrock(responseOf(concat(start, say(0, "Hi"), stop(0), messageStop(), metadata())), { messageId: "run-1" }).output;
    expect(output.id).toBe("run-1");
  });

  it("blocks keep Bedrock's contentBlockIndex", async () => {
    const bytes = concat(start, say(2, "a"), stop(2), say(5, "b"), stop(5), messageStop(), metadata());
    const events = await readAll(bodyOf(bytes).pipeThrough(new BedrockDecoderStream()));
    expect(events.filter((e) => e.event === "content-block-start").map((e) => e.index)).toEqual([2, 5]);
  });

  it("the message finishes at metadata, which ends the decoder stream and cancels its input", async () => {
    const source = chunkedBody([concat(start, say(0, "Hi"), stop(0), messageStop(), metadata())], true);
    const events = await readAll(source.body.pipeThrough(new BedrockDecoderStream()));
    await settle();
    expect({ last: events.at(-1)?.event, cancelled: source.cancelled !== undefined }).toEqual({ last: "message-finish", cancelled: true });
  });
});

describe("content", () => {
  it("cache reads and writes count as input, and go to input_token_details", async () => {
    const usage = { inputTokens: 10, outputTokens: 4, totalTokens: 1514, cacheReadInputTokens: 1000, cacheWriteInputTokens: 500 };
    const output = await fromBedrock(responseOf(concat(start, say(0, "Hi"), stop(0), messageStop(), metadata(usage)))).output;
    expect(output.usage_metadata).toEqual({ input_tokens: 1510, output_tokens: 4, total_tokens: 1514, input_token_details: { cache_read: 1000, cache_creation: 500 } });
  });

  it("messageStop's additionalModelResponseFields and metadata's fields go to response_metadata", async () => {
    const bytes = concat(start, say(0, "Hi"), stop(0), event("messageStop", { stopReason: "stop_sequence", additionalModelResponseFields: { stop_sequence: "END" } }), metadata());
    const output = await fromBedrock(responseOf(bytes)).output;
    expect(output.response_metadata).toEqual({
      model_provider: "bedrock_converse",
      finish_reason: "stop_sequence",
      additionalModelResponseFields: { stop_sequence: "END" },
      metrics: { latencyMs: 120 },
      output_version: "v1",
    });
  });

  it("tool input that is not JSON makes an invalid tool call", async () => {
    const bytes = concat(
      start,
      event("contentBlockStart", { contentBlockIndex: 0, start: { toolUse: { toolUseId: "tooluse_1", name: "f" } } }),
      event("contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input: '{"x": tru' } } }),
      stop(0),
      messageStop("max_tokens"),
      metadata(),
    );
    expect((await fromBedrock(responseOf(bytes)).output).invalid_tool_calls).toEqual([
      { type: "invalid_tool_call", id: "tooluse_1", name: "f", args: '{"x": tru', error: "Failed to parse tool call arguments as JSON" },
    ]);
  });

  it("a tool call with no input is a call with empty args", async () => {
    const bytes = concat(
      start,
      event("contentBlockStart", { contentBlockIndex: 0, start: { toolUse: { toolUseId: "tooluse_1", name: "now" } } }),
      stop(0),
      messageStop("tool_use"),
      metadata(),
    );
    expect(await fromBedrock(responseOf(bytes)).toolCalls).toEqual([{ type: "tool_call", id: "tooluse_1", name: "now", args: {} }]);
  });

  it("an event type this version does not know changes nothing", async () => {
    const bytes = concat(start, say(0, "Hi"), event("someFutureEvent", { x: 1 }), stop(0), messageStop(), metadata());
    expect(await fromBedrock(responseOf(bytes)).text).toBe("Hi");
  });
});

describe("cut off", () => {
  it("a stream cut off between frames before metadata finishes with what arrived and messageStop's reason", async () => {
    const output = await fromBedrock(responseOf(concat(start, say(0, "Hel"), say(0, "lo"), messageStop("max_tokens")))).output;
    expect([output.content, output.response_metadata["finish_reason"]]).toEqual([[{ type: "text", text: "Hello", index: 0 }], "max_tokens"]);
  });

  it("a stream cut off inside a frame fails with a bad_input TypeError naming the frame's offset", async () => {
    const first = concat(start, say(0, "Hello"));
    const cut = concat(first, say(0, " world").subarray(0, 20));
    const error = await failure(fromBedrock(responseOf(cut)).output);
    expect([error.name, (error as { code?: unknown }).code, error.message]).toEqual([
      "TypeError",
      "bad_input",
      `Invalid event stream frame at byte offset ${first.length}: the stream ended inside the frame, after 20 of its ${say(0, " world").length} bytes`,
    ]);
  });
});

describe("the provider's errors", () => {
  it("an exception frame fails the stream with its message and its exception type as code", async () => {
    const bytes = concat(start, say(0, "Let me"), exception("throttlingException", { message: "Too many tokens, please wait before trying again." }));
    const error = await failure(fromBedrock(responseOf(bytes)).output);
    expect([error.message, (error as { code?: unknown }).code, error.partial?.content]).toEqual([
      "Too many tokens, please wait before trying again.",
      "throttlingException",
      [{ type: "text", text: "Let me", index: 0 }],
    ]);
  });

  it("a modelStreamErrorException keeps its message", async () => {
    const payload = { message: "Model stream error", originalStatusCode: 424, originalMessage: "upstream" };
    const events = await readAll(bodyOf(concat(start, exception("modelStreamErrorException", payload))).pipeThrough(new BedrockDecoderStream()));
    expect(events.at(-1)).toEqual({ event: "error", message: "Model stream error", code: "modelStreamErrorException" });
  });

  it("an exception whose payload is not JSON keeps its text as the message", async () => {
    const bytes = concat(start, frame({ ":exception-type": "internalServerException", ":message-type": "exception" }, "Internal server error"));
    const error = await failure(fromBedrock(responseOf(bytes)).output);
    expect([error.message, (error as { code?: unknown }).code]).toEqual(["Internal server error", "internalServerException"]);
  });

  it("an error frame fails the stream with its :error-message and :error-code", async () => {
    const bytes = concat(start, frame({ ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "An internal error occurred" }));
    const error = await failure(fromBedrock(responseOf(bytes)).output);
    expect([error.message, (error as { code?: unknown }).code]).toEqual(["An internal error occurred", "InternalFailure"]);
  });

  it("an exception as the first frame is the provider's error, not another provider's stream", async () => {
    const error = await failure(fromBedrock(responseOf(exception("validationException", { message: "Malformed input request" }))).output);
    expect([error.message, (error as { code?: unknown }).code]).toEqual(["Malformed input request", "validationException"]);
  });

  it("a non-OK response fails with an HTTPError carrying the status and the body's message", async () => {
    // The body and status of pydantic-ai's recorded test_bedrock_streaming_error cassette (an unknown model id).
    const response = new Response('{"message":"The provided model identifier is invalid."}', {
      status: 400,
      headers: { "content-type": "application/json", "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/" },
    });
    const error = (await failure(fromBedrock(response).output)) as HTTPError;
    expect([HTTPError.isInstance(error), error.status, error.message.includes("The provided model identifier is invalid.")]).toEqual([true, 400, true]);
  });
});

describe("bad input", () => {
  it("a frame whose message checksum does not match fails with a bad_input TypeError naming its offset", async () => {
    const bad = say(0, "Hi");
    bad[bad.length - 1]! ^= 0xff;
    const error = await failure(fromBedrock(responseOf(concat(start, bad))).output);
    expect([error.name, (error as { code?: unknown }).code, error.message.startsWith(`Invalid event stream frame at byte offset ${start.length}: the message checksum does not match`)]).toEqual([
      "TypeError",
      "bad_input",
      true,
    ]);
  });

  it("a frame declared larger than maxFrameBytes fails at once, before the rest is read", async () => {
    const big = event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x".repeat(4096) } });
    const source = chunkedBody([start, big.subarray(0, 12), big.subarray(12)], true);
    const error = await failure(fromBedrock(source.body, { maxFrameBytes: 1024 }).output);
    await settle();
    expect([error.name, error.message.startsWith("maxFrameBytes exceeded"), source.pulled, source.cancelled !== undefined]).toEqual(["RangeError", true, 2, true]);
  });

  it("maxFrameBytes must be a usable integer", () => {
    expect(() => fromBedrock(responseOf(start), { maxFrameBytes: 3 })).toThrow(RangeError);
  });

  it("a frame larger than maxBytes fails as maxBytes", async () => {
    const big = event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x".repeat(4096) } });
    const error = await failure(fromBedrock(responseOf(concat(start, big)), { maxBytes: 1000 }).output);
    expect([error.name, error.message.includes("maxBytes (1000)")]).toEqual(["RangeError", true]);
  });

  it("a payload that is not JSON fails with a TypeError naming the frame's position", async () => {
    const bytes = concat(start, frame({ ":event-type": "contentBlockDelta", ":message-type": "event" }, "{nope"));
    const error = await failure(fromBedrock(responseOf(bytes)).output);
    expect(error.message).toBe('Invalid Bedrock contentBlockDelta payload at position 1: not JSON: "{nope"');
  });

  it("a JSON response (the non-streaming /converse) fails with a TypeError that says so", async () => {
    const response = new Response('{"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn"}', { headers: { "content-type": "application/json" } });
    const error = await failure(fromBedrock(response).output);
    expect([error.name, error.message]).toEqual([
      "TypeError",
      "Expected an application/vnd.amazon.eventstream response, got application/json: was the request sent to /converse instead of /converse-stream?",
    ]);
  });

  it("an InvokeModelWithResponseStream body fails with a TypeError that says so", async () => {
    const chunk = frame({ ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" }, '{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdGFydCJ9"}');
    const error = await failure(fromBedrock(responseOf(chunk)).output);
    expect(error.message.startsWith("Expected an AWS Bedrock ConverseStream, got a Bedrock InvokeModelWithResponseStream stream")).toBe(true);
  });

  it("a text body that is neither SSE nor JSON lines says how it starts", async () => {
    const body = new TextEncoder().encode("upstream connect error or disconnect/reset before headers\n");
    const error = await failure(fromBedrock(new Response(bodyOf(body), { headers: { "content-type": "application/octet-stream" } })).output);
    expect(error.message).toBe('Expected an AWS Bedrock ConverseStream, got a body that is not a binary event stream (it starts "upstream connect error or disconnect/res…")');
  });
});

describe("handed to fromResponse", () => {
  it.each([
    ["its own content type", EVENT_STREAM],
    ["no stated kind", "application/octet-stream"],
  ])("a Bedrock stream (%s) fails with a TypeError that names it and its adapter", async (_what, contentType) => {
    const response = new Response(bodyOf(concat(start, say(0, "Hi"))), { headers: { "content-type": contentType } });
    const error = await failure(fromResponse(response).output);
    expect([error.name, error.message]).toEqual([
      "TypeError",
      "Expected this package's protocol events, got an AWS Bedrock ConverseStream (binary application/vnd.amazon.eventstream frames; read it with fromBedrock)",
    ]);
  });
});

describe("flow", () => {
  it("is lazy: nothing is read before something consumes", async () => {
    const source = chunkedBody([concat(start, say(0, "Hi"), stop(0), messageStop(), metadata())]);
    const stream = fromBedrock(source.body);
    void stream.text;
    await settle();
    expect(source.pulled).toBe(0);
    expect(await stream.text).toBe("Hi");
  });

  it("cancelling the stream cancels the response body", async () => {
    const source = chunkedBody([concat(start, say(0, "a"))], true);
    const stream = fromBedrock(source.body);
    await stream.text.getReader().read();
    await stream.aclose();
    await settle();
    expect(source.cancelled).toBeDefined();
  });
});

describe("hostile and foreign input", () => {
  itRefusesHostileInput({
    kind: "an AWS Bedrock ConverseStream",
    from: fromBedrock,
    decoder: () => new BedrockDecoderStream(),
    // One contentBlockDelta frame (only an :event-type header, ASCII padding so every byte is ASCII) and no end.
    hugeIndex: "\u0000\u0000\u0000o\u0000\u0000\u0000 E.\u001f=\u000b:event-type\u0007\u0000\u0011contentBlockDelta{\"contentBlockIndex\":4294967294,\"delta\":{\"text\":\"hi\"},\"p\":\"4b\"}*$V8",
  });
});

describe("provider keys named __proto__", () => {
  it("a metadata field named __proto__ is kept as a field, never the metadata's prototype", async () => {
    const hostile = frame(
      { ":event-type": "metadata", ":content-type": "application/json", ":message-type": "event" },
      '{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"__proto__":{"latencyMs":1,"toString":5}}',
    );
    const output = await fromBedrock(responseOf(concat(start, say(0, "hi"), stop(0), messageStop(), hostile))).output;
    const metadata = output.response_metadata;
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(metadata)).toContain("__proto__");
    expect(String(metadata)).toBe("[object Object]");
  });
});
