import { type Message, type ModelResponse, type Provider, type ProviderBlock, StepError, type WebSearchRecord } from "../types";
import { readMessageStream } from "./anthropic-stream";
import { messageResponseSchema, toWireRequest, toWireTools, usageOf } from "./anthropic-wire";
import { answerBody, answerJson, DEFAULT_PROVIDER_TIMEOUT_MS, isEventStream, providerExchange, throwIfFailed } from "./http";

export interface AnthropicOptions {
  apiKey?: string;
  baseUrl?: string;
  timeoutMs?: number;
  maxTokens?: number;
  /** how much of an answer is read (MAX_ANSWER_BYTES) */
  maxAnswerBytes?: number;
}

const NAME = "anthropic";
const API_VERSION = "2023-06-01";
const DEFAULT_MAX_TOKENS = 8192;

/** Anthropic Messages. It streams when someone listens for text (`onText`); otherwise it makes one plain request. */
export function createAnthropicProvider(o: AnthropicOptions): Provider {
  const url = `${(o.baseUrl ?? "https://api.anthropic.com").replace(/\/+$/, "")}/v1/messages`;
  const timeoutMs = o.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  return {
    call: (req) =>
      providerExchange(NAME, req.signal, timeoutMs, async (signal, alive) => {
        const stream = req.onText !== undefined;
        const body = {
          model: req.model,
          max_tokens: o.maxTokens ?? DEFAULT_MAX_TOKENS,
          ...toWireRequest(req.messages),
          ...(req.tools.length ? { tools: toWireTools(req.tools) } : {}),
          ...(stream ? { stream: true } : {}),
        };
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": o.apiKey ?? "", "anthropic-version": API_VERSION },
          body: JSON.stringify(body),
          signal,
        });
        await throwIfFailed(NAME, res);
        const asked = serverToolQueries(req.messages);
        if (stream && isEventStream(res) && res.body) return readMessage(await readMessageStream(NAME, answerBody(NAME, res.body, o.maxAnswerBytes), req.onText, alive), asked);
        // a compatible server may answer a streamed request with the whole message
        const answer = readMessage(await answerJson(NAME, res, o.maxAnswerBytes), asked);
        if (stream && answer.content) req.onText?.(answer.content);
        return answer;
      }),
  };
}

/** The queries of the server-tool calls the conversation holds: a paused turn may ask for a search that runs after it. */
function serverToolQueries(messages: Message[]): Map<string, string> {
  const queries = new Map<string, string>();
  for (const m of messages) {
    if (m.role !== "assistant") continue;
    for (const b of m.provider_content ?? []) {
      const input = b.input as Record<string, unknown> | undefined;
      if (b.type === "server_tool_use" && typeof b.id === "string") queries.set(b.id, typeof input?.query === "string" ? input.query : "");
    }
  }
  return queries;
}

function readMessage(json: unknown, asked: Map<string, string>): ModelResponse {
  const parsed = messageResponseSchema.safeParse(json);
  if (!parsed.success) throw new StepError(`${NAME}: unexpected response shape`, true);
  const { content, usage, stop_reason } = parsed.data;
  let text = "";
  const tool_calls: ModelResponse["tool_calls"] = [];
  const queries = new Map(asked);
  const searches: WebSearchRecord[] = [];
  for (const block of content) {
    if (block.type === "text") text += block.text;
    else if (block.type === "tool_use") {
      tool_calls.push({ id: block.id, name: block.name, arguments: block.input, ...(block.invalid_input === undefined ? {} : { invalid_arguments: block.invalid_input }) });
    }
    else if (block.type === "server_tool_use") queries.set(block.id, typeof block.input.query === "string" ? block.input.query : "");
    else if (block.type === "web_search_tool_result") {
      const results = Array.isArray(block.content) ? block.content : [];
      searches.push({
        query: queries.get(block.tool_use_id) ?? "",
        results: results.map((r) => ({ title: r.title ?? "", url: r.url ?? "", snippet: "" })),
      });
    }
  }
  return {
    content: text,
    tool_calls,
    usage: usageOf(usage),
    searches,
    ...providerContent((json as { content: ProviderBlock[] }).content),
    paused: stop_reason === "pause_turn" && tool_calls.length === 0,
    ...(stop_reason === "max_tokens" ? { cut_off: 'stop_reason "max_tokens"' } : {}),
    ...(stop_reason === "refusal" ? { refused: 'stop_reason "refusal"' } : {}),
  };
}

/**
 * The blocks as the API sent them, when text and tool calls cannot say all of them (server-tool calls and results,
 * citations, thinking): the API wants them back unchanged, a paused server-tool turn above all, to resume it.
 */
function providerContent(blocks: ProviderBlock[]): { provider_content?: ProviderBlock[] } {
  const plain = blocks.every((b) => b.type === "tool_use" || (b.type === "text" && !(Array.isArray(b.citations) && b.citations.length)));
  // `invalid_input` is the stream reader's note, not the API's
  return plain ? {} : { provider_content: blocks.map(({ invalid_input, ...b }) => ({ ...b, type: b.type })) };
}
