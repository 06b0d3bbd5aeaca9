import type { ServerResponse } from "node:http";
import { isDeepStrictEqual } from "node:util";
import { type FakeServer, type Json, isObject, listen, sendJson } from "./listen";

export const ANTHROPIC_KEY = "test-anthropic-key";

/**
 * A Messages API server. The request's `model` picks the scenario: echo, tools, tools-blank, search, pause, pause-newline (paused after text ending in line breaks),
 * pause-search (a server-tool turn paused mid-way, continued only when sent back exactly as it came), cut-tool, cut-off, refusal, stream-overloaded, ignores-stream, rate-limit,
 * overloaded, server-error, malformed, hang, huge (a 2 MB answer), sized (an answer of the size the message asks, its usage last), bad-request. Malformed conversations get a 400 like the real API.
 */
export function startAnthropic(): Promise<FakeServer> {
  return listen((req, raw, res) => {
    if (req.method !== "POST" || req.url !== "/v1/messages") return sendJson(res, 404, apiError("not_found_error", "not found"));
    if (req.headers["x-api-key"] !== ANTHROPIC_KEY) return sendJson(res, 401, apiError("authentication_error", "invalid x-api-key"));
    if (req.headers["anthropic-version"] !== "2023-06-01") return sendJson(res, 400, apiError("invalid_request_error", "anthropic-version header is required"));
    const body = JSON.parse(raw) as Json;
    const invalid = validate(body);
    if (invalid) return sendJson(res, 400, apiError("invalid_request_error", invalid));
    const messages = body.messages as { role: string; content: Json[] }[];
    const lastBlock = messages[messages.length - 1].content.at(-1) as Json;
    switch (body.model) {
      case "rate-limit":
        return sendJson(res, 429, apiError("rate_limit_error", "Number of requests has exceeded your rate limit"), { "retry-after": "3" });
      case "overloaded":
        return sendJson(res, 529, apiError("overloaded_error", "Overloaded"));
      case "server-error":
        return sendJson(res, 500, apiError("api_error", "Internal server error"));
      case "bad-request":
        return sendJson(res, 400, apiError("invalid_request_error", "messages: text content blocks must be non-empty"));
      case "malformed":
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end("<html>oops</html>");
      case "hang":
        return;
      case "huge": {
        // 2 MB of text, in 64 KB pieces when streamed
        const text = "x".repeat(2 * 1024 * 1024);
        const m = message(body, [{ type: "text", text }], "end_turn", usage(10, 0, 0, 500_000));
        if (!body.stream) return sendJson(res, 200, m);
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (e: Json) => res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
        send({ type: "message_start", message: { ...m, content: [], stop_reason: null, usage: usage(10, 0, 0, 1) } });
        send({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
        for (const piece of text.match(/.{1,65536}/gs) ?? []) send({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } });
        send({ type: "content_block_stop", index: 0 });
        send({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 500_000 } });
        send({ type: "message_stop" });
        return void res.end();
      }
      case "sized": {
        // the user's message says what to answer: `text` bytes of text and `args` bytes of one call's input, whole (`json`) or
        // streamed in 64 KB pieces; 100 input and 800,000 output tokens, which a stream sends last
        const ask = JSON.parse(String(lastBlock.text)) as { text?: number; args?: number; json?: boolean };
        const tool = ((body.tools as Json[] | undefined) ?? []).find((t) => !t.type);
        const input = ask.args && tool ? JSON.stringify({ data: "y".repeat(ask.args) }) : "";
        const blocks: Json[] = [...(ask.text ? [{ type: "text", text: "x".repeat(ask.text) }] : []), ...(input ? [{ type: "tool_use", id: "toolu_big", name: tool?.name, input: JSON.parse(input) }] : [])];
        const m = message(body, blocks, input ? "tool_use" : "end_turn", usage(100, 0, 0, 800_000));
        if (!body.stream || ask.json) return sendJson(res, 200, m);
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (e: Json) => res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
        send({ type: "message_start", message: { ...m, content: [], stop_reason: null, usage: usage(100, 0, 0, 1) } });
        for (const [index, block] of blocks.entries()) {
          const text = block.type === "text" ? String(block.text) : input;
          send({ type: "content_block_start", index, content_block: block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} } });
          for (const piece of text.match(/.{1,65536}/gs) ?? []) {
            send({ type: "content_block_delta", index, delta: block.type === "text" ? { type: "text_delta", text: piece } : { type: "input_json_delta", partial_json: piece } });
          }
          send({ type: "content_block_stop", index });
        }
        send({ type: "message_delta", delta: { stop_reason: m.stop_reason, stop_sequence: null }, usage: { output_tokens: 800_000 } });
        send({ type: "message_stop" });
        return void res.end();
      }
      case "tools":
      case "tools-blank": {
        if (lastBlock.type === "tool_result") {
          return sendMessage(res, body, message(body, [{ type: "text", text: `tool said: ${String(lastBlock.content)}` }], "end_turn", usage(20, 700, 60, 12)));
        }
        const tool = ((body.tools as Json[] | undefined) ?? []).find((t) => !t.type);
        if (!tool) return sendJson(res, 400, apiError("invalid_request_error", "scenario tools needs a tool"));
        const text = String(lastBlock.text ?? "");
        const input = text.startsWith("{") ? (JSON.parse(text) as Json) : {};
        // `tools-blank`: the model writes only a line break before its call, as Claude sometimes does
        const said = body.model === "tools-blank" ? "\n\n" : "Let me check.";
        return sendMessage(res, body, message(body, [{ type: "text", text: said }, { type: "tool_use", id: "toolu_01", name: tool.name, input }], "tool_use", usage(50, 0, 700, 30)));
      }
      case "search": {
        if (!((body.tools as Json[] | undefined) ?? []).some((t) => t.type === "web_search_20250305")) {
          return sendJson(res, 400, apiError("invalid_request_error", "scenario search needs the web_search server tool"));
        }
        const content = [
          { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "flightdeck agents" } },
          {
            type: "web_search_tool_result",
            tool_use_id: "srvtoolu_1",
            content: [{ type: "web_search_result", title: "Flightdeck", url: "https://example.com/flightdeck", encrypted_content: "abc", page_age: null }],
          },
          { type: "text", text: "Found it." },
        ];
        return sendMessage(res, body, message(body, content, "end_turn", { ...usage(1000, 0, 0, 50), server_tool_use: { web_search_requests: 1 } }));
      }
      case "pause-search": {
        // the paused turn must come back as the last message, block for block (the cache mark aside), or the search cannot resume
        if (messages.length === 1) return sendMessage(res, body, message(body, PAUSED_SEARCH, "pause_turn", { ...usage(900, 0, 0, 40), server_tool_use: { web_search_requests: 1 } }));
        const last = messages[messages.length - 1];
        const back = last.content.map((b) => {
          const { cache_control, ...rest } = b as Json;
          return rest;
        });
        if (last.role !== "assistant" || !isDeepStrictEqual(back, PAUSED_SEARCH)) {
          return sendJson(res, 400, apiError("invalid_request_error", "messages: the paused turn must be sent back as it was received"));
        }
        const content = [
          { type: "web_search_tool_result", tool_use_id: "srvtoolu_b", content: [{ type: "web_search_result", title: "Reviews", url: "https://example.com/reviews", encrypted_content: "enc-b", page_age: null }] },
          { type: "text", text: "Both searched." },
        ];
        return sendMessage(res, body, message(body, content, "end_turn", { ...usage(1500, 0, 0, 20), server_tool_use: { web_search_requests: 1 } }));
      }
      case "ignores-stream":
        return sendJson(res, 200, message(body, [{ type: "text", text: "whole answer" }], "end_turn", usage(100, 0, 0, 8)));
      case "cut-tool": {
        // max_tokens reached mid-way through a tool's input: streamed, the input JSON stops short
        const tool = ((body.tools as Json[] | undefined) ?? []).find((t) => !t.type);
        return sendMessage(res, body, message(body, [{ type: "tool_use", id: "toolu_cut", name: tool?.name ?? "lookup", input: {}, partial_json: '{"q": "ho' }], "max_tokens", usage(40, 0, 0, 8192)));
      }
      case "cut-off":
        return sendMessage(res, body, message(body, [{ type: "text", text: "The three risks are: first, the" }], "max_tokens", usage(40, 0, 0, 16)));
      case "refusal":
        // the safety classifier stopped the answer part-way
        return sendMessage(res, body, message(body, [{ type: "text", text: "Here is how to" }], "refusal", usage(40, 0, 0, 5)));
      case "stream-overloaded":
        if (!body.stream) return sendJson(res, 400, apiError("invalid_request_error", "scenario stream-overloaded streams"));
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { ...message(body, [], "end_turn", usage(5, 0, 0, 1)), stop_reason: null } })}\n\n`);
        res.write(`event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })}\n\n`);
        return void res.end();
      case "pause":
      case "pause-newline":
        if (messages.length === 1) {
          const text = body.model === "pause-newline" ? "Searching…\n\n" : "Searching…";
          return sendMessage(res, body, message(body, [{ type: "text", text }], "pause_turn", usage(10, 0, 0, 3)));
        }
        return sendMessage(res, body, message(body, [{ type: "text", text: "resumed" }], "end_turn", usage(12, 0, 0, 2)));
      default:
        return sendMessage(res, body, message(body, [{ type: "text", text: `echo: ${String(lastBlock.text)}` }], "end_turn", usage(100, 0, 0, 8)));
    }
  });
}

/** A long server-tool turn paused after one search, with the next one asked for but not yet run (thinking first, as models that think by default send). */
const PAUSED_SEARCH: Json[] = [
  { type: "thinking", thinking: "Two searches: pricing, then reviews.", signature: "sig-a" },
  { type: "text", text: "Let me search." },
  { type: "server_tool_use", id: "srvtoolu_a", name: "web_search", input: { query: "flightdeck pricing" } },
  {
    type: "web_search_tool_result",
    tool_use_id: "srvtoolu_a",
    content: [{ type: "web_search_result", title: "Pricing", url: "https://example.com/pricing", encrypted_content: "enc-a", page_age: "2 days ago" }],
  },
  { type: "text", text: "Flightdeck is priced per seat.", citations: [{ type: "web_search_result_location", url: "https://example.com/pricing", title: "Pricing", encrypted_index: "idx-a", cited_text: "per seat" }] },
  { type: "server_tool_use", id: "srvtoolu_b", name: "web_search", input: { query: "flightdeck reviews" } },
];

/** The message as one JSON body, or, when the request asks to stream, as the API's events with text and tool input in pieces. */
function sendMessage(res: ServerResponse, body: Json, m: ReturnType<typeof message>): void {
  if (!body.stream) return sendJson(res, 200, m);
  const u = m.usage as Json;
  const { output_tokens, server_tool_use, ...startUsage } = u;
  const events: Json[] = [{ type: "message_start", message: { ...m, content: [], stop_reason: null, usage: { ...startUsage, output_tokens: 1 } } }, { type: "ping" }];
  for (const [index, block] of m.content.entries()) {
    if (block.type === "text") {
      events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      for (const piece of String(block.text).match(/.{1,4}/gs) ?? []) events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
      for (const citation of (block.citations as Json[] | undefined) ?? []) events.push({ type: "content_block_delta", index, delta: { type: "citations_delta", citation } });
    } else if (block.type === "thinking") {
      events.push({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "" } });
      for (const piece of String(block.thinking).match(/.{1,8}/gs) ?? []) events.push({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: piece } });
      events.push({ type: "content_block_delta", index, delta: { type: "signature_delta", signature: block.signature } });
    } else if (block.type === "tool_use" || block.type === "server_tool_use") {
      events.push({ type: "content_block_start", index, content_block: { ...block, input: {} } });
      const json = typeof block.partial_json === "string" ? block.partial_json : JSON.stringify(block.input);
      for (const piece of json.match(/.{1,5}/gs) ?? []) events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } });
    } else {
      events.push({ type: "content_block_start", index, content_block: block });
    }
    events.push({ type: "content_block_stop", index });
  }
  events.push({ type: "some_future_event" });
  events.push({ type: "message_delta", delta: { stop_reason: m.stop_reason, stop_sequence: null }, usage: { output_tokens, ...(server_tool_use ? { server_tool_use } : {}) } });
  events.push({ type: "message_stop" });
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const e of events) res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
  res.end();
}

const apiError = (type: string, msg: string) => ({ type: "error", error: { type, message: msg } });

const usage = (input: number, cacheRead: number, cacheWrite: number, output: number) => ({
  input_tokens: input,
  cache_read_input_tokens: cacheRead,
  cache_creation_input_tokens: cacheWrite,
  output_tokens: output,
});

const message = (body: Json, content: Json[], stop: string, u: Json) => ({
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: body.model,
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage: u,
});

function validate(body: Json): string | undefined {
  if (typeof body.model !== "string") return "model: Field required";
  if (typeof body.max_tokens !== "number") return "max_tokens: Field required";
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) return "system: must be a string or text blocks";
  if (!Array.isArray(body.messages) || !body.messages.length) return "messages: at least one message is required";
  let expected = "user";
  let toolUses = new Set<string>();
  for (const m of body.messages as unknown[]) {
    if (!isObject(m) || m.role !== expected) return `messages: roles must alternate, starting with user`;
    if (!Array.isArray(m.content) || !m.content.length) return "messages: content must be non-empty blocks";
    const ids = new Set<string>();
    for (const b of m.content as unknown[]) {
      if (!isObject(b)) return "messages: blocks must be objects";
      if (b.type === "text" && !b.text) return "messages: text content blocks must be non-empty";
      if (b.type === "text" && !String(b.text).trim()) return "messages: text content blocks must contain non-whitespace text";
      if (b.type === "tool_use") {
        if (m.role !== "assistant" || !isObject(b.input)) return "messages: tool_use needs an object input in an assistant message";
        ids.add(String(b.id));
      }
      if (b.type === "tool_result" && (m.role !== "user" || !toolUses.has(String(b.tool_use_id)))) return `messages: tool_result for unknown tool_use_id ${String(b.tool_use_id)}`;
    }
    toolUses = ids;
    expected = expected === "user" ? "assistant" : "user";
  }
  const final = (body.messages as Json[]).at(-1)!;
  const lastText = final.role === "assistant" ? (final.content as Json[]).at(-1) : undefined;
  if (lastText?.type === "text" && /\s$/.test(String(lastText.text))) return "messages: final assistant content cannot end with trailing whitespace";
  return undefined;
}
