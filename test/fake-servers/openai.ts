import type { ServerResponse } from "node:http";
import { type FakeServer, type Json, isObject, listen, sendJson, sendSse } from "./listen";

export const OPENAI_KEY = "test-openai-key";

/**
 * A Chat Completions server. The request's `model` picks the scenario: echo, cached, tools, rate-limit, rate-limit-ms (429 with OpenAI's
 * `retry-after-ms` beside `retry-after`), no-quota (429 insufficient_quota),
 * server-error, malformed, hang, huge (a 2 MB answer), sized (an answer of the size the message asks, its usage last; `wait_ms` before it, `pause_ms` after its text), long-error (a 400 whose message follows 600 characters of other fields), bad-request, quotes-key (a 401 that quotes the key sent),
 * fan-out (several tool calls in one turn), no-index (streamed tool calls without `index`, as Gemini sends them), bad-arguments (a call's arguments cut off),
 * ignores-stream (plain JSON to a streamed request), slow-stream, cut-off (finish_reason length), content-filter (finish_reason content_filter),
 * stream-error / stream-overloaded (an error object in the middle of a stream, as OpenAI and vLLM send one:
 * a context-length error, a server error), long-stream (text for 20 s, its disconnect seen at GET /v1/test/streams/<message>),
 * stream-finish-error (a choice ended with `finish_reason: "error"`, as OpenRouter ends one), deepseek-cache (cache hits only as
 * DeepSeek's `prompt_cache_hit_tokens`), deepseek-both (those beside `prompt_tokens_details.cached_tokens`, as DeepSeek now sends both),
 * gemini-thinking (Gemini's compatible endpoint: thinking tokens in `total_tokens` only, and usage so far in every chunk). Requests that break the wire protocol get a 400 like the real API.
 */
