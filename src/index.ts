/**
 * chat-model-stream: one chat-model response through WHATWG Web Streams, on every runtime that has them.
 *
 * @module
 */
export {
  ChatModelStream,
  type ChatModelStreamController,
  type ChatModelStreamInit,
  type ChatModelStreamOptions,
  type ChatModelStreamState,
  type ProtocolEventSource,
} from "./chat-model-stream.ts";
export { CursorStream, Projection, type StreamIterator, type StreamIteratorOptions } from "./projection.ts";
export { hasPartial } from "./has-partial.ts";
export { MessageStream, ReasoningDeltaStream, TextDeltaStream, ToolCallChunkStream } from "./transforms.ts";
export { smooth, type ChunkDetector, type SmoothOptions } from "./smooth.ts";
export {
  toResponse,
  type ErrorEventFields,
  type HeaderList,
  type ResponseFormat,
  type ToResponseOptions,
} from "./encoders/to-response.ts";
export { SSEEncoderStream, type SSEEncoderOptions } from "./encoders/sse-encoder-stream.ts";
export { FormatEncoderStream, type FormatEncoderOptions, type WireFormatName } from "./encoders/formats.ts";
export { NDJSONEncoderStream } from "./encoders/ndjson-encoder-stream.ts";
export { SSEParser, SSEParserStream, type ServerSentEvent, type SSEParserOptions } from "./sse/parse.ts";
export { fromResponse, NDJSONDecoderStream, SSEDecoderStream, type FromResponseOptions } from "./decoders/from-response.ts";
export type { ReconnectOptions } from "./decoders/reconnect.ts";
export type { LogFailure, LogReadOptions, LogRow, LogSnapshot, LogStatus, StreamLog } from "./log/stream-log.ts";
export { MemoryLog, MemoryLogStore, type MemoryLogStoreOptions } from "./log/memory-log.ts";
export { persist, type PersistOptions, type Persisting } from "./log/persist.ts";
export { resumeResponse, type ResumeResponseOptions } from "./log/resume-response.ts";
export { HTTPError } from "./http-error.ts";
export { PartialJSON, type JSONValue } from "./partial-json.ts";
export { Snapshots, type PartialToolCall } from "./snapshots.ts";
export type { ErrorCode } from "./errors.ts";
export { type DecoderOptions, type DecoderStreamOptions, type ResponseInput } from "./decoders/response-events.ts";
export { fromOpenAIChat, OpenAIChatDecoderStream } from "./adapters/openai-chat.ts";
export { fromOpenAIResponses, OpenAIResponsesDecoderStream } from "./adapters/openai-responses.ts";
export { AnthropicDecoderStream, fromAnthropic } from "./adapters/anthropic.ts";
export { fromOllama, OllamaDecoderStream } from "./adapters/ollama.ts";
export { fromWorkersAI, WorkersAIDecoderStream } from "./adapters/workers-ai.ts";
export { BedrockDecoderStream, fromBedrock, type BedrockDecoderStreamOptions, type BedrockOptions } from "./adapters/bedrock.ts";
export { fromGemini, GeminiDecoderStream } from "./adapters/gemini.ts";
export type {
  AIMessage,
  ContentBlock,
  ContentBlockDelta,
  DataBlock,
  ErrorWithPartial,
  InvalidToolCall,
  NonStandardBlock,
  ProtocolEvent,
  ReasoningBlock,
  ServerToolCall,
  ServerToolCallChunk,
  ServerToolResult,
  TextBlock,
  ThinkingBlock,
  ToolCall,
  ToolCallChunk,
  UsageMetadata,
} from "./protocol.ts";
