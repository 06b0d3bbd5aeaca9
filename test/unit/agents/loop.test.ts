import { describe, expect, it } from "vitest";
import { answerPending, runAgentLoop, toolCallLimit } from "../../../worker/agents/loop";
import { simPrice, simProvider } from "../../../worker/agents/providers/sim";
import { createToolHost } from "../../../worker/agents/tools";
import { type Message, type Provider, StepError, type ToolSpec, zeroUsage } from "../../../worker/agents/types";
import { webSearchSpec } from "../../../worker/agents/tools/web-search";
import { agent, clock, countingProvider, fakeHost, tok, turnStore } from "./loop-helpers";

const lookup: ToolSpec = { name: "lookup", description: "Look up", parameters: { type: "object" } };
const TOOLS = '[{"name":"lookup","description":"Look up","parameters":{"type":"object"}}]';
const ASK_SPEC =
  '[{"name":"ask_human","description":"Ask the person overseeing this task a question and wait for the answer.","parameters":{"type":"object","properties":{"question":{"type":"string","description":"one clear question"}},"required":["question"]}}]';
const SYS = '{"role":"system","content":"Be brief."}';
/** sim price: micro-USD per 1M tokens → nano-USD = tokens × micro / 1000 */
const simCost = (u: { input: number; cache: number; output: number; web_search?: number; searches?: number }) =>
  Math.round((u.input * 100_000 + u.cache * 10_000 + u.output * 400_000 + (u.web_search ?? 0) * 100_000) / 1000) + (u.searches ?? 0) * 1_000_000;

const base = () => ({ runNo: 1, price: simPrice, checkBudget: () => true, signal: new AbortController().signal, now: clock() });