export function startOpenAI(): Promise<FakeServer> {
  const streams = new Map<string, "open" | "finished" | "disconnected">();
  return listen(async (req, raw, res) => {
    const watched = /^\/v1\/test\/streams\/([\w-]+)$/.exec(req.url ?? "");
    if (req.method === "GET" && watched) return sendJson(res, 200, { state: streams.get(watched[1]) ?? null });
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return sendJson(res, 404, { error: { message: "not found" } });
    if (req.headers.authorization !== `Bearer ${OPENAI_KEY}`) return sendJson(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error" } });
    const body = JSON.parse(raw) as Json;
    const invalid = validate(body);
    if (invalid) return sendJson(res, 400, { error: { message: invalid, type: "invalid_request_error" } });
    const messages = body.messages as Json[];
    const last = messages[messages.length - 1];
    switch (body.model) {
      case "rate-limit":
        return sendJson(res, 429, { error: { message: "Rate limit reached", type: "requests" } }, { "retry-after": "7" });
      case "rate-limit-ms":
        return sendJson(res, 429, { error: { message: "Rate limit reached", type: "tokens" } }, { "retry-after": "2", "retry-after-ms": "1500" });
      case "no-quota":
        return sendJson(res, 429, { error: { message: "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", code: "insufficient_quota" } });
      case "server-error":
        return sendJson(res, 500, { error: { message: "The server had an error" } });
      case "bad-request":
        return sendJson(res, 400, { error: { message: "Unsupported parameter: 'foo'" } });
      case "quotes-key":
        return sendJson(res, 401, { error: { message: `Key ${String(req.headers.authorization).slice(7)} is not allowed to use this model` } });
      case "malformed":
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end('{"choices": [');
      case "hang":
        return;
      case "huge": {
        // 2 MB of answer, in 64 KB pieces when streamed
        const text = "x".repeat(2 * 1024 * 1024);
        if (!body.stream) return answer(res, body, { content: text }, usage(10, 0, 500_000));
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const piece of text.match(/.{1,65536}/gs) ?? []) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
        return void res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: usage(10, 0, 500_000) })}\n\ndata: [DONE]\n\n`);
      }
      case "sized": {
        // the user's message says what to answer: `text` bytes of text and `args` bytes of one call's arguments, whole (`json`) or
        // streamed in 64 KB pieces; 100 prompt and 800,000 completion tokens in the usage, which a stream sends last
        const ask = JSON.parse(String(last.content)) as { text?: number; args?: number; json?: boolean; wait_ms?: number; pause_ms?: number };
        // `wait_ms` before the answer, so a client can be listening when it comes; `pause_ms` after its text, so the text goes out live
        if (ask.wait_ms) await new Promise((r) => setTimeout(r, ask.wait_ms));
        const text = "x".repeat(ask.text ?? 0);
        const tool = ((body.tools as Json[] | undefined) ?? [])[0]?.function as Json | undefined;
        const args = ask.args ? JSON.stringify({ data: "y".repeat(ask.args) }) : "";
        const calls = args && tool ? [{ id: "call_big", type: "function", function: { name: tool.name, arguments: args } }] : undefined;
        const u = usage(100, 0, 800_000);
        if (!body.stream || ask.json) return answer(res, { ...body, stream: false }, { content: text || null, ...(calls && { tool_calls: calls }) }, u);
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (chunk: Json) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        for (const piece of text.match(/.{1,65536}/gs) ?? []) send({ choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
        if (ask.pause_ms) await new Promise((r) => setTimeout(r, ask.pause_ms));
        for (const [i, piece] of (args.match(/.{1,65536}/gs) ?? []).entries()) {
          const call = i === 0 ? { index: 0, id: "call_big", type: "function", function: { name: tool?.name, arguments: piece } } : { index: 0, function: { arguments: piece } };
          send({ choices: [{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }] });
        }
        send({ choices: [{ index: 0, delta: {}, finish_reason: calls ? "tool_calls" : "stop" }] });
        return void res.end(`data: ${JSON.stringify({ choices: [], usage: u })}\n\ndata: [DONE]\n\n`);
      }
      case "long-error":
        // the message comes after more than 500 characters of other fields
        return sendJson(res, 400, { error: { param: "p".repeat(600), message: "Invalid value for 'messages'", type: "invalid_request_error" } });
      case "cached":
        return answer(res, body, { content: "cached answer" }, usage(2000, 1536, 42));
      case "tools": {
        if (last.role === "tool") return answer(res, body, { content: `tool said: ${String(last.content)}` }, usage(400, 256, 9));
        const tool = ((body.tools as Json[] | undefined) ?? [])[0]?.function as Json | undefined;
        if (!tool) return sendJson(res, 400, { error: { message: "scenario tools needs a tool" } });
        const args = String(last.content).startsWith("{") ? String(last.content) : "{}";
        return answer(res, body, { content: null, tool_calls: [{ id: "call_abc", type: "function", function: { name: tool.name, arguments: args } }] }, usage(300, 0, 25));
      }
      case "slow-stream": {
        // eight pieces 100 ms apart: longer in all than a short time limit, never silent for long
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const piece of ["a ", "slow ", "but ", "steady ", "stream ", "of ", "text", ""]) {
          await new Promise((r) => setTimeout(r, 100));
          const chunk = piece ? { choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] } : { choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: usage(10, 0, 7) };
          res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        }
        return void res.end("data: [DONE]\n\n");
      }
      case "stream-error":
      case "stream-overloaded":
      case "stream-finish-error": {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "partial " }, finish_reason: null }] })}\n\n`);
        const error =
          body.model === "stream-error"
            ? { object: "error", message: "This model's maximum context length is 8192 tokens", type: "BadRequestError", code: 400 }
            : { message: "The server had an error while processing your request", type: "server_error", code: "server_error" };
        if (body.model === "stream-finish-error") {
          // as OpenRouter ends one: the choice ended by an error, then the usage the request was billed, then [DONE]
          const ended = { choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }] };
          return void res.end(`data: ${JSON.stringify(ended)}\n\ndata: ${JSON.stringify({ choices: [], usage: usage(1000, 0, 40) })}\n\ndata: [DONE]\n\n`);
        }
        return void res.end(`data: ${JSON.stringify({ error })}\n\n`);
      }
      case "long-stream": {
        // "word0 word1 …" every 50 ms for 20 s; its state, by the user's message, at GET /v1/test/streams/<message>
        const key = String(last.content);
        streams.set(key, "open");
        res.on("close", () => streams.set(key, res.writableFinished ? "finished" : "disconnected"));
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (let i = 0; i < 400 && !res.destroyed; i++) {
          res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `word${i} ` }, finish_reason: null }] })}\n\n`);
          await new Promise((r) => setTimeout(r, 50));
        }
        return void res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: usage(10, 0, 400) })}\n\ndata: [DONE]\n\n`);
      }
      case "deepseek-cache":
      case "deepseek-both": {
        const { prompt_tokens_details, ...plain } = usage(2000, 1536, 42);
        const hits = { prompt_cache_hit_tokens: 1536, prompt_cache_miss_tokens: 464 };
        return answer(res, body, { content: "cached answer" }, body.model === "deepseek-cache" ? { ...plain, ...hits } : { ...plain, prompt_tokens_details, ...hits });
      }
      case "gemini-thinking": {
        // 9 prompt tokens, 93 of thinking, then 3 of answer: `completion_tokens` counts the answer only
        const u = (completion: number) => ({ prompt_tokens: 9, completion_tokens: completion, total_tokens: 102 + completion });
        if (!body.stream) return answer(res, body, { content: "1, 2" }, u(3));
        sendSse(res, [
          { choices: [{ index: 0, delta: { role: "assistant", content: "1" }, finish_reason: null }], usage: u(1) },
          { choices: [{ index: 0, delta: { role: "assistant", content: ", 2" }, finish_reason: "stop" }], usage: u(3) },
        ], true);
        return;
      }
      case "cut-off":
        // the completion's token limit reached mid-sentence
        return answer(res, body, { content: "The three risks are: first, the" }, usage(50, 0, 16), "length");
      case "content-filter":
        // the provider's content filter withheld the answer
        return answer(res, body, { content: null }, usage(50, 0, 3), "content_filter");
      case "ignores-stream":
        return answer(res, { ...body, stream: false }, { content: "whole answer" }, usage(120, 0, 7));
      case "bad-arguments": {
        // arguments cut off mid-string, as a model that ran out of tokens writes them
        if (last.role === "tool") return answer(res, body, { content: `tool said: ${String(last.content)}` }, usage(400, 256, 9));
        const tool = ((body.tools as Json[] | undefined) ?? [])[0]?.function as Json;
        return answer(res, body, { content: null, tool_calls: [{ id: "call_cut", type: "function", function: { name: tool.name, arguments: '{"q": "fli' } }] }, usage(300, 0, 25));
      }
      case "no-index": {
        // Gemini's compatible endpoint: streamed tool calls with no `index`, the arguments split over deltas without an id, and finish_reason "stop"
        const results = messages.filter((m) => m.role === "tool").map((m) => `${String(m.tool_call_id)}=${String(m.content)}`);
        if (results.length) return answer(res, body, { content: results.join(" ") }, usage(500, 0, 9));
        const tool = ((body.tools as Json[] | undefined) ?? [])[0]?.function as Json;
        const delta = (call: Json) => ({ choices: [{ index: 0, delta: { role: "assistant", tool_calls: [call] }, finish_reason: null }] });
        sendSse(res, [
          delta({ id: "function-call-1", type: "function", function: { name: tool.name, arguments: '{"q":' } }),
          delta({ function: { arguments: '"a"}' } }),
          delta({ id: "function-call-2", type: "function", function: { name: tool.name, arguments: '{"q":"b"}' } }),
          { choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: usage(300, 0, 25) },
        ], true);
        return;
      }
      case "fan-out": {
        // the instructions are a JSON array of arguments: one call of the first tool for each, all in one turn
        const results = messages.filter((m) => m.role === "tool").map((m) => String(m.content).length);
        if (results.length) return answer(res, body, { content: `tool results of ${results.join(", ")} characters` }, usage(500, 0, 9));
        const tool = ((body.tools as Json[] | undefined) ?? [])[0]?.function as Json;
        const calls = (JSON.parse(String(last.content)) as Json[]).map((args, i) => ({ id: `call_${i + 1}`, type: "function", function: { name: tool.name, arguments: JSON.stringify(args) } }));
        return answer(res, body, { content: null, tool_calls: calls }, usage(300, 0, 25));
      }
      default:
        return answer(res, body, { content: `echo: ${String(last.content)}` }, usage(120, 0, 7));
    }
  });
}

