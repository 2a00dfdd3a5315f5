/**
 * `HTTPError`: a provider's non-OK answer, with what a caller needs to decide whether and when to
 * try again.
 *
 * @module
 */
import type { ErrorCode } from "./errors.ts";

/** Marks instances across duplicate copies of the package (a bundle and a dependency, say). */
const MARKER = Symbol.for("chat-model-stream.HTTPError");

/**
 * A response that came back with a non-OK status. The body (its first 64 KiB) is read for the
 * provider's error message and code.
 *
 * @example
 * ```ts
 * try {
 *   await fromOpenAIChat(await fetch("https://api.openai.com/v1/chat/completions", { method: "POST" })).output;
 * } catch (error) {
 *   if (HTTPError.isInstance(error) && error.isRetryable) {
 *     console.log(`retry in ${error.retryAfterMs ?? 1000} ms (${error.providerCode ?? error.status})`);
 *   }
 * }
 * ```
 *
 * Cancellation and errors: it is the error, passed to every reader and await of the stream; its
 * `code` is `"http"`, which `toResponse` sends to clients.
 */
export class HTTPError extends Error {
  /** What went wrong, as for every error of this package: `"http"`. */
  readonly code: ErrorCode = "http";
  /** The HTTP status, such as 429. */
  readonly status: number;
  /** The status text, often empty over HTTP/2. */
  readonly statusText: string;
  /** The response headers (request ids and the like). */
  readonly headers: Headers;
  /** The start of the response body, as text. */
  readonly body: string;
  /** The provider's error code or type, when the body says one (`"rate_limit_exceeded"`). */
  readonly providerCode: string | undefined;
  /**
   * Whether the same request may succeed later: 408, 409, 429 and 5xx (the statuses providers
   * ask clients to retry), or when the provider's `x-should-retry` header says so.
   */
  readonly isRetryable: boolean;
  /**
   * How long the provider asked to wait, from `retry-after-ms` or `retry-after` (seconds or an
   * HTTP date); undefined when it did not say.
   */
  readonly retryAfterMs: number | undefined;

  constructor(response: Response, body: string) {
    const detail = errorDetail(body, response.headers);
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    super(`HTTP ${status}${detail.message ? `: ${detail.message}` : ""}`);
    this.name = "HTTPError";
    this.status = response.status;
    this.statusText = response.statusText;
    this.headers = response.headers;
    this.body = body;
    this.providerCode = detail.code;
    this.isRetryable = retryable(response);
    this.retryAfterMs = retryAfter(response.headers);
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** `instanceof HTTPError` that also holds for an instance made by another copy of this package. */
  static isInstance(error: unknown): error is HTTPError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

function retryable(response: Response): boolean {
  const should = response.headers.get("x-should-retry");
  if (should === "true") return true;
  if (should === "false") return false;
  const s = response.status;
  return s === 408 || s === 409 || s === 429 || s >= 500;
}

function retryAfter(headers: Headers): number | undefined {
  const ms = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * The provider's message and code: `{error: {message, code | type | status}}` (OpenAI, Anthropic,
 * Gemini, whose numeric `code` repeats the HTTP status and whose `status` names it), `{error:
 * "…"}` (Ollama), `{message}` or `{Message}` with the `x-amzn-errortype` header (AWS Bedrock),
 * `{errors: [{code, message}]}` (Cloudflare), else the body's start.
 */
function errorDetail(body: string, headers: Headers): { message: string; code: string | undefined } {
  // "ValidationException:http://internal.amazon.com/coral/…": the type is before the colon.
  const aws = headers.get("x-amzn-errortype")?.split(":")[0] || undefined;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown; Message?: unknown } | null;
    const error = parsed?.error;
    if (typeof error === "string") return { message: error, code: aws };
    if (error !== null && typeof error === "object") {
      const e = error as { message?: unknown; code?: unknown; type?: unknown; status?: unknown };
      const code = [e.code, e.type, e.status].find((c): c is string => typeof c === "string") ?? aws;
      if (typeof e.message === "string") return { message: e.message, code };
    }
    const message = parsed?.message ?? parsed?.Message;
    if (typeof message === "string") return { message, code: aws };
    // Cloudflare (Workers AI's REST API): {"errors": [{"code": 7003, "message": "…"}], "success": false}.
    const errors = (parsed as { errors?: unknown } | null)?.errors;
    const first = Array.isArray(errors) ? (errors[0] as { message?: unknown; code?: unknown } | undefined) : undefined;
    if (typeof first?.message === "string") {
      return { message: first.message, code: typeof first.code === "number" || typeof first.code === "string" ? String(first.code) : undefined };
    }
  } catch {
    // not JSON: fall through to the text
  }
  const text = body.trim();
  return { message: text.length > 200 ? `${text.slice(0, 200)}…` : text, code: aws };
}
