import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { ADMIN, api, BASE, createTask, expectError, waitForStatus } from "../helpers";

type Entry = { id: string; at: string; actor: { type: string; id: string; name: string }; action: string; target: { type: string; id: string }; details: Record<string, unknown> | null };

async function newOrg(name: string) {
  const res = await api("POST", "/orgs", { body: { name } });
  expect(res.status).toBe(201);
  return res.json.token as { id: string; token: string };
}

/** Reads the log until the entry is there (entries a batch does not carry are written with the answer, not in it). */
async function entry(token: string, action: string, targetId: string): Promise<Entry> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await api("GET", `/audit?action=${action}&limit=100`, { token });
    const found = (res.json.items as Entry[]).find((e) => e.target.id === targetId);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${action} for ${targetId} in ${res.text}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The D1 binding, but for audit rows written on their own, which call `reached` and wait for `gate`. */
function auditWaitsFor(db: D1Database, reached: () => void, gate: Promise<void>): D1Database {
  const bound = <T extends object>(o: T, k: string | symbol) => {
    const v = Reflect.get(o, k);
    return typeof v === "function" ? v.bind(o) : v;
  };
  const gated = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, { get: (s, k) => (k === "bind" ? (...args: unknown[]) => gated(s.bind(...args)) : k === "run" ? async () => (reached(), await gate, s.run()) : bound(s, k)) });
  return new Proxy(db, { get: (d, k) => (k === "prepare" ? (sql: string) => (/INTO audit_log/.test(sql) ? gated(d.prepare(sql)) : d.prepare(sql)) : bound(d, k)) });
}

