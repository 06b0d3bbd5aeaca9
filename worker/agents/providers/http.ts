import { StepError, type ToolCall } from "../types";

/** Default time a provider call may take, body included. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 120_000;

const ERROR_BODY_CHARS = 500;

/**
 * Runs one provider HTTP exchange under a time limit and maps every failure to a StepError: timeouts, network
 * errors and unparseable bodies are transient. An abort by the caller is re-thrown as the caller's reason.
 */
export async function providerExchange<T>(
  provider: string,
  signal: AbortSignal,
  timeoutMs: number,
  exchange: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await exchange(AbortSignal.any([signal, timeout]));
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    if (e instanceof StepError) throw e;
    if (timeout.aborted) throw new StepError(`${provider}: no complete answer within ${timeoutMs} ms`, true);
    if (e instanceof SyntaxError) throw new StepError(`${provider}: malformed JSON in the response`, true);
    throw new StepError(`${provider}: network error: ${e instanceof Error ? e.message : String(e)}`, true);
  }
}

/** Throws the StepError an unsuccessful response stands for: 408, 409, 429 and 5xx are worth retrying. */
export async function throwIfFailed(provider: string, res: Response): Promise<void> {
  if (res.ok) return;
  const body = (await res.text().catch(() => "")).slice(0, ERROR_BODY_CHARS);
  const message = `${provider}: HTTP ${res.status}${body ? `: ${errorMessage(body)}` : ""}`;
  const transient = res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
  throw new StepError(message, transient, transient ? retryAfterMs(res.headers.get("retry-after")) : undefined);
}

export const isEventStream = (res: Response): boolean => (res.headers.get("content-type") ?? "").includes("text/event-stream");

/** `retry-after` as seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const err = typeof parsed === "object" && parsed !== null && "error" in parsed ? parsed.error : undefined;
    if (typeof err === "string") return err;
    if (typeof err === "object" && err !== null && "message" in err && typeof err.message === "string") return err.message;
  } catch {
    // not JSON: the raw text is the message
  }
  return body;
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
