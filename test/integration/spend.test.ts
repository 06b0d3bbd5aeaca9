import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectError, makeOrg, tokenWithRole } from "../helpers";

const today = () => new Date().toISOString().slice(0, 10);

async function org(settings: Record<string, unknown> = {}) {
  const id = `org_spend_${crypto.randomUUID().slice(0, 8)}`;
  const token = await makeOrg(id);
  await api("PUT", "/agents/researcher", { token, body: { name: "researcher", model: "sim", tools: ["ask_human", "web_search"] } });
  if (Object.keys(settings).length) expect((await api("PATCH", "/settings", { token, body: settings })).status).toBe(200);
  return { id, token };
}

async function run(token: string, body: Record<string, unknown>, statuses: string[]) {
  const res = await api("POST", "/tasks", { token, body });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const d = (await api("GET", `/tasks/${res.json.id}`, { token })).json;
    if (statuses.includes(d.status)) {
      await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(d.id)).settled();
      return (await api("GET", `/tasks/${d.id}`, { token })).json;
    }
    if (Date.now() > deadline) throw new Error(`task is ${d.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("spend report", () => {
  it("reports spend by day, agent and model from the tasks' runs", async () => {
    const o = await org();
    await api("POST", "/agents", { token: o.token, body: { name: "scribe", model: "sim" } });
    const a = await run(o.token, { agent: "researcher", title: "a", description: "@search otters\n@output a" }, ["completed"]);
    const b = await run(o.token, { agent: "scribe", title: "b", description: "@output b" }, ["completed"]);
    const total = a.cost + b.cost;
    expect(total).toBeGreaterThan(0);

    const byAgent = (await api("GET", "/spend?group=agent", { token: o.token })).json;
    expect(byAgent.items.map((i: { key: string }) => i.key).sort()).toEqual(["researcher", "scribe"]);
    const researcher = byAgent.items.find((i: { key: string }) => i.key === "researcher");
    expect(researcher.cost).toBeCloseTo(a.cost, 12);
    // the ledger keeps every kind the task shows (a sim run writes no cache)
    expect(a.tokens.cache_write).toBe(0);
    expect(researcher).toMatchObject({ tokens: a.tokens, searches: 1, tasks: 1 });
    expect(byAgent.total).toBeCloseTo(total, 12);

    const byModel = (await api("GET", "/spend?group=model", { token: o.token })).json;
    expect(byModel.items).toHaveLength(1);
    expect(byModel.items[0]).toMatchObject({ key: "sim", tasks: 2 });

    const byDay = (await api("GET", "/spend", { token: o.token })).json;
    expect(byDay.group).toBe("day");
    expect(byDay.from).toBe(`${today().slice(0, 7)}-01`);
    expect(byDay.to).toBe(today());
    expect(byDay.items.at(-1).key).toBe(today());
    expect(byDay.items.at(-1).cost).toBeCloseTo(total, 12);
    expect(byDay.items).toHaveLength(Number(today().slice(8)));
    expect(byDay.month.spent).toBeCloseTo(total, 12);
    // the month's total row (kept by triggers as ledger rows are inserted and raised) is the ledger's sum
    const sums = await env.DB.prepare(
      `SELECT (SELECT sum(cost_nanos) FROM spend WHERE org_id = ?1) AS ledger, (SELECT sum(cost_nanos) FROM spend_months WHERE org_id = ?1) AS months`,
    ).bind(o.id).first<{ ledger: number; months: number }>();
    expect(sums!.months).toBe(sums!.ledger);
    expect(sums!.ledger / 1e9).toBeCloseTo(total, 12);
    expect(byDay.next_cursor).toBeNull();

    // by UTC month, every month of the range listed, as days are
    const byMonth = (await api("GET", `/spend?group=month&from=${today().slice(0, 4)}-01-01&to=${today()}`, { token: o.token })).json;
    expect(byMonth.items.map((i: { key: string }) => i.key)).toEqual(Array.from({ length: Number(today().slice(5, 7)) }, (_, m) => `${today().slice(0, 4)}-${String(m + 1).padStart(2, "0")}`));
    expect(byMonth.items.at(-1)).toMatchObject({ key: today().slice(0, 7), tasks: 2 });
    expect(byMonth.items.at(-1).cost).toBeCloseTo(total, 12);
    expect(byMonth.items.slice(0, -1).every((i: { cost: number; tasks: number }) => i.cost === 0 && i.tasks === 0)).toBe(true);
    expect(byMonth.total).toBeCloseTo(total, 12);

    const viewer = await tokenWithRole("viewer", o.id);
    expect((await api("GET", "/spend?from=2020-01-01&to=2020-01-03", { token: viewer })).json).toMatchObject({ total: 0, items: [{ key: "2020-01-01", cost: 0 }, { key: "2020-01-02" }, { key: "2020-01-03" }] });
    // Deleting a task does not take its spend out of the report.
    expect((await api("DELETE", `/tasks/${b.id}/purge`, { token: o.token })).status).toBe(204);
    expect((await api("GET", "/spend?group=agent", { token: o.token })).json.total).toBeCloseTo(total, 12);
  });

  it("reports spend by plan, named, with the tasks made from no saved plan under an empty key", async () => {
    const o = await org();
    const plan = await api("POST", "/plans", { token: o.token, body: { name: "Weekly digest", steps: [{ id: "s", agent: "researcher", instructions: "@search news\n@output d" }] } });
    expect(plan.status, plan.text).toBe(201);
    const runPlan = async () => {
      const created = await api("POST", `/plans/${plan.json.id}/run`, { token: o.token, body: { inputs: {} } });
      let d = created.json;
      for (const deadline = Date.now() + 10_000; d.status !== "completed" && Date.now() < deadline; d = (await api("GET", `/tasks/${d.id}`, { token: o.token })).json) await new Promise((r) => setTimeout(r, 20));
      await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(d.id)).settled();
      return d;
    };
    const [p1, p2] = [await runPlan(), await runPlan()];
    const adhoc = await run(o.token, { agent: "researcher", title: "one-off", description: "@output x" }, ["completed"]);
    const byPlan = (await api("GET", "/spend?group=plan", { token: o.token })).json;
    expect(byPlan.group).toBe("plan");
    expect(byPlan.items).toHaveLength(2);
    const [planned, none] = byPlan.items[0].key === plan.json.id ? byPlan.items : [...byPlan.items].reverse();
    expect(planned).toMatchObject({ key: plan.json.id, name: "Weekly digest", tasks: 2, searches: 2 });
    expect(planned.cost).toBeCloseTo(p1.cost + p2.cost, 12);
    expect(none).toMatchObject({ key: "", name: null, tasks: 1 });
    expect(none.cost).toBeCloseTo(adhoc.cost, 12);
    expect(byPlan.total).toBeCloseTo(p1.cost + p2.cost + adhoc.cost, 12);
    // the other groupings name nothing
    expect((await api("GET", "/spend?group=agent", { token: o.token })).json.items[0].name).toBeUndefined();
  });

  it("validates the range and the grouping", async () => {
    expectError(await api("GET", "/spend?from=2026-02-30"), 400);
    expectError(await api("GET", "/spend?from=yesterday"), 400);
    for (const [qs, path] of [["from=2026-03-02&to=2026-03-01", "to"], ["from=2020-01-01&to=2026-01-01", "to"], ["from=2999-01-01", "from"], ["from=2020-01-01", "from"]]) {
      const res = await api("GET", `/spend?${qs}`);
      expectError(res, 400, "bad_request");
      expect(res.json.error.details, qs).toEqual([{ path, message: expect.any(String) }]);
    }
    expectError(await api("GET", "/spend?group=week"), 400);
    expect((await api("GET", "/spend?group=month&from=2025-11-20&to=2026-01-05")).json.items.map((i: { key: string }) => i.key)).toEqual(["2025-11", "2025-12", "2026-01"]);
    expectError(await api("GET", "/spend", { token: null }), 401);
  });
});

describe("monthly spend cap", () => {
  it("pauses tasks with a budget question once the organization's month reaches its cap", async () => {
    const o = await org({ monthly_spend_cap: 0.0000001 });
    expect((await api("GET", "/settings", { token: o.token })).json.monthly_spend_cap).toBe(0.0000001);
    const waiting = await run(o.token, { agent: "researcher", title: "capped", description: "@output x" }, ["needs_input"]);
    expect(waiting.pending[0]).toMatchObject({ kind: "budget", step: "main" });
    expect(waiting.pending[0].question).toContain("monthly spend cap");
    const respond = (d: { session_id: string; pending: { call_id: string }[] }, answers: string[]) =>
      api("POST", `/sessions/${d.session_id}/respond`, { token: o.token, body: { call_id: d.pending[0].call_id, answers } });

    // A person may let this one task go on past the cap, up to a budget of its own.
    expect((await respond(waiting, ["raise", "10"])).status).toBe(200);
    const deadline = Date.now() + 10_000;
    let done = waiting;
    while (done.status !== "completed" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      done = (await api("GET", `/tasks/${waiting.id}`, { token: o.token })).json;
    }
    expect(done.status).toBe("completed");

    // The next task asks again, and stops when told.
    const next = await run(o.token, { agent: "researcher", title: "capped 2", description: "@output y" }, ["needs_input"]);
    expect(next.pending[0].question).toContain("monthly spend cap");
    expect((await respond(next, ["stop"])).status).toBe(200);

    // Lifting the cap lets new tasks run.
    await api("PATCH", "/settings", { token: o.token, body: { monthly_spend_cap: null } });
    expect((await run(o.token, { agent: "researcher", title: "free", description: "@output z" }, ["completed", "needs_input"])).status).toBe("completed");
  });

  it("lets a task past the cap on a raise of any of its parallel steps' questions, not only the last asked, which answers them all", async () => {
    const o = await org({ monthly_spend_cap: 0.0000001 });
    const plan = await api("POST", "/plans", { token: o.token, body: { name: "Two at once", steps: [{ id: "a", agent: "researcher", instructions: "@output A" }, { id: "b", agent: "researcher", instructions: "@output B" }] } });
    expect(plan.status, plan.text).toBe(201);
    const created = await api("POST", `/plans/${plan.json.id}/run`, { token: o.token, body: { inputs: {} } });
    expect(created.status, created.text).toBe(201);
    const get = async () => (await api("GET", `/tasks/${created.json.id}`, { token: o.token })).json;
    let d = await get();
    for (const deadline = Date.now() + 10_000; d.pending.length < 2 && Date.now() < deadline; d = await get()) await new Promise((r) => setTimeout(r, 20));
    expect(d.pending.map((p: { step: string; kind: string }) => [p.step, p.kind]).sort()).toEqual([["a", "budget"], ["b", "budget"]]);
    const [first, other] = (d.pending as { call_id: string; step: string }[]).sort((x, y) => (x.call_id < y.call_id ? -1 : 1));
    const res = await api("POST", `/sessions/${d.session_id}/respond`, { token: o.token, body: { call_id: first.call_id, answers: ["raise", "10"] } });
    expect(res.status, res.text).toBe(200);
    const again = await api("POST", `/sessions/${d.session_id}/respond`, { token: o.token, body: { call_id: other.call_id, answers: ["raise", "10"] } });
    expect(again.status, again.text).toBe(409);
    for (const deadline = Date.now() + 10_000; d.status !== "completed" && Date.now() < deadline; d = await get()) await new Promise((r) => setTimeout(r, 20));
    expect(d.status).toBe("completed");
    expect(d.pending).toEqual([]);
  });

  it("lets the tasks paused at the cap go on once it is raised or lifted, and keeps them paused while their next turn would still pass it", async () => {
    const o = await org({ monthly_spend_cap: 0.0000001 });
    const plan = await api("POST", "/plans", { token: o.token, body: { name: "Two at once", steps: [{ id: "a", agent: "researcher", instructions: "@output A" }, { id: "b", agent: "researcher", instructions: "@output B" }] } });
    const created = await api("POST", `/plans/${plan.json.id}/run`, { token: o.token, body: { inputs: {} } });
    const single = await run(o.token, { agent: "researcher", title: "capped", description: "@output x" }, ["needs_input"]);
    const get = async (id: string) => (await api("GET", `/tasks/${id}`, { token: o.token })).json;
    let two = await get(created.json.id);
    for (const deadline = Date.now() + 10_000; two.pending.length < 2 && Date.now() < deadline; two = await get(two.id)) await new Promise((r) => setTimeout(r, 20));
    expect(two.pending.map((p: { kind: string }) => p.kind)).toEqual(["budget", "budget"]);

    // a raise too small for the turn held back changes nothing
    expect((await api("PATCH", "/settings", { token: o.token, body: { monthly_spend_cap: 0.0000002 } })).status).toBe(200);
    await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(single.id)).settled();
    expect(await get(single.id)).toMatchObject({ status: "needs_input", pending: [{ call_id: single.pending[0].call_id }] });

    expect((await api("PATCH", "/settings", { token: o.token, body: { monthly_spend_cap: 100 } })).status).toBe(200);
    for (const id of [single.id, two.id]) {
      let d = await get(id);
      for (const deadline = Date.now() + 10_000; d.status !== "completed" && Date.now() < deadline; d = await get(id)) await new Promise((r) => setTimeout(r, 20));
      expect(d.status, id).toBe("completed");
      expect(d.pending).toEqual([]);
    }
    // the question was answered by the raise: answering it now is too late
    const late = await api("POST", `/sessions/${single.session_id}/respond`, { token: o.token, body: { call_id: single.pending[0].call_id, answers: ["stop"] } });
    expectError(late, 409);

    // lifting the cap releases too
    expect((await api("PATCH", "/settings", { token: o.token, body: { monthly_spend_cap: 0.0000001 } })).status).toBe(200);
    const again = await run(o.token, { agent: "researcher", title: "capped again", description: "@output y" }, ["needs_input"]);
    expect((await api("PATCH", "/settings", { token: o.token, body: { monthly_spend_cap: null } })).status).toBe(200);
    let d = await get(again.id);
    for (const deadline = Date.now() + 10_000; d.status !== "completed" && Date.now() < deadline; d = await get(again.id)) await new Promise((r) => setTimeout(r, 20));
    expect(d.status).toBe("completed");
  });

  it("lets a task paused at the cap go on when the month turns, if the new month has room", async () => {
    const o = await org({ monthly_spend_cap: 1 });
    // the month is over the cap: what the organization's other tasks spent, as the month's total holds it
    await env.DB.prepare("INSERT INTO spend_months (org_id, month, cost_nanos) VALUES (?, ?, ?)").bind(o.id, `${today().slice(0, 7)}-01`, 2e9).run();
    const waiting = await run(o.token, { agent: "researcher", title: "capped at month end", description: "@output x" }, ["needs_input"]);
    expect(waiting.pending[0].question).toContain("monthly spend cap");
    const stub = env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(waiting.id));
    const now = new Date();
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

    // the alarm rings in a month that has spent nothing yet
    await env.DB.prepare("DELETE FROM spend_months WHERE org_id = ?").bind(o.id).run();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    let d = waiting;
    for (const deadline = Date.now() + 10_000; d.status !== "completed" && Date.now() < deadline; d = (await api("GET", `/tasks/${waiting.id}`, { token: o.token })).json) await new Promise((r) => setTimeout(r, 20));
    expect(d).toMatchObject({ status: "completed", pending: [] });
  });

  it("does not stop an organization under its cap", async () => {
    const o = await org({ monthly_spend_cap: 100 });
    expect((await run(o.token, { agent: "researcher", title: "cheap", description: "@output z" }, ["completed", "needs_input"])).status).toBe("completed");
    expectError(await api("PATCH", "/settings", { token: o.token, body: { monthly_spend_cap: -1 } }), 400);
    expectError(await api("PATCH", "/settings", { token: o.token, body: { monthly_spend_cap: 0 } }), 400);
  });
});