describe("audit entries a batch does not carry", () => {
  for (const [what, request] of [
    ["an agent's creation", async () => new Request(`${BASE}/api/v1/agents`, { method: "POST", body: JSON.stringify({ name: `aud-${crypto.randomUUID().slice(0, 8)}`, model: "sim" }) })],
    ["a task's cancel", async () => {
      const task = await createTask({ agent: "writer", title: "cancel me", description: "@delay 20000\n@output x" });
      await waitForStatus(task.id, ["in_progress"]);
      return new Request(`${BASE}/api/v1/tasks/${task.id}`, { method: "DELETE" });
    }],
  ] as const) {
    it(`are written before the answer is sent: ${what}`, async () => {
      const req = await request();
      req.headers.set("authorization", `Bearer ${ADMIN}`);
      req.headers.set("content-type", "application/json");
      let open!: () => void;
      let reached!: () => void;
      const [gate, writing] = [new Promise<void>((r) => (open = r)), new Promise<void>((r) => (reached = r))];
      const answered = Promise.resolve(worker.fetch(req, { ...env, DB: auditWaitsFor(env.DB, reached, gate) }, createExecutionContext()));
      try {
        // its entry is being written, and held: the answer waits for it
        await writing;
        const first = await Promise.race([answered.then(() => "answered"), new Promise((r) => setTimeout(() => r("waiting for its entry"), 100))]);
        expect(first).toBe("waiting for its entry");
      } finally {
        open();
      }
      const res = await answered;
      expect(res.status).toBeLessThan(300);
      const id = ((await res.json()) as { id: string }).id;
      const action = what.includes("cancel") ? "task.cancel" : "agent.create";
      expect(await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = ?").bind(id, action).first("n")).toBe(1);
    });
  }
});

describe("audit log", () => {
  it("records token and trigger changes with who did them", async () => {
    const { id: adminId, token } = await newOrg("Audit tokens");
    const made = await api("POST", "/tokens", { token, body: { name: "bot", role: "member" } });
    await api("DELETE", `/tokens/${made.json.id}`, { token });
    const plan = await api("POST", "/plans", { token, body: { name: "p", steps: [{ id: "s", agent: "writer", instructions: "@output x" }] } });
    const trig = await api("POST", "/triggers", { token, body: { kind: "webhook", plan_id: plan.json.id } });
    await api("POST", `/triggers/${trig.json.id}/pause`, { token });
    await api("POST", `/triggers/${trig.json.id}/run`, { token });
    await api("DELETE", `/triggers/${trig.json.id}`, { token });

    const created = await entry(token, "token.create", made.json.id);
    expect(created).toMatchObject({ actor: { type: "token", id: adminId, name: "admin" }, target: { type: "token" }, details: { name: "bot", role: "member" } });
    expect(created.at).toMatch(/Z$/);
    await entry(token, "token.revoke", made.json.id);
    expect((await entry(token, "trigger.create", trig.json.id)).details).toEqual({ kind: "webhook", plan_id: plan.json.id });
    await entry(token, "trigger.pause", trig.json.id);
    await entry(token, "trigger.run", trig.json.id);
    await entry(token, "trigger.delete", trig.json.id);
    // A failed change leaves no entry.
    await api("DELETE", `/tokens/${made.json.id}`, { token });
    const revokes = await api("GET", "/audit?action=token.revoke", { token });
    expect(revokes.json.items).toHaveLength(1);
  });

  it("records task create, cancel, approve, reject and respond, and agent and plan changes", async () => {
    const { token } = await newOrg("Audit tasks");
    const t1 = await api("POST", "/tasks", { token, body: { agent: "writer", title: "ask", description: "@ask Which segment?" } });
    const waiting = await waitForStatusAs(token, t1.json.id, "needs_input");
    await api("POST", `/sessions/${waiting.session_id}/respond`, { token, body: { call_id: waiting.pending[0].call_id, answers: ["enterprise"] } });
    expect((await entry(token, "task.create", t1.json.id)).actor.type).toBe("token");
    // which question: two asked in one session may be answered by two people
    expect((await entry(token, "session.respond", t1.json.id)).details).toEqual({ session_id: waiting.session_id, call_id: waiting.pending[0].call_id });

    const plan = await api("POST", "/plans", { token, body: { name: "review me", steps: [{ id: "draft", agent: "writer", instructions: "@output v1", approval: true }] } });
    const t2 = await api("POST", `/plans/${plan.json.id}/run`, { token, body: {} });
    await waitForStatusAs(token, t2.json.id, "needs_input");
    // each review names the run it decided, in its answer and its entry: run 1 rejected, run 2 approved
    expect((await api("POST", `/tasks/${t2.json.id}/steps/draft/reject`, { token, body: { comment: "shorter" } })).json).toEqual({ ok: true, run: 1 });
    await waitForStatusAs(token, t2.json.id, "needs_input");
    expect((await api("POST", `/tasks/${t2.json.id}/steps/draft/approve`, { token })).json).toEqual({ ok: true, run: 2 });
    expect((await entry(token, "task.create", t2.json.id)).details).toEqual({ plan_id: plan.json.id });
    expect((await entry(token, "step.reject", t2.json.id)).details).toEqual({ step: "draft", run: 1 });
    expect((await entry(token, "step.approve", t2.json.id)).details).toEqual({ step: "draft", run: 2 });

    const t3 = await api("POST", "/tasks", { token, body: { agent: "writer", title: "slow", description: "@delay 5000" } });
    expect((await api("DELETE", `/tasks/${t3.json.id}`, { token })).status).toBe(200);
    await entry(token, "task.cancel", t3.json.id);

    const agent = await api("POST", "/agents", { token, body: { name: "auditor", model: "sim" } });
    await api("PUT", `/agents/${agent.json.id}`, { token, body: { name: "auditor", model: "sim", system_prompt: "x" } });
    await api("DELETE", `/agents/${agent.json.id}`, { token });
    await entry(token, "agent.create", agent.json.id);
    await entry(token, "agent.update", agent.json.id);
    await entry(token, "agent.delete", agent.json.id);
    const v2 = { name: "review me", steps: [{ id: "draft", agent: "writer", instructions: "@output v2" }] };
    await api("PUT", `/plans/${plan.json.id}`, { token, body: v2 });
    // saving it again changes nothing, and records nothing
    expect((await api("PUT", `/plans/${plan.json.id}`, { token, body: v2 })).json.version).toBe(2);
    await api("DELETE", `/plans/${plan.json.id}`, { token });
    await entry(token, "plan.create", plan.json.id);
    expect((await entry(token, "plan.update", plan.json.id)).details).toEqual({ version: 2 });
    // named, since the plan itself is gone
    expect((await entry(token, "plan.delete", plan.json.id)).details).toEqual({ name: "review me", version: 2 });
    // a delete refused while a trigger starts the plan records nothing
    const kept = await api("POST", "/plans", { token, body: v2 });
    await api("POST", "/triggers", { token, body: { kind: "webhook", plan_id: kept.json.id } });
    expect((await api("DELETE", `/plans/${kept.json.id}`, { token })).status).toBe(409);
    expect((await api("GET", "/audit?action=plan.delete&limit=100", { token })).json.items.map((e: Entry) => e.target.id)).toEqual([plan.json.id]);
    const updates = (await api("GET", "/audit?action=plan.update&limit=100", { token })).json.items.filter((e: Entry) => e.target.id === plan.json.id);
    expect(updates).toHaveLength(1);
    await entry(token, "plan.delete", plan.json.id);
  });

  it("records price changes and deletions, and an agent deleted by its name under its id", async () => {
    const { token } = await newOrg("Audit prices");
    expect((await api("PUT", "/pricing/openai:gpt-audit", { token, body: { input: 1, cache: 0.1, output: 2 } })).status).toBe(200);
    expect((await api("PUT", "/pricing/openai:gpt-audit", { token, body: { input: 1.5, cache: 0.15, output: 3, per_search: 0.01 } })).status).toBe(200);
    expect((await api("DELETE", "/pricing/openai:gpt-audit", { token })).status).toBe(204);
    // what was set, and what it replaced: the price paid before a change stays readable
    const set = { input: 1, cache: 0.1, cache_write: 0, output: 2, web_search: 0, per_search: 0 };
    const raised = { input: 1.5, cache: 0.15, cache_write: 0, output: 3, web_search: 0, per_search: 0.01 };
    const updates = (await api("GET", "/audit?action=pricing.update&limit=100", { token })).json.items as Entry[];
    expect(updates.map((e) => e.details)).toEqual([{ ...raised, previous: { ...set, source: "organization" } }, { ...set, previous: null }]);
    expect(await entry(token, "pricing.delete", "openai:gpt-audit")).toMatchObject({ target: { type: "model" }, details: { previous: { ...raised, source: "organization" } } });
    // over a built-in default, the default is what it replaced
    expect((await api("PUT", "/pricing/sim", { token, body: { input: 1, cache: 0.1, output: 2 } })).status).toBe(200);
    expect((await entry(token, "pricing.update", "sim")).details).toEqual({ ...set, previous: { input: 0.1, cache: 0.01, cache_write: 0, output: 0.4, web_search: 0.1, per_search: 0.001, source: "default" } });

    const agent = await api("POST", "/agents", { token, body: { name: "named", model: "sim" } });
    expect((await api("DELETE", "/agents/named", { token })).status).toBe(204);
    expect(await entry(token, "agent.delete", agent.json.id)).toMatchObject({ target: { type: "agent", id: agent.json.id }, details: { name: "named" } });
    // a delete that finds nothing leaves no entry
    expect((await api("DELETE", "/agents/named", { token })).status).toBe(404);
    expect((await api("GET", "/audit?action=agent.delete", { token })).json.items).toHaveLength(1);
  });

  it("does not record a replayed idempotent request twice, nor a refused one", async () => {
    const { token } = await newOrg("Audit replays");
    const body = { agent: "writer", title: "once" };
    const a = await api("POST", "/tasks", { token, body, headers: { "idempotency-key": "k1" } });
    await api("POST", "/tasks", { token, body, headers: { "idempotency-key": "k1" } });
    await api("POST", "/tasks", { token, body: { agent: "nobody", title: "refused" } });
    await entry(token, "task.create", a.json.id);
    await new Promise((r) => setTimeout(r, 100));
    const all = await api("GET", "/audit?action=task.create", { token });
    expect(all.json.items).toHaveLength(1);
  });

  it("writes a created task's entry with its index row, so both are there when the answer comes, and a refused one leaves neither", async () => {
    const { token } = await newOrg("Audit creates");
    const first = await api("POST", "/tasks", { token, body: { agent: "writer", title: "first", description: "@output v1" } });
    const now = await api("GET", `/audit?action=task.create`, { token });
    expect(now.json.items.map((e: Entry) => e.target.id)).toEqual([first.json.id]);
    await waitForStatusAs(token, first.json.id, "completed");
    const rerun = await api("POST", `/tasks/${first.json.id}/rerun`, { token, body: { from_step: "main" } });
    expect(rerun.status).toBe(201);
    const entries = await api("GET", `/audit?action=task.rerun`, { token });
    expect(entries.json.items).toMatchObject([{ target: { type: "task", id: rerun.json.id }, details: { rerun_of: first.json.id } }]);

    const ghost = await api("POST", "/agents", { token, body: { name: "ghost", model: "sim" } });
    const plan = await api("POST", "/plans", { token, body: { name: "two agents", steps: [{ id: "a", agent: "writer", instructions: "x" }, { id: "b", agent: "ghost", instructions: "y" }] } });
    expect(plan.status).toBe(201);
    expect((await api("DELETE", `/agents/${ghost.json.id}`, { token })).status).toBe(204);
    expectError(await api("POST", `/plans/${plan.json.id}/run`, { token, body: {} }), 422, "unprocessable");
    const list = await api("GET", "/tasks?limit=100", { token });
    expect(list.json.items.map((t: { id: string }) => t.id).sort()).toEqual([first.json.id, rerun.json.id].sort());
    expect((await api("GET", "/audit?action=task.create", { token })).json.items).toHaveLength(1);
  });

  it("pages newest first with an opaque cursor, for admins of the organization only", async () => {
    const { token } = await newOrg("Audit pages");
    for (let i = 0; i < 5; i++) await api("POST", "/tokens", { token, body: { name: `t${i}`, role: "viewer" } });
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const res = await api("GET", `/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token });
      expect(res.status).toBe(200);
      expect(res.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.json.items);
      cursor = res.json.next_cursor;
    } while (cursor);
    // The five tokens, then the organization's first admin token made with it.
    expect(seen.map((e) => e.details?.name)).toEqual(["t4", "t3", "t2", "t1", "t0", "admin"]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);

    expectError(await api("GET", "/audit?cursor=zzz", { token }), 400, "bad_request");
    expectError(await api("GET", "/audit?limit=101", { token }), 400, "bad_request");
    const member = await api("POST", "/tokens", { token, body: { name: "m", role: "member" } });
    expectError(await api("GET", "/audit", { token: member.json.token }), 403, "forbidden");
    const other = await api("GET", "/audit?limit=100");
    expect(other.text).not.toContain(member.json.id);
  });

  it("numbers its entries per organization, so their ids and cursors say nothing of another organization's activity", async () => {
    const b = await newOrg("Audit quiet");
    const c = await newOrg("Audit busy neighbour");
    const act = (token: string, name: string) => api("POST", "/tokens", { token, body: { name, role: "viewer" } });
    await act(b.token, "b1");
    await act(c.token, "c1");
    for (let i = 0; i < 5; i++) await act(c.token, `c-busy-${i}`);
    await act(b.token, "b2");
    await act(c.token, "c2");
    const ids = async (token: string) => ((await api("GET", "/audit?limit=100", { token })).json.items as Entry[]).map((e) => e.id);
    const mine = await ids(b.token);
    expect(mine).toHaveLength(3);
    // the same three actions in a fresh organization, with nobody else busy between them, get the same ids
    const d = await newOrg("Audit alone");
    await act(d.token, "d1");
    await act(d.token, "d2");
    expect(await ids(d.token)).toEqual(mine);
    const page = await api("GET", `/audit?limit=1&cursor=${mine[1]}`, { token: b.token });
    expect(page.json.items.map((e: Entry) => e.id)).toEqual([mine[2]]);
  });
});

describe("audit log filters", () => {
  it("narrows to one target, one actor or one action, combined, paging within the filter, and refuses a malformed filter", async () => {
    const { id: adminId, token } = await newOrg("Audit filters");
    const bot = await api("POST", "/tokens", { token, body: { name: "bot", role: "admin" } });
    const steps = [{ id: "s", agent: "writer", instructions: "@output x" }];
    const plan = await api("POST", "/plans", { token, body: { name: "p", steps } });
    const other = await api("POST", "/plans", { token, body: { name: "q", steps } });
    const b = await api("POST", "/tasks", { token: bot.json.token, body: { agent: "writer", title: "b", description: "@output b" } });
    expect((await api("PUT", `/plans/${plan.json.id}`, { token: bot.json.token, body: { name: "p", steps: [{ ...steps[0], instructions: "@output y" }] } })).status).toBe(200);
    await entry(token, "plan.update", plan.json.id);
    await entry(token, "plan.create", other.json.id);
    const list = async (q: string) => {
      const res = await api("GET", `/audit?limit=100&${q}`, { token });
      expect(res.status, res.text).toBe(200);
      return (res.json.items as Entry[]).map((e) => `${e.action} ${e.target.id} ${e.actor.id}`);
    };
    expect(await list(`target=${plan.json.id}`)).toEqual([`plan.update ${plan.json.id} ${bot.json.id}`, `plan.create ${plan.json.id} ${adminId}`]);
    expect(await list(`actor=${bot.json.id}`)).toEqual([`plan.update ${plan.json.id} ${bot.json.id}`, `task.create ${b.json.id} ${bot.json.id}`]);
    expect(await list(`actor=${bot.json.id}&action=task.create`)).toEqual([`task.create ${b.json.id} ${bot.json.id}`]);
    expect(await list(`target=${other.json.id}&actor=${bot.json.id}`)).toEqual([]);
    // a cursor pages within the filter
    const first = await api("GET", `/audit?limit=1&target=${plan.json.id}`, { token });
    const second = await api("GET", `/audit?limit=1&target=${plan.json.id}&cursor=${first.json.next_cursor}`, { token });
    expect(second.json.items.map((e: Entry) => e.action)).toEqual(["plan.create"]);
    expect(second.json.next_cursor).toBeNull();
    expectError(await api("GET", "/audit?target=%20x", { token }), 400, "bad_request");
    expectError(await api("GET", `/audit?actor=${"x".repeat(65)}`, { token }), 400, "bad_request");
  });
});

async function waitForStatusAs(token: string, id: string, status: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await api("GET", `/tasks/${id}`, { token });
    if (res.json.status === status) return res.json;
    if (Date.now() > deadline) throw new Error(`task ${id} is ${res.json.status}, wanted ${status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
