import { bodyPrefix, bounded, boundedText } from "../../lib/bounded-body";
import { StepError, type ToolCall } from "../types";

/**
 * How long a provider may send nothing: before its answer starts, and between two pieces of a streamed one. A
 * stream that goes on sending may run past it (a long answer, a slow local model); the step's timeout bounds it.
 */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 120_000;

const ERROR_BODY_CHARS = 500;
/** An error body is read this far: enough for any provider's JSON error, never a whole page a proxy sends. */
const ERROR_BODY_BYTES = 64 * 1024;
/** A provider's answer, streamed or not, is not read past this: the longest answers and their search results are a few MB. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const tooLarge = (provider: string, maxBytes: number) => () =>
  new StepError(`${provider}: the answer passed ${maxBytes} bytes, so it was not read on`, false);

/** The answer's body, failing with a permanent StepError past `maxBytes` (a retry would be sent as much again). */
export const answerBody = (provider: string, body: ReadableStream<Uint8Array>, maxBytes = MAX_ANSWER_BYTES): ReadableStream<Uint8Array> =>
  bounded(body, maxBytes, tooLarge(provider, maxBytes));

/** The answer's body as JSON, read up to `maxBytes`. */
export const answerJson = async (provider: string, res: Response, maxBytes = MAX_ANSWER_BYTES): Promise<unknown> =>
  JSON.parse(await boundedText(res, maxBytes, tooLarge(provider, maxBytes)));

/**
 * Runs one provider HTTP exchange and maps every failure to a StepError: silence past the time limit, network
 * errors and unparseable bodies are transient. The exchange calls `alive` for each piece it receives, which
 * restarts the limit. An abort by the caller is re-thrown as the caller's reason.
 */
export async function providerExchange<T>(
  provider: string,
  signal: AbortSignal,
  timeoutMs: number,
  exchange: (signal: AbortSignal, alive: () => void) => Promise<T>,
): Promise<T> {
  const silence = new AbortController();
  let timer = setTimeout(() => silence.abort(), timeoutMs);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => silence.abort(), timeoutMs);
  };
  try {
    return await exchange(AbortSignal.any([signal, silence.signal]), alive);
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    if (e instanceof StepError) throw e;
    if (silence.signal.aborted) throw new StepError(`${provider}: nothing received for ${timeoutMs} ms`, true);
    if (e instanceof SyntaxError) throw new StepError(`${provider}: malformed JSON in the response`, true);
    throw new StepError(`${provider}: network error: ${e instanceof Error ? e.message : String(e)}`, true);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Throws the StepError an unsuccessful response stands for: 408, 409, 429 and 5xx are worth retrying, except a 429
 * for an exhausted quota (OpenAI's `insufficient_quota`), which no wait ends.
 */
export async function throwIfFailed(provider: string, res: Response): Promise<void> {
  if (res.ok) return;
  const body = await bodyPrefix(res, ERROR_BODY_BYTES).catch(() => "");
  const error = body ? errorOf(body) : undefined;
  const said = (error?.message ?? body).slice(0, ERROR_BODY_CHARS);
  const message = `${provider}: HTTP ${res.status}${said ? `: ${said}` : ""}`;
  const transient = isTransientStatus(res.status) && !(error?.type === "insufficient_quota" || error?.code === "insufficient_quota");
  throw new StepError(message, transient, transient ? retryAfterOf(res.headers) : undefined);
}

export const isTransientStatus = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

export const isEventStream = (res: Response): boolean => (res.headers.get("content-type") ?? "").includes("text/event-stream");

/** How long a provider asks to wait: OpenAI's `retry-after-ms` when sent (it is finer), else `retry-after`. */
export function retryAfterOf(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get("retry-after-ms")?.trim() || Number.NaN);
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : retryAfterMs(headers.get("retry-after"), now);
}

/** `retry-after` as seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The message, type and code of a provider's error body, where it is JSON of the usual `{"error": …}` shape. */
function errorOf(body: string): { message: string; type?: unknown; code?: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const err = typeof parsed === "object" && parsed !== null && "error" in parsed ? parsed.error : undefined;
    if (typeof err === "string") return { message: err };
    if (typeof err === "object" && err !== null && "message" in err && typeof err.message === "string") {
      return { message: err.message, type: "type" in err ? err.type : undefined, code: "code" in err ? err.code : undefined };
    }
  } catch {
    // not JSON: the raw text is the message
  }
  return undefined;
}

/** A tool call from the arguments text the model wrote; text that is not a JSON object is kept as `invalid_arguments`. */
export function toolCallOf(id: string, name: string, raw: string): ToolCall {
  try {
    const v: unknown = JSON.parse(raw || "{}");
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return { id, name, arguments: v as Record<string, unknown> };
  } catch {
    // kept below, so the model is told and the trace shows what it wrote
  }
  return { id, name, arguments: {}, invalid_arguments: raw };
}
