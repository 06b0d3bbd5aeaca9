import { describe, expect, it } from "vitest";
import { costNanos } from "../../../worker/agents/cost";
import { runAgentLoop } from "../../../worker/agents/loop";
import { DEFAULT_PRICES } from "../../../worker/agents/pricing-defaults";
import { providerFor } from "../../../worker/agents/providers";
import { createOpenAIProvider } from "../../../worker/agents/providers/openai";
import type { ToolHost } from "../../../worker/agents/tools";
import type { TurnRecord } from "../../../worker/agents/turn";
import { OPENAI_KEY } from "../../fake-servers/openai";
import { agent, fakeHost } from "../../unit/agents/loop-helpers";
import { local, request, servers, stepError } from "./helpers";

const provider = (timeoutMs?: number) => createOpenAIProvider({ apiKey: OPENAI_KEY, baseUrl: local(servers().openai, "/v1"), timeoutMs });
const gpt4o = DEFAULT_PRICES["openai:gpt-4o"];

/** The agent loop on `model` against the fake server, saving its turns into `turns`. */
function runLoop(model: string, instructions: string, host: ToolHost, o: { streaming?: boolean; turns?: TurnRecord[] } = {}) {
  const turns = o.turns ?? [];
  const outcome = runAgentLoop({
    agent: agent({ model }),
    instructions,
    runNo: 1,
    turns: [...turns],
    provider: provider(),
    tools: host,
    price: gpt4o,
    saveTurn: (t) => void (turns[t.turn_no - 1] = t),
    checkBudget: () => true,
    signal: new AbortController().signal,
    ...(o.streaming ? { onText: () => {} } : {}),
  });
  return { outcome, turns };
}

