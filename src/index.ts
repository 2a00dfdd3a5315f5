/**
 * chat-model-stream: one chat-model response through WHATWG Web Streams, on every runtime that has them.
 *
 * @module
 */
export { ChatModelStream, type ChatModelStreamOptions, type EventSource } from "./chat-model-stream.ts";
export { Projection } from "./projection.ts";
export { MessageStream, ReasoningDeltaStream, TextDeltaStream, ToolCallChunkStream } from "./transforms.ts";
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
  ToolCall,
  ToolCallChunk,
  UsageMetadata,
} from "./protocol.ts";