const usage = (prompt: number, cached: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached },
});

type Answer = { content: string | null; tool_calls?: { id: string; type: string; function: { name: unknown; arguments: string } }[] };

function answer(res: ServerResponse, body: Json, message: Answer, u: Json, finish = message.tool_calls ? "tool_calls" : "stop"): void {
  if (!body.stream) {
    return sendJson(res, 200, { id: "chatcmpl-1", object: "chat.completion", model: body.model, choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }], usage: u });
  }
  const chunk = (delta: Json, finish_reason: string | null = null) => ({ id: "chatcmpl-1", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason }] });
  const events: unknown[] = [chunk({ role: "assistant", content: "" })];
  // split the text and the tool-call arguments across chunks, as real streams do
  for (const piece of (message.content ?? "").match(/.{1,4}/gs) ?? []) events.push(chunk({ content: piece }));
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    events.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }));
    for (const piece of call.function.arguments.match(/.{1,5}/gs) ?? []) events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  }
  events.push(chunk({}, finish));
  const streamOptions = body.stream_options as Json | undefined;
  if (streamOptions?.include_usage) events.push({ id: "chatcmpl-1", object: "chat.completion.chunk", choices: [], usage: u });
  sendSse(res, events, true);
}

function validate(body: Json): string | undefined {
  if (typeof body.model !== "string") return "model is required";
  if (!Array.isArray(body.messages) || !body.messages.length) return "messages must be a non-empty array";
  for (const t of (body.tools as unknown[] | undefined) ?? []) {
    if (!isObject(t) || t.type !== "function" || !isObject(t.function) || typeof t.function.name !== "string") return "tools must be function tools";
  }
  const open = new Set<string>();
  for (const m of body.messages as unknown[]) {
    if (!isObject(m)) return "each message must be an object";
    if (m.role === "assistant") {
      open.clear();
      for (const c of (m.tool_calls as unknown[] | undefined) ?? []) {
        if (!isObject(c) || c.type !== "function" || !isObject(c.function) || typeof c.function.arguments !== "string") return "tool_calls must carry function arguments as a string";
        open.add(String(c.id));
      }
    } else if (m.role === "tool") {
      if (!open.has(String(m.tool_call_id))) return `tool message for unknown tool_call_id ${String(m.tool_call_id)}`;
      if (typeof m.content !== "string") return "tool content must be a string";
    } else if (!["system", "user", "developer"].includes(String(m.role))) return `unknown role ${String(m.role)}`;
  }
  return undefined;
}
