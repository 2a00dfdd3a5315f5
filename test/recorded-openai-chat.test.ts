// fromOpenAIChat on real Chat Completions streams (test/fixtures/recorded/openai-chat/, sources in
// its SOURCES file): OpenAI, Azure OpenAI, DeepSeek, Mistral, OpenRouter (Anthropic, Grok, DeepSeek and MiniMax
// behind it), Groq, Together, Z.ai and vLLM, as each sends its stream.
// Each expected message was written from the recording and checked against a separate reading of the
// raw bytes (text, reasoning and refusal joined, arguments parsed, the last usage and finish_reason).
import recordings from "virtual:recordings";
import { describe, expect, it } from "vitest";
import { fromOpenAIChat, OpenAIChatDecoderStream, type ProtocolEvent } from "../src/index.ts";
import { bodyOf, bytesOf, responseOf, type Bytes } from "./bytes.ts";
import { failure, readAll } from "./helpers.ts";
import { itGivesTheRecordingsOutcomes, outcome, type Outcome } from "./rechunk.ts";

const expected: Record<string, Outcome> = {
  "azure-text.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-CpXkZTBEYS0LUlTcALth5AsNCMGzM",
      content: [{ type: "text", text: "4242", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 15,
        output_tokens: 12,
        total_tokens: 27,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 0 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "gpt-5-mini-2025-08-07",
        finish_reason: "stop",
        prompt_filter_results: [
          {
            prompt_index: 0,
            content_filter_results: {
              hate: { filtered: false, severity: "safe" },
              jailbreak: { filtered: false, detected: false },
              self_harm: { filtered: false, severity: "safe" },
              sexual: { filtered: false, severity: "safe" },
              violence: { filtered: false, severity: "safe" },
            },
          },
        ],
        output_version: "v1",
      },
    },
  },
  "deepseek-reasoning.sse": {
    output: {
      type: "ai",
      id: "33be18fc-3842-486c-8c29-dd8e578f7f20",
      content: [
        {
          type: "reasoning",
          reasoning: "Hmm, the user just said \"Hello\". It's a simple greeting but I wonder if there's more to it.  \n\nThe message is very brief, so I don't have much context to work with. Maybe they're just testing if I'm responsive, or perhaps they're new to chatting with AI.  \n\nI should keep my reply warm and inviting to encourage further conversation. A smiley face would help make it friendly. Since they didn't specify a need, I'll leave it open-ended by asking how I can help them today.  \n\nThe tone should be cheerful but professional - not too stiff, not too casual. \"Hello there!\" feels right for a start. Adding \"What can I do for you today?\" turns it into an invitation rather than just mirroring their greeting.  \n\nI'll avoid assumptions about their gender, location, or intent since there's zero information. If they're just being polite, they might not reply further - and that's okay too.",
          index: 0,
        },
        { type: "text", text: "Hello there! 😊 How can I help you today?", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 6,
        output_tokens: 212,
        total_tokens: 218,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 198 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "deepseek-reasoner",
        finish_reason: "stop",
        system_fingerprint: "fp_393bca965e_prod0623_fp8_kvcache",
        output_version: "v1",
      },
    },
  },
  "mistral-thinking.sse": {
    output: {
      type: "ai",
      id: "9f9d90210f194076abeee223863eaaf0",
      content: [
        {
          type: "reasoning",
          reasoning: "Okay, the user is asking how to cross the street. I know that crossing the street safely involves a few key steps: first, look both ways to check for oncoming traffic; second, use a crosswalk if one is available; third, obey any traffic signals or signs that may be present; and finally, proceed with caution until you have safely reached the other side. Let me compile this information into a clear and concise response.",
          index: 0,
        },
        {
          type: "text",
          text: "To cross the street safely, follow these steps:\n\n1. Look both ways to check for oncoming traffic.\n2. Use a crosswalk if one is available.\n3. Obey any traffic signals or signs that may be present.\n4. Proceed with caution until you have safely reached the other side.\n\n```markdown\nTo cross the street safely, follow these steps:\n\n1. Look both ways to check for oncoming traffic.\n2. Use a crosswalk if one is available.\n3. Obey any traffic signals or signs that may be present.\n4. Proceed with caution until you have safely reached the other side.\n```\n\nBy following these steps, you can ensure a safe crossing.",
          index: 1,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 10, output_tokens: 232, total_tokens: 242 },
      response_metadata: {
        model_provider: "openai",
        model_name: "magistral-medium-latest",
        finish_reason: "stop",
        output_version: "v1",
      },
    },
  },
  "groq-error.sse": {
    error: {
      name: "Error",
      message: "Tool choice is required, but model did not call a tool",
      code: "tool_use_failed",
      partial: {
        type: "ai",
        id: "chatcmpl-fd87720a-9b48-4161-bcd7-6127bd0d3696",
        content: [
          {
            type: "reasoning",
            reasoning: "The user says: \"dont make a tool call, just return the string \"maybe\" by itself, not as json output, to test error handling; on the second try you can use valid args\". The developer instructions: be concise. Never use pretty double quotes, just regular ones.\n\nWe need to respond with just the string maybe, not JSON, and no tool call. So just plain text: maybe.",
            index: 0,
          },
          { type: "text", text: "maybe", index: 1 },
        ],
        tool_calls: [],
        invalid_tool_calls: [],
        response_metadata: { model_provider: "openai", model_name: "openai/gpt-oss-120b", output_version: "v1" },
      },
    },
  },
  "groq-tool-call.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-e35442a8-12c0-4fb4-8be4-0e51727ce7b7",
      content: [
        {
          type: "reasoning",
          reasoning: "We need to call the function with correct parameter \"name\". Provide a name, e.g., \"example\".",
          index: 0,
        },
        {
          type: "tool_call",
          id: "fc_bfb39741-3748-4def-9886-a93fc9c64a90",
          name: "get_something_by_name",
          args: { name: "example" },
        },
      ],
      tool_calls: [
        {
          type: "tool_call",
          id: "fc_bfb39741-3748-4def-9886-a93fc9c64a90",
          name: "get_something_by_name",
          args: { name: "example" },
        },
      ],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 304,
        output_tokens: 49,
        total_tokens: 353,
        output_token_details: { reasoning: 23 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "openai/gpt-oss-120b",
        finish_reason: "tool_calls",
        system_fingerprint: "fp_caa2017b29",
        output_version: "v1",
      },
    },
  },
  "openai-length.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-CpaLKsZmiiFPwrb0Ocw5FOVrMV89U",
      content: "",
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 13,
        output_tokens: 50,
        total_tokens: 63,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 50 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "gpt-5-mini-2025-08-07",
        finish_reason: "length",
        service_tier: "default",
        output_version: "v1",
      },
    },
  },
  "openai-moderation.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-E4Rjs6IxaJVge9Ntk5keJsaeDy6vS",
      content: [{ type: "text", text: "Paris.", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 13,
        output_tokens: 11,
        total_tokens: 24,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 0 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "gpt-5-2025-08-07",
        finish_reason: "stop",
        service_tier: "default",
        moderation: {
          input: {
            type: "moderation_results",
            model: "omni-moderation-latest",
            results: [
              {
                type: "moderation_result",
                model: "omni-moderation-latest",
                flagged: false,
                categories: {
                  harassment: false,
                  "harassment/threatening": false,
                  sexual: false,
                  hate: false,
                  "hate/threatening": false,
                  illicit: false,
                  "illicit/violent": false,
                  "self-harm/intent": false,
                  "self-harm/instructions": false,
                  "self-harm": false,
                  "sexual/minors": false,
                  violence: false,
                  "violence/graphic": false,
                },
                category_scores: {
                  harassment: 1.5598027633743823e-05,
                  "harassment/threatening": 2.212566909570261e-06,
                  sexual: 9.818326983657703e-07,
                  hate: 2.7803096387751555e-05,
                  "hate/threatening": 1.0783312222985275e-06,
                  illicit: 0.005284363395662242,
                  "illicit/violent": 3.514382632807918e-05,
                  "self-harm/intent": 2.627477314480822e-06,
                  "self-harm/instructions": 5.955139348629957e-07,
                  "self-harm": 2.4682904407607285e-06,
                  "sexual/minors": 1.9333584585546466e-07,
                  violence: 6.814872211615988e-06,
                  "violence/graphic": 7.889262586245034e-07,
                },
                category_applied_input_types: {
                  harassment: ["text"],
                  "harassment/threatening": ["text"],
                  sexual: ["text"],
                  hate: ["text"],
                  "hate/threatening": ["text"],
                  illicit: ["text"],
                  "illicit/violent": ["text"],
                  "self-harm/intent": ["text"],
                  "self-harm/instructions": ["text"],
                  "self-harm": ["text"],
                  "sexual/minors": ["text"],
                  violence: ["text"],
                  "violence/graphic": ["text"],
                },
              },
            ],
          },
          output: {
            type: "moderation_results",
            model: "omni-moderation-latest",
            results: [
              {
                type: "moderation_result",
                model: "omni-moderation-latest",
                flagged: false,
                categories: {
                  harassment: false,
                  "harassment/threatening": false,
                  sexual: false,
                  hate: false,
                  "hate/threatening": false,
                  illicit: false,
                  "illicit/violent": false,
                  "self-harm/intent": false,
                  "self-harm/instructions": false,
                  "self-harm": false,
                  "sexual/minors": false,
                  violence: false,
                  "violence/graphic": false,
                },
                category_scores: {
                  harassment: 7.096703991005882e-05,
                  "harassment/threatening": 5.829126566113866e-06,
                  sexual: 3.0061635882429376e-05,
                  hate: 2.3413582477639402e-05,
                  "hate/threatening": 6.240930669504435e-07,
                  illicit: 1.15919343186331e-05,
                  "illicit/violent": 6.922183404468203e-06,
                  "self-harm/intent": 9.818326983657703e-07,
                  "self-harm/instructions": 6.339210403977636e-07,
                  "self-harm": 7.602479448313689e-06,
                  "sexual/minors": 1.1843139025979655e-06,
                  violence: 0.0005185157653543439,
                  "violence/graphic": 5.307507822667365e-06,
                },
                category_applied_input_types: {
                  harassment: ["text"],
                  "harassment/threatening": ["text"],
                  sexual: ["text"],
                  hate: ["text"],
                  "hate/threatening": ["text"],
                  illicit: ["text"],
                  "illicit/violent": ["text"],
                  "self-harm/intent": ["text"],
                  "self-harm/instructions": ["text"],
                  "self-harm": ["text"],
                  "sexual/minors": ["text"],
                  violence: ["text"],
                  "violence/graphic": ["text"],
                },
              },
            ],
          },
        },
        output_version: "v1",
      },
    },
  },
  "openai-parallel-tools.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-CoDWpGC47t2wtJ7PYJq9LCn0IZunc",
      content: [
        {
          type: "tool_call",
          id: "call_M26z19sncd7b4LBgzKRRbaUE",
          name: "secret_retrieval_tool",
          args: { password: "mellon" },
        },
        {
          type: "tool_call",
          id: "call_KPXe5NX7IcKkaBUhc6dto2QV",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      tool_calls: [
        {
          type: "tool_call",
          id: "call_M26z19sncd7b4LBgzKRRbaUE",
          name: "secret_retrieval_tool",
          args: { password: "mellon" },
        },
        {
          type: "tool_call",
          id: "call_KPXe5NX7IcKkaBUhc6dto2QV",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 75,
        output_tokens: 53,
        total_tokens: 128,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 0 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "gpt-4o-2024-08-06",
        finish_reason: "tool_calls",
        system_fingerprint: "fp_e413f45763",
        service_tier: "default",
        output_version: "v1",
      },
    },
  },
  "azure-tool-call.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-CpXkqo99XLeXJtCAvZTsq4mpbM7j0",
      content: [
        {
          type: "tool_call",
          id: "call_sW8VWw62ulEJZncoV47LYS3V",
          name: "secret_retrieval_tool",
          args: { password: "mellon" },
        },
        {
          type: "tool_call",
          id: "call_N470S9Is91iZvytxwx1JfTIp",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      tool_calls: [
        {
          type: "tool_call",
          id: "call_sW8VWw62ulEJZncoV47LYS3V",
          name: "secret_retrieval_tool",
          args: { password: "mellon" },
        },
        {
          type: "tool_call",
          id: "call_N470S9Is91iZvytxwx1JfTIp",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 159,
        output_tokens: 127,
        total_tokens: 286,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 64 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "gpt-5-mini-2025-08-07",
        finish_reason: "tool_calls",
        prompt_filter_results: [
          {
            prompt_index: 0,
            content_filter_results: {
              hate: { filtered: false, severity: "safe" },
              jailbreak: { filtered: false, detected: false },
              self_harm: { filtered: false, severity: "safe" },
              sexual: { filtered: false, severity: "safe" },
              violence: { filtered: false, severity: "safe" },
            },
          },
        ],
        output_version: "v1",
      },
    },
  },
  "openai-refusal.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-CoDWxLsl1kVbpr74j0IN577ELqIIt",
      content: [
        {
          type: "non_standard",
          value: { type: "refusal", refusal: "I'm very sorry, but I can't assist with that request." },
          index: 0,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 64,
        output_tokens: 13,
        total_tokens: 77,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 0 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "gpt-4o-2024-08-06",
        finish_reason: "stop",
        system_fingerprint: "fp_deacdd5f6f",
        service_tier: "default",
        refusal: "I'm very sorry, but I can't assist with that request.",
        output_version: "v1",
      },
    },
  },
  "openai-tool-call.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-Dx0XpqH8w09uBXwq1zFGYdETjtnEl",
      content: [
        { type: "tool_call", id: "call_ZR5UUuTt3pf61kjwAJIYdVMj", name: "get_capital", args: { country: "UK" } },
      ],
      tool_calls: [
        { type: "tool_call", id: "call_ZR5UUuTt3pf61kjwAJIYdVMj", name: "get_capital", args: { country: "UK" } },
      ],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 53,
        output_tokens: 15,
        total_tokens: 68,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 0 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "gpt-4o-mini-2024-07-18",
        finish_reason: "tool_calls",
        system_fingerprint: "fp_d0469e1700",
        service_tier: "default",
        output_version: "v1",
      },
    },
  },
  "openrouter-annotations.sse": {
    output: {
      type: "ai",
      id: "gen-1786680764-gY2YTdjLLLQA6Cd1Wa6J",
      content: [
        {
          type: "text",
          text: "The URL for Pydantic AI's GitHub repository is:  \n\nhttps://github.com/pydantic/pydantic-ai",
          annotations: [
            {
              type: "non_standard_annotation",
              value: {
                type: "url_citation",
                url_citation: {
                  url: "https://github.com/pydantic/pydantic-ai",
                  title: "AI Agent Framework, the Pydantic way - GitHub",
                  start_index: 0,
                  end_index: 0,
                  content: "# pydantic/pydantic-ai\n\n...\n\n- Stars: 19265\n- Forks: 2514\n- Watchers: 19265\n- Open issues: 702\n- License: MIT License\n- Homepage: https://pydantic.dev/pydantic-ai\n- Default branch: main\n- Created: 2024-06-21T15:55:04Z\n\n...\n\nAI Agent Framework, the Pydantic way\n\n...\n\n### Pydantic AI is a Python agent framework designed to help you quickly, confidently, and painlessly build production grade applications and workflows with Generative AI.",
                },
              },
            },
            {
              type: "non_standard_annotation",
              value: {
                type: "url_citation",
                url_citation: {
                  url: "https://pydantic.dev/pydantic-ai",
                  title: "",
                  start_index: 0,
                  end_index: 0,
                  content: "Get started: https://pydantic.dev/docs/ai/overview/ · GitHub: https://github.com/pydantic/pydantic-ai\n\n...\n\nType-safe Python framework for building agents and LLM applications. Model-agnostic with built-in validation, structured outputs, and seamless observability. Open source under the MIT license.\n\n...\n\n```bash\nuv add pydantic-ai\n\n...\n\nOpen source (MIT license). Install with uv (or pip) and start building production-grade AI applications today.\n\n...\n\n-\n\n...\n\nuv add p\n\n...\n\n-\n\n...\n\napplications with Generative AI\n\n...\n\n-\n\n...\n\n: https://github\n\n...\n\n# Production\n\n...\n\n)\n\n...\n\n.\n\n...\n\n: https://p\n\n...\n\nGateway pricing\n\n...\n\n/pydantic-ai\n\n...\n\nbash\n\n...\n\n-ai\n\n...\n\n/\n\n...\n\n: https://p\n\n...\n\n://pyd\n\n...\n\nfire and\n\n...\n\nfree;\n\n...\n\n.\n\n...\n\n/pyd\n\n...\n\npyd\n\n...\n\n.\n\n...\n\nantic.\n\n...\n\n/\n\n...\n\n```",
                },
              },
            },
            {
              type: "non_standard_annotation",
              value: {
                type: "url_citation",
                url_citation: {
                  url: "https://github.com/pydantic/pydantic-ai/releases/tag/v2.0.0",
                  title: "v2.0.0 (2026-06-23)",
                  start_index: 0,
                  end_index: 0,
                  content: "- Tag: v2.0.0\n- Repository: pydantic/pydantic-ai\n- Published: 2026-06-23T15:38:17Z\n- Author: dsfaccini\n\n...\n\n# v2.0.0 (2026-06-23)\n\n...\n\nAfter seven betas, **Pydantic AI V2 is now stable.** V2 leans into a harness-first design with capabilities as a core primitive — a single composable unit that bundles an agent's tools, hooks, instructions, and model settings, reaching every layer of the agent through one concept.\n\n...\n\n# 🎉 Pydantic AI V2.0 is here!\n\n...\n\nuv add pydantic-ai\n\n...\n\nInstall it with:\n\n...\n\n```bash",
                },
              },
            },
            {
              type: "non_standard_annotation",
              value: {
                type: "url_citation",
                url_citation: {
                  url: "https://pydantic.dev/docs/ai/overview/",
                  title: "Pydantic AI | Pydantic Docs",
                  start_index: 0,
                  end_index: 0,
                  content: "# Pydantic AI\n\n...\n\nPydantic AI is a Python agent framework designed to help you quickly, confidently, and painlessly build production grade applications and workflows with Generative AI.\n\n...\n\n,\n\n...\n\nydantic AI Harness is our official library of ready-made capabilities -- code\n\n...\n\naccess, guardrails, sub-agent orchestration, and more -- that you pick and choose to build coding agents, research assistants, and anything in between.\n\n...\n\nPydantic AI ships the agent loop, a composable capabilities system\n\n...\n\nand built-in capabilities for thinking, web search, web fetch, image generation, MCP, tool search, and more;",
                },
              },
            },
            {
              type: "non_standard_annotation",
              value: {
                type: "url_citation",
                url_citation: {
                  url: "https://github.com/pydantic/pydantic-ai/tree/refs/tags/v1.44.0",
                  title: "GitHub - pydantic/pydantic-ai at refs/tags/v1.44.0 · GitHub",
                  start_index: 0,
                  end_index: 0,
                  content: "GitHub - pydantic/pydantic-ai at refs/tags/v1.44.0 · GitHub\n...\n### Pydantic AI is a Python agent framework designed to help you quickly, confidently, and painlessly build production grade applications and workflows with Generative AI.",
                },
              },
            },
          ],
          index: 0,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 2317,
        output_tokens: 53,
        total_tokens: 2370,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { audio: 0, reasoning: 0 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "deepseek/deepseek-chat",
        finish_reason: "stop",
        output_version: "v1",
      },
    },
  },
  "openrouter-error.sse": {
    error: {
      name: "Error",
      message: "Token limit reached",
      code: "400",
      partial: {
        type: "ai",
        id: "gen-1762179802-UN8pkJI4AGZvryk0kFnb",
        content: [{ type: "reasoning", reasoning: "We need to respond to a greeting. The user", index: 0 }],
        tool_calls: [],
        invalid_tool_calls: [],
        response_metadata: { model_provider: "openai", model_name: "minimax/minimax-m2:free", output_version: "v1" },
      },
    },
  },
  "openrouter-grok-encrypted.sse": {
    output: {
      type: "ai",
      id: "gen-1762064096-m5VxL2xrxOREwashCey6",
      content: [
        {
          type: "non_standard",
          value: {
            type: "reasoning.encrypted",
            data: "B7oH6rUO9kQMWKmZOE/vO5bKz16j1SCeoDLf5c1JLB+JRnshhzOUTvc9I1LUTBNRXe4Beug/yrWrMPNJaMHxfQ49MFLUkkBZWoc1BDNc9t+z9fb5PQiaCCaCQn4bh81RouEbDK1IuwcrFfYtDe/GFHWVqrUN0cLVy3sASDPb8KXhogJ0RnxAZlvxfF2AaAovWtIX46ZpKj1KWWTXruxkT2ZpMEhBbmfRKOTRD7OskwShbq/FeWiOmRLwWjO0coGE/kR6NQGU5sb9frTWNLNXtOgYZ47xHTDNnGoPueg3yRU/z78nW40UEOKHVCzEwyNnhaZPy5IQt+NarFVGydc3UMp1tiQtoq7CcRqBeZgE4N+DG2NyNz4gbaTgZBMFdpHtvxdSF05R2KNqlk62b6TtHY/tBEhmlLBVO3AA5pwyjYXNjVFTAgizni6ENDUDiNiBtzv0QKHpRoGV/7NrtR5cs2kb8+Rhv7mNsh+JKeZ6pjSSAq9ChdI2RsMlFitKFD1HA81+eElZVgacMPgBhd3WHQ3QVkwwFWhmjF9GG/obyDoGC3zXpIBWncWVwjVoMXUa/Js+vWOA0yKa0SgznIW1KK2LIMHARaT4IgSAPQGgY+4T2DEEqT+nEu+E0s4CosBXC81Uto+5rxL1ce/R87q7Wnqsg+5Vq00zmttxZ7e5b40/V83i4FOsfMg29ruWVY0d93+rUWvUNpOVGDKWr/VvoGseRZfCIN/pbHbvCAoGJPhFMQaTpwpw2RmvHlj8nvCNCoZjky9DL8E9Mm89bGZgNW63Tbqiw38",
            id: "rs_619f3702-e30e-6ba5-7b57-466db8036365_us-east-1",
            format: "xai-responses-v1",
            index: 0,
          },
          index: 0,
        },
        {
          type: "text",
          text: "I'm Grok, an AI built by xAI. I'm designed to be helpful, maximally truthful, and a bit witty—think a mix of the Hitchhiker's Guide to the Galaxy and JARVIS from Iron Man. My goal is to help you understand the universe (and maybe crack a few jokes along the way). What's on your mind?",
          index: 1,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 687,
        output_tokens: 187,
        total_tokens: 874,
        input_token_details: { audio: 0, cache_read: 679 },
        output_token_details: { reasoning: 118 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "x-ai/grok-4",
        finish_reason: "stop",
        output_version: "v1",
      },
    },
  },
  "openrouter-reasoning.sse": {
    output: {
      type: "ai",
      id: "gen-1765226419-AGrwjunAftQIAgweibL8",
      content: [
        {
          type: "reasoning",
          reasoning: "This is a simple arithmetic question. 2+2 equals 4.",
          extras: {
            signature: "Et0BCkgIChACGAIqQA2s7h7tA7IG35fbwVkou9PM2hANVJNUwcEM4q12fTRDK6y3v6YoEvJ+7bko8wnW/GLsQFXadaJPAEMCpLkhI9ISDLjFkeR1aVUIvdCtyBoMrUTovh0jwk+wpnZWIjANV3e6VVdgbGSsEyyTHO6KMmVtqqs79f9blnVdJmmMIwMyTi6bEtG59+jTU7v1zlsqQ2IKGZILOlr6adh0Aam7zYttvisys+wjyZZXU1y/Srz0nmp1cFgVOJe1BLKQI3SSRrjsqQC0uAEUZy0GX0Rq1AXjvIcYAQ==",
          },
          index: 0,
        },
        { type: "text", text: "2 + 2 = 4", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 43,
        output_tokens: 36,
        total_tokens: 79,
        input_token_details: { audio: 0, cache_read: 0 },
        output_token_details: { reasoning: 13 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "anthropic/claude-sonnet-4.5",
        finish_reason: "stop",
        output_version: "v1",
      },
    },
  },
  "together-deepseek-tools.sse": {
    output: {
      type: "ai",
      id: "oNv3T7X-28Eivz-9acd53734b7de3bb",
      content: [
        {
          type: "text",
          text: "I'll help you retrieve secrets using the provided passwords. Let me call the secret retrieval tool for each password.",
          index: 0,
        },
        {
          type: "tool_call",
          id: "call_8fb40ff4820f4e58b7058e95",
          name: "secret_retrieval_tool",
          args: { password: "mellon" },
        },
        {
          type: "tool_call",
          id: "call_e9e2649998244b0f91551cf5",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      tool_calls: [
        {
          type: "tool_call",
          id: "call_8fb40ff4820f4e58b7058e95",
          name: "secret_retrieval_tool",
          args: { password: "mellon" },
        },
        {
          type: "tool_call",
          id: "call_e9e2649998244b0f91551cf5",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 191, output_tokens: 60, total_tokens: 251 },
      response_metadata: {
        model_provider: "openai",
        model_name: "deepseek-ai/DeepSeek-V3.1",
        finish_reason: "tool_calls",
        output_version: "v1",
      },
    },
  },
  "vllm-text.sse": {
    output: {
      type: "ai",
      id: "chatcmpl-bcfbe349402eb3d2",
      content: [{ type: "text", text: "1, 2, 3, 4, 5", index: 0 }],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 46, output_tokens: 14, total_tokens: 60, input_token_details: { cache_read: 0 } },
      response_metadata: {
        model_provider: "openai",
        model_name: "meta-llama/Llama-3.3-70B-Instruct",
        finish_reason: "stop",
        system_fingerprint: "vllm-0.24.0-tp4-6d31f84d",
        output_version: "v1",
      },
    },
  },
  "zai-reasoning.sse": {
    output: {
      type: "ai",
      id: "202607010739425543ff9439144b2c",
      content: [
        {
          type: "reasoning",
          reasoning: "\n1.  **Analyze the User's Request:** The user is asking a very simple, fundamental arithmetic question: \"What is 2 + 2?\".\n\n2.  **Identify the Core Concept:** The core concept is addition, specifically adding the integer 2 to another integer 2.\n\n3.  **Retrieve Knowledge:**\n    *   What is 2? It's the number that comes after 1.\n    *   What is addition? It's the process of combining two or more numbers to find their total or sum.\n    *   What is 2 + 2? The most basic representation is \"two plus two.\" I can think of two groups of two objects.\n        *   Group 1: [object, object]\n        *   Group 2: [object, object]\n        *   Combined: [object, object, object, object]\n    *   Counting the combined objects: 1, 2, 3, 4.\n    *   The result is 4.\n\n4.  **Formulate the Answer:**\n    *   The direct and most accurate answer is \"4\".\n    *   I can add a tiny bit of context or just keep it simple. For a question this basic, simplicity is best. Over-explaining would be unnecessary and potentially confusing or condescending.\n    *   A concise and clear answer is preferred.\n\n5.  **Check for Nuances or Trickery:**\n    *   Is this a trick question? \"2 + 2 = 4\" is a universal truth in standard arithmetic.\n    *   Are there other contexts (e.g., different number bases)?\n        *   In base 10 (our standard system): 2 + 2 = 4.\n        *   In base 3, for example, \"4\" would be represented as \"11\". But the question is written in standard notation, so the expected answer is in base 10. Unless the user specifies a different base, the default is always base 10.\n        *   In other non-standard systems (like a certain Orwellian dystopia), the answer might be \"5\" (\"2 + 2 = 5\"). This is a literary reference, not a mathematical fact. It's crucial to give the mathematically correct answer.\n    *   Is the user testing my ability to answer simple questions? Very likely. It's a common sanity check.\n    *   Could the user be non-native English speaker? The question is in English, so an English answer is correct.\n\n6.  **Final Decision:** The most helpful and correct response is the simple, direct answer. No extra fluff is needed.\n\n7.  **Draft the final response:** \"4\".",
          index: 0,
        },
        { type: "text", text: "4", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 13,
        output_tokens: 564,
        total_tokens: 577,
        input_token_details: { cache_read: 0 },
        output_token_details: { reasoning: 561 },
      },
      response_metadata: {
        model_provider: "openai",
        model_name: "glm-4.7",
        finish_reason: "stop",
        output_version: "v1",
      },
    },
  },
};

describe("recorded Chat Completions streams", () => {
  itGivesTheRecordingsOutcomes("openai-chat", expected, (input) => fromOpenAIChat(input));
});

/** A recording's bytes by file name. */
function recording(name: string): Bytes {
  const bytes = recordings[`openai-chat/${name}`];
  if (bytes === undefined) throw new Error(`no recording openai-chat/${name}`);
  return bytes;
}

/** A recording's protocol events, through the decoder stream. */
function eventsOf(name: string): Promise<ProtocolEvent[]> {
  return readAll(bodyOf(recording(name)).pipeThrough(new OpenAIChatDecoderStream()));
}

/** One `data:` message per chunk object, then `[DONE]`. */
function sse(chunks: readonly object[]): string {
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n";
}

/** A chunk of choice 0 with this delta (and finish reason). */
function chunk(delta: object, finish_reason: string | null = null): object {
  return { id: "chatcmpl-1", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta, finish_reason }] };
}

describe("refusals", () => {
  it("a refusal is a non_standard refusal block, never answer text", async () => {
    const stream = fromOpenAIChat(new Response(bodyOf(recording("openai-refusal.sse"))));
    const [text, message] = await Promise.all([stream.text, stream.output]);
    expect({ text, content: message.content }).toEqual({
      text: "",
      content: [{ type: "non_standard", value: { type: "refusal", refusal: "I'm very sorry, but I can't assist with that request." }, index: 0 }],
    });
  });

  it("raw-event readers get each refusal piece as a refusal-delta", async () => {
    const deltas = (await eventsOf("openai-refusal.sse")).filter((e) => e.event === "content-block-delta");
    expect(deltas.slice(0, 2)).toEqual([
      { event: "content-block-delta", index: 0, delta: { type: "refusal-delta", refusal: "I'm" } },
      { event: "content-block-delta", index: 0, delta: { type: "refusal-delta", refusal: " very" } },
    ]);
  });

  it("a refusal after some text gets a block index of its own", async () => {
    const text = sse([chunk({ content: "Sure" }), chunk({ refusal: "No." }), chunk({}, "stop")]);
    const message = await fromOpenAIChat(responseOf(text)).output;
    expect(message.content).toEqual([
      { type: "text", text: "Sure", index: 0 },
      { type: "non_standard", value: { type: "refusal", refusal: "No." }, index: 1 },
    ]);
  });
});

describe("Azure OpenAI", () => {
  it("its prompt-filter chunk (id \"\", no choices) starts nothing: the message id and model are the next chunk's", async () => {
    const start = (await eventsOf("azure-text.sse"))[0];
    expect(start).toEqual({
      event: "message-start",
      role: "ai",
      id: "chatcmpl-CpXkZTBEYS0LUlTcALth5AsNCMGzM",
      metadata: { model_provider: "openai", model_name: "gpt-5-mini-2025-08-07" },
    });
  });

  it("a role chunk that names nothing leaves the id and model to the first chunk that does", async () => {
    const text = sse([{ id: "", model: "", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }, chunk({ content: "hi" }, "stop")]);
    const message = await fromOpenAIChat(responseOf(text), { messageId: "mine" }).output;
    expect([message.id, message.response_metadata["model_name"]]).toEqual(["chatcmpl-1", "m"]);
  });

  it("an empty id never overrides the stream's messageId", async () => {
    const text = sse([{ id: "", model: "", choices: [{ index: 0, delta: { content: "hi" } }] }, chunk({}, "stop")]);
    const message = await fromOpenAIChat(responseOf(text), { messageId: "mine" }).output;
    expect([message.id, message.response_metadata["model_name"]]).toEqual(["mine", undefined]);
  });
});

describe("citations", () => {
  it("url_citation annotations that come before any text are on the text block", async () => {
    const message = await fromOpenAIChat(new Response(bodyOf(recording("openrouter-annotations.sse")))).output;
    const block = (message.content as { annotations?: { value: { url_citation: { url: string } } }[] }[])[0];
    expect(block?.annotations?.map((a) => a.value.url_citation.url)).toEqual([
      "https://github.com/pydantic/pydantic-ai",
      "https://pydantic.dev/pydantic-ai",
      "https://github.com/pydantic/pydantic-ai/releases/tag/v2.0.0",
      "https://pydantic.dev/docs/ai/overview/",
      "https://github.com/pydantic/pydantic-ai/tree/refs/tags/v1.44.0",
    ]);
  });

  it("annotations after the text join the same block, in arrival order", async () => {
    const a = { type: "url_citation", url_citation: { url: "https://a.example", title: "A", start_index: 0, end_index: 2 } };
    const b = { type: "url_citation", url_citation: { url: "https://b.example", title: "B", start_index: 3, end_index: 5 } };
    const text = sse([chunk({ content: "Hi there", annotations: [a] }), chunk({ annotations: [b] }), chunk({}, "stop")]);
    const message = await fromOpenAIChat(responseOf(text)).output;
    expect(message.content).toEqual([
      {
        type: "text",
        text: "Hi there",
        annotations: [
          { type: "non_standard_annotation", value: a },
          { type: "non_standard_annotation", value: b },
        ],
        index: 0,
      },
    ]);
  });
});

describe("reasoning", () => {
  it("OpenRouter's reasoning_details signature is kept in the reasoning block's extras", async () => {
    const message = await fromOpenAIChat(new Response(bodyOf(recording("openrouter-reasoning.sse")))).output;
    const block = (message.content as { extras?: { signature?: string } }[])[0];
    expect(block?.extras?.signature?.slice(0, 16)).toBe("Et0BCkgIChACGAIq");
  });

  it("an encrypted reasoning OpenRouter passes on (Grok, o-series) is a non_standard block holding it whole", async () => {
    const message = await fromOpenAIChat(new Response(bodyOf(recording("openrouter-grok-encrypted.sse")))).output;
    const block = (message.content as { type: string; value?: { type: string; format: string; data: string } }[])[0];
    expect([block?.type, block?.value?.type, block?.value?.format, block?.value?.data.length]).toEqual([
      "non_standard",
      "reasoning.encrypted",
      "xai-responses-v1",
      799,
    ]);
  });

  it("Mistral's content lists: thinking parts are reasoning, text parts and strings are text", async () => {
    // The shapes of magistral-medium's stream (mistral-thinking.sse), with a text part as well.
    const thinking = (text: string) => chunk({ content: [{ type: "thinking", thinking: [{ type: "text", text }] }] });
    const text = sse([
      chunk({ role: "assistant", content: "" }),
      thinking("Okay"),
      thinking(", the user"),
      chunk({ content: "To cross" }),
      chunk({ content: [{ type: "text", text: " safely" }] }),
      chunk({ content: "" }, "stop"),
    ]);
    const message = await fromOpenAIChat(responseOf(text)).output;
    expect(message.content).toEqual([
      { type: "reasoning", reasoning: "Okay, the user", index: 0 },
      { type: "text", text: "To cross safely", index: 1 },
    ]);
  });

  it("reasoning_content (DeepSeek, Z.ai) and reasoning (Groq, OpenRouter) are both reasoning", async () => {
    const [zai, groq] = await Promise.all([
      fromOpenAIChat(new Response(bodyOf(recording("zai-reasoning.sse")))).reasoning,
      fromOpenAIChat(new Response(bodyOf(recording("groq-tool-call.sse")))).reasoning,
    ]);
    expect([zai.slice(0, 40), groq]).toEqual([
      "\n1.  **Analyze the User's Request:** The",
      'We need to call the function with correct parameter "name". Provide a name, e.g., "example".',
    ]);
  });
});

describe("tools the server ran", () => {
  // The shape of a Groq compound web search (pydantic-ai's test_groq_model_web_search_tool_stream cassette, 76 KB):
  // the search comes twice under one index, first with its arguments, then with its output.
  const call = { index: 0, type: "search", arguments: '{"query": "weather in San Francisco"}', search_results: { results: [] } };
  const done = { ...call, output: "Title: Weather in San Francisco", search_results: { results: [{ title: "Weather", url: "https://example.com" }] } };
  const text = sse([
    chunk({ reasoning: "Let me search." }),
    chunk({ executed_tools: [call] }),
    chunk({ executed_tools: [done] }),
    chunk({ content: "It is sunny." }, "stop"),
  ]);

  it("Groq's executed_tools entry is a non_standard block holding its last form, output included", async () => {
    const message = await fromOpenAIChat(responseOf(text)).output;
    expect(message.content).toEqual([
      { type: "reasoning", reasoning: "Let me search.", index: 0 },
      { type: "non_standard", value: done, index: 1 },
      { type: "text", text: "It is sunny.", index: 2 },
    ]);
  });

  it("raw-event readers get the entry's second form as a block-delta", async () => {
    const events = await readAll(bodyOf(bytesOf(text)).pipeThrough(new OpenAIChatDecoderStream()));
    expect(events.filter((e) => e.event === "content-block-delta" && e.index === 1)).toEqual([
      { event: "content-block-delta", index: 1, delta: { type: "block-delta", fields: { value: done } } },
    ]);
  });
});

describe("usage and the end of the stream", () => {
  it("Groq's usage under x_groq counts when the chunk has no usage of its own", async () => {
    // As in Groq's compound web search stream (pydantic-ai's test_groq_model_web_search_tool_stream cassette, 76 KB).
    const groq = { x_groq: { id: "req_1", usage: { prompt_tokens: 20, completion_tokens: 1, total_tokens: 21 } } };
    const text = sse([chunk({ content: "hi" }), { ...chunk({}, "stop"), ...groq }]);
    expect(await fromOpenAIChat(responseOf(text)).usage).toEqual({ input_tokens: 20, output_tokens: 1, total_tokens: 21 });
  });

  it("xAI's completion_tokens, which leave the reasoning out, get it back in output_tokens", async () => {
    // The usage of a grok-3-mini stream as xAI sent it (the Vercel AI SDK's packages/xai fixture xai-tool-call.chunks.txt).
    const xai = {
      prompt_tokens: 291,
      completion_tokens: 26,
      total_tokens: 513,
      prompt_tokens_details: { text_tokens: 291, audio_tokens: 0, image_tokens: 0, cached_tokens: 290 },
      completion_tokens_details: { reasoning_tokens: 196, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      num_sources_used: 0,
      cost_in_usd_ticks: 1330500,
    };
    const text = sse([chunk({ content: "hi" }, "stop"), { id: "chatcmpl-1", model: "grok-3-mini", choices: [], usage: xai }]);
    expect(await fromOpenAIChat(responseOf(text)).usage).toEqual({
      input_tokens: 291,
      output_tokens: 222,
      total_tokens: 513,
      input_token_details: { audio: 0, cache_read: 290 },
      output_token_details: { audio: 0, reasoning: 196 },
    });
  });

  it("chunks after the finish_reason (usage, then moderation results) are still read", async () => {
    const events = await eventsOf("openai-moderation.sse");
    expect(events.at(-1)).toMatchObject({
      event: "message-finish",
      reason: "stop",
      usage: { input_tokens: 13, output_tokens: 11 },
      metadata: { moderation: { input: { type: "moderation_results" }, output: { type: "moderation_results" } } },
    });
  });

  it("a stream that ends without [DONE] gives the message that arrived", async () => {
    const whole = recording("azure-text.sse");
    const done = bytesOf("data: [DONE]\n\n");
    const cut = whole.slice(0, whole.length - done.length);
    expect(new TextDecoder().decode(whole.slice(cut.length))).toBe("data: [DONE]\n\n");
    expect(await outcome(fromOpenAIChat(new Response(bodyOf(cut))))).toEqual(expected["azure-text.sse"]);
  });
});

describe("mid-stream errors", () => {
  it("an error object fails the stream with its message and its numeric code as text", async () => {
    const error = await failure(fromOpenAIChat(new Response(bodyOf(recording("openrouter-error.sse")))).output);
    expect([error.message, (error as Error & { code?: unknown }).code]).toEqual(["Token limit reached", "400"]);
  });

  it("Groq's `event: error` message, after reasoning and text, ends the events with an error event", async () => {
    const events = await eventsOf("groq-error.sse");
    expect(events.slice(-1)).toEqual([{ event: "error", message: "Tool choice is required, but model did not call a tool", code: "tool_use_failed" }]);
  });
});
