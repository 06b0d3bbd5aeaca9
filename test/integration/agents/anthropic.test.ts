import { describe, expect, it } from "vitest";
import { costNanos } from "../../../worker/agents/cost";
import { runAgentLoop } from "../../../worker/agents/loop";
import { DEFAULT_PRICES } from "../../../worker/agents/pricing-defaults";
import { providerFor } from "../../../worker/agents/providers";
import { createAnthropicProvider } from "../../../worker/agents/providers/anthropic";
import { createToolHost } from "../../../worker/agents/tools";
import type { TurnRecord } from "../../../worker/agents/turn";
import type { ToolSpec } from "../../../worker/agents/types";
import { ANTHROPIC_KEY } from "../../fake-servers/anthropic";
import { agent, fakeHost } from "../../unit/agents/loop-helpers";
import { local, request, servers, stepError } from "./helpers";

const provider = (timeoutMs?: number) => createAnthropicProvider({ apiKey: ANTHROPIC_KEY, baseUrl: local(servers().anthropic), timeoutMs });
const sonnet = DEFAULT_PRICES["anthropic:claude-sonnet-4"];

const loop = (model: string, tools: Parameters<typeof runAgentLoop>[0]["tools"], turns: TurnRecord[], instructions = "hi", onText?: (d: string) => void) =>
  runAgentLoop({
    agent: agent({ model: `anthropic:${model}` }),
    instructions,
    runNo: 1,
    turns: [],
    provider: provider(),
    tools,
    price: sonnet,
    saveTurn: (t) => void (turns[t.turn_no - 1] = t),
    checkBudget: () => true,
    signal: new AbortController().signal,
    onText,
  });

