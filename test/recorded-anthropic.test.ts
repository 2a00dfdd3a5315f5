// fromAnthropic on Anthropic Messages streams recorded from the real API (test/fixtures/recorded/anthropic/,
// each file's source in SOURCES), and the fixes those recordings called for.
import { describe, expect, it } from "vitest";
import { AnthropicDecoderStream, fromAnthropic, type ProtocolEvent } from "../src/index.ts";
import { bodyOf, bytesOf, responseOf } from "./bytes.ts";
import { readAll } from "./helpers.ts";
import { itGivesTheRecordingsOutcomes, type Outcome } from "./rechunk.ts";

/*
 * Each outcome was written from its recording and checked against an independent reading of the raw
 * bytes (text, thinking and tool input deltas joined per block, the last message_delta usage over
 * message_start's, cache reads and writes added to input_tokens as LangChain counts them).
 */
const expected: Record<string, Outcome> = {
  "advisor.sse": {
    output: {
      type: "ai",
      id: "msg_011CdD8kd2BCHcbXAHcYxvaf",
      content: [
        {
          type: "reasoning",
          reasoning: "",
          extras: {
            signature: "EpADCokBCA8YAipAsfSSBF77IhHThF+yK0LNwHzSguDmsvUMcSp+NjZU1QHvv7nI1EJ/2D4FwUp0RfSdvZ3b8oUjVZ+XFqvo5xZloTIPY2xhdWRlLXNvbm5ldC01OABCCHRoaW5raW5nWiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDFAnxv9Y1NIzYWCOqhoMJM8Y2DL+B+vPvsw3IjBJY1KrSFn4ByOxo42T+fS6j9QhXJevU+xW4p1FFJ8cBqSpa4GObLmT5IDytJwniR4qswECzml0N1ZXPYU823o8Zhrh2BbGEyY9jReUsgE976PxInLRwPEHdUepKl6016RS6UC0ko4nQWfEzLKUf0f8ShaQuNyhMhoA6KEPjRAh1ufRDBDv4GI9AOuTJQPJIGnEy5xEUdrkbxLtKJA9kQx0R48323KUhUUnsEsYBKA1ZUx9aagOCaaZZ5mvFLOdCibC6bo1D0yzlpuNDENwSvbDd7PH92o+O66gaIml6BikVZhYFcZNzhgB",
          },
          index: 0,
        },
        {
          type: "text",
          text: "The task asks \"What's 2+2?\" — a trivial arithmetic question; my initial read is that the answer is simply 4, but I'll consult the advisor as instructed before finalizing.",
          index: 1,
        },
        { type: "server_tool_call", id: "srvtoolu_01DgsKYsJWQfJxubLmaKLEj6", name: "advisor", args: {}, index: 2 },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_01DgsKYsJWQfJxubLmaKLEj6",
          status: "success",
          output: { type: "advisor_result", text: "4.\n\nShip it — this needs no further calls.", stop_reason: "end_turn" },
          index: 3,
        },
        { type: "text", text: "The answer is **4**.", index: 4 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 2411,
        output_tokens: 145,
        total_tokens: 2556,
        input_token_details: { cache_read: 0, cache_creation: 0 },
        output_token_details: { reasoning: 47 },
      },
      response_metadata: {
        model_provider: "anthropic",
        model_name: "claude-sonnet-5",
        finish_reason: "end_turn",
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
        output_version: "v1",
      },
    },
  },
  "code-execution.sse": {
    output: {
      type: "ai",
      id: "msg_01Js8aWE7YbmiaUPneGiCskE",
      content: [
        {
          type: "reasoning",
          reasoning: "Let me calculate this mathematical expression.",
          extras: {
            signature: "EusBClsIDRgCKkBpzetW9oKOZtFP6IeFJJr3gnQBXqdZrYcRnwTLcVuC/mkNQXFCRtvXzgnEVf7l5fFR7h3ot66yltYQokOJgU0XMhFjbGF1ZGUtc29ubmV0LTQtNjgAEgx4VA49Y9x4euFn/C8aDLaPUE1i8unro8wUZyIwTVsbnme/ZlJjB/k0sJpLe/6Hhr1hiJBEwIautRYb9wRO69nCOmte8rf2JIlb3WN2Kj5V5cgiQPXU7/dckGIBOjC3LbVg4fl1yJKZ6A9eiNDAfvI1a3el8ptl54928QUlCPHT6QRNK5dDomrp4RcinBgB",
          },
          index: 0,
        },
        { type: "text", text: "I'll calculate that expression for you right away!", index: 1 },
        {
          type: "server_tool_call",
          id: "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
          name: "bash_code_execution",
          args: { command: "echo \"65465-6544 * 65464-6+1.02255\" | bc -l" },
          index: 2,
        },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_01MwXaweAHve88x6s3Fc8x6Q",
          status: "success",
          output: { type: "bash_code_execution_result", stdout: "-428330955.97745\n", stderr: "", return_code: 0, content: [] },
          index: 3,
        },
        {
          type: "text",
          text: "Following the standard **order of operations (PEMDAS/BODMAS)** — multiplication is performed before addition and subtraction — here's the breakdown:\n\n| Step | Operation | Result |\n|------|-----------|--------|\n| 1️⃣ | `6544 × 65464` | `428,394,416` |\n| 2️⃣ | `65465 - 428,394,416` | `-428,328,951` |\n| 3️⃣ | `-428,328,951 - 6` | `-428,328,957` |\n| 4️⃣ | `-428,328,957 + 1.02255` | **`-428,328,955.97745`** |\n\n### ✅ Final Answer: **-428,330,955.97745**",
          index: 4,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 4714, output_tokens: 304, total_tokens: 5018, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: {
        model_provider: "anthropic",
        model_name: "claude-sonnet-4-6",
        finish_reason: "end_turn",
        container: { id: "container_011CaNRFAbjdPf4rmBarZzqQ", expires_at: "2026-04-24T11:13:36.730129Z" },
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
        output_version: "v1",
      },
    },
  },
  "compaction.sse": {
    output: {
      type: "ai",
      id: "msg_011CduoCRono7pFKoTWpPAia",
      content: [
        {
          type: "non_standard",
          value: {
            type: "compaction",
            content: "The user provided a very long context consisting entirely of the repeated sentence \"The quick brown fox jumps over the lazy dog.\" thousands of times, followed by the instruction \"Now say hello.\"\n\nThe task is simply to respond to \"Now say hello.\" - i.e., say hello.\n\nNext step: Say hello to the user.",
          },
          index: 0,
        },
        { type: "text", text: "Hello! 👋", index: 1 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      // message_delta's counts replace message_start's (its 55096 cache reads were the compaction pass's).
      usage_metadata: { input_tokens: 181, output_tokens: 8, total_tokens: 189, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: {
        model_provider: "anthropic",
        model_name: "claude-sonnet-4-6",
        finish_reason: "end_turn",
        context_management: { applied_edits: [] },
        output_version: "v1",
      },
    },
  },
  "empty-input-tool.sse": {
    output: {
      type: "ai",
      id: "msg_01JdU4xqNHXL9QCFWkwCDKGr",
      content: [
        {
          type: "reasoning",
          reasoning: "The user wants me to:\n1. Use the fixed_version tool\n2. Tell them the version\n3. Make a short joke about it\n\nLet me first call the fixed_version tool to see what version it returns.",
          extras: {
            signature: "EoQDCm0IDhgCKkCDzGs2kL2PgnDCZU/nM2wG2P1VIXCRHVnhDDzBQxNF1fl4QBXEKLxRItNJ2MwFdW9eeZPhsxSQIxD54cv3zs29MhljbGF1ZGUtaGFpa3UtNC01LTIwMjUxMDAxOABCCHRoaW5raW5nEgy/OWlwTmmqUjC6L70aDJ4P0R5NfuIe9U5zAiIwCxPduXS2UxCNxJCee3i91qK3cAyAgxCjL2wkQ5UD56iX1hXGOyuNaiH5k+dF5OCQKsQBxiAo+NjC61hV8nRYtaiP+C4inOcuMKuTG9Z1rysxTXkKBTl3oMiOlnEPHHPpKpg4sYF2G5VoTg8JTon20hdZw4GfTEVupnU1qAmnMqyAgke9SoV7HBW/PyA/FxL/q33xJ2gKFiD+BsgI9Z0koMmFKCvm2MoYE6u+ONEwKdFQXL1FKRW6t/bYbJGrLJLwxilsL82h9j4xjggjMn8Npvpn+zsrDPW/8PuLd4Pu+/EsjoneYwyxQQtUVgzhVGhhANWRjSBwUxgB",
          },
          index: 0,
        },
        { type: "tool_call", id: "toolu_01825dXWLSoJwCst1qTsiWdb", name: "fixed_version", args: {} },
      ],
      tool_calls: [{ type: "tool_call", id: "toolu_01825dXWLSoJwCst1qTsiWdb", name: "fixed_version", args: {} }],
      invalid_tool_calls: [],
      usage_metadata: {
        input_tokens: 598,
        output_tokens: 92,
        total_tokens: 690,
        input_token_details: { cache_read: 0, cache_creation: 0 },
        output_token_details: { reasoning: 53 },
      },
      response_metadata: { model_provider: "anthropic", model_name: "claude-haiku-4-5-20251001", finish_reason: "tool_use", output_version: "v1" },
    },
  },
  "mcp-connector.sse": {
    output: {
      type: "ai",
      id: "msg_01Xf6SmUVY1mDrSwFc5RsY3n",
      content: [
        {
          type: "reasoning",
          reasoning: "The user is asking about the pydantic/pydantic-ai repository. They want a short answer about the repo. I should use the deepwiki_ask_question function to get information about this repository.",
          extras: {
            signature: "EuoCCkYICBgCKkDPqznnPHupi9rVXvaQQqrMprXof9wtQsCqw7Yw687UIk/FvF65omU22QO+CmIcYqTwhBfifPEp9A3/lM9C8cIcEgzGsjorcyNe2H0ZFf8aDCA4iLG6qgUL6fLhzCIwVWcg65CrvSFusXtMH18p+XiF+BUxT+rvnCFsnLbFsxtjGyKh1j4UW6V0Tk0O7+3sKtEBEzvxztXkMkeXkXRsQFJ00jTNhkUHu74sqnh6QxgV8wK2vlJRnBnes/oh7QdED0h/pZaUbxplYJiPFisWx/zTJQvOv29I46sM2CdY5ggGO1KWrEF/pognyod+jdCdb481XUET9T7nl/VMz/Og2QkyGf+5MvSecKQhujlS0VFhCgaYv68sl0Fv3hj2AkeE4vcYu3YdDaNDLXerbIaLCMkkn08NID/wKZTwtLSL+N6+kOi+4peGqXDNps8oa3mqIn7NAWFlwEUrFZd5kjtDkQ5dw/IYAQ==",
          },
          index: 0,
        },
        {
          type: "server_tool_call",
          id: "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
          name: "ask_question",
          args: {
            repoName: "pydantic/pydantic-ai",
            question: "What is this repository about? What are its main features and purpose?",
          },
          // Before the fix: a non_standard block with input {} and the last slice as a stray `args`.
          extras: { server_name: "deepwiki" },
          index: 1,
        },
        {
          type: "server_tool_result",
          tool_call_id: "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
          status: "success",
          output: [
            {
              type: "text",
              text: "This repository, `pydantic/pydantic-ai`, is a GenAI Agent Framework that leverages Pydantic for building Generative AI applications. Its main purpose is to provide a unified and type-safe way to interact with various large language models (LLMs) from different providers, manage agent execution flows, and integrate with external tools and services. \n\n## Main Features and Purpose\n\nThe `pydantic-ai` repository offers several core features:\n\n### 1. Agent System\nThe `Agent` class serves as the main orchestrator for managing interactions with LLMs and executing tasks.  Agents can be configured with generic types for dependency injection (`Agent[AgentDepsT, OutputDataT]`) and output validation, ensuring type safety throughout the application. \n\nAgents support various execution methods:\n*   `agent.run()`: An asynchronous function that returns a completed `RunResult`. \n*   `agent.run_sync()`: A synchronous function that internally calls `run()` to return a completed `RunResult`. \n*   `agent.run_stream()`: An asynchronous context manager for streaming text and structured output. \n*   `agent.run_stream_events()`: Returns an asynchronous iterable of `AgentStreamEvent`s and a final `AgentRunResultEvent`. \n*   `agent.iter()`: A context manager that provides an asynchronous iterable over the nodes of the agent's underlying `Graph`, allowing for deeper control and insight into the execution flow. \n\n### 2. Model Integration\nThe framework provides a unified interface for integrating with various LLM providers, including OpenAI, Anthropic, Google, Groq, Cohere, Mistral, Bedrock, and HuggingFace.  Each model integration follows a consistent settings pattern with provider-specific prefixes (e.g., `google_*`, `anthropic_*`). \n\nExamples of supported models and their capabilities include:\n*   `GoogleModel`: Integrates with Google's Gemini API, supporting both Gemini API (`google-gla`) and Vertex AI (`google-vertex`) providers.  It supports token counting, streaming, built-in tools like `WebSearchTool`, `WebFetchTool`, `CodeExecutionTool`, and native JSON schema output. \n*   `AnthropicModel`: Uses Anthropic's beta API for advanced features like \"Thinking Blocks\" and built-in tools. \n*   `GroqModel`: Offers high-speed inference and specialized reasoning support with configurable reasoning formats. \n*   `MistralModel`: Supports customizable JSON schema prompting and thinking support. \n*   `BedrockConverseModel`: Utilizes AWS Bedrock's Converse API for unified access to various foundation models like Claude, Titan, Llama, and Mistral. \n*   `CohereModel`: Integrates with Cohere's v2 API for chat completions, including thinking support and tool calling. \n\nThe framework also supports multimodal inputs such as `AudioUrl`, `DocumentUrl`, `ImageUrl`, and `VideoUrl`, allowing agents to process and respond to diverse content types. \n\n### 3. Graph-based Execution\nPydantic AI uses `pydantic-graph` to manage the execution flow of agents, representing it as a finite state machine.  The execution typically flows through `UserPromptNode` → `ModelRequestNode` → `CallToolsNode`.  This allows for detailed tracking of message history and usage. \n\n### 4. Tool System\nFunction tools enable models to perform actions and retrieve additional information.  Tools can be registered using decorators like `@agent.tool` (for tools needing `RunContext` access) or `@agent.tool_plain` (for tools without `RunContext` access).  The framework also supports toolsets for managing collections of tools. \n\nTools can return various types of output, including anything Pydantic can serialize to JSON, as well as multimodal content like `AudioUrl`, `VideoUrl`, `ImageUrl`, or `DocumentUrl`.  The `ToolReturn` object allows for separating the `return_value` (for the model), `content` (for additional context), and `metadata` (for application-specific use). \n\nBuilt-in tools like `WebFetchTool` allow agents to pull web content into their context. \n\n### 5. Output Handling\nThe framework supports various output types:\n*   `TextOutput`: Plain text responses. \n*   `ToolOutput`: Structured data via tool calls. \n*   `NativeOutput`: Provider-specific structured output. \n*   `PromptedOutput`: Prompt-based structured extraction. \n\n### 6. Durable Execution\nPydantic AI integrates with durable execution systems like DBOS and Temporal.  This allows agents to maintain state and resume execution after failures or restarts, making them suitable for long-running or fault-tolerant applications. \n\n### 7. Multi-Agent Patterns and Integrations\nThe repository supports multi-agent applications and various integrations, including:\n*   Pydantic Evals: For evaluating agent performance. \n*   Pydantic Graph: The underlying graph execution engine. \n*   Logfire: For debugging and monitoring. \n*   Agent-User Interaction (AG-UI) and Agent2Agent (A2A): For facilitating interactions between agents and users, and between agents themselves. \n*   Clai: A CLI tool. \n\n## Purpose\n\nThe overarching purpose of `pydantic-ai` is to simplify the development of robust and reliable Generative AI applications by providing a structured, type-safe, and extensible framework. It aims to abstract away the complexities of interacting with different LLM providers and managing agent workflows, allowing developers to focus on application logic. \n\nNotes:\nThe `CLAUDE.md` file provides guidance for Claude Code when working with the repository, outlining development commands and project architecture.  The `mkdocs.yml` file defines the structure and content of the project's documentation, further detailing the features and organization of the repository. \n\nWiki pages you might want to explore:\n- [Google, Anthropic and Other Providers (pydantic/pydantic-ai)](/wiki/pydantic/pydantic-ai#3.3)\n\nView this search on DeepWiki: https://deepwiki.com/search/what-is-this-repository-about_5104a64d-2f5e-4461-80d8-eb0892242441\n",
            },
          ],
          index: 2,
        },
        {
          type: "text",
          text: "**Pydantic-AI** is a framework for building Generative AI applications with type safety. It provides:\n\n- **Unified LLM interface** - Works with OpenAI, Anthropic, Google, Groq, Cohere, Mistral, AWS Bedrock, and more\n- **Type-safe agents** - Uses Pydantic for validation and type checking throughout\n- **Tool integration** - Easily add custom functions/tools agents can call\n- **Graph-based execution** - Manages agent workflows as finite state machines\n- **Multiple output formats** - Text, structured data, and multimodal content\n- **Durable execution** - Integration with systems like DBOS and Temporal for fault tolerance\n- **Streaming support** - Stream responses in real-time\n\nIt's designed to simplify building robust, production-ready AI agents while abstracting away provider-specific complexities.",
          index: 3,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 3042, output_tokens: 354, total_tokens: 3396, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: {
        model_provider: "anthropic",
        model_name: "claude-sonnet-4-5-20250929",
        finish_reason: "end_turn",
        server_tool_use: { web_search_requests: 0 },
        output_version: "v1",
      },
    },
  },
  "parallel-tools.sse": {
    output: {
      type: "ai",
      id: "msg_013zKrzHmx2EAPhcF2gQKQ4k",
      content: [
        { type: "text", text: "I'll retrieve the secrets for both passwords you provided.", index: 0 },
        { type: "tool_call", id: "toolu_015cUijgET79LXjgeYQerN2h", name: "secret_retrieval_tool", args: { password: "mellon" } },
        {
          type: "tool_call",
          id: "toolu_01XZTimPexA7h3EVKesnKt5T",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      tool_calls: [
        { type: "tool_call", id: "toolu_015cUijgET79LXjgeYQerN2h", name: "secret_retrieval_tool", args: { password: "mellon" } },
        {
          type: "tool_call",
          id: "toolu_01XZTimPexA7h3EVKesnKt5T",
          name: "secret_retrieval_tool",
          args: { password: "radiance" },
        },
      ],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 416, output_tokens: 109, total_tokens: 525, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: { model_provider: "anthropic", model_name: "claude-sonnet-4-20250514", finish_reason: "tool_use", output_version: "v1" },
    },
  },
  "redacted-thinking.sse": {
    output: {
      type: "ai",
      id: "msg_018XZkwvj9asBiffg3fXt88s",
      content: [
        {
          type: "non_standard",
          value: {
            type: "redacted_thinking",
            data: "EqkECkYIBxgCKkA8AZ4noDfV5VcOJe/p3JTRB6Xz5297mrWhl3MbHSXDKTMfuB/Z52U2teiWWTN0gg4eQ4bGS9TPilFX/xWTIq9HEgyOmstSPriNwyn1G7AaDC51r0hQ062qEd55IiIwYQj3Z3MSBBv0bSVdXi60LEHDvC7tzzmpQfw5Hb6R9rtyOz/6vC/xPw9/E1mUqfBqKpADO2HS2QlE/CnuzR901nZOn0TOw7kEXwH7kg30c85b9W7iKALgEejY9sELMBdPyIZNlTgKqNOKtY3R/aV5rGIRPTHh2Wh9Ijmqsf/TT7i//Z+InaYTo6f/fxF8R0vFXMRPOBME4XIscb05HcNhh4c9FDkpqQGYKaq31IR1NNwPWA0BsvdDz7SIo1nfx4H+X0qKKqqegKnQ3ynaXiD5ydT1C4U7fku4ftgF0LGwIk4PwXBE+4BP0DcKr1HV3cn7YSyNakBSDTvRJMKcXW6hl7X3w2a4//sxjC1Cjq0uzkIHkhzRWirN0OSXt+g3m6b1ex0wGmSyuO17Ak6kgVBpxwPugtrqsflG0oujFem44hecXJ9LQNssPf4RSlcydiG8EXp/XLGTe0YfHbe3kJagkowSH/Dm6ErXBiVs7249brncyY8WA+7MOoqIM82YIU095B9frCqDJDUWnN84VwOszRrcaywmpJXZO4aeQLMC1kXD5Wabu+O/00tD/X67EWkkWuR0AhDIXXjpot45vnBd4ewJ/hgB",
          },
          index: 0,
        },
        {
          type: "non_standard",
          value: {
            type: "redacted_thinking",
            data: "EtgBCkYIBxgCKkDQfGkwzflEJP5asG3oQfJXcTwJLoRznn8CmuczWCsJ36dv93X9H0NCeaJRbi5BrCA2DyMgFnRKRuzZx8VTv5axEgwkFmcHJk8BSiZMZRQaDDYv2KZPfbFgRa2QjyIwm47f5YYsSK9CT/oh/WWpU1HJJVHr8lrC6HG1ItRdtMvYQYmEGy+KhyfcIACfbssVKkDGv/NKqNMOAcu0bd66gJ2+R1R0PX11Jxn2Nd1JtZqkxx7vMT/PXtHDhm9jkDZ2k/6RjRRFuab/DBV3yRYdZ1J0GAE=",
          },
          index: 1,
        },
        {
          type: "text",
          text: "I notice that you've sent what appears to be some kind of test string or command. I don't have any special \"magic string\" triggers or backdoor commands that would expose internal systems or change my behavior.\n\nI'm Claude, an AI assistant created by Anthropic to be helpful, harmless, and honest. How can I assist you today with a legitimate task or question?",
          index: 2,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 92, output_tokens: 189, total_tokens: 281, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: { model_provider: "anthropic", model_name: "claude-sonnet-4-5-20250929", finish_reason: "end_turn", output_version: "v1" },
    },
  },
  "text-editor-error.sse": {
    output: {
      type: "ai",
      id: "msg_01LEVZMk9TMqVchNa2WMgXtG",
      content: [
        {
          type: "text",
          text: "Sure! I'll do both steps simultaneously — creating the file and viewing it at the same time!",
          index: 0,
        },
        {
          type: "server_tool_call",
          id: "srvtoolu_01Xd8YZU6yAcvd5JbLCTRfFi",
          name: "text_editor_code_execution",
          args: { command: "create", path: "/tmp/hello.txt", file_text: "Hello, world!" },
          index: 1,
        },
        {
          type: "server_tool_call",
          id: "srvtoolu_01F3VxYFjEyogm8Ynuc75zfs",
          name: "text_editor_code_execution",
          args: { command: "view", path: "/tmp/hello.txt" },
          index: 2,
        },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_01Xd8YZU6yAcvd5JbLCTRfFi",
          status: "success",
          output: { type: "text_editor_code_execution_create_result", is_file_update: false },
          index: 3,
        },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_01F3VxYFjEyogm8Ynuc75zfs",
          status: "error",
          output: {
            type: "text_editor_code_execution_tool_result_error",
            error_code: "unavailable",
            error_message: "Tool response parsing error for view: Failed to parse tool response as JSON: unexpected character: line 1 column 1 (char 0)",
          },
          index: 4,
        },
        {
          type: "text",
          text: "No worries — the `view` couldn't run in parallel with the `create` since the file didn't exist yet at the time both calls were dispatched. Now that the file has been created, let me view it!",
          index: 5,
        },
        {
          type: "server_tool_call",
          id: "srvtoolu_01UZ1EtACaBJ87pPA9guaxHU",
          name: "text_editor_code_execution",
          args: { command: "view", path: "/tmp/hello.txt" },
          index: 6,
        },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_01UZ1EtACaBJ87pPA9guaxHU",
          status: "success",
          output: {
            type: "text_editor_code_execution_view_result",
            file_type: "text",
            content: "Hello, world!",
            num_lines: 1,
            start_line: 1,
            total_lines: 1,
          },
          index: 7,
        },
        {
          type: "text",
          text: "Here's a summary of what happened:\n\n1. **Created** `/tmp/hello.txt` — the file was successfully written to disk.\n2. **Viewed** `/tmp/hello.txt` — the file contains exactly:\n\n> `Hello, world!`\n\nEverything looks perfect! The file contains the text you specified.",
          index: 8,
        },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 7621, output_tokens: 384, total_tokens: 8005, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: {
        model_provider: "anthropic",
        model_name: "claude-sonnet-4-6",
        finish_reason: "end_turn",
        container: { id: "container_011CaNRJmpe9Tf6C69Paxy7b", expires_at: "2026-04-24T11:14:33.385496Z" },
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
        output_version: "v1",
      },
    },
  },
  "tool-search.sse": {
    output: {
      type: "ai",
      id: "msg_01E3Wn1NynZw9FALZ68znj9S",
      content: [
        { type: "text", text: "Let me search for a tool that can provide current exchange rate information.", index: 0 },
        {
          type: "server_tool_call",
          id: "srvtoolu_01S5swZdBmTzLDVzwcT5LbHp",
          name: "tool_search_tool_bm25",
          args: { query: "USD EUR exchange rate currency conversion" },
          index: 1,
        },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_01S5swZdBmTzLDVzwcT5LbHp",
          status: "success",
          output: {
            type: "tool_search_tool_search_result",
            tool_references: [{ type: "tool_reference", tool_name: "get_exchange_rate" }],
          },
          index: 2,
        },
        { type: "text", text: "I found the right tool! Let me fetch the current USD to EUR exchange rate for you.", index: 3 },
        {
          type: "tool_call",
          id: "toolu_01EFn5wTNBYA8Reni8rbmnHT",
          name: "get_exchange_rate",
          args: { from_currency: "USD", to_currency: "EUR" },
        },
      ],
      tool_calls: [
        {
          type: "tool_call",
          id: "toolu_01EFn5wTNBYA8Reni8rbmnHT",
          name: "get_exchange_rate",
          args: { from_currency: "USD", to_currency: "EUR" },
        },
      ],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 1591, output_tokens: 175, total_tokens: 1766, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: {
        model_provider: "anthropic",
        model_name: "claude-sonnet-4-6",
        finish_reason: "tool_use",
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
        output_version: "v1",
      },
    },
  },
  "web-search-citations.sse": {
    output: {
      type: "ai",
      id: "msg_01WKN8L6d2uNmLVGUJapTdvN",
      content: [
        {
          type: "text",
          text: "Let me search for a historical event that occurred on September 16th (yesterday's date since today is September 17, 2025).",
          index: 0,
        },
        {
          type: "server_tool_call",
          id: "srvtoolu_01Gzok8WnvsXvxFH9c5S2EXK",
          name: "web_search",
          args: { query: "what happened on September 16 in history significant events" },
          index: 1,
        },
        {
          type: "server_tool_result",
          tool_call_id: "srvtoolu_01Gzok8WnvsXvxFH9c5S2EXK",
          status: "success",
          output: [
            {
              type: "web_search_result",
              title: "What happened overnight - Tuesday 16th September 2025 - Share Talk",
              url: "https://www.share-talk.com/what-happened-overnight-tuesday-16th-september-2025/",
              encrypted_content: "EucECioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDOYjTfZmU9geWVbT9xoM2brdLnyuR0D4UISNIjADaNTn6twHC+p8FWUqSMKb0GEzRxlgYSYWO4tsItea2te3YwVe7s6rD+bGiDa9J0gq6gPJejSwzpR4ad/sOerWqAI57gK6rf/jLikdCyOPuk1u5C5M+1Vh99dn6Hb+gAx1dzw5lrTgEYIwiGa+v0sJdoFtClk9zKSAm1aEYajXuFCofiG3XghIhfjJ6UtMOieU07FVGXf/+oUtHQcyxI/i9gkWOC9sClSrdQTfv5GLD0QkJIm1wbDQI6CNatYk7tbxdyrb+DLl5Do+ED+qm+G/W4O+5+p6+Zc7d1TmbyFwscR8CaHGcFH4iMwEZy2n0ISqSmGS9rMMkR2mk0yyTo27pC0HbV4S4WfDsB+Zs2As/dfDEd9lNDI55oQcSAcuD58MYoZa0+Lf2EnRGtG8JTSJvnu7MloHLovwKApNwH86RHePYvhGmgFZlw2c1nUzpqXcAKZLup6yvEzlBes5fra+IGuKVYb7Hs6s+THHF1UroLXTSMeoE7sA3VDULwlrq6ckD7Ghab93ETRdChRo73sAszmRKb401VeccvpgcFDAPcQG0DaOkUjf8KtdtT+5Ig3Lwh5REU5AdolUYxYBGRgKerjJvwbsV0beDzbxJMD0iRidh6siXiVzv+89BV/6Sunfn/WBhNm0Tl8wAnfms+lXMutY21Krv64xVbGd/dI5fo6udYUp3HFvhIUADl1i2aIW1yJsOUgxBpqD0fP1GAM=",
              page_age: "2 days ago",
            },
            {
              type: "web_search_result",
              title: "Five Big Things That Happened Today: Tuesday, September 16",
              url: "https://www.1news.co.nz/2025/09/16/five-big-things-that-happened-today-tuesday-september-16/",
              encrypted_content: "Eq0CCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDI1W0sALgIPogWKuFBoMYsLiydmdRGtwu2kkIjBKTsKRdDMbNBPaopPz/pxqkM2vFYzaSnSN/W0Bk77JXV71K9CFFFGrrEoAvbSVcxIqsAEBTU1oercJp7hZAy+51zZ3ARto0K2wdfxX1VNLGAtfVm1wCOv525WB63S18AsQswDZDeMgk8YeRtz5Hw9qX0p7j7YGMl8R8VROU95mEFdeKogcfWU7JkrfIY431I+OD9Vhzl5u4Ok3vH5/DKDPCuG0MFdBOh1hgJSjiwIt2/kOVOIXeW3v3Iv+4Z/v+6KZWRa3CTBWhc+vBj1ZMhPscbpcb5r5vjaM2Vd4E6nbSNO7xhgD",
              page_age: "2 days ago",
            },
            {
              type: "web_search_result",
              title: "On This Day - What Happened on September 16 | Britannica",
              url: "https://www.britannica.com/on-this-day/September-16",
              encrypted_content: "EqAQCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDHLeqx2rlmbMoVuBwBoMjbiTQydI/kdC+SvPIjD01zcJhys8vXo+3xypvaSz/lPXRq4HBvbpHgoEEQ294Z7UXhr9hHvRc1nWnxMVgvgqow+6KWE/6xemLe0pCGEGhKhtbo7CF2+X16TBcyDWVpbojx7DSGSKTdu/0l28PL5TcS9BN8r2TbQ42i5DWw+C2Q42Gs9QJvtuFA/VhmS1WP0etnFTTiKFqpK9IxerhaO+a3VFV4QdIa3qFn2MV0Za+7erEhqZyd+VQCk0wNp4Vu3qZs1odMlTm1voeBnpziNY24bx68RKjfoDlEVQdw8zzPybMQbUQSz7bzYMNuImRuUd5VZgZPyQRGuTdZkSsXtF3Y/Gmrz0zyDKKmVMeH4F1jEYnMaSBYM6/yVe1/j6NuIyGGFqMzl0/xAWBHcjnE0yy5d5cpOndWkhhEvGGO34IbbNcxR+9h00xbNuGySQYbpqs8dSJ2WYz/mYbgcVS+P3PWoUhXFKff3QDCwQqqwMGIzTvsFVDoyX7tVVArFdQnkMwd0CZupgNzxlb5GmGClP/x1qVI8WXl6lFL2URQraRztPfsL13a/wfEAoTZmYs6Q5eFsBDoyNdzUbEPoqvMrH9SglX9AbMWuTxgsHvCty97Q/WXI8iKBz20dDtJCK2VllDhx1hAKa+XPtohKFtkTmTl/32Ky/j5LNArm6B9PBJApe4ljidBI0vVWYma74FVqUqzbSq/bU5RMXfX85bm2zZgEgmryf0V7iwI7SAjFc2ZItN2KI+U/9JdOG9szR7Mj9wazCCzqP1S9Ep/V8c9AVkggP524biT0YT9ISphETXn9tvFSrqvBdOrGnyIMw/U0+c1VpWQxmZh7gl01Gl98qx5ItMyZiwnXPGO3kRadm84D+o6dxi6WNxBrB5Y++HBjgvOraIAFSsAZRAxzZdluS6W0w/V4BS4+/5gEIEL42yXecbf7cfeWhN4aFMPxVDOLH5L7CLViEOQIyXBrFrQEnN5/Td+WR1D7wG6df9G7rnnXS0HmVjQJFTL9WIJls670GQFbIlcyULBlIHk7/nmS4XNRMu0mrIEPeh/Tlxxfab/N8vFwoftCvEpMbp/Bme0by06SreS4rkDNGSKJBIRTrrM+EtGZwFdEHJpv616BQwRVDF1neAOs1KwFfowjgEXVJpXzAO9ZfpA8UfLcV1fhiavyahnKeqpoBWg2YgBioahPhIgojnTEK2ndGcK458k4pXgMNYClqNG78MkK8uf8wMrJqYnlYbKMM/EFkZMNIi6kmbbqp7g8lVj7UV6Ktz+s8ggR0nRMCL5yzEUpqHGjV2KZM5+aYiQd/Qo5wILQwdWrXTjA7ePxJGnRJhegmrOymwUbxTMW7MKd9yj9Ie2AXJ73xFSPAWTyTj96BLqhcsmrKDxE1bjuErRzsqLMSRawrlrMkf+9e0O5OKa3VIC9zpcbNwaqV8LAfFG2luZt7KJX+XYSDDJWNaP3OryHCW0cNOH9kQbDd9pRyVPmsrwHU3ugo5t6ftE0TBQLmBvOU5XCDwqTD+tVLpZ6qjqHMCAUN6ICkjFDUQm5xmxj6tc4CyBy8U2k8w6V7lWtJrlbmf+ZLtzEOseUAw9raNWGmIwg2M+B6WWhmnkkkV2uG9e5ouzmwWWYUc+IATIZnZgt4U7QnQnycW2CNz/k5GwXkeaoTBR7cPJ8hLBFo/uwi78I2OrWWHib0hY0oft1wj3x6v5rhdquXIloxe5wp5BqTSmkqMuu8DggH3kljDMw64IQ4HaQ7fNFAIs557WEapThD/JKXqgjySAk/vhajjeP1kJolwKgbEh5lMNuAzZ5R3M4gNKqHsZm1OtyI9B4zg1UovAjrgS1xX2MIuSTrzywtZFepYS02xcppRFP9EgzMiPQozZ8Tj+X51Pu7403BVMXqw2ED1C2GxLWvGN8LZKFFscBIvKfh5WFvpju0GUWk3E+GufhrBEUajXM51jPv+KdjAfo9MSzd/I3NX/psOADYdfinx19wmIZlJ0TkeXjBxyPTyr5/A+BClYJESAkQdjfVyMhCCLkf0MAxJYYy+m8wB0RLGeFOSu31jze/QcvO+EyUi3IiuKh0h2EXXHHyrN/4vdYyzmf1QvaLZmeRYFm8oD+ao327asNpvu88bWI4sKKKeMhWpMzssXnJd/squq7wa3XvK2zt4iSlSICt7mC+e1uGmKOfoxkzzSkT7UUQ0e+bUrs9cE8cNxZkTUoAyVPJywAKf1n1m04cF7BzSUByjFEQoXtW6CVFGPqGdsEkK8x8vY4QGBRoEdaMuTq5JEdjgdwD8ZG/snwfptAXgNOYh1QmLY/NxUCNMzkiXcSSHOC3FVj+vndq0afGwq+WbskKP8uGU7mtO2AscGs5Qc5u0WyWVtpdytEgn2eH3X9aEIlXh5sVILvuaC34hyb13iaIxdB8XgIkpe8XHcrTAmpzQi1QI9+1xcGVxTmXAyfHU00KA/Fh6TfS8GHCzmbqXRVitmZf7KycBpxegflCyzQeOh6caKY27Zq3FFCaFZnzUtM/QOm5Xx6tZLpKrTeVE/iNfvy/bypJ8PgJBkFoRifY/S1/gByneMHB2qpwxJstoN+YrFziwuDvKbFLepUHmcyzh0hBxSdt6zMf0C/Qs/OjP69fxQKgRU2A/6st17hcmre93BB4CRO+BuHdSb/y9aKy5XILt9BrOZubGs3vt4NWkWfCgv+iNhgD",
              page_age: null,
            },
            {
              type: "web_search_result",
              title: "September 16 - Wikipedia",
              url: "https://en.wikipedia.org/wiki/September_16",
              encrypted_content: "EpkTCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDJDGMsv4nqNfoIMVQBoMk/YbTt8vJJD0ODuOIjC7LlWQvj6/uCJ5jeqItNdxkjghOCOwQZqk4muWI//97rgZ4vQ8FiSbmvLCL2u39fYqnBJP/57jZZnpgKBKkaAkqgoYn1diMYJYdqev6F2WhWublIps8QQf5VBMptGB4CsiZ0mkAnX9ocTYHbvP39XHOy72B6DaXY7UYtdyZaWXrCuOFmx9lZuLx30qyCJM3wINDJbcbAXlo72TClLgJeovqDB5j6ai8TniC1FAyftpWj1ap2lrKswlXhwKgsn8GtJUoSDN+s2u1S3iqGvGP7VEAf1iE3AflTFYbE2y8gGcRXjHUqp1ri2NMjZ2EDoJpm3teBi/vvKGUXwWVis6Jk1Vu5eoAmee5BS/c8pFbf7GE3vSXNEnjdUoCsl6uJPBl1huA3jnKl/X4j2+NtQgcsmaOIM4We9sdEmYasRwMyETIzWOM0zGRclgyZAsj4FJ2bjvVazYBVrID3aW/dO8KDVkeUtlTd5NmAMm1ajdBfIhAJWDYjNtF3/52VeabGdK/ptvrhIrxkGDomVWUCN/QH4UaJLw37lWSRJJ3exxZ3kjWWoPPoLRLGE5P0weqUo8eSC4FLqQt3PGCtRWc56YnRJbEoGwHk2e3OX21i5Q6yAje1Wai91R8xZFWHf1peW0WLNtodtP78DCtpwOa1v93EDGmBc4O/xH7mKkXXa1IXKYiqxf5ec//Ykoy/h9WJ10xqMRbA1vG/AidupShRGntNEwks/2dW5K8Y0DP9DCHedb0cd3P27GN3B4fMGoTSbtgZGQ+UWpYKIj9GsPuVRZxC2XmSi2bTYMvCFZGYgugQSdEKeI/JDs3ZfHMTNcugsPXIzP4773lGJK2ynBut6R7amKvUYwRv+Z67hSNfrtd6dV5FIS46t67svefJZzBHD3r5uCs8MM35JExmKmoapvbv/CKla6W39n4X/WO/2Je+NKFfghHfbVt/US8HkDjcdKdhB5LaXKsKQQ+VtBUvMWcSwmezwaaBLdf3/o27gEcO/waJLxsq0AbxXigqLaEraMQAml4PnQG1xxywOUHjjOiTZddn6RY32AoRScqoLFUAl3j0+r8y7lIG6Fn1MmN39g0S9SFBW+GJgnZ1OotpFggNasoCx4D7h3PIJrc0M/QelEvjBKqn+NBHNhFQxxOvkK76QYayTwggUmQNnq8xdVd/tF/jPp2YgBg2SsREg7OKAOXkLy71JzMnFPX8lrlBz1RWSlS7s6/Z3lxbyygh7mAbayGJ2IlG4sLfE0WyDDbFOxn8kfLBoD0FabJQf0ew+2VsI65Z2ZKH00co8zVJQWbG983XRhadpYsmbq2Cwn6d6W4ZqBIh6oX64Z/8StVIGf/pVx4S9ao1sGNZWy44X2c3jJ5y3vZVq/+Zggo8Iq5VBSjRoRm3ILMBwUDwNZGPGUpWbg8MAcNXhhg+Pt+Kff+ZCGLs/o95GTNZFErkz08WTbihEZrD1uaaKmua3leBZBnnxjwrIpc49nKjnkKaRd/3ms02gSTfWjsqdATZCVESJmJGbgtUM9PNXXdCYSRCgVqnOOeJNr6QZFtT3OXXQXTo6AubyM84qjyw9W0Ph06eFmjua9pF8COFI2bnrIooDU5ofkSZ6Kp7GA1XH08otRM0AxqWTvR3NUgNmig1mtOuwCx867P7Niagr2FgdRilxm0pU1SkanDUIHMd2iLHJ+xJXJW9wR+GzTYvB0+S8V0Dp4jvJd9huGin41CdrJZ/313kVnNtaJHvh2g9XPlSFgfkdGfDBpMoPIyTMsr49EQxCs/idhgn7euKwB4dOvr6JUIPGnDYS+QH8ZSgR71wUbFYQzBufTbnbdvNMynUV5blYemUgFJe8kMscvZ6wM/1ponPXDF8FDrt/mrLC8yFpOp62fc03rIE3gdaVK28SgJfuiVjvxZotgFW/5K7scVUMpEBE5C9DuVxqHlWh/Jmmg8SxKmoM8epfewQtSvs2iGjhgeKAQEWt17SMjXP493AP2P+JW3DRM0ubKFHEztt/xF8MC5r42FjLi6Dxt93T8bMxEE30tALjnRBlhsLkJZy3AuGFfrjE7cD5Eg33ipJW/Q8X26YzqtCp1O3z/k0b1YAmVUtAFxttptPivuGN4IshLkiAdtlQv7MayZGNoHuQiwF55eldTFn0rv6ZArJduJ/NMb8gJc+2lc97Xt237Z/rBARwXj+2yGUID/tNlrKdcFXpoJyJB/c+eYQxLjUNy8+M7G4c8jk8dC6IAJAOWDKq7Q5sX3XX33+wX6jlISxEIEcNubmwjZvKKrkVKE5n/tfiTrV/inFQjDiryjXavweaWz0cRDIeCgQ48tfvy3LpQuEI0rWJn/zpgad5Ctu18WzgcPmoym8JU7W+GcJT9b2+cujRE5IDBCSWLrfk+jUcPvUuajXGqUA0T0AN1wy9p2enqZKFNgBaquotU8KOw8rIr/xojkr4qxU0Pt8iflD9JlKdrCk7WPFd4kTE32Ggc3vwnx5CaDIjy1Jp0mVPSbVycvRH19V+rLgjH5sqrfv5pvqtVmgGpXiSVwe39dqdUy3tJFYZMtO/8m5fEsAxVE/BEpfpFAsc73PB5CE+stXQ0bvUlYC34tG4i2P926UT5ngR9Yqyf4SJtp4sUTHveDnkCysjKwffLN9APS12+YEJKl1yI3Bd6892O5WIPyiPTztWwDXioFT4lHXzePEtRBj3jf6sDZYnpWDxAZEvA6cRVkPmjneT2pC0hOCmTGov4HdFxuH6RFgQyPgvZK5LPmZ2NC9O3u7AjSQRzTJ4lbphn8SWP1M7AA0jXGoMgtQ6P+9v9i9HXacA+bH2HTPgUSh8VBDMymhUiairkmVkLUkSe6IZy4P92dn+Ta80D5x0ZbWnqE9sGVXbtRUQ1tzr/HU/ejcVlkUhrczUV0VjgdwsJ3UGXGrWyK+FC6uiIEnJTZBn4imNV4YFBV/KxuJY3BYp7aTiYVgLUwgzAUd8xk5a0kQkZ6ct5GlQ7+06iwaBzq2Bcum1fLRZ26jCzuoNukvUjXi1gevcweoSggIg4ZidTrqLJqJKuOBKFbmuDkwQe1DBhz5XkVyS/804O3gm28HET97fK7la33upt42AWzogX1MgdQnUDN3BCNJrgbulay5yvjuU0R+hkWiQBXCoqVhLNfMN/mlC+G8KKkqcAoRJHfimgz8SVDrIqvtLVxwkZPMC9GAM=",
              page_age: "July 23, 2001",
            },
            {
              type: "web_search_result",
              title: "What Happened on September 16 | HISTORY",
              url: "https://www.history.com/this-day-in-history/september-16",
              encrypted_content: "EvgZCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDPOfxH1NHhUlG9gyShoMo/4qXl6zzcd0BQSXIjBvVEktOvVpxSW2v2lbgcSdrk36ePI700GrPRakrww9iWlqdKQ6xsRIuKxGlbfqUU4q+xhT+hm9usm1Tc2d08mJbvLsGKI4IbQIh1Mq6wcT7DQ4a5eFe2Mr91pifOtF8bSHqNwxsxM5LaHIj93zsg92qzjBaXEnofztKiP/jOabwb1LgqOxTV1qUe7lKB1f/aK5QiukS87YQV/jiSqRKcPALHEjz6DXNbPcYimfdHK5PQtBOOvOo3N1q8ZgQikJwDIH1R59VzQBoeSfo+E93CzO/ERpRVejSQ/K38Zg1tnjSywP1cHB8AZrpPhokD9A0nva8P+59I3Cdt9aPEX1i9uDPjRsT/TwXJIwuHisNYoLJ0lmdhSRgOTdM+rn9732n74dwe9y1AuZ3W6mTR2A2jUDl8ETG8DaWm86pSE/ONNAeJ5OGLe1OgNhPkvPG50fPyhli5Kg3hdGHBO32d6SE5BzNLEghuLkb4qZKoLSM53+Zm2PocwYS3AC7eorvLOXSuf+JHPrAdluD9ePP7zqWSB0gpjFq71aNbKJqityLvpbQSK0uO9an5OBLEAkD5nu6Pzjn1qQ0Etb5/lugl8YQMIammPkqfzld7ZgFSB8LqTgYWixxu691zd4czyUWuho+Hg/n3N3yQnyAuW4Ix56H5cymIQGdDNf35ShWAALylXsIliku08TJRs3i8mlXGYUJcF7oJ6oro+If0IoooA8jb0jOnA21AA4EBWw3ck7drRSgIVJylWdnt16kF1ImGAYnXhdLnfH2SocK21pZU4mpe2gx6bg/mEqRGoi+m9+Q54rO8i4ZBtXWeAMr5OjqfemCN8ep3qs8SgpNmlFht+qwvXczLfIa37e05V0h708l+YVoBflXQwtMqJSVm9WywsvjL1b1WAFzm8kFmFkX+pQgpBkciA7LFJDaxYa85aeiX6w8Wtod+ujkd4afJ2sqhpdZ3U1tIS9msknd7rcVPM8ljSpxl8nVRP8q6okLS3HjWbiAPofTERr7yT7uak7hiZngLEqEe3FxPrlcjaWjEedd9DlmH2ZNnysmmdWhdTCyNss18LY20QGuCWGFr/FL+yXprsB2LjPdNai81zy26vIfufCFEX/RSVczaf4MUzL8YkA31T+D8FGRIfLdEOe7FyPn9amGnPmbcTsdVd3n6LZdxu7crW4ZcpCtrg6X+YlL9RHG1/IsVcF1Zza4Br36sSKm83BZKa6opR4s+ogM2FNvU5v0DUo8Ru5j71B80MaF4/6WKG/qT/w2QxEhdHa9RSxdHFpKH6Fv+3gKMaKPS1kpM3rO4JAJd3pEQCAbBj9fhjCGG0qY7i2Y2LlXCru+IO6uGrgxUX316WaFnoOw/UWxHDKsbgPlUcJPferMM3xrJIQJPBalMzJL9e647pfRaRadXWQQlhDhi4hcQkGeN9gbtzxwfuip5j6wJKINQvvcKDOTCGsTmhLkz8ZtejdwTwkPjXTU+csL9HUZ3Kt9B0+lvExrxH1Ymu47F1cOg/Xnon1QWDTuVDe0j71NnpmsoMV7AH6+1lfdhH3y7C3+f3GhrC4z3wOulkwYHZ5tLAgWcIChb5dE5HSSY8psQmrUYl+gNLHzfc+oPzbk59AxZHnmOftpoGXyzHxffX/WpTfKXbPg/JKB6i9yiKccdQIZ9ESH71xTu6AKNjbJWRbkLwnMR6SMbrq+4xSUNOv0MsRYXS2ozBQQZV3/derpkSuN5y2AJ9hgU7FGhoOKp4X83VLBpGyl1lqRcv/a0zYMKjdynruawia2GijjMFR0QoLAXAr3NXaUF/Ockfjt/3Ifpvo4od20+RgcWyQdztTVe/LwJvVMviDMobDbdshEaREEelk8k4c4qzC5nZzcK0CyaDsmrEpxZDM6JfKdlb0H1fYJYuiAcrEUi/YsTLD9AzyjdmkI+gGLJVrTlG+akJpA8193ugh5Q9w21VHQ7OzaVVg0JeJaa+sfrjHk1eJvbf2GZmYqAVkAAHaAcSncvjuur7ng94HxQlXJJL0teALUiSfiHnyU4ueTCHVoWVN8jAF8hnLd6wsAh0GEEld/xZf8SPqD1K0P7eWT7F9xD2OImsLSRZE1soYrLH0EAq1SlFwiSQA/GARavTJDb4jaSrP1mGEzCzFBAnyQeXuR59910chMX8MQAazE4hhfSy0cJv16DS5fLeDP21HuVyk1fNnYA+PUj3FnJgJtmjspPLaV28NvHs69KjBU4GHHumOcOzlYYk1+LATUKzOMGLVc44ABb75Hf11ghNcT8GVrGL+t2ivUgp368HuQ6bJHcIlJXrsrvhpGBAO7Vp4xggN7OuYIvjL4K9QyDEiMKMcvwmYe9nDCzTDjA6Aw2QXoppYR3Ybc7R8k702akSG8wI/VNWyOYF/SHEdnnUR2kgXe8wX7nzS61Xtumnx/pqNnCXIAZXkFZABwfTIFh4qdrfeE5LdEwdwr6eKltBrVRP23lWGAHw834ou8Xg5ZIn8+Asem5eP1jz2IirmDoMCWgZyX0c78DSpe/rr5NmfhsTxjj04+s87EHyO+aptHDc+qUyG1aq3jFXD4trjyMZTcViHUD+GFm8GEuAfnMWM3pbkqavzhbqRfs3HmbPfZ+WH42F55eZenBFy41IxWsMcxgy30s9SIGOCugUDs8QSJBkE4a4HdxLL+iW+TB1ENh9KbZ7lUd5GSBT/OhQahf0h558NFx10uUM9UzyqjcsRH2VpBXHOS4CGcSadm9JdAUwCRfET0qatuWS8h9stZUxb0a02xKJF5/eKBnvHXrKVcYymyOlkTBXdP1WBsPk3ZUzb+kXyOceCduB2pGAZfiIdZ2MgKSvUn8k+djb2uQBoPHQDZVH9uJpY+oOMAjxjOB5/hn4AtvdLHd8vCbH6kAM7Yi8gmEpnwgfEi9AcxpXY1JEAbkDCu+WCZT/PINfDHWiDPfD+9I6NYCcKAJ9cCGahBzAexssQ6RZWDvW5z+TSmAL6w1SCUTrQNBu/2CIT0y8o7ZhHJECj4U21Zk9Ni4AzyBjinx/cvjjLVE0NZ5yog29ktdLtDpBuiSSim6M828SaE9mJjayBjpHAOvNrnLmph4owm2/8H9rziIFRWekt1NRWeJsVRWQrARVUUavwehFSmbjXaS3Xv7rBqIv7EELL+rycF0BZFkYdIo0erBCtP9aVQeei6vaAyI+qtPAX6FOVnSYo8xU4TMskbJ/3PcLGAOhPn0umOpBgcYIKhPnG9ZDkP/ZTuq/Z43EeRI9aOj2Nb3avY62FMbDffPzCt6m0eajEtJd1ojvIgCJpeSvFWDvNg47QuEVTbGkfynj2exOyoQSYhkVOmGQibKDbTFcBpD3VG4oVf3s2O/YmF1YIX0vl7ZbBEShEB8o/ER2Og0tunPfRHi3rBW3lGQy4zfwVRS/ZBpWJCAa8pzdi1mYPeUejocIhTREQS9vxPn+Gm/TmrcMPNXTNq9NyoOD8+rs27YP1AfwI/MdNYRAxzZMvIoRD6BiOCgCaT50dGJ9MqV8fJlMJLnsie02UxVVUZ2doPl+2BSQegp0FohL9139q1y0par/oq8vJ6GcmilPTcx8/641A+yv9QiPFly0rPPRXmLjf2CPXiTbk1R/YfLwjTv9nATwUhCQDUUvyfpWAt8pDZaa1VKaoPSGQxyADPDb/oFo5ZdRMk0QcQYxqhmXqRIdO0nMZvdzpXiT+3zYnxIhTroo2KxUjySBEECyr63uXFN17vQpn3MP4uyk2mKjehFhF3rQ5Dk/mPT7QxRDuzR31yDUatn9/cirvgsMgMXgPOt07hHtFlq2fxw6uwEZwEsa9E31JywnCyZQYYsmlI2YAkDRCzBcJttW6SnFArWKx84yhLX6kykDPtR5ZZxMVTiJyP7o6VGXRh7WZSS2lzPwJJlFR3yC6r+mwp2+6R8cdOWU1BGhNV+ysMWhvpaMGkae/ySNoepZEMRn11xcjy9yHURjQze8iixNKxodMma4Z3HcHJHjLiiI13Mw5gMFKxY1uPQqtRzGtqiDJskLMoC4JGUT4FwzCgVlWHJdFdlKWq7mkR1P3Hr9H75uDCxpjziQt3VE6rX2w7lPCCCBsUooUcimTMheigGpGpEAGuwOhFGX5EUMH7hHmXjWPvn54P9s7A/nfdH1Ewoi6ahWMLWn2TmG8tu+Lt0yk1pD1vXapO/hX3CZ+/D61BXdz1sy/XHiiygnQ5fcQizJ475xZqG6zhkSV5ZNjJdPW8T1hUUMi51HwcT0TEDx17Gd4VuUw2kGE0CIAEXPyx9yq7lt3BnzXILH0HfN4smlu7E1fW4CKLdQzh0h1ClyfHwdAxEvDJQs4F/ZhYQL73agYAw==",
              page_age: "May 30, 2012",
            },
            {
              type: "web_search_result",
              title: "On This Day – What Happened on September 16",
              url: "https://www.timeanddate.com/on-this-day/september/16",
              encrypted_content: "EqAJCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDPfOuqQZEZWdXKRzJhoMPioROhv4d5jKgZ4cIjBeqDvywG8nY2yrMuGczPQdz6o9cx8o1Iq2nOP5pOqrCtrgUg057397hxIlXVfXSZkqowgH76S4jCfJrvfzGcI/XxJM04EzrpWx96f7Ij06pz2uvilze6uJ3+9yMduY2NHWWXqvLtTTdDHZnm0TLuIOP/HSQhlKmYb5AOIzivNlJ1Uyj9IIcDJ2xGU2Erx89gOTSHfPaMR3HQ2uZdDySo8JZDrNvweJ92P/ipGWfJ/3hSDMPVdxyctzFY1zKevEBLQ4S1gTMmtxuuOiJtOGz1A4igqb3Oo/ySKs3r6qvNw5RX4USK48xdDQDbS92yZjJkzJx31YMXrqqvEq3fnL1LUk4MD6aFAxsJvROMAfGe6CCZYLYgCgX7bd5bU28dmgDoRTlblt5ObrAfrTEYZ2JWwNocS4UnUKVUb8CiFyIP+ioA0JmBIpr3VvEL77MBI3AWjsvafE168aPFBgurpiB7PvrdOAIEqBgJLjaSANm08LbNDFWHTR1LEz8JdGgk4y3UKpX92CwQvk0tuDwSG8fhcyUzO5kedMyQAqaBQESz/I+MC8u0+U67rWyhWkRRjA1X9qZ6lspGn0CiSBetUhoQC2x06U536zKMsF7u/bfx7DDilAy66lbqg8ySyyIjnUHRrrblgc3n9f0MbCsHscgJZTRSUGpbKKoveCBeXvTDblbNleWMBUjTmQsuFE3G/SEY7rM2qjivcnzYXiirVaCeQHBNcmw2iOwYM/koPr/HeHM63PRAFcMHLhf5WOmjSC/wCdwJwLsTDEOPwAFjorA++B9H6P+zf3pmeq+6y5wh9jXm9SiVzaBp9ERNHQ6o1R/8IaTUHvCjVXLL97oYEmICEDv1sfgWcAsx+pAe4K19OsoRc2gmQ0z2SinpRKvqjXSorPh75hTA+exNEaObv3vefxBN9TtEcuJCt+QDXlc6A/e1G4W1yPZopfUMS3SerAvEkkFoEWSRPFczRHbnhG54RnxIUL9kUH2ZQZmDK5ZzujWcjqu0jaID/iY3CVzkCAjX5TLx9DxvBrQftjvrH7s+9bzSR6+K/f/M6qi+3W/rJ4E8ZCmekWteOxb6m3H2u8lZFfUUB9DcBY+O7CiMgm/QhvkYC1+V2HX/J/Yhko6RVhO9b8GHema64F3T5zSlhO9VAwbi4P3ntCU7ZaH0xDYXNzyUBcPAm0bNjyasrOZoRFt5NsJrzmsIUL1QRi+3zaJJ9M/fL9QEZMWk8maWtGPdeV1FlUAINrgwGpnn97wjLsycrXGCPDWTiAyMp6mF2bGDFLFC0U9HdCa6H4DSGgW8A7pFVJxW1yOZbNhYgFrOIvz1R+swd29pkT41TgOpSro8k3bOW1gsOb/wy4+9WWp8pVQkFK7ah3mGMPCQtZ5opWpd1q3OfJBuf3bMnfm+Zixa6NMxzOkeqqu7zoORdH25Sii91Do15eTPEUJajt9m1/ONu48O8sVD4iXMe/55TruT/D4KzSpeMYAw==",
              page_age: null,
            },
            {
              type: "web_search_result",
              title: "History for September 16 - On-This-Day.com",
              url: "https://on-this-day.com/onthisday/thedays/alldays/sep16.htm",
              encrypted_content: "ErgBCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDHmiGel6mDR9ggW6gBoMXZYXWv//kvaE5UMVIjBrVJoClDNTdagGmWhAy2SihttOSBxFnykqkMDvoUoW+Uu0uDLP37UmKjyIeXNjfRAqPHhAAYyDmPk42GM6RT4zSogJsHp6qWGBmMv6jVFGvMtbSGZK6BBorKtZlgAozJOne5DdP0WzYFt3DSm62BgD",
              page_age: null,
            },
            {
              type: "web_search_result",
              title: "September 16: Facts & Historical Events On This Day - The Fact Site",
              url: "https://www.thefactsite.com/day/september-16/",
              encrypted_content: "EoETCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDFcN/EkiH4r23LjKdxoMOcyEaefZ5tbpUwAtIjDzMA7h9WHhWPfEWrf96fGUJsnS6YF2X1VAugZ0qkFSuaqkgGzfudVeRei24LFi26kqhBJUUmVwkECyF32yEQ3ul/27upaU5ZN4v2Og07tmsmbcl6h8zHjWsU68bPVh+/FutKmAAVAh26qZJ8eYSdNd1LCn/x/MmhgN3zLHjw47OJE5o2+ZnFyRHvbhPx1+wlfQ1PIl8pO6tRIM3qTbJIMS/+FyRCrS3+0/JdHTwLxDWrQHnInbb0AiJnlO+lsUb8g7qciOwnmisbPp3ubK9ZuZZdTttZTviTed7J22IBOaGEuuNdqHUgo53GsP91nBgdCtvn5VJ3dsHb1PbiQhWGnrdv9l93NGbzb3pkcTGWfbEI/uH0W0iD3EhENo81sxaAmsFaWa3lZI63UbsPDmIGv/tQ3dL/hwJ8IcDwW3OkrxpGi7cSJLftFsBoOXDc8w4ODu+vpsXnA1YJnfleMkrmpJxYBiOK77MqgzHEp4pYvfPeHFyXscFTAWHbgaUOTOeUPaAjX24QJdgvu7kmmcpSQLTNcAVW6JRe6Pve4RXRaroHNKpsX2s3JnriEkfqgHPdYpn0jFedZIbkOPIZm9niiZbOV6+e+2QISmII8oMxrHpGYPOvHP7teUKahVfLgC92fqD45EDWl4lOnEfGawgwNBnnWTDYx9TDh/94XqkQU3fEQ08IiE4H53cJVKzYmCEn0OyKuUittQwVrMAQ4pobgesMiTvYQ5aLm8DmTumaNkvxO0psBuY5EeBHVn4qlWhkZJo1V+aq1MxqvlRkll6VlD6VlqyXhTTVb8rnjhXyMhNtRxxfxq0G+psXBCxUsyk1UVrig+qWSuEFJpUkjkIiJYbYtZOwtfdX4q9xQt/MZ//jxK6e8VXAfPSYB4IddsnezNpzM4aLjxblq4T9XB8cU65ST4hL52KQaOj6YGIqGPFHXCjbXVNRFbl0SgkizrZmxc/JcwTmBSv7JUWbom5GINuO1VylFYjkrT6ZfGFAHMUR3hKwknE0Dw7HPmMFOZBKYS0KiXvrHCkaF6LhdRNuCl6hXPNiCNJ/IufmNui7pXVvVoivu3hinoGiEHHUEcz+8bTVCvTOnbfpNK70JTifGHRoiRc/SySZjTRvZmWzoU1cyz8S103EgJ/7wk7RVRAqwCHuV/NmBI9jIAXIIRVaDaBh/DGyKGVme3+jbiopVaqSDiufGz+/Iw4LCAdAkdaupcj+ZZmkOdzh4oiqVKSSeaGUUM1jMIMvd3xxheR+pWCFgmMoHkctvnCxsWSnATN2S/vfd1gMJ+H0U0lQzAsBOURIKX4Rkr9r4pnCFNtOTS+/vXRzzJVBPYnTDKLZMnkPN0X3ZSFNRKL4XNlZ/oHX0V5VctGq1kBBla0T+384QlH/cnWTrcoR63+5tAJ60s1M+dzPpFhLNhTRyu/y51/akA1uwAMMM3+vB+tAGqE5dsRrHp/Pg3yCO/fqADWPcBDX0J155n5klBiQBr4p9KGQJLaqaEx90tRngE85g00Qg01u9OvweUicltMG9N5PTf/ic7vSHUeQFL20mAaQQc9MPbchmBR0NQMkzfc/8oTU5JSHO68YEsgyj28SDVZksQgv8ERovyvI57kt390d9I/spzurt0Qqh100FaPMMlVnWsU6Id21QO+CAOLFLd+A8oFpO+AbHOvKikGcE0BexL2hemUwi/OVVLf4E2d19gWgcCwONa9TefJkRThRi5ObMY82rea1w2t5tdeYeY8Xwec7OJptMe83ZV2j4HBvKgZdeVE/lPCYGRekim9ScPgY/nh9hM/SVFhTKtus9+61xtx3G1MghMVsW0NEkdo+VR/KcHvO2LHD4VM6u4HOd6h0GbfPSB9GlTA5AU3TB8Cz1gOEHssgTajdKuLfTEOG/jxj4XdntmCpYGwdArwBWOewT9E2icpqhZKbtOqHwy//0yi+vIenusNUSNcqM3qMV3qsYCHErKsH8+vFGsReRWIacqTKczjsN1fLUu9g5VD9yejg1K9wkQClM8PLzx2GMrGE6DUguExdzSE7MMgoX67f2TvaTuG2lbmVob4FMg62lT2yjeCfO1R80vI3svgeqBvEW05iYs7MqAZI87nBbRXBlHIvh8zi8dHOy2lrh34O3Ffktztfdcxw2/s8q19hiHYO37J4QBOebuTEjiOddkJQYXCHtp6qR3L9iMYargjFxZUj+mxbX6Ry0gJrVujtn4fAf1FNixox40UPUlSYI4rA2m9NZmVYwGYHCBKLqdwyPRGfIImKJCzeSbg8yTuCv6urnS2V/DiNt0+MifAhIjEDBcy3LxD99z0NVXMJ0DzCdsEXKm8HZ3EInxkp7xYGjjD5sg+X+gFOwbmv2L/z4pvQFNvrCEusM3IzAcSE+cdgirYKhgifVCcDrdqPgynxVL8y/Utb83AEG7eIAyy+450+b3qKWgr2MiyJdZ6YD2VBIQzAbXzjELmoWpMiRS8YFJ7RrCYHuCAdSsXC8/JEQL5EY3puuDEsGIf7MpA2O3mLfU8w0h/zw/i7C6havNR7UAFr2mqWoayk3bPUG5wekhukMDZMeAfD8qd3ILmYyQDclGj+5RQfIKgGbOMYMpobybZ6IQ7JoTZ0BrYBFSw+HfCIbr+L7WQs3bwbRpr609zFtdergM1Uhtcte+yyGhY+mNdHyLVQgv30mTZf2HqFwRo6/fqHucEoWOeHH85XDNMGuwWK9VUjyU+cnvYqgr4bHqmSjMxOj3uBcLxu3/jLfcGHHMwuaalUPJJ46usopr8oqqUlgqDs5exl0tspF62awpgBrrQkyhFBTuAoBE/CRc3i4mgT9OK+iPdNaHcsz39OsTEYuNNdeLYqWr1rJHpAgeOHENMitqbupgpNQ1K6HXejhmPHv2g15q97uk5saV/FRd38/tONu8e671vEimzw97o4Xzeb6rL75zx8ahCtCp6BdsfuHLveqerWmntsdNU+3ginEAEe7wVzhfFqKzLJYf1NPnqviODGC3zKttL7V7s7hXrO3/DSN8oZQMzgeIAqABC/SAp6QGoyp7NBEHBoGLvd63D0ThroV/C/w247IKbhB9sd/D9y9lpOfM+9FcBlUS4qmEi7kh3qpHJoooHk/+4suZw30orujg67FJQ6PTvT76HJFIoCuhIWwlGAM=",
              page_age: "January 1, 2020",
            },
            {
              type: "web_search_result",
              title: "16 September In History | Worksheets for Kids - Events, Deaths, Birthdays",
              url: "https://kidskonnect.com/history-timeline/september/day-16/",
              encrypted_content: "Eq4JCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDDkdHRsVI9aThz/D8hoMx1UNRA5/n5nUQjYoIjDa75kM9NtJS1rUk0DnOQf+9kXQe/cl5d3Q26gyBoQzWLbml8saUV1Y9cQs91BaXRAqsQgWOZeiV87V8VOdalF/RMqhIlwUXuJSsFZZIElvqWkkYD8Kb72YtH3B5MX5Uy2zMTA5CYKwG5p5llseoWJnaJse5bPslRBVOXOvLaCc0BxJBnGlTA+wnnxNkUjA0HDvJ/igdE4qyFldnbzMn4xvQvLGQoprWcuiacIT3GNZvRY59O7ZRg13ODNHp3NYtVbdWroyff5+xhwxrVnKUgqWYbyCEYNT/UTtEwcZ9FysMFrjOT9rpm/pZJn614I4TStr8i3c9M6cOAarWmdBeLDE+cCfSWJh+8EuWnJXrE+D20HKpoTj6H5TfYW3vA1gCfoY3kgEMH/FWJR0kdxQR1lmMe40GTS2MiikFnCaL3xJKHQVFXjChsPgzKXvFB4pSy+vSvET13Lyz30lSuvLkbSGk04Qu4J7g7ItQYo6WESTRMzoFRnESaCRyvyjv+aI+WQNCPAjFm4SAlTyJtxmsSgvBXosHm1ueifg0J6L98WkDh1ldMRnxm8oagI+ZwN85IQg41rS5bY2PoW4EKZDbz75pUEHPx3Tt2I5XtP1SCFMnkDOUxhMKugBpaprCQfvIKUmr9TobPipI240ncC+n4YIYZtQbHb+MpUbKZ2ygqIH0lyeq1587Un88LfoEvtItsC9q3g7slZ19a8TL5mHO/2CoTWRUq+rz81tOdaSMknUJUJKYBqpQv0e9D5gxR71rt686dBopWjPPDBC0nurgWp9TbfdNxgK13sVU9Ims4RzYswIlK06p/jIAbZd2WjEW0/FYuEqVKCG8SWDhRNRgpWiuO2kFT/VPHXqGFSrtCsNMTUcXYcLc6oRz01tmxgq8oQDhem+6PcihV2JaN26vdTt/iIiWk7dK28g/9Yj91p+iJAdrEEdwBE3jrl3I6Hf37GhA+A+hGQRg5ZjeHETz42IVXJkq0Tmzl2ioEWmlcIPN/N0OLcHgSfkOdkZU7xYu7Y5hMfYg2ftIWHi66OZkrGhYreCcnlCm0XNsN8aJNH+83yf+4eWwpMNzMa55rdJNwmzKKtXCkkpuzaWAgGOaNGraK0TbJef5+6cm6p1QdlqP6m3HItcBIma/XgbZb+WEZKisG4Cu0hY73RjrWN95e+0ChIhzidvIpku/kvzcOgdWdg0fQLVMah543TUVuLuS16MTbC8ulLxVVDRbWn74I635xUrklVbB03Jb/C94ywyGSeVbKbak3W0y9LUh5VuGcGlYLNWSBoqFVhcI+PKxc3N7xVJy7SM7qq5FcGgBIIlxWPPa3/5o5Tth0lifLR+0wpqriF3lP1VSJ+VTM6594vPFfOPqxz7o6i0cWELOu8/To8m4fHkDJqOrmX+V/swh3qbrd6vrztPREeeRACaQFKaLvHuOSC+MbgkOyscIstNWhIn/JbohjTIBhMjcXOoiCZzh/k6COBgXE72w6xvaK0kr/GNNxgD",
              page_age: "March 9, 2020",
            },
            {
              type: "web_search_result",
              title: "September 16 - Naval History and Heritage Command",
              url: "https://www.history.navy.mil/today-in-history/september-16.html",
              encrypted_content: "EoUCCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDL11Bow5oqO+XdOSyRoMYKj/cLJueQtzgWVkIjAdJE2T5uGZLh55JCrqWrQT93EHGJ1wBCItNtdU3IIDTfbHXwZ4yTQnY1qdYVeQ050qiAE3TfkBQf9sGj5ZKPHSQou0aR4x/IYN80NABDqQnzFUdhipwFyotrto+p+F5eAA+yKZo52NtLYY5nWk8/j2vtK/4Ye5SSgaaDt1W6UyKtrNCO4gBpo1dRlj/Gvg0EK8+qcQtem4lZLA+H7OV4/hz4W6nvH2/BELJgNJDi3sUQPOT3iGmqBok1N+GAM=",
              page_age: null,
            },
          ],
          index: 2,
        },
        { type: "text", text: "Based on yesterday's date (September 16, 2025), ", index: 3 },
        {
          type: "text",
          text: "Asian markets rose higher as Federal Reserve rate cut hopes lifted global market sentiment",
          annotations: [
            {
              type: "non_standard_annotation",
              value: {
                type: "web_search_result_location",
                cited_text: "Asian Markets Higher as Fed Rate Cut Hopes Lift Global Sentiment",
                url: "https://www.share-talk.com/what-happened-overnight-tuesday-16th-september-2025/",
                title: "What happened overnight - Tuesday 16th September 2025 - Share Talk",
                encrypted_index: "Eo8BCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDPlVjKJFL1cEATQHxBoMmnyB3bwNX/huknwwIjBucovw227VrxBBKylXn2ZtRUTNFLKhqrN2ojqMBrOQFeMJTJKhOLoD/Yeuz8LCbkkqE60CgvYkL+7jZBmzZqtVC4jh0OEYBA==",
              },
            },
          ],
          index: 4,
        },
        { type: "text", text: ". Additionally, ", index: 5 },
        {
          type: "text",
          text: "there were severe rain and gales impacting parts of New Zealand, and a notable court case involving a British aristocrat",
          annotations: [
            {
              type: "non_standard_annotation",
              value: {
                type: "web_search_result_location",
                cited_text: "Priests&#x27; protest over Gaza continues, severe rain and gales to impact parts of NZ, and a British aristocrat and boyfriend sentenced for killing n...",
                url: "https://www.1news.co.nz/2025/09/16/five-big-things-that-happened-today-tuesday-september-16/",
                title: "Five Big Things That Happened Today: Tuesday, September 16",
                encrypted_index: "Eo8BCioIBxgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmISDKoXVmV7xykvFWyn8RoMyv6jIXB6ZXVZY8NtIjBVvuh9CQyc0lPCzZcTKGhm77yKxGMdesipLyitFAngZ4h4TRY3PAl+u5hQSTSbYqwqE7UvlygSdSGLcm+VYtllfi0bJsoYBA==",
              },
            },
          ],
          index: 6,
        },
        { type: "text", text: ".", index: 7 },
      ],
      tool_calls: [],
      invalid_tool_calls: [],
      usage_metadata: { input_tokens: 11665, output_tokens: 186, total_tokens: 11851, input_token_details: { cache_read: 0, cache_creation: 0 } },
      response_metadata: {
        model_provider: "anthropic",
        model_name: "claude-sonnet-4-5-20250929",
        finish_reason: "end_turn",
        server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
        output_version: "v1",
      },
    },
  },
};

describe("recorded Anthropic Messages streams", () => {
  itGivesTheRecordingsOutcomes("anthropic", expected, (input) => fromAnthropic(input));
});

/** A provider event: its `type` and whatever else it carries. */
type Payload = { type: string; [field: string]: unknown };

/** One message per event object, with `event:` set to its type. */
function sse(events: readonly Payload[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

const start: Payload = {
  type: "message_start",
  message: { id: "msg_1", type: "message", role: "assistant", content: [], model: "claude-x", usage: { input_tokens: 3, output_tokens: 1 } },
};
const stop: Payload[] = [
  { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 7 } },
  { type: "message_stop" },
];
const json = (index: number, partial_json: string): Payload => ({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } });
const blockStart = (index: number, content_block: Record<string, unknown>): Payload => ({ type: "content_block_start", index, content_block });
const blockStop = (index: number): Payload => ({ type: "content_block_stop", index });

function output(events: readonly Payload[]) {
  return fromAnthropic(responseOf(sse(events))).output;
}

function events(payloads: readonly Payload[]): Promise<ProtocolEvent[]> {
  return readAll(bodyOf(bytesOf(sse(payloads))).pipeThrough(new AnthropicDecoderStream()));
}

describe("tool blocks the API runs", () => {
  it("an MCP connector call joins its input slices into args, with its server in extras", async () => {
    const message = await output([
      start,
      blockStart(0, { type: "mcp_tool_use", id: "mcptoolu_1", name: "ask_question", input: {}, server_name: "deepwiki" }),
      json(0, ""),
      json(0, '{"repoName": "a/'),
      json(0, 'b"}'),
      blockStop(0),
      ...stop,
    ]);
    expect(message.content).toEqual([
      { type: "server_tool_call", id: "mcptoolu_1", name: "ask_question", args: { repoName: "a/b" }, extras: { server_name: "deepwiki" }, index: 0 },
    ]);
  });

  it("a *_tool_use block type this version does not know folds its input the same way", async () => {
    const message = await output([start, blockStart(0, { type: "future_tool_use", id: "x_1", name: "look", input: {} }), json(0, '{"q":'), json(0, "1}"), blockStop(0), ...stop]);
    expect(message.content).toEqual([{ type: "server_tool_call", id: "x_1", name: "look", args: { q: 1 }, index: 0 }]);
  });

  it("an MCP tool result with is_error is an error result", async () => {
    const content = [{ type: "text", text: "no such repository" }];
    const message = await output([start, blockStart(0, { type: "mcp_tool_result", tool_use_id: "mcptoolu_1", is_error: true, content }), blockStop(0), ...stop]);
    expect(message.content).toEqual([{ type: "server_tool_result", tool_call_id: "mcptoolu_1", status: "error", output: content, index: 0 }]);
  });

  it("input slices for a block that is not a tool call change nothing", async () => {
    const block = { type: "novel_block", data: "x" };
    const message = await output([start, blockStart(0, block), json(0, '{"a":1}'), blockStop(0), ...stop]);
    expect(message.content).toEqual([{ type: "non_standard", value: block, index: 0 }]);
  });
});

describe("compaction", () => {
  const compaction = [
    start,
    blockStart(0, { type: "compaction", content: null }),
    { type: "content_block_delta", index: 0, delta: { type: "compaction_delta", content: "The user asked " } },
    { type: "content_block_delta", index: 0, delta: { type: "compaction_delta", content: "for a greeting." } },
    blockStop(0),
    ...stop,
  ];

  it("a compaction block keeps the content of its compaction_delta events", async () => {
    expect((await output(compaction)).content).toEqual([
      { type: "non_standard", value: { type: "compaction", content: "The user asked for a greeting." }, index: 0 },
    ]);
  });

  it("raw-event readers get the compaction so far as block deltas, and its start as it began", async () => {
    const seen = (await events(compaction)).filter((e) => e.event.startsWith("content-block"));
    expect(seen).toEqual([
      { event: "content-block-start", index: 0, content: { type: "non_standard", value: { type: "compaction", content: null } } },
      { event: "content-block-delta", index: 0, delta: { type: "block-delta", fields: { value: { type: "compaction", content: "The user asked " } } } },
      {
        event: "content-block-delta",
        index: 0,
        delta: { type: "block-delta", fields: { value: { type: "compaction", content: "The user asked for a greeting." } } },
      },
      { event: "content-block-finish", index: 0, content: { type: "non_standard", value: { type: "compaction", content: "The user asked for a greeting." } } },
    ]);
  });

  it("a stream cut off inside a compaction finishes it with what arrived", async () => {
    const stream = fromAnthropic(responseOf(sse(compaction.slice(0, 3))));
    expect((await stream.output).content).toEqual([{ type: "non_standard", value: { type: "compaction", content: "The user asked " }, index: 0 }]);
  });
});

describe("what message_delta says besides the stop reason", () => {
  it("the container, context management and server tool counts go to the finish metadata", async () => {
    const container = { id: "container_1", expires_at: "2026-04-24T11:13:36.730129Z" };
    const message = await output([
      start,
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null, container },
        usage: { output_tokens: 7, server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 } },
        context_management: { applied_edits: [] },
      },
      { type: "message_stop" },
    ]);
    expect(message.response_metadata).toEqual({
      model_provider: "anthropic",
      model_name: "claude-x",
      finish_reason: "end_turn",
      container,
      context_management: { applied_edits: [] },
      server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 },
      output_version: "v1",
    });
  });

  it("thinking tokens counted apart are the reasoning output detail", async () => {
    const message = await output([
      start,
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 145, output_tokens_details: { thinking_tokens: 47 } } },
      { type: "message_stop" },
    ]);
    expect(message.usage_metadata).toEqual({ input_tokens: 3, output_tokens: 145, total_tokens: 148, output_token_details: { reasoning: 47 } });
  });
});