describe("agent loop", () => {
  it("runs tool turns to a final answer, saving each turn with exact tokens and cost", async () => {
    const { host, executed } = fakeHost([lookup], { lookup: () => ({ result: "42" }) });
    const store = turnStore();
    const instructions = '@tool lookup {"q":1}\n@output the answer is 42';
    const outcome = await runAgentLoop({ ...base(), agent: agent(), instructions, turns: [], provider: simProvider, tools: host, saveTurn: store.save });
    expect(outcome).toEqual({ kind: "completed", output: "the answer is 42" });
    expect(executed.map((c) => c.name)).toEqual(["lookup"]);

    const [t1, t2] = store.load();
    const user = '{"role":"user","content":"@tool lookup {\\"q\\":1}\\n@output the answer is 42"}';
    const call = '[{"id":"sim_call_1","name":"lookup","arguments":{"q":1}}]';
    expect(t1.sent).toEqual([{ role: "system", content: "Be brief." }, { role: "user", content: instructions }]);
    expect(t1.tool_results).toEqual([{ call_id: "sim_call_1", name: "lookup", result: "42", finished_at: 1030 }]);
    const u1 = { input: tok(TOOLS, SYS, user), cache: 0, cache_write: 0, output: tok(call), web_search: 0, searches: 0 };
    expect(t1.usage).toEqual(u1);
    expect(t1.cost_nanos).toBe(simCost(u1));
    expect([t1.started_at, t1.finished_at]).toEqual([1010, 1020]);

    const total2 = tok(TOOLS, SYS, user, `{"role":"assistant","content":"","tool_calls":${call}}`, '{"role":"tool","tool_call_id":"sim_call_1","name":"lookup","content":"42"}');
    const cache2 = tok(TOOLS, SYS, user);
    const u2 = { input: total2 - cache2, cache: cache2, cache_write: 0, output: tok("the answer is 42"), web_search: 0, searches: 0 };
    expect(t2).toMatchObject({ turn_no: 2, sent: [], content: "the answer is 42", tool_calls: [], tool_results: [], usage: u2 });
    expect(t2.cost_nanos).toBe(simCost(u2));
    // by hand: turn 1 sends 74 + 39 + 76 bytes (48 tokens) and returns 57; turn 2 sends 367 bytes (92), 48 of them cached
    expect([u1.input, u1.output, u2.input, u2.cache, u2.output]).toEqual([48, 15, 44, 48, 4]);
    // $0.10/M in, $0.01/M cached, $0.40/M out: 4800 + 6000 nano-USD, then 4400 + 480 + 1600
    expect(t1.cost_nanos + t2.cost_nanos).toBe(10_800 + 6_480);
  });

  it("resumes after a crash without repeating a finished tool call", async () => {
    const { host, executed } = fakeHost([lookup], { lookup: (c) => ({ result: `r${String(c.arguments.n)}` }) });
    const store = turnStore();
    const instructions = '@tool lookup {"n":1}\n@tool lookup {"n":2}\n@output done';
    let saves = 0;
    const crashing = (t: Parameters<typeof store.save>[0]) => {
      store.save(t);
      // crash right after turn 2 is stored, before its tool call runs
      if (++saves === 3) throw new Error("evicted");
    };
    await expect(runAgentLoop({ ...base(), agent: agent(), instructions, turns: [], provider: simProvider, tools: host, saveTurn: crashing })).rejects.toThrow("evicted");
    expect(executed.map((c) => c.arguments.n)).toEqual([1]);
    expect(store.load().map((t) => t.tool_results[0].result)).toEqual(["r1", null]);

    const { provider, counter } = countingProvider(simProvider);
    const outcome = await runAgentLoop({ ...base(), agent: agent(), instructions, turns: store.load(), provider, tools: host, saveTurn: store.save });
    expect(outcome).toEqual({ kind: "completed", output: "done" });
    expect(executed.map((c) => c.arguments.n)).toEqual([1, 2]);
    expect(counter.calls).toBe(1); // only turn 3
    expect(store.load().map((t) => t.turn_no)).toEqual([1, 2, 3]);
  });

  it("returns a stored final answer without calling the model again", async () => {
    const store = turnStore();
    const { host } = fakeHost([], {});
    await runAgentLoop({ ...base(), agent: agent(), instructions: "@output hi", turns: [], provider: simProvider, tools: host, saveTurn: store.save });
    const { provider, counter } = countingProvider(simProvider);
    const again = await runAgentLoop({ ...base(), agent: agent(), instructions: "@output hi", turns: store.load(), provider, tools: host, saveTurn: store.save });
    expect(again).toEqual({ kind: "completed", output: "hi" });
    expect(counter.calls).toBe(0);
  });

  it("stops with a permanent error after max_turns, without running the last turn's tool calls", async () => {
    const { host, executed } = fakeHost([lookup], { lookup: () => ({ result: "x" }) });
    const store = turnStore();
    const err = await runAgentLoop({
      ...base(),
      agent: agent({ max_turns: 2 }),
      instructions: "@tool lookup {}\n@tool lookup {}\n@tool lookup {}",
      turns: [],
      provider: simProvider,
      tools: host,
      saveTurn: store.save,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).transient).toBe(false);
    expect(store.load()).toHaveLength(2);
    expect(executed).toHaveLength(1);
  });

  it("stops before a turn that could pass the budget, with the estimate", async () => {
    const { host } = fakeHost([lookup], { lookup: () => ({ result: "42" }) });
    const store = turnStore();
    const estimates: number[] = [];
    const outcome = await runAgentLoop({
      ...base(),
      agent: agent(),
      instructions: "@tool lookup {}\n@output done",
      turns: [],
      provider: simProvider,
      tools: host,
      saveTurn: store.save,
      checkBudget: (e) => (estimates.push(e()), estimates.length < 2),
    });
    const [t1] = store.load();
    expect(store.load()).toHaveLength(1);
    // the second turn's prompt as one JSON array, all priced as uncached input, plus turn 1's output
    const messages = JSON.stringify([
      { role: "system", content: "Be brief." },
      { role: "user", content: "@tool lookup {}\n@output done" },
      { role: "assistant", content: "", tool_calls: [{ id: "sim_call_1", name: "lookup", arguments: {} }] },
      { role: "tool", tool_call_id: "sim_call_1", name: "lookup", content: "42" },
    ]);
    const expected = Math.round(((tok(messages) + tok(TOOLS)) * 100_000 + t1.usage.output * 400_000) / 1000);
    expect(outcome).toEqual({ kind: "budget", spent_nanos: t1.cost_nanos, next_turn_estimate_nanos: expected });
    // first turn: no output seen yet, 500 tokens assumed
    const first = JSON.stringify([{ role: "system", content: "Be brief." }, { role: "user", content: "@tool lookup {}\n@output done" }]);
    expect(estimates[0]).toBe(Math.round(((tok(first) + tok(TOOLS)) * 100_000 + 500 * 400_000) / 1000));
  });

  it("suspends on ask_human and continues with the answer", async () => {
    const host = createToolHost({ env: {}, names: ["ask_human"] });
    const store = turnStore();
    const instructions = "@ask Which city?\n@output noted";
    const asked = await runAgentLoop({ ...base(), agent: agent(), instructions, turns: [], provider: simProvider, tools: host, saveTurn: store.save });
    expect(asked).toEqual({ kind: "ask", call_id: "sim_call_1", question: "Which city?" });
    expect(store.load()[0].tool_results).toEqual([{ call_id: "sim_call_1", name: "ask_human", result: null }]);

    // asking again before an answer repeats the question, nothing else
    const { provider, counter } = countingProvider(simProvider);
    expect(await runAgentLoop({ ...base(), agent: agent(), instructions, turns: store.load(), provider, tools: host, saveTurn: store.save })).toEqual(asked);
    expect(counter.calls).toBe(0);

    store.save(answerPending(store.load(), "sim_call_1", "Paris", 5_000));
    expect(store.load()[0].tool_results[0]).toEqual({ call_id: "sim_call_1", name: "ask_human", result: "Paris", finished_at: 5_000 });
    const done = await runAgentLoop({ ...base(), agent: agent(), instructions, turns: store.load(), provider: simProvider, tools: host, saveTurn: store.save });
    expect(done).toEqual({ kind: "completed", output: "noted" });
    const t2 = store.load()[1];
    const total = tok(
      ASK_SPEC,
      SYS,
      '{"role":"user","content":"@ask Which city?\\n@output noted"}',
      '{"role":"assistant","content":"","tool_calls":[{"id":"sim_call_1","name":"ask_human","arguments":{"question":"Which city?"}}]}',
      '{"role":"tool","tool_call_id":"sim_call_1","name":"ask_human","content":"Paris"}',
    );
    expect(t2.usage.cache).toBe(tok(ASK_SPEC, SYS, '{"role":"user","content":"@ask Which city?\\n@output noted"}'));
    expect(t2.usage.input + t2.usage.cache).toBe(total);
  });

  it("refuses to answer a call twice or a call that does not exist", async () => {
    const host = createToolHost({ env: {}, names: ["ask_human"] });
    const store = turnStore();
    await runAgentLoop({ ...base(), agent: agent(), instructions: "@ask Q?", turns: [], provider: simProvider, tools: host, saveTurn: store.save });
    expect(() => answerPending(store.load(), "nope", "x")).toThrow(StepError);
    store.save(answerPending(store.load(), "sim_call_1", "A"));
    expect(() => answerPending(store.load(), "sim_call_1", "B")).toThrow("already answered");
  });

  it("suspends on spawn_task with its arguments", async () => {
    const host = createToolHost({ env: {}, names: ["spawn_task"] });
    const store = turnStore();
    const outcome = await runAgentLoop({
      ...base(),
      agent: agent(),
      instructions: '@tool spawn_task {"title":"Sub","description":"do it","agent":"writer","wait":true}',
      turns: [],
      provider: simProvider,
      tools: host,
      saveTurn: store.save,
    });
    expect(outcome).toEqual({ kind: "spawn", call_id: "sim_call_1", call: "1/1/sim_call_1", args: { title: "Sub", description: "do it", agent: "writer", wait: true } });
  });

  it("records a native search turn and continues after it", async () => {
    const { host } = fakeHost([webSearchSpec], {});
    const store = turnStore();
    const outcome = await runAgentLoop({ ...base(), agent: agent({ system_prompt: "" }), instructions: "@search cats\n@output meow", turns: [], provider: simProvider, tools: host, saveTurn: store.save });
    expect(outcome).toEqual({ kind: "completed", output: "meow" });
    const [t1, t2] = store.load();
    expect(t1.sent).toEqual([{ role: "user", content: "@search cats\n@output meow" }]);
    expect(t1.paused).toBe(true);
    expect(t1.searches[0].query).toBe("cats");
    expect(t1.usage.searches).toBe(1);
    expect(t1.cost_nanos).toBe(simCost(t1.usage));
    expect(t1.cost_nanos).toBeGreaterThan(1_000_000); // one search is $0.001
    expect(t2.usage.cache).toBe(tok(JSON.stringify([webSearchSpec]), '{"role":"user","content":"@search cats\\n@output meow"}'));
  });

  it("gives tool failures back to the model and goes on", async () => {
    const host = createToolHost({ env: {}, names: ["web_search"] });
    const store = turnStore();
    const outcome = await runAgentLoop({ ...base(), agent: agent(), instructions: '@tool web_search {"q":"wrong key"}\n@tool nope {}\n@output ok', turns: [], provider: simProvider, tools: host, saveTurn: store.save });
    expect(outcome.kind).toBe("completed");
    const results = store.load().map((t) => t.tool_results[0]);
    expect(results[0]).toMatchObject({ result: 'error: "query" must be a non-empty string', error: '"query" must be a non-empty string' });
    expect(results[1]).toMatchObject({ result: "error: the tool nope is not available to this agent" });
  });

  it("propagates a provider's error and saves no turn for it", async () => {
    const { host } = fakeHost([], {});
    const store = turnStore();
    const err = await runAgentLoop({ ...base(), runNo: 1, agent: agent(), instructions: "@fail transient 1", turns: [], provider: simProvider, tools: host, saveTurn: store.save }).catch((e: unknown) => e);
    expect((err as StepError).transient).toBe(true);
    expect(store.saves()).toBe(0);
  });

  it("stops when aborted", async () => {
    const { host } = fakeHost([], {});
    const ac = new AbortController();
    const pending = runAgentLoop({ ...base(), signal: ac.signal, agent: agent(), instructions: "@delay 5000", turns: [], provider: simProvider, tools: host, saveTurn: () => {} });
    ac.abort(new StepError("cancelled", false));
    await expect(pending).rejects.toThrow("cancelled");
  });

  it("runs each of a turn's calls that share an id, or have none, and sends each its own result back", async () => {
    const { host, executed } = fakeHost([lookup], { lookup: (c) => ({ result: `r${String(c.arguments.n)}` }) });
    const store = turnStore();
    const seen: Message[][] = [];
    // a compatible server that names every call of a turn call_0, or leaves the id out
    const sameIds: Provider = {
      call: async (req) => {
        seen.push(req.messages);
        const usage = { ...zeroUsage(), input: 1, output: 1 };
        if (seen.length > 1) return { content: "done", tool_calls: [], usage, searches: [] };
        const ids = ["call_0", "call_0", "", ""];
        return { content: "", tool_calls: ids.map((id, n) => ({ id, name: "lookup", arguments: { n } })), usage, searches: [] };
      },
    };
    const outcome = await runAgentLoop({ ...base(), agent: agent(), instructions: "go", turns: [], provider: sameIds, tools: host, saveTurn: store.save });
    expect(outcome).toEqual({ kind: "completed", output: "done" });
    expect(executed.map((c) => c.arguments.n)).toEqual([0, 1, 2, 3]);
    const [t1] = store.load();
    const ids = t1.tool_calls.map((c) => c.id);
    expect(new Set(ids).size).toBe(4);
    expect(ids[0]).toBe("call_0");
    expect(t1.tool_results.map((r) => [r.call_id, r.result])).toEqual(ids.map((id, n) => [id, `r${n}`]));
    // the conversation sent back pairs each call with its own result
    const back = seen[1].filter((m) => m.role === "tool").map((m) => [m.tool_call_id, m.content]);
    expect(back).toEqual(ids.map((id, n) => [id, `r${n}`]));
  });

  it("streams the final text to onText", async () => {
    const { host } = fakeHost([], {});
    let text = "";
    await runAgentLoop({ ...base(), agent: agent(), instructions: "@output streamed", turns: [], provider: simProvider, tools: host, saveTurn: () => {}, onText: (d) => (text += d) });
    expect(text).toBe("streamed");
  });
});

describe("toolCallLimit", () => {
  it("is the agent's own bound where it sets one, never past the instance's", () => {
    expect(toolCallLimit({ max_tool_calls_per_turn: 3 }, 32)).toBe(3);
    expect(toolCallLimit({ max_tool_calls_per_turn: 40 }, 32)).toBe(32);
    expect(toolCallLimit({ max_tool_calls_per_turn: 8 }, 5)).toBe(5);
    expect(toolCallLimit({ max_tool_calls_per_turn: null }, 32)).toBe(32);
    // a task made before agents had the field keeps its snapshot without it
    expect(toolCallLimit({}, 10)).toBe(10);
  });
});
