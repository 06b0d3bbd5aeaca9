import { type ModelRequest, type ModelResponse, type Provider, StepError } from "../types";
import { answerBody, answerJson, DEFAULT_PROVIDER_TIMEOUT_MS, isEventStream, providerExchange, throwIfFailed, toolCallOf } from "./http";
import { sseEvents } from "./sse";
import { chunkSchema, completionSchema, isTransientStreamError, streamErrorSchema, toUsage, toWireMessages, toWireTools } from "./openai-wire";

export interface OpenAIOptions {
  apiKey?: string;
  baseUrl?: string;
  timeoutMs?: number;
  /** how much of an answer is read (MAX_ANSWER_BYTES) */
  maxAnswerBytes?: number;
}

const NAME = "openai";

/**
 * Any OpenAI-compatible Chat Completions endpoint. It streams when someone listens for text (`onText`), and asks
 * for usage in the stream's last chunk; otherwise it makes one plain request.
 */
export function createOpenAIProvider(o: OpenAIOptions): Provider {
  const url = `${(o.baseUrl ?? "https://api.openai.com/v1").replace(/\/+$/, "")}/chat/completions`;
  const timeoutMs = o.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  return {
    call: (req) =>
      providerExchange(NAME, req.signal, timeoutMs, async (signal, alive) => {
        const stream = req.onText !== undefined;
        const body = {
          model: req.model,
          messages: toWireMessages(req.messages),
          ...(req.tools.length ? { tools: toWireTools(req.tools) } : {}),
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        };
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
          body: JSON.stringify(body),
          signal,
        });
        await throwIfFailed(NAME, res);
        if (stream && isEventStream(res)) return readStream(res, req, alive, o.maxAnswerBytes);
        // a compatible server may ignore `stream` and answer with the whole completion
        const answer = readCompletion(await answerJson(NAME, res, o.maxAnswerBytes));
        if (stream && answer.content) req.onText?.(answer.content);
        return answer;
      }),
  };
}

function readCompletion(json: unknown): ModelResponse {
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) throw new StepError(`${NAME}: unexpected response shape`, true);
  const { message, finish_reason } = parsed.data.choices[0];
  return {
    content: message.content ?? "",
    tool_calls: (message.tool_calls ?? []).map((c) => toolCallOf(c.id, c.function.name, c.function.arguments)),
    usage: toUsage(parsed.data.usage),
    searches: [],
    ...stopOf(finish_reason),
  };
}

async function readStream(res: Response, req: ModelRequest, alive: () => void, maxBytes?: number): Promise<ModelResponse> {
  if (!res.body) throw new StepError(`${NAME}: empty stream`, true);
  let content = "";
  let finished: string | null = null;
  // a choice ended by an error is never an answer; the usage the stream still sends after it is read, as it is billed
  let endedInError = false;
  let usage = toUsage(null);
  const calls = new Map<number, { id: string; name: string; args: string }>();
  let lastCall = -1;
  for await (const event of sseEvents(answerBody(NAME, res.body, maxBytes), alive)) {
    if (event.data === "[DONE]") break;
    const data: unknown = JSON.parse(event.data);
    const failed = streamErrorSchema.safeParse(data);
    if (failed.success) {
      const { message, type, code } = failed.data.error;
      const named = [...new Set([type, code])].filter((x) => x !== null && x !== undefined && x !== "").join(", ");
      throw new StepError(`${NAME}: error in the stream: ${message}${named ? ` (${named})` : ""}`, isTransientStreamError(failed.data.error));
    }
    const chunk = chunkSchema.safeParse(data);
    if (!chunk.success) throw new StepError(`${NAME}: unexpected stream chunk`, true);
    if (chunk.data.usage) usage = toUsage(chunk.data.usage);
    for (const choice of chunk.data.choices) {
      if (choice.finish_reason === "error") endedInError = true;
      else if (choice.finish_reason) finished = choice.finish_reason;
      if (endedInError) continue;
      const delta = choice.delta;
      if (delta?.content) {
        content += delta.content;
        req.onText?.(delta.content);
      }
      for (const d of delta?.tool_calls ?? []) {
        // without an index, a delta with a new id starts the next call and one without continues the last
        const index = d.index ?? (lastCall < 0 || (d.id && d.id !== calls.get(lastCall)?.id) ? Math.max(-1, ...calls.keys()) + 1 : lastCall);
        const call = calls.get(index) ?? { id: "", name: "", args: "" };
        call.id ||= d.id ?? "";
        call.name += d.function?.name ?? "";
        call.args += d.function?.arguments ?? "";
        calls.set(index, call);
        lastCall = index;
      }
    }
  }
  if (endedInError) throw new StepError(`${NAME}: the stream ended its answer with an error`, true, undefined, usage);
  if (!finished) throw new StepError(`${NAME}: the stream ended before the answer did`, true);
  const tool_calls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => toolCallOf(c.id, c.name, c.args));
  return { content, tool_calls, usage, searches: [], ...stopOf(finished) };
}

/** An answer the token limit or the content filter stopped is not a final one. */
const stopOf = (finishReason: string | null | undefined) =>
  finishReason === "length" ? { cut_off: 'finish_reason "length"' } : finishReason === "content_filter" ? { refused: 'finish_reason "content_filter"' } : {};