describe("OpenAI-compatible provider against a Chat Completions server", () => {
  it("answers and reads usage", async () => {
    const res = await provider().call(request("echo"));
    expect(res).toEqual({ content: "echo: hi", tool_calls: [], usage: { input: 120, cache: 0, cache_write: 0, output: 7, web_search: 0, searches: 0 }, searches: [] });
  });

  it("counts cached prompt tokens apart and prices them exactly", async () => {
    const res = await provider().call(request("cached"));
    expect(res.usage).toEqual({ input: 464, cache: 1536, cache_write: 0, output: 42, web_search: 0, searches: 0 });
    // 464 × $2.50/M + 1536 × $1.25/M + 42 × $10/M = $0.00116 + $0.00192 + $0.00042
    expect(costNanos(res.usage, gpt4o)).toBe(3_500_000);
  });

  it.each(["deepseek-cache", "deepseek-both"])("counts DeepSeek's prompt_cache_hit_tokens as cache tokens once (%s)", async (model) => {
    for (const onText of [undefined, () => {}]) {
      const res = await provider().call(request(model, { onText }));
      expect(res.usage).toEqual({ input: 464, cache: 1536, cache_write: 0, output: 42, web_search: 0, searches: 0 });
    }
  });

  it("counts the thinking tokens Gemini's compatible endpoint leaves out of completion_tokens as output, once though every chunk has usage", async () => {
    for (const onText of [undefined, () => {}]) {
      const res = await provider().call(request("gemini-thinking", { onText }));
      expect([res.content, res.usage]).toEqual(["1, 2", { input: 9, cache: 0, cache_write: 0, output: 96, web_search: 0, searches: 0 }]);
    }
  });

  it("streams text deltas and reads usage from the last chunk", async () => {
    let streamed = "";
    const deltas: string[] = [];
    const res = await provider().call(request("cached", { onText: (d) => (deltas.push(d), (streamed += d)) }));
    expect(streamed).toBe("cached answer");
    expect(deltas.length).toBeGreaterThan(1);
    expect(res.usage).toEqual({ input: 464, cache: 1536, cache_write: 0, output: 42, web_search: 0, searches: 0 });
  });

  it.each([false, true])("does the tool_calls round trip through the loop (streaming: %s)", async (streaming) => {
    const lookup = { name: "lookup", description: "Look up", parameters: { type: "object", properties: { q: { type: "string" } } } };
    const { host, executed } = fakeHost([lookup], { lookup: (c) => ({ result: `found ${String(c.arguments.q)}` }) });
    const { outcome: done, turns } = runLoop("openai:tools", '{"q":"flights"}', host, { streaming });
    const outcome = await done;
    expect(executed).toEqual([{ id: "call_abc", name: "lookup", arguments: { q: "flights" } }]);
    // the server answers only when the tool message matches its call id
    expect(outcome).toEqual({ kind: "completed", output: "tool said: found flights" });
    expect(turns.map((t) => t.usage)).toEqual([
      { input: 300, cache: 0, cache_write: 0, output: 25, web_search: 0, searches: 0 },
      { input: 144, cache: 256, cache_write: 0, output: 9, web_search: 0, searches: 0 },
    ]);
    // 300 × 2.5 + 25 × 10 = 1000 micro-USD·M⁻¹ → 1,000,000 nano; 144 × 2.5 + 256 × 1.25 + 9 × 10 = 770 → 770,000
    expect(turns.map((t) => t.cost_nanos)).toEqual([1_000_000, 770_000]);
  });

  it("tells streamed tool calls apart by their ids when the server sends no index, as Gemini's endpoint does", async () => {
    const lookup = { name: "lookup", description: "Look up", parameters: { type: "object", properties: { q: { type: "string" } } } };
    const { host, executed } = fakeHost([lookup], { lookup: (c) => ({ result: `found ${String(c.arguments.q)}` }) });
    const { outcome } = runLoop("openai:no-index", "look up a and b", host, { streaming: true });
    expect(await outcome).toEqual({ kind: "completed", output: "function-call-1=found a function-call-2=found b" });
    expect(executed).toEqual([
      { id: "function-call-1", name: "lookup", arguments: { q: "a" } },
      { id: "function-call-2", name: "lookup", arguments: { q: "b" } },
    ]);
  });

  it.each([false, true])("does not run a call whose arguments are not JSON, and tells the model (streaming: %s)", async (streaming) => {
    const lookup = { name: "lookup", description: "Look up", parameters: { type: "object", properties: { q: { type: "string" } } } };
    const { host, executed } = fakeHost([lookup], { lookup: () => ({ result: "looked up" }) });
    const { outcome: done, turns } = runLoop("openai:bad-arguments", "look it up", host, { streaming });
    const outcome = await done;
    expect(executed).toEqual([]);
    const error = 'the arguments are not a JSON object, so the tool was not run: "{\\"q\\": \\"fli"';
    expect(turns[0].tool_calls).toEqual([{ id: "call_cut", name: "lookup", arguments: {}, invalid_arguments: '{"q": "fli' }]);
    expect(turns[0].tool_results[0]).toMatchObject({ result: `error: ${error}`, error });
    expect(outcome).toEqual({ kind: "completed", output: `tool said: error: ${error}` });
  });

  it.each([false, true])("fails the run when the answer is cut off at the token limit, keeping the turn (streaming: %s)", async (streaming) => {
    const { outcome: run, turns } = runLoop("openai:cut-off", "list the risks", fakeHost([], {}).host, { streaming });
    const e = await stepError(run);
    expect(e.transient).toBe(false);
    expect(e.message).toContain('cut off at its output token limit (finish_reason "length") after 16 output tokens');
    expect(turns[0]).toMatchObject({ content: "The three risks are: first, the", cut_off: 'finish_reason "length"', usage: { output: 16 } });
    // resumed from its stored turns, it fails the same way rather than taking the cut answer
    const again = runLoop("openai:cut-off", "x", fakeHost([], {}).host, { turns });
    expect((await stepError(again.outcome)).message).toContain("cut off");
  });

  it.each([false, true])("fails the run when the provider's content filter withholds the answer, keeping the turn (streaming: %s)", async (streaming) => {
    const { outcome: run, turns } = runLoop("openai:content-filter", "write it", fakeHost([], {}).host, { streaming });
    const e = await stepError(run);
    expect(e.transient).toBe(false);
    expect(e.message).toBe('the provider stopped the model\'s answer (finish_reason "content_filter"), so it is not taken as the step\'s output; turn 1 of the trace holds what it wrote');
    expect(turns[0]).toMatchObject({ content: "", refused: 'finish_reason "content_filter"', usage: { input: 50, output: 3 } });
  });

  it("reads a plain answer to a streamed request, as a server that ignores `stream` sends", async () => {
    const deltas: string[] = [];
    const res = await provider().call(request("ignores-stream", { onText: (d) => void deltas.push(d) }));
    expect([res.content, deltas]).toEqual(["whole answer", ["whole answer"]]);
  });

  it("treats 429 as transient and honours retry-after", async () => {
    const e = await stepError(provider().call(request("rate-limit")));
    expect(e.transient).toBe(true);
    expect(e.retryAfterMs).toBe(7000);
    expect(e.message).toContain("Rate limit reached");
  });

  it("prefers OpenAI's retry-after-ms, which is finer, to retry-after", async () => {
    const e = await stepError(provider().call(request("rate-limit-ms")));
    expect([e.transient, e.retryAfterMs]).toEqual([true, 1500]);
  });

  it("treats a 429 for an exhausted quota as permanent: waiting does not add credit", async () => {
    const e = await stepError(provider().call(request("no-quota")));
    expect([e.transient, e.message]).toEqual([false, "openai: HTTP 429: You exceeded your current quota, please check your plan and billing details."]);
  });

  it("treats 5xx as transient", async () => {
    const e = await stepError(provider().call(request("server-error")));
    expect([e.transient, e.message]).toEqual([true, "openai: HTTP 500: The server had an error"]);
  });

  it("treats other 4xx as permanent", async () => {
    expect((await stepError(provider().call(request("bad-request")))).transient).toBe(false);
    const wrongKey = createOpenAIProvider({ apiKey: "nope", baseUrl: local(servers().openai, "/v1") });
    const e = await stepError(wrongKey.call(request("echo")));
    expect([e.transient, e.message]).toEqual([false, "openai: HTTP 401: Incorrect API key provided"]);
  });

  it("names an error sent in the middle of a stream, permanent or transient as its status would be", async () => {
    const stream = (model: string) => provider().call(request(model, { onText: () => {} }));
    const tooLong = await stepError(stream("stream-error"));
    expect([tooLong.transient, tooLong.message]).toEqual([false, "openai: error in the stream: This model's maximum context length is 8192 tokens (BadRequestError, 400)"]);
    const overloaded = await stepError(stream("stream-overloaded"));
    expect([overloaded.transient, overloaded.message]).toEqual([true, "openai: error in the stream: The server had an error while processing your request (server_error)"]);
    // a choice ended by an error is never an answer, even a partial one
    const finished = await stepError(stream("stream-finish-error"));
    expect([finished.transient, finished.message]).toEqual([true, "openai: the stream ended its answer with an error"]);
    // what the stream said the failed answer used, read after the error, as it is billed
    expect(finished.spent).toEqual({ input: 1000, cache: 0, cache_write: 0, output: 40, web_search: 0, searches: 0 });
  });

  it("keeps a turn marked failed for an answer the provider failed after saying what it used, so its tokens and cost count", async () => {
    const { outcome, turns } = runLoop("openai:stream-finish-error", "write it", fakeHost([], {}).host, { streaming: true });
    await expect(outcome).rejects.toThrow("openai: the stream ended its answer with an error");
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ turn_no: 1, content: "", tool_calls: [], failed: "openai: the stream ended its answer with an error" });
    expect(turns[0].usage).toEqual({ input: 1000, cache: 0, cache_write: 0, output: 40, web_search: 0, searches: 0 });
    // 1000 × 2.5 + 40 × 10 = 2900 micro-USD·M⁻¹
    expect(turns[0].cost_nanos).toBe(2_900_000);
    // a run that goes on from those turns (a restart before the run was marked failed) fails as it did, sending nothing
    const again = runLoop("openai:stream-finish-error", "write it", fakeHost([], {}).host, { turns: [...turns] });
    await expect(again.outcome).rejects.toThrow("openai: the stream ended its answer with an error");
    expect(again.turns).toHaveLength(1);
  });

  it("reads an answer, streamed or not, only up to its byte limit, and fails the run for good past it", async () => {
    const small = createOpenAIProvider({ apiKey: OPENAI_KEY, baseUrl: local(servers().openai, "/v1"), maxAnswerBytes: 1024 * 1024 });
    for (const onText of [undefined, () => {}]) {
      const e = await stepError(small.call(request("huge", { onText })));
      expect([e.transient, e.message]).toEqual([false, "openai: the answer passed 1048576 bytes, so it was not read on"]);
    }
    // the default (32 MB) is far above the longest answers
    expect((await provider().call(request("huge"))).content).toHaveLength(2 * 1024 * 1024);
  });

  it("names the message of an error body whose other fields come first, past 500 characters", async () => {
    const e = await stepError(provider().call(request("long-error")));
    expect([e.transient, e.message]).toEqual([false, "openai: HTTP 400: Invalid value for 'messages'"]);
  });

  it("treats malformed JSON as transient", async () => {
    const e = await stepError(provider().call(request("malformed")));
    expect([e.transient, e.message]).toEqual([true, "openai: malformed JSON in the response"]);
  });

  it("times out a hung request as transient", async () => {
    const t0 = Date.now();
    const e = await stepError(provider(300).call(request("hang")));
    expect([e.transient, e.message]).toEqual([true, "openai: nothing received for 300 ms"]);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("lets a stream that keeps sending run past the time limit", async () => {
    const res = await provider(500).call(request("slow-stream", { onText: () => {} }));
    expect(res.content).toBe("a slow but steady stream of text");
  });

  it("treats a refused connection as transient", async () => {
    const e = await stepError(createOpenAIProvider({ apiKey: OPENAI_KEY, baseUrl: "http://127.0.0.1:1/v1" }).call(request("echo")));
    expect(e.transient).toBe(true);
    expect(e.message).toMatch(/^openai: network error/);
  });

  it("re-throws the caller's abort reason", async () => {
    const ac = new AbortController();
    const pending = provider().call(request("hang", { signal: ac.signal }));
    ac.abort(new Error("cancelled by a person"));
    await expect(pending).rejects.toThrow("cancelled by a person");
  });

  it("fails at once, sending the prompt nowhere, when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set", async () => {
    const e = await stepError(providerFor("openai:gpt-4o-mini", {}).call(request("gpt-4o-mini")));
    expect([e.transient, e.message]).toEqual([false, "openai: OPENAI_API_KEY is not set (nor OPENAI_BASE_URL, for a compatible server that needs no key)"]);
    // a compatible server of one's own may need no key: the request goes to it
    const keyless = await stepError(providerFor("openai:echo", { OPENAI_BASE_URL: local(servers().openai, "/v1") }).call(request("echo")));
    expect(keyless.message).toBe("openai: HTTP 401: Incorrect API key provided");
  });

  it("is chosen by providerFor with the base URL and key from the environment", async () => {
    const p = providerFor("openai:echo", { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: local(servers().openai, "/v1") });
    expect((await p.call(request("echo"))).content).toBe("echo: hi");
  });
});