describe("Anthropic provider against a Messages server", () => {
  it("sends the system prompt apart and reads usage", async () => {
    let streamed = "";
    const res = await provider().call(request("echo", { onText: (d) => (streamed += d) }));
    expect(res).toEqual({ content: "echo: hi", tool_calls: [], usage: { input: 100, cache: 0, cache_write: 0, output: 8, web_search: 0, searches: 0 }, searches: [], paused: false });
    expect(streamed).toBe("echo: hi");
  });

  it("streams text as it comes when someone listens, with the same answer and usage", async () => {
    const deltas: string[] = [];
    const res = await provider().call(request("echo", { onText: (d) => void deltas.push(d) }));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("echo: hi");
    expect(res).toEqual(await provider().call(request("echo")));
  });

  it("puts a streamed tool call's input back together, and its usage and searches", async () => {
    const lookup: ToolSpec = { name: "lookup", description: "Look up", parameters: { type: "object", properties: { q: { type: "string" } } } };
    const ask = (model: string, text: string, tools = [lookup]) => request(model, { messages: [{ role: "user", content: text }], tools, onText: () => {} });
    const tools = await provider().call(ask("tools", '{"q":"hotels"}'));
    expect(tools).toMatchObject({ content: "Let me check.", tool_calls: [{ id: "toolu_01", name: "lookup", arguments: { q: "hotels" } }] });
    expect(tools.usage).toEqual({ input: 50, cache: 0, cache_write: 700, output: 30, web_search: 0, searches: 0 });
    const search = await provider().call(ask("search", "hi", [{ ...lookup, name: "web_search", native: "web_search" }]));
    expect(search).toMatchObject({ content: "Found it.", searches: [{ query: "flightdeck agents" }] });
    expect(search.usage).toEqual({ input: 1000, cache: 0, cache_write: 0, output: 50, web_search: 0, searches: 1 });
    // input cut off at max_tokens: kept as written, not run with {}
    const cut = await provider().call(ask("cut-tool", "hi"));
    expect(cut.tool_calls).toEqual([{ id: "toolu_cut", name: "lookup", arguments: {}, invalid_arguments: '{"q": "ho' }]);
  });

  it("fails the run when the answer stops at max_tokens, keeping the turn", async () => {
    const turns: TurnRecord[] = [];
    const e = await stepError(loop("cut-off", fakeHost([], {}).host, turns));
    expect(e.transient).toBe(false);
    expect(e.message).toContain('cut off at its output token limit (stop_reason "max_tokens") after 16 output tokens');
    expect(turns[0]).toMatchObject({ content: "The three risks are: first, the", cut_off: 'stop_reason "max_tokens"' });
    const plain = await provider().call(request("cut-off"));
    expect(plain.cut_off).toBe('stop_reason "max_tokens"');
  });

  it("fails the run when the model refuses part-way, keeping the turn", async () => {
    const turns: TurnRecord[] = [];
    const e = await stepError(loop("refusal", fakeHost([], {}).host, turns));
    expect(e.transient).toBe(false);
    expect(e.message).toBe('the provider stopped the model\'s answer (stop_reason "refusal"), so it is not taken as the step\'s output; turn 1 of the trace holds what it wrote');
    expect(turns[0]).toMatchObject({ content: "Here is how to", refused: 'stop_reason "refusal"', usage: { output: 5 } });
    const streamed = await provider().call(request("refusal", { onText: () => {} }));
    expect([streamed.content, streamed.refused]).toEqual(["Here is how to", 'stop_reason "refusal"']);
  });

  it("treats an overloaded error in the middle of a stream as transient", async () => {
    const e = await stepError(provider().call(request("stream-overloaded", { onText: () => {} })));
    expect([e.transient, e.message]).toEqual([true, "anthropic: Overloaded"]);
    // message_start had counted its input: billed, so the error carries it
    expect(e.spent).toEqual({ input: 5, cache: 0, cache_write: 0, output: 1, web_search: 0, searches: 0 });
  });

  it("does the tool_use / tool_result round trip with cache reads and writes priced exactly", async () => {
    const lookup = { name: "lookup", description: "Look up", parameters: { type: "object", properties: { q: { type: "string" } } } };
    const { host, executed } = fakeHost([lookup], { lookup: (c) => ({ result: `found ${String(c.arguments.q)}` }) });
    const turns: TurnRecord[] = [];
    expect(await loop("tools", host, turns, '{"q":"hotels"}')).toEqual({ kind: "completed", output: "tool said: found hotels" });
    expect(executed).toEqual([{ id: "toolu_01", name: "lookup", arguments: { q: "hotels" } }]);
    expect(turns[0].content).toBe("Let me check.");
    expect(turns.map((t) => t.usage)).toEqual([
      { input: 50, cache: 0, cache_write: 700, output: 30, web_search: 0, searches: 0 },
      { input: 20, cache: 700, cache_write: 60, output: 12, web_search: 0, searches: 0 },
    ]);
    // $3/M in, $0.30/M cache read, $3.75/M cache write, $15/M out:
    // 50×3 + 700×3.75 + 30×15 = 3225 → 3,225,000 nano; 20×3 + 700×0.3 + 60×3.75 + 12×15 = 675 → 675,000
    expect(turns.map((t) => t.cost_nanos)).toEqual([3_225_000, 675_000]);
  });

  it("leaves out a whitespace-only text block the model wrote before its call, which the API refuses when sent back", async () => {
    const lookup = { name: "lookup", description: "Look up", parameters: { type: "object", properties: { q: { type: "string" } } } };
    const { host } = fakeHost([lookup], { lookup: (c) => ({ result: `found ${String(c.arguments.q)}` }) });
    const turns: TurnRecord[] = [];
    expect(await loop("tools-blank", host, turns, '{"q":"hotels"}')).toEqual({ kind: "completed", output: "tool said: found hotels" });
    expect(turns[0].content).toBe("\n\n");
  });

  it("offers web_search as the native server tool and records its searches", async () => {
    const turns: TurnRecord[] = [];
    const host = createToolHost({ env: {}, names: ["web_search"] });
    expect(await loop("search", host, turns)).toEqual({ kind: "completed", output: "Found it." });
    expect(turns[0].searches).toEqual([{ query: "flightdeck agents", results: [{ title: "Flightdeck", url: "https://example.com/flightdeck", snippet: "" }] }]);
    expect(turns[0].usage).toEqual({ input: 1000, cache: 0, cache_write: 0, output: 50, web_search: 0, searches: 1 });
    // 1000 × $3/M + 50 × $15/M + 1 search × $0.01
    expect(costNanos(turns[0].usage, sonnet)).toBe(3_750_000 + 10_000_000);
  });

  it("continues a paused turn", async () => {
    const turns: TurnRecord[] = [];
    const { host } = fakeHost([], {});
    expect(await loop("pause", host, turns)).toEqual({ kind: "completed", output: "resumed" });
    expect(turns.map((t) => t.paused ?? false)).toEqual([true, false]);
  });

  it("continues a paused turn whose text ends in line breaks, which the API refuses as the last content", async () => {
    const turns: TurnRecord[] = [];
    expect(await loop("pause-newline", fakeHost([], {}).host, turns)).toEqual({ kind: "completed", output: "resumed" });
    expect(turns[0]).toMatchObject({ content: "Searching…\n\n", paused: true });
  });

  it("sends a paused server-tool turn back exactly as it came, so the search resumes, and counts and prices the searches of both parts", async () => {
    for (const onText of [undefined, () => {}]) {
      const turns: TurnRecord[] = [];
      const host = createToolHost({ env: {}, names: ["web_search"] });
      expect(await loop("pause-search", host, turns, "hi", onText)).toEqual({ kind: "completed", output: "Both searched." });
      expect(turns.map((t) => [t.paused ?? false, t.content, t.usage.searches])).toEqual([
        [true, "Let me search.Flightdeck is priced per seat.", 1],
        [false, "Both searched.", 1],
      ]);
      // the search asked for before the pause and run after it keeps its query
      expect(turns.map((t) => t.searches)).toEqual([
        [{ query: "flightdeck pricing", results: [{ title: "Pricing", url: "https://example.com/pricing", snippet: "" }] }],
        [{ query: "flightdeck reviews", results: [{ title: "Reviews", url: "https://example.com/reviews", snippet: "" }] }],
      ]);
      // 900 × $3/M + 40 × $15/M + 1 search × $0.01; 1500 × $3/M + 20 × $15/M + 1 search × $0.01
      expect(turns.map((t) => t.cost_nanos)).toEqual([3_300_000 + 10_000_000, 4_800_000 + 10_000_000]);
    }
  });

  it("reads a plain answer to a streamed request, as a server that ignores `stream` sends", async () => {
    const deltas: string[] = [];
    const res = await provider().call(request("ignores-stream", { onText: (d) => void deltas.push(d) }));
    expect([res.content, deltas]).toEqual(["whole answer", ["whole answer"]]);
  });

  it("treats 429 as transient and honours retry-after", async () => {
    const e = await stepError(provider().call(request("rate-limit")));
    expect([e.transient, e.retryAfterMs]).toEqual([true, 3000]);
  });

  it("treats 529 overloaded and 500 as transient", async () => {
    const overloaded = await stepError(provider().call(request("overloaded")));
    expect([overloaded.transient, overloaded.message]).toEqual([true, "anthropic: HTTP 529: Overloaded"]);
    expect((await stepError(provider().call(request("server-error")))).transient).toBe(true);
  });

  it("treats other 4xx as permanent", async () => {
    const e = await stepError(provider().call(request("bad-request")));
    expect([e.transient, e.message]).toEqual([false, "anthropic: HTTP 400: messages: text content blocks must be non-empty"]);
    const wrongKey = await stepError(createAnthropicProvider({ apiKey: "nope", baseUrl: local(servers().anthropic) }).call(request("echo")));
    expect([wrongKey.transient, wrongKey.message]).toEqual([false, "anthropic: HTTP 401: invalid x-api-key"]);
  });

  it("reads an answer, streamed or not, only up to its byte limit, and fails the run for good past it", async () => {
    const small = createAnthropicProvider({ apiKey: ANTHROPIC_KEY, baseUrl: local(servers().anthropic), maxAnswerBytes: 1024 * 1024 });
    for (const onText of [undefined, () => {}]) {
      const e = await stepError(small.call(request("huge", { onText })));
      expect([e.transient, e.message]).toEqual([false, "anthropic: the answer passed 1048576 bytes, so it was not read on"]);
    }
    for (const onText of [undefined, () => {}]) expect((await provider().call(request("huge", { onText }))).content).toHaveLength(2 * 1024 * 1024);
  });

  it("treats malformed JSON and a hang past the timeout as transient", async () => {
    expect((await stepError(provider().call(request("malformed")))).message).toBe("anthropic: malformed JSON in the response");
    const hang = await stepError(provider(300).call(request("hang")));
    expect([hang.transient, hang.message]).toEqual([true, "anthropic: nothing received for 300 ms"]);
  });

  it("fails at once, sending the prompt nowhere, when neither ANTHROPIC_API_KEY nor ANTHROPIC_BASE_URL is set", async () => {
    const e = await stepError(providerFor("anthropic:claude-sonnet-4-5", {}).call(request("claude-sonnet-4-5")));
    expect([e.transient, e.message]).toEqual([false, "anthropic: ANTHROPIC_API_KEY is not set (nor ANTHROPIC_BASE_URL, for a compatible server that needs no key)"]);
  });

  it("is chosen by providerFor with the base URL and key from the environment", async () => {
    const p = providerFor("anthropic:echo", { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: local(servers().anthropic) });
    expect((await p.call(request("echo"))).content).toBe("echo: hi");
  });
});
