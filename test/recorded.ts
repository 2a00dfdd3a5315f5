// The recorded provider streams (test/fixtures/recorded/<provider>/), each opened as its provider's
// response and read with that provider's adapter: for tests that run every recording through one
// path (a format round trip, a replay) and compare with what the adapter itself gives.
import recordings from "virtual:recordings";
import {
  fromAnthropic,
  fromBedrock,
  fromGemini,
  fromOllama,
  fromOpenAIChat,
  fromOpenAIResponses,
  fromWorkersAI,
  type ChatModelStream,
} from "../src/index.ts";
import { bodyOf } from "./bytes.ts";

/** Each recorded provider's adapter, by the recordings' directory name. */
export const recordedAdapters: Readonly<Record<string, (response: Response) => ChatModelStream>> = {
  anthropic: fromAnthropic,
  bedrock: fromBedrock,
  gemini: fromGemini,
  ollama: fromOllama,
  "openai-chat": fromOpenAIChat,
  "openai-responses": fromOpenAIResponses,
  "workers-ai": fromWorkersAI,
};

/** The names (`<provider>/<file>`) of the recordings an adapter above reads. */
export const recordedNames: readonly string[] = Object.keys(recordings).filter((key) => recordedAdapters[providerOf(key)] !== undefined);

/** The content type a recording's provider served it with. */
export function recordedContentType(name: string): string {
  if (name.startsWith("bedrock/")) return "application/vnd.amazon.eventstream";
  if (name.startsWith("ollama/")) return "application/x-ndjson";
  return "text/event-stream";
}

/** A fresh stream of the recording `name`, read by its provider's adapter from a new Response. */
export function openRecording(name: string): ChatModelStream {
  const adapter = recordedAdapters[providerOf(name)];
  const bytes = recordings[name];
  if (adapter === undefined || bytes === undefined) throw new Error(`no recording ${name} with an adapter`);
  return adapter(new Response(bodyOf(bytes), { headers: { "content-type": recordedContentType(name) } }));
}

/** The provider directory of a recording's name. */
export function providerOf(name: string): string {
  return name.slice(0, name.indexOf("/"));
}
