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
