import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ANTHROPIC_KEY } from "../fake-servers/anthropic";
import { OPENAI_KEY } from "../fake-servers/openai";
import { api, createTask, expectError, makeOrg, tokenWithRole, until, waitForStatus } from "../helpers";

const usd = (t: { input: number; cache: number; output: number; web_search: number }, searches: number, p: { input: number; cache: number; output: number; web_search: number; per_search: number }) =>
  (t.input * p.input + t.cache * p.cache + t.output * p.output + t.web_search * p.web_search) / 1e6 + searches * p.per_search;

describe("pricing and cost", () => {
  it("lists editable defaults, and an organization price overrides them", async () => {
    const list = (await api("GET", "/pricing")).json.items;
    expect(list.find((p: { model: string }) => p.model === "sim")).toMatchObject({ source: "default" });
    expect(list.some((p: { model: string }) => p.model.startsWith("openai:"))).toBe(true);
    expectError(await api("PUT", "/pricing/sim", { body: { input: -1, cache: 0, output: 0 } }), 400);
    expectError(await api("PUT", "/pricing/gpt", { body: { input: 1, cache: 0, output: 0 } }), 400);
    // kept exactly in micro-dollars: a finer price is refused, not rounded (to 0 below a micro-dollar), and changes nothing
    const fine = await api("PUT", "/pricing/openai:fine", { body: { input: 0.0000001, cache: 0, output: 0.1234567, per_search: 0.01 } });
    expectError(fine, 400, "bad_request");
    expect(fine.json.error.details.map((d: { path: string }) => d.path)).toEqual(["input", "output"]);
    expect((await api("GET", "/pricing")).json.items.some((p: { model: string }) => p.model === "openai:fine")).toBe(false);
    expect((await api("PUT", "/pricing/openai:fine", { body: { input: 4.1, cache: 0.000001, output: 99999.999999, per_search: 0.035 } })).json).toMatchObject({
      input: 4.1, cache: 0.000001, output: 99999.999999, per_search: 0.035,
    });
    const member = await tokenWithRole("member");
    expectError(await api("PUT", "/pricing/sim", { token: member, body: { input: 1, cache: 0, output: 0 } }), 403);
    expectError(await api("DELETE", "/pricing/openai:nothing-set"), 404);
  });

  describe("with Anthropic's cache writes", () => {
    const saved = { key: env.ANTHROPIC_API_KEY, url: env.ANTHROPIC_BASE_URL };
    afterEach(() => Object.assign(env, { ANTHROPIC_API_KEY: saved.key, ANTHROPIC_BASE_URL: saved.url }));

    it("the trace counts the tokens written to the cache, so its cost can be worked out from its tokens", async () => {
      Object.assign(env, { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: `http://127.0.0.1:${inject("fakeServers").anthropic}` });
      const price = { input: 3, cache: 0.3, cache_write: 3.75, output: 15, web_search: 0, per_search: 0 };
      await api("PUT", "/pricing/anthropic:tools", { body: price });
      await api("POST", "/agents", { body: { name: "cache-writer", model: "anthropic:tools", tools: ["ask_human"] } });
      // a tool turn (50 in, 700 written, 30 out), then the answer (20 in, 700 read, 60 written, 12 out)
      const task = await waitForStatus((await createTask({ agent: "cache-writer", title: "cache writes", description: '{"question": "?"}' })).id, ["needs_input"]);
      await api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: task.pending[0].call_id, answers: ["yes"] } });
      const done = await waitForStatus(task.id, ["completed"]);
      const trace = (await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`)).json;
      expect(trace.tokens).toEqual({ input: 70, cache: 700, cache_write: 760, output: 42, web_search: 0 });
      const t = trace.tokens;
      expect(trace.cost).toBeCloseTo((t.input * price.input + t.cache * price.cache + t.cache_write * price.cache_write + t.output * price.output) / 1e6, 12);
      expect(done.cost).toBe(trace.cost);
      // the detail's task, step and run, and the list item, count them too: their costs add up from what they show
      const tokens = { input: 70, cache: 700, cache_write: 760, output: 42, web_search: 0 };
      expect([done.tokens, done.steps[0].tokens, done.steps[0].runs[0].tokens]).toEqual([tokens, tokens, tokens]);
      const listed = (await api("GET", "/tasks?agent=cache-writer&limit=100")).json.items.find((x: { id: string }) => x.id === task.id);
      expect(listed.tokens).toEqual(tokens);
      // and so does the spend ledger, written with the index row: the report's tokens are the task's
      await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(task.id)).settled();
      const spent = (await api("GET", "/spend?group=agent")).json.items.find((i: { key: string }) => i.key === "cache-writer");
      expect(spent).toMatchObject({ tokens, tasks: 1 });
      expect(spent.cost).toBeCloseTo(done.cost, 12);
      expect((await api("DELETE", "/pricing/anthropic:tools")).status).toBe(204);
    });
  });

  describe("with a dated snapshot of a model the organization prices", () => {
    const saved = { key: env.ANTHROPIC_API_KEY, url: env.ANTHROPIC_BASE_URL };
    afterEach(() => Object.assign(env, { ANTHROPIC_API_KEY: saved.key, ANTHROPIC_BASE_URL: saved.url }));

    it("prices its runs at the organization's price for its family, not at the built-in default", async () => {
      Object.assign(env, { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: `http://127.0.0.1:${inject("fakeServers").anthropic}` });
      const token = await makeOrg(`org_snapshot_${crypto.randomUUID().slice(0, 8)}`);
      const price = { input: 1, cache: 0.1, cache_write: 1.25, output: 2, web_search: 0, per_search: 0 };
      expect((await api("PUT", "/pricing/anthropic:claude-sonnet-4", { token, body: price })).status).toBe(200);
      await api("POST", "/agents", { token, body: { name: "dated", model: "anthropic:claude-sonnet-4-20250514" } });
      // two tasks: the first reads its prices in the batch that creates it, the second's run reads them again
      for (const title of ["negotiated", "negotiated again"]) {
        const created = await api("POST", "/tasks", { token, body: { agent: "dated", title, description: "hello" } });
        expect(created.status, created.text).toBe(201);
        let d = created.json;
        for (const deadline = Date.now() + 10_000; d.status !== "completed" && Date.now() < deadline; d = (await api("GET", `/tasks/${d.id}`, { token })).json) await new Promise((r) => setTimeout(r, 20));
        expect(d.tokens).toMatchObject({ input: 100, output: 8 });
        expect(d.cost).toBeCloseTo((100 * price.input + 8 * price.output) / 1e6, 12);
      }
      // nor is it listed as a model nothing prices
      expect((await api("GET", "/pricing?limit=100", { token })).json.items.some((p: { source: string }) => p.source === "none")).toBe(false);
    });
  });

  describe("with a provider that fails an answer after saying what it used", () => {
    const saved = { key: env.OPENAI_API_KEY, url: env.OPENAI_BASE_URL };
    afterEach(() => Object.assign(env, { OPENAI_API_KEY: saved.key, OPENAI_BASE_URL: saved.url }));

    it("counts each failed attempt's tokens and cost in its run, its trace and the task, and retries without it", async () => {
      Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${inject("fakeServers").openai}/v1` });
      const price = { input: 2, cache: 0.5, output: 8 };
      await api("PUT", "/pricing/openai:stream-finish-error", { body: price });
      await api("POST", "/agents", { body: { name: "ends-in-error", model: "openai:stream-finish-error" } });
      const plan = await api("POST", "/plans", { body: { name: "fails billed", steps: [{ id: "w", agent: "ends-in-error", instructions: "write", retry: { max_attempts: 2, backoff: { initial_ms: 10 } } }] } });
      const task = await waitForStatus((await api("POST", `/plans/${plan.json.id}/run`, { body: {} })).json.id, ["failed"]);
      // each attempt: 1000 in, 40 out, as the stream said after its error
      const each = { input: 1000, cache: 0, cache_write: 0, output: 40, web_search: 0 };
      const cost = (1000 * price.input + 40 * price.output) / 1e6;
      expect(task.steps[0].runs.map((r: { tokens: unknown; cost: number }) => [r.tokens, r.cost])).toEqual([[each, cost], [each, cost]]);
      expect(task.tokens).toEqual({ ...each, input: 2000, output: 80 });
      expect(task.cost).toBeCloseTo(2 * cost, 12);
      for (const runNo of [1, 2]) {
        const trace = (await api("GET", `/tasks/${task.id}/steps/w/runs/${runNo}/trace`)).json;
        // the retry does not carry the failed answer: each run's trace holds its own, and its tokens add up to the run's
        expect(trace.turns.map((t: { turn_no: number; failed?: string; carried_from?: number }) => [t.turn_no, t.failed, t.carried_from])).toEqual([[1, "openai: the stream ended its answer with an error", undefined]]);
        expect(trace.tokens).toEqual(each);
      }
      expect((await api("DELETE", "/pricing/openai:stream-finish-error")).status).toBe(204);
    });
  });

  it("lists a model an agent uses that nothing prices as source none, until the organization prices it", async () => {
    const token = await makeOrg("org_unpriced");
    const listed = async () => (await api("GET", "/pricing?limit=100", { token })).json.items as { model: string; source: string; input: number; output: number }[];
    for (const [name, model] of [["novel", "openai:gpt-9-preview"], ["dated", "anthropic:claude-sonnet-4-20250514"], ["also-novel", "openai:gpt-9-preview"]]) {
      expect((await api("POST", "/agents", { token, body: { name, model } })).status).toBe(201);
    }
    const unpriced = (await listed()).filter((p) => p.source === "none");
    // a dated snapshot takes its family's default; a model nothing prices is listed once, at zero
    expect(unpriced).toEqual([expect.objectContaining({ model: "openai:gpt-9-preview", input: 0, output: 0 })]);
    expect((await listed()).some((p) => p.model === "anthropic:claude-sonnet-4-20250514")).toBe(false);
    expect((await api("PUT", "/pricing/openai:gpt-9-preview", { token, body: { input: 3, cache: 0.3, output: 12 } })).status).toBe(200);
    expect((await listed()).filter((p) => p.model === "openai:gpt-9-preview")).toEqual([expect.objectContaining({ source: "organization", input: 3 })]);
    // another organization's agents say nothing here
    expect((await api("GET", "/pricing?limit=100")).json.items.some((p: { model: string }) => p.model === "openai:gpt-9-preview")).toBe(false);
  });

  it("computes cost exactly from tokens with the price in force when the run started, and keeps it", async () => {
    const p1 = { input: 1, cache: 0.5, output: 2, web_search: 3, per_search: 0.01 };
    expect((await api("PUT", "/pricing/sim", { body: p1 })).json).toMatchObject({ ...p1, source: "organization" });
    const first = await waitForStatus((await createTask({ agent: "researcher", title: "priced", description: "@search otters\n@output done" })).id, ["completed"]);
    expect(first.searches).toBe(1);
    expect(first.tokens.web_search).toBeGreaterThan(0);
    expect(first.cost).toBeCloseTo(usd(first.tokens, first.searches, p1), 12);

    const p2 = { input: 10, cache: 5, output: 20, web_search: 30, per_search: 0.1 };
    await api("PUT", "/pricing/sim", { body: p2 });
    const again = (await api("GET", `/tasks/${first.id}`)).json;
    expect(again.cost).toBe(first.cost);
    const second = await waitForStatus((await createTask({ agent: "researcher", title: "priced 2", description: "@search otters\n@output done" })).id, ["completed"]);
    expect(second.cost).toBeCloseTo(usd(second.tokens, second.searches, p2), 12);
    expect((await api("DELETE", "/pricing/sim")).status).toBe(204);
  });

  it("a price changed while a task runs is in force for its every run that starts after the change answered", async () => {
    const plain = (n: number) => ({ input: n, cache: n, output: n, web_search: 0, per_search: 0 });
    await api("PUT", "/pricing/sim", { body: plain(1) });
    const steps = [{ id: "a", agent: "researcher", instructions: "@ask go?\n@output a" }, { id: "b", agent: "researcher", depends_on: ["a"], instructions: "@output b" }];
    const plan = (await api("POST", "/plans", { body: { name: "repriced", steps } })).json;
    const task = (await api("POST", `/plans/${plan.id}/run`, { body: { inputs: {} } })).json;
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    // the task object has read the old price a moment ago; the change answers only once no copy of it is trusted
    expect((await api("PUT", "/pricing/sim", { body: plain(1000) })).status).toBe(200);
    await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["yes"] } });
    const done = await waitForStatus(task.id, ["completed"]);
    const [a, b] = done.steps;
    expect(a.cost).toBeCloseTo(usd(a.tokens, 0, plain(1)), 12);
    expect(b.cost).toBeCloseTo(usd(b.tokens, 0, plain(1000)), 12);
    expect(b.cost).toBeGreaterThan(0);
    expect((await api("DELETE", "/pricing/sim")).status).toBe(204);
  });
});

describe("budgets", () => {
  it("asks to raise or stop before a turn could pass the task's budget, and continues when raised", async () => {
    const task = await createTask({ agent: "researcher", title: "budgeted", description: "@search a\n@search b\n@output done", max_cost: 0.0000001 });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    const [q] = waiting.pending;
    expect(q).toMatchObject({ kind: "budget", step: "main" });
    // below a millionth of a dollar, with the digits it needs: six decimals alone read $0.000000
    expect(q.question).toContain("could pass the task's budget (spent $0.000000 of $0.0000001, next turn up to $");
    // the budget shows with the task, as it was set and as a raise leaves it
    expect(waiting.max_cost).toBe(0.0000001);
    const path = `/sessions/${waiting.session_id}/respond`;
    expectError(await api("POST", path, { body: { call_id: q.call_id, answers: ["raise", "-1"] } }), 422);
    expectError(await api("POST", path, { body: { call_id: q.call_id, answers: ["maybe"] } }), 422);
    // held to the bound a task's max_cost has: 1e300 USD overflowed to no budget at all
    for (const huge of ["1000001", "1e300"]) expectError(await api("POST", path, { body: { call_id: q.call_id, answers: ["raise", huge] } }), 422);
    // only ["stop"] stops: an answer with more in it is refused and the task still waits; an amount is a decimal number
    expectError(await api("POST", path, { body: { call_id: q.call_id, answers: ["stop", "no, go on"] } }), 422);
    for (const odd of ["0x10", "Infinity"]) expectError(await api("POST", path, { body: { call_id: q.call_id, answers: ["raise", odd] } }), 422);
    // a blank answer is no answer, a budget question's as any other's
    expectError(await api("POST", path, { body: { call_id: q.call_id, answers: ["raise", ""] } }), 400);
    expect((await api("GET", `/tasks/${task.id}`)).json.status).toBe("needs_input");
    expect((await api("POST", path, { body: { call_id: q.call_id, answers: ["raise", "10"] } })).status).toBe(200);
    const done = await waitForStatus(task.id, ["completed"]);
    expect(done.cost).toBeLessThan(10);
    expect(done.output).toBe("done");
    expect(done.max_cost).toBe(10);
    expect((await waitForStatus((await createTask({ agent: "researcher", title: "unbudgeted", description: "@output x" })).id, ["completed"])).max_cost).toBeNull();
  });

  it("a raise answers every step paused at the budget, not only the one whose question it answers; each question says what the task spent", async () => {
    const plan = await api("POST", "/plans", { body: { name: "budgeted loop", steps: [
      { id: "list", agent: "researcher", instructions: "@output [1,2,3]" },
      { id: "each", kind: "loop", over: "list", body: [{ id: "w", agent: "researcher", instructions: "@output {{item}}" }] },
    ] } });
    expect(plan.status, JSON.stringify(plan.json)).toBe(201);
    // room for the list's turn, not for another after it; each first turn counts a search's fee, as the agent may search
    const perSearch = (await api("GET", "/pricing")).json.items.find((p: { model: string }) => p.model === "sim").per_search;
    const budget = 0.00025 + perSearch;
    const shown = `$${budget.toFixed(6)}`;
    const task = (await api("POST", `/plans/${plan.json.id}/run`, { body: { max_cost: budget } })).json;
    const waiting = await until("every iteration asks", async () => (await api("GET", `/tasks/${task.id}`)).json, (d) => d.pending.length === 3);
    expect(waiting.pending.map((p: { step: string }) => p.step).sort()).toEqual(["each[0].w", "each[1].w", "each[2].w"]);
    const spent = `$${waiting.cost.toFixed(6)}`;
    expect(waiting.cost).toBeGreaterThan(0);
    for (const p of waiting.pending) expect(p.question).toContain(`could pass the task's budget (spent ${spent} of ${shown}, next turn up to $`);
    // above what is spent but not above the budget reached, a raise would change nothing and only ask again: refused
    for (const amount of [((waiting.cost + budget) / 2).toFixed(9), String(budget)]) {
      const low = await api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: waiting.pending[1].call_id, answers: ["raise", amount] } });
      expectError(low, 422);
      expect(low.json.error.message).toContain(`above the budget this step reached (${shown})`);
    }
    expect((await api("GET", `/tasks/${task.id}`)).json).toMatchObject({ status: "needs_input", max_cost: budget });
    const res = await api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: waiting.pending[1].call_id, answers: ["raise", "1"] } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const done = await waitForStatus(task.id, ["completed", "needs_input"]);
    expect(done).toMatchObject({ status: "completed", pending: [], max_cost: 1 });
    expect(done.steps[1].output).toBe('["1","2","3"]');
    // the questions it answered are answered: none can be answered again
    expectError(await api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["stop"] } }), 409);
  });

  it("stops the task when told to", async () => {
    const task = await createTask({ agent: "researcher", title: "budget stop", description: "@output x", max_cost: 0.0000001 });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    const res = await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["stop"] } });
    expect(res.status).toBe(200);
    const done = await waitForStatus(task.id, ["cancelled"]);
    expect(done.cost).toBeLessThanOrEqual(0.0000001);
  });

  it("counts a search's fee in a first turn that may search: a budget below it asks before any turn, rather than being spent twice over", async () => {
    await api("POST", "/agents", { body: { name: "searcher", model: "sim", tools: ["web_search"] } });
    const perSearch = (await api("GET", "/pricing")).json.items.find((p: { model: string }) => p.model === "sim").per_search;
    expect(perSearch).toBeGreaterThan(0);
    const task = await createTask({ agent: "searcher", title: "search budget", description: "@search one\n@output done", max_cost: perSearch / 2 });
    const waiting = await waitForStatus(task.id, ["needs_input", "completed"]);
    expect(waiting).toMatchObject({ status: "needs_input", cost: 0 });
    expect(waiting.pending[0].question).toContain("spent $0.000000 of $");
  });

  it("the offline model's web_search called as a tool (`@tool web_search`) gets offline results and counts a search, as its own searches do", async () => {
    await api("POST", "/agents", { body: { name: "tool-searcher", model: "sim", tools: ["web_search"] } });
    const done = await waitForStatus((await createTask({ agent: "tool-searcher", title: "tool search", description: '@tool web_search {"query": "otters"}\n@output done' })).id, ["completed", "failed"]);
    expect(done).toMatchObject({ status: "completed", searches: 1 });
    const trace = (await api("GET", `/tasks/${done.id}/steps/main/runs/1/trace`)).json;
    expect(trace.turns[0].tool_results[0]).toMatchObject({ result: expect.stringContaining('Offline result 1 for \\"otters\\"') });
    expect(trace.turns[0].tool_results[0].error ?? null).toBeNull();
  });

  it("applies an agent's max_cost too", async () => {
    await api("POST", "/agents", { body: { name: "frugal", model: "sim", max_cost: 0.0000001 } });
    const task = await createTask({ agent: "frugal", title: "agent budget", description: "@output x" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    expect(waiting.pending[0].kind).toBe("budget");
    expect(waiting.pending[0].question).toContain("could pass agent frugal's budget");
  });

  it("a raise past an agent's budget raises that agent's, and neither lowers the task's budget nor gives it one", async () => {
    await api("POST", "/agents", { body: { name: "thrifty", model: "sim", max_cost: 0.0000001 } });
    for (const max_cost of [5, undefined]) {
      const task = await createTask({ agent: "thrifty", title: "agent budget raised", description: "@output x", ...(max_cost === undefined ? {} : { max_cost }) });
      const waiting = await waitForStatus(task.id, ["needs_input"]);
      const res = await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["raise", "1"] } });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      const done = await waitForStatus(task.id, ["completed", "needs_input"]);
      expect(done).toMatchObject({ status: "completed", output: "x", max_cost: max_cost ?? null });
    }
  });
});
